// `npm start` as a user runs it: serves health, the printed curl lines work as printed, data
// survives a restart on disk, and a second server on the same data folder fails clearly.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const dataDir = mkdtempSync(join(tmpdir(), 'tessera-start-'));
const running: ChildProcess[] = [];

/** Starts `npm start`'s entry on a port the system picks (PORT=0), so no run collides with another's port. */
function start(): Promise<{ child: ChildProcess; output: () => string; url: () => string; exit: Promise<number | null> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', TESSERA_DATA_DIR: dataDir, TESSERA_LOG_LEVEL: 'ERROR' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.push(child);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start within 15 s:\n${out}`)), 15_000);
    const check = setInterval(() => {
      if (out.includes('Press Ctrl-C') || child.exitCode !== null) {
        clearInterval(check);
        clearTimeout(timer);
        const url = () => {
          const found = /Tessera is running at (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
          if (!found) throw new Error(`no URL in the output:\n${out}`);
          return found;
        };
        resolve({ child, output: () => out, url, exit });
      }
    }, 50);
  });
}

async function stop(child: ChildProcess) {
  const exited = new Promise((r) => child.on('exit', r));
  child.kill('SIGINT');
  await exited;
}

afterAll(() => {
  for (const c of running) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

describe('npm start', () => {
  it('serves health, and the printed curl lines work as printed', async () => {
    const first = await start();
    expect((await fetch(`${first.url()}/v1/health`)).status).toBe(200);
    const lines = first.output().split('\n');
    const tryIt = lines.slice(lines.findIndex((l) => l.startsWith('Try it:')) + 1, lines.findIndex((l) => l.startsWith('Press Ctrl-C'))).join('\n');
    const run = spawnSync('bash', ['-euo', 'pipefail', '-c', tryIt], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain('"userId":"bob"');
    expect(run.stdout).toMatch(/"context":\{"tenantId":"acme","userId":"bob","tokenId":"tok_/);
    await stop(first.child);
  }, 60_000);

  it('keeps a created token across a restart, and refuses a second server on the same folder', async () => {
    const first = await start();
    const base = first.url();
    const { accessToken } = await (await fetch(`${base}/_local/login`, { method: 'POST', body: JSON.stringify({ tenantId: 'acme', userId: 'carol' }) })).json();
    const auth = { authorization: `Bearer ${accessToken}` };
    const created = await (await fetch(`${base}/v1/tokens`, { method: 'POST', headers: auth, body: JSON.stringify({ name: 'survivor', permissions: ['events:read'] }) })).json();

    const second = await start();
    expect(await second.exit).toBe(1);
    expect(second.output()).toMatch(/Another Tessera \(pid \d+\) is using the data folder/);
    expect((await fetch(`${base}/v1/tokens/${created.token.id}`, { headers: auth })).status).toBe(200); // nothing corrupted

    await stop(first.child);
    const again = await start();
    const base3 = again.url();
    const { accessToken: t3 } = await (await fetch(`${base3}/_local/login`, { method: 'POST', body: JSON.stringify({ tenantId: 'acme', userId: 'carol' }) })).json();
    const got = await fetch(`${base3}/v1/tokens/${created.token.id}/value`, { headers: { authorization: `Bearer ${t3}` } });
    expect(await got.json()).toEqual({ value: created.value });
    await stop(again.child);
  }, 60_000);
});
