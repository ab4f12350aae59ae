// The embedded default, composed: store (behind the store proxy), table, keys, the functions in
// execution environments of their own, bus, log subscriptions, gateway, sweeper. startLocal() is
// what `npm start` runs and what the integration tests start.
import type { Server } from 'node:http';
import { listenLocal } from './listen.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { AuthorizerSettings } from '../shared/authorizer-settings.ts';
import { clock, isoNow } from '../shared/clock.ts';
import { getConfig, resetConfig } from '../shared/config.ts';
import { resetPublisher } from '../shared/events/publish.ts';
import { logger } from '../shared/log.ts';
import { ROUTE_LIST, permissionMap } from '../shared/routes.ts';
import { resetStore } from '../shared/store/client.ts';
import { resetMacKeys } from '../shared/crypto/mac.ts';
import { resetVault } from '../shared/crypto/vault.ts';
import { setLogLineSink, USAGE_FILTER } from '../shared/usage-line.ts';
import { FUNCTIONS, functionBundles, type FunctionEntry } from './bundles.ts';
import { LOCAL_BUS_NAME, LocalBus } from './bus.ts';
import { Environments } from './environments.ts';
import { functionEnv, functionSizing, type LocalResources } from './function-env.ts';
import { createGateway } from './gateway.ts';
import { LogSubscriptions } from './log-subscriptions.ts';
import { ensureKeyRing, loadJwtKeys, type JwtKeys } from './keys.ts';
import { ACCESS } from '../infra/access.ts';
import { createLocalIam, eventsIamInterceptor, localBusArn, storeIamInterceptor, tableArnOf, type LocalIam } from './iam.ts';
import { credentialsEnv, LOCAL_INSPECTOR, LOCAL_RUNTIME } from './identities.ts';
import { localKeyArn, localMacKeyArn, startLocalKms, type LocalKms } from './kms.ts';
import { startStore, type EmbeddedStore } from './store.ts';
import { startStoreProxy, type StoreProxy } from './store-proxy.ts';
import { localStream } from './streams.ts';
import { eventualConsistency, settingsFromEnv, type Consistency, type ConsistencySettings } from './consistency.ts';
import { sweepExpired } from './sweeper.ts';
import { ensureTable } from './table.ts';
import { seedDemo } from './seed.ts';
import { ensureWebBuilt } from '../web/build.ts';
import { lambdaContext } from './lambda.ts';

export const LOCAL_ISSUER = 'https://tessera.local/';
export const LOCAL_AUDIENCE = 'tessera-local';

export interface LocalOptions {
  port?: number;
  /** 'disk' keeps data under dataDir (default .tessera); 'memory' keeps nothing. */
  store?: 'disk' | 'memory';
  dataDir?: string;
  /** Use an already running store (the tests' shared dynalite) instead of starting one. */
  storeEndpoint?: string;
  tableName?: string;
  seed?: boolean;
  /** Sweep and expiry-notice timer, in ms of real time; 0 turns the timer off. */
  sweepEveryMs?: number;
  /** Set in this process's environment and in every function's (SDK timeouts, cache times). */
  env?: Record<string, string>;
  /**
   * 'isolated' (the default): every function runs in execution environments of its own
   * (local/environments.ts), as in Lambda. 'inline': every handler is imported into this
   * process and shares its module state (for tests that spy on in-process modules).
   */
  environments?: 'isolated' | 'inline';
  /** More functions for the environments (test fixtures), by id and entry. */
  extraFunctions?: FunctionEntry[];
  /** Idle time after which an environment is reaped, in ms (default 60 000). */
  idleMs?: number;
  /**
   * DynamoDB's eventual consistency (local/consistency.ts): index lag and stale eventually
   * consistent reads, in ms. Default: TESSERA_LOCAL_GSI_LAG_MS / TESSERA_LOCAL_READ_LAG_MS, else 0.
   */
  consistency?: Partial<ConsistencySettings>;
  /** How API Gateway calls the authorizer for the example API; default: the dev stack's settings. */
  exampleAuthorizer?: AuthorizerSettings;
}


export interface LocalApp {
  url: string;
  port: number;
  bus: LocalBus;
  /** The store endpoint every DynamoDB call goes through (interceptors: local/store-proxy.ts). */
  storeProxy: StoreProxy;
  /** The store's eventual consistency, adjustable while running (local/consistency.ts). */
  consistency: Consistency;
  /** The functions' execution environments (undefined with environments: 'inline'). */
  environments?: Environments;
  /** The local IAM: each function's grant and the refusals so far (local/iam.ts). */
  iam: LocalIam;
  /** Where the local keys live (JWT signing key, the KMS stand-in's key ring). */
  dataDir: string;
  advance(seconds: number): Promise<{ now: string; swept: number }>;
  /** Delivers the log lines the subscriptions hold now (CloudWatch Logs delivers within seconds). */
  flushLogs(): Promise<void>;
  close(): Promise<void>;
}

const ROOT = resolve(import.meta.dirname, '..');

type Handler = (e: any, c: unknown) => Promise<any>;

/** What startLocal decides before anything starts. */
interface Plan {
  options: LocalOptions;
  /** Whether data and keys outlive the process (under dataDir), or go with a temporary folder. */
  persist: boolean;
  dataDir: string;
  tableName: string;
  region: string;
  functions: FunctionEntry[];
  /** The functions' bundles, building; undefined with environments: 'inline'. */
  bundling?: ReturnType<typeof functionBundles>;
}

/** What a start has started so far: a failed start closes it again (closeStarted). */
interface Started {
  store?: EmbeddedStore;
  proxy?: StoreProxy;
  bus?: LocalBus;
  kms?: LocalKms;
  environments?: Environments;
  server?: Server;
  timer?: NodeJS.Timeout;
}

/** What a running app closes besides what it started (closeApp). */
interface Running {
  consistency: Consistency;
  logs: LogSubscriptions;
}

export async function startLocal(options: LocalOptions = {}): Promise<LocalApp> {
  const persist = (options.store ?? 'disk') === 'disk' && !options.storeEndpoint;
  // The functions' bundles build (when stale) while the store, keys and table get ready.
  const functions = [...FUNCTIONS, ...(options.extraFunctions ?? [])];
  const bundling = options.environments === 'inline' ? undefined : functionBundles(functions);
  bundling?.catch(() => {}); // awaited in startEnvironments; a failure is thrown there
  const dataDir = persist ? resolve(options.dataDir ?? '.tessera') : mkdtempSync(join(tmpdir(), 'tessera-'));
  const plan: Plan = {
    options, persist, dataDir, functions, bundling,
    tableName: options.tableName ?? 'tessera-local',
    region: options.env?.AWS_REGION ?? process.env.AWS_REGION ?? 'us-east-1',
  };
  const started: Started = {};
  try {
    return await startParts(plan, started);
  } catch (e) {
    await closeStarted(started);
    throw e;
  }
}

/** The start, step by step; each step records in `started` what it started. */
async function startParts(plan: Plan, started: Started): Promise<LocalApp> {
  const iam = localIam(plan);
  const { proxy, consistency } = await startStorage(plan, started, iam);
  const { bus, busEndpoint, setUserEvents } = await startBus(started, iam);
  const kms = (started.kms = await startLocalKms({ region: plan.region, keyRingPath: ensureKeyRing(plan.dataDir), iam }));
  setRuntimeEnv(plan, { storeEndpoint: proxy.endpoint, busEndpoint, kms });
  await ensureTable(proxy.endpoint, plan.tableName);
  const handlerOf = await loadHandlers(plan, started, { storeEndpoint: proxy.endpoint, busEndpoint, kmsEndpoint: kms.endpoint });
  setUserEvents(handlerOf.get('userEvents')!);
  const { environments } = started;
  const logs = subscribeLogs(handlerOf.get('usage')!, environments);
  const { housekeeping, advance } = clockSteps(handlerOf, logs);
  const jwt = await loadJwtKeys(plan.dataDir, plan.persist);
  if (plan.options.seed ?? true) await seedDemo(bus);
  const { port } = await startGateway(plan, started, { handlerOf, bus, jwt, advance });
  started.timer = startSweepTimer(plan.options.sweepEveryMs ?? 30_000, housekeeping);
  const running: Running = { consistency, logs };
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    bus,
    storeProxy: proxy,
    consistency,
    environments,
    iam,
    dataDir: plan.dataDir,
    advance,
    flushLogs: () => logs.flush(),
    close: () => closeApp(plan, started, running),
  };
}

/**
 * IAM, as AWS enforces it around every call: each function's grant (infra/access.ts) decides its
 * calls to the store, the key and the bus; the runtime's own identities stand for AWS itself.
 */
function localIam(plan: Plan): LocalIam {
  const { region, tableName, options } = plan;
  return createLocalIam({
    region,
    arns: { table: tableArnOf(region, tableName), valueKey: localKeyArn(region), bus: localBusArn(region, LOCAL_BUS_NAME), macKeys: [localMacKeyArn(region)] },
    grants: ACCESS,
    // The runtime itself, and test fixtures outside the deployed set (they have no role in the stack).
    unrestricted: [LOCAL_RUNTIME, LOCAL_INSPECTOR, ...(options.extraFunctions ?? []).map((f) => f.id)],
  });
}

/** The store (embedded, or the one given) behind the store proxy, where IAM and eventual consistency act. */
async function startStorage(plan: Plan, started: Started, iam: LocalIam) {
  const { options } = plan;
  const store = (started.store = options.storeEndpoint ? undefined : await startStore({ dataDir: plan.persist ? plan.dataDir : undefined }));
  const proxy = (started.proxy = await startStoreProxy({ upstream: options.storeEndpoint ?? store!.endpoint }));
  proxy.use(storeIamInterceptor(iam));
  const consistency = eventualConsistency(proxy, { ...settingsFromEnv(process.env, { indexLagMs: 0, readLagMs: 0 }), ...options.consistency });
  return { store, proxy, consistency };
}

/**
 * The local EventBridge. It delivers to the user-events function, which loads later (its
 * environment names the bus's endpoint): until setUserEvents, a delivery fails.
 */
async function startBus(started: Started, iam: LocalIam) {
  let userEvents: Handler = async () => {
    throw new Error('the local runtime is starting');
  };
  const bus = (started.bus = new LocalBus((e, c) => userEvents(e, c)));
  const busEndpoint = await bus.listen();
  bus.use(eventsIamInterceptor(iam));
  const setUserEvents = (handler: Handler) => {
    userEvents = handler;
  };
  return { bus, busEndpoint, setUserEvents };
}

/** This process's environment and the shared modules' state, for the runtime and inline handlers. */
function setRuntimeEnv(plan: Plan, endpoints: { storeEndpoint: string; busEndpoint: string; kms: LocalKms }): void {
  const { kms } = endpoints;
  Object.assign(process.env, {
    TESSERA_TABLE: plan.tableName,
    TESSERA_STORE_ENDPOINT: endpoints.storeEndpoint,
    // The local runtime's own calls (TTL sweeper, table creation) sign as the local runtime.
    ...credentialsEnv(LOCAL_RUNTIME),
    // Handlers run inline publish to the local bus as the deployed ones do.
    AWS_ENDPOINT_URL_EVENTBRIDGE: endpoints.busEndpoint,
    TESSERA_EVENT_BUS: LOCAL_BUS_NAME,
    TESSERA_JWT_ISSUER: LOCAL_ISSUER,
    TESSERA_JWT_AUDIENCE: LOCAL_AUDIENCE,
    // The vault and the keyed MACs use the real KMS client against the local stand-in (local/kms.ts).
    TESSERA_KEY_SOURCE: `kms:${kms.keyArn}`,
    TESSERA_MAC_KEYS: `kms:${kms.macKeyArn}`,
    AWS_ENDPOINT_URL_KMS: kms.endpoint,
    TESSERA_ROUTE_PERMISSIONS: JSON.stringify(permissionMap('example')),
    AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
    ...plan.options.env,
  });
  resetConfig();
  resetStore();
  resetVault();
  resetMacKeys();
  resetPublisher();
  getConfig();
}

type Endpoints = Pick<LocalResources, 'storeEndpoint' | 'busEndpoint' | 'kmsEndpoint'>;

/** Every function's handler by id: imported into this process (inline), or in environments of its own. */
async function loadHandlers(plan: Plan, started: Started, endpoints: Endpoints): Promise<Map<string, Handler>> {
  const handlerOf = new Map<string, Handler>();
  if (plan.options.environments === 'inline') {
    for (const f of FUNCTIONS) handlerOf.set(f.id, (await import(join(ROOT, f.entry))).handler);
    return handlerOf;
  }
  const environments = (started.environments = await startEnvironments(plan, endpoints));
  for (const f of plan.functions) handlerOf.set(f.id, environments.handler(f.id) as Handler);
  return handlerOf;
}

/** Execution environments for the functions' bundles, each with the environment and sizing CDK gives it. */
async function startEnvironments(plan: Plan, endpoints: Endpoints): Promise<Environments> {
  const bundles = (await plan.bundling)!;
  const resources = functionResources(plan, endpoints);
  const quiet = ['ERROR', 'SILENT'].includes(resources.logLevel);
  return new Environments({
    functions: plan.functions.map((f) => {
      const { memorySize, timeoutSeconds } = functionSizing(f.id);
      return { id: f.id, file: bundles[f.id], env: functionEnv(f.id, resources), memoryMb: memorySize, timeoutMs: timeoutSeconds * 1000 };
    }),
    idleMs: plan.options.idleMs,
    echo: { reports: !quiet, logs: true },
  });
}

/** What the functions' environments name (local/function-env.ts), from this process's environment as set. */
function functionResources(plan: Plan, endpoints: Endpoints): LocalResources {
  const env = process.env as Record<string, string>;
  return {
    region: env.AWS_REGION,
    tableName: plan.tableName,
    keySource: env.TESSERA_KEY_SOURCE,
    macKeys: env.TESSERA_MAC_KEYS,
    jwtIssuer: env.TESSERA_JWT_ISSUER,
    jwtAudience: env.TESSERA_JWT_AUDIENCE,
    identitySource: env.TESSERA_IDENTITY_SOURCE,
    eventSource: env.TESSERA_EVENT_SOURCE,
    logLevel: env.TESSERA_LOG_LEVEL ?? 'INFO',
    routePermissions: env.TESSERA_ROUTE_PERMISSIONS,
    ...endpoints,
    busName: LOCAL_BUS_NAME,
    overrides: { ...Object.fromEntries(Object.entries(env).filter(([k]) => /^TESSERA_(SDK_|AUTH_|LEAK_KEYS$)/.test(k))), ...plan.options.env },
  };
}

/**
 * The authorizer's log group is subscribed to the usage function, as infra/tessera-stack.ts
 * deploys it. In environments, the lines come from the environments' log lines; inline handlers
 * write them to the line sink.
 */
function subscribeLogs(usage: Handler, environments: Environments | undefined): LogSubscriptions {
  const logs = new LogSubscriptions();
  logs.add({ source: 'authorizer', filter: USAGE_FILTER, deliver: (event) => usage(event, lambdaContext('usage')) });
  if (environments) {
    environments.onLogLine((functionId, line) => logs.line(functionId, line));
  } else {
    // At DEBUG the console shows them too, as the log group would.
    const echo = getConfig().logLevel === 'DEBUG';
    setLogLineSink((line) => {
      logs.line('authorizer', line);
      if (echo) console.log(line);
    });
  }
  return logs;
}

/** The TTL sweep with the expiry notices (housekeeping), and moving the service clock (advance). */
function clockSteps(handlerOf: Map<string, Handler>, logs: LogSubscriptions) {
  const expiryNotices = handlerOf.get('expiryNotices')!;
  const ttlRemovals = localStream(handlerOf.get('ttlRemovals')!);
  const housekeeping = async () => {
    const swept = await sweepExpired(ttlRemovals);
    await expiryNotices({}, undefined);
    return swept;
  };
  const advance = async (seconds: number) => {
    await logs.flush(); // lines written before the clock moved count on their own day
    clock.advance(seconds);
    const swept = await housekeeping();
    return { now: isoNow(), swept };
  };
  return { housekeeping, advance };
}

/** The local API Gateway with the console page, listening. */
async function startGateway(
  plan: Plan,
  started: Started,
  parts: { handlerOf: Map<string, Handler>; bus: LocalBus; jwt: JwtKeys; advance: LocalApp['advance'] },
): Promise<{ server: Server; port: number }> {
  const { handlerOf } = parts;
  await ensureWebBuilt(); // the console page, built here when web/dist is missing or stale (fresh clone)
  const server = (started.server = createGateway({
    handlers: new Map<string, Handler>(ROUTE_LIST.map((r) => [r.id, handlerOf.get(r.id)!])),
    authorizer: handlerOf.get('authorizer')!,
    legacyImport: handlerOf.get('legacyImport')!,
    bus: parts.bus,
    jwt: parts.jwt,
    advance: parts.advance,
    webRoot: join(ROOT, 'web', 'dist'),
    exampleAuthorizer: plan.options.exampleAuthorizer,
  }));
  const { port } = await listenLocal(server, plan.options.port ?? 3000);
  return { server, port };
}

/** Sweeps and sends expiry notices every `every` ms of real time; 0 runs no timer. */
function startSweepTimer(every: number, housekeeping: () => Promise<number>): NodeJS.Timeout | undefined {
  if (every > 0) {
    const timer = setInterval(() => void housekeeping().catch((e) => logger.warn('housekeeping failed', { error: e as Error })), every);
    timer.unref();
    return timer;
  }
  return undefined;
}

/** LocalApp.close: the remaining log lines delivered, then every part closed, the temporary data removed. */
async function closeApp(plan: Plan, started: Started, running: Running): Promise<void> {
  if (started.timer) clearInterval(started.timer);
  await running.logs.flush();
  setLogLineSink(undefined);
  await closeStarted(started);
  resetStore();
  resetPublisher();
  running.consistency.remove();
  if (!plan.persist) rmSync(plan.dataDir, { recursive: true, force: true });
}

/** Closes what a start started, the gateway first (its open connections too), the store last. */
async function closeStarted(started: Started): Promise<void> {
  if (started.timer) clearInterval(started.timer);
  if (started.server) {
    const server = started.server;
    server.closeAllConnections();
    await new Promise<void>((res) => server.close(() => res())); // a server not yet listening answers at once
  }
  await started.environments?.close();
  await started.bus?.close();
  await started.kms?.close();
  await started.proxy?.close();
  await started.store?.close();
}
