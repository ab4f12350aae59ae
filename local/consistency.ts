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
import { withJsonBody, type StoreProxy, type StoreReply } from './store-proxy.ts';

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

export function eventualConsistency(proxy: StoreProxy, initial: ConsistencySettings): Consistency {
  const settings = { ...initial };
  const writes = new Map<string, Write>();
  const inspector = new DynamoDBClient({ endpoint: proxy.upstream, region: 'us-east-1', credentials: identityOf(LOCAL_INSPECTOR), maxAttempts: 1 });
  const window = () => Math.max(settings.indexLagMs, settings.readLagMs);

  function recent(key: string | undefined, lagMs: number, now: number): Write | undefined {
    if (!key || lagMs <= 0) return undefined;
    const w = writes.get(key);
    return w && now - w.at < lagMs ? w : undefined;
  }

  function prune(now: number) {
    if (writes.size < 5000) return;
    for (const [k, w] of writes) if (now - w.at >= window()) writes.delete(k);
  }

  const remove = proxy.use(async (call, next) => {
    if (window() <= 0) return next();
    const table = String(call.body.TableName ?? '');
    if (WRITES.has(call.action)) {
      const key = call.action === 'PutItem' ? (call.body.Item as Item) : (call.body.Key as Item);
      const id = keyOf(table, key);
      const now = Date.now();
      const pending = recent(id, window(), now);
      let before = pending?.before;
      if (!pending && id) {
        const out = await inspector.send(
          new GetItemCommand({ TableName: table, Key: { [TABLE.partitionKey]: key[TABLE.partitionKey], [TABLE.sortKey]: key[TABLE.sortKey] }, ConsistentRead: true }),
        );
        before = out.Item;
      }
      const reply = await next();
      if (id && typeof reply !== 'symbol' && reply.status === 200) {
        writes.set(id, { at: Date.now(), before });
        prune(Date.now());
      }
      return reply;
    }
    const reply = await next();
    if (typeof reply === 'symbol' || reply.status !== 200) return reply;
    const now = Date.now();
    if (call.action === 'Query' && call.body.IndexName && settings.indexLagMs > 0) {
      return staleQuery(reply, table, String(call.body.IndexName), now);
    }
    if (call.action === 'GetItem' && call.body.ConsistentRead !== true && settings.readLagMs > 0) {
      const json = JSON.parse(reply.body.toString('utf8')) as { Item?: Item };
      const w = recent(keyOf(table, json.Item ?? (call.body.Key as Item)), settings.readLagMs, now);
      if (!w) return reply;
      const { Item: _latest, ...rest } = json;
      return withJsonBody(reply, w.before ? { ...rest, Item: w.before } : rest);
    }
    if (call.action === 'BatchGetItem' && settings.readLagMs > 0) {
      const json = JSON.parse(reply.body.toString('utf8')) as { Responses?: Record<string, Item[]> };
      let changed = false;
      for (const [t, items] of Object.entries(json.Responses ?? {})) {
        if ((call.body.RequestItems?.[t] as { ConsistentRead?: boolean } | undefined)?.ConsistentRead === true) continue;
        const requested = ((call.body.RequestItems?.[t] as { Keys?: Item[] } | undefined)?.Keys ?? []) as Item[];
        const out: Item[] = [];
        const seen = new Set<string>();
        for (const item of items) {
          const k = keyOf(t, item)!;
          seen.add(k);
          const w = recent(k, settings.readLagMs, now);
          if (!w) out.push(item);
          else {
            changed = true;
            if (w.before) out.push(w.before);
          }
        }
        // A key deleted within the lag still answers its old image.
        for (const key of requested) {
          const k = keyOf(t, key)!;
          const w = seen.has(k) ? undefined : recent(k, settings.readLagMs, now);
          if (w?.before) {
            out.push(w.before);
            changed = true;
          }
        }
        json.Responses![t] = out;
      }
      return changed ? withJsonBody(reply, json) : reply;
    }
    return reply;
  });

  function staleQuery(reply: StoreReply, table: string, indexName: string, now: number): StoreReply {
    const index = TABLE.indexes.find((i) => i.name === indexName);
    const json = JSON.parse(reply.body.toString('utf8')) as { Items?: Item[]; Count?: number };
    if (!index || !json.Items) return reply;
    let changed = false;
    const items: Item[] = [];
    for (const item of json.Items) {
      const w = recent(keyOf(table, item), settings.indexLagMs, now);
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

  return {
    settings,
    set(next) {
      Object.assign(settings, next);
    },
    remove() {
      remove();
      inspector.destroy();
      writes.clear();
    },
  };
}
