// The embedded store: dynalite (DynamoDB on LevelDB) on 127.0.0.1, on disk under a data folder
// with a lock file (one server per folder), or in memory. The AWS SDK talks to it over HTTP
// exactly as it talks to DynamoDB.
import dynalite from 'dynalite';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { listenLocal } from './listen.ts';
import { join } from 'node:path';

export interface EmbeddedStore {
  endpoint: string;
  close(): Promise<void>;
}

export class StoreLockedError extends Error {}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the folder's lock or fails with a clear message if a live process holds it. */
export function lockDataDir(dir: string): () => void {
  mkdirSync(dir, { recursive: true });
  const lock = join(dir, 'lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lock, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(lock, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const holder = Number(readFileSync(lock, 'utf8').trim());
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && alive(holder)) {
        throw new StoreLockedError(
          `Another Tessera (pid ${holder}) is using the data folder ${dir}. Stop it first, or run with TESSERA_DATA_DIR=<other folder> or TESSERA_STORE=memory.`,
        );
      }
      rmSync(lock, { force: true }); // left by a process that is gone
    }
  }
  throw new StoreLockedError(`Could not take the lock in ${dir}.`);
}

export async function startStore(options: { dataDir?: string; port?: number }): Promise<EmbeddedStore> {
  const unlock = options.dataDir ? lockDataDir(options.dataDir) : () => {};
  try {
    const server = dynalite({
      path: options.dataDir ? join(options.dataDir, 'db') : undefined,
      createTableMs: 0,
      deleteTableMs: 0,
      updateTableMs: 0,
    });
    const { endpoint } = await listenLocal(server, options.port);
    return {
      endpoint,
      close: async () => {
        server.closeAllConnections?.();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        unlock();
      },
    };
  } catch (e) {
    unlock();
    throw e;
  }
}
