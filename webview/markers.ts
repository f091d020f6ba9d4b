// Debugger markers in the packet table (extension/debug/ puts them among the rows): a row of its
// own, not a packet, so its No. is empty; packets captured while the debuggee was paused are tinted.
import type { Row } from '../packet/protocol.js';

/** The row's classes beyond its protocol's: a marker, or a packet of a pause. */
export function markerClasses(row: Row): string {
  if (row.marker) return ` dbg-marker dbg-marker-${row.marker.kind}`;
  return row.paused ? ' dbg-paused' : '';
}

/** A marker row's cell: the text in Info (and the time), nothing in the packet columns. */
export function markerCellText(row: Row, column: string, text: string): string {
  if (!row.marker) return text;
  return column === 'info' || column === 'time' ? text : '';
}

/** The packet number of a row; none for a marker (it is not a packet: its number is 0). */
export function packetNumberOf(row: Row | undefined): number | undefined {
  return row?.marker ? undefined : row?.number;
}

/** Whether the row is a marker whose source line can be opened. */
export function opensSource(row: Row | undefined): boolean {
  return row?.marker?.source !== undefined;
}
