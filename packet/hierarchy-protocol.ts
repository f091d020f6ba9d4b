// The contract between the host and the Protocol Hierarchy tab (webview/hierarchy.ts): the host
// sends the rows; the page says which row the user chose (the host builds the filter from its own
// rows: nothing the page sends becomes a filter).
import type { TabReady } from './tab-protocol.js';

/** One protocol at one place in the hierarchy (depth first: a row's children follow it). */
export interface HierarchyRow {
  /** As frame.protocols names it (a display filter's protocol name). */
  protocol: string;
  /** 0 for the outermost protocols. */
  depth: number;
  /** Packets whose path of protocols passes through this row, and their bytes on the wire. */
  frames: number;
  bytes: number;
  /** Those whose path ends here (no protocol inside this one). */
  endFrames: number;
  endBytes: number;
}

export interface HierarchyView {
  captureTitle: string;
  /** The display filter the packets counted passed ('' for every packet held). */
  filter: string;
  /** Packets counted and their bytes (the 100 % of the percentages). */
  frames: number;
  bytes: number;
  /** Seconds from the first packet counted to the last (bits/s); 0 for fewer than two. */
  durationS: number;
  rows: HierarchyRow[];
  /** The capture is still running: the rows are counted again as packets arrive. */
  live: boolean;
  /** The counting is under way (the rows are the previous count's). */
  counting: boolean;
}

export type HierarchyMessage =
  | TabReady
  /** Apply as filter the protocol of the row at `index`. */
  | { type: 'apply'; index: number };

export function checkHierarchyMessage(raw: unknown): HierarchyMessage | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const m = raw as Record<string, unknown>;
  if (m.type === 'ready') return { type: 'ready' };
  if (m.type === 'apply' && Number.isSafeInteger(m.index) && (m.index as number) >= 0)
    return { type: 'apply', index: m.index as number };
  return undefined;
}
