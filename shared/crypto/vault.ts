// Values at rest (rules.md §4.2): the copy kept for "view value" is sealed with
// AES-256-GCM; the token id is the additional authenticated data, so a sealed value cannot be
// moved to another item. Each sealed value names its key (kid), so keys rotate without
// re-encrypting: new values use the current key, old ones open with theirs.
//
// Key sources (config TESSERA_KEY_SOURCE):
// - file:<path>  a local key ring {current, keys: {kid: base64}} (the embedded default);
// - kms:<key>    envelope encryption: one KMS data key per container, its encrypted form stored
//                with every value it sealed, plaintext data keys cached per container.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { getConfig } from '../config.ts';
import { authorizationDefect } from '../defects.ts';
import { UnavailableError } from '../errors.ts';
import { valueKeyNeed } from '../grants.ts';

/** What seal() and open() need of KMS when the key source is kms: (shared/grants.ts). */
export const VAULT_NEEDS = {
  seal: [valueKeyNeed('GenerateDataKey')],
  open: [valueKeyNeed('Decrypt')],
} as const;

interface SealingKey {
  kid: string;
  key: Buffer;
  /** KMS-encrypted data key, stored with the value; empty for the file ring. */
  edk: string;
}

interface KeySource {
  current(): Promise<SealingKey>;
  find(kid: string, edk: string): Promise<Buffer>;
}

export interface KeyRing {
  current: string;
  keys: Record<string, string>;
}

export function fileKeySource(path: string): KeySource {
  let ring: KeyRing | undefined;
  // Re-read on a miss, so a rotation written by an operator is seen without a restart.
  const load = (): KeyRing => (ring = JSON.parse(readFileSync(path, 'utf8')) as KeyRing);
  const keyOf = (r: KeyRing, kid: string) => (r.keys[kid] ? Buffer.from(r.keys[kid], 'base64') : undefined);
  return {
    async current() {
      const r = load();
      const key = keyOf(r, r.current);
      if (!key || key.length !== 32) throw new Error(`key ring ${path}: current key ${r.current} is not 32 bytes`);
      return { kid: r.current, key, edk: '' };
    },
    async find(kid) {
      const key = (ring && keyOf(ring, kid)) ?? keyOf(load(), kid);
      if (!key) throw new Error(`key ring ${path} has no key ${kid}`);
      return key;
    },
  };
}

const DATA_KEY_MAX_AGE_MS = 3600_000;
/** Binds data keys to their purpose; key policies can require it (kms:EncryptionContext). */
export const KMS_ENCRYPTION_CONTEXT = { purpose: 'tessera-token-value' };

export function kmsKeySource(keyId: string): KeySource {
  const plain = new Map<string, Buffer>();
  let current: (SealingKey & { at: number }) | undefined;
  let client: import('@aws-sdk/client-kms').KMSClient | undefined;
  const kms = async () => {
    const { KMSClient } = await import('@aws-sdk/client-kms');
    const { region, sdk } = getConfig();
    // Same bounds as the store client: a hanging KMS call must end, not hold the request.
    client ??= new KMSClient({
      region,
      maxAttempts: sdk.maxAttempts,
      requestHandler: { connectionTimeout: sdk.connectTimeoutMs, requestTimeout: sdk.requestTimeoutMs, throwOnRequestTimeout: true },
    });
    return client;
  };
  return {
    async current() {
      if (current && Date.now() - current.at < DATA_KEY_MAX_AGE_MS) return current;
      const { GenerateDataKeyCommand } = await import('@aws-sdk/client-kms');
      const out = await (await kms()).send(new GenerateDataKeyCommand({ KeyId: keyId, KeySpec: 'AES_256', EncryptionContext: KMS_ENCRYPTION_CONTEXT }));
      const edk = Buffer.from(out.CiphertextBlob!).toString('base64url');
      const key = Buffer.from(out.Plaintext!);
      const kid = 'kms-' + createHash('sha256').update(edk).digest('base64url').slice(0, 12);
      plain.set(edk, key);
      current = { kid, key, edk, at: Date.now() };
      return current;
    },
    async find(_kid, edk) {
      const cached = plain.get(edk);
      if (cached) return cached;
      const { DecryptCommand } = await import('@aws-sdk/client-kms');
      const out = await (await kms()).send(new DecryptCommand({ CiphertextBlob: Buffer.from(edk, 'base64url'), KeyId: keyId, EncryptionContext: KMS_ENCRYPTION_CONTEXT }));
      const key = Buffer.from(out.Plaintext!);
      plain.set(edk, key);
      return key;
    },
  };
}

let source: KeySource | undefined;
function keySource(): KeySource {
  if (source) return source;
  const { kind, ref } = getConfig().keySource;
  source = kind === 'file' ? fileKeySource(ref) : kmsKeySource(ref);
  return source;
}
export function resetVault(): void {
  source = undefined;
}

const b64 = (b: Buffer) => b.toString('base64url');

/** Seals `value` for the item `aad` (the token id). Format: v1.kid.edk.iv.ciphertext+tag */
export async function seal(value: string, aad: string): Promise<string> {
  const k = await guard(() => keySource().current());
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', k.key, iv);
  cipher.setAAD(Buffer.from(aad));
  const body = Buffer.concat([cipher.update(value, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return ['v1', k.kid, k.edk, b64(iv), b64(body)].join('.');
}

export async function open(sealed: string, aad: string): Promise<string> {
  const [version, kid, edk, iv, body] = sealed.split('.');
  if (version !== 'v1' || !kid || iv === undefined || body === undefined) throw new Error('not a sealed value');
  const key = await guard(() => keySource().find(kid, edk ?? ''));
  const data = Buffer.from(body, 'base64url');
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
  decipher.setAAD(Buffer.from(aad));
  decipher.setAuthTag(data.subarray(data.length - 16));
  return Buffer.concat([decipher.update(data.subarray(0, data.length - 16)), decipher.final()]).toString('utf8');
}

/** The key id a sealed value was sealed with (rotation reporting). */
export const kidOf = (sealed: string): string => sealed.split('.')[1] ?? '';

/** A key source that cannot be reached is a 503, like the store; a refusal is a defect (500). */
async function guard<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (e) {
    if (e instanceof Error && /key ring|not 32 bytes/.test(e.message)) throw e;
    const defect = authorizationDefect(e, 'kms');
    if (defect) throw defect;
    throw new UnavailableError('The key service is unavailable; nothing was changed. Retry shortly.');
  }
}

/** A new ring with one fresh key, for the local runtime's first start. */
export const newKeyRing = (kid = 'local-1'): KeyRing => ({ current: kid, keys: { [kid]: randomBytes(32).toString('base64') } });
