// The runtime inside one local execution environment (a worker thread started by
// local/environments.ts): what Lambda's runtime does around a handler. Plain JavaScript, so the
// environment imports nothing but the function's bundle.
//
// - Init: imports the bundle (module scope runs once per environment), reports the init time.
// - Invoke: one event at a time, with a Lambda-like context; the result or the error goes back.
// - Frozen: after each answer the thread blocks in Atomics.wait until the next invocation, so a
//   promise left running by the handler (a timer, a store call) makes no progress meanwhile.
// - Logs: stdout and stderr go to the parent line by line, synchronously, before the freeze.
// - Time: the local service clock may run ahead of the system clock (/_local/time); the
//   environment's Date.now() follows it, as the world's clock would.
import { parentPort, workerData } from 'node:worker_threads';
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';

const { file, control, clock, functionName, memoryMb, timeoutMs } = workerData;
const signal = new Int32Array(control);
const offset = new Float64Array(clock);
const systemNow = Date.now;
Date.now = () => systemNow() + offset[0];

for (const stream of ['stdout', 'stderr']) {
  process[stream].write = (chunk, encoding, callback) => {
    parentPort.postMessage({ type: 'log', stream, text: typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8') });
    const done = typeof encoding === 'function' ? encoding : callback;
    if (done) done();
    return true;
  };
}

/** Blocks this thread until the parent hands over the next invocation. */
function freeze() {
  Atomics.wait(signal, 0, 0);
  Atomics.store(signal, 0, 0);
}

const errorOf = (e) => ({
  name: e?.name ?? 'Error',
  message: e?.message ?? String(e),
  stack: e?.stack,
  code: e?.code,
  details: e?.details,
});

let handler;
parentPort.on('message', async (m) => {
  if (m.type !== 'invoke') return;
  const deadline = Date.now() + timeoutMs;
  const context = {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: String(memoryMb),
    awsRequestId: m.requestId ?? randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/[$LATEST]${m.environmentId}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
  let reply;
  try {
    reply = { type: 'result', id: m.id, result: await handler(m.event, context), heapUsed: process.memoryUsage().heapUsed };
  } catch (e) {
    reply = { type: 'error', id: m.id, error: errorOf(e), heapUsed: process.memoryUsage().heapUsed };
  }
  try {
    parentPort.postMessage(reply);
  } catch (e) {
    parentPort.postMessage({ type: 'error', id: m.id, error: errorOf(new Error(`the result could not be returned: ${e.message}`)) });
  }
  freeze();
});

const started = performance.now();
try {
  const module = await import(pathToFileURL(file).href);
  handler = module.handler;
  if (typeof handler !== 'function') throw new Error(`${file} exports no handler`);
  parentPort.postMessage({ type: 'ready', initMs: performance.now() - started, heapUsed: process.memoryUsage().heapUsed });
} catch (e) {
  parentPort.postMessage({ type: 'init-error', error: errorOf(e) });
}
freeze();
