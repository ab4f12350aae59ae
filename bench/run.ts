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
import { LogSubscriptions } from '../local/log-subscriptions.ts';
import { clock } from '../shared/clock.ts';
import { requireTokenActor } from '../shared/domain/actor.ts';
import { patchToken } from '../shared/domain/tokens.ts';
import { readDays } from '../shared/store/usage.ts';
import { setLogLineSink, USAGE_FILTER } from '../shared/usage-line.ts';
import { buildAuthorizer, buildBundle, invokeBundle, measureInit, measureProcesses } from './bundle.ts';
import { keepAliveAgent, presignGetItems, sendPresigned, type Presigned } from './floor.ts';
import { authorizerEvent, routeEvent } from './events.ts';
import { closedLoop, fmt, latencies, percentile, progress, summarize, type Summary, type Throughput } from './harness.ts';
import { PERMISSIONS_BY_ROLE, batchWrite, seedTenant, userItem, type SeedToken } from './seed.ts';
import { measureRefusals, READ_REFUSALS, REFUSALS, refusalValues, spreadOf, type Refusal } from './refusals.ts';
import { startStoreProcess } from './store.ts';

const quick = process.argv.includes('--quick');

const SIZES = quick
  ? { users: 1_000, tokens: 20_000, heavyTokens: 2_000, rounds: 3, opsPerRound: 1_000, warmupOps: 500, latencyOps: 300, refusalOps: 200, cachedOps: 100_000, lambdaCachedOps: 20_000, creates: 300, listPages: 10, cascadeRounds: 1 }
  : { users: 10_000, tokens: 100_000, heavyTokens: 10_000, rounds: 5, opsPerRound: 5_000, warmupOps: 2_000, latencyOps: 500, refusalOps: 500, cachedOps: 500_000, lambdaCachedOps: 100_000, creates: 1_000, listPages: 20, cascadeRounds: 3 };
/** Revocations of cached values timed for revocationSeconds. */
const REVOCATIONS = 200;
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
    // The authorizer's one line per verification is built and handed to a sink, as the local
    // runtime's log subscription takes it; metrics (EMF) are off outside Lambda.
    let linesWritten = 0;
    setLogLineSink(() => void linesWritten++);

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

    // ---- the floor and uncached verification, side by side ---------------------------------------
    // The floor: a GetItem of a token, signed before the clock starts, sent over keep-alive with
    // node:http, no SDK. Each verified token is verified for the first time in the run, so the
    // decision cache never helps. With the deployment's default window (10 s) the owners' projections
    // are cached, as in a warm container whose owners were active in the last 10 s: one GetItem of
    // the token. With the window at 0, on the floor's own tokens (never verified): one BatchGetItem
    // (token + owner), an owner the container has not read. Through the authorizer's light client,
    // nothing written. The SDK's own GetItem is measured beside them for comparison.
    let cursor = 0;
    const take = (n: number): SeedToken[] => {
      if (cursor + n > seeded.tokens.length) throw new Error('the seed has too few tokens for distinct verifications');
      cursor += n;
      return seeded.tokens.slice(cursor - n, cursor);
    };
    const endpointUrl = new URL(storeProcess.endpoint);
    const agent = keepAliveAgent();
    const presign = async (batch: SeedToken[]) => presignGetItems(storeProcess.endpoint, TABLE, batch.map((t) => tokenKeys.primary(t.id)));
    const floorLoop = (signed: Presigned[]) => closedLoop(signed.length, CONCURRENCY, (i) => sendPresigned(agent, endpointUrl, signed[i]));
    const getItem = (t: SeedToken) => store().send(new GetCommand({ TableName: TABLE, Key: tokenKeys.primary(t.id) }));
    const verify = async (t: SeedToken) => {
      const out = await authorizer(authorizerEvent(t.value));
      if (!out.isAuthorized) throw new Error(`token ${t.id} denied`);
    };
    const loop = (batch: SeedToken[], op: (t: SeedToken) => Promise<unknown>) => closedLoop(batch.length, CONCURRENCY, (i) => op(batch[i]));
    // A new window is a new config, and the light client opens a new connection pool for it
    // (transport-light.ts): an untimed warm-up refills it, so every timed run starts on warm
    // connections, as the floor's does.
    const cacheWindow = async (seconds: number) => {
      process.env.TESSERA_AUTH_CACHE_SECONDS = String(seconds);
      resetConfig();
      await loop(take(CONCURRENCY * 2), verify);
    };

    progress(`floor vs uncached verification: ${SIZES.rounds} rounds of ${fmt(SIZES.opsPerRound)}, concurrency ${CONCURRENCY}`);
    await cacheWindow(10);
    await floorLoop(await presign(take(SIZES.warmupOps)));
    await loop(take(SIZES.warmupOps), verify);
    await loop(take(SIZES.warmupOps / 2), getItem);
    const floorRuns: Throughput[] = [];
    const firstRuns: Throughput[] = [];
    const ownerMissRuns: Throughput[] = [];
    const sdkRuns: Throughput[] = [];
    for (let r = 0; r < SIZES.rounds; r++) {
      const floorTokens = take(SIZES.opsPerRound);
      const floorBatch = await presign(floorTokens);
      const verifyBatch = take(SIZES.opsPerRound);
      const sdkBatch = take(SIZES.opsPerRound);
      // Alternate which goes first, so neither always runs after the other's garbage.
      if (r % 2 === 0) {
        floorRuns.push(await floorLoop(floorBatch));
        firstRuns.push(await loop(verifyBatch, verify));
      } else {
        firstRuns.push(await loop(verifyBatch, verify));
        floorRuns.push(await floorLoop(floorBatch));
      }
      await cacheWindow(0);
      ownerMissRuns.push(await loop(floorTokens, verify));
      await cacheWindow(10);
      sdkRuns.push(await loop(sdkBatch, getItem));
    }
    // What these rounds cached must not answer for the refusals below (their values are written
    // disabled or expired directly in the store, without a feed entry).
    process.env.TESSERA_AUTH_CACHE_SECONDS = '0';
    resetConfig();
    clearVerifyCaches();
    agent.destroy();
    const floor = record('GetItem, presigned, keep-alive, no SDK (the floor)', 'ops/s', rates(floorRuns), `concurrency ${CONCURRENCY}`);
    const first = record('Verify uncached (first use; no write)', 'ops/s', rates(firstRuns), 'owner cached: GetItem, light client');
    const ownerMiss = record('Verify uncached, owner not cached', 'ops/s', rates(ownerMissRuns), 'BatchGetItem, light client');
    const sdkGet = record('GetItem through SDK v3', 'ops/s', rates(sdkRuns), 'for comparison');
    record('  ratio uncached verify / floor', 'ratio', ratios(firstRuns.map((r) => r.opsPerSec), floorRuns.map((r) => r.opsPerSec)), 'per round');
    record('  ratio owner not cached / floor', 'ratio', ratios(ownerMissRuns.map((r) => r.opsPerSec), floorRuns.map((r) => r.opsPerSec)), 'per round');
    const floorCpu = record('Client CPU per floor GetItem', 'µs', cpu(floorRuns), 'bench process, all cores');
    const firstCpu = record('Client CPU per uncached verification', 'µs', cpu(firstRuns));
    const ownerMissCpu = record('Client CPU per uncached verification, owner not cached', 'µs', cpu(ownerMissRuns));
    record('Client CPU per SDK v3 GetItem', 'µs', cpu(sdkRuns));

    progress(`uncached latency: ${SIZES.rounds} rounds of ${SIZES.latencyOps} sequential verifications`);
    const firstP50: number[] = [];
    const firstP99: number[] = [];
    const floorP50: number[] = [];
    const floorP99: number[] = [];
    const latencyAgent = keepAliveAgent();
    for (let r = 0; r < SIZES.rounds; r++) {
      const batch = take(SIZES.latencyOps);
      const once = await latencies(batch.length, (i) => verify(batch[i]));
      const floorBatch = await presign(take(SIZES.latencyOps));
      const bare = await latencies(floorBatch.length, (i) => sendPresigned(latencyAgent, endpointUrl, floorBatch[i]));
      firstP50.push(percentile(once, 50));
      firstP99.push(percentile(once, 99));
      floorP50.push(percentile(bare, 50));
      floorP99.push(percentile(bare, 99));
    }
    latencyAgent.destroy();
    const p50 = record('Verify uncached, p50', 'ms', summarize(firstP50), 'concurrency 1');
    const p99 = record('Verify uncached, p99', 'ms', summarize(firstP99), 'concurrency 1');
    const getP50 = record('Floor GetItem p50', 'ms', summarize(floorP50), 'concurrency 1');
    const getP99 = record('Floor GetItem p99', 'ms', summarize(floorP99), 'concurrency 1');

    // ---- refusals by reason, side by side (README "Cheap refusals") ----------------------------------
    progress(`refusals: ${SIZES.rounds} rounds of ${SIZES.refusalOps} sequential refusals per reason`);
    // Tokens the figures above already used (nothing caches, nothing is written on verification):
    // some are written disabled or expired here, the others lend their ids.
    const refusalSet = await refusalValues(seeded.tokens.slice(0, SIZES.rounds * SIZES.refusalOps * 3), SIZES.rounds * SIZES.refusalOps);
    const refusalMedians = await measureRefusals(authorizer, refusalSet, SIZES.rounds);
    const refusals = Object.fromEntries(
      REFUSALS.map((kind) => [kind, record(`Refuse: ${kind}, p50`, 'ms', summarize(refusalMedians[kind]), READ_REFUSALS.includes(kind) ? '1 eventually consistent read' : 'no read')]),
    ) as Record<Refusal, Summary>;
    const refusalSpread = record('  spread of the four read refusals', 'ratio', spreadOf(refusalMedians), 'slowest / fastest median per round; target ≤ 1.25');

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
    const cachedLambda = record('Verify cached, Lambda metrics on', 'ops/s', summarize(await cachedWithLambdaMetrics(hot.value)), 'one EMF line each, to /dev/null');

    // ---- revocation of cached values ------------------------------------------------------------
    // A cached acceptance, then its token disabled through the domain (feed entry, then the
    // write); the service clock moves in 50 ms steps until the authorizer refuses. Between
    // revocations the clock moves a random fraction of a second, so the feed's once-a-second
    // look falls anywhere relative to the change.
    progress(`revocation: ${REVOCATIONS} disables of cached values, service clock in 50 ms steps`);
    const revocationDelays: number[] = [];
    for (const t of take(REVOCATIONS)) {
      const user = seeded.users.find((u) => u.userId === t.userId)!;
      if (!(await authorizer(authorizerEvent(t.value))).isAuthorized) throw new Error(`token ${t.id} not accepted before its revocation`);
      const actor = await requireTokenActor({ tenantId: user.tenantId, userId: user.userId });
      const recorded = clock.now();
      await patchToken(actor, t.id, { enabled: false });
      let refused = false;
      for (let step = 0; step < 200 && !refused; step++) {
        refused = !(await authorizer(authorizerEvent(t.value))).isAuthorized;
        if (!refused) clock.advance(0.05);
      }
      if (!refused) throw new Error(`token ${t.id} still accepted 10 s after its revocation`);
      revocationDelays.push((clock.now() - recorded) / 1000);
      clock.advance(Math.random());
    }
    const revocationSorted = [...revocationDelays].sort((a, b) => a - b);
    const revocationP99 = percentile(revocationSorted, 99);
    record('Revocation of a cached value, service clock', 's', summarize(revocationDelays), `p99 ${revocationP99.toFixed(2)} s over ${REVOCATIONS}`);

    // ---- usage lag: a verification until its count is stored ------------------------------------
    // The local runtime's log subscription (local/log-subscriptions.ts) takes the line, batches it
    // and delivers it to the usage function, as CloudWatch Logs does; real time until the day's
    // counter shows the use.
    progress('usage lag: verification -> log line -> subscription -> usage function -> counter');
    const logs = new LogSubscriptions();
    const usageHandler: Handler = (await import('../functions/usage.ts')).handler;
    logs.add({ source: 'authorizer', filter: USAGE_FILTER, deliver: (event) => usageHandler(event) });
    setLogLineSink((line) => logs.line('authorizer', line));
    const lags: number[] = [];
    for (const t of take(5)) {
      const t0 = performance.now();
      await verify(t);
      const today = new Date(clock.now()).toISOString().slice(0, 10);
      for (;;) {
        if ((await readDays(t.id, today, today)).get(today)?.verified === 1) break;
        if (performance.now() - t0 > 120_000) throw new Error('usage not counted within 120 s');
        await new Promise((r) => setTimeout(r, 10));
      }
      lags.push((performance.now() - t0) / 1000);
    }
    await logs.flush();
    setLogLineSink(() => void linesWritten++);
    const usageLag = record('Usage lag: verification to stored count', 's', summarize(lags), 'real time, local subscription');

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
    const answer = invokeBundle(bundle.outfile, storeProcess.endpoint, TABLE, authorizerEvent(probeValue.value), `file:${ensureKeyRing(dir)}`) as { isAuthorized?: boolean };
    if (!answer?.isAuthorized) throw new Error(`the bundle ${bundle.outfile} did not accept a seeded token: ${JSON.stringify(answer)}`);
    const init = record('Authorizer bundle: import in a fresh process', 'ms', measureInit(bundle.outfile, 10, bundle.nodeOptions), `NODE_OPTIONS=${bundle.nodeOptions}`);
    const processes = measureProcesses(bundle.outfile, 15, bundle.nodeOptions);
    record('  whole process importing the bundle', 'ms', processes.bundle, 'node import.mjs <bundle>');
    record("  whole process of node -e ''", 'ms', processes.bare, 'same environment');
    record('  ratio (authorizerInitRatio)', 'ratio', summarize([processes.ratio]), 'of the medians');

    // ---- the read through each client, side by side ----------------------------------------------
    // The same readToken (shared/store/reads.ts) through SDK v3, aws4fetch's AwsClient and the
    // authorizer's light client (aws4fetch's signing on node:crypto, node:http): bundle, import in
    // a fresh process, client CPU per read. @aws-lite/client is not installed here; the
    // figures the comparison started from are in BENCHMARKS.md.
    progress('clients: SDK v3 and aws4fetch, bundled, imported and reading side by side');
    const clientFigures: Record<string, { bytes: number; importMs: number; cpuUs: number }> = {};
    const { sdkReads } = await import('../shared/store/transport-sdk.ts');
    const { aws4fetchReads } = await import('./clients/aws4fetch-reads.ts');
    const { lightReads } = await import('../shared/store/transport-light.ts');
    const { readToken } = await import('../shared/store/reads.ts');
    const clients = {
      'SDK v3': { entry: 'bench/clients/read-sdk.ts', reads: sdkReads },
      aws4fetch: { entry: 'bench/clients/read-aws4fetch.ts', reads: aws4fetchReads },
      'light (authorizer)': { entry: 'bench/clients/read-light.ts', reads: lightReads },
    };
    for (const c of Object.values(clients)) await closedLoop(500, CONCURRENCY, (i) => readToken(c.reads, seeded.tokens[i].id, false));
    for (const [name, c] of Object.entries(clients)) {
      const built = await buildBundle(c.entry, join(dir, `client-${name.replace(/\W/g, '')}`));
      const imported = measureInit(built.outfile, 10, bundle.nodeOptions);
      const runs: Throughput[] = [];
      for (let r = 0; r < SIZES.rounds; r++) runs.push(await closedLoop(SIZES.opsPerRound / 2, CONCURRENCY, (i) => readToken(c.reads, seeded.tokens[i].id, false)));
      clientFigures[name] = { bytes: built.bytes, importMs: imported.median, cpuUs: cpu(runs).median };
      record(`Read through ${name}: client CPU per read`, 'µs', cpu(runs), `bundle ${fmt(built.bytes)} B, import ${imported.median.toFixed(1)} ms`);
    }

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
      floorGetItemOpsPerSec: Math.round(floor.median),
      verifyUncachedOpsPerSec: Math.round(first.median),
      uncachedRatio: Number((first.median / floor.median).toFixed(3)),
      verifyOwnerNotCachedOpsPerSec: Math.round(ownerMiss.median),
      ownerNotCachedRatio: Number((ownerMiss.median / floor.median).toFixed(3)),
      verifyOwnerNotCachedCpuUs: Math.round(ownerMissCpu.median),
      sdkGetItemOpsPerSec: Math.round(sdkGet.median),
      floorGetItemCpuUs: Math.round(floorCpu.median),
      verifyUncachedCpuUs: Math.round(firstCpu.median),
      verifyCachedOpsPerSec: Math.round(cached.median),
      verifyCachedLambdaMetricsOpsPerSec: Math.round(cachedLambda.median),
      revocationSeconds: Number(revocationP99.toFixed(3)),
      revocations: revocationDelays.length,
      usageLagSeconds: Number(usageLag.max.toFixed(3)),
      verifyP50Ms: Number(p50.median.toFixed(3)),
      verifyP99Ms: Number(p99.median.toFixed(3)),
      floorGetItemP50Ms: Number(getP50.median.toFixed(3)),
      floorGetItemP99Ms: Number(getP99.median.toFixed(3)),
      authorizerInitRatio: Number(processes.ratio.toFixed(3)),
      clients: clientFigures,
      usageLinesWritten: linesWritten,
      refusalP50Ms: Object.fromEntries(REFUSALS.map((k) => [k, Number(refusals[k].median.toFixed(3))])),
      refusalSpread: Number(refusalSpread.median.toFixed(3)),
      createOpsPerSec: Math.round(creates.median),
      listPageMs: Number(list.median.toFixed(2)),
      cascade10kSeconds: seeded.heavyTokens.length === 10_000 ? Number(cascade.median.toFixed(2)) : null,
      cascadeTokens: seeded.heavyTokens.length,
      cascadeSeconds: Number(cascade.median.toFixed(2)),
      authorizerBundleBytes: bundle.bytes,
      authorizerSourceMapBytes: bundle.mapBytes,
      authorizerInitMs: Number(init.median.toFixed(1)),
      authorizerProcessMs: Number(processes.bundle.median.toFixed(1)),
      nodeBareProcessMs: Number(processes.bare.median.toFixed(1)),
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
