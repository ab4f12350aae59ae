// The local stand-in for AWS KMS: GenerateDataKey and Decrypt on a symmetric key, GenerateMac on
// an HMAC_256 key, over HTTP (the AWS JSON 1.1 protocol of TrentService), so the vault and the
// keyed MACs use their real KMS clients (TESSERA_KEY_SOURCE=kms:<arn>, TESSERA_MAC_KEYS=kms:<arn>,
// AWS_ENDPOINT_URL_KMS) and do not know where they run. The key material is the key ring under
// the data folder (.tessera/data-keys.json); a data key is returned encrypted under the ring's
// current key with the encryption context as authenticated data, so Decrypt with another context
// fails as KMS fails it. Every call passes the local IAM first (local/iam.ts): the action on the
// key's ARN, with the request's kms:EncryptionContext:<key> condition values.
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { KeyRing } from '../shared/crypto/vault.ts';
import { authorize, LOCAL_ACCOUNT, type Call, type LocalIam } from './iam.ts';
import { awsJsonError, jsonReply, startAwsJsonEndpoint, type AwsJsonEndpoint } from './store-proxy.ts';

const MAGIC = Buffer.from('TKMS1');

export interface LocalKms {
  readonly endpoint: string;
  readonly keyArn: string;
  /** The HMAC_256 key of the keyed MACs. */
  readonly macKeyArn: string;
  close(): Promise<void>;
}

export const localKeyArn = (region: string) => `arn:aws:kms:${region}:${LOCAL_ACCOUNT}:key/7e55e7a0-0000-4000-8000-000000000001`;
export const localMacKeyArn = (region: string) => `arn:aws:kms:${region}:${LOCAL_ACCOUNT}:key/7e55e7a0-0000-4000-8000-000000000002`;

const contextAad = (context: Record<string, string> | undefined) =>
  Buffer.from(JSON.stringify(Object.entries(context ?? {}).sort(([a], [b]) => a.localeCompare(b))));

const kmsError = (type: string, message: string) => awsJsonError(400, type, message, '1.1');

export async function startLocalKms(options: { region: string; keyRingPath: string; iam: LocalIam }): Promise<LocalKms> {
  const keyArn = localKeyArn(options.region);
  const keyId = keyArn.split('/').pop()!;
  const ring = () => JSON.parse(readFileSync(options.keyRingPath, 'utf8')) as KeyRing;
  const ringKey = (r: KeyRing, kid: string) => (r.keys[kid] ? Buffer.from(r.keys[kid], 'base64') : undefined);
  const isOurKey = (id: unknown) => id === keyArn || id === keyId;
  const macKeyArn = localMacKeyArn(options.region);
  const isOurMacKey = (id: unknown) => id === macKeyArn || id === macKeyArn.split('/').pop();
  // The HMAC key's material: derived from the ring's first key, so it survives restarts and rotations.
  const macSecret = () => {
    const r = ring();
    return createHmac('sha256', ringKey(r, Object.keys(r.keys)[0])!).update('tessera-local-kms-hmac-key').digest();
  };

  function seal(plaintext: Buffer, context: Record<string, string> | undefined): Buffer {
    const r = ring();
    const key = ringKey(r, r.current)!;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(contextAad(context));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    const kid = Buffer.from(r.current);
    return Buffer.concat([MAGIC, Buffer.from([kid.length]), kid, iv, cipher.getAuthTag(), body]);
  }

  function unseal(blob: Buffer, context: Record<string, string> | undefined): Buffer | undefined {
    if (blob.length < MAGIC.length + 1 || !blob.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
    let at = MAGIC.length;
    const kidLength = blob[at++];
    const kid = blob.subarray(at, (at += kidLength)).toString();
    const key = ringKey(ring(), kid);
    if (!key) return undefined;
    const iv = blob.subarray(at, (at += 12));
    const tag = blob.subarray(at, (at += 16));
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, iv);
      decipher.setAAD(contextAad(context));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(blob.subarray(at)), decipher.final()]);
    } catch {
      return undefined;
    }
  }

  const server: AwsJsonEndpoint = await startAwsJsonEndpoint({
    terminal: async (call) => {
      const body = call.body as {
        KeyId?: string; KeySpec?: string; NumberOfBytes?: number; EncryptionContext?: Record<string, string>; CiphertextBlob?: string;
        MacAlgorithm?: string; Message?: string;
      };
      switch (call.action) {
        case 'GenerateDataKey': {
          if (!isOurKey(body.KeyId)) return kmsError('NotFoundException', `Key '${body.KeyId}' does not exist`);
          const size = body.KeySpec === 'AES_128' ? 16 : body.KeySpec === 'AES_256' ? 32 : body.NumberOfBytes;
          if (!size || size < 1 || size > 1024) return kmsError('ValidationException', 'KeySpec or NumberOfBytes is required');
          const plaintext = randomBytes(size);
          return jsonReply(200, { KeyId: keyArn, Plaintext: plaintext.toString('base64'), CiphertextBlob: seal(plaintext, body.EncryptionContext).toString('base64') });
        }
        case 'Decrypt': {
          if (body.KeyId !== undefined && !isOurKey(body.KeyId)) return kmsError('IncorrectKeyException', 'The key ID in the request does not identify the key that encrypted the ciphertext.');
          const plaintext = unseal(Buffer.from(body.CiphertextBlob ?? '', 'base64'), body.EncryptionContext);
          if (!plaintext) return kmsError('InvalidCiphertextException', '');
          return jsonReply(200, { KeyId: keyArn, Plaintext: plaintext.toString('base64'), EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' });
        }
        case 'GenerateMac': {
          if (!isOurMacKey(body.KeyId)) return kmsError(isOurKey(body.KeyId) ? 'InvalidKeyUsageException' : 'NotFoundException', `Key '${body.KeyId}' cannot generate MACs`);
          if (body.MacAlgorithm !== 'HMAC_SHA_256') return kmsError('InvalidKeyUsageException', 'The key supports HMAC_SHA_256 only');
          const message = Buffer.from(body.Message ?? '', 'base64');
          return jsonReply(200, { KeyId: macKeyArn, MacAlgorithm: 'HMAC_SHA_256', Mac: createHmac('sha256', macSecret()).update(message).digest('base64') });
        }
        default:
          return kmsError('UnknownOperationException', '');
      }
    },
  });
  // IAM first: the action on the key, with the request's encryption context as condition keys.
  server.use(async (call, next) => {
    const context = Object.fromEntries(
      Object.entries((call.body.EncryptionContext as Record<string, string> | undefined) ?? {}).map(([k, v]) => [`kms:EncryptionContext:${k}`, v]),
    );
    const resource = call.action === 'GenerateMac' ? macKeyArn : keyArn;
    const calls: Call[] = [{ action: `kms:${call.action}`, resource, context }];
    const verdict = authorize(options.iam, 'kms', call.accessKeyId, call.functionId, calls);
    return verdict.allow ? next() : jsonReply(verdict.reply.status, verdict.reply.body, '1.1');
  });
  return { endpoint: server.endpoint, keyArn, macKeyArn, close: server.close };
}
