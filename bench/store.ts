// Starts the embedded store (dynalite, in memory) in a child process for the benchmark.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { EmbeddedStore } from '../local/store.ts';

export async function startStoreProcess(): Promise<EmbeddedStore & { pid: number }> {
  const child = fork(fileURLToPath(new URL('./store-process.ts', import.meta.url)), {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const endpoint = await new Promise<string>((resolve, reject) => {
    child.once('message', (m) => resolve((m as { endpoint: string }).endpoint));
    child.once('exit', (code) => reject(new Error(`store process exited with ${code}`)));
  });
  return {
    endpoint,
    pid: child.pid!,
    close: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.disconnect();
      }),
  };
}
