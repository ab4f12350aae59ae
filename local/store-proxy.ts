// The local store endpoint: an HTTP proxy on 127.0.0.1 in front of dynalite (local/store.ts).
// Every DynamoDB call of the local runtime and of the tests goes through it, so the local
// runtime can do here what AWS does around DynamoDB (IAM, eventual consistency) and the tests
// can inject faults, whatever thread or process the calling handler runs in.
//
// The API, in full:
//
//   const proxy = await startStoreProxy({ upstream: 'http://127.0.0.1:<dynalite port>' });
//   proxy.endpoint                       // what TESSERA_STORE_ENDPOINT points at
//   const remove = proxy.use(async (call, next) => {
//     // call.action       'GetItem', 'Query', ... (from X-Amz-Target)
//     // call.body         the parsed JSON request (DynamoDB's wire shape: {"S": "..."} values)
//     // call.accessKeyId  from the SigV4 Authorization header (Credential=AKID/...)
//     // call.functionId   the function that key belongs to (local/identities.ts), if any
//     // call.closed       resolves when the caller gives up (socket closed)
//     if (refuse) return dynamoError(400, 'AccessDeniedException', 'User: ... is not authorized ...');
//     const reply = await next();        // the next interceptor, at the end dynalite
//     return reply;                      // or a changed one (status, headers, body Buffer)
//   });
//   remove();                            // takes the interceptor out again
//   await proxy.close();
//
// Interceptors run in the order they were added (the first added sees the call first). An
// interceptor answers by returning a reply (dynamoError() builds one in DynamoDB's error shape,
// `{__type, message}` with its status) or DROP, which destroys the caller's socket (a connection
// reset). It may await call.closed to hold a call until the caller's own timeout ends it.
import { Buffer } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { listenLocal } from './listen.ts';
import { functionOfAccessKey } from './identities.ts';

export interface StoreCall {
  /** The DynamoDB action: 'GetItem', 'PutItem', 'Query', ... */
  readonly action: string;
  /** The request as sent, parsed (attribute values in DynamoDB's JSON: {"S": "x"}). */
  readonly body: Record<string, any>;
  /** The access key id of the SigV4 signature, or undefined when unsigned. */
  readonly accessKeyId: string | undefined;
  /** The function the access key belongs to (local/identities.ts), or undefined. */
  readonly functionId: string | undefined;
  /** The request headers (lower-case names). */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** Resolves when the caller's connection closes before an answer was sent. */
  readonly closed: Promise<void>;
}

export interface StoreReply {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** Returned by an interceptor: the caller's connection is destroyed without an answer. */
export const DROP = Symbol('drop the connection');
export type ProxyAnswer = StoreReply | typeof DROP;

export type Interceptor = (call: StoreCall, next: () => Promise<ProxyAnswer>) => Promise<ProxyAnswer>;

export interface StoreProxy {
  /** http://127.0.0.1:<port>: the endpoint handlers and tests use. */
  readonly endpoint: string;
  /** The store behind the proxy (dynalite). */
  readonly upstream: string;
  /** Adds an interceptor at the end of the chain; returns a function that removes it. */
  use(interceptor: Interceptor): () => void;
  close(): Promise<void>;
}

/**
 * A reply in DynamoDB's error shape. `type` is the short name ('ThrottlingException'); the
 * namespace DynamoDB puts in front of it is added unless `type` already has a '#'.
 */
export function dynamoError(status: number, type: string, message: string): StoreReply {
  return awsJsonError(status, type.includes('#') ? type : `com.amazonaws.dynamodb.v20120810#${type}`, message, '1.0');
}

/** An error reply of the AWS JSON protocol (`{__type, message}`), as EventBridge (1.1) and DynamoDB (1.0) send it. */
export function awsJsonError(status: number, type: string, message: string, version: '1.0' | '1.1' = '1.1'): StoreReply {
  return jsonReply(status, { __type: type, message }, version);
}

export function jsonReply(status: number, json: unknown, version: '1.0' | '1.1' = '1.1'): StoreReply {
  const body = Buffer.from(JSON.stringify(json));
  return {
    status,
    headers: { 'content-type': `application/x-amz-json-${version}`, 'content-length': String(body.length), 'x-amzn-requestid': randomUUID() },
    body,
  };
}

/** A reply with a new JSON body (the checksum header of the original no longer applies). */
export function withJsonBody(reply: StoreReply, json: unknown): StoreReply {
  const body = Buffer.from(JSON.stringify(json));
  const headers: Record<string, string> = { ...reply.headers, 'content-length': String(body.length) };
  delete headers['x-amz-crc32'];
  return { ...reply, headers, body };
}

const CREDENTIAL = /Credential=([^/,\s]+)\//;

export function accessKeyOf(authorization: string | undefined): string | undefined {
  return authorization?.match(CREDENTIAL)?.[1];
}

async function readAll(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function forward(upstream: URL, req: IncomingMessage, raw: Buffer): Promise<StoreReply> {
  return new Promise((resolve, reject) => {
    const headers = { ...req.headers, host: upstream.host, 'content-length': String(raw.length) };
    const out = httpRequest(
      { hostname: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const h: Record<string, string> = {};
          for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) h[k] = Array.isArray(v) ? v.join(', ') : v;
          resolve({ status: res.statusCode ?? 500, headers: h, body: Buffer.concat(chunks) });
        });
      },
    );
    out.on('error', reject);
    out.end(raw);
  });
}

/** Answers what passes the whole interceptor chain (dynalite behind the store proxy, a local service). */
type Terminal = (call: StoreCall, req: IncomingMessage, raw: Buffer) => Promise<ProxyAnswer>;

/** An AWS JSON-protocol endpoint with the interceptor chain; `terminal` answers what passes it. */
export interface AwsJsonEndpoint {
  readonly endpoint: string;
  readonly use: (interceptor: Interceptor) => () => void;
  readonly close: () => Promise<void>;
}

export async function startStoreProxy(options: { upstream: string; port?: number }): Promise<StoreProxy> {
  const upstream = new URL(options.upstream);
  const server = await startAwsJsonEndpoint({ port: options.port, terminal: (_call, req, raw) => forward(upstream, req, raw) });
  return { endpoint: server.endpoint, upstream: options.upstream, use: server.use, close: server.close };
}

/** What an endpoint holds between calls. */
interface EndpointState {
  readonly terminal: Terminal;
  /** The interceptors, in the order they were added. */
  readonly chain: Interceptor[];
  readonly sockets: Set<Socket>;
  /** Resolves the `closed` promise of each call in flight (close() releases calls held on it). */
  readonly inFlight: (() => void)[];
}

export async function startAwsJsonEndpoint(options: { port?: number; terminal: Terminal }): Promise<AwsJsonEndpoint> {
  const state: EndpointState = { terminal: options.terminal, chain: [], sockets: new Set(), inFlight: [] };
  const server: Server = createServer((req, res) => {
    handle(state, req, res).catch(() => req.socket.destroy());
  });
  // Idle connections stay open: a frozen execution environment cannot see a close, and would
  // find its kept-alive socket dead when thawed (the SDK's idle sockets live as long as it does).
  server.keepAliveTimeout = 0;
  server.on('connection', (s) => {
    state.sockets.add(s);
    s.on('close', () => state.sockets.delete(s));
  });
  const { endpoint } = await listenLocal(server, options.port);
  return { endpoint, use: (interceptor) => addInterceptor(state.chain, interceptor), close: () => closeEndpoint(state, server) };
}

/** One request: parsed into a call, answered by the chain, the answer sent (or the socket dropped). */
async function handle(state: EndpointState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const raw = await readAll(req);
  let release!: () => void;
  const closed = new Promise<void>((r) => (release = r));
  state.inFlight.push(release);
  res.on('close', () => release());
  const call = parseCall(req, raw, closed);
  let answer: ProxyAnswer;
  try {
    answer = await runChain(state, call, req, raw);
  } catch (e) {
    answer = dynamoError(500, 'InternalServerError', `local store proxy: ${(e as Error).message}`);
  } finally {
    removeFrom(state.inFlight, release);
  }
  reply(req, res, answer);
}

/** The call as interceptors see it: the action from X-Amz-Target, the JSON body, the caller's key. */
function parseCall(req: IncomingMessage, raw: Buffer, closed: Promise<void>): StoreCall {
  let body: Record<string, any> = {};
  try {
    body = raw.length ? JSON.parse(raw.toString('utf8')) : {};
  } catch {
    // dynalite answers malformed JSON itself (SerializationException)
  }
  const target = String(req.headers['x-amz-target'] ?? '');
  const accessKeyId = accessKeyOf(req.headers.authorization);
  return {
    action: target.slice(target.indexOf('.') + 1),
    body,
    accessKeyId,
    functionId: accessKeyId ? functionOfAccessKey(accessKeyId) : undefined,
    headers: req.headers,
    closed,
  };
}

/** Each interceptor in turn, the first added first; the terminal answers what passes them all. */
function runChain(state: EndpointState, call: StoreCall, req: IncomingMessage, raw: Buffer): Promise<ProxyAnswer> {
  const run = (i: number): Promise<ProxyAnswer> => {
    const interceptor = state.chain[i];
    if (!interceptor) return state.terminal(call, req, raw);
    return interceptor(call, () => run(i + 1));
  };
  return run(0);
}

/** Sends the answer, or destroys the socket for DROP; nothing when the caller is already gone. */
function reply(req: IncomingMessage, res: ServerResponse, answer: ProxyAnswer): void {
  if (res.destroyed) return;
  if (answer === DROP) {
    req.socket.destroy();
    return;
  }
  res.writeHead(answer.status, answer.headers);
  res.end(answer.body);
}

function addInterceptor(chain: Interceptor[], interceptor: Interceptor): () => void {
  chain.push(interceptor);
  return () => removeFrom(chain, interceptor);
}

function removeFrom<T>(list: T[], entry: T): void {
  const at = list.indexOf(entry);
  if (at >= 0) list.splice(at, 1);
}

/** Releases the calls held on `closed`, ends every connection, stops listening. */
async function closeEndpoint(state: EndpointState, server: Server): Promise<void> {
  for (const release of state.inFlight.splice(0)) release();
  for (const s of state.sockets) s.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
