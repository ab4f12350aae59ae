// A tiny element builder: enough to write the page as plain functions without a framework.
type Child = Node | string | number | null | undefined | false | Child[];
type Props = Record<string, unknown> & { on?: Record<string, (e: Event) => void> };

/** Attribute text: strings and numbers as they are; anything else as JSON, never "[object Object]". */
const text = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : JSON.stringify(v));

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props | null = null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (key === 'on') {
      for (const [type, fn] of Object.entries(value as Record<string, (e: Event) => void>)) el.addEventListener(type, fn);
    } else if (key === 'value' && 'value' in el) {
      (el as HTMLInputElement).value = value === null || value === undefined ? '' : text(value);
    } else if (key === 'checked' || key === 'selected') {
      (el as unknown as Record<string, boolean>)[key] = Boolean(value);
    } else if (value === true) {
      el.setAttribute(key, '');
    } else if (value !== false && value !== null && value !== undefined) {
      el.setAttribute(key, text(value));
    }
  }
  append(el, children);
  return el;
}

export function append(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else parent.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
}

export function replace(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

let counter = 0;
/** A unique id for label/aria wiring. */
export const uid = (prefix: string) => `${prefix}-${++counter}`;
