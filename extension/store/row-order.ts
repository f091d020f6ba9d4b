// The table's rows in a column's order (a header's click). The view's rows in packet order are
// sorted once; rows that come later (a live capture, a display filter still running) are sorted
// on their own and merged in, so a million sorted rows take a new packet in linear time, not a
// new sort. Ties keep packet order in either direction, as a stable sort does.
//
// The sort itself is a native one: each row's key becomes its rank among the distinct keys, and
// rank × rows + position, a whole number below 2^53, is sorted as a Float64Array (no comparator
// called per pair, which is what makes a million rows take milliseconds, not seconds).

import type { SortOrder } from '../../packet/protocol.js';

/** The rows' keys, in the order of the numbers they belong to: numbers (No., Time, Length) or
 *  texts (the other columns). */
export type SortKeys = Float64Array | string[];

/** Positions 0…n-1 of `keys`, in the order of their keys (ties: by position). */
export function orderOfKeys(keys: SortKeys, descending: boolean): Uint32Array {
  const n = keys.length;
  const ranks = wholeKeys(keys) ?? keyRanks(keys);
  const top = ranks.distinct - 1;
  const packed = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const rank = ranks.of[i]!;
    packed[i] = (descending ? top - rank : rank) * n + i;
  }
  packed.sort();
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = packed[i]! % n;
  return order;
}

/** The keys themselves when they are whole numbers small enough to pack (No., Length): they rank
 *  as well as their ranks do, and no search finds them. */
function wholeKeys(keys: SortKeys): { of: ArrayLike<number>; distinct: number } | undefined {
  if (!(keys instanceof Float64Array)) return undefined;
  let max = 0;
  for (const k of keys) {
    if (!Number.isInteger(k) || k < 0) return undefined;
    if (k > max) max = k;
  }
  return (max + 1) * (keys.length + 1) < Number.MAX_SAFE_INTEGER ? { of: keys, distinct: max + 1 } : undefined;
}

/** Each key's rank among the distinct keys, ascending. */
function keyRanks(keys: SortKeys): { of: ArrayLike<number>; distinct: number } {
  const of = new Uint32Array(keys.length);
  if (keys instanceof Float64Array) {
    const sorted = Float64Array.from(keys).sort();
    let distinct = 0;
    for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) sorted[distinct++] = sorted[i]!;
    const values = sorted.subarray(0, distinct);
    for (let i = 0; i < keys.length; i++) of[i] = lowerBound(values, keys[i]!);
    return { of, distinct };
  }
  // Code-unit order, as the default sort compares strings.
  const values = [...new Set(keys)].sort();
  const rank = new Map<string, number>();
  for (const [i, v] of values.entries()) rank.set(v, i);
  for (let i = 0; i < keys.length; i++) of[i] = rank.get(keys[i]!)!;
  return { of, distinct: values.length };
}

function lowerBound(values: Float64Array, key: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (values[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Texts whose digit runs compare as numbers (10.0.0.9 before 10.0.0.10), for the columns whose
 *  texts are addresses and names: each run of digits is led by its length. Only a column with
 *  few distinct texts pays this (Info is compared as it reads). */
export function naturalKey(text: string): string {
  return text.replace(/\d+/g, (digits) => String.fromCharCode(0x30 + Math.min(digits.length, 0xffcf)) + digits);
}

/** The view's rows in a sort's order: those with a number up to `lastNumber`; the view's later
 *  rows follow them in packet order until merged. */
export class RowOrder {
  /** Row → position in `numbers`, by packet number - `base`; -1: not a row. */
  private readonly positions: Int32Array;
  private readonly base: number;

  private constructor(
    readonly sort: SortOrder,
    /** The rows' packet numbers, sorted. */
    private readonly numbers: Uint32Array,
    /** Their keys, in the same order. */
    private readonly keys: SortKeys,
    /** Every row of the view up to this packet number is here. */
    readonly lastNumber: number,
  ) {
    let low = lastNumber + 1;
    for (const n of numbers) if (n < low) low = n;
    this.base = low;
    this.positions = new Int32Array(Math.max(0, lastNumber - low + 1)).fill(-1);
    for (let i = 0; i < numbers.length; i++) this.positions[numbers[i]! - low] = i;
  }

  /** No row yet: every row of the view is still to be merged. */
  static empty(sort: SortOrder, before: number): RowOrder {
    return new RowOrder(sort, new Uint32Array(0), new Float64Array(0), before - 1);
  }

  get length(): number {
    return this.numbers.length;
  }

  numberAt(position: number): number {
    return this.numbers[position]!;
  }

  /** Where packet `number` is among these rows; undefined: not one of them. */
  positionOf(number: number): number | undefined {
    const p = this.positions[number - this.base];
    return p === undefined || p < 0 ? undefined : p;
  }

  /** These rows and `later` (the view's next rows, ascending, with their keys), in order. */
  merged(later: Uint32Array, laterKeys: SortKeys): RowOrder {
    if (later.length === 0) return this;
    const last = later[later.length - 1]!;
    const order = orderOfKeys(laterKeys, this.sort.descending);
    if (this.numbers.length === 0) {
      const keys = laterKeys instanceof Float64Array ? new Float64Array(order.length) : new Array<string>(order.length);
      const numbers = new Uint32Array(order.length);
      for (let i = 0; i < order.length; i++) {
        numbers[i] = later[order[i]!]!;
        keys[i] = laterKeys[order[i]!]!;
      }
      return new RowOrder(this.sort, numbers, keys as SortKeys, last);
    }
    const n = this.numbers.length + later.length;
    const numbers = new Uint32Array(n);
    const keys = this.keys instanceof Float64Array ? new Float64Array(n) : new Array<string>(n);
    const sign = this.sort.descending ? -1 : 1;
    let a = 0;
    let b = 0;
    for (let out = 0; out < n; out++) {
      // On a tie the earlier row (these, all older than `later`) goes first.
      const takeA =
        b === order.length || (a < this.numbers.length && sign * compare(this.keys[a]!, laterKeys[order[b]!]!) <= 0);
      if (takeA) {
        numbers[out] = this.numbers[a]!;
        keys[out] = this.keys[a++]!;
      } else {
        numbers[out] = later[order[b]!]!;
        keys[out] = laterKeys[order[b++]!]!;
      }
    }
    return new RowOrder(this.sort, numbers, keys as SortKeys, last);
  }

  /** The same rows in the other direction, ties still in packet order: no key is read again. */
  flipped(): RowOrder {
    const n = this.numbers.length;
    const numbers = new Uint32Array(n);
    const keys = this.keys instanceof Float64Array ? new Float64Array(n) : new Array<string>(n);
    // Runs of equal keys, last run first, each run as it was (its packets in order).
    let out = 0;
    for (let end = n; end > 0; ) {
      let start = end - 1;
      while (start > 0 && this.keys[start - 1] === this.keys[end - 1]) start--;
      for (let i = start; i < end; i++) {
        numbers[out] = this.numbers[i]!;
        keys[out++] = this.keys[i]!;
      }
      end = start;
    }
    const sort = { ...this.sort, descending: !this.sort.descending };
    return new RowOrder(sort, numbers, keys as SortKeys, this.lastNumber);
  }

  /** These rows without the packets before `first` (evicted). */
  from(first: number): RowOrder {
    if (this.base >= first) return this;
    let kept = 0;
    for (const n of this.numbers) if (n >= first) kept++;
    const numbers = new Uint32Array(kept);
    const keys = this.keys instanceof Float64Array ? new Float64Array(kept) : new Array<string>(kept);
    let out = 0;
    for (let i = 0; i < this.numbers.length; i++) {
      if (this.numbers[i]! < first) continue;
      numbers[out] = this.numbers[i]!;
      keys[out++] = this.keys[i]!;
    }
    return new RowOrder(this.sort, numbers, keys as SortKeys, Math.max(this.lastNumber, first - 1));
  }
}

function compare(a: number | string, b: number | string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
