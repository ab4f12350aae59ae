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
import { functionEnv, functionSizing } from './function-env.ts';
import { createGateway } from './gateway.ts';
import { LogSubscriptions } from './log-subscriptions.ts';
import { ensureKeyRing, loadJwtKeys } from './keys.ts';
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

export async function startLocal(options: LocalOptions = {}): Promise<LocalApp> {
  const persist = (options.store ?? 'disk') === 'disk' && !options.storeEndpoint;
  // The functions' bundles build (when stale) while the store, keys and table get ready.
  const functions = [...FUNCTIONS, ...(options.extraFunctions ?? [])];
  const bundling = options.environments === 'inline' ? undefined : functionBundles(functions);
  bundling?.catch(() => {}); // awaited below; a failure is thrown there
  const dataDir = persist ? resolve(options.dataDir ?? '.tessera') : mkdtempSync(join(tmpdir(), 'tessera-'));
  let store: EmbeddedStore | undefined;
  let proxy: StoreProxy | undefined;
  let bus: LocalBus | undefined;
  let environments: Environments | undefined;
  let kms: LocalKms | undefined;
  let iam: LocalIam;
  let server: Server | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    store = options.storeEndpoint ? undefined : await startStore({ dataDir: persist ? dataDir : undefined });
    proxy = await startStoreProxy({ upstream: options.storeEndpoint ?? store!.endpoint });
    const tableName = options.tableName ?? 'tessera-local';
    // IAM, as AWS enforces it around every call: each function's grant (infra/access.ts) decides
    // its calls to the store, the key and the bus; the runtime's own identities stand for AWS itself.
    const region = options.env?.AWS_REGION ?? process.env.AWS_REGION ?? 'us-east-1';
    iam = createLocalIam({
      region,
      arns: { table: tableArnOf(region, tableName), valueKey: localKeyArn(region), bus: localBusArn(region, LOCAL_BUS_NAME), macKeys: [localMacKeyArn(region)] },
      grants: ACCESS,
      // The runtime itself, and test fixtures outside the deployed set (they have no role in the stack).
      unrestricted: [LOCAL_RUNTIME, LOCAL_INSPECTOR, ...(options.extraFunctions ?? []).map((f) => f.id)],
    });
    proxy.use(storeIamInterceptor(iam));
    const consistency = eventualConsistency(proxy, { ...settingsFromEnv(process.env, { indexLagMs: 0, readLagMs: 0 }), ...options.consistency });
    const endpoint = proxy.endpoint;
    let userEvents: (e: any, c: unknown) => Promise<unknown> = async () => {
      throw new Error('the local runtime is starting');
    };
    bus = new LocalBus((e, c) => userEvents(e, c));
    const busEndpoint = await bus.listen();
    bus.use(eventsIamInterceptor(iam));
    kms = await startLocalKms({ region, keyRingPath: ensureKeyRing(dataDir), iam });
    Object.assign(process.env, {
      TESSERA_TABLE: tableName,
      TESSERA_STORE_ENDPOINT: endpoint,
      // The local runtime's own calls (TTL sweeper, table creation) sign as the local runtime.
      ...credentialsEnv(LOCAL_RUNTIME),
      // Handlers run inline publish to the local bus as the deployed ones do.
      AWS_ENDPOINT_URL_EVENTBRIDGE: busEndpoint,
      TESSERA_EVENT_BUS: LOCAL_BUS_NAME,
      TESSERA_JWT_ISSUER: LOCAL_ISSUER,
      TESSERA_JWT_AUDIENCE: LOCAL_AUDIENCE,
      // The vault and the keyed MACs use the real KMS client against the local stand-in (local/kms.ts).
      TESSERA_KEY_SOURCE: `kms:${kms.keyArn}`,
      TESSERA_MAC_KEYS: `kms:${kms.macKeyArn}`,
      AWS_ENDPOINT_URL_KMS: kms.endpoint,
      TESSERA_ROUTE_PERMISSIONS: JSON.stringify(permissionMap('example')),
      AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
      ...options.env,
    });
    resetConfig();
    resetStore();
    resetVault();
    resetMacKeys();
    resetPublisher();
    getConfig();
    await ensureTable(endpoint, tableName);

    type Handler = (e: any, c: unknown) => Promise<any>;
    const handlerOf = new Map<string, Handler>();
    if (options.environments === 'inline') {
      for (const f of FUNCTIONS) handlerOf.set(f.id, (await import(join(ROOT, f.entry))).handler);
    } else {
      const bundles = (await bundling)!;
      const env = process.env as Record<string, string>;
      const resources = {
        region: env.AWS_REGION,
        tableName,
        keySource: env.TESSERA_KEY_SOURCE,
        macKeys: env.TESSERA_MAC_KEYS,
        jwtIssuer: env.TESSERA_JWT_ISSUER,
        jwtAudience: env.TESSERA_JWT_AUDIENCE,
        identitySource: env.TESSERA_IDENTITY_SOURCE,
        eventSource: env.TESSERA_EVENT_SOURCE,
        logLevel: env.TESSERA_LOG_LEVEL ?? 'INFO',
        routePermissions: env.TESSERA_ROUTE_PERMISSIONS,
        storeEndpoint: endpoint,
        busEndpoint,
        kmsEndpoint: kms.endpoint,
        busName: LOCAL_BUS_NAME,
        overrides: { ...Object.fromEntries(Object.entries(env).filter(([k]) => /^TESSERA_(SDK_|AUTH_|LEAK_KEYS$)/.test(k))), ...options.env },
      };
      const quiet = ['ERROR', 'SILENT'].includes(resources.logLevel);
      environments = new Environments({
        functions: functions.map((f) => {
          const { memorySize, timeoutSeconds } = functionSizing(f.id);
          return { id: f.id, file: bundles[f.id], env: functionEnv(f.id, resources), memoryMb: memorySize, timeoutMs: timeoutSeconds * 1000 };
        }),
        idleMs: options.idleMs,
        echo: { reports: !quiet, logs: true },
      });
      for (const f of functions) handlerOf.set(f.id, environments.handler(f.id) as Handler);
    }
    const handlers = new Map<string, Handler>(ROUTE_LIST.map((r) => [r.id, handlerOf.get(r.id)!]));
    const authorizer = handlerOf.get('authorizer')!;
    userEvents = handlerOf.get('userEvents')!;
    const legacyImport = handlerOf.get('legacyImport')!;
    const expiryNotices = handlerOf.get('expiryNotices')!;
    const ttlRemovals = localStream(handlerOf.get('ttlRemovals')!);

    const usage = handlerOf.get('usage')!;

    // The authorizer's log group is subscribed to the usage function, as infra/tessera-stack.ts
    // deploys it. In environments, the lines come from the environments' log lines; inline
    // handlers write them to the line sink.
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
    const jwt = await loadJwtKeys(dataDir, persist);
    if (options.seed ?? true) await seedDemo(bus);

    await ensureWebBuilt(); // the console page, built here when web/dist is missing or stale (fresh clone)
    server = createGateway({
      handlers, authorizer, legacyImport, bus, jwt, advance, webRoot: join(ROOT, 'web', 'dist'), exampleAuthorizer: options.exampleAuthorizer,
    });
    const { port } = await listenLocal(server, options.port ?? 3000);
    const every = options.sweepEveryMs ?? 30_000;
    if (every > 0) {
      timer = setInterval(() => void housekeeping().catch((e) => logger.warn('housekeeping failed', { error: e as Error })), every);
      timer.unref();
    }
    const s = server;
    const st = store;
    const px = proxy;
    const bs = bus;
    const envs = environments;
    const kmsServer = kms;
    const localIam = iam;
    return {
      url: `http://127.0.0.1:${port}`,
      port,
      bus,
      storeProxy: px,
      consistency,
      environments: envs,
      iam: localIam,
      dataDir,
      advance,
      flushLogs: () => logs.flush(),
      close: async () => {
        if (timer) clearInterval(timer);
        await logs.flush();
        setLogLineSink(undefined);
        s.closeAllConnections();
        await new Promise<void>((res) => s.close(() => res()));
        await envs?.close();
        await bs.close();
        resetStore();
        resetPublisher();
        consistency.remove();
        await kmsServer.close();
        await px.close();
        await st?.close();
        if (!persist) rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    if (timer) clearInterval(timer);
    server?.close();
    await environments?.close();
    await bus?.close();
    await kms?.close();
    await proxy?.close();
    await store?.close();
    throw e;
  }
}
