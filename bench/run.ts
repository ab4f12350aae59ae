// `npm run bench [-- --quick]`: the performance figures of BENCHMARKS.md, measured against the embedded
// store. Seeds one tenant, then measures each figure as rounds after a warm-up and reports min /
// median / max. Prints a table; the last line of stdout is one JSON object with the figures.
//
// dynalite runs in a child process (bench/store.ts), so the store and the client each get a core.
import './env.ts';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { credentialsEnv, LOCAL_RUNTIME } from '../local/identities.ts';
import { ensureKeyRing } from '../local/keys.ts';
import { ensureTable } from '../local/table.ts';
import { getConfig, resetConfig } from '../shared/config.ts';
import { applyUserEvent } from '../shared/domain/users.ts';
import { clearVerifyCaches } from '../shared/domain/verify.ts';
import { permissionMap } from '../shared/routes.ts';
import { resetStore, store } from '../shared/store/client.ts';
import { tokenKeys } from '../shared/store/keys.ts';
import { toItem } from '../shared/store/tokens.ts';
import { buildAuthorizer, invokeBundle, measureInit } from './bundle.ts';
import { authorizerEvent, routeEvent } from './events.ts';
import { closedLoop, fmt, latencies, percentile, progress, summarize, type Summary, type Throughput } from './harness.ts';
import { PERMISSIONS_BY_ROLE, batchWrite, seedTenant, userItem, type SeedToken } from './seed.ts';
import { startStoreProcess } from './store.ts';

const quick = process.argv.includes('--quick');

const SIZES = quick
  ? { users: 1_000, tokens: 12_000, heavyTokens: 2_000, rounds: 3, opsPerRound: 1_000, warmupOps: 500, latencyOps: 300, cachedOps: 100_000, lambdaCachedOps: 20_000, creates: 300, listPages: 10, cascadeRounds: 1 }
  : { users: 10_000, tokens: 100_000, heavyTokens: 10_000, rounds: 5, opsPerRound: 5_000, warmupOps: 2_000, latencyOps: 1_000, cachedOps: 500_000, lambdaCachedOps: 100_000, creates: 1_000, listPages: 20, cascadeRounds: 3 };
/** In-flight operations for the side-by-side GetItem / verification rounds and for creates. */
const CONCURRENCY = 16;
const TABLE = 'tessera-bench';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Handler = (event: any, context?: any) => Promise<any>;

interface Row {
  figure: string;
  unit: string;
  summary: Summary;
  note?: string;
}
const rows: Row[] = [];
const record = (figure: string, unit: string, summary: Summary, note?: string): Summary => {
  rows.push({ figure, unit, summary, note });
  return summary;
};
const rates = (runs: Throughput[]) => summarize(runs.map((r) => r.opsPerSec));
const cpu = (runs: Throughput[]) => summarize(runs.map((r) => r.cpuUsPerOp));
const ratios = (a: number[], b: number[]) => summarize(a.map((x, i) => x / b[i]));

/** Cached verifications in a child process with Lambda's metrics on (EMF lines to /dev/null). */
function cachedWithLambdaMetrics(value: string): Promise<number[]> {
  const child = fork(fileURLToPath(new URL('./cached-lambda.ts', import.meta.url)), {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    env: {
      ...process.env,
      AWS_LAMBDA_FUNCTION_NAME: 'tessera-authorizer',
      TESSERA_AUTH_CACHE_SECONDS: '10',
      BENCH_VALUE: value,
      BENCH_ROUNDS: String(SIZES.rounds),
      BENCH_OPS: String(SIZES.lambdaCachedOps),
    },
  });
  return new Promise((resolve, reject) => {
    child.once('message', (m) => resolve((m as { rates: number[] }).rates));
    child.once('exit', (code) => (code ? reject(new Error(`cached-lambda exited with ${code}`)) : undefined));
  });
}

async function main() {
  const startedAt = performance.now();
  const load = loadavg();
  const dir = mkdtempSync(join(tmpdir(), 'tessera-bench-'));
  const storeProcess = await startStoreProcess();
  try {
    Object.assign(process.env, {
      TESSERA_TABLE: TABLE,
      TESSERA_STORE_ENDPOINT: storeProcess.endpoint,
      TESSERA_JWT_ISSUER: 'https://issuer.example/',
      TESSERA_JWT_AUDIENCE: 'tessera-bench',
      TESSERA_KEY_SOURCE: `file:${ensureKeyRing(dir)}`,
      TESSERA_ROUTE_PERMISSIONS: JSON.stringify(permissionMap('example')),
      TESSERA_AUTH_CACHE_SECONDS: '0',
      AWS_REGION: 'us-east-1',
      // The store client signs with the environment's credentials, as in Lambda.
      ...credentialsEnv(LOCAL_RUNTIME),
    });
    resetConfig();
    resetStore();
    await ensureTable(storeProcess.endpoint, getConfig().tableName);

    // ---- seed --------------------------------------------------------------------------------
    progress(`seeding ${fmt(SIZES.users)} users and ${fmt(SIZES.tokens)} tokens`);
    const seeded = await seedTenant(SIZES);
    const loadPerSec = seeded.itemsLoaded / seeded.loadSeconds;
    progress(`loaded ${fmt(seeded.itemsLoaded)} items in ${seeded.loadSeconds.toFixed(1)} s (${fmt(loadPerSec)} items/s)`);

    const authorizer: Handler = (await import('../functions/authorizer.ts')).handler;
    const createHandler: Handler = (await import('../functions/tokens-create.ts')).handler;
    const listHandler: Handler = (await import('../functions/tokens-list.ts')).handler;

    // The seeded items must be what the real code accepts, or every figure below is wrong.
    for (const t of seeded.tokens.slice(-3)) {
      const out = await authorizer(authorizerEvent(t.value));
      if (!out.isAuthorized || out.context.tokenId !== t.id) throw new Error(`seeded token ${t.id} was not accepted: ${JSON.stringify(out)}`);
    }

    // ---- GetItem floor and uncached verification, side by side --------------------------------
    // Each token is verified for the first time in the run, so neither the decision cache nor the
    // once-a-minute lastUsedAt throttle helps: a read and a lastUsedAt write per verification.
    // Verifying the same tokens again at once is the read alone (no decision cache, write skipped).
    let cursor = 0;
    const take = (n: number): SeedToken[] => {
      if (cursor + n > seeded.tokens.length) throw new Error('the seed has too few tokens for distinct verifications');
      cursor += n;
      return seeded.tokens.slice(cursor - n, cursor);
    };
    const getItem = (t: SeedToken) => store().send(new GetCommand({ TableName: TABLE, Key: tokenKeys.primary(t.id) }));
    const verify = async (t: SeedToken) => {
      const out = await authorizer(authorizerEvent(t.value));
      if (!out.isAuthorized) throw new Error(`token ${t.id} denied`);
    };
    const loop = (batch: SeedToken[], op: (t: SeedToken) => Promise<unknown>) => closedLoop(batch.length, CONCURRENCY, (i) => op(batch[i]));

    progress(`GetItem vs uncached verification: ${SIZES.rounds} rounds of ${fmt(SIZES.opsPerRound)}, concurrency ${CONCURRENCY}`);
    await loop(take(SIZES.warmupOps), getItem);
    await loop(take(SIZES.warmupOps), verify);
    const floorRuns: Throughput[] = [];
    const firstRuns: Throughput[] = [];
    const repeatRuns: Throughput[] = [];
    for (let r = 0; r < SIZES.rounds; r++) {
      const floorBatch = take(SIZES.opsPerRound);
      const verifyBatch = take(SIZES.opsPerRound);
      // Alternate which goes first, so neither always runs after the other's garbage.
      if (r % 2 === 0) {
        floorRuns.push(await loop(floorBatch, getItem));
        firstRuns.push(await loop(verifyBatch, verify));
      } else {
        firstRuns.push(await loop(verifyBatch, verify));
        floorRuns.push(await loop(floorBatch, getItem));
      }
      repeatRuns.push(await loop(verifyBatch, verify));
    }
    const floor = record('GetItem of a token (the floor)', 'ops/s', rates(floorRuns), `concurrency ${CONCURRENCY}`);
    const first = record('Verify uncached, first use', 'ops/s', rates(firstRuns), 'read + lastUsedAt write');
    const repeat = record('Verify uncached, used <1 min ago', 'ops/s', rates(repeatRuns), 'read only');
    record('  ratio first use / GetItem', 'ratio', ratios(firstRuns.map((r) => r.opsPerSec), floorRuns.map((r) => r.opsPerSec)), 'per round');
    record('  ratio read only / GetItem', 'ratio', ratios(repeatRuns.map((r) => r.opsPerSec), floorRuns.map((r) => r.opsPerSec)), 'per round');
    const floorCpu = record('Client CPU per GetItem', 'µs', cpu(floorRuns), 'bench process, all cores');
    const firstCpu = record('Client CPU per verification, first use', 'µs', cpu(firstRuns));
    const repeatCpu = record('Client CPU per verification, read only', 'µs', cpu(repeatRuns));
    record('  ratio GetItem CPU / first use CPU', 'ratio', ratios(floorRuns.map((r) => r.cpuUsPerOp), firstRuns.map((r) => r.cpuUsPerOp)), 'per round');
    record('  ratio GetItem CPU / read-only CPU', 'ratio', ratios(floorRuns.map((r) => r.cpuUsPerOp), repeatRuns.map((r) => r.cpuUsPerOp)), 'per round');

    progress(`uncached latency: ${SIZES.rounds} rounds of ${SIZES.latencyOps} sequential verifications`);
    const firstP50: number[] = [];
    const firstP99: number[] = [];
    const repeatP50: number[] = [];
    const repeatP99: number[] = [];
    const floorP50: number[] = [];
    const floorP99: number[] = [];
    for (let r = 0; r < SIZES.rounds; r++) {
      const batch = take(SIZES.latencyOps);
      const once = await latencies(batch.length, (i) => verify(batch[i]));
      const again = await latencies(batch.length, (i) => verify(batch[i]));
      const floorBatch = take(SIZES.latencyOps);
      const bare = await latencies(floorBatch.length, (i) => getItem(floorBatch[i]));
      firstP50.push(percentile(once, 50));
      firstP99.push(percentile(once, 99));
      repeatP50.push(percentile(again, 50));
      repeatP99.push(percentile(again, 99));
      floorP50.push(percentile(bare, 50));
      floorP99.push(percentile(bare, 99));
    }
    const p50 = record('Verify uncached, first use, p50', 'ms', summarize(firstP50), 'concurrency 1');
    const p99 = record('Verify uncached, first use, p99', 'ms', summarize(firstP99), 'concurrency 1');
    const readP50 = record('Verify uncached, read only, p50', 'ms', summarize(repeatP50), 'concurrency 1');
    const readP99 = record('Verify uncached, read only, p99', 'ms', summarize(repeatP99), 'concurrency 1');
    const getP50 = record('GetItem p50', 'ms', summarize(floorP50), 'concurrency 1');
    const getP99 = record('GetItem p99', 'ms', summarize(floorP99), 'concurrency 1');

    // ---- cached verification: one core, no I/O --------------------------------------------------
    process.env.TESSERA_AUTH_CACHE_SECONDS = '10';
    resetConfig();
    clearVerifyCaches();
    const hot = take(1)[0];
    const hotEvent = authorizerEvent(hot.value);
    progress(`cached verification: ${SIZES.rounds} rounds of ${fmt(SIZES.cachedOps)} sequential calls, then as in Lambda`);
    const cachedRound = async (n: number) => {
      const t0 = performance.now();
      for (let i = 0; i < n; i++) {
        const out = await authorizer(hotEvent);
        if (!out.isAuthorized) throw new Error('cached verification denied');
      }
      return n / ((performance.now() - t0) / 1000);
    };
    await cachedRound(SIZES.cachedOps / 5);
    const cachedRates: number[] = [];
    for (let r = 0; r < SIZES.rounds; r++) cachedRates.push(await cachedRound(SIZES.cachedOps));
    const cached = record('Verify cached (same value, in window)', 'ops/s', summarize(cachedRates), 'one core, sequential');
    const cachedLambda = record('Verify cached, Lambda metrics on', 'ops/s', summarize(await cachedWithLambdaMetrics(hot.value)), '2 EMF lines each, to /dev/null');
    process.env.TESSERA_AUTH_CACHE_SECONDS = '0';
    resetConfig();

    // ---- management API: create and list --------------------------------------------------------
    const creators = seeded.users.filter((u) => u !== seeded.heavy);
    const create = async (i: number) => {
      const user = creators[i % creators.length];
      const body = { name: `created ${i}`, permissions: PERMISSIONS_BY_ROLE[user.role].slice(0, 1) };
      const out = await createHandler(routeEvent(user, 'POST /v1/tokens', { body }));
      if (out.statusCode !== 201) throw new Error(`create failed: ${out.statusCode} ${out.body}`);
    };
    progress(`create: ${SIZES.rounds} rounds of ${SIZES.creates}, concurrency ${CONCURRENCY}`);
    await closedLoop(SIZES.creates / 2, CONCURRENCY, create);
    const createRuns: Throughput[] = [];
    for (let r = 0; r < SIZES.rounds; r++) createRuns.push(await closedLoop(SIZES.creates, CONCURRENCY, (i) => create((r + 1) * SIZES.creates + i)));
    const creates = record('Create token (handler)', 'ops/s', rates(createRuns), `concurrency ${CONCURRENCY}`);

    // A round walks `listPages` pages of 100 with the cursor; the figure is each round's median page.
    const listWalk = async (user: { tenantId: string; userId: string }, pages: number) => {
      const times: number[] = [];
      let next: string | undefined;
      for (let p = 0; p < pages; p++) {
        const query: Record<string, string> = { limit: '100', ...(next ? { cursor: next } : {}) };
        const t0 = performance.now();
        const out = await listHandler(routeEvent(user, 'GET /v1/tokens', { query }));
        times.push(performance.now() - t0);
        if (out.statusCode !== 200) throw new Error(`list failed: ${out.statusCode} ${out.body}`);
        const body = JSON.parse(out.body);
        if (body.items.length !== 100) throw new Error(`list page of ${body.items.length}`);
        next = body.nextCursor ?? undefined;
        if (!next) break;
      }
      return percentile(times.sort((a, b) => a - b), 50);
    };
    progress(`list: ${SIZES.rounds} rounds of ${SIZES.listPages} pages of 100`);
    await listWalk(seeded.admin, 3);
    const listAdmin: number[] = [];
    const listOwner: number[] = [];
    for (let r = 0; r < SIZES.rounds; r++) {
      listAdmin.push(await listWalk(seeded.admin, SIZES.listPages));
      listOwner.push(await listWalk(seeded.heavy, SIZES.listPages));
    }
    const list = record('List page of 100, administrator (byTenant)', 'ms', summarize(listAdmin), `tenant of ${fmt(seeded.itemsLoaded)} items`);
    record('List page of 100, owner (byOwner)', 'ms', summarize(listOwner), `owner of ${fmt(seeded.heavyTokens.length)} tokens`);

    // ---- cascade: the heavy user is disabled ----------------------------------------------------
    const heavy = seeded.heavy;
    let version = 1;
    const disable = (u: typeof heavy) =>
      applyUserEvent({ detailType: 'UserChanged', detail: { tenantId: u.tenantId, userId: u.userId, version: ++version, role: u.role, status: 'disabled', authMethod: 'password' } });
    progress(`cascade: ${SIZES.cascadeRounds} round(s) disabling a user with ${fmt(seeded.heavyTokens.length)} tokens`);
    for (const u of creators.slice(2, 22)) await disable(u); // warm-up: small cascades
    const cascadeTimes: number[] = [];
    for (let r = 0; r < SIZES.cascadeRounds; r++) {
      if (r > 0) {
        // Reset: the user active again and every token enabled, written directly.
        await batchWrite([userItem(heavy, ++version, 'active', new Date().toISOString()), ...seeded.heavyRecords.map(toItem)]);
      }
      const t0 = performance.now();
      const report = await disable(heavy);
      cascadeTimes.push((performance.now() - t0) / 1000);
      if (report.disabled !== seeded.heavyTokens.length) throw new Error(`cascade disabled ${report.disabled} of ${seeded.heavyTokens.length}`);
    }
    const cascade = record(`Cascade: disable a user with ${fmt(seeded.heavyTokens.length)} tokens`, 's', summarize(cascadeTimes), 'applyUserEvent');

    // ---- the deployed bundle ---------------------------------------------------------------------
    progress('bundling the authorizer as CDK deploys it (infra/bundling.ts); 10 cold imports');
    const probeValue = take(1)[0];
    const bundle = await buildAuthorizer(join(dir, 'bundle'));
    // Credentials from the environment only, as in Lambda: the seeded token must still pass.
    const answer = invokeBundle(bundle.outfile, storeProcess.endpoint, TABLE, authorizerEvent(probeValue.value)) as { isAuthorized?: boolean };
    if (!answer?.isAuthorized) throw new Error(`the bundle ${bundle.outfile} did not accept a seeded token: ${JSON.stringify(answer)}`);
    const init = record('Authorizer bundle: import in a fresh process', 'ms', measureInit(bundle.outfile, 10, bundle.nodeOptions), `NODE_OPTIONS=${bundle.nodeOptions}`);

    // ---- report ----------------------------------------------------------------------------------
    const wall = (performance.now() - startedAt) / 1000;
    const out = process.stdout;
    out.write(`\nTessera benchmark${quick ? ' (--quick)' : ''}: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, load average at start ${load.map((l) => l.toFixed(2)).join(' ')}\n`);
    out.write(`Store: dynalite (in memory) in a child process. Seed: ${fmt(seeded.users.length)} users, ${fmt(seeded.tokens.length + seeded.heavyTokens.length)} tokens; `);
    out.write(`items built in ${seeded.prepareSeconds.toFixed(1)} s, loaded with BatchWriteItem in ${seeded.loadSeconds.toFixed(1)} s = ${fmt(loadPerSec)} items/s\n\n`);
    const width = Math.max(...rows.map((r) => r.figure.length));
    const digits = (unit: string) => (unit === 'ops/s' || unit === 'µs' ? 0 : unit === 'ratio' ? 3 : 2);
    out.write(`${'figure'.padEnd(width)}  ${'min'.padStart(10)}  ${'median'.padStart(10)}  ${'max'.padStart(10)}  unit   note\n`);
    for (const r of rows) {
      const d = digits(r.unit);
      const cells = [r.summary.min, r.summary.median, r.summary.max].map((v) => fmt(v, d).padStart(10)).join('  ');
      out.write(`${r.figure.padEnd(width)}  ${cells}  ${r.unit.padEnd(5)}  ${r.note ?? ''}\n`);
    }
    out.write(`${'Authorizer bundle (.mjs)'.padEnd(width)}  ${fmt(bundle.bytes).padStart(34)}  bytes  source map ${fmt(bundle.mapBytes)} bytes, not counted\n`);
    out.write(`\nBundle options (${bundle.source}): ${bundle.options}\n`);
    out.write(`Largest in the bundle: ${bundle.largest.map(([k, v]) => `${k} ${fmt(v / 1024)} KB`).join(', ')}\n`);
    out.write(`Wall time ${wall.toFixed(1)} s\n\n`);
    const json = {
      getItemOpsPerSec: Math.round(floor.median),
      verifyUncachedOpsPerSec: Math.round(first.median),
      uncachedRatio: Number((first.median / floor.median).toFixed(3)),
      verifyUncachedReadOnlyOpsPerSec: Math.round(repeat.median),
      uncachedRatioReadOnly: Number((repeat.median / floor.median).toFixed(3)),
      getItemCpuUs: Math.round(floorCpu.median),
      verifyUncachedCpuUs: Math.round(firstCpu.median),
      verifyUncachedReadOnlyCpuUs: Math.round(repeatCpu.median),
      verifyCachedOpsPerSec: Math.round(cached.median),
      verifyCachedLambdaMetricsOpsPerSec: Math.round(cachedLambda.median),
      verifyP50Ms: Number(p50.median.toFixed(3)),
      verifyP99Ms: Number(p99.median.toFixed(3)),
      verifyReadOnlyP50Ms: Number(readP50.median.toFixed(3)),
      verifyReadOnlyP99Ms: Number(readP99.median.toFixed(3)),
      getItemP50Ms: Number(getP50.median.toFixed(3)),
      getItemP99Ms: Number(getP99.median.toFixed(3)),
      createOpsPerSec: Math.round(creates.median),
      listPageMs: Number(list.median.toFixed(2)),
      cascade10kSeconds: seeded.heavyTokens.length === 10_000 ? Number(cascade.median.toFixed(2)) : null,
      cascadeTokens: seeded.heavyTokens.length,
      cascadeSeconds: Number(cascade.median.toFixed(2)),
      authorizerBundleBytes: bundle.bytes,
      authorizerSourceMapBytes: bundle.mapBytes,
      authorizerInitMs: Number(init.median.toFixed(1)),
      loadItemsPerSec: Math.round(loadPerSec),
      concurrency: CONCURRENCY,
      users: seeded.users.length,
      tokens: seeded.tokens.length + seeded.heavyTokens.length,
      quick,
      cpus: cpus().length,
      node: process.version,
      loadAverage1m: Number(load[0].toFixed(2)),
      wallSeconds: Number(wall.toFixed(1)),
    };
    out.write(`${JSON.stringify(json)}\n`);
  } finally {
    resetStore();
    await storeProcess.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
