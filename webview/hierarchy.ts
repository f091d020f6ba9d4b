// Statistics → Protocol Hierarchy: the rows the host sends (packet/hierarchy-protocol.ts), each
// protocol under the one that carries it, its share of the packets and bytes drawn as a bar; a row
// applied as the capture's display filter on a double click or Enter. Text goes in as text only.
import type { HierarchyMessage, HierarchyRow, HierarchyView } from '../packet/hierarchy-protocol.js';
import { applicableRow, formatBytes, h } from './dom.js';
import { startTabPage } from './tab-page.js';

const percent = (part: number, whole: number) => (whole > 0 ? (100 * part) / whole : 0);

/** A share as a bar and its figure (the figure is what screen readers read). */
function share(value: number): HTMLElement {
  const bar = h('span', { class: 'phs-bar', attrs: { 'aria-hidden': 'true' } });
  bar.style.width = `${Math.min(100, value)}%`;
  const figure = h('span', { class: 'phs-figure', text: `${value.toFixed(1)} %` });
  return h('td', {}, h('span', { class: 'phs-share' }, h('span', { class: 'phs-track' }, bar), figure));
}

const bitsPerSecond = (bytes: number, seconds: number) => (seconds > 0 ? Math.round((bytes * 8) / seconds) : 0);

const COLUMNS = [
  'Protocol',
  'Percent Packets',
  'Packets',
  'Percent Bytes',
  'Bytes',
  'Bits/s',
  'End Packets',
  'End Bytes',
  'End Bits/s',
];

export interface HierarchyPage {
  show(view: HierarchyView): void;
}

/** Mounts the tab's page in `root`; `post` carries the user's choices to the host. */
export function mountHierarchy(root: HTMLElement, post: (m: HierarchyMessage) => void): HierarchyPage {
  const status = h('span', { class: 'stats-status', attrs: { role: 'status' } });
  const table = h('table', { class: 'stats-table phs-table', attrs: { 'aria-label': 'Protocol Hierarchy' } });
  root.append(
    h(
      'div',
      { class: 'stats' },
      h('header', {}, status),
      h('div', { class: 'stats-scroll' }, table),
      h('footer', {}, 'Double-click a protocol, or press Enter on it, to apply it as the capture’s display filter.'),
    ),
  );

  function row(view: HierarchyView, r: HierarchyRow, index: number): HTMLElement {
    const seconds = view.durationS;
    const name = h('td', { class: 'phs-protocol', text: r.protocol });
    name.style.paddingInlineStart = `${8 + 16 * r.depth}px`;
    const tr = h(
      'tr',
      { attrs: { 'aria-label': `${r.protocol}, level ${r.depth + 1}` } },
      name,
      share(percent(r.frames, view.frames)),
      h('td', { text: String(r.frames) }),
      share(percent(r.bytes, view.bytes)),
      h('td', { text: formatBytes(r.bytes) }),
      h('td', { text: String(bitsPerSecond(r.bytes, seconds)) }),
      h('td', { text: String(r.endFrames) }),
      h('td', { text: formatBytes(r.endBytes) }),
      h('td', { text: String(bitsPerSecond(r.endBytes, seconds)) }),
    );
    return applicableRow(tr, () => post({ type: 'apply', index }));
  }

  return {
    show(view) {
      const rows = Array.from(table.querySelectorAll<HTMLElement>('tbody tr'));
      const focusedIndex = rows.indexOf(document.activeElement as HTMLElement);
      const head = h('tr', {}, ...COLUMNS.map((title) => h('th', { text: title, attrs: { scope: 'col' } })));
      const body = view.rows.map((r, i) => row(view, r, i));
      table.replaceChildren(h('thead', {}, head), h('tbody', {}, ...body));
      // Counted again while the user moves through the rows: the focus stays on its row.
      if (focusedIndex >= 0) body[Math.min(focusedIndex, body.length - 1)]?.focus();
      table.setAttribute('aria-label', `Protocol Hierarchy of ${view.captureTitle}`);
      const of = view.filter
        ? `the ${view.frames} packets the display filter “${view.filter}” shows`
        : `${view.frames} packets`;
      status.textContent = `${of}${view.counting ? ' · counting…' : ''}${view.live ? ' · capturing' : ''}`;
    },
  };
}

startTabPage<HierarchyView, HierarchyMessage>('hierarchy', mountHierarchy);
