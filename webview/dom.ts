// Small DOM helpers. Text always goes in through textContent (or a property a component renders
// as text): packet-derived strings are data, never markup.

type Child = Node | string | null | undefined | false;

export interface ElementProps {
  class?: string;
  text?: string;
  attrs?: Record<string, string>;
}

/** The keys that open a context menu: the menu key, Shift+F10. */
export function isMenuKey(e: KeyboardEvent): boolean {
  return e.key === 'ContextMenu' || (e.key === 'F10' && e.shiftKey);
}

/**
 * Opens `el`'s context menu as a right click on it would, just below it. For a menu asked for from
 * the keyboard: the browser's own event starts at the focused element (the table, the tree), and
 * VS Code reads the menu's context (data-vscode-context) from where the event starts.
 */
export function openContextMenu(el: Element): void {
  const r = el.getBoundingClientRect();
  const at = { clientX: r.left + Math.min(24, r.width / 2), clientY: r.bottom };
  el.dispatchEvent(new MouseEvent('contextmenu', { bubbles: true, cancelable: true, composed: true, ...at }));
}

/** Creates an element (built-in or custom: the tag maps give it its type). */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: ElementProps = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props.class) el.className = props.class;
  if (props.attrs) for (const [name, value] of Object.entries(props.attrs)) el.setAttribute(name, value);
  if (props.text !== undefined) el.textContent = props.text;
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    el.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return el;
}

/** A statistics table's row: applied by a double click or Enter; ArrowUp / ArrowDown move the
 *  focus to the row above or below. */
export function applicableRow(tr: HTMLElement, apply: () => void): HTMLElement {
  tr.tabIndex = 0;
  tr.addEventListener('dblclick', apply);
  tr.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') apply();
    else if (e.key === 'ArrowDown') (tr.nextElementSibling as HTMLElement | null)?.focus();
    else if (e.key === 'ArrowUp') (tr.previousElementSibling as HTMLElement | null)?.focus();
  });
  return tr;
}

/** Sets text only when it changed (cheap to call every frame). */
export function setText(el: Element, text: string): void {
  if (el.textContent !== text) el.textContent = text;
}

export function debounce<A extends unknown[]>(
  fn: (...args: A) => void,
  ms: number,
): ((...args: A) => void) & { cancel(): void; flush(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let last: A | undefined;
  const run = (...args: A) => {
    last = args;
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      fn(...(last as A));
    }, ms);
  };
  run.cancel = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
  run.flush = () => {
    if (timer === undefined || !last) return;
    clearTimeout(timer);
    timer = undefined;
    fn(...last);
  };
  return run;
}

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

export function formatCount(n: number): string {
  return integer.format(n);
}

export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = n;
  let unit = -1;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 2 : value < 100 ? 1 : 0)} ${units[unit]}`;
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
