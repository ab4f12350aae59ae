// One embedded dynalite (in memory, 127.0.0.1, random port) for the whole run; every test file
// gets its own table in it (test/helpers/app.ts). No test talks to it directly: each local app
// (startLocal) puts its own store proxy (local/store-proxy.ts) in front of it, in the test's
// process, where the fault injector and the other interceptors of that app live.
import type { TestProject } from 'vitest/node';
import { FUNCTIONS, functionBundles } from '../local/bundles.ts';
import { startStore, type EmbeddedStore } from '../local/store.ts';

let store: EmbeddedStore | undefined;

export async function setup(project: TestProject) {
  // The functions' bundles, built once here (or found fresh in the cache) for every test file.
  const [started] = await Promise.all([startStore({}), functionBundles(FUNCTIONS)]);
  store = started;
  project.provide('storeEndpoint', store.endpoint);
}

export async function teardown() {
  await store?.close();
}

declare module 'vitest' {
  export interface ProvidedContext {
    storeEndpoint: string;
  }
}
