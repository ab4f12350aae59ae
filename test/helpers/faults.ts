// Store fault injection and store snapshots for the security and reliability suites.
//
// Faults are an interceptor on the test app's store proxy (local/store-proxy.ts), which every
// DynamoDB call goes through, so they act per attempt (the SDK's retries see them) whatever
// thread or process the calling handler runs in. A faulted call never reaches the store:
// throttles and 500s are answered by the proxy in DynamoDB's own error shapes, a timeout is a
// request held until the caller's own timeout gives up, a refused connection is a destroyed socket.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { identityOf, LOCAL_INSPECTOR } from '../../local/identities.ts';
import { DROP, dynamoError, withJsonBody, type StoreCall, type StoreProxy } from '../../local/store-proxy.ts';

export type { StoreCall };
import { currentApp } from './app.ts';

export type FaultKind =
  | 'throughput' // 400 ProvisionedThroughputExceededException
  | 'throttling' // 400 ThrottlingException
  | 'internal' // 500 InternalServerError
  | 'timeout' // the store takes the request and never answers
  | 'refused' // the connection is dropped without an answer
  | 'lostReply'; // the store applies the request, and its answer never reaches the caller (a timeout after the fact)

/** The faults under which the store did nothing (lostReply is the one that applies the request). */
export const FAULT_KINDS: FaultKind[] = ['throughput', 'throttling', 'internal', 'timeout', 'refused'];

interface Planned {
  at?: number;
  matches?: (call: StoreCall) => boolean;
  kind: FaultKind;
}

export interface Hold {
  /** Resolves when a matching call has arrived and is parked. */
  reached: Promise<void>;
  /** Lets the parked call (or the next matching one, if none arrived yet) go on to the store. */
  release(): void;
}

export interface FaultInjector {
  /** Store calls (attempts) seen since the last reset. */
  readonly calls: number;
  /** Actions seen since the last reset, in order, named as the SDK's commands ("GetItemCommand"). */
  readonly log: string[];
  /** Faults the n-th call from now (1-based); more than one may be planned. */
  failCall(n: number, kind: FaultKind): void;
  /** Faults the first call from now that `matches` (e.g. the token's PutItem). */
  failWhere(matches: (call: StoreCall) => boolean, kind: FaultKind): void;
  /** Faults every call from now until reset(). */
  failAll(kind: FaultKind): void;
  /** Parks the first call from now that `matches` until release(); the calls after it pass. */
  hold(matches: (call: StoreCall) => boolean): Hold;
  /**
   * Every call from now awaits `gate(call)` before it goes on to the store, until the returned
   * function is called (a scheduler decides the order of concurrent calls).
   */
  gate(gate: (call: StoreCall) => Promise<void>): () => void;
  /**
   * Index reads (Query with an IndexName) from now answer without the items that `hidden`
   * matches (DynamoDB JSON), as a global secondary index that has not caught up with a write yet
   * does, until the returned function is called.
   */
  hideFromIndexes(hidden: (item: Record<string, any>) => boolean): () => void;
  /** Forgets plans and zeroes the counter (held calls stay held until released). */
  reset(): void;
  /** How many faults were injected since the last reset. */
  readonly injected: number;
  close(): Promise<void>;
}

const ERROR_BODIES: Record<'throughput' | 'throttling' | 'internal', { status: number; type: string; message: string }> = {
  throughput: {
    status: 400,
    type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
    message: 'The level of configured provisioned throughput for the table was exceeded.',
  },
  throttling: { status: 400, type: 'com.amazon.coral.availability#ThrottlingException', message: 'Rate of requests exceeds the allowed throughput.' },
  internal: { status: 500, type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: 'Internal server error' },
};

export interface FaultOptions {
  /**
   * Calls that are neither counted nor faulted (action as 'UpdateItem', body as sent). By default
   * the usage function's writes, which the local CloudWatch Logs subscription delivers a moment
   * after the request that caused them.
   */
  skip?: (action: string, body: Record<string, unknown>) => boolean;
  /** The store proxy to act on; by default the one of the test app started last. */
  proxy?: StoreProxy;
}

const isUsageWrite = (_: string, body: Record<string, unknown>) =>
  body?.UpdateExpression === 'SET lastUsedAt = :now' || `${(body?.Key as { pk?: { S?: string } } | undefined)?.pk?.S ?? ''}`.startsWith('USAGE#');

/** Installs the injector on the test app's store proxy; close() removes it. */
export async function installFaults(options: FaultOptions = {}): Promise<FaultInjector> {
  const skip = options.skip ?? isUsageWrite;
  const proxy = options.proxy ?? currentApp().storeProxy;
  let calls = 0;
  let injected = 0;
  let always: FaultKind | undefined;
  let plans: Planned[] = [];
  const log: string[] = [];
  const holds: { matches: (call: StoreCall) => boolean; arrived: () => void; released: Promise<void>; release: () => void }[] = [];
  const releases = new Set<() => void>();
  const gates = new Set<(call: StoreCall) => Promise<void>>();
  const hiders = new Set<(item: Record<string, any>) => boolean>();
  const remove = proxy.use(async (call, next) => {
    if (call.functionId === LOCAL_INSPECTOR || skip(call.action, call.body)) return next();
    calls++;
    log.push(`${call.action}Command`);
    const planned = plans.find((p) => p.at === calls) ?? plans.find((p) => p.matches?.(call));
    if (planned) plans.splice(plans.indexOf(planned), 1);
    const kind = planned?.kind ?? always;
    if (kind) {
      injected++;
      if (kind === 'refused') return DROP;
      if (kind === 'lostReply') {
        await next(); // applied...
        await call.closed; // ...and the caller times out waiting for the answer
        return DROP;
      }
      if (kind === 'timeout') {
        await call.closed; // the caller's request timeout ends it
        return DROP;
      }
      const e = ERROR_BODIES[kind];
      return dynamoError(e.status, e.type, e.message);
    }
    const at = holds.findIndex((h) => h.matches(call));
    if (at >= 0) {
      const [h] = holds.splice(at, 1);
      h.arrived();
      await h.released;
    }
    for (const g of gates) await g(call);
    const reply = await next();
    if (hiders.size === 0 || reply === DROP || call.action !== 'Query' || !call.body.IndexName || reply.status !== 200) return reply;
    const parsed = JSON.parse(reply.body.toString('utf8'));
    const items = ((parsed.Items ?? []) as Record<string, any>[]).filter((i) => ![...hiders].some((h) => h(i)));
    return withJsonBody(reply, { ...parsed, Items: items, Count: items.length });
  });
  return {
    get calls() {
      return calls;
    },
    get injected() {
      return injected;
    },
    log,
    failCall(n, kind) {
      plans.push({ at: calls + n, kind });
    },
    failWhere(matches, kind) {
      plans.push({ matches, kind });
    },
    failAll(kind) {
      always = kind;
    },
    hold(matches) {
      let arrived!: () => void;
      let release!: () => void;
      const reached = new Promise<void>((r) => (arrived = r));
      const released = new Promise<void>((r) => (release = r));
      releases.add(release);
      holds.push({ matches, arrived, released, release });
      return { reached, release };
    },
    gate(g) {
      gates.add(g);
      return () => gates.delete(g);
    },
    hideFromIndexes(hidden) {
      hiders.add(hidden);
      return () => hiders.delete(hidden);
    },
    reset() {
      calls = 0;
      injected = 0;
      plans = [];
      always = undefined;
      log.length = 0;
    },
    close: async () => {
      remove();
      for (const release of releases) release();
      holds.length = 0;
      gates.clear();
      hiders.clear();
    },
  };
}

// ---- snapshots ---------------------------------------------------------------------------

export type Snapshot = Map<string, Record<string, unknown>>;

let scanClient: DynamoDBDocumentClient | undefined;
let scanEndpoint: string | undefined;

/** A client of its own, signed as the inspector: faults and index lag never apply to its reads. */
function target(): { client: DynamoDBDocumentClient; table: string } {
  const endpoint = process.env.TESSERA_STORE_ENDPOINT;
  const table = process.env.TESSERA_TABLE;
  if (!endpoint || !table) throw new Error('start the test app first: TESSERA_TABLE / TESSERA_STORE_ENDPOINT are not set');
  if (scanEndpoint !== endpoint) closeSnapshots();
  scanEndpoint = endpoint;
  scanClient ??= DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: identityOf(LOCAL_INSPECTOR), maxAttempts: 1 }),
  );
  return { client: scanClient, table };
}

/** One item as stored (no TTL filtering), read past the fault injector. */
export async function readItem(pk: string, sk: string): Promise<Record<string, any> | undefined> {
  const { client, table } = target();
  return (await client.send(new GetCommand({ TableName: table, Key: { pk, sk }, ConsistentRead: true }))).Item;
}

/** One token item as stored (no TTL filtering), read past the fault injector. */
export async function readTokenItem(tokenId: string): Promise<Record<string, any> | undefined> {
  const { client, table } = target();
  const out = await client.send(new GetCommand({ TableName: table, Key: { pk: `TOKEN#${tokenId}`, sk: 'TOKEN' }, ConsistentRead: true }));
  return out.Item;
}

/**
 * Every item of the test app's table (process.env.TESSERA_TABLE at the endpoint
 * TESSERA_STORE_ENDPOINT), read with a client of its own so injected faults never touch it.
 */
/**
 * The table's items. Usage counters (USAGE#) are left out: the local log subscription writes them
 * a moment after the verification that caused them, outside the request under test. So are
 * revocation feed entries (REVOKED): written before a change by design, harmless when the change
 * then fails (shared/store/revocations.ts), and gone by TTL in minutes.
 */
export async function snapshotTable(options: { ignore?: string[] } = {}): Promise<Snapshot> {
  const { client: scanClient, table } = target();
  const out: Snapshot = new Map();
  let start: Record<string, any> | undefined;
  do {
    const page = await scanClient.send(new ScanCommand({ TableName: table, ConsistentRead: true, ExclusiveStartKey: start }));
    for (const found of page.Items ?? []) {
      if (String(found.pk).startsWith('USAGE#') || found.pk === 'REVOKED') continue;
      const item = { ...found };
      for (const k of options.ignore ?? []) delete item[k];
      out.set(`${item.pk}|${item.sk}`, item);
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return out;
}

/** Keys added, removed or changed between two snapshots; empty when equal. */
export function diffSnapshots(before: Snapshot, after: Snapshot): string[] {
  const changes: string[] = [];
  for (const [k, v] of before) {
    const w = after.get(k);
    if (!w) changes.push(`removed ${k}`);
    else if (JSON.stringify(sorted(v)) !== JSON.stringify(sorted(w))) changes.push(`changed ${k}`);
  }
  for (const k of after.keys()) if (!before.has(k)) changes.push(`added ${k}`);
  return changes;
}

const sorted = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));

/** The token items of a snapshot, by token id. */
export function tokenItems(s: Snapshot): Record<string, any>[] {
  return [...s.values()].filter((i) => i.type === 'token');
}

export function closeSnapshots(): void {
  scanClient?.destroy();
  scanClient = undefined;
}
