// A minimal DOM for unit tests of the console's rendering functions (web/src) under Node: just
// what web/src/dom.ts and the table use. Every way of turning a string into markup
// (innerHTML, outerHTML, insertAdjacentHTML, document.write, DOMParser) throws, so a test that
// passes proves the rendering path never parses text as HTML.

const markup = (what: string) => () => {
  throw new Error(`${what} used: text would be parsed as HTML`);
};

export class ShimNode {
  parentNode: ShimNode | null = null;
  readonly childNodes: ShimNode[] = [];

  appendChild<T extends ShimNode>(child: T): T {
    child.parentNode?.removeChild(child);
    child.parentNode = this;
    this.childNodes.push(child);
    return child;
  }
  append(...children: (ShimNode | string)[]): void {
    for (const c of children) this.appendChild(typeof c === 'string' ? new ShimText(c) : c);
  }
  removeChild<T extends ShimNode>(child: T): T {
    const i = this.childNodes.indexOf(child);
    if (i >= 0) this.childNodes.splice(i, 1);
    child.parentNode = null;
    return child;
  }
  replaceChildren(...children: (ShimNode | string)[]): void {
    while (this.childNodes.length > 0) this.removeChild(this.childNodes[0]!);
    this.append(...children);
  }
  get textContent(): string {
    return this.childNodes.map((c) => c.textContent).join('');
  }
  set textContent(text: string) {
    this.replaceChildren(new ShimText(String(text)));
  }
}

export class ShimText extends ShimNode {
  constructor(readonly data: string) {
    super();
  }
  override get textContent(): string {
    return this.data;
  }
}

export class ShimElement extends ShimNode {
  readonly attributes = new Map<string, string>();
  readonly listeners = new Map<string, unknown[]>();
  value = '';
  checked = false;
  selected = false;
  disabled = false;
  constructor(readonly tagName: string) {
    super();
  }
  setAttribute(name: string, value: string): void {
    this.attributes.set(name, String(value));
  }
  getAttribute(name: string): string | null {
    return this.attributes.get(name) ?? null;
  }
  removeAttribute(name: string): void {
    this.attributes.delete(name);
  }
  addEventListener(type: string, fn: unknown): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), fn]);
  }
  focus(): void {}
  get classList() {
    const classes = () => new Set((this.getAttribute('class') ?? '').split(/\s+/).filter(Boolean));
    return {
      add: (c: string) => this.setAttribute('class', [...classes().add(c)].join(' ')),
      remove: (c: string) => {
        const s = classes();
        s.delete(c);
        this.setAttribute('class', [...s].join(' '));
      },
      contains: (c: string) => classes().has(c),
    };
  }
  /** Every element below this one, depth first. */
  descendants(): ShimElement[] {
    return this.childNodes.flatMap((c) => (c instanceof ShimElement ? [c, ...c.descendants()] : []));
  }
  /** Selectors of the form `tag`, `.class` or `tag.class` only. */
  querySelectorAll(selector: string): ShimElement[] {
    const [tag, cls] = selector.split('.');
    return this.descendants().filter((e) => (!tag || e.tagName === tag) && (!cls || e.classList.contains(cls)));
  }
  querySelector(selector: string): ShimElement | null {
    return this.querySelectorAll(selector)[0] ?? null;
  }
  set innerHTML(_: string) {
    markup('innerHTML')();
  }
  set outerHTML(_: string) {
    markup('outerHTML')();
  }
  insertAdjacentHTML = markup('insertAdjacentHTML');
}

/** Installs the shim as globalThis.document (and window); returns a function that removes it. */
export function installDomShim(): () => void {
  const g = globalThis as Record<string, unknown>;
  const saved = { document: g.document, window: g.window, DOMParser: g.DOMParser };
  const body = new ShimElement('body');
  const toast = new ShimElement('div');
  toast.setAttribute('id', 'toast');
  body.appendChild(toast);
  g.document = {
    body,
    activeElement: null,
    createElement: (tag: string) => new ShimElement(tag),
    createTextNode: (text: string) => new ShimText(String(text)),
    getElementById: (id: string) => body.descendants().find((e) => e.getAttribute('id') === id) ?? null,
    write: markup('document.write'),
    createRange: () => ({ createContextualFragment: markup('createContextualFragment') }),
  };
  g.window = { setTimeout, clearTimeout };
  g.DOMParser = class {
    parseFromString = markup('DOMParser');
  };
  return () => Object.assign(g, saved);
}
