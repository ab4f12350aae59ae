// Crypto (rules.md §4.2, SECURITY.md): values at rest are sealed with AES-256-GCM, bound to their token id, and
// name their key so keys rotate (through the local KMS stand-in, and with the file key ring); JWTs are checked for alg, iss,
// aud, exp and nbf, and neither `none` nor a key the issuer does not publish is accepted.
import { createDecipheriv, KeyObject, randomBytes, sign as cryptoSign } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_AUDIENCE, LOCAL_ISSUER } from '../../local/app.ts';
import { createGateway } from '../../local/gateway.ts';
import { resetConfig } from '../../shared/config.ts';
import { fileKeySource, kidOf, KMS_ENCRYPTION_CONTEXT, open, resetVault, seal, type KeyRing } from '../../shared/crypto/vault.ts';
import { DecryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { identityOf, LOCAL_INSPECTOR } from '../../local/identities.ts';
import { JOBS, ROUTE_LIST } from '../../shared/routes.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { readTokenItem } from '../helpers/faults.ts';
import { confusedJwt, foreignJwt, rawRequest, closeRawAgent, tamperedJwt, unsignedJwt } from './support.ts';

let app: TestApp;
let ringPath: string;

beforeAll(async () => {
  app = await startTestApp({ env: { TESSERA_AUTH_CACHE_SECONDS: '0' } });
  // The local KMS stand-in keeps its key material in the data folder's key ring.
  ringPath = join(app.dataDir, 'data-keys.json');
});
afterAll(async () => {
  closeRawAgent();
  await app?.close();
});

/** New execution environments (and their data-key caches) from here on, as after a deploy. */
const newContainers = async () => {
  resetVault();
  await app.environments?.reap(undefined, true);
};

const readRing = (): KeyRing => JSON.parse(readFileSync(ringPath, 'utf8'));
const writeRing = (ring: KeyRing) => writeFileSync(ringPath, JSON.stringify(ring));

/** The data key of a sealed value, from KMS itself (the local stand-in, as an operator would ask it). */
async function dataKeyOf(edk: string, context: Record<string, string> = KMS_ENCRYPTION_CONTEXT): Promise<Buffer> {
  const kms = new KMSClient({ region: 'us-east-1', endpoint: process.env.AWS_ENDPOINT_URL_KMS, credentials: identityOf(LOCAL_INSPECTOR) });
  try {
    const out = await kms.send(new DecryptCommand({ CiphertextBlob: Buffer.from(edk, 'base64url'), EncryptionContext: context }));
    return Buffer.from(out.Plaintext!);
  } finally {
    kms.destroy();
  }
}

/** Opens a sealed value with node:crypto directly: what AES-256-GCM with AAD = token id means. */
async function openIndependently(sealed: string, tokenId: string): Promise<string> {
  const [version, , edk, iv, body] = sealed.split('.');
  expect(version).toBe('v1');
  const key = await dataKeyOf(edk);
  expect(key.length).toBe(32); // AES-256
  const nonce = Buffer.from(iv, 'base64url');
  expect(nonce.length).toBe(12); // GCM's 96-bit nonce
  const data = Buffer.from(body, 'base64url');
  const decipher = createDecipheriv('aes-256-gcm', key, nonce);
  decipher.setAAD(Buffer.from(tokenId));
  decipher.setAuthTag(data.subarray(data.length - 16));
  return Buffer.concat([decipher.update(data.subarray(0, data.length - 16)), decipher.final()]).toString('utf8');
}

describe('values at rest', () => {
  it('are sealed with AES-256-GCM under a KMS data key bound to its purpose, bound to the token id, with the key recorded', async () => {
    // Prepare
    const jwt = await app.login('bob');
    // Act
    const { token, value } = await app.createToken(jwt);
    const item = await readTokenItem(token.id);
    // Assess
    const [, kid, edk] = item!.sealed.split('.');
    expect(kid).toMatch(/^kms-/);
    expect(edk.length).toBeGreaterThan(0); // the encrypted data key travels with the value
    expect(item!.sealed).not.toContain(value);
    expect(await openIndependently(item!.sealed, token.id)).toBe(value);
    await expect(openIndependently(item!.sealed, 'tok_someOtherToken0')).rejects.toThrow();
    // KMS refuses the data key under another encryption context.
    await expect(dataKeyOf(edk, { purpose: 'something-else' })).rejects.toMatchObject({ name: 'InvalidCiphertextException' });
  });

  it('rotate: after the key material rotates, new containers seal under it and old values still open', async () => {
    // Prepare
    const jwt = await app.login('bob');
    const old = await app.createToken(jwt);
    const ring = readRing();
    // Act: the key rotates (as KMS's automatic rotation does), and a new container starts.
    writeRing({ current: 'local-rotated', keys: { ...ring.keys, 'local-rotated': randomBytes(32).toString('base64') } });
    await newContainers();
    const fresh = await app.createToken(jwt);
    // Assess
    expect(kidOf((await readTokenItem(fresh.token.id))!.sealed)).not.toBe(kidOf((await readTokenItem(old.token.id))!.sealed));
    expect((await app.request('GET', `/v1/tokens/${old.token.id}/value`, { jwt })).body.value).toBe(old.value);
    expect((await app.request('GET', `/v1/tokens/${fresh.token.id}/value`, { jwt })).body.value).toBe(fresh.value);
    await newContainers(); // cold containers: both values open through KMS, under their own key material
    expect((await app.request('GET', `/v1/tokens/${old.token.id}/value`, { jwt })).body.value).toBe(old.value);
    expect((await app.request('GET', `/v1/tokens/${fresh.token.id}/value`, { jwt })).body.value).toBe(fresh.value);
  });
});

describe('the vault with a file key ring', () => {
  let dir: string;
  let saved: Record<string, string | undefined>;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-ring-'));
    saved = { TESSERA_KEY_SOURCE: process.env.TESSERA_KEY_SOURCE };
    process.env.TESSERA_KEY_SOURCE = `file:${join(dir, 'ring.json')}`;
    resetConfig();
    resetVault();
  });
  afterAll(() => {
    process.env.TESSERA_KEY_SOURCE = saved.TESSERA_KEY_SOURCE;
    resetConfig();
    resetVault();
    rmSync(dir, { recursive: true, force: true });
  });

  const write = (ring: KeyRing) => writeFileSync(join(dir, 'ring.json'), JSON.stringify(ring));

  it('rotates keys, refuses tampering, a wrong token id and a missing key', async () => {
    // Prepare
    const k1 = randomBytes(32).toString('base64');
    const k2 = randomBytes(32).toString('base64');
    write({ current: 'k1', keys: { k1 } });
    const a = await seal('tsr_first', 'tok_A');
    // Act: rotate.
    write({ current: 'k2', keys: { k1, k2 } });
    const b = await seal('tsr_second', 'tok_B');
    // Assess
    expect([kidOf(a), kidOf(b)]).toEqual(['k1', 'k2']);
    expect(await open(a, 'tok_A')).toBe('tsr_first');
    expect(await open(b, 'tok_B')).toBe('tsr_second');
    expect(await seal('tsr_first', 'tok_A')).not.toBe(a); // a fresh nonce every time
    const parts = a.split('.');
    const body = Buffer.from(parts[4], 'base64url');
    for (const i of [0, body.length - 1]) {
      const flipped = Buffer.from(body);
      flipped[i] ^= 1;
      await expect(open([...parts.slice(0, 4), flipped.toString('base64url')].join('.'), 'tok_A')).rejects.toThrow();
    }
    await expect(open(a, 'tok_B')).rejects.toThrow();
    await expect(open(['v1', 'k2', ...parts.slice(2)].join('.'), 'tok_A')).rejects.toThrow();
    await expect(open([...parts.slice(0, 4), body.subarray(0, body.length - 16).toString('base64url')].join('.'), 'tok_A')).rejects.toThrow();
    await expect(open(['v1', 'k9', ...parts.slice(2)].join('.'), 'tok_A')).rejects.toThrow(/no key k9/);
    // A retired key: values sealed with it can no longer be opened.
    write({ current: 'k2', keys: { k2 } });
    const source = fileKeySource(join(dir, 'ring.json'));
    await expect(source.find('k1', '')).rejects.toThrow(/no key k1/);
  });
});

describe('JWTs at the gateway', () => {
  const good = (sub = 'bob') => ({ sub, tenant_id: 'acme', iss: LOCAL_ISSUER, aud: LOCAL_AUDIENCE, exp: Math.floor(Date.now() / 1000) + 600 });

  it('refuses alg none, algorithm confusion, foreign keys and tampering on the running app', async () => {
    // Prepare
    const jwks = (await app.request('GET', '/_local/jwks.json')).body.keys[0];
    const real = await app.login('bob');
    const forged = [
      unsignedJwt(good('alice')),
      unsignedJwt(good('alice'), { alg: 'NONE', typ: 'JWT' }),
      unsignedJwt(good('alice'), { alg: 'ES256', kid: jwks.kid }),
      await confusedJwt(good('alice'), jwks),
      await foreignJwt(good('alice'), jwks.kid),
      tamperedJwt(real),
      real.split('.').slice(0, 2).join('.') + '.',
    ];
    // Act + Assess
    for (const jwt of forged) {
      const r = await app.request('GET', '/v1/me', { jwt });
      expect(r.status, jwt).toBe(401);
      expect(r.body).toEqual({ message: 'Unauthorized' });
    }
    expect((await app.request('GET', '/v1/me', { jwt: real })).status).toBe(200);
  });

  describe('claims, with a gateway whose issuer key the test holds', () => {
    let server: Server;
    let url: string;
    let privateKey: CryptoKey;
    const kid = 'test-issuer';

    beforeAll(async () => {
      const pair = await generateKeyPair('ES256', { extractable: true });
      privateKey = pair.privateKey;
      const handlers = new Map();
      for (const route of ROUTE_LIST) handlers.set(route.id, (await import(/* @vite-ignore */ `../../${route.entry}`)).handler);
      const authorizer = (await import(/* @vite-ignore */ `../../${JOBS.authorizer.entry}`)).handler;
      const legacyImport = (await import(/* @vite-ignore */ `../../${JOBS.legacyImport.entry}`)).handler;
      server = createGateway({
        handlers, authorizer, legacyImport, bus: app.bus,
        jwt: { kid, privateKey: pair.privateKey, publicKey: pair.publicKey, publicJwk: {} },
        advance: app.advance,
      });
      await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()));
      url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    });
    afterAll(async () => {
      server.closeAllConnections();
      await new Promise<void>((res) => server.close(() => res()));
    });

    const now = () => Math.floor(Date.now() / 1000);
    const sign = (claims: Record<string, unknown>, header: Record<string, unknown> = { alg: 'ES256', kid }) =>
      new SignJWT(claims).setProtectedHeader(header as { alg: string }).sign(privateKey);
    const me = async (jwt: string) => (await rawRequest(url, 'GET', '/v1/me', { authorization: `Bearer ${jwt}` })).status;

    it('accepts a token with every claim right', async () => {
      expect(await me(await sign({ ...good(), iat: now(), nbf: now() }))).toBe(200);
    });

    it.each([
      ['a wrong issuer', { iss: 'https://evil.example/' }],
      ['the issuer without its trailing slash', { iss: LOCAL_ISSUER.replace(/\/$/, '') }],
      ['a wrong audience', { aud: 'someone-else' }],
      ['an audience list without ours', { aud: ['a', 'b'] }],
      ['no audience', { aud: undefined }],
      ['no issuer', { iss: undefined }],
      ['an expiry in the past', { exp: Math.floor(Date.now() / 1000) - 5 }],
      ['no expiry', { exp: undefined }],
      ['a not-before in the future', { nbf: Math.floor(Date.now() / 1000) + 600 }],
      ['no subject', { sub: undefined }],
    ])('refuses %s with 401', async (_what, change) => {
      const claims: Record<string, unknown> = { ...good(), ...change };
      for (const k of Object.keys(claims)) if (claims[k] === undefined) delete claims[k];
      expect(await me(await sign(claims))).toBe(401);
    });

    it('refuses algorithms other than ES256, even signed by a key it would otherwise trust', async () => {
      const hs = await new SignJWT(good()).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode('x'.repeat(32)));
      const es384 = await new SignJWT(good()).setProtectedHeader({ alg: 'ES384' }).sign((await generateKeyPair('ES384')).privateKey);
      const rs = await new SignJWT(good()).setProtectedHeader({ alg: 'RS256' }).sign((await generateKeyPair('RS256')).privateKey);
      for (const jwt of [hs, es384, rs, unsignedJwt(good())]) expect(await me(jwt)).toBe(401);
    });

    it('refuses a critical header it does not understand', async () => {
      // jose will not sign this, so it is signed by hand (ES256 = ECDSA P-256, r‖s).
      const b64 = (x: unknown) => Buffer.from(JSON.stringify(x)).toString('base64url');
      const input = `${b64({ alg: 'ES256', kid, crit: ['x-unknown'], 'x-unknown': 1 })}.${b64(good())}`;
      const signature = cryptoSign('sha256', Buffer.from(input), { key: KeyObject.from(privateKey), dsaEncoding: 'ieee-p1363' });
      const plain = `${b64({ alg: 'ES256', kid })}.${b64(good())}`;
      const control = cryptoSign('sha256', Buffer.from(plain), { key: KeyObject.from(privateKey), dsaEncoding: 'ieee-p1363' });
      expect(await me(`${plain}.${control.toString('base64url')}`)).toBe(200);
      expect(await me(`${input}.${signature.toString('base64url')}`)).toBe(401);
    });
  });
});
