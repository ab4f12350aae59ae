// The one DynamoDB client: explicit timeouts that really end a hanging call, bounded retries
// with jitter, all from shared/config.ts.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { getConfig } from '../../shared/config.ts';
import { store } from '../../shared/store/client.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { installFaults, type FaultInjector } from '../helpers/faults.ts';

let app: TestApp;
let faults: FaultInjector;
let bob: string;

beforeAll(async () => {
  app = await startTestApp({
    env: { TESSERA_SDK_MAX_ATTEMPTS: '2', TESSERA_SDK_REQUEST_TIMEOUT_MS: '800', TESSERA_SDK_CONNECT_TIMEOUT_MS: '800' },
  });
  faults = await installFaults();
  bob = await app.login('bob');
});
afterAll(async () => {
  await faults?.close();
  await app?.close();
});

describe('the store client', () => {
  it('takes its timeouts and retry bound from configuration', async () => {
    // Prepare
    const config = getConfig();
    // Act
    const handler = store().config.requestHandler as unknown as { configProvider: Promise<Record<string, unknown>> };
    const http = await handler.configProvider;
    // Assess
    expect(config.sdk).toEqual({ connectTimeoutMs: 800, requestTimeoutMs: 800, maxAttempts: 2 });
    expect(http.connectionTimeout).toBe(800);
    expect(http.requestTimeout).toBe(800);
    expect(http.throwOnRequestTimeout).toBe(true); // without it the SDK only warns and waits
    expect(await store().config.maxAttempts()).toBe(2);
    expect(store().config.retryMode).toBe('standard');
  });

  it('uses defaults that bound every call when nothing is configured', async () => {
    const { parseConfig } = await import('../../shared/config.ts');
    const base = { TESSERA_TABLE: 'tbl', TESSERA_JWT_ISSUER: 'i', TESSERA_JWT_AUDIENCE: 'a', TESSERA_KEY_SOURCE: 'file:/x' };
    const c = parseConfig(base);
    expect(c.sdk.connectTimeoutMs).toBeGreaterThan(0);
    expect(c.sdk.requestTimeoutMs).toBeGreaterThan(0);
    expect(c.sdk.maxAttempts).toBeGreaterThanOrEqual(1);
    expect(c.sdk.maxAttempts).toBeLessThanOrEqual(5);
    expect(() => parseConfig({ ...base, TESSERA_SDK_MAX_ATTEMPTS: '50' })).toThrow(/TESSERA_SDK_MAX_ATTEMPTS/);
    expect(() => parseConfig({ ...base, TESSERA_SDK_REQUEST_TIMEOUT_MS: '0' })).toThrow(/TESSERA_SDK_REQUEST_TIMEOUT_MS/);
  });

  it('spreads retries with random jitter', async () => {
    // Prepare
    const strategy = (await store().config.retryStrategy()) as unknown as {
      retryBackoffStrategy: { computeNextBackoffDelay(i: number): number; setDelayBase(d: number): void };
    };
    const backoff = strategy.retryBackoffStrategy;
    backoff.setDelayBase(100);
    // Act
    const random = vi.spyOn(Math, 'random');
    random.mockReturnValue(0.01);
    const low = backoff.computeNextBackoffDelay(2);
    random.mockReturnValue(0.99);
    const high = backoff.computeNextBackoffDelay(2);
    random.mockRestore();
    // Assess
    expect(low).toBeLessThan(high);
  });

  it('retries a throttled call and succeeds', async () => {
    // Prepare
    faults.reset();
    faults.failCall(1, 'throughput');
    // Act
    const r = await app.request('GET', '/v1/me', { jwt: bob });
    // Assess
    expect(r.status).toBe(200);
    expect(faults.injected).toBe(1);
    expect(faults.calls).toBe(2);
  });

  it('gives up after the configured attempts with 503 and Retry-After', async () => {
    // Prepare
    faults.reset();
    faults.failAll('throttling');
    // Act
    const r = await app.request('GET', '/v1/me', { jwt: bob });
    const attempts = faults.calls;
    faults.reset();
    // Assess
    expect(r.status).toBe(503);
    expect(r.body.error.code).toBe('UNAVAILABLE');
    expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(attempts).toBe(2);
  });

  it('ends a store call that hangs with 503 instead of waiting for it', async () => {
    // Prepare
    faults.reset();
    faults.failAll('timeout');
    // Act
    const r = await app.request('GET', '/v1/me', { jwt: bob });
    const attempts = faults.calls;
    faults.reset();
    // Assess
    expect(r.status).toBe(503);
    expect(r.body.error.code).toBe('UNAVAILABLE');
    expect(r.headers.get('retry-after')).not.toBeNull();
    expect(attempts).toBe(2);
    expect((await app.request('GET', '/v1/me', { jwt: bob })).status).toBe(200);
  });
});
