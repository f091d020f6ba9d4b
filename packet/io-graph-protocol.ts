// The contract between the host and the I/O Graph tab (webview/io-graph.ts): the host counts the
// packets per interval (all of them, and those the display filter shows) and sends the counts with
// what happened on the same time axis (drops, a debugged process paused and continued); the page
// draws them and says which interval and unit to count in, and which moment the user clicked.
import type { TabReady } from './tab-protocol.js';

/** The intervals one can count in, in ms (Wireshark's I/O Graph offers the same steps). */
export const IO_INTERVALS_MS = [1, 10, 100, 1000, 10_000, 60_000] as const;
export type IoInterval = (typeof IO_INTERVALS_MS)[number];

export type IoUnit = 'packets' | 'bytes';

/** Intervals counted at most: a finer interval over a long capture is made coarser to fit. */
export const MAX_IO_BINS = 100_000;

/** "Auto" picks the finest interval that makes at most this many of the capture's time span. */
export const AUTO_IO_BINS = 1000;

/** An interval, or 'auto': the one that suits the capture's span. */
export type IoIntervalChoice = IoInterval | 'auto';

/** Something on the time axis: a drop report, or the debugged process pausing or continuing. */
export interface IoEvent {
  /** Seconds since the capture's first packet. */
  at: number;
  kind: 'drops' | 'paused' | 'continued';
  /** What it says on hover: "120 packets dropped", "paused at handler.ts:42 (breakpoint)". */
  label: string;
}

export interface IoGraphView {
  captureTitle: string;
  /** The interval counted in: the one chosen, or a coarser one when that made too many. */
  intervalMs: IoInterval;
  /** The interval was picked to suit the capture's span (the user chose Auto). */
  auto: boolean;
  unit: IoUnit;
  /** Per interval from the capture's first packet: its packets (or bytes on the wire). */
  all: number[];
  /** The same for the packets the display filter shows, when one is applied. */
  displayed?: { filter: string; values: number[] };
  events: IoEvent[];
  /** The capture is still running: the graph is redrawn as packets arrive. */
  live: boolean;
}

export type IoGraphMessage =
  | TabReady
  | { type: 'choose'; intervalMs: IoIntervalChoice; unit: IoUnit }
  /** Go to the first packet shown at or after `at` seconds (a click on the graph). */
  | { type: 'goTo'; at: number };

export function checkIoGraphMessage(raw: unknown): IoGraphMessage | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const m = raw as Record<string, unknown>;
  if (m.type === 'ready') return { type: 'ready' };
  if (
    m.type === 'choose' &&
    (m.intervalMs === 'auto' || IO_INTERVALS_MS.includes(m.intervalMs as IoInterval)) &&
    (m.unit === 'packets' || m.unit === 'bytes')
  )
    return { type: 'choose', intervalMs: m.intervalMs as IoIntervalChoice, unit: m.unit };
  if (m.type === 'goTo' && typeof m.at === 'number' && Number.isFinite(m.at) && m.at >= 0)
    return { type: 'goTo', at: m.at };
  return undefined;
}
