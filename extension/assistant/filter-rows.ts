// A display filter run for the assistant on the side: a view of its own over the capture's store
// (the same worker and engine as the panel's filter bar), so the panel's table and filter stay as
// the user left them. The answer is the match count and the first rows, bounded.
import { compileDisplayFilter, DisplayFilterError } from '../../packet/display-filter.js';
import type { Row } from '../../packet/protocol.js';
import { tableRows } from '../panel/table-rows.js';
import type { PacketStore } from '../store/packet-store.js';
import type { PacketView } from '../store/packet-view.js';
import { inert } from './plain-text.js';

export const DEFAULT_FILTER_ROWS = 50;
export const MAX_FILTER_ROWS = 500;

export type SideFilterResult = { ok: true; matches: number; rows: Row[] } | { ok: false; error: string[] };

/** The row limit asked for, within [1, MAX_FILTER_ROWS]; DEFAULT_FILTER_ROWS when not a number. */
export function rowLimit(asked: unknown): number {
  if (typeof asked !== 'number' || !Number.isFinite(asked)) return DEFAULT_FILTER_ROWS;
  return Math.min(MAX_FILTER_ROWS, Math.max(1, Math.floor(asked)));
}

/** The error as Wireshark's dftest shows it: the message, the filter, a caret under the fault. */
export function filterErrorLines(text: string, e: DisplayFilterError): string[] {
  const shown = inert(text, 400);
  // The caret points into the filter as shown; escapes before the fault shift it.
  const before = inert(text.slice(0, e.position), 400).length;
  return [
    `Display filter error: ${inert(e.message, 400)}`,
    `  ${shown}`,
    `  ${' '.repeat(Math.min(before, shown.length))}^${'~'.repeat(Math.max(0, Math.min(e.length, 80) - 1))}`,
  ];
}

/**
 * Runs `text` over the packets `store` holds now, in `view` (a fresh view of that store, disposed
 * of here).
 */
export async function runSideFilter(
  store: PacketStore,
  view: PacketView,
  text: string,
  limit: number,
): Promise<SideFilterResult> {
  try {
    try {
      compileDisplayFilter(text); // the message before any worker starts
      view.setFilter(text);
    } catch (e) {
      if (e instanceof DisplayFilterError) return { ok: false, error: filterErrorLines(text, e) };
      throw e;
    }
    const matches = (await view.shownNumbers()).length;
    return { ok: true, matches, rows: tableRows(store, view, 0, limit) };
  } finally {
    view.dispose();
  }
}

function rowLine(r: Row): string {
  const who = [r.process && `process ${inert(r.process, 120)}`, r.pod && `pod ${inert(r.pod, 120)}`].filter(Boolean);
  return [
    r.number,
    r.time.toFixed(6),
    inert(r.source, 60),
    inert(r.destination, 60),
    inert(r.protocol, 30),
    r.length,
    `${inert(r.info, 300)}${who.length ? ` [${who.join(', ')}]` : ''}`,
  ].join('\t');
}

/** The result as plain-text lines: the count, then one tab-separated line per row. */
export function formatFilterResult(captureName: string, text: string, result: SideFilterResult): string[] {
  if (!result.ok) return result.error;
  const filter = text.trim() ? `"${inert(text, 400)}"` : '(none: every packet)';
  const lines = [
    `Display filter ${filter} on ${captureName}: ${result.matches.toLocaleString('en-US')} matching packets${result.rows.length < result.matches ? `, the first ${result.rows.length} shown` : ''}.`,
  ];
  if (result.rows.length === 0) return lines;
  lines.push('No.\tTime\tSource\tDestination\tProtocol\tLength\tInfo');
  for (const r of result.rows) lines.push(rowLine(r));
  return lines;
}
