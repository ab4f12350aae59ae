// The "API tokens" console page in headless Chromium (test/helpers/browser.ts finds one; driven
// by playwright-core): an analyst creates, uses and disables a token; an admin sees it without its
// value; an SSO user gets the explanation. Screenshots go to test/artifacts/ (git-ignored).
import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWeb } from '../../web/build.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { testChromium } from '../helpers/browser.ts';

const browser = await testChromium();
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const ARTIFACTS = resolve(import.meta.dirname, '..', 'artifacts');
/** Longer than the authorizer's acceptance cache (TESSERA_AUTH_CACHE_SECONDS, default 10). */
const PAST_AUTH_CACHE_SECONDS = 11;

let app: TestApp;
let context: BrowserContext;
let page: Page;
let userDataDir: string;
const requested: string[] = [];
const TOKEN = 'e2e pipeline';
let value = '';

const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
const rowOf = (name: string) => page.locator('tbody tr', { has: page.getByRole('rowheader', { name: new RegExp(name) }) });

/** Polls with room for a loaded machine (npm test runs files in parallel). */
const poll = <T>(fn: () => Promise<T> | T) => expect.poll(fn, { timeout: 10_000, interval: 50 });

/** Signs out through the page if someone is signed in, then picks the demo user. */
async function signInAs(userId: string) {
  const signOut = page.getByRole('button', { name: 'Sign out' });
  if (await signOut.count()) await signOut.click();
  await page.locator(`button.user[data-user="${userId}"]`).click();
  await poll(() => page.locator('#account').textContent()).toContain(userId);
}

/** Tokens of other users, so the admin's table shows shared, legacy, expiring and used tokens. */
async function seedOthers() {
  const alice = await app.login('alice');
  const carol = await app.login('carol');
  const shared = await app.createToken(alice, { name: 'Deploy bot', permissions: ['nodes:read', 'nodes:write'], visibility: 'shared', description: 'Rolls out sensor nodes' });
  await app.callExample(shared.value); // its log line sets lastUsedAt and the day's count
  await app.flushLogs();
  await app.createToken(alice, { name: 'SIEM export', permissions: ['events:read', 'rules:read', 'integrations:read', 'settings:read', 'api_inventory:read', 'nodes:read'], expiresAt: new Date(Date.now() + 30 * 86400e3).toISOString() });
  // Expires during the test's clock advance below, to show the "expired" state.
  await app.createToken(carol, { name: 'Quarterly report', permissions: ['events:read'], expiresAt: new Date(Date.now() + 5000).toISOString() });
  const secret = randomUUID();
  const imported = await app.request('POST', '/_local/legacy-import', {
    body: { credentials: [{ tenantId: 'acme', userId: 'carol', uuid: randomUUID(), secretSha256: createHash('sha256').update(secret).digest('hex') }] },
  });
  expect(imported.status).toBe(200);
}

beforeAll(async () => {
  if ('unavailable' in browser) return;
  mkdirSync(ARTIFACTS, { recursive: true });
  await buildWeb();
  app = await startTestApp();
  await seedOthers();
  userDataDir = mkdtempSync(join(tmpdir(), 'tessera-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: browser.executablePath,
    env: { ...process.env, ...browser.env },
    headless: true,
    args: ARGS,
    viewport: { width: 1440, height: 900 },
    locale: 'en-US',
    timezoneId: 'UTC',
  });
  context.on('request', (r) => requested.push(r.url()));
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: app.url });
  context.setDefaultTimeout(10_000);
  page = context.pages()[0] ?? (await context.newPage());
  page.on('request', (r) => requested.push(r.url()));
});

afterAll(async () => {
  await context?.close();
  await app?.close();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
});

if ('unavailable' in browser) console.warn(`console.e2e: skipped, ${browser.unavailable}`);

describe.skipIf('unavailable' in browser)(`the API tokens console page${'unavailable' in browser ? ` (skipped: ${browser.unavailable})` : ''}`, () => {
  it('signs an analyst in through /_local/login and shows their empty table', async () => {
    await page.goto(`${app.url}/`);
    await poll(() => page.getByRole('heading', { name: 'Sign in', level: 1 }).isVisible()).toBe(true);
    await shot('00-sign-in');
    await signInAs('bob');
    await poll(() => page.getByText('No tokens yet.').isVisible()).toBe(true);
    // Analysts see neither the owner column nor an owner filter.
    expect(await page.getByLabel('Owner').count()).toBe(0);
    expect(await page.evaluate(() => Object.keys(sessionStorage))).toEqual(['tessera.accessToken']);
    expect(await page.evaluate(() => Object.keys(localStorage))).toEqual([]);
  });

  it('creates a token whose copied value the example API accepts', async () => {
    await page.getByRole('button', { name: 'Create token' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create a token' });
    await dialog.getByLabel('Name').fill(TOKEN);
    // Only what bob holds is offered; the read_only quick pick then one more.
    expect(await dialog.getByRole('checkbox', { name: 'users:write' }).count()).toBe(0);
    await dialog.getByRole('button', { name: /permissions of read_only/ }).click();
    await dialog.getByRole('checkbox', { name: 'events:write' }).check();
    await shot('01-create-dialog');
    await dialog.getByRole('button', { name: 'Create token' }).click();

    const field = dialog.getByLabel('Token value');
    await poll(() => field.isVisible()).toBe(true);
    value = await field.inputValue();
    expect(value).toMatch(/^tsr_/);
    await dialog.getByRole('button', { name: 'Copy' }).click();
    await poll(() => dialog.getByRole('status').textContent()).toContain('Copied');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(value);
    await shot('02-value-once');

    const who = await app.callExample(value);
    expect(who.status).toBe(200);
    expect(who.body.context).toMatchObject({ tenantId: 'acme', userId: 'bob' });
    expect(who.body.context.permissions.split(' ')).toEqual(expect.arrayContaining(['events:read', 'events:write', 'settings:read']));

    await dialog.getByRole('button', { name: 'Done' }).click();
    await poll(() => rowOf(TOKEN).getByText('Enabled').isVisible()).toBe(true);
    // Focus lands on the new row's Value button, so keyboard users keep their place.
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe(`Value ${TOKEN}`);
  });

  it('disables the token in the UI, and the authorizer rejects it', async () => {
    await rowOf(TOKEN).getByRole('button', { name: `Disable ${TOKEN}` }).click();
    await poll(() => rowOf(TOKEN).locator('.badge.status-disabled').textContent()).toBe('Disabled');
    expect(await rowOf(TOKEN).textContent()).toContain('disabled manually');
    await shot('03-analyst-disabled');
    // An acceptance may be cached for a few seconds of service time; move past it.
    await app.advance(PAST_AUTH_CACHE_SECONDS);
    expect((await app.callExample(value)).status).toBe(403);
  });

  it('restricts the token to source networks in the edit dialog, naming a block that is not one', async () => {
    await rowOf(TOKEN).getByRole('button', { name: `Edit ${TOKEN}` }).click();
    const dialog = page.getByRole('dialog');
    const networks = dialog.getByLabel(/Source networks/);
    await networks.fill('10.0.0.1/8');
    await dialog.getByRole('button', { name: 'Save changes' }).click();
    await poll(() => dialog.getByRole('alert').textContent()).toMatch(/10\.0\.0\.1\/8.*host bits are set/);
    await networks.fill('10.0.0.0/8\n2001:db8::/32');
    await dialog.getByRole('button', { name: 'Save changes' }).click();
    await poll(() => page.getByRole('dialog').count()).toBe(0);
    const list = await app.request('GET', '/v1/tokens', { jwt: await app.login('bob') });
    const saved = list.body.items.find((t: { name: string }) => t.name === TOKEN);
    expect(saved.allowedCidrs).toEqual(['10.0.0.0/8', '2001:db8::/32']);
  });

  it('shows the activity log: what bob did to his token, with the fields he changed', async () => {
    await page.getByRole('button', { name: 'Activity' }).click();
    await poll(() => page.getByRole('heading', { name: 'Activity', level: 1 }).isVisible()).toBe(true);
    const rows = page.locator('table.activity tbody tr');
    await poll(() => rows.count()).toBe(3);
    expect(await rows.locator('.badge').allTextContents()).toEqual(['updated', 'disabled', 'created']);
    expect(await rows.nth(0).textContent()).toContain('changed allowedCidrs');
    expect(await rows.nth(0).textContent()).not.toContain('10.0.0.0');
    expect(await rows.nth(1).textContent()).toContain('by hand');
    for (const text of await rows.allTextContents()) expect(text).toContain('bob');
    await page.getByLabel('Action').selectOption('created');
    await poll(() => rows.count()).toBe(1);
    await shot('03b-activity');
    await page.getByRole('button', { name: 'Tokens' }).click();
    await poll(() => rowOf(TOKEN).isVisible()).toBe(true);
  });

  it('keeps the dialogs keyboard-operable: Escape closes, focus returns to the opener', async () => {
    const create = page.getByRole('button', { name: 'Create token' });
    await create.focus();
    await page.keyboard.press('Enter');
    await poll(() => page.getByRole('dialog').isVisible()).toBe(true);
    expect(await page.evaluate(() => document.activeElement?.getAttribute('name'))).toBe('name');
    await page.keyboard.press('Escape');
    await poll(() => page.getByRole('dialog').count()).toBe(0);
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Create token');
  });

  it("shows an admin the analyst's token without any way to reveal its value", async () => {
    await signInAs('alice');
    const row = rowOf(TOKEN);
    await poll(() => row.isVisible()).toBe(true);
    expect(await row.locator('td.owner').textContent()).toBe('bob');
    expect(await row.getByRole('button', { name: /^(Value|Renew) / }).count()).toBe(0);
    expect(await row.getByText('Value private').isVisible()).toBe(true);
    // Shared tokens reveal to admins; legacy tokens hide their permissions; expired ones say so.
    expect(await rowOf('Deploy bot').getByRole('button', { name: 'Value Deploy bot' }).count()).toBe(1);
    expect(await page.getByText('permissions not displayed').count()).toBe(1);
    expect(await rowOf('Quarterly report').locator('.badge.status-expired').count()).toBe(1);
    // Last use with the 30-day sparkline, drawn inline from the usage route.
    await poll(() => rowOf('Deploy bot').locator('svg.sparkline').getAttribute('aria-label')).toBe('Deploy bot: 1 verification in the last 30 days');
    expect(await rowOf('Deploy bot').locator('svg.sparkline polyline').count()).toBe(1);
    await shot('04-admin-table');
  });

  it('shows an API error envelope as a readable alert', async () => {
    await rowOf(TOKEN).getByRole('button', { name: `Edit ${TOKEN}` }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('checkbox', { name: 'users:write' }).check(); // bob does not hold it
    await dialog.getByRole('button', { name: 'Save changes' }).click();
    const alert = dialog.getByRole('alert');
    await poll(() => alert.textContent()).toMatch(/Permission not held\..*users:write.*request req_/);
    await shot('05-error-envelope');
    await page.keyboard.press('Escape');
  });

  it('renews a shared token with a grace period, then deletes it after a recent-use warning', async () => {
    const old = (await app.request('GET', `/v1/tokens?owner=alice`, { jwt: await app.login('alice') })).body.items.find((t: { name: string }) => t.name === 'Deploy bot');
    await rowOf('Deploy bot').getByRole('button', { name: 'Value Deploy bot' }).click();
    let dialog = page.getByRole('dialog');
    const before = await dialog.getByLabel('Token value').inputValue();
    await page.keyboard.press('Escape');

    await rowOf('Deploy bot').getByRole('button', { name: 'Renew Deploy bot' }).click();
    dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: '1 hour' }).click();
    await dialog.getByRole('button', { name: 'Renew value' }).click();
    const field = dialog.getByLabel('Token value');
    await poll(() => field.isVisible()).toBe(true);
    const after = await field.inputValue();
    expect(after).not.toBe(before);
    expect((await app.callExample(after)).status).toBe(200);
    expect((await app.callExample(before)).status).toBe(200); // within the grace period
    await dialog.getByRole('button', { name: 'Done' }).click();

    await rowOf('Deploy bot').getByRole('button', { name: 'Delete Deploy bot' }).click();
    dialog = page.getByRole('dialog');
    await poll(() => dialog.locator('.warning').textContent()).toMatch(/in use.*last used/i);
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Cancel');
    await shot('06-delete-warning');
    await dialog.getByRole('button', { name: 'Delete token' }).click();
    await poll(() => rowOf('Deploy bot').count()).toBe(0);
    expect((await app.request('GET', `/v1/tokens/${old.id}`, { jwt: await app.login('alice') })).status).toBe(404);
  });

  it('filters by owner and pages through the list with the cursor', async () => {
    const carol = await app.login('carol');
    for (let i = 1; i <= 20; i++) await app.createToken(carol, { name: `bulk ${String(i).padStart(2, '0')}` });
    await page.getByLabel('Owner').fill('carol');
    await page.getByRole('button', { name: 'Apply' }).click();
    await poll(() => page.locator('tbody tr').count()).toBe(20);
    const owners = await page.locator('tbody td.owner').allTextContents();
    expect(new Set(owners)).toEqual(new Set(['carol']));
    await page.getByRole('button', { name: 'Next →' }).click();
    await poll(() => page.locator('.pager').textContent()).toContain('Page 2');
    expect(await page.locator('tbody tr').count()).toBe(2); // Quarterly report and the legacy credential
    expect(await page.getByRole('button', { name: 'Next →' }).isDisabled()).toBe(true);
    await page.getByRole('button', { name: '← Previous' }).click();
    await poll(() => page.locator('.pager').textContent()).toContain('Page 1');
    await page.getByLabel('Status').selectOption('expired');
    await poll(() => page.locator('tbody tr').count()).toBe(1);
  });

  it('shows an SSO user the explanation instead of the table', async () => {
    await signInAs('dave');
    const explain = page.getByTestId('no-tokens');
    await poll(() => explain.textContent()).toMatch(/SSO users have no API tokens/);
    expect(await page.locator('table').count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Create token' }).count()).toBe(0);
    await shot('07-sso-explanation');
  });

  it('made no request outside 127.0.0.1', () => {
    expect(requested.length).toBeGreaterThan(5);
    const outside = requested.filter((u) => {
      const url = new URL(u);
      return !['data:', 'blob:'].includes(url.protocol) && url.hostname !== '127.0.0.1';
    });
    expect(outside).toEqual([]);
  });
});
