// Starts the real local runtime for a test file: the shared embedded store, a fresh table, the
// seeded demo tenant, a random port. `api` speaks HTTP to it as any client would.
import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { startLocal, type LocalApp, type LocalOptions } from '../../local/app.ts';

export interface Reply<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface TestApp extends LocalApp {
  request<T = any>(method: string, path: string, opts?: { jwt?: string; body?: unknown; raw?: string; headers?: Record<string, string> }): Promise<Reply<T>>;
  login(userId: string, tenantId?: string): Promise<string>;
  /** POST /_local/events */
  userEvent(detailType: string, detail: Record<string, unknown>): Promise<Reply>;
  /** POST /v1/tokens as the JWT's user; returns {token, value}. */
  createToken(jwt: string, body?: Record<string, unknown>): Promise<{ token: any; value: string }>;
  /** GET /example/{path} with a token value. */
  callExample(value: string, path?: string, headers?: Record<string, string>): Promise<Reply>;
  advance(seconds: number): Promise<any>;
}

let current: TestApp | undefined;

/** The test app this file started last (the fault injector and snapshots act on its store). */
export function currentApp(): TestApp {
  if (!current) throw new Error('start the test app first (startTestApp)');
  return current;
}

export async function startTestApp(options: LocalOptions = {}): Promise<TestApp> {
  const app = await startLocal({
    port: 0,
    storeEndpoint: inject('storeEndpoint'),
    tableName: `t-${randomUUID()}`,
    sweepEveryMs: 0,
    ...options,
  });
  const request: TestApp['request'] = async (method, path, opts = {}) => {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.jwt) headers.authorization = `Bearer ${opts.jwt}`;
    let body: string | undefined = opts.raw;
    if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(app.url + path, { method, headers, body });
    const text = await res.text();
    let parsed: unknown = undefined;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = text;
    }
    return { status: res.status, headers: res.headers, body: parsed as any, text };
  };
  const login = async (userId: string, tenantId = 'acme') => {
    const r = await request('POST', '/_local/login', { body: { tenantId, userId } });
    if (r.status !== 200) throw new Error(`login failed: ${r.text}`);
    return r.body.accessToken as string;
  };
  current = {
    ...app,
    request,
    login,
    userEvent: (detailType, detail) => request('POST', '/_local/events', { body: { detailType, detail } }),
    createToken: async (jwt, body = {}) => {
      const r = await request('POST', '/v1/tokens', { jwt, body: { name: 'test token', permissions: ['events:read'], ...body } });
      if (r.status !== 201) throw new Error(`create failed: ${r.status} ${r.text}`);
      return r.body;
    },
    callExample: (value, path = '/example/whoami', headers = {}) => request('GET', path, { headers: { authorization: `Bearer ${value}`, ...headers } }),
    advance: async (seconds) => (await request('POST', '/_local/time', { body: { advanceSeconds: seconds } })).body,
  };
  return current;
}
