// A token's last 30 days as an inline SVG sparkline: drawn here from GET /v1/tokens/{id}/usage,
// no image or script from anywhere else (the page's CSP allows none).
import type { Usage } from './api.ts';

const NS = 'http://www.w3.org/2000/svg';
const WIDTH = 90;
const HEIGHT = 22;

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>): SVGElementTagNameMap[K] {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

/** Verified per day as a line, refusals as a second line; the total as the accessible name. */
export function sparkline(usage: Usage, tokenName: string): SVGSVGElement {
  const days = usage.days;
  const verified = days.reduce((n, d) => n + d.verified, 0);
  const denied = days.reduce((n, d) => n + d.denied, 0);
  const max = Math.max(1, ...days.map((d) => Math.max(d.verified, d.denied)));
  const x = (i: number) => (days.length <= 1 ? 0 : (i * (WIDTH - 2)) / (days.length - 1) + 1);
  const y = (n: number) => HEIGHT - 2 - (n * (HEIGHT - 4)) / max;
  const points = (pick: (d: Usage['days'][number]) => number) => days.map((d, i) => `${x(i).toFixed(1)},${y(pick(d)).toFixed(1)}`).join(' ');
  const label = `${tokenName}: ${verified} verification${verified === 1 ? '' : 's'}${denied ? ` and ${denied} refusal${denied === 1 ? '' : 's'}` : ''} in the last ${days.length} days`;
  const root = svg('svg', { class: 'sparkline', width: WIDTH, height: HEIGHT, viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: 'img', 'aria-label': label });
  const title = svg('title', {});
  title.textContent = label;
  root.append(title, svg('polyline', { class: 'spark-verified', points: points((d) => d.verified), fill: 'none', stroke: 'currentColor', 'stroke-width': 1.5 }));
  if (denied) root.append(svg('polyline', { class: 'spark-denied', points: points((d) => d.denied), fill: 'none', stroke: '#b3261e', 'stroke-width': 1 }));
  return root;
}
