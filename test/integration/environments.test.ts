// Lambda's execution environments in the local runtime (local/environments.ts): each function
// has environments of its own, one invocation at a time each, frozen between invocations.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identityOf } from '../../local/identities.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { readItem } from '../helpers/faults.ts';

let app: TestApp;
const lines: [string, string][] = [];

beforeAll(async () => {
  app = await startTestApp({
    extraFunctions: [
      { id: 'stateA', entry: 'test/fixtures/functions/module-state.ts' },
      { id: 'stateB', entry: 'test/fixtures/functions/module-state.ts' },
      { id: 'fireAndForget', entry: 'test/fixtures/functions/fire-and-forget.ts' },
    ],
  });
  app.environments!.onLogLine((fn, line) => void lines.push([fn, line]));
});
afterAll(async () => app?.close());

const invoke = (id: string, event: unknown) => app.environments!.invoke(id, event) as Promise<any>;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('execution environments', () => {
  it('keeps module state apart between functions, even with the same code', async () => {
    // Act
    const a1 = await invoke('stateA', {});
    const a2 = await invoke('stateA', {});
    const b1 = await invoke('stateB', {});
    // Assess: stateA's environment was reused; stateB has its own module state
    expect(a1.invocations).toBe(1);
    expect(a2.invocations).toBe(2);
    expect(b1.invocations).toBe(1);
  });

  it('serves one invocation per environment: a concurrent one gets a new environment with fresh module state', async () => {
    await app.environments!.reap('stateB', true);
    const [x, y] = await Promise.all([invoke('stateB', { holdMs: 150 }), invoke('stateB', { holdMs: 150 })]);
    expect([x.invocations, y.invocations]).toEqual([1, 1]);
    expect(x.loadedAt === y.loadedAt && x === y).toBe(false);
    expect(app.environments!.count('stateB')).toBe(2);
    // Both are reused afterwards rather than started again
    const z = await invoke('stateB', {});
    expect(z.invocations).toBe(2);
  });

  it('gives each function its own name and credentials in its environment', async () => {
    const a = await invoke('stateA', {});
    expect(a.functionName).toBe('tessera-local-stateA');
    expect(a.accessKeyId).toBe(identityOf('stateA').accessKeyId);
  });

  it('logs a REPORT line with the Init Duration for a cold start', async () => {
    await app.environments!.reap('stateA', true);
    lines.length = 0;
    await invoke('stateA', {});
    await invoke('stateA', {});
    const reports = lines.filter(([fn, l]) => fn === 'stateA' && l.startsWith('REPORT '));
    expect(reports).toHaveLength(1);
    expect(reports[0][1]).toMatch(/Init Duration: \d+\.\d\d ms/);
  });

  it('freezes an environment between invocations: work left running after the answer waits for the next one', async () => {
    // Act: the handler answers, and would write its marker 20 ms later
    const out = await invoke('fireAndForget', { marker: 'frozen', delayMs: 20 });
    await sleep(400);
    // Assess: nothing happened while frozen
    expect(out).toEqual({ answered: 'frozen' });
    expect(await readItem('FIXTURE#frozen', 'FIXTURE')).toBeUndefined();
    // The next invocation thaws it, and the old work goes on while that one runs
    await invoke('fireAndForget', { marker: 'later', delayMs: 60_000, busyMs: 500 });
    expect(await readItem('FIXTURE#frozen', 'FIXTURE')).toBeDefined();
  });

  it('answers the API through the environments of the route functions', async () => {
    const r = await app.request('GET', '/v1/health');
    expect(r.status).toBe(200);
    expect(app.environments!.count('health')).toBeGreaterThanOrEqual(1);
  });
});
