// The console renders every stored name and description as text (README "Names and
// descriptions"): whatever a name holds — markup, quotes, controls, bidi overrides, lone
// surrogates from before the text rules — it appears verbatim in one text node, the page's
// structure does not depend on it, and nothing on the rendering path parses text as HTML.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Api, Me, Token } from '../../web/src/api.ts';
import { tokensView } from '../../web/src/tokens.ts';
import { installDomShim, ShimElement, ShimText } from '../helpers/dom-shim.ts';

let uninstall: () => void;
beforeAll(() => {
  uninstall = installDomShim();
});
afterAll(() => uninstall());

const me = (isAdmin: boolean): Me => ({
  user: { tenantId: 'acme', userId: 'bob', role: isAdmin ? 'admin' : 'analyst', status: 'active', authMethod: 'password', email: null, isAdmin },
  canUseTokens: true,
  reasonCode: null,
  reason: null,
  grantablePermissions: ['events:read'],
  catalog: { permissions: ['events:read'], roles: {} as Me['catalog']['roles'] },
});

const token = (name: string, description: string | null, ownerId = 'bob'): Token => ({
  id: 'tok_0123456789abcdefG',
  name,
  description,
  ownerId,
  tenantId: 'acme',
  visibility: 'private',
  legacy: false,
  permissions: ['events:read'],
  status: 'enabled',
  disabledReason: null,
  allowedCidrs: null,
  expiresAt: null,
  disabledAt: null,
  deleteAt: null,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  lastUsedAt: null,
  hint: 'tsr_abcde',
});

/** Renders the tokens table for one token and returns its row once the list has loaded. */
async function renderRow(t: Token, isAdmin: boolean): Promise<ShimElement> {
  const api = { list: async () => ({ items: [t], nextCursor: null }) } as unknown as Api;
  const root = tokensView(api, me(isAdmin)) as unknown as ShimElement;
  await new Promise((r) => setImmediate(r));
  const row = root.querySelectorAll('tr').find((r) => r.getAttribute('data-token-id') === t.id);
  if (!row) throw new Error(`the row was not rendered: ${root.textContent}`);
  return row;
}

const shape = (e: ShimElement): string => `${e.tagName}(${e.childNodes.map((c) => (c instanceof ShimElement ? shape(c) : '#')).join(',')})`;

const HOSTILE = [
  '<img src=x onerror=alert(1)>',
  '"><script>alert(1)</script>',
  "'; DROP TABLE tokens; --",
  '&lt;b&gt;escaped&lt;/b&gt;',
  'invoice\u202Efdp.exe',
  'a\u0000b\u0085c',
  '\ud800 lone',
  '{{constructor.constructor("alert(1)")()}}',
  '${alert(1)}',
];

const anyText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 120 }),
  fc.string({ unit: 'grapheme', maxLength: 60 }),
  fc.constantFrom(...HOSTILE),
  fc.array(fc.constantFrom('<', '>', '&', '"', "'", '/', '=', 'script', 'img', ' ', '\u202E', '\u2066', '\ud800', '\n'), { maxLength: 30 }).map((a) => a.join('')),
).filter((s) => s.length > 0);

describe('console: rendering of stored names', () => {
  it('shows any name and description verbatim as text, with a structure that does not depend on them', async () => {
    const plain = { true: new Map<boolean, string>(), false: new Map<boolean, string>() };
    for (const admin of [true, false]) {
      for (const withDescription of [true, false]) {
        plain[`${admin}`].set(withDescription, shape(await renderRow(token('x', withDescription ? 'y' : null, admin ? 'erin' : 'bob'), admin)));
      }
    }
    await fc.assert(
      fc.asyncProperty(anyText, fc.option(anyText, { nil: null }), fc.boolean(), async (name, description, admin) => {
        const row = await renderRow(token(name, description, admin ? 'erin' : 'bob'), admin);
        const nameCell = row.querySelector('div.token-name')!;
        expect(nameCell.childNodes[0]).toBeInstanceOf(ShimText);
        expect((nameCell.childNodes[0] as ShimText).data).toBe(name);
        if (description) expect(row.querySelector('div.description')!.childNodes.map((c) => (c as ShimText).data)).toEqual([description]);
        expect(shape(row)).toBe(plain[`${admin}`].get(Boolean(description)));
        // Labels carry the name as an attribute value, which the DOM never parses.
        const labels = row.querySelectorAll('button').map((e) => e.getAttribute('aria-label')!);
        expect(labels.length).toBeGreaterThan(0);
        for (const label of labels) expect(label.endsWith(` ${name}`)).toBe(true);
      }),
      { numRuns: 150, seed: 1515 },
    );
  });

  it('refuses to render through HTML parsing (the shim throws on innerHTML)', () => {
    const el = document.createElement('div');
    expect(() => {
      el.innerHTML = '<b>x</b>';
    }).toThrow(/parsed as HTML/);
  });
});
