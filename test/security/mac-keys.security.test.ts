// The keys of the keyed MACs (README "Keys"): derived from the local key ring or from KMS HMAC
// keys, the same in every container, one per purpose, rotating by adding keys while the old
// ones keep verifying.
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { resetConfig } from '../../shared/config.ts';
import { macKeys, resetMacKeys } from '../../shared/crypto/mac.ts';
import { decodeCursor, encodeCursor } from '../../shared/http/cursor.ts';

const saved = { ...process.env };
const BASE = { TESSERA_TABLE: 'tbl', TESSERA_JWT_ISSUER: 'https://issuer/', TESSERA_JWT_AUDIENCE: 'aud', AWS_REGION: 'eu-west-1' };

function configure(env: Record<string, string>): void {
  for (const k of Object.keys(process.env)) if (k.startsWith('TESSERA_') || k.startsWith('AWS_')) delete process.env[k];
  Object.assign(process.env, BASE, env);
  resetConfig();
  resetMacKeys();
}
afterAll(() => {
  process.env = saved;
  resetConfig();
  resetMacKeys();
});

const scope = { list: 'tokens', tenantId: 'acme', userId: 'bob', query: { status: 'enabled' } };
const POSITION = '2026-01-01T00:00:00.000Z#tok_00000000000000000';

describe('MAC keys from the local key ring', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-mac-'));
  const ring = join(dir, 'ring.json');
  const k1 = randomBytes(32).toString('base64');
  const k2 = randomBytes(32).toString('base64');

  it('derives one key per purpose from the current ring key', async () => {
    writeFileSync(ring, JSON.stringify({ current: 'one', keys: { one: k1 } }));
    configure({ TESSERA_KEY_SOURCE: `file:${ring}` });
    const [cursor] = await macKeys('cursor');
    const [tag] = await macKeys('value-tag');
    expect(cursor).toHaveLength(32);
    expect(cursor.equals(tag)).toBe(false);
    const root = createHmac('sha256', Buffer.from(k1, 'base64')).update('tessera-mac').digest();
    expect(cursor).toEqual(createHmac('sha256', root).update('cursor').digest());
  });

  it('signs with a new current key after rotation and still accepts what the old key signed', async () => {
    writeFileSync(ring, JSON.stringify({ current: 'one', keys: { one: k1 } }));
    configure({ TESSERA_KEY_SOURCE: `file:${ring}` });
    const old = await encodeCursor(scope, POSITION);
    writeFileSync(ring, JSON.stringify({ current: 'two', keys: { one: k1, two: k2 } }));
    configure({ TESSERA_KEY_SOURCE: `file:${ring}` });
    expect(await decodeCursor(scope, old, () => true)).toBe(POSITION);
    const fresh = await encodeCursor(scope, POSITION);
    expect(fresh.split('.')[3]).not.toBe(old.split('.')[3]);
    // Once the old key is gone, what it signed is refused.
    writeFileSync(ring, JSON.stringify({ current: 'two', keys: { two: k2 } }));
    configure({ TESSERA_KEY_SOURCE: `file:${ring}` });
    await expect(decodeCursor(scope, old, () => true)).rejects.toMatchObject({ code: 'VALIDATION' });
    expect(await decodeCursor(scope, fresh, () => true)).toBe(POSITION);
  });
});

describe('MAC keys from KMS HMAC keys', () => {
  let server: Server;
  const calls: { target: string; authorization: string; body: any }[] = [];
  const secrets: Record<string, Buffer> = { 'arn:new': randomBytes(32), 'arn:old': randomBytes(32) };
  let refuse = false;
  beforeAll(async () => {
    // KMS's JSON protocol, as far as GenerateMac goes.
    server = createServer((req, res) => {
      let text = '';
      req.on('data', (c) => (text += c));
      req.on('end', () => {
        const body = JSON.parse(text);
        calls.push({ target: String(req.headers['x-amz-target']), authorization: String(req.headers.authorization), body });
        res.setHeader('content-type', 'application/x-amz-json-1.1');
        if (refuse) {
          res.statusCode = 500;
          res.end(JSON.stringify({ __type: 'KMSInternalException', message: 'try again' }));
          return;
        }
        const mac = createHmac('sha256', secrets[body.KeyId]).update(Buffer.from(body.Message, 'base64')).digest('base64');
        res.end(JSON.stringify({ KeyId: body.KeyId, MacAlgorithm: body.MacAlgorithm, Mac: mac }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  });
  afterAll(async () => new Promise<void>((r) => server.close(() => r())));
  afterEach(() => {
    calls.length = 0;
    refuse = false;
  });

  const useKms = () =>
    configure({
      TESSERA_KEY_SOURCE: 'kms:arn:value',
      TESSERA_MAC_KEYS: 'kms:arn:new,arn:old',
      AWS_ENDPOINT_URL_KMS: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
      AWS_ACCESS_KEY_ID: 'AKIDMACTEST',
      AWS_SECRET_ACCESS_KEY: 'secret',
    });

  it('asks KMS once per key and container, signed, and derives the same keys in every container', async () => {
    useKms();
    const first = await macKeys('cursor');
    await macKeys('value-tag');
    expect(calls.map((c) => [c.target, c.body.KeyId, c.body.MacAlgorithm])).toEqual([
      ['TrentService.GenerateMac', 'arn:new', 'HMAC_SHA_256'],
      ['TrentService.GenerateMac', 'arn:old', 'HMAC_SHA_256'],
    ]);
    expect(calls[0].authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDMACTEST\/\d{8}\/eu-west-1\/kms\/aws4_request/);
    useKms(); // another container
    expect(await macKeys('cursor')).toEqual(first);
    expect(first).toHaveLength(2);
  });

  it('verifies what an older key generation signed', async () => {
    configure({
      TESSERA_KEY_SOURCE: 'kms:arn:value',
      TESSERA_MAC_KEYS: 'kms:arn:old',
      AWS_ENDPOINT_URL_KMS: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
      AWS_ACCESS_KEY_ID: 'AKIDMACTEST',
      AWS_SECRET_ACCESS_KEY: 'secret',
    });
    const old = await encodeCursor(scope, POSITION);
    useKms();
    expect(await decodeCursor(scope, old, () => true)).toBe(POSITION);
  });

  it('answers 503 when KMS fails, and tries again on the next request', async () => {
    useKms();
    refuse = true;
    await expect(macKeys('cursor')).rejects.toMatchObject({ code: 'UNAVAILABLE', status: 503 });
    refuse = false;
    expect(await macKeys('cursor')).toHaveLength(2);
  });
});
