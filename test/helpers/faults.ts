// Store fault injection and store snapshots for the security and reliability suites.
//
// Faults are installed as SDK middleware on the one DynamoDB client (shared/store/client.ts),
// just inside the deserializer, so they act per attempt (the SDK's retries see them) and the
// SDK parses a fabricated error response exactly as it parses DynamoDB's own. A faulted call
// never reaches the store: throttles and 500s are answered here, a timeout is sent to a server
// that accepts the connection and never answers, a refused connection to a closed port.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { createServer, type Server, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import { store } from '../../shared/store/client.ts';

export type FaultKind =
  | 'throughput' // 400 ProvisionedThroughputExceededException
  | 'throttling' // 400 ThrottlingException
  | 'internal' // 500 InternalServerError
  | 'timeout' // the store accepts the connection and never answers
  | 'refused'; // nothing listens

export const FAULT_KINDS: FaultKind[] = ['throughput', 'throttling', 'internal', 'timeout', 'refused'];

interface Planned {
  at: number;
  kind: FaultKind;
}

export interface FaultInjector {
  /** Store calls (attempts) seen since the last reset. */
  readonly calls: number;
  /** Commands seen since the last reset, in order (e.g. "GetCommand"). */
  readonly log: string[];
  /** Faults the n-th call from now (1-based); more than one may be planned. */
  failCall(n: number, kind: FaultKind): void;
  /** Faults every call from now until reset(). */
  failAll(kind: FaultKind): void;
  /** Forgets plans and zeroes the counter. */
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

function fabricatedResponse(kind: keyof typeof ERROR_BODIES) {
  const e = ERROR_BODIES[kind];
  const body = Buffer.from(JSON.stringify({ __type: e.type, message: e.message }));
  return {
    statusCode: e.status,
    reason: '',
    headers: { 'content-type': 'application/x-amz-json-1.0', 'content-length': String(body.length), 'x-amzn-requestid': 'fault-injected' },
    body: Readable.from([body]),
  };
}

/** A TCP server that accepts connections and never answers: the store "hangs". */
async function blackhole(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((res) => server.close(() => res()));
    },
  };
}

/** A port nobody listens on (bound, read, released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((res) => server.close(() => res()));
  return port;
}

const NAME = 'tesseraTestFaultInjection';

/**
 * Installs the injector on the current store client. Call it after startTestApp (which replaces
 * the client); close() removes it.
 */
export interface FaultOptions {
  /**
   * Calls that are neither counted nor faulted. By default the authorizer's lastUsedAt touch,
   * which runs off the response path and may land during the next request.
   */
  skip?: (commandName: string, input: Record<string, unknown> | undefined) => boolean;
}

const isLastUsedTouch = (_: string, input: Record<string, unknown> | undefined) => input?.UpdateExpression === 'SET lastUsedAt = :now';

export async function installFaults(options: FaultOptions = {}): Promise<FaultInjector> {
  const skip = options.skip ?? isLastUsedTouch;
  const hole = await blackhole();
  const refusedPort = await closedPort();
  let calls = 0;
  let injected = 0;
  let always: FaultKind | undefined;
  let plans: Planned[] = [];
  const log: string[] = [];
  const stack = store().middlewareStack;
  stack.addRelativeTo(
    (next: (args: any) => Promise<any>, context: { commandName?: string }) => async (args: any) => {
      if (skip(context.commandName ?? '', args.input)) return next(args);
      calls++;
      log.push(context.commandName ?? 'unknown');
      const planned = plans.find((p) => p.at === calls);
      const kind = planned?.kind ?? always;
      if (!kind) return next(args);
      injected++;
      if (kind === 'timeout' || kind === 'refused') {
        args.request.hostname = '127.0.0.1';
        args.request.port = kind === 'timeout' ? hole.port : refusedPort;
        return next(args);
      }
      return { response: fabricatedResponse(kind), output: undefined };
    },
    { relation: 'after', toMiddleware: 'deserializerMiddleware', name: NAME, override: true },
  );
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
    failAll(kind) {
      always = kind;
    },
    reset() {
      calls = 0;
      injected = 0;
      plans = [];
      always = undefined;
      log.length = 0;
    },
    close: async () => {
      stack.remove(NAME);
      await hole.close();
    },
  };
}

// ---- snapshots ---------------------------------------------------------------------------

export type Snapshot = Map<string, Record<string, unknown>>;

let scanClient: DynamoDBDocumentClient | undefined;

function target(): { client: DynamoDBDocumentClient; table: string } {
  const endpoint = process.env.TESSERA_STORE_ENDPOINT;
  const table = process.env.TESSERA_TABLE;
  if (!endpoint || !table) throw new Error('start the test app first: TESSERA_TABLE / TESSERA_STORE_ENDPOINT are not set');
  scanClient ??= DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 }),
  );
  return { client: scanClient, table };
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
export async function snapshotTable(options: { ignore?: string[] } = {}): Promise<Snapshot> {
  const { client: scanClient, table } = target();
  const out: Snapshot = new Map();
  let start: Record<string, any> | undefined;
  do {
    const page = await scanClient.send(new ScanCommand({ TableName: table, ConsistentRead: true, ExclusiveStartKey: start }));
    for (const found of page.Items ?? []) {
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
