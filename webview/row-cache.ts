// The webview's window on the host's rows: fixed-size pages fetched on demand with getRows, kept in
// a small LRU. The table asks for the range it shows; nothing else is ever requested. While the
// table follows the tail, the host sends the newest rows with each count (take()): they go into the
// pages as if they had been asked for, so the tail needs no request.
//
// Invalidation: `invalidate()` forgets everything (display filter changed, new capture);
// `shift()` is for row indices that moved but whose rows are still worth showing until fresh ones
// arrive (oldest packets evicted): the old pages stay visible, re-indexed, for one round trip.
import type { Row } from '../packet/protocol.js';

export type FetchRows = (start: number, count: number) => Promise<Row[]>;

interface Page {
  /** By position in the page; sparse while rows sent with a count lie past the ones held. */
  rows: Row[];
  /** Rows held (rows.length counts holes too). */
  count: number;
  /** The row count the page was last fetched at, or complete for: a short tail page is refetched
   *  only after it grows. -1: never (a page of pushed rows with a hole before them). */
  total: number;
}

export interface RowCacheOptions {
  pageSize?: number;
  maxPages?: number;
  maxInFlight?: number;
}

export class RowCache {
  readonly pageSize: number;
  private readonly maxPages: number;
  private readonly maxInFlight: number;
  private pages = new Map<number, Page>(); // LRU order: least recently used first
  private stale = new Map<number, Page>();
  /** A stale row for view index i sits at i + staleShift in the stale pages. */
  private staleShift = 0;
  private readonly inFlight = new Map<number, number>(); // page → epoch it was requested in
  private epoch = 0;
  private total = 0;
  /** Requests made, for the dev page's statistics. */
  requests = 0;

  constructor(
    private readonly fetch: FetchRows,
    private readonly onChange: () => void,
    private readonly onError: (error: unknown) => void,
    options: RowCacheOptions = {},
  ) {
    this.pageSize = options.pageSize ?? 128;
    this.maxPages = options.maxPages ?? 64;
    this.maxInFlight = options.maxInFlight ?? 4;
  }

  get rowCount(): number {
    return this.total;
  }

  setRowCount(total: number): void {
    this.total = Math.max(0, total);
  }

  /** The row at a view index, if loaded (possibly a stale copy while a fresh one loads). */
  row(index: number): Row | undefined {
    if (index < 0 || index >= this.total) return undefined;
    const size = this.pageSize;
    const fresh = this.pages.get(Math.floor(index / size))?.rows[index % size];
    if (fresh || this.stale.size === 0) return fresh;
    const j = index + this.staleShift;
    return j < 0 ? undefined : this.stale.get(Math.floor(j / size))?.rows[j % size];
  }

  /** Whether the row at index is loaded from the current view (not stale, not missing). */
  has(index: number): boolean {
    return this.pages.get(Math.floor(index / this.pageSize))?.rows[index % this.pageSize] !== undefined;
  }

  /** Loads the pages rows [first, last] need, those nearest the middle first. */
  ensure(first: number, last: number): void {
    if (this.total === 0) return;
    first = Math.max(0, first);
    last = Math.min(this.total - 1, last);
    if (last < first) return;
    const p0 = Math.floor(first / this.pageSize);
    const p1 = Math.floor(last / this.pageSize);
    const mid = (p0 + p1) / 2;
    const wanted: number[] = [];
    for (let p = p0; p <= p1; p++) {
      const page = this.pages.get(p);
      if (page) {
        this.pages.delete(p); // touch: most recently used
        this.pages.set(p, page);
      }
      if (this.needs(p)) wanted.push(p);
    }
    wanted.sort((a, b) => Math.abs(a - mid) - Math.abs(b - mid));
    let busy = this.currentInFlight();
    for (const p of wanted) {
      if (busy >= this.maxInFlight) break;
      this.load(p);
      busy++;
    }
  }

  /** Rows the host sent unasked (the newest, with a count): kept as the answer to a request made now. */
  take(rows: readonly Row[]): void {
    for (const p of new Set(rows.map((row) => Math.floor(row.index / this.pageSize)))) {
      const page = this.keep(p, rows);
      // Complete up to the current count unless a hole lies before these rows: that page is asked for.
      if (page.count === page.rows.length) page.total = this.total;
    }
  }

  /** Forgets every row: the view's rows are different now. */
  invalidate(): void {
    this.epoch++;
    this.pages = new Map();
    this.stale = new Map();
    this.staleShift = 0;
  }

  /** Row indices moved down by `removed` (oldest rows dropped): old rows shown until fresh ones load. */
  shift(removed: number): void {
    this.epoch++;
    if (this.pages.size > 0) {
      this.stale = this.pages;
      this.staleShift = removed;
    } else {
      this.staleShift += removed;
    }
    this.pages = new Map();
  }

  private needs(p: number): boolean {
    if (this.inFlight.get(p) === this.epoch) return false;
    const page = this.pages.get(p);
    if (!page) return true;
    const expected = Math.min(this.pageSize, this.total - p * this.pageSize);
    return page.count < expected && page.total !== this.total;
  }

  private currentInFlight(): number {
    let n = 0;
    for (const epoch of this.inFlight.values()) if (epoch === this.epoch) n++;
    return n;
  }

  private load(p: number): void {
    const epoch = this.epoch;
    const start = p * this.pageSize;
    const total = this.total;
    this.inFlight.set(p, epoch);
    this.requests++;
    this.fetch(start, this.pageSize).then(
      (rows) => {
        if (this.inFlight.get(p) === epoch) this.inFlight.delete(p);
        if (epoch !== this.epoch) {
          this.onChange(); // a slot freed up: the current view may want it
          return;
        }
        this.keep(p, rows, total);
        this.onChange();
      },
      (error: unknown) => {
        if (this.inFlight.get(p) === epoch) this.inFlight.delete(p);
        if (epoch === this.epoch) {
          // Remember the failure as asked at this count so the table does not ask again every frame.
          this.keep(p, [], total);
          this.onError(error);
        }
      },
    );
  }

  /** Adds the rows of page p among `rows` to what it holds (within an epoch, an index is always the
   *  same row), as the most recently used page; `askedAt`: the row count they were asked for at. */
  private keep(p: number, rows: readonly Row[], askedAt = -1): Page {
    const page = this.pages.get(p) ?? { rows: [], count: 0, total: -1 };
    page.total = Math.max(page.total, askedAt);
    const start = p * this.pageSize;
    for (const row of rows) {
      const k = row.index - start;
      if (k < 0 || k >= this.pageSize) continue;
      if (page.rows[k] === undefined) page.count++;
      page.rows[k] = row;
    }
    this.pages.delete(p);
    this.pages.set(p, page);
    while (this.pages.size > this.maxPages) this.pages.delete(this.pages.keys().next().value!);
    return page;
  }
}
