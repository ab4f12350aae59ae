// The README's walkthrough, run exactly as printed against the local runtime.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => app?.close());

it('runs the README walkthrough as printed', async () => {
  const readme = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### Walkthrough'));
  const script = section.slice(section.indexOf('```bash') + 7, section.indexOf('```', section.indexOf('```bash') + 7));
  // Asynchronously: the server answering curl runs in this very process.
  const run = await promisify(execFile)('bash', ['-euo', 'pipefail', '-c', script], { encoding: 'utf8', env: { ...process.env, BASE: app.url } });
  const lines = run.stdout.trim().split('\n');
  expect(lines[0]).toMatch(/"context":\{"tenantId":"acme","userId":"bob","tokenId":"tok_\w+","permissions":"events:read rules:read"\}/);
  expect(lines[1]).toContain('"events"');
  expect(lines[2]).toMatch(/^\{"value":"tsr_/);
  expect(lines[3]).toContain('"TOKEN_PRIVATE"');
  expect(lines[4]).toContain('"ownerId":"bob"');
  expect(lines[5]).toContain('"status":"disabled"');
  expect(lines[6]).toBe('403');
  expect(lines[7]).toMatch(/"now":/);
  expect(lines[8]).toBe('404');
});
