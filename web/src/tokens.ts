// The tokens table: filters, cursor pagination, one row per token with the actions the caller
// may take. What a row offers follows rules.md §1: values only for the owner (and admins, for
// shared tokens), no edit for legacy tokens.
import type { Api, Me, Token, TokenPage } from './api.ts';
import { createDialog, deleteDialog, editDialog, renewDialog, valueDialog, type DialogContext } from './dialogs.ts';
import { h, replace, uid } from './dom.ts';
import { when } from './format.ts';
import { announce, pagedList, visuallyHidden, type PagedList } from './ui.ts';
import { sparkline } from './sparkline.ts';

const PAGE_SIZE = 20;
const CHIPS_SHOWN = 4;

const REASONS: Record<string, string> = {
  manual: 'disabled manually',
  owner_disabled: 'owner’s account disabled',
  owner_sso: 'owner switched to SSO',
  owner_deleted: 'owner deleted',
  permissions_revoked: 'owner lost its permissions',
  leaked: 'reported as leaked',
};

const STATUS_LABEL: Record<Token['status'], string> = { enabled: 'Enabled', disabled: 'Disabled', expired: 'Expired' };

/** What a row needs: who looks, the dialogs' context, and the enable/disable action. */
interface Rows {
  me: Me;
  dialogs: DialogContext;
  toggle(t: Token): Promise<void>;
}

/** The owner sees a value; an administrator sees a shared token's (rules.md §1). */
const canReveal = (r: Rows, t: Token) => t.ownerId === r.me.user.userId || (r.me.user.isAdmin && t.visibility === 'shared');

function permissionsCell(t: Token): Node {
  if (t.permissions === null) return h('span', { class: 'muted legacy-note' }, 'permissions not displayed');
  const chip = (p: string) => h('li', { class: 'chip' }, p);
  const shown = t.permissions.slice(0, CHIPS_SHOWN);
  const rest = t.permissions.slice(CHIPS_SHOWN);
  return h('div', null,
    h('ul', { class: 'chips', 'aria-label': `${t.permissions.length} permissions` }, shown.map(chip)),
    rest.length > 0 && h('details', { class: 'more' },
      h('summary', null, `+${rest.length} more`),
      h('ul', { class: 'chips' }, rest.map(chip))),
  );
}

function statusCell(t: Token): Node {
  return h('div', null,
    h('span', { class: `badge status-${t.status}` }, STATUS_LABEL[t.status]),
    t.status === 'disabled' && t.disabledReason && h('div', { class: 'reason' }, REASONS[t.disabledReason] ?? t.disabledReason),
  );
}

function actionsCell(r: Rows, t: Token): Node {
  const key = (a: string) => `${t.id}:${a}`;
  const button = (action: string, label: string, onClick: () => void, cls = 'small') =>
    h('button', { type: 'button', class: cls, 'data-focus-key': key(action), 'aria-label': `${label} ${t.name}`, on: { click: onClick } }, label);
  const live = t.status !== 'expired';
  const ctx = r.dialogs;
  // A legacy token has no viewable value until it is renewed (the API answers 409).
  return h('div', { class: 'row-actions' },
    canReveal(r, t)
      ? !t.legacy && button('value', 'Value', () => void valueDialog(ctx, t))
      : h('span', { class: 'private-note', title: `Only ${t.ownerId} can view or renew the value of a private token.` },
          'Value private', visuallyHidden(`: only ${t.ownerId} can view or renew it`)),
    !t.legacy && button('edit', 'Edit', () => editDialog(ctx, t)),
    (t.disabledAt !== null || live) && button('toggle', t.disabledAt ? 'Enable' : 'Disable', () => void r.toggle(t)),
    canReveal(r, t) && live && button('renew', 'Renew', () => renewDialog(ctx, t)),
    button('delete', 'Delete', () => deleteDialog(ctx, t), 'small danger-text'),
  );
}

function row(r: Rows, t: Token): HTMLElement {
  const gone = t.status !== 'enabled';
  return h('tr', { 'data-token-id': t.id, class: gone ? 'inactive' : null },
    h('th', { scope: 'row' },
      h('div', { class: 'token-name' }, t.name, t.legacy && h('span', { class: 'badge legacy' }, 'Legacy')),
      h('code', { class: 'hint-text', title: 'The first characters of the value' }, `${t.hint}…`),
      t.description && h('div', { class: 'description' }, t.description)),
    r.me.user.isAdmin && h('td', { class: 'owner' }, t.ownerId, t.ownerId === r.me.user.userId && h('span', { class: 'muted' }, ' (you)')),
    h('td', null, h('span', { class: `badge vis-${t.visibility}` }, t.visibility === 'shared' ? 'Shared' : 'Private')),
    h('td', null, permissionsCell(t)),
    h('td', null, statusCell(t)),
    h('td', null, when(t.expiresAt, 'Never')),
    h('td', null, t.status === 'enabled' ? h('span', { class: 'muted' }, '—') : when(t.deleteAt, '—', 'date')),
    h('td', { class: 'last-used' }, when(t.lastUsedAt, 'Never'), h('div', { class: 'usage', 'data-usage-for': t.id })),
    h('td', null, actionsCell(r, t)),
  );
}

/** The page's tokens; `filtered`: whether a filter is set (the empty message says so). */
function tokenTable(r: Rows, page: TokenPage, filtered: boolean): Node {
  if (page.items.length === 0) {
    return h('div', { class: 'empty' },
      h('p', null, h('strong', null, filtered ? 'No tokens match these filters.' : 'No tokens yet.')),
      h('p', { class: 'muted' }, filtered ? 'Change or clear the filters.' : 'Create a token to call the product’s APIs from scripts and integrations.'));
  }
  const admin = r.me.user.isAdmin;
  const cols = ['Name', ...(admin ? ['Owner'] : []), 'Visibility', 'Permissions', 'Status', 'Expires', 'Deleted on', 'Last used', 'Actions'];
  return h('table', { class: 'tokens' },
    h('caption', { class: 'visually-hidden' }, admin ? `Tokens of ${r.me.user.tenantId}` : 'Your tokens'),
    h('thead', null, h('tr', null, cols.map((c) => h('th', { scope: 'col' }, c === 'Actions' ? visuallyHidden(c) : c)))),
    h('tbody', null, page.items.map((t) => row(r, t))),
  );
}

/** The 30-day sparkline of each row, a few requests at a time; a failure leaves the row without one. */
async function drawUsage(api: Api, tableWrap: HTMLElement, items: Token[]) {
  const queue = [...items];
  const worker = async () => {
    for (let t = queue.shift(); t; t = queue.shift()) {
      const slot = tableWrap.querySelector<HTMLElement>(`[data-usage-for="${t.id}"]`);
      if (!slot) continue;
      try {
        const usage = await api.usage(t.id, 30);
        if (slot.isConnected) replace(slot, sparkline(usage, t.name));
      } catch {
        // The table is still right without the sparkline; the next load tries again.
      }
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
}

/** Enables or disables a token; a failure shows in the list's alert. */
async function toggleToken(dialogs: DialogContext, alert: PagedList['alert'], t: Token): Promise<void> {
  const enable = t.disabledAt !== null;
  alert.clear();
  try {
    await dialogs.api.patch(t.id, { enabled: enable });
    await dialogs.changed(`Token “${t.name}” ${enable ? 'enabled' : 'disabled'}.`, `${t.id}:toggle`);
  } catch (e) {
    alert.show(e);
  }
}

/** The filter form: owner (administrators: any owner seen so far is offered) and status. */
function tokenFilters(admin: boolean) {
  const ownerId = uid('owner');
  const statusId = uid('status');
  const ownerList = uid('owners');
  const ownerInput = h('input', { id: ownerId, type: 'search', list: ownerList, placeholder: 'All owners', autocomplete: 'off', spellcheck: 'false' });
  const ownerOptions = h('datalist', { id: ownerList });
  const statusSelect = h('select', { id: statusId },
    h('option', { value: '' }, 'All statuses'),
    (['enabled', 'disabled', 'expired'] as const).map((s) => h('option', { value: s }, STATUS_LABEL[s])));
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter tokens' },
    admin && h('div', { class: 'field' }, h('label', { for: ownerId }, 'Owner'), ownerInput, ownerOptions),
    h('div', { class: 'field' }, h('label', { for: statusId }, 'Status'), statusSelect),
    admin && h('button', { type: 'submit' }, 'Apply'),
  );
  return { form, ownerInput, ownerOptions, statusSelect };
}

export function tokensView(api: Api, me: Me): HTMLElement {
  const admin = me.user.isAdmin;
  let filters = { owner: '', status: '' };
  const list = pagedList('tokens', { back: '← Previous', forward: 'Next →' }, load);
  const owners = new Set<string>([me.user.userId]);
  const headingId = uid('tokens-heading');
  const heading = h('h1', { id: headingId, tabindex: -1 }, 'API tokens');
  const dialogs: DialogContext = {
    api,
    me,
    changed: async (message, focusKey) => {
      announce(message);
      await load(focusKey);
    },
    fallbackFocus: () => heading,
  };
  const rows: Rows = { me, dialogs, toggle: (t) => toggleToken(dialogs, list.alert, t) };

  const f = tokenFilters(admin);
  const apply = list.filters(f.form, [f.statusSelect], () => {
    filters = { owner: f.ownerInput.value.trim(), status: f.statusSelect.value };
  });
  f.ownerInput.addEventListener('input', () => {
    if (f.ownerInput.value === '' && filters.owner) apply(); // cleared, e.g. with the search field's ×
  });

  function load(focusKey?: string): Promise<void> {
    return list.busy(async () => {
      const page = await api.list({ ...filters, limit: PAGE_SIZE, cursor: list.pages.cursor });
      if (page.items.length === 0 && list.pages.index > 0) {
        // The last item of this page went away: step back.
        list.pages.go(list.pages.index - 1);
        return load(focusKey);
      }
      for (const t of page.items) owners.add(t.ownerId);
      replace(f.ownerOptions, [...owners].sort().map((o) => h('option', { value: o })));
      const n = page.items.length;
      list.show(tokenTable(rows, page, Boolean(filters.owner || filters.status)), page.nextCursor,
        `${n} token${n === 1 ? '' : 's'} on this page${page.nextCursor ? '; more on the next page' : ''}.`, { key: focusKey, within: root, fallback: heading });
      void drawUsage(api, list.tableWrap, page.items);
    });
  }

  const root = h('section', { class: 'page', 'aria-labelledby': headingId },
    h('div', { class: 'page-head' },
      h('div', null, heading,
        h('p', { class: 'lead' }, admin
          ? `Every token of ${me.user.tenantId}. Tokens carry a subset of their owner’s permissions.`
          : 'Tokens let scripts and integrations call the API with a subset of your permissions.')),
      h('button', { type: 'button', class: 'primary', on: { click: () => createDialog(dialogs) } }, 'Create token')),
    f.form,
    ...list.regions,
  );
  void load();
  return root;
}
