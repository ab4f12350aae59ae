// Shared pieces: error messages, announcements, modal dialogs, the copyable value field.
import { ApiError, errorTitle } from './api.ts';
import { h, replace, uid } from './dom.ts';

/** An error as a readable block: title, the API's message, field issues, the request id for support. */
export function errorBlock(error: unknown): HTMLElement {
  const e = error instanceof ApiError ? error : new ApiError(0, 'INTERNAL', (error as Error)?.message ?? String(error));
  return h(
    'div',
    { class: 'alert' },
    h('p', null, h('strong', null, `${errorTitle(e)}. `), e.message),
    e.fields.length > 0 && h('ul', null, e.fields.map((f) => h('li', null, h('code', null, f.path), ': ', f.message))),
    e.requestId && h('p', { class: 'alert-meta' }, `Code ${e.code} · request ${e.requestId}`),
  );
}

/** A role=alert region that starts empty, so screen readers announce what is put in it. */
export function alertRegion(): { el: HTMLElement; show(error: unknown): void; clear(): void } {
  const el = h('div', { role: 'alert', class: 'alert-region' });
  return {
    el,
    show: (error) => replace(el, errorBlock(error)),
    clear: () => replace(el),
  };
}

let toastTimer: number | undefined;
export function hideToast(): void {
  document.getElementById('toast')!.classList.remove('visible');
}

/** A polite announcement, also shown briefly as a toast. */
export function announce(message: string): void {
  const el = document.getElementById('toast')!;
  el.textContent = message;
  el.classList.add('visible');
  window.clearTimeout(toastTimer);
  toastTimer = window.setTimeout(() => el.classList.remove('visible'), 4000);
}

export interface Modal {
  dialog: HTMLDialogElement;
  body: HTMLElement;
  close(): void;
}

/**
 * A native modal <dialog> (focus is kept inside, Escape closes it). On close it is removed and
 * focus goes back to what opened it, or to `fallbackFocus` when that element is gone.
 */
export function modal(title: string, opts: { wide?: boolean; fallbackFocus?: () => HTMLElement | null; onClose?: () => void } = {}): Modal {
  const opener = document.activeElement as HTMLElement | null;
  const titleId = uid('dlg-title');
  const body = h('div', { class: 'dialog-body' });
  const dialog = h(
    'dialog',
    { 'aria-labelledby': titleId, class: opts.wide ? 'wide' : null },
    h('header', { class: 'dialog-head' },
      h('h2', { id: titleId }, title),
      h('button', { type: 'button', class: 'icon-button', 'aria-label': 'Close', on: { click: () => dialog.close() } }, '×'),
    ),
    body,
  );
  dialog.addEventListener('close', () => {
    dialog.remove();
    opts.onClose?.();
    const target = opener?.isConnected ? opener : opts.fallbackFocus?.();
    target?.focus();
  });
  document.body.append(dialog);
  dialog.showModal();
  return { dialog, body, close: () => dialog.close() };
}

/** Focuses the first field or the element marked autofocus in a dialog body. */
export function focusFirst(root: HTMLElement): void {
  const target = root.querySelector<HTMLElement>('[autofocus], input:not([type=hidden]):not([disabled]), select, textarea, button:not([disabled])');
  target?.focus();
}

async function copyText(text: string, field: HTMLInputElement): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    field.select();
    return document.execCommand?.('copy') ?? false;
  }
}

/** A read-only value with a Copy button and a status line. */
export function valueField(value: string): HTMLElement {
  const id = uid('value');
  const status = h('p', { role: 'status', class: 'hint' });
  const input = h('input', { id, class: 'mono secret', readonly: true, value, spellcheck: 'false', autocomplete: 'off', 'data-testid': 'token-value' });
  const copy = h('button', {
    type: 'button',
    class: 'primary',
    on: {
      click: async () => {
        status.textContent = (await copyText(value, input)) ? 'Copied to the clipboard.' : 'Press Ctrl+C (⌘C) to copy the selected value.';
      },
    },
  }, 'Copy');
  input.addEventListener('focus', () => input.select());
  return h('div', { class: 'value-field' },
    h('label', { for: id }, 'Token value'),
    h('div', { class: 'value-row' }, input, copy),
    status,
  );
}

export const visuallyHidden = (text: string) => h('span', { class: 'visually-hidden' }, text);

/** Where a newest-first list stands: the cursor of every page seen so far, and the page shown. */
function cursorPages() {
  let cursors: (string | null)[] = [null];
  let index = 0;
  return {
    get index() { return index; },
    get cursor() { return cursors[index]; },
    reset() { cursors = [null]; index = 0; },
    go(to: number, cursor?: string | null) {
      if (cursor !== undefined) cursors[to] = cursor;
      index = to;
    },
  };
}

/** The parts of a paged, newest-first list: its alert, summary line, table and pager. */
export interface PagedList {
  pages: ReturnType<typeof cursorPages>;
  alert: ReturnType<typeof alertRegion>;
  tableWrap: HTMLElement;
  /** The alert, the summary, the table and the pager, in page order. */
  regions: HTMLElement[];
  /** Runs one load with the table marked busy; a failure shows in the alert. */
  busy(load: () => Promise<void>): Promise<void>;
  /** Shows a loaded page; focus returns to the control of `focus.key` in `focus.within` (the pager's, or a row's), or to `fallback`. */
  show(table: Node, nextCursor: string | null | undefined, summary: string, focus: { key?: string; within: ParentNode; fallback: HTMLElement }): void;
  /**
   * Wires the list's filter form: submitting it, or changing one of the `instant` controls, reads
   * the filters anew (`read`) and loads the first page again. Returns that "apply" step for other
   * triggers.
   */
  filters(form: HTMLElement, instant: HTMLElement[], read: () => void): () => void;
}

/**
 * A paged list. `load(focusKey)` loads the page at `pages.cursor`; the pager's buttons move the
 * cursor and call it with the key of the button pressed.
 */
export function pagedList(name: string, labels: { back: string; forward: string }, load: (focusKey?: string) => Promise<void>): PagedList {
  const pages = cursorPages();
  const alert = alertRegion();
  const tableWrap = h('div', { class: 'table-wrap' });
  const pager = h('nav', { class: 'pager', 'aria-label': `Pages of ${name}` });
  const summary = h('p', { class: 'summary', 'aria-live': 'polite' });
  const go = (index: number, key: string, cursor?: string | null) => {
    pages.go(index, cursor);
    void load(key);
  };
  const button = (key: string, label: string, disabled: boolean, onClick: () => void) =>
    h('button', { type: 'button', 'data-focus-key': key, disabled, on: { click: onClick } }, label);
  return {
    pages, alert, tableWrap,
    regions: [alert.el, summary, tableWrap, pager],
    busy: (run) => loadBusy(tableWrap, alert, run),
    filters(form, instant, read) {
      const apply = () => {
        read();
        pages.reset();
        void load();
      };
      form.addEventListener('submit', (e) => {
        e.preventDefault();
        apply();
      });
      for (const control of instant) control.addEventListener('change', apply);
      return apply;
    },
    show(table, nextCursor, text, focus) {
      alert.clear();
      replace(tableWrap, table);
      replace(pager,
        button('pager:prev', labels.back, pages.index === 0, () => go(pages.index - 1, 'pager:prev')),
        h('span', { class: 'muted' }, `Page ${pages.index + 1}`),
        button('pager:next', labels.forward, !nextCursor, () => go(pages.index + 1, 'pager:next', nextCursor)));
      summary.textContent = text;
      // The table and the pager are drawn anew: focus returns to the control used, or to the fallback.
      if (focus.key) (focus.within.querySelector<HTMLElement>(`[data-focus-key="${focus.key}"]:not([disabled])`) ?? focus.fallback).focus();
    },
  };
}


/** Runs one load of a list: the region is marked busy meanwhile, and a failure shows in the alert. */
async function loadBusy(region: HTMLElement, alert: { show(error: unknown): void }, load: () => Promise<void>): Promise<void> {
  region.setAttribute('aria-busy', 'true');
  try {
    await load();
  } catch (e) {
    alert.show(e);
  } finally {
    region.removeAttribute('aria-busy');
  }
}
