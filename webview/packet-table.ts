// The packet list: a virtualized grid for millions of rows. Fixed row height; only the rows in view
// exist in the DOM (a pool of row elements, reused by index modulo the pool size, so scrolling by a
// few rows rewrites only the rows that came into view). The scrollbar is drawn here: a native one
// over a tall spacer breaks at millions of rows (browsers cap an element's height), as
// microsoft/vscode-hexeditor found. Data comes from the RowCache; the table only says what it shows.
import { menuContext } from '../packet/context-menu.js';
import {
  type CustomColumn,
  customColumnId,
  customColumnIndex,
  type Row,
  type SortOrder,
  TABLE_COLUMN_TITLES,
  type TableColumn,
} from '../packet/protocol.js';
import { formatPacketTime, type TimeFormat } from '../packet/time-format.js';
import { h, isMenuKey, openContextMenu } from './dom.js';
import { markerCellText, markerClasses, packetNumberOf } from './markers.js';
import type { RowCache } from './row-cache.js';

export type ColumnId = TableColumn;

/** Columns shown only when the capture has something to put in them. */
export type OptionalColumnId = 'pod' | 'process';

interface Column {
  id: ColumnId;
  title: string;
  width: number;
  numeric?: boolean;
  /** A custom column's field (its header's tooltip). */
  field?: string;
}

/** A custom column's width until it is resized. */
const CUSTOM_COLUMN_WIDTH = 120;

/** The table's columns; Info takes the rest of the width. The Pod column ("namespace/pod") shows
 *  only while the capture holds a pod's interface, the Process column ("node (1234)") only once it
 *  holds a packet whose process it names (setColumnShown). */
export const COLUMNS: readonly Column[] = (
  [
    { id: 'number', width: 96, numeric: true },
    { id: 'time', width: 104, numeric: true },
    { id: 'pod', width: 200 },
    { id: 'process', width: 160 },
    { id: 'source', width: 168 },
    { id: 'destination', width: 168 },
    { id: 'protocol', width: 84 },
    { id: 'length', width: 64, numeric: true },
    { id: 'info', width: 0 },
  ] as const
).map((c) => ({ ...c, title: TABLE_COLUMN_TITLES[c.id] }));

/** Column widths as the panel keeps them, by column (Info has none: it fills the rest). */
export type ColumnWidths = Partial<Record<ColumnId, number>>;

const MIN_COLUMN = 36;
/** Rows fetched beyond the visible ones, each side (data only: the DOM holds the visible rows). */
const OVERSCAN_ROWS = 48;
/** While following the tail, the last complete screen stays this long while new rows load. */
const FOLLOW_WAIT_MS = 1000;

export interface TableEvents {
  select(index: number, how: 'pointer' | 'keyboard'): void;
  open(index: number): void;
  followChange(following: boolean): void;
  /** While following: the rows a screen shows (the newest, which the host then sends with each
   *  count); 0 once it stops following. */
  followTail(rows: number): void;
  /** The selected packet moved to another index (or left: -1) after the rows changed. */
  selectionMoved(index: number): void;
  columnsChange(widths: ColumnWidths): void;
  /** A header was clicked: sort by its column (the panel picks the direction). */
  sortBy(column: ColumnId): void;
}

interface Slot {
  el: HTMLElement;
  cells: HTMLElement[];
  index: number;
  row: Row | undefined | null; // null: never filled
  y: number;
  selected: boolean;
  marked: boolean;
  hidden: boolean;
}

/** Columns whose cells show no one field's value: their cells give no filter. */
const COLUMNS_WITHOUT_FIELD = new Set<ColumnId>(['time', 'info', 'process']);

/** A cell's text (packet data: always set as text, never as markup). */
export function cellText(row: Row, column: ColumnId, timeFormat: TimeFormat): string {
  switch (column) {
    case 'number':
      return String(row.number);
    case 'time':
      return formatPacketTime(row, timeFormat);
    case 'pod':
      return row.pod ?? '';
    case 'process':
      return row.process ?? '';
    case 'length':
      return String(row.length);
    case 'source':
    case 'destination':
    case 'protocol':
    case 'info':
      return row[column];
    default:
      return row.custom?.[customColumnIndex(column)!] ?? '';
  }
}

function isOptional(id: ColumnId): id is OptionalColumnId {
  return id === 'pod' || id === 'process';
}

export class PacketTable {
  readonly element: HTMLElement;
  private readonly viewport: HTMLElement;
  private readonly rowsLayer: HTMLElement;
  private readonly track: HTMLElement;
  private readonly thumb: HTMLElement;
  private readonly empty: HTMLElement;
  private headerCells: HTMLElement[] = [];
  /** The header cell the keyboard is on (ArrowUp from the first row), by column; undefined while
   *  the keyboard is on the rows. */
  private headerFocus?: number;
  private readonly header: HTMLElement;
  /** The columns shown, in order: the built-in ones, the custom ones, then Info. */
  private columns: readonly Column[] = COLUMNS;
  /** The widths the table started with, by column (a custom column added later starts with its own). */
  private readonly initialWidths: ColumnWidths;
  private custom: readonly CustomColumn[] = [];
  private sort?: SortOrder;
  private sorting = false;
  private slots: Slot[] = [];
  private timeFormat: TimeFormat = 'relative';
  /** Packet numbers drawn marked (Mark Packet). */
  private marked: ReadonlySet<number> = new Set();
  /** Each column's width but Info's (the rest), in `columns`' order. */
  private widths: number[];
  /** The optional columns shown now. */
  private readonly optionalShown = new Set<OptionalColumnId>();

  private rowHeight = 22;
  private viewHeight = 0;
  private scrollY = 0;
  private total = 0;
  private frame = 0;
  private followWaitSince = 0;
  /** Callers of afterDrawn, and since when the first of them waits. */
  private drawnWaiters: (() => void)[] = [];
  private drawnWaitSince = 0;
  /** The last complete screen while following: its scroll position and the row count then. */
  private shownFollowY = -1;
  private shownFollowTotal = 0;
  private emptyText = 'No packets.';
  /** What followTail last said. */
  private tailRows = 0;

  following = true;
  selected = -1;
  /** The selected packet's number: after the rows changed, the selection follows the packet. */
  private selectedNumber: number | undefined;
  private selectionUnsure = false;
  /** Frame costs of render(), for the dev page's statistics. */
  readonly renderTimes: number[] = [];

  constructor(
    private readonly cache: RowCache,
    private readonly events: TableEvents,
    widths?: ColumnWidths,
  ) {
    this.initialWidths = widths ?? {};
    this.widths = this.columns.slice(0, -1).map((c) => this.startWidth(c));
    const header = h('div', { class: 'pt-header', attrs: { role: 'row', 'aria-rowindex': '1' } });
    this.header = header;
    this.buildHeader();

    this.rowsLayer = h('div', { class: 'pt-rows', attrs: { role: 'rowgroup' } });
    this.thumb = h('div', { class: 'pt-thumb' });
    this.track = h('div', { class: 'pt-track', attrs: { 'aria-hidden': 'true' } }, this.thumb);
    this.empty = h('div', { class: 'pt-empty', text: this.emptyText });
    this.viewport = h('div', { class: 'pt-viewport' }, this.rowsLayer, this.empty, this.track);
    this.element = h(
      'div',
      {
        class: 'packet-table',
        attrs: {
          role: 'grid',
          tabindex: '0',
          'aria-label': 'Packets',
          'aria-rowcount': '1',
        },
      },
      h('div', { class: 'pt-head', attrs: { role: 'rowgroup' } }, header),
      this.viewport,
    );
    this.applyColumns();
    this.numberColumns();

    this.viewport.addEventListener('wheel', (e) => this.onWheel(e), { passive: false });
    this.rowsLayer.addEventListener('pointerdown', (e) => this.onRowPointer(e));
    this.rowsLayer.addEventListener('dblclick', (e) => {
      const index = this.indexAt(e);
      if (index >= 0) this.events.open(index);
    });
    // A right click selects its row, as Wireshark's; VS Code's menu then opens on the row's
    // data-vscode-context (packet/context-menu.ts).
    this.rowsLayer.addEventListener('contextmenu', (e) => {
      const index = this.indexAt(e);
      if (index < 0 || index === this.selected) return;
      this.setSelected(index);
      this.events.select(index, 'pointer');
    });
    this.element.addEventListener('keydown', (e) => this.onKey(e));
    this.bindScrollbar();
    new ResizeObserver(() => this.measure()).observe(this.viewport);
  }

  // ---- public API

  get rowCount(): number {
    return this.total;
  }

  /** The index of the first row in view. */
  get firstVisible(): number {
    return Math.floor(this.scrollY / this.rowHeight);
  }

  /** Shows the sort on its header: an arrow, or an ellipsis while the rows are being sorted. */
  setSort(sort: SortOrder | undefined, sorting: boolean): void {
    this.sort = sort;
    this.sorting = sorting;
    for (const [i, cell] of this.headerCells.entries()) {
      const column = this.columns[i]!;
      const sorted = sort?.column === column.id;
      const direction = sorted ? (sort.descending ? 'descending' : 'ascending') : undefined;
      cell.classList.toggle('sorted', sorted);
      if (direction) cell.setAttribute('aria-sort', direction);
      else cell.removeAttribute('aria-sort');
      const what = column.field ? `${column.title} (${column.field})` : column.title;
      cell.title = sorted && sorting ? 'Sorting…' : `Sort by ${what}`;
      const mark = cell.querySelector('.pt-th-sort')!;
      mark.textContent = !direction ? '' : sorting ? '…' : direction === 'ascending' ? '▲' : '▼';
    }
  }

  /** The custom columns (Apply as Column), shown before Info; the rows bring their texts. */
  setCustomColumns(custom: readonly CustomColumn[] = []): void {
    if (JSON.stringify(custom) === JSON.stringify(this.custom)) return;
    this.custom = custom;
    const widths = this.widthsById();
    const info = COLUMNS[COLUMNS.length - 1]!;
    this.columns = [
      ...COLUMNS.slice(0, -1),
      ...custom.map((c, i) => ({
        id: customColumnId(i),
        title: c.title ?? c.field,
        width: CUSTOM_COLUMN_WIDTH,
        field: c.field,
      })),
      info,
    ];
    this.widths = this.columns.slice(0, -1).map((c) => Math.max(MIN_COLUMN, widths[c.id] ?? this.startWidth(c)));
    this.buildHeader();
    this.buildPool(this.slots.length);
    this.applyColumns();
    this.setSort(this.sort, this.sorting);
    this.schedule();
  }

  private startWidth(column: Column): number {
    return Math.max(MIN_COLUMN, this.initialWidths[column.id] ?? column.width);
  }

  /** The header's cells, one per column: a click sorts, a grip resizes, a right click opens the
   *  header's menu. */
  private buildHeader(): void {
    this.headerCells = this.columns.map((column, i) => {
      const cell = h(
        'div',
        {
          class: `pt-th c-${column.id}${column.numeric ? ' num' : ''}`,
          attrs: { role: 'columnheader', id: `pt-th-${i}` },
        },
        h('span', { class: 'pt-th-label', text: column.title }),
        h('span', { class: 'pt-th-sort', attrs: { 'aria-hidden': 'true' } }),
      );
      cell.addEventListener('click', (e) => {
        if (!(e.target as Element).closest('.pt-resize')) this.events.sortBy(column.id);
      });
      const custom = customColumnIndex(column.id) !== undefined;
      cell.dataset.vscodeContext = menuContext(
        { webviewSection: 'header', column: column.id },
        { customColumn: custom },
      );
      if (i < this.columns.length - 1) {
        const grip = h('div', { class: 'pt-resize', attrs: { 'aria-hidden': 'true' } });
        this.bindResize(grip, i);
        cell.append(grip);
      }
      return cell;
    });
    this.header.replaceChildren(...this.headerCells);
    if (this.headerFocus !== undefined) this.focusHeader(Math.min(this.headerFocus, this.headerCells.length - 1));
  }

  /** Puts the keyboard on header cell `column` (undefined: back on the rows). */
  private focusHeader(column: number | undefined): void {
    if (this.headerFocus !== undefined) this.headerCells[this.headerFocus]?.classList.remove('focused');
    this.headerFocus = column;
    if (column !== undefined) this.headerCells[column]!.classList.add('focused');
    this.schedule(); // render() points aria-activedescendant at it
  }

  /** Keys on the header row: Left and Right move, Enter or Space sorts by the column (as a click),
   *  the context-menu key opens the header's menu, Down or Escape go back to the rows. */
  private onHeaderKey(e: KeyboardEvent, column: number): void {
    if (isMenuKey(e)) {
      e.preventDefault();
      openContextMenu(this.headerCells[column]!);
      return;
    }
    switch (e.key) {
      case 'ArrowLeft':
      case 'ArrowRight':
      case 'Home':
      case 'End': {
        const step = e.key === 'ArrowLeft' || e.key === 'End' ? -1 : 1;
        const from = e.key === 'Home' ? -1 : e.key === 'End' ? this.columns.length : column;
        let next = from + step;
        while (next >= 0 && next < this.columns.length && !this.columnShown(next)) next += step;
        if (next >= 0 && next < this.columns.length) this.focusHeader(next);
        break;
      }
      case 'Enter':
      case ' ':
        this.events.sortBy(this.columns[column]!.id);
        break;
      case 'ArrowDown':
      case 'Escape':
        this.focusHeader(undefined);
        if (this.total > 0) this.selectAndReveal(Math.max(0, this.selected), 'keyboard');
        break;
      default:
        return;
    }
    e.preventDefault();
  }

  setRowCount(total: number): void {
    if (total === this.total) return;
    this.total = total;
    this.cache.setRowCount(total);
    if (this.selected >= total) {
      if (this.selectionUnsure)
        this.selected = -1; // still looked for by number
      else this.setSelected(-1);
    }
    this.element.setAttribute('aria-rowcount', String(total + 1));
    this.schedule();
  }

  /** `removed` rows left the top of the view (evicted): keep showing the same packets. */
  shift(removed: number): void {
    if (removed <= 0) return;
    if (!this.following) this.scrollY = Math.max(0, this.scrollY - removed * this.rowHeight);
    // Following: the screen shown last holds the same packets, `removed` rows higher.
    else if (this.shownFollowY >= 0) {
      this.shownFollowY = Math.max(0, this.shownFollowY - removed * this.rowHeight);
      this.shownFollowTotal = Math.max(0, this.shownFollowTotal - removed);
    }
    if (this.selected >= 0) {
      const number = this.selectedNumber;
      this.setSelected(this.selected - removed >= 0 ? this.selected - removed : -1);
      if (this.selected >= 0) this.selectedNumber = number;
    }
    this.schedule();
  }

  /** Rows changed (new page loaded, view invalidated): redraw. */
  refresh(): void {
    this.schedule();
  }

  scrollToTop(): void {
    this.setScroll(0);
  }

  /** The packets marked (the host's list, after each change): their rows are drawn marked. */
  setMarked(numbers: readonly number[]): void {
    this.marked = new Set(numbers);
    this.schedule();
  }

  /** The Time column's format (packetCapture.timeFormat): every row shown is drawn again. */
  setTimeFormat(format: TimeFormat): void {
    if (format === this.timeFormat) return;
    this.timeFormat = format;
    for (const slot of this.slots) slot.row = undefined;
    this.schedule();
  }

  setFollowing(following: boolean): void {
    if (following) this.scrollY = this.maxScroll();
    if (this.following !== following) {
      this.following = following;
      this.events.followChange(following);
    }
    this.schedule();
  }

  /** The selected packet's number, also while its row is out of view; undefined when none is. */
  get selectedPacket(): number | undefined {
    return this.selectedNumber;
  }

  /** Selects packet `number`, known to be at row `index` (loaded or not), centred in view if asked. */
  selectPacket(index: number, number: number, reveal: boolean): void {
    this.selected = index;
    this.selectedNumber = number;
    this.selectionUnsure = false;
    if (reveal) this.setScroll(index * this.rowHeight - (this.viewHeight - this.rowHeight) / 2);
    this.schedule();
  }

  setSelected(index: number): void {
    this.selected = index;
    this.selectedNumber = index >= 0 ? packetNumberOf(this.cache.row(index)) : undefined;
    this.selectionUnsure = false;
    this.schedule();
  }

  /** The rows changed (filter, evictions): keep the selection on its packet if it is in view. */
  reselect(): void {
    if (this.selectedNumber === undefined) {
      this.setSelected(-1);
      return;
    }
    this.selectionUnsure = true;
    this.schedule();
  }

  private resolveSelection(first: number, count: number): void {
    let loaded = true;
    for (let i = first; i < first + count; i++) {
      const row = this.cache.has(i) ? this.cache.row(i) : undefined;
      if (!row) {
        loaded = false;
        continue;
      }
      if (row.number === this.selectedNumber) {
        this.selectionUnsure = false;
        if (i !== this.selected) {
          this.selected = i;
          this.events.selectionMoved(i);
        }
        return;
      }
    }
    if (loaded && this.selected !== -1) {
      // Not in view: the old index means another packet now. The packet stays selected by number
      // and is highlighted again when it scrolls into view (as Wireshark keeps its selection).
      this.selected = -1;
      this.events.selectionMoved(-1);
    }
  }

  /** Selects and scrolls the row into view, as a keyboard move does. */
  selectAndReveal(index: number, how: 'pointer' | 'keyboard' = 'keyboard'): void {
    if (this.total === 0) return;
    index = Math.max(0, Math.min(this.total - 1, index));
    this.setSelected(index);
    this.reveal(index);
    this.events.select(index, how);
  }

  reveal(index: number): void {
    const top = index * this.rowHeight;
    if (top < this.scrollY) this.setScroll(top);
    else if (top + this.rowHeight > this.scrollY + this.viewHeight)
      this.setScroll(top + this.rowHeight - this.viewHeight);
  }

  /** Scrolls so that row `index` is at the top (or as near as the end allows). */
  scrollToIndex(index: number): void {
    this.setScroll(index * this.rowHeight);
  }

  /** Shows an optional column (the Pod column in a capture of Kubernetes pods, the Process column
   *  in a capture that names processes) or hides it. */
  setColumnShown(id: OptionalColumnId, shown: boolean): void {
    if (shown === this.optionalShown.has(id)) return;
    if (shown) this.optionalShown.add(id);
    else this.optionalShown.delete(id);
    this.element.classList.toggle(`with-${id}`, shown);
    this.numberColumns();
  }

  setEmptyText(text: string): void {
    this.emptyText = text;
    this.empty.textContent = text;
  }

  focus(): void {
    this.element.focus({ preventScroll: true });
  }

  /** What the table shows, for the dev page's checks. */
  debugState(): {
    first: number;
    visible: number;
    rowElements: number;
    scrollY: number;
    following: boolean;
    total: number;
  } {
    return {
      first: this.firstVisible,
      visible: Math.ceil(this.viewHeight / this.rowHeight),
      rowElements: this.rowsLayer.querySelectorAll('.pt-row').length,
      scrollY: this.scrollY,
      following: this.following,
      total: this.total,
    };
  }

  // ---- layout

  private measure(): void {
    const fontSize = parseFloat(getComputedStyle(this.element).fontSize) || 13;
    const rowHeight = Math.max(20, Math.round(fontSize * 1.65));
    if (rowHeight !== this.rowHeight) {
      const anchor = this.scrollY / this.rowHeight;
      this.rowHeight = rowHeight;
      this.scrollY = anchor * rowHeight;
    }
    this.element.style.setProperty('--row-height', `${this.rowHeight}px`);
    this.viewHeight = this.viewport.clientHeight;
    const needed = Math.ceil(this.viewHeight / this.rowHeight) + 1;
    if (needed !== this.slots.length) this.buildPool(needed);
    this.schedule();
  }

  private buildPool(size: number): void {
    this.rowsLayer.replaceChildren();
    this.slots = [];
    for (let k = 0; k < size; k++) {
      // The direction mark is the number cell's ::before (CSS): one element less per row.
      const cells = this.columns.map((column) => {
        const cell = h('div', {
          class: `pt-cell${column.numeric ? ' num' : ''} c-${column.id}`,
          attrs: { role: 'gridcell' },
        });
        // A cell of a column showing one field offers Apply/Prepare as Filter on its value.
        if (!COLUMNS_WITHOUT_FIELD.has(column.id)) cell.dataset.vscodeContext = JSON.stringify({ column: column.id });
        return cell;
      });
      const el = h(
        'div',
        { class: 'pt-row', attrs: { role: 'row', id: `pt-row-${k}`, 'aria-selected': 'false' } },
        ...cells,
      );
      el.hidden = true;
      this.rowsLayer.append(el);
      this.slots.push({ el, cells, index: -1, row: null, y: NaN, selected: false, marked: false, hidden: true });
    }
    this.numberColumns();
  }

  private applyColumns(): void {
    for (const [i, w] of this.widths.entries())
      this.element.style.setProperty(`--pt-w-${this.columns[i]!.id}`, `${w}px`);
  }

  /** Whether column `i` is shown (an optional one only when the capture has it). */
  private columnShown(i: number): boolean {
    const id = this.columns[i]!.id;
    return !isOptional(id) || this.optionalShown.has(id);
  }

  /** aria-colindex and aria-colcount count the columns shown (optional ones only when shown). */
  private numberColumns(): void {
    const shown = this.columns.map((_, i) => this.columnShown(i));
    let n = 0;
    const index = shown.map((s) => (s ? String(++n) : ''));
    const number = (cells: HTMLElement[]) => {
      for (const [i, cell] of cells.entries()) {
        if (index[i]) cell.setAttribute('aria-colindex', index[i]!);
        else cell.removeAttribute('aria-colindex');
      }
    };
    number(this.headerCells);
    for (const slot of this.slots) number(slot.cells);
    this.element.setAttribute('aria-colcount', String(n));
  }

  private maxScroll(): number {
    return Math.max(0, this.total * this.rowHeight - this.viewHeight);
  }

  /**
   * Scrolling away from the bottom stops following the tail. Only the user's own scrolling back to
   * the bottom (`byUser`: wheel, scrollbar) resumes it, and only when there is something to scroll:
   * a filter change, a jump to a packet or a short view never turns Auto-scroll on by itself.
   */
  private setScroll(y: number, byUser = false): void {
    const max = this.maxScroll();
    this.scrollY = Math.max(0, Math.min(max, y));
    const atBottom = this.scrollY >= max - 0.5;
    if (this.following ? !atBottom : atBottom && byUser && max > 0) {
      this.following = !this.following;
      this.events.followChange(this.following);
    }
    this.schedule();
  }

  /**
   * Calls `done` once the table shows what it holds now: the newest rows drawn while following the
   * tail, or, scrolled away, the next frame. The host paces its counters on this, so a row request
   * is never overtaken by the next count. At most FOLLOW_WAIT_MS, so rows that never come cannot
   * stop the counters.
   */
  afterDrawn(done: () => void): void {
    if (this.drawnWaiters.length === 0) {
      this.drawnWaitSince = performance.now();
      setTimeout(() => this.schedule(), FOLLOW_WAIT_MS + 1);
    }
    this.drawnWaiters.push(done);
    this.schedule();
  }

  private settleDrawnWaiters(drawnToTheEnd: boolean): void {
    if (this.drawnWaiters.length === 0) return;
    if (!drawnToTheEnd && performance.now() - this.drawnWaitSince < FOLLOW_WAIT_MS) return;
    for (const done of this.drawnWaiters.splice(0)) done();
  }

  private schedule(): void {
    if (this.frame === 0) this.frame = requestAnimationFrame(() => this.render());
  }

  // ---- rendering

  private render(): void {
    this.frame = 0;
    const t0 = performance.now();
    const rowHeight = this.rowHeight;
    const max = this.maxScroll();
    const visibleRows = Math.ceil(this.viewHeight / rowHeight) + 1;
    this.tellTail(this.following ? visibleRows : 0);
    let limit = this.total;
    if (this.following) {
      this.scrollY = max;
      // Live tail: keep showing the last complete screen until the new rows arrive (one round trip),
      // rather than flashing empty rows at every counter update.
      const lastRow = this.total - 1;
      const firstTarget = Math.floor(max / rowHeight);
      this.cache.ensure(firstTarget - OVERSCAN_ROWS, lastRow);
      if (lastRow >= 0 && !this.cache.has(lastRow) && this.shownFollowY >= 0 && this.shownFollowY <= max) {
        const now = performance.now();
        if (this.followWaitSince === 0) {
          this.followWaitSince = now;
          setTimeout(() => this.schedule(), FOLLOW_WAIT_MS + 1); // give up waiting then
        }
        if (now - this.followWaitSince < FOLLOW_WAIT_MS) {
          this.scrollY = this.shownFollowY;
          limit = Math.min(limit, this.shownFollowTotal);
        }
      } else {
        this.followWaitSince = 0;
      }
    } else {
      this.followWaitSince = 0;
    }
    this.scrollY = Math.max(0, Math.min(max, this.scrollY));
    const first = Math.floor(this.scrollY / rowHeight);
    const offset = this.scrollY - first * rowHeight;
    const count = Math.max(0, Math.min(visibleRows, limit - first));
    this.cache.ensure(first - OVERSCAN_ROWS, first + count + OVERSCAN_ROWS);
    if (this.selectionUnsure) this.resolveSelection(first, count);

    let complete = true;
    const pool = this.slots.length;
    let active = '';
    for (let n = 0; n < pool; n++) {
      const i = first + n;
      const slot = this.slots[i % pool]!;
      if (n >= count) {
        if (!slot.hidden) {
          slot.el.hidden = true;
          slot.hidden = true;
          slot.index = -1;
        }
        continue;
      }
      const row = this.cache.row(i);
      if (!row) complete = false;
      if (slot.index !== i || slot.row !== row) this.fill(slot, i, row);
      const y = n * rowHeight - offset;
      if (slot.y !== y) {
        slot.el.style.transform = `translateY(${y}px)`;
        slot.y = y;
      }
      const selected = i === this.selected && !this.selectionUnsure;
      if (slot.selected !== selected) {
        slot.selected = selected;
        slot.el.classList.toggle('selected', selected);
        slot.el.setAttribute('aria-selected', String(selected));
      }
      if (selected) active = slot.el.id;
      const marked = row !== undefined && !row.marker && this.marked.has(row.number);
      if (slot.marked !== marked) {
        slot.marked = marked;
        slot.el.classList.toggle('marked', marked);
      }
      if (slot.hidden) {
        slot.el.hidden = false;
        slot.hidden = false;
      }
    }
    if (this.headerFocus !== undefined) active = this.headerCells[this.headerFocus]?.id ?? '';
    if (active) this.element.setAttribute('aria-activedescendant', active);
    else this.element.removeAttribute('aria-activedescendant');
    if (this.following && complete) {
      this.shownFollowY = this.scrollY;
      this.shownFollowTotal = limit;
    }
    this.settleDrawnWaiters(!this.following || (complete && limit === this.total));

    this.empty.hidden = this.total > 0;
    this.renderScrollbar(max);
    const spent = performance.now() - t0;
    if (this.renderTimes.length >= 600) this.renderTimes.shift();
    this.renderTimes.push(spent);
  }

  private tellTail(rows: number): void {
    if (rows === this.tailRows) return;
    this.tailRows = rows;
    this.events.followTail(rows);
  }

  private fill(slot: Slot, index: number, row: Row | undefined): void {
    slot.index = index;
    slot.row = row;
    slot.el.setAttribute('aria-rowindex', String(index + 2));
    slot.el.dataset.vscodeContext = menuContext({ webviewSection: 'row', row: index });
    const c = slot.cells;
    if (!row) {
      slot.el.className = 'pt-row loading';
      for (const cell of c) cell.textContent = '';
    } else {
      slot.el.className = `pt-row${row.color ? ` k-${row.color}` : ''}${row.direction ? ` d-${row.direction}` : ''}${row.ignored ? ' ignored' : ''}${markerClasses(row)}`;
      // The colouring rule's name, as Wireshark's status bar shows it for the selected packet.
      if (row.colorRule) slot.el.title = `Colouring rule: ${row.colorRule}`;
      else slot.el.removeAttribute('title');
      for (const [i, column] of this.columns.entries())
        c[i]!.textContent = markerCellText(row, column.id, cellText(row, column.id, this.timeFormat));
    }
    // The className reset dropped `selected` and `marked`: render() applies them again.
    slot.selected = false;
    slot.marked = false;
    slot.el.setAttribute('aria-selected', 'false');
  }

  private renderScrollbar(max: number): void {
    const content = this.total * this.rowHeight;
    const trackHeight = this.viewHeight;
    if (content <= trackHeight || trackHeight <= 0) {
      this.track.hidden = true;
      return;
    }
    this.track.hidden = false;
    const thumbHeight = Math.max(24, Math.min(trackHeight, (trackHeight * trackHeight) / content));
    const top = max > 0 ? (this.scrollY / max) * (trackHeight - thumbHeight) : 0;
    this.thumb.style.height = `${thumbHeight}px`;
    this.thumb.style.transform = `translateY(${top}px)`;
  }

  // ---- input

  private onWheel(e: WheelEvent): void {
    if (e.ctrlKey) return; // zoom
    const dy =
      e.deltaMode === 1 ? e.deltaY * this.rowHeight : e.deltaMode === 2 ? e.deltaY * this.viewHeight : e.deltaY;
    if (dy === 0) return;
    e.preventDefault();
    this.setScroll(this.scrollY + dy, true);
  }

  private indexAt(e: Event): number {
    const rowEl = (e.target as Element | null)?.closest('.pt-row');
    const slot = rowEl ? this.slots.find((s) => s.el === rowEl) : undefined;
    return slot && slot.index >= 0 && slot.index < this.total ? slot.index : -1;
  }

  private onRowPointer(e: PointerEvent): void {
    if (e.button !== 0) return;
    const index = this.indexAt(e);
    if (index < 0) return;
    this.focus();
    e.preventDefault(); // keep focus on the grid, not on a cell
    if (this.headerFocus !== undefined) this.focusHeader(undefined);
    this.setSelected(index);
    this.events.select(index, 'pointer');
  }

  private onKey(e: KeyboardEvent): void {
    if (e.target !== this.element) return;
    if (this.headerFocus !== undefined) {
      this.onHeaderKey(e, this.headerFocus);
      return;
    }
    if (isMenuKey(e)) {
      e.preventDefault();
      const row = this.slots.find((slot) => slot.index === this.selected && !slot.hidden);
      if (row) openContextMenu(row.el);
      return;
    }
    // Up from the first row goes to the header, whose cells sort (as the grid pattern has it).
    if (e.key === 'ArrowUp' && (this.selected === 0 || this.total === 0)) {
      e.preventDefault();
      this.focusHeader(0);
      return;
    }
    const page = Math.max(1, Math.floor(this.viewHeight / this.rowHeight) - 1);
    const from = this.selected >= 0 ? this.selected : -1;
    const firstFull = Math.ceil(this.scrollY / this.rowHeight);
    let target: number | undefined;
    switch (e.key) {
      case 'ArrowDown':
        target = from < 0 ? firstFull : from + 1;
        break;
      case 'ArrowUp':
        target = from < 0 ? firstFull : from - 1;
        break;
      case 'PageDown':
        target = (from < 0 ? firstFull : from) + page;
        break;
      case 'PageUp':
        target = (from < 0 ? firstFull : from) - page;
        break;
      case 'Home':
        target = 0;
        break;
      case 'End':
        target = this.total - 1;
        break;
      case 'Enter':
        if (this.selected >= 0) this.events.open(this.selected);
        e.preventDefault();
        return;
      default:
        return;
    }
    e.preventDefault();
    if (this.total === 0) return;
    this.selectAndReveal(target, 'keyboard');
    if (e.key === 'End') this.setFollowing(true);
  }

  private bindScrollbar(): void {
    let drag: { pointer: number; startY: number; startScroll: number } | undefined;
    const ratio = () => {
      const trackHeight = this.viewHeight;
      const thumbHeight = this.thumb.getBoundingClientRect().height;
      const room = trackHeight - thumbHeight;
      return room > 0 ? this.maxScroll() / room : 0;
    };
    this.thumb.addEventListener('pointerdown', (e) => {
      if (e.button !== 0) return;
      e.preventDefault();
      e.stopPropagation();
      this.thumb.setPointerCapture(e.pointerId);
      drag = { pointer: e.pointerId, startY: e.clientY, startScroll: this.scrollY };
      this.track.classList.add('active');
    });
    this.thumb.addEventListener('pointermove', (e) => {
      if (!drag || e.pointerId !== drag.pointer) return;
      this.setScroll(drag.startScroll + (e.clientY - drag.startY) * ratio(), true);
    });
    const end = (e: PointerEvent) => {
      if (!drag || e.pointerId !== drag.pointer) return;
      drag = undefined;
      this.track.classList.remove('active');
    };
    this.thumb.addEventListener('pointerup', end);
    this.thumb.addEventListener('pointercancel', end);
    // A click on the track moves the thumb's middle there (as VS Code's scrollbars), then drags on.
    this.track.addEventListener('pointerdown', (e) => {
      if (e.button !== 0 || e.target !== this.track) return;
      e.preventDefault();
      const rect = this.track.getBoundingClientRect();
      const thumbHeight = this.thumb.getBoundingClientRect().height;
      const room = rect.height - thumbHeight;
      const fraction = room > 0 ? (e.clientY - rect.top - thumbHeight / 2) / room : 0;
      this.setScroll(Math.max(0, Math.min(1, fraction)) * this.maxScroll(), true);
      this.thumb.setPointerCapture(e.pointerId);
      drag = { pointer: e.pointerId, startY: e.clientY, startScroll: this.scrollY };
      this.track.classList.add('active');
    });
  }

  private bindResize(grip: HTMLElement, column: number): void {
    let start: { x: number; width: number; pointer: number } | undefined;
    grip.addEventListener('pointerdown', (e) => {
      if (e.button !== 0) return;
      e.preventDefault();
      e.stopPropagation();
      grip.setPointerCapture(e.pointerId);
      start = { x: e.clientX, width: this.widths[column]!, pointer: e.pointerId };
      grip.classList.add('active');
    });
    grip.addEventListener('pointermove', (e) => {
      if (!start || e.pointerId !== start.pointer) return;
      this.widths[column] = Math.max(MIN_COLUMN, Math.round(start.width + e.clientX - start.x));
      this.applyColumns();
    });
    const end = (e: PointerEvent) => {
      if (!start || e.pointerId !== start.pointer) return;
      start = undefined;
      grip.classList.remove('active');
      this.events.columnsChange(this.widthsById());
    };
    grip.addEventListener('pointerup', end);
    grip.addEventListener('pointercancel', end);
    grip.addEventListener('dblclick', (e) => {
      e.stopPropagation();
      this.widths[column] = this.columns[column]!.width;
      this.applyColumns();
      this.events.columnsChange(this.widthsById());
    });
  }

  private widthsById(): ColumnWidths {
    return Object.fromEntries(this.widths.map((w, i) => [this.columns[i]!.id, w]));
  }
}
