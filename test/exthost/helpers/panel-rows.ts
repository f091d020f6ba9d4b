// A capture panel's table as the webview reads it.
import type { CapturePanel } from '../../../extension/panel/capture-panel.js';
import type { Row } from '../../../packet/protocol.js';

/** Every row of the panel's table, asked for as the webview asks: a window at a time. */
export function allRows(panel: CapturePanel): Row[] {
  const rows: Row[] = [];
  const total = panel.counters().rows;
  while (rows.length < total) {
    const page = panel.rows(rows.length, 1000);
    if (page.length === 0) break;
    rows.push(...page);
  }
  return rows;
}
