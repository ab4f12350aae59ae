// API Gateway's and Lambda's limits, as the local gateway has them: the HTTP API body quota
// (10 MB), Lambda's synchronous payload limit (6 MB), and a whole request read before any answer,
// so a large body answered early never resets the next request on the same connection.
import { Agent, request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';

let app: TestApp;
let agent: Agent;
beforeAll(async () => {
  app = await startTestApp();
  agent = new Agent({ keepAlive: true, maxSockets: 1 });
});
afterAll(async () => {
  agent?.destroy();
  await app?.close();
});

/** One request on the shared keep-alive socket; resolves with status, body and the socket used. */
function send(method: string, path: string, body?: Buffer, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; body: string; socket: unknown }>((resolve, reject) => {
    const req = httpRequest(`${app.url}${path}`, { method, agent, headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, body: text, socket: req.socket }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('gateway limits', () => {
  it('answers a 2 MB body without a JWT with 401 and serves the next request on the same connection', async () => {
    const big = Buffer.alloc(2 * 1024 * 1024, 'a');
    const refused = await send('POST', '/v1/tokens', big);
    const next = await send('GET', '/v1/health');
    expect(refused.status).toBe(401);
    expect(next.status).toBe(200);
    expect(next.socket).toBe(refused.socket);
  });

  it('answers a body over the HTTP API quota (10 MB) with 413, and the connection stays usable', async () => {
    const r = await send('POST', '/v1/tokens', Buffer.alloc(10 * 1024 * 1024 + 1, 'a'));
    expect(r.status).toBe(413);
    expect(JSON.parse(r.body)).toEqual({ message: 'Request Entity Too Large' });
    expect((await send('GET', '/v1/health')).status).toBe(200);
  });

  it('answers an event over Lambda\'s 6 MB synchronous payload with 413 without invoking the function', async () => {
    const jwt = await app.login('bob');
    const r = await send('POST', '/v1/tokens', Buffer.alloc(7 * 1024 * 1024, 'a'), { authorization: `Bearer ${jwt}` });
    expect(r.status).toBe(413);
    expect(JSON.parse(r.body)).toEqual({ message: 'Request Entity Too Large' });
  });

  it("leaves a body between the handler's limit and Lambda's to the handler's own 413", async () => {
    const jwt = await app.login('bob');
    const r = await send('POST', '/v1/tokens', Buffer.alloc(1024 * 1024, 'a'), { authorization: `Bearer ${jwt}` });
    expect(r.status).toBe(413);
    expect(JSON.parse(r.body).error.code).toBe('PAYLOAD_TOO_LARGE');
  });
});
