// The packet table with debugger markers among its rows. The view (display-filtered packets) keeps
// its own indices; this layout maps the table's row indices onto them, a marker sitting after
// every packet of the view that is not later than it. Markers are few (one per pause or continue),
// so each lookup walks them. No VS Code here.
import type { Row } from '../../packet/protocol.js';
import { tableRows } from '../panel/table-rows.js';
import type { PacketStore } from '../store/packet-store.js';
import type { PacketView } from '../store/packet-view.js';
import { type DebugMarker, type MarkerTimeline, markerText } from './markers.js';

/** What the layout needs of a view: its rows and the time of each. */
export interface TimedView {
  readonly rows: number;
  /** Generation of the view's indices (PacketView.generation). */
  readonly generation: number;
  /** Timestamp (ns) of the packet at view row `index`. */
  timeAt(index: number): bigint | undefined;
}

export type TableSlot = { marker: DebugMarker } | { packetIndex: number };

export class MarkerLayout {
  /** View rows before each marker, in the timeline's order. */
  private positions: number[] = [];
  private placed = new Map<DebugMarker, number>();
  private seen = { version: -1, generation: -1, rows: 0 };
  /** Bumped when markers moved among rows the table may hold: its cached rows are stale. */
  shifts = 0;

  constructor(readonly timeline: MarkerTimeline) {}

  /** Places the markers among the view's rows now. Call before answering with rows or counts. */
  update(view: TimedView): void {
    const markers = this.timeline.markers;
    if (
      this.seen.version === this.timeline.version &&
      this.seen.generation === view.generation &&
      this.seen.rows === view.rows
    )
      return;
    const positions = markers.map((m) => firstLater(view, m.timestampNs));
    const sameView = this.seen.generation === view.generation;
    // A marker moved (a packet older than it arrived after it), or a new one landed before the
    // end: rows at and after it changed index. New markers at the end only add rows.
    const moved =
      sameView &&
      markers.some((m, k) => {
        const before = this.placed.get(m);
        return before === undefined ? positions[k]! < this.seen.rows : before !== positions[k];
      });
    if (moved) this.shifts++;
    this.positions = positions;
    this.placed = new Map(markers.map((m, k) => [m, positions[k]!]));
    this.seen = { version: this.timeline.version, generation: view.generation, rows: view.rows };
  }

  /** Rows of the table: the view's packets and every marker. */
  rows(view: TimedView): number {
    this.update(view);
    return view.rows + this.positions.length;
  }

  /** What the table shows at row `index`. */
  slot(index: number): TableSlot {
    const markers = this.timeline.markers;
    for (const [k, position] of this.positions.entries()) {
      const at = position + k; // k markers come before it
      if (at === index) return { marker: markers[k]! };
      if (at > index) return { packetIndex: index - k };
    }
    return { packetIndex: index - this.positions.length };
  }

  /** The table row of the view's row `packetIndex`. */
  tableIndex(packetIndex: number): number {
    let before = 0;
    for (const position of this.positions) if (position <= packetIndex) before++;
    return packetIndex + before;
  }

  /**
   * Table rows [start, start + count): markers as rows of their own, packets from `packetRows`
   * (view rows, index = view index), re-indexed. `time` gives a marker's Time column from its ns.
   */
  merge(
    start: number,
    count: number,
    packetRows: (start: number, count: number) => Row[],
    time: (ns: bigint) => number,
    isPaused: (packetNumber: number) => boolean,
  ): Row[] {
    const end = Math.min(start + count, this.seen.rows + this.positions.length);
    const out: Row[] = [];
    let i = Math.max(0, start);
    while (i < end) {
      const slot = this.slot(i);
      if ('marker' in slot) {
        out.push(markerRow(i, slot.marker, time(slot.marker.timestampNs)));
        i++;
        continue;
      }
      // Packets up to the next marker come in one request.
      const nextMarker = this.nextMarkerFrom(i);
      const run = Math.min(end, nextMarker) - i;
      if (run <= 0) break; // never spin on a layout that does not add up
      for (const row of packetRows(slot.packetIndex, run)) {
        out.push({ ...row, index: i, ...(isPaused(row.number) ? { paused: true } : {}) });
        i++;
      }
      if (i < Math.min(end, nextMarker)) break; // the view ended early (evicted meanwhile)
    }
    return out;
  }

  private nextMarkerFrom(index: number): number {
    for (const [k, position] of this.positions.entries()) if (position + k >= index) return position + k;
    return Number.POSITIVE_INFINITY;
  }
}

/** The first view row later than `ns` (rows are in time order, as a capture's packets are). */
function firstLater(view: TimedView, ns: bigint): number {
  let lo = 0;
  let hi = view.rows;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const t = view.timeAt(mid);
    if (t !== undefined && t <= ns) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function markerRow(index: number, m: DebugMarker, time: number): Row {
  return {
    index,
    number: 0,
    time,
    source: '',
    destination: '',
    protocol: '',
    length: 0,
    info: markerText(m),
    marker: { kind: m.kind, ...(m.source ? { source: m.source } : {}) },
  };
}

/** A view as the layout reads it: its rows and each row's packet time. */
export function timedView(store: PacketStore, view: PacketView): TimedView {
  return {
    rows: view.rows,
    generation: view.generation,
    timeAt: (index) => store.packet(view.numberAt(index) ?? 0)?.timestampNs,
  };
}

/** The table's rows [start, start + count) of a capture with markers: packets (tableRows) with
 *  those captured during a pause marked, and the markers, with their time as the Time column's. */
export function markedTableRows(
  layout: MarkerLayout,
  store: PacketStore,
  view: PacketView,
  start: number,
  count: number,
): Row[] {
  layout.update(timedView(store, view));
  const first = store.packet(store.firstNumber);
  return layout.merge(
    start,
    count,
    (from, n) => tableRows(store, view, from, n),
    (ns) => (first ? first.time + Number(ns - first.timestampNs) / 1e9 : 0),
    (number) => layout.timeline.isPaused(store.packet(number)?.timestampNs ?? -1n),
  );
}
