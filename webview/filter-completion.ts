// The display-filter bar's completion: the field name being typed at the caret, completed from the
// names the host offers for its prefix (ours and Wireshark's, with their types and descriptions).
// The host holds the names (about 236,000 with Wireshark 4.0): the panel asks for one prefix at a
// time, and shows what the latest answer says. Up/Down choose, Tab or Enter takes, Escape closes.
import type { FieldCompletion } from '../packet/filter-fields.js';
import { h } from './dom.js';

/** The field name ending at `caret` in `text`, and where it starts; undefined when the caret is in
 *  a quoted string or after a value (a number, an address), where no name is typed. */
export function nameAt(text: string, caret: number): { start: number; prefix: string } | undefined {
  const before = text.slice(0, caret);
  if ((before.match(/"/g)?.length ?? 0) % 2 === 1) return undefined;
  const m = /[A-Za-z_][A-Za-z0-9_.-]*$/.exec(before);
  if (!m || /[A-Za-z0-9_.:-]/.test(before[m.index - 1] ?? '')) return undefined;
  return { start: m.index, prefix: m[0] };
}

export interface CompletionField {
  value: string;
  readonly wrappedElement: HTMLInputElement;
}

export class FilterCompletion {
  readonly element: HTMLElement;
  private items: FieldCompletion[] = [];
  private chosen = 0;
  private seq = 0;
  private word?: { start: number; prefix: string };

  constructor(
    private readonly field: CompletionField,
    private readonly names: (prefix: string) => Promise<FieldCompletion[]>,
    /** Called after a name was taken (the filter changed). */
    private readonly onTaken: () => void,
  ) {
    this.element = h('div', { class: 'fc-list', attrs: { role: 'listbox', 'aria-label': 'Field names' } });
    this.element.hidden = true;
    // mousedown, not click: the field keeps the focus.
    this.element.addEventListener('mousedown', (e) => {
      const row = (e.target as Element).closest<HTMLElement>('.fc-item');
      if (!row) return;
      e.preventDefault();
      this.take(Number(row.dataset.index));
    });
  }

  get open(): boolean {
    return !this.element.hidden;
  }

  /** The text or caret changed: asks for the names of the word typed there. */
  async update(): Promise<void> {
    const seq = ++this.seq;
    const input = this.field.wrappedElement;
    const word = nameAt(this.field.value, input.selectionStart ?? this.field.value.length);
    if (!word) return this.close();
    let items: FieldCompletion[];
    try {
      items = await this.names(word.prefix);
    } catch {
      items = [];
    }
    if (seq !== this.seq) return; // a later keystroke asked again
    // Nothing to add to a name typed in full with no longer one.
    if (items.length === 0 || (items.length === 1 && items[0]!.name === word.prefix)) return this.close();
    this.word = word;
    this.items = items;
    this.chosen = 0;
    this.render();
  }

  close(): void {
    this.seq++;
    this.element.hidden = true;
    this.items = [];
  }

  /** Keys while the list is open; true when the key was the list's. */
  handleKey(e: KeyboardEvent): boolean {
    if (!this.open) return false;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      const step = e.key === 'ArrowDown' ? 1 : -1;
      this.chosen = (this.chosen + step + this.items.length) % this.items.length;
      this.render();
    } else if (e.key === 'Tab' || e.key === 'Enter') this.take(this.chosen);
    else if (e.key === 'Escape') this.close();
    else return false;
    e.preventDefault();
    e.stopPropagation();
    return true;
  }

  private take(index: number): void {
    const item = this.items[index];
    const word = this.word;
    this.close();
    if (!item || !word) return;
    const text = this.field.value;
    const end = word.start + word.prefix.length;
    const rest = text.slice(end).replace(/^[A-Za-z0-9_.-]*/, ''); // the rest of the word, replaced
    this.field.value = text.slice(0, word.start) + item.name + rest;
    const caret = word.start + item.name.length;
    this.field.wrappedElement.setSelectionRange(caret, caret);
    this.onTaken();
  }

  private render(): void {
    this.element.replaceChildren(
      ...this.items.map((item, i) =>
        h(
          'div',
          {
            class: i === this.chosen ? 'fc-item chosen' : 'fc-item',
            attrs: { role: 'option', 'data-index': String(i), 'aria-selected': String(i === this.chosen) },
          },
          h('span', { class: 'fc-name', text: item.name }),
          h('span', { class: 'fc-type', text: item.type }),
          h('span', { class: 'fc-description', text: item.description ?? '' }),
        ),
      ),
    );
    this.element.hidden = false;
    this.element.children[this.chosen]?.scrollIntoView({ block: 'nearest' });
  }
}
