// Lambda's execution environments, emulated: each function runs in environments of its own
// (worker threads running local/lambda-runtime.mjs over the function's bundle, local/bundles.ts),
// so module state is never shared between functions nor between two environments of one
// function.
//
// - One invocation per environment at a time: a request that finds every environment of its
//   function busy gets a new one (a cold start), up to `maxPerFunction`; beyond that it waits.
// - Idle environments are reused, then reaped after `idleMs` without an invocation.
// - Between invocations an environment is frozen (the worker blocks in Atomics.wait): work a
//   handler left running makes no progress until its next invocation, and is lost when reaped.
// - Each environment gets the function's own environment variables (local/function-env.ts),
//   credentials included, and a handler that runs longer than `timeoutMs` loses its environment.
// - Log lines (stdout, stderr) reach onLogLine(functionId, line) hooks, as they reach the
//   function's CloudWatch log group; a cold start adds a REPORT line with its Init Duration.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { clock } from '../shared/clock.ts';
import { AppError, ERROR_STATUS, type ErrorCode } from '../shared/errors.ts';

export interface FunctionSpec {
  id: string;
  /** The function's bundle (local/bundles.ts). */
  file: string;
  /** Its environment variables, as Lambda would set them. */
  env: Record<string, string>;
  memoryMb?: number;
  timeoutMs?: number;
}

export type LogHook = (functionId: string, line: string) => void;

export interface EnvironmentsOptions {
  functions: FunctionSpec[];
  /** Idle time after which an environment is reaped (default 60 s). */
  idleMs?: number;
  /**
   * Environments per function at most (default 4): a cap for the local machine, where each
   * environment is a thread with its own heap. Further requests wait for a free environment
   * (Lambda would start more, up to the account's concurrency).
   */
  maxPerFunction?: number;
  /** Print REPORT lines of cold starts and the functions' log lines on this process's stdout/stderr. */
  echo?: { reports: boolean; logs: boolean };
}

/** What an invocation's error looks like to the caller (Lambda's errorType / errorMessage). */
export class FunctionError extends Error {
  constructor(
    readonly functionId: string,
    name: string,
    message: string,
    readonly stack_?: string,
  ) {
    super(message);
    this.name = name;
  }
}

interface Waiting {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

const RUNTIME = join(import.meta.dirname, 'lambda-runtime.mjs');

class Environment {
  readonly id = randomUUID().slice(0, 8);
  readonly signal = new Int32Array(new SharedArrayBuffer(4));
  readonly worker: Worker;
  readonly ready: Promise<{ initMs: number }>;
  busy = false;
  lastUsed = Date.now();
  dead = false;
  heapUsed = 0;
  private current: (Waiting & { id: string }) | undefined;
  private partial: Record<string, string> = { stdout: '', stderr: '' };

  constructor(
    readonly spec: FunctionSpec,
    clockBuffer: SharedArrayBuffer,
    private readonly log: (stream: 'stdout' | 'stderr', line: string) => void,
    private readonly onExit: (env: Environment) => void,
  ) {
    this.worker = new Worker(RUNTIME, {
      workerData: {
        file: spec.file,
        control: this.signal.buffer,
        clock: clockBuffer,
        functionName: spec.id,
        memoryMb: spec.memoryMb ?? 256,
        timeoutMs: spec.timeoutMs ?? 10_000,
      },
      env: spec.env,
      execArgv: [],
      stdout: false,
      stderr: false,
    });
    this.ready = new Promise((resolve, reject) => {
      this.worker.on('message', (m: any) => {
        if (m.type === 'log') return this.text(m.stream, m.text);
        if (m.type === 'ready') {
          this.heapUsed = m.heapUsed;
          return resolve({ initMs: m.initMs });
        }
        if (m.type === 'init-error') return reject(new FunctionError(spec.id, 'Runtime.ImportModuleError', `${m.error.name}: ${m.error.message}`));
        if (m.type === 'result' || m.type === 'error') {
          this.heapUsed = m.heapUsed ?? this.heapUsed;
          const waiting = this.current;
          this.current = undefined;
          if (!waiting || waiting.id !== m.id) return;
          if (m.type === 'result') waiting.resolve(m.result);
          else waiting.reject(errorFrom(spec.id, m.error));
        }
      });
      this.worker.on('error', (e) => {
        reject(e);
        this.fail(e);
      });
      this.worker.on('exit', () => {
        this.dead = true;
        this.fail(new FunctionError(spec.id, 'Runtime.ExitError', 'The execution environment ended.'));
        this.onExit(this);
      });
    });
    this.ready.catch(() => {});
  }

  private text(stream: 'stdout' | 'stderr', text: string) {
    const lines = (this.partial[stream] + text).split('\n');
    this.partial[stream] = lines.pop() ?? '';
    for (const line of lines) this.log(stream, line);
  }

  private fail(e: Error) {
    const waiting = this.current;
    this.current = undefined;
    waiting?.reject(e);
  }

  /** Thaws the environment with one invocation and waits for its answer. */
  invoke(event: unknown, requestId: string): Promise<unknown> {
    const id = randomUUID();
    return new Promise((resolve, reject) => {
      this.current = { id, resolve, reject };
      this.worker.postMessage({ type: 'invoke', id, event, requestId, environmentId: this.id });
      Atomics.store(this.signal, 0, 1);
      Atomics.notify(this.signal, 0);
    });
  }

  async stop() {
    this.dead = true;
    await this.worker.terminate();
  }
}

function errorFrom(functionId: string, e: { name: string; message: string; stack?: string; code?: string; details?: AppError['details'] }): Error {
  // The local callers (gateway, bus) tell a domain error by its class, as they did in-process.
  if (e.code && e.code in ERROR_STATUS) {
    const error = new AppError(e.code as ErrorCode, e.message, e.details);
    error.stack = e.stack;
    return error;
  }
  return new FunctionError(functionId, e.name, e.message, e.stack);
}

export class Environments {
  private readonly specs = new Map<string, FunctionSpec>();
  private readonly pools = new Map<string, Environment[]>();
  private readonly queues = new Map<string, (() => void)[]>();
  private readonly hooks = new Set<LogHook>();
  private readonly clockBuffer = new SharedArrayBuffer(8);
  private readonly clockOffset = new Float64Array(this.clockBuffer);
  private readonly reaper: NodeJS.Timeout;
  private readonly idleMs: number;
  private readonly maxPerFunction: number;
  private closed = false;
  /** Cold starts so far, per function (for tests and benchmarks). */
  readonly coldStarts = new Map<string, number[]>();

  constructor(private readonly options: EnvironmentsOptions) {
    for (const f of options.functions) this.specs.set(f.id, f);
    this.idleMs = options.idleMs ?? 60_000;
    this.maxPerFunction = options.maxPerFunction ?? 4;
    this.reaper = setInterval(() => void this.reap(), Math.max(50, Math.min(this.idleMs / 2, 10_000)));
    this.reaper.unref();
  }

  /** Adds a hook that receives every log line of every function; returns its removal. */
  onLogLine(hook: LogHook): () => void {
    this.hooks.add(hook);
    return () => this.hooks.delete(hook);
  }

  /** The environments of a function now (busy or idle). */
  count(functionId: string): number {
    return this.pools.get(functionId)?.filter((e) => !e.dead).length ?? 0;
  }

  /** The JS heap of a live environment of the function after its last init or invocation, in bytes. */
  heapOf(functionId: string): number {
    return this.pools.get(functionId)?.find((e) => !e.dead)?.heapUsed ?? 0;
  }

  /** A handler for the gateway and the bus: each call is one invocation of the function. */
  handler(functionId: string): (event: unknown, context?: { awsRequestId?: string }) => Promise<unknown> {
    if (!this.specs.has(functionId)) throw new Error(`no local function ${functionId}`);
    return (event, context) => this.invoke(functionId, event, context?.awsRequestId);
  }

  private emit(functionId: string, stream: 'stdout' | 'stderr', line: string) {
    for (const hook of this.hooks) {
      try {
        hook(functionId, line);
      } catch {
        // a hook's failure is its own
      }
    }
    const echo = this.options.echo;
    if (echo?.logs && !line.includes('"_aws":')) (stream === 'stderr' ? process.stderr : process.stdout).write(`${line}\n`);
  }

  async invoke(functionId: string, event: unknown, requestId: string = randomUUID()): Promise<unknown> {
    if (this.closed) throw new Error('the local runtime is closed');
    const spec = this.specs.get(functionId);
    if (!spec) throw new Error(`no local function ${functionId}`);
    const env = await this.acquire(spec);
    const started = performance.now();
    let cold: { initMs: number } | undefined;
    try {
      const fresh = env.lastUsed === -1;
      const init = await env.ready;
      if (fresh) cold = init;
      this.clockOffset[0] = clock.offset();
      let timer: NodeJS.Timeout | undefined;
      const timeoutMs = spec.timeoutMs ?? 10_000;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          env.stop().catch(() => undefined); // Lambda ends an environment whose invocation timed out
          reject(new FunctionError(functionId, 'Sandbox.Timedout', `Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`));
        }, timeoutMs);
        timer.unref();
      });
      try {
        return await Promise.race([env.invoke(event, requestId), timeout]);
      } finally {
        clearTimeout(timer);
      }
    } finally {
      const ms = performance.now() - started;
      if (cold) {
        (this.coldStarts.get(functionId) ?? this.coldStarts.set(functionId, []).get(functionId)!).push(cold.initMs);
        const report = `REPORT RequestId: ${requestId}\tDuration: ${ms.toFixed(2)} ms\tBilled Duration: ${Math.ceil(ms)} ms\tMemory Size: ${spec.memoryMb ?? 256} MB\tMax Memory Used: ${Math.ceil(env.heapUsed / 1048576)} MB\tInit Duration: ${cold.initMs.toFixed(2)} ms`;
        for (const hook of this.hooks) hook(functionId, report);
        if (this.options.echo?.reports) process.stdout.write(`[${functionId}] ${report}\n`);
      }
      this.release(env);
    }
  }

  private async acquire(spec: FunctionSpec): Promise<Environment> {
    for (;;) {
      const pool = this.pools.get(spec.id) ?? this.pools.set(spec.id, []).get(spec.id)!;
      const idle = pool.find((e) => !e.busy && !e.dead);
      if (idle) {
        idle.busy = true;
        return idle;
      }
      if (pool.filter((e) => !e.dead).length < this.maxPerFunction) {
        const env = new Environment(spec, this.clockBuffer, (stream, line) => this.emit(spec.id, stream, line), (gone) => this.remove(gone));
        env.lastUsed = -1; // marks the cold start
        env.busy = true;
        pool.push(env);
        return env;
      }
      await new Promise<void>((resolve) => (this.queues.get(spec.id) ?? this.queues.set(spec.id, []).get(spec.id)!).push(resolve));
      if (this.closed) throw new Error('the local runtime is closed');
    }
  }

  private release(env: Environment) {
    env.busy = false;
    env.lastUsed = Date.now();
    if (env.dead) this.remove(env);
    this.queues.get(env.spec.id)?.shift()?.();
  }

  private remove(env: Environment) {
    const pool = this.pools.get(env.spec.id);
    const at = pool?.indexOf(env) ?? -1;
    if (pool && at >= 0) pool.splice(at, 1);
    this.queues.get(env.spec.id)?.shift()?.();
  }

  /** Ends environments idle for longer than idleMs (or all idle ones of a function, with force). */
  async reap(functionId?: string, force = false): Promise<number> {
    const now = Date.now();
    const gone: Environment[] = [];
    for (const [id, pool] of this.pools) {
      if (functionId && id !== functionId) continue;
      for (const env of pool) if (!env.busy && (force || now - env.lastUsed > this.idleMs)) gone.push(env);
    }
    for (const env of gone) this.remove(env);
    await Promise.all(gone.map((e) => e.stop()));
    return gone.length;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.reaper);
    const all = [...this.pools.values()].flat();
    this.pools.clear();
    for (const q of this.queues.values()) for (const wake of q.splice(0)) wake();
    await Promise.all(all.map((e) => e.stop()));
  }
}
