// `npm run bench:local`: what the local runtime's execution environments cost.
// - `npm start` to the first 200 from /v1/health, with the bundle cache cold (deleted first) and
//   warm (a second start), in a fresh process each time (TESSERA_STORE=memory, a free port);
// - each function's cold start (Init Duration: importing its bundle in a fresh environment),
//   median of RUNS environments;
// - memory: the process's RSS growth per environment with one environment of every function
//   started, and each environment's JS heap after init.
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { REPO_ROOT } from '../infra/bundling.ts';
import { startLocal } from '../local/app.ts';
import { FUNCTIONS } from '../local/bundles.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

async function startToHealth(extra: Record<string, string> = {}): Promise<number> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/main.ts'], {
    cwd: REPO_ROOT,
    env: { ...process.env, PORT: String(port), TESSERA_STORE: 'memory', ...extra },
    stdio: 'ignore',
  });
  try {
    for (;;) {
      try {
        const r = await fetch(`http://127.0.0.1:${port}/v1/health`);
        if (r.status === 200) return performance.now() - started;
      } catch {
        // not listening yet
      }
      if (child.exitCode !== null) throw new Error(`npm start exited with ${child.exitCode}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mb = (bytes: number) => (bytes / 1048576).toFixed(1);

async function main() {
  rmSync(join(REPO_ROOT, 'node_modules', '.cache', 'tessera-local'), { recursive: true, force: true });
  const cold = await startToHealth();
  const warm: number[] = [];
  for (let i = 0; i < RUNS; i++) warm.push(await startToHealth());
  const inline: number[] = [];
  for (let i = 0; i < RUNS; i++) inline.push(await startToHealth({ TESSERA_LOCAL_ENVIRONMENTS: 'inline' }));
  console.log(`npm start -> first 200 from /v1/health: bundle cache cold ${cold.toFixed(0)} ms; warm median ${median(warm).toFixed(0)} ms; without environments (TESSERA_LOCAL_ENVIRONMENTS=inline) median ${median(inline).toFixed(0)} ms (${RUNS} runs each)`);

  process.env.TESSERA_LOG_LEVEL = 'SILENT';
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const app = await startLocal({ port: 0, store: 'memory', seed: false, sweepEveryMs: 0 });
  const envs = app.environments!;
  try {
    const inits: Record<string, number[]> = {};
    // The init runs before the handler sees the event: an empty event is enough to start one.
    for (let run = 0; run < RUNS; run++) {
      for (const f of FUNCTIONS) {
        await envs.invoke(f.id, {}).catch(() => undefined);
        await envs.reap(f.id, true);
      }
    }
    for (const f of FUNCTIONS) inits[f.id] = envs.coldStarts.get(f.id) ?? [];
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const before = process.memoryUsage().rss;
    for (const f of FUNCTIONS) await envs.invoke(f.id, {}).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const after = process.memoryUsage().rss;
    const heaps: Record<string, number> = {};
    for (const f of FUNCTIONS) heaps[f.id] = envs.heapOf(f.id);
    console.log(`memory: RSS +${mb(after - before)} MB for ${FUNCTIONS.length} environments (one per function) = ${mb((after - before) / FUNCTIONS.length)} MB per environment`);
    console.log('| function | cold start (Init Duration), median ms | JS heap after init, MB |');
    console.log('|---|---|---|');
    for (const f of FUNCTIONS) console.log(`| ${f.id} | ${median(inits[f.id]).toFixed(0)} | ${mb(heaps[f.id])} |`);
  } finally {
    await app.close();
  }
}

await main();
