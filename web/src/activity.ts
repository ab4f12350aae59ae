// The "Activity" view: the activity log (GET /v1/audit), newest first. Administrators see their
// tenant's entries, others the entries of their own tokens; a filter by action and by token,
// and cursor pagination.
import type { Api, AuditEntry, AuditPage, Me } from './api.ts';
import { h, uid } from './dom.ts';
import { when } from './format.ts';
import { pagedList } from './ui.ts';

const PAGE_SIZE = 25;
const ACTIONS = ['created', 'updated', 'enabled', 'disabled', 'renewed', 'deleted', 'expired'] as const;

const REASONS: Record<string, string> = {
  manual: 'by hand',
  owner_disabled: 'owner’s account disabled',
  owner_sso: 'owner switched to SSO',
  owner_deleted: 'owner deleted',
  permissions_revoked: 'owner lost its permissions',
  owner_permissions_changed: 'owner’s permissions narrowed',
  leaked: 'reported as leaked',
  expiry: 'expiry date passed',
  week_later_deletion: 'a week after it was disabled or expired',
};

const actorText = (e: AuditEntry) => (e.actor.type === 'user' ? e.actor.userId : 'Tessera');

/** What an entry adds: the fields changed, the reason, where a leaked value was found. */
function details(e: AuditEntry): Node {
  const parts: Node[] = [];
  if (e.changes) parts.push(h('span', null, 'changed ', e.changes.map((c, i) => [i > 0 ? ', ' : '', h('code', null, c)])));
  if (e.reason || e.actor.type === 'system') {
    const why = e.reason ?? (e.actor.type === 'system' ? e.actor.reason : '');
    parts.push(h('span', { class: 'reason' }, REASONS[why] ?? why));
  }
  if (e.url) parts.push(h('a', { href: e.url, rel: 'noopener noreferrer', target: '_blank' }, 'where it was found'));
  return parts.length ? h('div', { class: 'details' }, parts.map((p, i) => [i > 0 ? ' · ' : '', p])) : h('span', { class: 'muted' }, '—');
}

/** The page's entries; `filtered`: whether a filter is set (the empty message says so). */
function activityTable(me: Me, page: AuditPage, filtered: boolean): Node {
  if (page.items.length === 0) {
    return h('div', { class: 'empty' }, h('p', null, h('strong', null, filtered ? 'No activity matches these filters.' : 'No activity yet.')));
  }
  return h('table', { class: 'activity' },
    h('caption', { class: 'visually-hidden' }, me.user.isAdmin ? `Activity of ${me.user.tenantId}` : 'Activity of your tokens'),
    h('thead', null, h('tr', null, ['When', 'Action', 'Token', 'By', 'Details'].map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', null, page.items.map((e) =>
      h('tr', { 'data-entry': e.id },
        h('td', null, when(e.at)),
        h('td', null, h('span', { class: `badge action-${e.action}` }, e.action)),
        h('td', null, h('div', { class: 'name' }, e.tokenName), h('div', { class: 'muted mono small' }, e.tokenId)),
        h('td', null, e.actor.type === 'user' ? h('strong', null, actorText(e)) : h('span', { class: 'muted' }, actorText(e))),
        h('td', null, details(e)),
      ))),
  );
}

export function activityView(api: Api, me: Me, tokenId = ''): HTMLElement {
  let filters = { action: '', tokenId };
  const list = pagedList('activity', { back: '← Newer', forward: 'Older →' }, load);
  const headingId = uid('activity-heading');
  const heading = h('h1', { id: headingId, tabindex: -1 }, 'Activity');

  const actionId = uid('action');
  const tokenFieldId = uid('token');
  const actionSelect = h('select', { id: actionId, name: 'action' },
    h('option', { value: '' }, 'All actions'),
    ACTIONS.map((a) => h('option', { value: a }, a)));
  const tokenInput = h('input', { id: tokenFieldId, name: 'tokenId', type: 'search', placeholder: 'tok_…', autocomplete: 'off', spellcheck: 'false', value: tokenId, class: 'mono' });
  const filterForm = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter activity' },
    h('div', { class: 'field' }, h('label', { for: actionId }, 'Action'), actionSelect),
    h('div', { class: 'field' }, h('label', { for: tokenFieldId }, 'Token id'), tokenInput),
    h('button', { type: 'submit' }, 'Apply'),
  );
  list.filters(filterForm, [actionSelect], () => {
    filters = { action: actionSelect.value, tokenId: tokenInput.value.trim() };
  });

  function load(focusKey?: string) {
    return list.busy(async () => {
      const page = await api.audit({ ...filters, limit: PAGE_SIZE, cursor: list.pages.cursor });
      const n = page.items.length;
      list.show(activityTable(me, page, Boolean(filters.action || filters.tokenId)), page.nextCursor, `${n} entr${n === 1 ? 'y' : 'ies'} on this page${page.nextCursor ? '; older ones on the next page' : ''}.`,
        { key: focusKey, within: root, fallback: heading });
    });
  }

  const root = h('section', { class: 'page', 'aria-labelledby': headingId },
    h('div', { class: 'page-head' },
      h('div', null, heading,
        h('p', { class: 'lead' }, me.user.isAdmin
          ? `Who did what to the tokens of ${me.user.tenantId}, newest first. Entries are kept 400 days.`
          : 'Who did what to your tokens, newest first. Entries are kept 400 days.'))),
    filterForm,
    ...list.regions,
  );
  void load();
  return root;
}
