// The bytes pane: offset, 16 bytes in hex, the same 16 as ASCII ('.' for non-printables). Lines
// are virtualized (a packet may be 64 KiB: 4096 lines); one span per byte so a field's bytes can be
// highlighted and a click on a byte can select the field that holds it. From the keyboard, Tab
// reaches the pane and the arrows move a byte cursor, which selects its field as a click does.
import { h } from './dom.js';

const PER_LINE = 16;

interface LineSlot {
  el: HTMLElement;
  offset: HTMLElement;
  hex: HTMLElement[];
  ascii: HTMLElement[];
  line: number;
  version: number;
  marks: string;
  y: number;
}

function byteHex(b: number): string {
  return b.toString(16).padStart(2, '0');
}

function byteChar(b: number): string {
  return b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.';
}

export class HexView {
  readonly element: HTMLElement;
  private readonly spacer: HTMLElement;
  private readonly layer: HTMLElement;
  private readonly empty: HTMLElement;
  private slots: LineSlot[] = [];
  private bytes: Uint8Array = new Uint8Array(0);
  private version = 0;
  private start = 0;
  private end = 0;
  private hover = -1;
  /** The keyboard's byte (shown while the pane has focus); -1 before the pane was focused. */
  private cursor = -1;
  /** Says the cursor's byte to screen readers (the spans are recycled, so no active descendant). */
  private readonly status: HTMLElement;
  private lineHeight = 18;
  private frame = 0;
  onByteClick: (offset: number) => void = () => {};

  constructor() {
    this.spacer = h('div', { class: 'hx-spacer' });
    this.layer = h('div', { class: 'hx-lines' });
    this.empty = h('div', { class: 'hx-empty', text: 'No packet selected.' });
    this.status = h('div', { class: 'hx-status', attrs: { role: 'status' } });
    this.element = h(
      'div',
      {
        class: 'hex-view',
        attrs: {
          role: 'region',
          'aria-label': 'Packet bytes',
          tabindex: '0',
        },
      },
      this.spacer,
      this.layer,
      this.empty,
      this.status,
    );
    this.element.addEventListener('focus', () => {
      if (this.cursor < 0 || this.cursor >= this.bytes.length) this.cursor = this.end > this.start ? this.start : 0;
      this.schedule();
    });
    this.element.addEventListener('keydown', (e) => this.onKey(e));
    this.element.addEventListener('scroll', () => this.schedule(), { passive: true });
    this.layer.addEventListener('pointerover', (e) => {
      const offset = this.offsetAt(e.target);
      if (offset !== this.hover) {
        this.hover = offset;
        this.schedule();
      }
    });
    this.layer.addEventListener('pointerleave', () => {
      this.hover = -1;
      this.schedule();
    });
    this.layer.addEventListener('click', (e) => {
      const offset = this.offsetAt(e.target);
      if (offset < 0) return;
      this.cursor = offset; // the keyboard goes on from the byte clicked
      this.onByteClick(offset);
    });
    new ResizeObserver(() => this.measure()).observe(this.element);
  }

  get length(): number {
    return this.bytes.length;
  }

  /** The packet's bytes shown. */
  get packetBytes(): Uint8Array {
    return this.bytes;
  }

  setBytes(bytes: Uint8Array, emptyText = 'No packet selected.'): void {
    this.bytes = bytes;
    this.version++;
    this.start = this.end = 0;
    this.cursor = -1;
    this.status.textContent = '';
    this.empty.textContent = emptyText;
    this.empty.hidden = bytes.length > 0;
    this.spacer.style.height = `${this.lineCount() * this.lineHeight}px`;
    this.element.scrollTop = 0;
    this.schedule();
  }

  /** Highlights bytes [start, start + length); scrolls them into view unless told not to. */
  setRange(start: number, length: number, reveal = true): void {
    this.start = Math.max(0, start);
    this.end = Math.min(this.bytes.length, start + Math.max(0, length));
    if (reveal && this.end > this.start) {
      const top = Math.floor(this.start / PER_LINE) * this.lineHeight;
      const bottom = (Math.floor((this.end - 1) / PER_LINE) + 1) * this.lineHeight;
      const view = this.element;
      if (top < view.scrollTop || bottom > view.scrollTop + view.clientHeight) {
        view.scrollTop = bottom - top > view.clientHeight ? top : Math.max(0, top - view.clientHeight / 3);
      }
    }
    this.schedule();
  }

  /** The highlighted range, for checks. */
  get range(): { start: number; end: number } {
    return { start: this.start, end: this.end };
  }

  /** Arrows by a byte and a line, Home/End to the line's ends (with Ctrl: the packet's), Page
   *  Up/Down by a screen; the byte reached selects its field. */
  private onKey(e: KeyboardEvent): void {
    const last = this.bytes.length - 1;
    if (last < 0 || e.altKey || e.metaKey) return;
    const at = Math.max(0, Math.min(last, this.cursor));
    const lineStart = at - (at % PER_LINE);
    const page = Math.max(1, Math.floor(this.element.clientHeight / this.lineHeight) - 1) * PER_LINE;
    const moves: Record<string, number> = {
      ArrowLeft: at - 1,
      ArrowRight: at + 1,
      ArrowUp: at - PER_LINE,
      ArrowDown: at + PER_LINE,
      PageUp: at - page,
      PageDown: at + page,
      Home: e.ctrlKey ? 0 : lineStart,
      End: e.ctrlKey ? last : lineStart + PER_LINE - 1,
    };
    const to = moves[e.key];
    if (to === undefined) return;
    e.preventDefault();
    this.moveCursor(Math.max(0, Math.min(last, to)));
  }

  private moveCursor(offset: number): void {
    this.cursor = offset;
    this.onByteClick(offset); // first: the field's highlight may scroll, the cursor's line must show
    const top = Math.floor(offset / PER_LINE) * this.lineHeight;
    const view = this.element;
    if (top < view.scrollTop) view.scrollTop = top;
    else if (top + this.lineHeight > view.scrollTop + view.clientHeight)
      view.scrollTop = top + this.lineHeight - view.clientHeight;
    const b = this.bytes[offset]!;
    this.status.textContent = `Offset ${offset.toString(16).padStart(4, '0')}: ${byteHex(b)}${b >= 0x20 && b < 0x7f ? `, ${JSON.stringify(byteChar(b))}` : ''}`;
    this.schedule();
  }

  private lineCount(): number {
    return Math.ceil(this.bytes.length / PER_LINE);
  }

  private offsetAt(target: EventTarget | null): number {
    const span = (target as Element | null)?.closest?.('.hx-b, .hx-c');
    const lineEl = span?.parentElement?.parentElement;
    const slot = lineEl ? this.slots.find((s) => s.el === lineEl) : undefined;
    if (!span || !slot || slot.line < 0) return -1;
    const k = Number((span as HTMLElement).dataset.k);
    const offset = slot.line * PER_LINE + k;
    return offset < this.bytes.length ? offset : -1;
  }

  private measure(): void {
    const fontSize = parseFloat(getComputedStyle(this.element).fontSize) || 13;
    const lineHeight = Math.max(16, Math.round(fontSize * 1.5));
    if (lineHeight !== this.lineHeight) {
      this.lineHeight = lineHeight;
      this.element.style.setProperty('--hx-line', `${lineHeight}px`);
      this.spacer.style.height = `${this.lineCount() * lineHeight}px`;
      for (const slot of this.slots) slot.y = NaN;
    }
    const needed = Math.ceil(this.element.clientHeight / this.lineHeight) + 1;
    if (needed !== this.slots.length) this.buildPool(needed);
    this.schedule();
  }

  private buildPool(size: number): void {
    this.layer.replaceChildren();
    this.slots = [];
    for (let n = 0; n < size; n++) {
      const offset = h('span', { class: 'hx-off' });
      const hex: HTMLElement[] = [];
      const ascii: HTMLElement[] = [];
      for (let k = 0; k < PER_LINE; k++) {
        const b = h('span', { class: 'hx-b' });
        b.dataset.k = String(k);
        hex.push(b);
        const c = h('span', { class: 'hx-c' });
        c.dataset.k = String(k);
        ascii.push(c);
      }
      const el = h(
        'div',
        { class: 'hx-line' },
        offset,
        h('span', { class: 'hx-hex' }, ...hex),
        h('span', { class: 'hx-ascii' }, ...ascii),
      );
      el.hidden = true;
      this.layer.append(el);
      this.slots.push({ el, offset, hex, ascii, line: -1, version: -1, marks: '', y: NaN });
    }
  }

  private schedule(): void {
    if (this.frame === 0) this.frame = requestAnimationFrame(() => this.render());
  }

  private render(): void {
    this.frame = 0;
    const pool = this.slots.length;
    if (pool === 0) return;
    const lines = this.lineCount();
    const first = Math.floor(this.element.scrollTop / this.lineHeight);
    const digits = this.bytes.length > 0x10000 ? 6 : 4;
    for (let n = 0; n < pool; n++) {
      const line = first + n;
      const slot = this.slots[line % pool]!;
      if (line >= lines) {
        slot.el.hidden = true;
        slot.line = -1;
        continue;
      }
      slot.el.hidden = false;
      const base = line * PER_LINE;
      if (slot.line !== line || slot.version !== this.version) {
        slot.line = line;
        slot.version = this.version;
        slot.marks = '';
        slot.offset.textContent = base.toString(16).padStart(digits, '0');
        for (let k = 0; k < PER_LINE; k++) {
          const i = base + k;
          const present = i < this.bytes.length;
          slot.hex[k]!.textContent = present ? byteHex(this.bytes[i]!) : '';
          slot.ascii[k]!.textContent = present ? byteChar(this.bytes[i]!) : '';
        }
      }
      const y = line * this.lineHeight;
      if (slot.y !== y) {
        slot.el.style.transform = `translateY(${y}px)`;
        slot.y = y;
      }
      const marks = `${this.start}:${this.end}:${this.hover}:${this.cursor}`;
      if (slot.marks !== marks) {
        slot.marks = marks;
        for (let k = 0; k < PER_LINE; k++) {
          const i = base + k;
          const lit = i >= this.start && i < this.end;
          const hover = i === this.hover;
          const cursor = i === this.cursor;
          const hb = slot.hex[k]!;
          const hc = slot.ascii[k]!;
          hb.classList.toggle('hl', lit);
          hc.classList.toggle('hl', lit);
          hb.classList.toggle('hover', hover);
          hc.classList.toggle('hover', hover);
          hb.classList.toggle('cursor', cursor);
          hc.classList.toggle('cursor', cursor);
          // Round the highlight's ends: the first and last byte of the range on this line.
          hb.classList.toggle('hl-first', lit && (i === this.start || k === 0));
          hb.classList.toggle('hl-last', lit && (i === this.end - 1 || k === PER_LINE - 1));
        }
      }
    }
  }
}
