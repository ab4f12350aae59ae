// One embedded dynalite (in memory, 127.0.0.1, random port) for the whole run; every test file
// gets its own table in it (test/helpers/app.ts). No test talks to it directly: each local app
// (startLocal) puts its own store proxy (local/store-proxy.ts) in front of it, in the test's
// process, where the fault injector and the other interceptors of that app live.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { FUNCTIONS, functionBundles } from '../local/bundles.ts';
import { startStore, type EmbeddedStore } from '../local/store.ts';

let store: EmbeddedStore | undefined;
let runTmp: string | undefined;

/**
 * Every temporary folder of a run (CDK's asset staging, key files, data folders, the browser's
 * profile) goes under one folder, removed when the run ends: a run leaves nothing in the system's
 * temporary folder but the browser extracted once per package version (test/helpers/browser.ts),
 * kept in the system's folder, named by TESSERA_SHARED_TMP. Set before the test workers start, so
 * they and their children inherit it.
 */
function useRunTmp(): void {
  process.env.TESSERA_SHARED_TMP ??= tmpdir();
  runTmp = mkdtempSync(join(tmpdir(), 'tessera-test-run-'));
  process.env.TMPDIR = runTmp;
}

export async function setup(project: TestProject) {
  useRunTmp();
  // The functions' bundles, built once here (or found fresh in the cache) for every test file.
  const [started] = await Promise.all([startStore({}), functionBundles(FUNCTIONS)]);
  store = started;
  project.provide('storeEndpoint', store.endpoint);
}

export async function teardown() {
  await store?.close();
  if (runTmp) rmSync(runTmp, { recursive: true, force: true });
}

declare module 'vitest' {
  export interface ProvidedContext {
    storeEndpoint: string;
  }
}
