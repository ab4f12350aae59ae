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
import { awsJsonError, jsonReply, startAwsJsonEndpoint, type Interceptor, type StoreCall, type StoreReply } from './store-proxy.ts';

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

/** Where the local keys are: the key ring on disk and the two keys' ARNs. */
interface LocalKeys {
  readonly keyRingPath: string;
  /** The symmetric key of the data keys. */
  readonly keyArn: string;
  /** The HMAC_256 key of the keyed MACs. */
  readonly macKeyArn: string;
}

/** The request fields the three operations read. */
interface KmsRequest {
  KeyId?: string; KeySpec?: string; NumberOfBytes?: number; EncryptionContext?: Record<string, string>; CiphertextBlob?: string;
  MacAlgorithm?: string; Message?: string;
}

/** KMS takes a key by its ARN or by its bare key ID. */
const identifies = (id: unknown, arn: string) => id === arn || id === arn.split('/').pop();

const readRing = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as KeyRing;
const ringKey = (r: KeyRing, kid: string) => (r.keys[kid] ? Buffer.from(r.keys[kid], 'base64') : undefined);

/** The HMAC key's material: derived from the ring's first key, so it survives restarts and rotations. */
function macSecret(keyRingPath: string): Buffer {
  const r = readRing(keyRingPath);
  return createHmac('sha256', ringKey(r, Object.keys(r.keys)[0])!).update('tessera-local-kms-hmac-key').digest();
}

/** Encrypts under the ring's current key, the encryption context as authenticated data; the blob names the key. */
function seal(keyRingPath: string, plaintext: Buffer, context: Record<string, string> | undefined): Buffer {
  const r = readRing(keyRingPath);
  const key = ringKey(r, r.current)!;
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(contextAad(context));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  const kid = Buffer.from(r.current);
  return Buffer.concat([MAGIC, Buffer.from([kid.length]), kid, iv, cipher.getAuthTag(), body]);
}

/** The plaintext of a sealed blob, or undefined when it is not one, its key is gone, or the context differs. */
function unseal(keyRingPath: string, blob: Buffer, context: Record<string, string> | undefined): Buffer | undefined {
  if (blob.length < MAGIC.length + 1 || !blob.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
  let at = MAGIC.length;
  const kidLength = blob[at++];
  const kid = blob.subarray(at, (at += kidLength)).toString();
  const key = ringKey(readRing(keyRingPath), kid);
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

function generateDataKey(keys: LocalKeys, body: KmsRequest): StoreReply {
  if (!identifies(body.KeyId, keys.keyArn)) return kmsError('NotFoundException', `Key '${body.KeyId}' does not exist`);
  const size = body.KeySpec === 'AES_128' ? 16 : body.KeySpec === 'AES_256' ? 32 : body.NumberOfBytes;
  if (!size || size < 1 || size > 1024) return kmsError('ValidationException', 'KeySpec or NumberOfBytes is required');
  const plaintext = randomBytes(size);
  return jsonReply(200, { KeyId: keys.keyArn, Plaintext: plaintext.toString('base64'), CiphertextBlob: seal(keys.keyRingPath, plaintext, body.EncryptionContext).toString('base64') });
}

function decrypt(keys: LocalKeys, body: KmsRequest): StoreReply {
  if (body.KeyId !== undefined && !identifies(body.KeyId, keys.keyArn)) return kmsError('IncorrectKeyException', 'The key ID in the request does not identify the key that encrypted the ciphertext.');
  const plaintext = unseal(keys.keyRingPath, Buffer.from(body.CiphertextBlob ?? '', 'base64'), body.EncryptionContext);
  if (!plaintext) return kmsError('InvalidCiphertextException', '');
  return jsonReply(200, { KeyId: keys.keyArn, Plaintext: plaintext.toString('base64'), EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' });
}

function generateMac(keys: LocalKeys, body: KmsRequest): StoreReply {
  if (!identifies(body.KeyId, keys.macKeyArn)) return kmsError(identifies(body.KeyId, keys.keyArn) ? 'InvalidKeyUsageException' : 'NotFoundException', `Key '${body.KeyId}' cannot generate MACs`);
  if (body.MacAlgorithm !== 'HMAC_SHA_256') return kmsError('InvalidKeyUsageException', 'The key supports HMAC_SHA_256 only');
  const message = Buffer.from(body.Message ?? '', 'base64');
  return jsonReply(200, { KeyId: keys.macKeyArn, MacAlgorithm: 'HMAC_SHA_256', Mac: createHmac('sha256', macSecret(keys.keyRingPath)).update(message).digest('base64') });
}

/** Answers a call that passed the local IAM. */
function answer(keys: LocalKeys, call: StoreCall): StoreReply {
  const body = call.body as KmsRequest;
  switch (call.action) {
    case 'GenerateDataKey':
      return generateDataKey(keys, body);
    case 'Decrypt':
      return decrypt(keys, body);
    case 'GenerateMac':
      return generateMac(keys, body);
    default:
      return kmsError('UnknownOperationException', '');
  }
}

/** IAM first: the action on the key, with the request's encryption context as condition keys. */
function iamFirst(keys: LocalKeys, iam: LocalIam): Interceptor {
  return async (call, next) => {
    const context = Object.fromEntries(
      Object.entries((call.body.EncryptionContext as Record<string, string> | undefined) ?? {}).map(([k, v]) => [`kms:EncryptionContext:${k}`, v]),
    );
    const resource = call.action === 'GenerateMac' ? keys.macKeyArn : keys.keyArn;
    const calls: Call[] = [{ action: `kms:${call.action}`, resource, context }];
    const verdict = authorize(iam, 'kms', call.accessKeyId, call.functionId, calls);
    return verdict.allow ? next() : jsonReply(verdict.reply.status, verdict.reply.body, '1.1');
  };
}

export async function startLocalKms(options: { region: string; keyRingPath: string; iam: LocalIam }): Promise<LocalKms> {
  const keys: LocalKeys = { keyRingPath: options.keyRingPath, keyArn: localKeyArn(options.region), macKeyArn: localMacKeyArn(options.region) };
  const server = await startAwsJsonEndpoint({ terminal: async (call) => answer(keys, call) });
  server.use(iamFirst(keys, options.iam));
  return { endpoint: server.endpoint, keyArn: keys.keyArn, macKeyArn: keys.macKeyArn, close: server.close };
}
