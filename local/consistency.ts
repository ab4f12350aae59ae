// DynamoDB's eventual consistency, emulated on the local store proxy (local/store-proxy.ts).
//
// - Global secondary indexes: a Query on an index does not yet reflect a write younger than
//   `indexLagMs`. An item created within the lag is missing from the index; an item changed
//   within the lag shows as it was before (or is missing, if its old image was not in the index
//   under that partition key). AWS propagates to indexes asynchronously, usually within a second.
// - Eventually consistent reads (GetItem / BatchGetItem without ConsistentRead): with
//   `readLagMs` > 0 they may answer the image before a write younger than the lag.
//   Strongly consistent reads, Scans and writes always see the latest state.
// - Not emulated: an item deleted within the lag is already gone from the index.
//
// Writes are tracked as they pass the proxy (PutItem, UpdateItem, DeleteItem): their time and
// the item's image before the first write in the current lag window (read from dynalite first).
import { DynamoDBClient, GetItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { TABLE } from '../shared/store/table.ts';
import { identityOf, LOCAL_INSPECTOR } from './identities.ts';
import { withJsonBody, type ProxyAnswer, type StoreCall, type StoreProxy, type StoreReply } from './store-proxy.ts';

export interface ConsistencySettings {
  /** How long a write stays invisible to index queries, in ms (0: indexes are immediate). */
  indexLagMs: number;
  /** How long eventually consistent reads may answer the previous image, in ms (0: never). */
  readLagMs: number;
}

export interface Consistency {
  readonly settings: ConsistencySettings;
  set(next: Partial<ConsistencySettings>): void;
  remove(): void;
}

type Item = Record<string, AttributeValue>;

interface Write {
  at: number;
  /** The image the index and stale reads still show; undefined when the item did not exist. */
  before: Item | undefined;
}

const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem']);

const keyOf = (table: string, item: Item | undefined) =>
  item ? `${table}\u0000${item[TABLE.partitionKey]?.S}\u0000${item[TABLE.sortKey]?.S}` : undefined;

/** Reads from the environment: TESSERA_LOCAL_GSI_LAG_MS, TESSERA_LOCAL_READ_LAG_MS. */
export function settingsFromEnv(env: Record<string, string | undefined>, defaults: ConsistencySettings): ConsistencySettings {
  const num = (name: string, fallback: number) => {
    const v = env[name];
    if (v === undefined || v === '') return fallback;
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < 0 || n > 60_000) throw new Error(`${name} must be an integer from 0 to 60000 (ms)`);
    return n;
  };
  return { indexLagMs: num('TESSERA_LOCAL_GSI_LAG_MS', defaults.indexLagMs), readLagMs: num('TESSERA_LOCAL_READ_LAG_MS', defaults.readLagMs) };
}

/** What the emulation holds: its settings (set() changes them in place), the writes of the current lag window, and a client that reads dynalite directly. */
interface Emulation {
  readonly settings: ConsistencySettings;
  readonly writes: Map<string, Write>;
  readonly inspector: DynamoDBClient;
}

export function eventualConsistency(proxy: StoreProxy, initial: ConsistencySettings): Consistency {
  const e: Emulation = {
    settings: { ...initial },
    writes: new Map(),
    inspector: new DynamoDBClient({ endpoint: proxy.upstream, region: 'us-east-1', credentials: identityOf(LOCAL_INSPECTOR), maxAttempts: 1 }),
  };
  const remove = proxy.use((call, next) => intercept(e, call, next));
  return {
    settings: e.settings,
    set(next) {
      Object.assign(e.settings, next);
    },
    remove() {
      remove();
      e.inspector.destroy();
      e.writes.clear();
    },
  };
}

/** How long a write is remembered: the longer of the two lags. */
const windowOf = (settings: ConsistencySettings) => Math.max(settings.indexLagMs, settings.readLagMs);

/** The write to `key` younger than `lagMs`, if any. */
function recent(e: Emulation, key: string | undefined, lagMs: number, now: number): Write | undefined {
  if (!key || lagMs <= 0) return undefined;
  const w = e.writes.get(key);
  return w && now - w.at < lagMs ? w : undefined;
}

function prune(e: Emulation, now: number): void {
  if (e.writes.size < 5000) return;
  for (const [k, w] of e.writes) if (now - w.at >= windowOf(e.settings)) e.writes.delete(k);
}

/** The interceptor: writes are noted as they pass, reads answered from before the writes within the lag. */
async function intercept(e: Emulation, call: StoreCall, next: () => Promise<ProxyAnswer>): Promise<ProxyAnswer> {
  if (windowOf(e.settings) <= 0) return next();
  const table = String(call.body.TableName ?? '');
  if (WRITES.has(call.action)) return noteWrite(e, call, table, next);
  const reply = await next();
  if (typeof reply === 'symbol' || reply.status !== 200) return reply;
  const now = Date.now();
  if (call.action === 'Query' && call.body.IndexName && e.settings.indexLagMs > 0) {
    return staleQuery(e, reply, table, String(call.body.IndexName), now);
  }
  if (call.action === 'GetItem' && call.body.ConsistentRead !== true && e.settings.readLagMs > 0) return staleGet(e, call, reply, table, now);
  if (call.action === 'BatchGetItem' && e.settings.readLagMs > 0) return staleBatchGet(e, call, reply, now);
  return reply;
}

/**
 * Passes a write on and, when it succeeds, notes its time and the image before it: the one
 * already noted within the window, else the item as dynalite holds it now.
 */
async function noteWrite(e: Emulation, call: StoreCall, table: string, next: () => Promise<ProxyAnswer>): Promise<ProxyAnswer> {
  const key = call.action === 'PutItem' ? (call.body.Item as Item) : (call.body.Key as Item);
  const id = keyOf(table, key);
  const pending = recent(e, id, windowOf(e.settings), Date.now());
  let before = pending?.before;
  if (!pending && id) before = await currentImage(e, table, key);
  const reply = await next();
  if (id && typeof reply !== 'symbol' && reply.status === 200) {
    e.writes.set(id, { at: Date.now(), before });
    prune(e, Date.now());
  }
  return reply;
}

async function currentImage(e: Emulation, table: string, key: Item): Promise<Item | undefined> {
  const out = await e.inspector.send(
    new GetItemCommand({ TableName: table, Key: { [TABLE.partitionKey]: key[TABLE.partitionKey], [TABLE.sortKey]: key[TABLE.sortKey] }, ConsistentRead: true }),
  );
  return out.Item;
}

/** An index query: items written within the lag show their old image, if it was in the index under that partition key. */
function staleQuery(e: Emulation, reply: StoreReply, table: string, indexName: string, now: number): StoreReply {
  const index = TABLE.indexes.find((i) => i.name === indexName);
  const json = JSON.parse(reply.body.toString('utf8')) as { Items?: Item[]; Count?: number };
  if (!index || !json.Items) return reply;
  let changed = false;
  const items: Item[] = [];
  for (const item of json.Items) {
    const w = recent(e, keyOf(table, item), e.settings.indexLagMs, now);
    if (!w) {
      items.push(item);
      continue;
    }
    changed = true;
    const old = w.before;
    const samePartition = old?.[index.partitionKey]?.S !== undefined && old[index.partitionKey].S === item[index.partitionKey]?.S;
    if (old && samePartition && old[index.sortKey] !== undefined) items.push(old);
  }
  if (!changed) return reply;
  return withJsonBody(reply, { ...json, Items: items, Count: items.length });
}

/** An eventually consistent GetItem: the image before a write within the lag (none if it did not exist). */
function staleGet(e: Emulation, call: StoreCall, reply: StoreReply, table: string, now: number): StoreReply {
  const json = JSON.parse(reply.body.toString('utf8')) as { Item?: Item };
  const w = recent(e, keyOf(table, json.Item ?? (call.body.Key as Item)), e.settings.readLagMs, now);
  if (!w) return reply;
  const { Item: _latest, ...rest } = json;
  return withJsonBody(reply, w.before ? { ...rest, Item: w.before } : rest);
}

/** A BatchGetItem: each table read without ConsistentRead answers the images before the writes within the lag. */
function staleBatchGet(e: Emulation, call: StoreCall, reply: StoreReply, now: number): StoreReply {
  const json = JSON.parse(reply.body.toString('utf8')) as { Responses?: Record<string, Item[]> };
  let changed = false;
  for (const [t, items] of Object.entries(json.Responses ?? {})) {
    const request = call.body.RequestItems?.[t] as { ConsistentRead?: boolean; Keys?: Item[] } | undefined;
    if (request?.ConsistentRead === true) continue;
    const stale = staleBatchItems(e, t, items, request?.Keys ?? [], now);
    changed ||= stale.changed;
    json.Responses![t] = stale.items;
  }
  return changed ? withJsonBody(reply, json) : reply;
}

function staleBatchItems(e: Emulation, table: string, items: Item[], requested: Item[], now: number): { items: Item[]; changed: boolean } {
  const out: Item[] = [];
  const seen = new Set<string>();
  let changed = false;
  for (const item of items) {
    const k = keyOf(table, item)!;
    seen.add(k);
    const w = recent(e, k, e.settings.readLagMs, now);
    if (!w) out.push(item);
    else {
      changed = true;
      if (w.before) out.push(w.before);
    }
  }
  // A key deleted within the lag still answers its old image.
  for (const key of requested) {
    const k = keyOf(table, key)!;
    const w = seen.has(k) ? undefined : recent(e, k, e.settings.readLagMs, now);
    if (w?.before) {
      out.push(w.before);
      changed = true;
    }
  }
  return { items: out, changed };
}
