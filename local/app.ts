// The embedded default, composed: store, table, keys, handlers, bus, log subscriptions, gateway,
// sweeper.
// startLocal() is what `npm start` runs and what the integration tests start.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { clock } from '../shared/clock.ts';
import { getConfig, resetConfig } from '../shared/config.ts';
import { setEventSink } from '../shared/events/publish.ts';
import { logger } from '../shared/log.ts';
import { JOBS, ROUTE_LIST, permissionMap } from '../shared/routes.ts';
import { resetStore } from '../shared/store/client.ts';
import { resetMacKeys } from '../shared/crypto/mac.ts';
import { resetVault } from '../shared/crypto/vault.ts';
import { setLogLineSink, USAGE_FILTER } from '../shared/usage-line.ts';
import { LocalBus } from './bus.ts';
import { createGateway } from './gateway.ts';
import { LogSubscriptions } from './log-subscriptions.ts';
import { ensureKeyRing, loadJwtKeys } from './keys.ts';
import { credentialsEnv, LOCAL_RUNTIME } from './identities.ts';
import { startStore, type EmbeddedStore } from './store.ts';
import { startStoreProxy, type StoreProxy } from './store-proxy.ts';
import { localStream } from './streams.ts';
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
  env?: Record<string, string>;
}

export interface LocalApp {
  url: string;
  port: number;
  bus: LocalBus;
  /** The store endpoint every DynamoDB call goes through (interceptors: local/store-proxy.ts). */
  storeProxy: StoreProxy;
  advance(seconds: number): Promise<{ now: string; swept: number }>;
  /** Delivers the log lines the subscriptions hold now (CloudWatch Logs delivers within seconds). */
  flushLogs(): Promise<void>;
  close(): Promise<void>;
}

const ROOT = resolve(import.meta.dirname, '..');

export async function startLocal(options: LocalOptions = {}): Promise<LocalApp> {
  const persist = (options.store ?? 'disk') === 'disk' && !options.storeEndpoint;
  const dataDir = persist ? resolve(options.dataDir ?? '.tessera') : mkdtempSync(join(tmpdir(), 'tessera-'));
  let store: EmbeddedStore | undefined;
  let proxy: StoreProxy | undefined;
  let server: Server | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    store = options.storeEndpoint ? undefined : await startStore({ dataDir: persist ? dataDir : undefined });
    proxy = await startStoreProxy({ upstream: options.storeEndpoint ?? store!.endpoint });
    const endpoint = proxy.endpoint;
    const tableName = options.tableName ?? 'tessera-local';
    Object.assign(process.env, {
      TESSERA_TABLE: tableName,
      TESSERA_STORE_ENDPOINT: endpoint,
      // The local runtime's own calls (TTL sweeper, table creation) sign as the local runtime.
      ...credentialsEnv(LOCAL_RUNTIME),
      TESSERA_JWT_ISSUER: LOCAL_ISSUER,
      TESSERA_JWT_AUDIENCE: LOCAL_AUDIENCE,
      TESSERA_KEY_SOURCE: `file:${ensureKeyRing(dataDir)}`,
      TESSERA_MAC_KEYS: `file:${ensureKeyRing(dataDir)}`,
      TESSERA_ROUTE_PERMISSIONS: JSON.stringify(permissionMap('example')),
      AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
      ...options.env,
    });
    resetConfig();
    resetStore();
    resetVault();
    resetMacKeys();
    getConfig();
    await ensureTable(endpoint, tableName);

    const handlers = new Map<string, (e: unknown, c: unknown) => Promise<unknown>>();
    for (const route of ROUTE_LIST) handlers.set(route.id, (await import(join(ROOT, route.entry))).handler);
    const authorizer = (await import(join(ROOT, JOBS.authorizer.entry))).handler;
    const userEvents = (await import(join(ROOT, JOBS.userEvents.entry))).handler;
    const legacyImport = (await import(join(ROOT, JOBS.legacyImport.entry))).handler;
    const expiryNotices = (await import(join(ROOT, JOBS.expiryNotices.entry))).handler;
    const ttlRemovals = localStream((await import(join(ROOT, JOBS.ttlRemovals.entry))).handler);

    const usage = (await import(join(ROOT, JOBS.usage.entry))).handler;

    // The authorizer's log group is subscribed to the usage function, as infra/tessera-stack.ts
    // deploys it. Handlers run in this process, so their lines are taken from the line sink.
    const logs = new LogSubscriptions();
    logs.add({ source: 'authorizer', filter: USAGE_FILTER, deliver: (event) => usage(event, lambdaContext('usage')) });
    // At DEBUG the console shows them too, as the log group would.
    const echo = getConfig().logLevel === 'DEBUG';
    setLogLineSink((line) => {
      logs.line('authorizer', line);
      if (echo) console.log(line);
    });

    const bus = new LocalBus(userEvents);
    setEventSink(bus.sink);
    const housekeeping = async () => {
      const swept = await sweepExpired(ttlRemovals);
      await expiryNotices({}, undefined);
      return swept;
    };
    const advance = async (seconds: number) => {
      await logs.flush(); // lines written before the clock moved count on their own day
      clock.advance(seconds);
      const swept = await housekeeping();
      return { now: new Date(clock.now()).toISOString(), swept };
    };
    const jwt = await loadJwtKeys(dataDir, persist);
    if (options.seed ?? true) await seedDemo(bus);

    await ensureWebBuilt(); // the console page, built here when web/dist is missing or stale (fresh clone)
    server = createGateway({ handlers, authorizer, legacyImport, bus, jwt, advance, webRoot: join(ROOT, 'web', 'dist') });
    await new Promise<void>((res, rej) => {
      server!.once('error', rej);
      server!.listen(options.port ?? 3000, '127.0.0.1', () => res());
    });
    const port = (server.address() as AddressInfo).port;
    const every = options.sweepEveryMs ?? 30_000;
    if (every > 0) {
      timer = setInterval(() => void housekeeping().catch((e) => logger.warn('housekeeping failed', { error: e as Error })), every);
      timer.unref();
    }
    const s = server;
    const st = store;
    const px = proxy;
    return {
      url: `http://127.0.0.1:${port}`,
      port,
      bus,
      storeProxy: px,
      advance,
      flushLogs: () => logs.flush(),
      close: async () => {
        if (timer) clearInterval(timer);
        await logs.flush();
        setLogLineSink(undefined);
        s.closeAllConnections();
        await new Promise<void>((res) => s.close(() => res()));
        resetStore();
        setEventSink(undefined);
        await px.close();
        await st?.close();
        if (!persist) rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    if (timer) clearInterval(timer);
    server?.close();
    await proxy?.close();
    await store?.close();
    throw e;
  }
}
