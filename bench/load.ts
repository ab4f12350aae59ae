// `npm run load`: a bounded load run against the embedded default on 127.0.0.1 (BENCHMARKS.md).
//
// Starts `npm start`'s entry (local/main.ts) in memory on a free local port, in a child process
// so the server and the load generator each get a core, then drives it with autocannon in four
// phases of LOAD_PHASE_SECONDS (default 10): concurrent creates, lists, verifications through
// /example/whoami, and renews. Afterwards it checks that every acknowledged create exists, that
// none is listed twice, and that nothing answered 5xx. Prints the requests per second held and
// the error count per phase; the last line of stdout is one JSON summary. Exit code 1 on any
// lost, duplicated or 5xx answer. Traffic goes to 127.0.0.1 only. Not part of `npm test`.
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { resolve } from 'node:path';

interface Histogram {
  average: number;
  p50: number;
  p99: number;
  max: number;
}
interface CannonResult {
  requests: Histogram & { total: number };
  latency: Histogram;
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  statusCodeStats: Record<string, { count: number }>;
}
interface CannonRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string;
  setupRequest?: (req: CannonRequest, context: Record<string, unknown>) => CannonRequest;
  onResponse?: (status: number, body: string, context: Record<string, unknown>) => void;
}
type Autocannon = (opts: {
  url: string;
  connections: number;
  duration: number;
  timeout?: number;
  requests: CannonRequest[];
}) => Promise<CannonResult>;

const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const PHASE_SECONDS = Number(process.env.LOAD_PHASE_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.LOAD_CONNECTIONS ?? 16);
if (PHASE_SECONDS * 4 > 50) throw new Error('LOAD_PHASE_SECONDS: the whole run must stay within 60 s (at most 12 s a phase)');
const ROOT = resolve(import.meta.dirname, '..');
const HOST = '127.0.0.1';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((res) => server.listen(0, HOST, () => res()));
  const { port } = server.address() as { port: number };
  await new Promise<void>((res) => server.close(() => res()));
  return port;
}

async function startServer(): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), TESSERA_STORE: 'memory', TESSERA_LOG_LEVEL: 'WARN' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  await new Promise<void>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`the server did not start in 30 s: ${stderr}`)), 30_000);
    child.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('Tessera is running at')) {
        clearTimeout(timer);
        res();
      }
    });
    child.once('exit', (code) => rej(new Error(`the server exited (${code}): ${stderr}`)));
  });
  child.stdout!.resume();
  return { url: `http://${HOST}:${port}`, child };
}

async function call(url: string, method: string, path: string, jwt?: string, body?: unknown) {
  const res = await fetch(url + path, {
    method,
    headers: { ...(jwt ? { authorization: `Bearer ${jwt}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

interface PhaseFigures {
  seconds: number;
  requests: number;
  requestsPerSecond: number;
  latencyMs: { p50: number; p99: number; max: number };
  statuses: Record<string, number>;
  errors: number;
  status5xx: number;
  unexpected: number;
}

function figures(r: CannonResult, expected: number[]): PhaseFigures {
  const statuses = Object.fromEntries(Object.entries(r.statusCodeStats ?? {}).map(([k, v]) => [k, Number(v.count)]));
  const total = Object.values(statuses).reduce((a, b) => a + b, 0);
  const status5xx = Object.entries(statuses).filter(([k]) => Number(k) >= 500).reduce((a, [, n]) => a + n, 0);
  const unexpected = Object.entries(statuses).filter(([k]) => !expected.includes(Number(k))).reduce((a, [, n]) => a + n, 0);
  return {
    seconds: r.duration,
    requests: total,
    requestsPerSecond: Math.round(total / r.duration),
    latencyMs: { p50: r.latency.p50, p99: r.latency.p99, max: r.latency.max },
    statuses,
    errors: r.errors + r.timeouts,
    status5xx,
    unexpected,
  };
}

async function main() {
  const started = Date.now();
  const { url, child } = await startServer();
  const stop = () => {
    if (child.exitCode === null) child.kill('SIGTERM');
  };
  process.on('exit', stop);
  try {
    const users = ['bob', 'carol', 'alice', 'erin'];
    const jwts = new Map<string, string>();
    for (const u of users) jwts.set(u, (await call(url, 'POST', '/_local/login', undefined, { tenantId: 'acme', userId: u })).body.accessToken);
    const jwtOf = (u: string) => jwts.get(u)!;
    const phases: Record<string, PhaseFigures> = {};
    const log = (name: string, f: PhaseFigures) =>
      console.log(
        `${name.padEnd(8)} ${String(f.requestsPerSecond).padStart(6)} req/s  p50 ${f.latencyMs.p50} ms  p99 ${f.latencyMs.p99} ms  ` +
          `${f.requests} requests  statuses ${JSON.stringify(f.statuses)}  errors ${f.errors}  5xx ${f.status5xx}`,
      );
    const base = { url, connections: CONNECTIONS, duration: PHASE_SECONDS, timeout: 10 };

    // 1. Creates: every acknowledged (201) token is remembered with its owner and value.
    const acknowledged = new Map<string, { owner: string; value: string }>();
    const duplicateAcks: string[] = [];
    let n = 0;
    const creates = await autocannon({
      ...base,
      requests: [
        {
          method: 'POST',
          path: '/v1/tokens',
          setupRequest: (req, context) => {
            const owner = users[n++ % users.length];
            context.owner = owner;
            return { ...req, headers: { authorization: `Bearer ${jwtOf(owner)}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: `load-${n}`, permissions: ['events:read'] }) };
          },
          onResponse: (status, body, context) => {
            if (status !== 201) return;
            const { token, value } = JSON.parse(body);
            if (acknowledged.has(token.id)) duplicateAcks.push(token.id);
            acknowledged.set(token.id, { owner: context.owner as string, value });
          },
        },
      ],
    });
    log('create', (phases.create = figures(creates, [201])));

    // 2. Lists, as owners and as administrators (who see the whole tenant).
    let l = 0;
    const lists = await autocannon({
      ...base,
      requests: [{ method: 'GET', path: '/v1/tokens?limit=50', setupRequest: (req) => ({ ...req, headers: { authorization: `Bearer ${jwtOf(users[l++ % users.length])}` } }) }],
    });
    log('list', (phases.list = figures(lists, [200])));

    // 3. Verifications through the authorizer (the container cache serves repeats).
    const entries = [...acknowledged.entries()];
    if (entries.length === 0) throw new Error('no create was acknowledged');
    let v = 0;
    const verifies = await autocannon({
      ...base,
      requests: [{ method: 'GET', path: '/example/whoami', setupRequest: (req) => ({ ...req, headers: { authorization: `Bearer ${entries[v++ % entries.length][1].value}` } }) }],
    });
    log('verify', (phases.verify = figures(verifies, [200])));

    // 4. Renews, each token in turn by its owner; a 409 is a lost race, not an error.
    let r = 0;
    const renews = await autocannon({
      ...base,
      requests: [
        {
          method: 'POST',
          setupRequest: (req, context) => {
            const [id, { owner }] = entries[r++ % entries.length];
            context.id = id;
            return { ...req, path: `/v1/tokens/${id}/renew`, headers: { authorization: `Bearer ${jwtOf(owner)}`, 'content-type': 'application/json' }, body: '{}' };
          },
          onResponse: (status, body, context) => {
            if (status === 200) acknowledged.get(context.id as string)!.value = JSON.parse(body).value;
          },
        },
      ],
    });
    log('renew', (phases.renew = figures(renews, [200, 409])));

    // Afterwards: every acknowledged create is there, once; the last renewed values work.
    const listed = new Map<string, number>();
    let cursor: string | null = null;
    do {
      const page = await call(url, 'GET', `/v1/tokens?limit=100${cursor ? `&cursor=${cursor}` : ''}`, jwtOf('alice'));
      if (page.status !== 200) throw new Error(`listing for the check failed: ${page.status}`);
      for (const t of page.body.items) listed.set(t.id, (listed.get(t.id) ?? 0) + 1);
      cursor = page.body.nextCursor;
    } while (cursor);
    const missing = [...acknowledged.keys()].filter((id) => !listed.has(id));
    const duplicated = [...listed].filter(([, count]) => count > 1).map(([id]) => id);
    const phantoms = [...listed.keys()].filter((id) => !acknowledged.has(id));
    // A sample of tokens: the stored value (read back by the owner) verifies. A renew still in
    // flight when its phase ended was applied but never acknowledged: its value differs from the
    // last acknowledged one; there can be at most one such request per connection.
    let sampleFailures = 0;
    let renewedInFlight = 0;
    const sample = [...acknowledged.entries()].filter((_, i) => i % Math.max(1, Math.floor(acknowledged.size / 200)) === 0);
    for (const [id, t] of sample) {
      const stored = await call(url, 'GET', `/v1/tokens/${id}/value`, jwtOf(t.owner));
      if (stored.body?.value !== t.value) renewedInFlight++;
      const res = await fetch(`${url}/example/whoami`, { headers: { authorization: `Bearer ${stored.body?.value}` } });
      await res.arrayBuffer();
      if (res.status !== 200) sampleFailures++;
    }

    const totalErrors = Object.values(phases).reduce((a, f) => a + f.errors + f.unexpected, 0);
    const total5xx = Object.values(phases).reduce((a, f) => a + f.status5xx, 0);
    console.log(
      `acknowledged creates ${acknowledged.size}; listed ${listed.size}; missing ${missing.length}; duplicated ${duplicated.length + duplicateAcks.length}; ` +
        `stored but in flight at the end of the phase ${phantoms.length}; stored values verified ${sample.length - sampleFailures}/${sample.length} ` +
        `(renews in flight at the end: ${renewedInFlight}); 5xx ${total5xx}; errors ${totalErrors}`,
    );
    const ok =
      missing.length === 0 && duplicated.length === 0 && duplicateAcks.length === 0 && total5xx === 0 && totalErrors === 0 &&
      sampleFailures === 0 && phantoms.length <= CONNECTIONS;
    const summary = {
      ok,
      host: HOST,
      connections: CONNECTIONS,
      phaseSeconds: PHASE_SECONDS,
      phases,
      acknowledgedCreates: acknowledged.size,
      listed: listed.size,
      missing: missing.length,
      duplicated: duplicated.length + duplicateAcks.length,
      storedInFlightAtPhaseEnd: phantoms.length,
      verifiedSample: { checked: sample.length, failed: sampleFailures, renewedInFlight },
      total5xx,
      totalErrors,
      wallSeconds: Math.round((Date.now() - started) / 100) / 10,
    };
    console.log(JSON.stringify(summary));
    process.exitCode = ok ? 0 : 1;
  } finally {
    stop();
  }
}

await main();
