// The bytes pane: offset, 16 bytes in hex, the same 16 as ASCII ('.' for non-printables). Lines
// are virtualized (a packet may be 64 KiB: 4096 lines); one span per byte so a field's bytes can be
// highlighted and a click on a byte can select the field that holds it.
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
  private lineHeight = 18;
  private frame = 0;
  onByteClick: (offset: number) => void = () => {};

  constructor() {
    this.spacer = h('div', { class: 'hx-spacer' });
    this.layer = h('div', { class: 'hx-lines' });
    this.empty = h('div', { class: 'hx-empty', text: 'No packet selected.' });
    this.element = h(
      'div',
      { class: 'hex-view', attrs: { role: 'region', 'aria-label': 'Packet bytes', tabindex: '-1' } },
      this.spacer,
      this.layer,
      this.empty,
    );
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
      if (offset >= 0) this.onByteClick(offset);
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
      const marks = `${this.start}:${this.end}:${this.hover}`;
      if (slot.marks !== marks) {
        slot.marks = marks;
        for (let k = 0; k < PER_LINE; k++) {
          const i = base + k;
          const lit = i >= this.start && i < this.end;
          const hover = i === this.hover;
          const hb = slot.hex[k]!;
          const hc = slot.ascii[k]!;
          hb.classList.toggle('hl', lit);
          hc.classList.toggle('hl', lit);
          hb.classList.toggle('hover', hover);
          hc.classList.toggle('hover', hover);
          // Round the highlight's ends: the first and last byte of the range on this line.
          hb.classList.toggle('hl-first', lit && (i === this.start || k === 0));
          hb.classList.toggle('hl-last', lit && (i === this.end - 1 || k === PER_LINE - 1));
        }
      }
    }
  }
}
