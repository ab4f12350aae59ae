// Keyed MACs for what Tessera hands out and must recognise later without reading the store: list
// cursors (shared/http/cursor.ts) and the tag inside token values (shared/token-value.ts).
// HMAC-SHA-256 under per-deployment keys, one per purpose, derived from the environment's key
// source (config TESSERA_MAC_KEYS, README "Keys"):
// - file:<path>  the local key ring (.tessera/data-keys.json): each ring key k gives the root
//                HMAC(k, "tessera-mac"); the ring's current key signs, every key verifies.
// - kms:<arn>,…  KMS HMAC_256 keys: at first use, one GenerateMac of "tessera-mac" per key and
//                container yields the root, the same in every container and never stored. The
//                first key signs; the others still verify, so keys rotate without a cut-over.
// Each purpose's key is HMAC(root, purpose), so a cursor can never pass as a value tag.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { getConfig } from '../config.ts';
import { authorizationDefect } from '../defects.ts';
import { UnavailableError } from '../errors.ts';
import { signPost } from '../store/sigv4.ts';
import { MAC_NEED } from '../grants.ts';

/** What macKeys() needs of KMS when the MAC keys are KMS HMAC keys (shared/grants.ts). */
export const MAC_NEEDS = { macKeys: [MAC_NEED] } as const;

export type MacPurpose = 'cursor' | 'value-tag';

const ROOT_MESSAGE = 'tessera-mac';

interface Roots {
  /** The signing root first, then the ones kept for verification. */
  roots: Buffer[];
}

let loaded: Promise<Roots> | undefined;
const derived = new Map<MacPurpose, Buffer[]>();

export function resetMacKeys(): void {
  loaded = undefined;
  derived.clear();
}

function fileRoots(path: string): Roots {
  const ring = JSON.parse(readFileSync(path, 'utf8')) as { current: string; keys: Record<string, string> };
  const kids = [ring.current, ...Object.keys(ring.keys).filter((k) => k !== ring.current)];
  return { roots: kids.map((kid) => createHmac('sha256', Buffer.from(ring.keys[kid], 'base64')).update(ROOT_MESSAGE).digest()) };
}

async function kmsRoot(keyId: string): Promise<Buffer> {
  const { region, sdk } = getConfig();
  const env = process.env;
  // The SDK's own convention for another endpoint (tests, VPC endpoints): AWS_ENDPOINT_URL_KMS.
  const url = new URL(env.AWS_ENDPOINT_URL_KMS ?? `https://kms.${region}.amazonaws.com/`);
  const body = JSON.stringify({ KeyId: keyId, MacAlgorithm: 'HMAC_SHA_256', Message: Buffer.from(ROOT_MESSAGE).toString('base64') });
  // Signed as the authorizer signs its reads (shared/store/sigv4.ts): no SDK in its bundle.
  const headers = signPost({
    host: url.host,
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'TrentService.GenerateMac' },
    body,
    credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID ?? '', secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? '', sessionToken: env.AWS_SESSION_TOKEN || undefined },
    region,
    service: 'kms',
  });
  let last: unknown;
  for (let attempt = 1; attempt <= sdk.maxAttempts; attempt++) {
    try {
      const res = await fetch(new URL('/', url), { method: 'POST', headers, body, signal: AbortSignal.timeout(sdk.connectTimeoutMs + sdk.requestTimeoutMs) });
      const json = (await res.json()) as { Mac?: string; __type?: string; message?: string };
      if (res.ok && json.Mac) return Buffer.from(json.Mac, 'base64');
      last = Object.assign(new Error(`KMS GenerateMac: ${res.status} ${json.message ?? ''}`), { name: json.__type?.split('#').pop() ?? 'KmsError' });
      if (res.status < 500) break; // a refusal (access, key state) does not change on retry
    } catch (e) {
      last = e;
    }
  }
  throw last;
}

async function loadRoots(): Promise<Roots> {
  const { macKeys } = getConfig();
  if (macKeys.kind === 'file') return fileRoots(macKeys.refs[0]);
  return { roots: await Promise.all(macKeys.refs.map(kmsRoot)) };
}

/** The keys of a purpose: the signing key first. A key source that cannot be reached is a 503. */
export async function macKeys(purpose: MacPurpose): Promise<Buffer[]> {
  const known = derived.get(purpose);
  if (known) return known;
  loaded ??= loadRoots().catch((e) => {
    loaded = undefined;
    throw e;
  });
  let roots: Roots;
  try {
    roots = await loaded;
  } catch (e) {
    const defect = authorizationDefect(e, 'kms');
    if (defect) throw defect;
    throw new UnavailableError('The key service is unavailable; nothing was changed. Retry shortly.');
  }
  const keys = roots.roots.map((root) => createHmac('sha256', root).update(purpose).digest());
  derived.set(purpose, keys);
  return keys;
}

export const mac = (key: Buffer, ...parts: (string | Uint8Array)[]): Buffer => {
  const h = createHmac('sha256', key);
  for (const p of parts) {
    const bytes = typeof p === 'string' ? Buffer.from(p, 'utf8') : p;
    // Length-prefixed, so ("ab","c") and ("a","bc") never share a MAC.
    const len = Buffer.alloc(4);
    len.writeUInt32BE(bytes.length);
    h.update(len).update(bytes);
  }
  return h.digest();
};

/** True when `tag` is the first tag.length bytes of the MAC under one of `keys`; constant time per key. */
export function macMatches(keys: readonly Buffer[], tag: Uint8Array, ...parts: (string | Uint8Array)[]): boolean {
  let ok = false;
  for (const key of keys) {
    const expected = mac(key, ...parts).subarray(0, tag.length);
    if (tag.length > 0 && timingSafeEqual(expected, tag)) ok = true;
  }
  return ok;
}
