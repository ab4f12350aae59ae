// The authorizer's container cache (rules.md §4.4, §6): freshness is measured on the service clock,
// so /_local/time ages it, a revocation ends a cached acceptance within 2 s, and a denial is never
// cached longer than an acceptance. The deny window
// is configured longer than the acceptance window here, to show the configuration cannot make it so.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getConfig } from '../../shared/config.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';

const ACCEPT_SECONDS = 10;

let app: TestApp;
let bob: string;
beforeAll(async () => {
  app = await startTestApp({ env: { TESSERA_AUTH_CACHE_SECONDS: String(ACCEPT_SECONDS), TESSERA_AUTH_DENY_CACHE_SECONDS: '60' } });
  bob = await app.login('bob');
});
afterAll(async () => app?.close());

const setEnabled = (id: string, enabled: boolean) => app.request('PATCH', `/v1/tokens/${id}`, { jwt: bob, body: { enabled } });

describe('authorizer cache', () => {
  it('caps the denial window at the acceptance window', () => {
    expect(getConfig().authorizer).toMatchObject({ cacheSeconds: ACCEPT_SECONDS, denyCacheSeconds: ACCEPT_SECONDS });
  });

  it('refuses a disabled token within 2 s on the service clock though its acceptance is cached', async () => {
    // Prepare: an accepted, therefore cached, value.
    const { token, value } = await app.createToken(bob);
    expect((await app.callExample(value)).status).toBe(200);
    // Act
    expect((await setEnabled(token.id, false)).status).toBe(200);
    await app.advance(2);
    const after = (await app.callExample(value)).status;
    // Assess: the revocation feed ended the cached acceptance long before its window.
    expect(after).toBe(403);
  });

  it('forgets a denial no later than an acceptance would be forgotten', async () => {
    // Prepare: a denied, therefore cached, value.
    const { token, value } = await app.createToken(bob);
    expect((await setEnabled(token.id, false)).status).toBe(200);
    expect((await app.callExample(value)).status).toBe(403);
    // Act
    expect((await setEnabled(token.id, true)).status).toBe(200);
    await app.advance(ACCEPT_SECONDS + 1);
    const r = await app.callExample(value);
    // Assess: the configured 60 s deny window did not hold.
    expect(r.status).toBe(200);
  });
});

describe('authorizer cache: a container silent for longer than the feed\'s 10 s hold', () => {
  // A window longer than the hold: what the container cached before its silence is still fresh.
  let quiet: TestApp;
  let jwt: string;
  beforeAll(async () => {
    quiet = await startTestApp({ env: { TESSERA_AUTH_CACHE_SECONDS: '30' } });
    jwt = await quiet.login('bob');
    await quiet.advance(11); // past the hold that the seeded users' creation announced
  });
  afterAll(async () => quiet?.close());

  it('ends a cached acceptance whose token was disabled while no verification looked at the feed', async () => {
    // Prepare: an accepted, therefore cached, value.
    const { token, value } = await quiet.createToken(jwt);
    expect((await quiet.callExample(value)).status).toBe(200);
    // Act: the change is announced while the container is silent, and stays silent past the hold.
    expect((await quiet.request('PATCH', `/v1/tokens/${token.id}`, { jwt, body: { enabled: false } })).status).toBe(200);
    await quiet.advance(12);
    const after = (await quiet.callExample(value)).status;
    // Assess: the feed was read back to the container's previous look, not only its last 10 s.
    expect(after).toBe(403);
  });
});
