// Token usage from the authorizer's log lines: the usage function reads CloudWatch Logs'
// subscription envelope, counts per token and day, and moves lastUsedAt only forward.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeLogsEvent } from '../../shared/cloudwatch-logs.ts';
import { getToken } from '../../shared/store/tokens.ts';
import { readDays } from '../../shared/store/usage.ts';
import { USAGE_FILTER, usageLine, type Outcome } from '../../shared/usage-line.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';

let app: TestApp;
let handler: (event: unknown) => Promise<{ tokens: number; lastUsedWrites: number; dayWrites: number }>;
beforeAll(async () => {
  app = await startTestApp();
  handler = (await import('../../functions/usage.ts')).handler;
});
afterAll(async () => app?.close());

const DAY_MS = 86_400_000;

function delivery(lines: { at: number; outcome: Outcome }[], messageType = 'DATA_MESSAGE') {
  return encodeLogsEvent({
    messageType,
    owner: '123456789012',
    logGroup: '/aws/lambda/tessera-authorizer',
    logStream: '2026/03/01/[$LATEST]abc',
    subscriptionFilters: [USAGE_FILTER.name],
    logEvents: lines.map((l, i) => ({ id: String(i), timestamp: l.at, message: `${usageLine(l.outcome, l.at, true)}\n` })),
  });
}

describe('usage function', () => {
  it('counts a batch per token and day: verified, denied, and lastUsedAt at the latest use', async () => {
    // Prepare
    const { token } = await app.createToken(await app.login('bob'));
    const now = Date.parse((await app.advance(0)).now);
    const today = new Date(now).toISOString().slice(0, 10);
    const yesterday = new Date(now - DAY_MS).toISOString().slice(0, 10);
    const ok = (at: number) => ({ at, outcome: { allowed: true, tokenId: token.id, latencyMs: 1 } });
    const no = (at: number, reason: string) => ({ at, outcome: { allowed: false, tokenId: token.id, reason, latencyMs: 1 } });

    // Act
    const report = await handler(delivery([ok(now - DAY_MS), no(now - DAY_MS, 'mismatch'), ok(now - 5000), ok(now - 2000), no(now - 1000, 'permission_missing')]));
    await handler(delivery([ok(now - 1000)])); // another batch, same day: counts add up

    // Assess
    expect(report).toEqual({ tokens: 1, lastUsedWrites: 1, dayWrites: 2 });
    const days = await readDays(token.id, yesterday, today);
    expect(days.get(yesterday)).toEqual({ verified: 1, denied: 1 });
    expect(days.get(today)).toEqual({ verified: 3, denied: 1 });
    expect((await getToken(token.id, true))!.lastUsedAt).toBe(new Date(now - 2000).toISOString());
  });

  it('never moves lastUsedAt back, nor forward by less than a minute', async () => {
    // Prepare
    const { token } = await app.createToken(await app.login('bob'));
    const now = Date.parse((await app.advance(0)).now);
    const use = (at: number) => delivery([{ at, outcome: { allowed: true, tokenId: token.id, latencyMs: 1 } }]);
    await handler(use(now));

    // Act
    const older = await handler(use(now - 120_000));
    const soon = await handler(use(now + 30_000));
    const later = await handler(use(now + 61_000));

    // Assess
    expect([older.lastUsedWrites, soon.lastUsedWrites, later.lastUsedWrites]).toEqual([0, 0, 1]);
    expect((await getToken(token.id, true))!.lastUsedAt).toBe(new Date(now + 61_000).toISOString());
  });

  it('ignores a control message, a foreign line and an event that is not a delivery', async () => {
    const { token } = await app.createToken(await app.login('bob'));
    const now = Date.parse((await app.advance(0)).now);
    const control = await handler(delivery([{ at: now, outcome: { allowed: true, tokenId: token.id, latencyMs: 1 } }], 'CONTROL_MESSAGE'));
    const foreign = await handler(encodeLogsEvent({
      messageType: 'DATA_MESSAGE', owner: '1', logGroup: 'g', logStream: 's', subscriptionFilters: ['f'],
      logEvents: [{ id: '1', timestamp: now, message: `{"event":"other","tokenId":"${token.id}"}` }, { id: '2', timestamp: now, message: 'REPORT RequestId: x' }],
    }));
    const garbage = await handler({ awslogs: { data: 'not base64 gzip' } });
    expect([control, foreign, garbage].map((r) => r.tokens)).toEqual([0, 0, 0]);
    expect((await getToken(token.id, true))!.lastUsedAt).toBeNull();
  });

  it('counts verifications through the gateway from the forwarded log lines, denials by a known token included', async () => {
    // Prepare
    const jwt = await app.login('bob');
    const { token, value } = await app.createToken(jwt, { permissions: ['rules:read'] });
    const typo = value.slice(0, -1) + (value.endsWith('a') ? 'b' : 'a');
    const today = new Date(Date.parse((await app.advance(0)).now)).toISOString().slice(0, 10);

    // Act: two acceptances, and a refusal on a route that needs events:read.
    await app.callExample(value);
    await app.callExample(value);
    const refused = await app.callExample(value, '/example/events');
    await app.callExample(typo); // a mistyped value is refused before any read and names no token
    await app.flushLogs();

    // Assess
    expect(refused.status).toBe(403);
    expect((await readDays(token.id, today, today)).get(today)).toEqual({ verified: 2, denied: 1 });
  });
});

describe('GET /v1/tokens/{id}/usage', () => {
  it('answers every day of the window, oldest first, zeros included, with lastUsedAt', async () => {
    // Prepare
    const jwt = await app.login('bob');
    const { token, value } = await app.createToken(jwt);
    await app.callExample(value);
    await app.flushLogs();
    const today = new Date(Date.parse((await app.advance(0)).now)).toISOString().slice(0, 10);

    // Act
    const week = await app.request('GET', `/v1/tokens/${token.id}/usage?days=7`, { jwt });
    const fallback = await app.request('GET', `/v1/tokens/${token.id}/usage`, { jwt });

    // Assess
    expect(week.status).toBe(200);
    expect(week.body.tokenId).toBe(token.id);
    expect(week.body.lastUsedAt).not.toBeNull();
    expect(week.body.days).toHaveLength(7);
    expect(week.body.days.at(-1)).toEqual({ date: today, verified: 1, denied: 0 });
    expect(week.body.days.slice(0, 6).every((d: { verified: number; denied: number }) => d.verified === 0 && d.denied === 0)).toBe(true);
    const dates = week.body.days.map((d: { date: string }) => d.date);
    expect(dates).toEqual([...dates].sort());
    expect(new Set(dates).size).toBe(7);
    expect(fallback.body.days).toHaveLength(30);
  });

  it('is visible to whoever may see the token, and to nobody else (404)', async () => {
    const { token } = await app.createToken(await app.login('bob'));
    expect((await app.request('GET', `/v1/tokens/${token.id}/usage`, { jwt: await app.login('alice') })).status).toBe(200); // admin
    expect((await app.request('GET', `/v1/tokens/${token.id}/usage`, { jwt: await app.login('carol') })).status).toBe(404);
    expect((await app.request('GET', `/v1/tokens/${token.id}/usage`, { jwt: await app.login('gina', 'globex') })).status).toBe(404);
  });

  it.each(['0', '91', '-1', 'text', '1.5', '', '1e1'])('refuses days=%j with 400 VALIDATION', async (days) => {
    const jwt = await app.login('bob');
    const { token } = await app.createToken(jwt);
    const r = await app.request('GET', `/v1/tokens/${token.id}/usage?days=${encodeURIComponent(days)}`, { jwt });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('VALIDATION');
    expect(r.body.error.fields[0].path).toBe('query.days');
  });
});

describe('GET /v1/tokens?unusedForDays=N', () => {
  it('lists tokens not used for N days, never-used ones included', async () => {
    // Prepare: one token used now, one never used.
    await app.userEvent('UserChanged', { tenantId: 'acme', userId: 'unused-owner', version: 1, role: 'analyst', status: 'active', authMethod: 'password' });
    let jwt = await app.login('unused-owner');
    const used = await app.createToken(jwt, { name: 'used' });
    const idle = await app.createToken(jwt, { name: 'idle' });
    await app.callExample(used.value);
    await app.flushLogs();
    const names = async (days: number) =>
      (await app.request('GET', `/v1/tokens?unusedForDays=${days}`, { jwt })).body.items.map((t: { name: string }) => t.name).sort();

    // Act + Assess: used today, so not unused for a day; after 3 days, unused for 2 but not 4.
    expect(await names(1)).toEqual(['idle']);
    await app.advance(3 * 86_400);
    jwt = await app.login('unused-owner'); // the first sign-in expired meanwhile
    expect(await names(2)).toEqual(['idle', 'used']);
    expect(await names(4)).toEqual(['idle']);
    expect(idle.token.lastUsedAt).toBeNull();
  });

  it.each(['0', '3651', '-1', 'text', '2.5'])('refuses unusedForDays=%j with 400 VALIDATION', async (n) => {
    const r = await app.request('GET', `/v1/tokens?unusedForDays=${encodeURIComponent(n)}`, { jwt: await app.login('bob') });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('VALIDATION');
    expect(r.body.error.fields[0].path).toBe('query.unusedForDays');
  });
});
