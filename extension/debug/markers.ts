// Debugger markers on a capture's timeline: "paused at handler.ts:42 (breakpoint)", "continued".
// They are rows of the packet table, in time order among the packets, but never packets: they
// take no packet number, so the numbers stay those tshark gives the saved file. No VS Code here.
import * as path from 'node:path';

export type MarkerKind = 'paused' | 'continued';

export interface SourceLine {
  path: string;
  /** 1-based. */
  line: number;
}

export interface DebugMarker {
  /** Wall-clock ns since the epoch, as packet timestamps. */
  timestampNs: bigint;
  kind: MarkerKind;
  /** Why it paused (the DAP stopped event's reason: breakpoint, step, exception, pause…). */
  reason?: string;
  /** Where it paused (the top stack frame), when the adapter said. */
  source?: SourceLine;
}

/** The marker as the table's Info column and a pcapng comment say it. */
export function markerText(m: DebugMarker): string {
  if (m.kind === 'continued') return '▶ continued';
  const where = m.source ? ` at ${path.basename(m.source.path)}:${m.source.line}` : '';
  return `⏸ paused${where}${m.reason ? ` (${m.reason})` : ''}`;
}

/** Wall-clock now in ns, the clock packet timestamps use. */
export function nowNs(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}

/** The markers of one capture, in time order (equal times: in the order added). */
export class MarkerTimeline {
  private readonly list: DebugMarker[] = [];
  /** Bumped by every add: a layout computed before is stale. */
  version = 0;

  add(marker: DebugMarker): void {
    let i = this.list.length;
    while (i > 0 && this.list[i - 1]!.timestampNs > marker.timestampNs) i--;
    this.list.splice(i, 0, marker);
    this.version++;
  }

  get markers(): readonly DebugMarker[] {
    return this.list;
  }

  /** Whether the debuggee was paused at `ns`: after a pause, up to the next continue. As in the
   *  table, a packet of the same time as a marker counts as before it. */
  isPaused(ns: bigint): boolean {
    let paused = false;
    for (const m of this.list) {
      if (m.timestampNs >= ns) break;
      paused = m.kind === 'paused';
    }
    return paused;
  }
}

/** Packets by number with their time: what marker comments are placed by. */
export interface TimedPackets {
  readonly firstNumber: number;
  readonly lastNumber: number;
  timeOf(number: number): bigint | undefined;
}

/** A marker as a pcapng packet comment: its text, and its own time, since the packet's differs. */
export function markerComment(m: DebugMarker): string {
  const ms = Number(m.timestampNs / 1_000_000n);
  return `Debugger: ${markerText(m)} at ${new Date(ms).toISOString()}`;
}

/**
 * Where each marker goes in a saved pcapng: a comment on the packet nearest to it in time (the
 * earlier one on a tie), several markers on one packet one per line. Wireshark shows them in the
 * packet list (pkt_comment, `frame.comment`) and the Expert Information; the packets and their
 * numbers stay as they are.
 */
export function markerComments(timeline: MarkerTimeline, packets: TimedPackets): Map<number, string> {
  const comments = new Map<number, string>();
  if (packets.lastNumber < packets.firstNumber) return comments;
  for (const m of timeline.markers) {
    const after = firstPacketAfter(packets, m.timestampNs);
    const before = after - 1;
    const tAfter = after <= packets.lastNumber ? packets.timeOf(after) : undefined;
    const tBefore = before >= packets.firstNumber ? packets.timeOf(before) : undefined;
    const number =
      tAfter === undefined || (tBefore !== undefined && m.timestampNs - tBefore <= tAfter - m.timestampNs)
        ? before
        : after;
    const text = markerComment(m);
    const had = comments.get(number);
    comments.set(number, had === undefined ? text : `${had}\n${text}`);
  }
  return comments;
}

/** The first packet number later than `ns` (lastNumber + 1 when none is). */
function firstPacketAfter(packets: TimedPackets, ns: bigint): number {
  let lo = packets.firstNumber;
  let hi = packets.lastNumber + 1;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    const t = packets.timeOf(mid);
    if (t !== undefined && t <= ns) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The packets captured while paused, as sorted inclusive [from, to] packet numbers: after a pause
 *  marker, up to the next continue (a pause still on runs to every later packet). */
export function pausedNumberRanges(timeline: MarkerTimeline, packets: TimedPackets): [number, number][] {
  const ranges: [number, number][] = [];
  let pausedAt: bigint | undefined;
  const close = (until: number) => {
    if (pausedAt === undefined) return;
    const from = firstPacketAfter(packets, pausedAt);
    if (from <= until) ranges.push([from, until]);
    pausedAt = undefined;
  };
  for (const m of timeline.markers) {
    if (m.kind === 'paused') pausedAt ??= m.timestampNs;
    else close(firstPacketAfter(packets, m.timestampNs) - 1);
  }
  close(Number.MAX_SAFE_INTEGER);
  return ranges;
}
