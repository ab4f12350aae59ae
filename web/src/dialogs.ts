// The token dialogs: create, edit, reveal, renew, delete. Each speaks one API call and hands the
// result back to the table through `ctx.changed`.
import type { Api, Me, Token } from './api.ts';
import { h, replace, uid } from './dom.ts';
import { DAY_MS, formatDate, fromNow } from './format.ts';
import { alertRegion, focusFirst, modal, valueField, type Modal } from './ui.ts';

export interface DialogContext {
  api: Api;
  me: Me;
  /** Reloads the table; focusKey names the control to focus afterwards. */
  changed(message: string, focusKey?: string): Promise<void>;
  fallbackFocus: () => HTMLElement | null;
}

// ---------------------------------------------------------------- permission picker

interface Picker {
  el: HTMLElement;
  selected(): string[];
}

/** Checkboxes for the offered permissions, with quick picks per role (the role's set ∩ offered). */
function permissionPicker(offered: string[], selected: readonly string[], roles: Record<string, string[]>, hint: string): Picker {
  const boxes = offered.map((p) => h('input', { type: 'checkbox', name: 'permissions', value: p, checked: selected.includes(p) }));
  const set = (perms: readonly string[]) => boxes.forEach((b) => (b.checked = perms.includes(b.value)));

  // Roles whose intersection is identical share one button; the full set is "All".
  const groups = new Map<string, { names: string[]; perms: string[] }>();
  for (const [role, perms] of Object.entries(roles)) {
    const inter = offered.filter((p) => perms.includes(p));
    if (inter.length === 0) continue;
    const key = inter.length === offered.length ? '*' : inter.join(' ');
    const group = groups.get(key) ?? { names: [], perms: inter };
    group.names.push(role);
    groups.set(key, group);
  }
  const picks = [...groups.entries()]
    .sort(([a, x], [b, y]) => (a === '*' ? -1 : b === '*' ? 1 : y.perms.length - x.perms.length))
    .map(([key, g]) =>
      h('button', {
        type: 'button', class: 'chip-button', title: g.perms.join(' '),
        'aria-label': key === '*' ? `Select all ${g.perms.length} permissions` : `Select the permissions of ${g.names.join(' and ')}: ${g.perms.join(', ')}`,
        on: { click: () => set(g.perms) },
      }, key === '*' ? 'All' : g.names.join(' / '), h('span', { class: 'count' }, String(g.perms.length))),
    );
  picks.push(h('button', { type: 'button', class: 'chip-button', on: { click: () => set([]) } }, 'None'));

  const quickId = uid('quick');
  const el = h('fieldset', { class: 'permissions' },
    h('legend', null, 'Permissions'),
    h('p', { class: 'hint' }, hint),
    h('div', { class: 'quick-picks', role: 'group', 'aria-labelledby': quickId },
      h('span', { id: quickId, class: 'quick-label' }, 'Quick pick by role:'), picks),
    h('div', { class: 'checks' }, boxes.map((b) => h('label', { class: 'check' }, b, h('span', { class: 'mono' }, b.value)))),
  );
  return { el, selected: () => boxes.filter((b) => b.checked).map((b) => b.value) };
}

// ---------------------------------------------------------------- expiry picker

type ExpiryChoice = { change: false } | { change: true; expiresAt: string | null };

function expiryPicker(current: string | null | undefined): { el: HTMLElement; read(): ExpiryChoice | Error } {
  const editing = current !== undefined;
  const id = uid('expiry');
  const dateId = uid('expiry-date');
  const options: [string, string][] = [
    ...(editing ? ([['keep', current ? `Keep: ${formatDate(current)}` : 'Keep: never expires']] as [string, string][]) : []),
    ['never', 'Never'],
    ['7', '7 days'],
    ['30', '30 days'],
    ['90', '90 days'],
    ['365', '1 year'],
    ['date', 'On a date…'],
  ];
  const select = h('select', { id }, options.map(([v, label]) => h('option', { value: v, selected: v === (editing ? 'keep' : '30') }, label)));
  const tomorrow = new Date(Date.now() + DAY_MS).toISOString().slice(0, 10);
  const date = h('input', { id: dateId, type: 'date', min: tomorrow });
  const dateRow = h('div', { class: 'field', hidden: true }, h('label', { for: dateId }, 'Expires at the end of'), date);
  select.addEventListener('change', () => {
    dateRow.hidden = select.value !== 'date';
  });
  const el = h('div', { class: 'field-group' },
    h('div', { class: 'field' }, h('label', { for: id }, 'Expiration'), select,
      h('p', { class: 'hint' }, 'From that moment the token is rejected everywhere; it is deleted 7 days later.')),
    dateRow,
  );
  const read = (): ExpiryChoice | Error => {
    switch (select.value) {
      case 'keep':
        return { change: false };
      case 'never':
        return editing && current === null ? { change: false } : { change: true, expiresAt: null };
      case 'date': {
        if (!date.value) return new Error('Choose the expiration date.');
        const [y, m, d] = date.value.split('-').map(Number);
        const end = new Date(y, m - 1, d, 23, 59, 59);
        if (end.getTime() <= Date.now()) return new Error('The expiration date must be in the future.');
        return { change: true, expiresAt: end.toISOString() };
      }
      default:
        return { change: true, expiresAt: new Date(Date.now() + Number(select.value) * DAY_MS).toISOString() };
    }
  };
  return { el, read };
}

// ---------------------------------------------------------------- helpers

function textField(label: string, opts: { value?: string; required?: boolean; maxlength: number; multiline?: boolean; hint?: string }) {
  const id = uid('field');
  const props = { id, name: label.toLowerCase(), maxlength: opts.maxlength, required: opts.required ?? false, autocomplete: 'off', value: opts.value ?? '' };
  const input = opts.multiline ? h('textarea', { ...props, rows: 2 }) : h('input', { ...props, type: 'text' });
  const el = h('div', { class: 'field' },
    h('label', { for: id }, label, !opts.required && h('span', { class: 'optional' }, ' (optional)')),
    input,
    opts.hint && h('p', { class: 'hint' }, opts.hint),
  );
  return { el, input };
}

/** Source networks: one CIDR block per line (or separated by commas); empty means anywhere. */
function networksField(current: readonly string[] | null) {
  const field = textField('Source networks', {
    maxlength: 2000, multiline: true, value: (current ?? []).join('\n'),
    hint: 'CIDR blocks the token may be used from, one per line (e.g. 10.0.0.0/8 or 2001:db8::/32), at most 20. Empty: from anywhere.',
  });
  field.input.setAttribute('name', 'allowedCidrs');
  field.input.setAttribute('spellcheck', 'false');
  field.input.classList.add('mono');
  const read = (): string[] | null => {
    const list = field.input.value.split(/[\s,]+/).map((s) => s.trim()).filter(Boolean);
    return list.length ? list : null;
  };
  return { el: field.el, read };
}

function actions(...buttons: HTMLElement[]) {
  return h('div', { class: 'dialog-actions' }, buttons);
}

function cancelButton(m: Modal, label = 'Cancel') {
  return h('button', { type: 'button', on: { click: () => m.close() } }, label);
}

/** Runs an API call from a form: disables its buttons meanwhile, shows errors in the dialog. */
async function busy<T>(form: HTMLElement, alert: ReturnType<typeof alertRegion>, run: () => Promise<T>): Promise<T | undefined> {
  const buttons = [...form.querySelectorAll('button')];
  buttons.forEach((b) => (b.disabled = true));
  form.setAttribute('aria-busy', 'true');
  alert.clear();
  try {
    return await run();
  } catch (e) {
    alert.show(e);
    return undefined;
  } finally {
    buttons.forEach((b) => (b.disabled = false));
    form.removeAttribute('aria-busy');
  }
}

/** Replaces a dialog's content with a newly minted value and a Done button. */
function showValue(m: Modal, lead: (Node | string)[], value: string, onDone: () => void) {
  const done = h('button', { type: 'button', on: { click: () => m.close() } }, 'Done');
  m.dialog.addEventListener('close', onDone, { once: true });
  replace(m.body,
    h('p', null, lead),
    valueField(value),
    h('p', { class: 'notice' }, 'Treat it like a password. Anyone who has it can call the API with these permissions.'),
    actions(done),
  );
  m.body.querySelector<HTMLButtonElement>('.value-field button')?.focus();
}

const canEnable = (t: Token) => t.disabledAt !== null;

// ---------------------------------------------------------------- create

export function createDialog(ctx: DialogContext) {
  const m = modal('Create a token', { wide: true, fallbackFocus: ctx.fallbackFocus });
  const alert = alertRegion();
  const name = textField('Name', { required: true, maxlength: 100, hint: 'What is it for? e.g. "CI pipeline" or "SIEM export".' });
  name.input.setAttribute('autofocus', '');
  const description = textField('Description', { maxlength: 500, multiline: true });
  const picker = permissionPicker(ctx.me.grantablePermissions, [], ctx.me.catalog.roles, 'A token can carry only permissions you hold.');
  const expiry = expiryPicker(undefined);
  const networks = networksField(null);
  let visibility: HTMLInputElement[] = [];
  const visibilityField = ctx.me.user.isAdmin
    ? h('fieldset', { class: 'radios' }, h('legend', null, 'Visibility'),
        (visibility = [
          h('input', { type: 'radio', name: 'visibility', value: 'private', checked: true }),
          h('input', { type: 'radio', name: 'visibility', value: 'shared' }),
        ]).map((r, i) =>
          h('label', { class: 'check' }, r, h('span', null,
            h('strong', null, i === 0 ? 'Private' : 'Shared'),
            h('span', { class: 'hint' }, i === 0 ? ' — only you can view its value.' : ` — every administrator of ${ctx.me.user.tenantId} can view its value and manage it.`)))),
      )
    : null;

  const form = h('form', { novalidate: true }, name.el, description.el, picker.el, expiry.el, networks.el, visibilityField, alert.el,
    actions(cancelButton(m), h('button', { type: 'submit', class: 'primary' }, 'Create token')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const permissions = picker.selected();
    const exp = expiry.read();
    const problems = [
      !name.input.value.trim() && 'Give the token a name.',
      permissions.length === 0 && 'Choose at least one permission.',
      exp instanceof Error && exp.message,
    ].filter(Boolean) as string[];
    if (problems.length) {
      replace(alert.el, h('div', { class: 'alert' }, h('p', null, h('strong', null, 'Please check the form. '), problems.join(' '))));
      (!name.input.value.trim() ? name.input : form.querySelector<HTMLElement>('input[name=permissions], select'))?.focus();
      return;
    }
    const shared = visibility[1]?.checked;
    const result = await busy(form, alert, () =>
      ctx.api.create({
        name: name.input.value.trim(),
        permissions,
        ...(description.input.value.trim() ? { description: description.input.value.trim() } : {}),
        ...(!(exp instanceof Error) && exp.change && exp.expiresAt ? { expiresAt: exp.expiresAt } : {}),
        ...(shared ? { visibility: 'shared' as const } : {}),
        ...(networks.read() ? { allowedCidrs: networks.read()! } : {}),
      }),
    );
    if (!result) return;
    showValue(m, [`Token `, h('strong', null, result.token.name), ' is ready. Here is its value:'], result.value, () =>
      void ctx.changed(`Token “${result.token.name}” created.`, `${result.token.id}:value`));
  });
  replace(m.body, form);
  focusFirst(m.body);
}

// ---------------------------------------------------------------- edit

export function editDialog(ctx: DialogContext, token: Token) {
  const m = modal(`Edit “${token.name}”`, { wide: true, fallbackFocus: ctx.fallbackFocus });
  const alert = alertRegion();
  const name = textField('Name', { required: true, maxlength: 100, value: token.name });
  const description = textField('Description', { maxlength: 500, multiline: true, value: token.description ?? '' });
  const current: string[] = token.permissions ?? [];
  const grantable: string[] = ctx.me.grantablePermissions;
  const offered = ctx.me.catalog.permissions.filter((p) => grantable.includes(p) || current.includes(p));
  const hint = token.ownerId === ctx.me.user.userId
    ? 'A token can carry only permissions you hold.'
    : `A token can carry only permissions that both its owner (${token.ownerId}) and you hold.`;
  const picker = permissionPicker(offered, current, ctx.me.catalog.roles, hint);
  const expiry = expiryPicker(token.expiresAt);
  const networks = networksField(token.allowedCidrs);
  const form = h('form', { novalidate: true }, name.el, description.el, picker.el, expiry.el, networks.el, alert.el,
    actions(cancelButton(m), h('button', { type: 'submit', class: 'primary' }, 'Save changes')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const perms = picker.selected();
    const exp = expiry.read();
    if (!name.input.value.trim() || perms.length === 0 || exp instanceof Error) {
      const msg = !name.input.value.trim() ? 'Give the token a name.' : perms.length === 0 ? 'Choose at least one permission.' : (exp as Error).message;
      replace(alert.el, h('div', { class: 'alert' }, h('p', null, h('strong', null, 'Please check the form. '), msg)));
      return;
    }
    const patch: Parameters<Api['patch']>[1] = {};
    if (name.input.value.trim() !== token.name) patch.name = name.input.value.trim();
    const desc = description.input.value.trim() || null;
    if (desc !== token.description) patch.description = desc;
    if (perms.join(' ') !== current.join(' ')) patch.permissions = perms;
    if (exp.change) patch.expiresAt = exp.expiresAt;
    const cidrs = networks.read();
    if ((cidrs ?? []).join(' ') !== (token.allowedCidrs ?? []).join(' ')) patch.allowedCidrs = cidrs;
    if (Object.keys(patch).length === 0) return m.close();
    const saved = await busy(form, alert, () => ctx.api.patch(token.id, patch));
    if (!saved) return;
    m.close();
    await ctx.changed(`Token “${saved.name}” saved.`, `${token.id}:edit`);
  });
  replace(m.body, form);
  focusFirst(m.body);
}

// ---------------------------------------------------------------- reveal

export async function valueDialog(ctx: DialogContext, token: Token) {
  const m = modal(`Value of “${token.name}”`, { fallbackFocus: ctx.fallbackFocus });
  const alert = alertRegion();
  replace(m.body, h('p', { class: 'muted', 'aria-busy': 'true' }, 'Loading…'), alert.el);
  try {
    const { value } = await ctx.api.value(token.id);
    replace(m.body, valueField(value), actions(cancelButton(m, 'Close')));
    m.body.querySelector<HTMLButtonElement>('.value-field button')?.focus();
  } catch (e) {
    replace(m.body, alert.el, actions(cancelButton(m, 'Close')));
    alert.show(e);
    focusFirst(m.body);
  }
}

// ---------------------------------------------------------------- renew

export function renewDialog(ctx: DialogContext, token: Token) {
  const m = modal(`Renew “${token.name}”`, { fallbackFocus: ctx.fallbackFocus });
  const alert = alertRegion();
  const id = uid('grace');
  const grace = h('input', { id, type: 'number', min: 0, max: 86400, step: 1, value: '0', inputmode: 'numeric' });
  const preset = (label: string, seconds: number) =>
    h('button', { type: 'button', class: 'chip-button', on: { click: () => (grace.value = String(seconds)) } }, label);
  const form = h('form', { novalidate: true },
    h('p', null, 'Renewing gives the token a new value. ',
      token.legacy ? 'This legacy token becomes a normal token and its UUID + secret login stops working. ' : '',
      'The current value stops working when the grace period ends.'),
    h('div', { class: 'field' },
      h('label', { for: id }, 'Grace period for the current value (seconds)'),
      h('div', { class: 'inline' }, grace, preset('None', 0), preset('5 min', 300), preset('1 hour', 3600), preset('24 hours', 86400)),
      h('p', { class: 'hint' }, 'At most 86400 (24 hours), and never past the token’s expiry.')),
    alert.el,
    actions(cancelButton(m), h('button', { type: 'submit', class: 'primary' }, 'Renew value')),
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const seconds = Number(grace.value || 0);
    if (!Number.isInteger(seconds) || seconds < 0 || seconds > 86400) {
      replace(alert.el, h('div', { class: 'alert' }, h('p', null, h('strong', null, 'Please check the form. '), 'The grace period is a whole number of seconds from 0 to 86400.')));
      grace.focus();
      return;
    }
    const result = await busy(form, alert, () => ctx.api.renew(token.id, seconds || undefined));
    if (!result) return;
    showValue(m, [`The new value of `, h('strong', null, result.token.name), seconds ? ` (the old one keeps working for ${seconds} s):` : ' (the old one no longer works):'],
      result.value, () => void ctx.changed(`Token “${result.token.name}” renewed.`, `${token.id}:renew`));
  });
  replace(m.body, form);
  focusFirst(m.body);
}

// ---------------------------------------------------------------- delete

export function deleteDialog(ctx: DialogContext, token: Token) {
  const m = modal(`Delete “${token.name}”?`, { fallbackFocus: ctx.fallbackFocus });
  const alert = alertRegion();
  const recent = token.lastUsedAt !== null && Date.now() - Date.parse(token.lastUsedAt) < 7 * DAY_MS;
  const cancel = cancelButton(m);
  const form = h('form', null,
    h('p', null, 'Deleting cannot be undone. Anything that calls the API with this token will be refused.'),
    recent && h('div', { class: 'warning' },
      h('p', null, h('strong', null, 'This token is in use. '), `It was last used ${fromNow(token.lastUsedAt!)} (${formatDate(token.lastUsedAt!)}). `,
        canEnable(token) ? '' : 'Consider disabling it first: a disabled token can be enabled again.')),
    alert.el,
    actions(cancel, h('button', { type: 'submit', class: 'danger' }, 'Delete token')),
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const ok = await busy(form, alert, async () => (await ctx.api.remove(token.id), true));
    if (!ok) return;
    m.close();
    await ctx.changed(`Token “${token.name}” deleted.`);
  });
  replace(m.body, form);
  cancel.focus();
}
