// No log line ever carries a token value or a secret (SECURITY.md): every line the process writes
// during the authorizer's flows, at DEBUG, is captured and searched for them.
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { TestApp } from '../helpers/app.ts';

// Before shared/log.ts is loaded: its logger reads the level once. Hence the dynamic imports below.
process.env.TESSERA_LOG_LEVEL = 'DEBUG';

const captured: string[] = [];
const originalWrite = { stdout: process.stdout.write, stderr: process.stderr.write };

function capture(stream: NodeJS.WriteStream) {
  stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    captured.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    const done = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
    done?.();
    return true;
  }) as typeof stream.write;
}

let app: TestApp;
beforeAll(async () => {
  capture(process.stdout);
  capture(process.stderr);
  for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => void captured.push(args.map(String).join(' ')));
  }
  const { startTestApp } = await import('../helpers/app.ts');
  // Inline: every line is searched as this process writes it; in execution environments the
  // authorizer's usage-and-EMF lines reach onLogLine hooks (its log group), not this output.
  app = await startTestApp({ environments: 'inline' });
});
afterAll(async () => {
  await app?.close();
  process.stdout.write = originalWrite.stdout;
  process.stderr.write = originalWrite.stderr;
  vi.restoreAllMocks();
});

describe('logs', () => {
  it('never contain a token value, a legacy secret or their hashes during the authorizer flows', async () => {
    // Prepare
    const { hashValue, sha256Hex, legacyTokenId } = await import('../../shared/token-value.ts');
    const { logger } = await import('../../shared/log.ts');
    const secrets: string[] = [];
    const bob = await app.login('bob');

    // Act: values through both headers, a typo, a malformed value, a renew with grace.
    const { token, value } = await app.createToken(bob, { permissions: ['rules:read'] });
    const typo = value.slice(0, -1) + (value.endsWith('a') ? 'b' : 'a');
    const renewed = (await app.request('POST', `/v1/tokens/${token.id}/renew`, { jwt: bob, body: { graceSeconds: 60 } })).body.value as string;
    const viewed = (await app.request('GET', `/v1/tokens/${token.id}/value`, { jwt: bob })).body.value as string;
    secrets.push(value, typo, renewed, hashValue(value), hashValue(renewed));
    expect(viewed).toBe(renewed);
    await app.callExample(value);
    await app.request('GET', '/example/whoami', { headers: { 'X-API-Token': renewed } });
    await app.callExample(renewed, '/example/events'); // lacks events:read: a logged denial
    await app.callExample(typo);
    await app.callExample(`${value}x`);

    // Legacy: import, a right and a wrong secret, a repeat, a renew.
    const uuid = randomUUID();
    const secret = randomBytes(24).toString('base64url');
    const wrong = `${secret}-wrong`;
    const record = { tenantId: 'acme', userId: 'bob', uuid, secretSha256: sha256Hex(secret) };
    await app.request('POST', '/_local/legacy-import', { body: { credentials: [record, record, { ...record, uuid: 'nope' }] } });
    await app.request('GET', '/example/whoami', { headers: { 'X-API-UUID': uuid, 'X-API-Secret': secret } });
    await app.request('GET', '/example/whoami', { headers: { 'X-API-UUID': uuid, 'X-API-Secret': wrong } });
    const legacyValue = (await app.request('POST', `/v1/tokens/${legacyTokenId(uuid)}/renew`, { jwt: bob, body: {} })).body.value as string;
    await app.callExample(legacyValue);
    secrets.push(secret, wrong, sha256Hex(secret), sha256Hex(wrong), legacyValue);

    // Failures, which log errors: the store failing under the authorizer and under usage counting.
    const fresh = await app.createToken(bob);
    const { failStoreCalls } = await import('../helpers/store-calls.ts');
    let restore = failStoreCalls(app, (c) => c.action === 'BatchGetItem' || c.action === 'GetItem');
    await app.callExample(fresh.value);
    await app.request('GET', '/example/whoami', { headers: { 'X-API-UUID': randomUUID(), 'X-API-Secret': secret } });
    restore();
    restore = failStoreCalls(app, (c) => c.action === 'UpdateItem');
    await app.callExample(fresh.value);
    await app.flushLogs();
    expect(captured.join('')).toContain('log subscription delivery failed');
    restore();
    secrets.push(fresh.value);

    // Owner changes, which log the cascade.
    await app.userEvent('UserChanged', { tenantId: 'acme', userId: 'bob', version: 2, role: 'read_only', status: 'active', authMethod: 'password' });
    await app.callExample(value);

    // A careless call site: the formatter still redacts values and sensitive keys.
    logger.debug('careless', {
      note: `the value is ${renewed}`,
      headers: { authorization: `Bearer ${renewed}`, 'x-api-secret': secret, 'X-API-Token': renewed },
      error: new Error(`rejected ${renewed}`),
    });

    // Assess: the capture saw the flows (so it is not vacuous) and none of the secrets.
    const out = captured.join('');
    expect(out).toContain('"event":"verification","outcome":"denied"');
    expect(out).toContain('authorizer failed');
    expect(out).toContain('user event applied');
    expect(out).toContain('careless');
    for (const s of secrets) expect(out.includes(s), `a log line contains ${s.slice(0, 6)}…`).toBe(false);
    expect(out).not.toMatch(/tsr_[0-9A-Za-z]{20,}/);
  });
});
