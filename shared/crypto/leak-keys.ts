// Secret-scanning public keys in GitHub's format ({public_keys: [{key_identifier, key, is_current}]})
// and the signature check of a report: ECDSA P-256 / SHA-256 over the raw body, base64 DER.
// The document comes from TESSERA_LEAK_KEYS (shared/config.ts): an https URL in AWS, kept an
// hour, or a file locally. An unknown key id re-reads it (a URL at most once a minute), so a
// rotated key works without a deploy.
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { getConfig } from '../config.ts';
import { logger } from '../log.ts';

const KEEP_MS = 3600_000;
const REFETCH_MS = 60_000;

let keys: Map<string, KeyObject> | undefined;
let loadedAt = -Infinity;
let source: string | undefined;

async function readDocument(where: { kind: 'url' | 'file'; ref: string }): Promise<unknown> {
  if (where.kind === 'file') return JSON.parse(await readFile(where.ref, 'utf8'));
  const res = await fetch(where.ref, { signal: AbortSignal.timeout(3000), headers: { accept: 'application/json' } });
  if (!res.ok) throw new Error(`the key document answered ${res.status}`);
  return res.json();
}

function parseDocument(doc: unknown): Map<string, KeyObject> {
  const out = new Map<string, KeyObject>();
  const list = (doc as { public_keys?: unknown })?.public_keys;
  if (!Array.isArray(list)) throw new Error('the key document has no public_keys list');
  for (const entry of list as { key_identifier?: unknown; key?: unknown }[]) {
    if (typeof entry?.key_identifier !== 'string' || typeof entry.key !== 'string') continue;
    try {
      const key = createPublicKey(entry.key);
      if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') out.set(entry.key_identifier, key);
    } catch {
      // a key that does not parse is skipped; the others still verify
    }
  }
  return out;
}

async function keyFor(keyId: string): Promise<KeyObject | undefined> {
  const where = getConfig().leakKeys;
  if (!where) return undefined;
  const now = getConfig().clock.now();
  const fresh = keys && source === where.ref && now - loadedAt < KEEP_MS;
  const hit = fresh ? keys!.get(keyId) : undefined;
  if (hit) return hit;
  // Unknown id or stale document: read again (a URL at most once a minute).
  if (fresh && where.kind === 'url' && now - loadedAt < REFETCH_MS) return undefined;
  try {
    keys = parseDocument(await readDocument(where));
    loadedAt = now;
    source = where.ref;
  } catch (error) {
    logger.error('secret-scanning keys could not be read', { error: error as Error });
    return undefined;
  }
  return keys.get(keyId);
}

/** Whether `signature` (base64 DER) is a valid signature of `body` by the key `keyId`. */
export async function reportSignedBy(body: Buffer, keyId: string | undefined, signature: string | undefined): Promise<boolean> {
  if (!keyId || !signature || keyId.length > 256 || signature.length > 512 || !/^[A-Za-z0-9+/=\s]+$/.test(signature)) return false;
  const key = await keyFor(keyId);
  if (!key) return false;
  try {
    return verify('sha256', body, { key, dsaEncoding: 'der' }, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}
