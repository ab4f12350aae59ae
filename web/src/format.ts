// Dates as people read them: an absolute date with a relative hint, machine time in <time>.
import { h } from './dom.ts';

const absolute = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const dateOnly = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 365 * 86400e3],
  ['month', 30 * 86400e3],
  ['week', 7 * 86400e3],
  ['day', 86400e3],
  ['hour', 3600e3],
  ['minute', 60e3],
];

export function fromNow(iso: string, now = Date.now()): string {
  const diff = Date.parse(iso) - now;
  for (const [unit, ms] of UNITS) {
    if (Math.abs(diff) >= ms) return relative.format(Math.round(diff / ms), unit);
  }
  return Math.abs(diff) < 60e3 ? 'just now' : relative.format(Math.round(diff / 60e3), 'minute');
}

/** A <time> with the relative form visible and the exact date in the tooltip, or a dash. */
export function when(iso: string | null, empty = '—', style: 'relative' | 'date' = 'relative'): Node {
  if (!iso) return h('span', { class: 'muted' }, empty);
  const d = new Date(iso);
  return h('time', { datetime: iso, title: absolute.format(d) }, style === 'date' ? dateOnly.format(d) : fromNow(iso));
}

export const formatDate = (iso: string) => absolute.format(new Date(iso));

export const DAY_MS = 86400e3;
