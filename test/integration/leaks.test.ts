// Leaked-token reports over HTTP (docs/rules.md §1.15): GitHub's secret-scanning payload, signed
// with a key pair this test makes and writes to the key file; a wrong key, an unknown key id and
// a tampered body are 401; oversized and malformed reports are 400; nothing changes on a refusal;
// a replay changes nothing more.
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintUntaggedValue } from '../../shared/token-value.ts';
import { startTestApp, type Reply, type TestApp } from '../helpers/app.ts';

let app: TestApp;
let bob: string;
let dir: string;
const pair = () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const github = pair();
const stranger = pair();
const KEY_ID = 'bcb53661c06b4728e59d897fb6165d5c9cda0fd9cdf9d09ead458168deb7518c';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tessera-leak-keys-'));
  const keyFile = join(dir, 'keys.json');
  writeFileSync(keyFile, JSON.stringify({
    public_keys: [
      { key_identifier: 'old', key: pair().publicKey.export({ type: 'spki', format: 'pem' }), is_current: false },
      { key_identifier: KEY_ID, key: github.publicKey.export({ type: 'spki', format: 'pem' }), is_current: true },
    ],
  }));
  app = await startTestApp({ env: { TESSERA_LEAK_KEYS: keyFile } });
  bob = await app.login('bob');
});
afterAll(async () => {
  await app?.close();
  rmSync(dir, { recursive: true, force: true });
});

const sha = (text: string) => createHash('sha256').update(text).digest('hex');
const entry = (token: string, url = 'https://github.com/octo/repo/blob/abc/config.yml') => ({ token, type: 'tessera_api_token', url, source: 'content' });

function report(body: string, opts: { key?: KeyObject; keyId?: string; signature?: string | null } = {}): Promise<Reply> {
  const signature = opts.signature === undefined ? sign('sha256', Buffer.from(body), opts.key ?? github.privateKey).toString('base64') : opts.signature;
  const headers: Record<string, string> = { 'content-type': 'application/json', 'github-public-key-identifier': opts.keyId ?? KEY_ID };
  if (signature !== null) headers['github-public-key-signature'] = signature;
  return app.request('POST', '/v1/leaks', { raw: body, headers });
}

const tokenOf = async (id: string) => (await app.request('GET', `/v1/tokens/${id}`, { jwt: bob })).body;

describe('POST /v1/leaks', () => {
  it('disables an active token at once, labels each value by its hash, and never echoes a value', async () => {
    const active = await app.createToken(bob);
    const disabled = await app.createToken(bob);
    await app.request('PATCH', `/v1/tokens/${disabled.token.id}`, { jwt: bob, body: { enabled: false } });
    expect((await app.callExample(active.value)).status).toBe(200);
    const body = JSON.stringify([entry(active.value), entry('ghp_notours'), entry(disabled.value)]);
    const r = await report(body);
    expect(r.status).toBe(200);
    expect(r.body).toEqual([
      { token_hash: sha(active.value), token_type: 'tessera_api_token', label: 'true_positive' },
      { token_hash: sha('ghp_notours'), token_type: 'tessera_api_token', label: 'false_positive' },
      { token_hash: sha(disabled.value), token_type: 'tessera_api_token', label: 'false_positive' },
    ]);
    expect(r.text).not.toContain('tsr_');
    expect(await tokenOf(active.token.id)).toMatchObject({ status: 'disabled', disabledReason: 'leaked' });
    expect((await tokenOf(disabled.token.id)).disabledReason).toBe('manual');
    await app.advance(2); // the revocation bound (docs/rules.md §1.6), though the acceptance above was cached
    expect((await app.callExample(active.value)).status).toBe(403);
    const [last] = (await app.request('GET', `/v1/audit?tokenId=${active.token.id}`, { jwt: bob })).body.items;
    expect(last).toMatchObject({ action: 'disabled', actor: { type: 'system', reason: 'leak_report' }, reason: 'leaked', url: 'https://github.com/octo/repo/blob/abc/config.yml' });
    const leaked = app.bus.published.filter((e) => e.detailType === 'TokenLeaked' && e.detail.tokenId === active.token.id);
    expect(leaked).toHaveLength(1);
    expect(leaked[0].detail).toMatchObject({ ownerId: 'bob', url: 'https://github.com/octo/repo/blob/abc/config.yml', source: 'content' });
    expect(JSON.stringify(leaked)).not.toContain('tsr_');
  });

  it('answers a replayed report the same and changes nothing more', async () => {
    const { token, value } = await app.createToken(bob);
    const body = JSON.stringify([entry(value), entry(value)]);
    const first = await report(body);
    expect(first.body.map((v: any) => v.label)).toEqual(['true_positive', 'true_positive']);
    const after = await tokenOf(token.id);
    const events = app.bus.published.length;
    const entries = (await app.request('GET', `/v1/audit?tokenId=${token.id}`, { jwt: bob })).body.items.length;
    const again = await report(body);
    expect(again.body).toEqual(first.body);
    expect(await tokenOf(token.id)).toEqual(after);
    expect(app.bus.published.length).toBe(events);
    expect((await app.request('GET', `/v1/audit?tokenId=${token.id}`, { jwt: bob })).body.items).toHaveLength(entries);
  });

  it('does not disable a token for a value that is not its own (same id, another secret)', async () => {
    const { token } = await app.createToken(bob);
    const forged = mintUntaggedValue(token.id, 'acme', 'bob');
    const r = await report(JSON.stringify([entry(forged)]));
    expect(r.body[0].label).toBe('false_positive');
    expect((await tokenOf(token.id)).status).toBe('enabled');
  });

  it.each([
    ['a wrong key', { key: stranger.privateKey }],
    ['an unknown key id', { keyId: 'not-a-github-key' }],
    ['no signature', { signature: null }],
    ['a signature that is not base64', { signature: '%%%' }],
  ])('refuses a report signed with %s: 401, nothing changed', async (_what, opts) => {
    const { token, value } = await app.createToken(bob);
    const r = await report(JSON.stringify([entry(value)]), opts);
    expect(r.status).toBe(401);
    expect(r.body.error.code).toBe('UNAUTHENTICATED');
    expect((await tokenOf(token.id)).status).toBe('enabled');
  });

  it('refuses a body changed after signing: 401, nothing changed', async () => {
    const { token, value } = await app.createToken(bob);
    const signedFor = JSON.stringify([entry('ghp_other')]);
    const signature = sign('sha256', Buffer.from(signedFor), github.privateKey).toString('base64');
    const r = await report(JSON.stringify([entry(value)]), { signature });
    expect(r.status).toBe(401);
    expect((await tokenOf(token.id)).status).toBe('enabled');
  });

  it.each([
    ['more than 1,000 entries', (v: string) => JSON.stringify(Array.from({ length: 1001 }, (_, i) => entry(i === 0 ? v : `x${i}`)))],
    ['more than 1 MiB', (v: string) => JSON.stringify([entry(v), entry('x'.repeat(1024), `https://e.x/${'a'.repeat(1024 * 1024)}`)])],
    ['an entry without a token', (v: string) => JSON.stringify([entry(v), { type: 't', url: 'u', source: 's' }])],
    ['an object instead of a list', (v: string) => JSON.stringify({ token: v, type: 't', url: 'u', source: 's' })],
    ['text that is not JSON', (v: string) => `[${JSON.stringify(entry(v))}`],
  ])('refuses a signed report with %s: 400, nothing changed', async (_what, build) => {
    const { token, value } = await app.createToken(bob);
    const r = await report(build(value));
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('VALIDATION');
    expect((await tokenOf(token.id)).status).toBe('enabled');
  });

  it('needs no JWT and ignores one', async () => {
    const { value } = await app.createToken(bob);
    const body = JSON.stringify([entry(value)]);
    const signature = sign('sha256', Buffer.from(body), github.privateKey).toString('base64');
    const r = await app.request('POST', '/v1/leaks', {
      raw: body, jwt: bob, headers: { 'github-public-key-identifier': KEY_ID, 'github-public-key-signature': signature },
    });
    expect(r.status).toBe(200);
  });
});
