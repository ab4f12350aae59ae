// Local development keys, made on first start and kept in the data folder: the ES256 key that
// /_local/login signs JWTs with (standing in for the real OIDC issuer), and the key ring that
// seals token values at rest (standing in for KMS).
import { exportJWK, generateKeyPair, importJWK, type JWK, type CryptoKey } from 'jose';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { newKeyRing } from '../shared/crypto/vault.ts';

export interface JwtKeys {
  kid: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  publicJwk: JWK;
}

export async function loadJwtKeys(dir: string, persist: boolean): Promise<JwtKeys> {
  const file = join(dir, 'jwt-key.json');
  if (persist && existsSync(file)) {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { kid: string; privateJwk: JWK; publicJwk: JWK };
    return {
      kid: saved.kid,
      privateKey: (await importJWK(saved.privateJwk, 'ES256')) as CryptoKey,
      publicKey: (await importJWK(saved.publicJwk, 'ES256')) as CryptoKey,
      publicJwk: saved.publicJwk,
    };
  }
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const kid = `local-${Date.now().toString(36)}`;
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' };
  if (persist) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, JSON.stringify({ kid, privateJwk: await exportJWK(privateKey), publicJwk }, null, 2), { mode: 0o600 });
  }
  return { kid, privateKey, publicKey, publicJwk };
}

/** The path of the value-sealing key ring, created if missing. */
export function ensureKeyRing(dir: string): string {
  const file = join(dir, 'data-keys.json');
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, JSON.stringify(newKeyRing(), null, 2), { mode: 0o600 });
  }
  return file;
}
