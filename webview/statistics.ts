// Statistics → Conversations and Endpoints: the table the host sends (packet/statistics-protocol.ts),
// sorted by a click on a column's header, a row applied as the capture's display filter on a
// double click or Enter. Text goes in as text only.
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import {
  type ConversationRow,
  type EndpointRow,
  hasPorts,
  STATISTICS_PROTOCOLS,
  type StatisticsKind,
  type StatisticsMessage,
  type StatisticsProtocol,
  type StatisticsView,
} from '../packet/statistics-protocol.js';
import { applicableRow, formatBytes, h } from './dom.js';
import { startTabPage } from './tab-page.js';

/** Rows drawn at most (sorted first: the top of the order the user chose). */
export const MAX_DRAWN_ROWS = 5000;

interface Column<R> {
  title: string;
  value(row: R): number | string;
  text?(row: R): string;
  /** A port's column: shown for TCP and UDP only. */
  port?: true;
}

const PROTOCOL_NAMES: Record<StatisticsProtocol, string> = {
  eth: 'Ethernet',
  ip: 'IPv4',
  ipv6: 'IPv6',
  tcp: 'TCP',
  udp: 'UDP',
};

const seconds = (ns: number) => (ns / 1e9).toFixed(6);

const CONVERSATION_COLUMNS: Column<ConversationRow>[] = [
  { title: 'Address A', value: (r) => r.a.address },
  { title: 'Port A', value: (r) => r.a.port ?? 0, port: true },
  { title: 'Address B', value: (r) => r.b.address },
  { title: 'Port B', value: (r) => r.b.port ?? 0, port: true },
  { title: 'Packets', value: (r) => r.framesAToB + r.framesBToA },
  { title: 'Bytes', value: (r) => r.bytesAToB + r.bytesBToA, text: (r) => formatBytes(r.bytesAToB + r.bytesBToA) },
  { title: 'Packets A → B', value: (r) => r.framesAToB },
  { title: 'Bytes A → B', value: (r) => r.bytesAToB, text: (r) => formatBytes(r.bytesAToB) },
  { title: 'Packets B → A', value: (r) => r.framesBToA },
  { title: 'Bytes B → A', value: (r) => r.bytesBToA, text: (r) => formatBytes(r.bytesBToA) },
  { title: 'Rel Start', value: (r) => r.startNs, text: (r) => seconds(r.startNs) },
  { title: 'Duration', value: (r) => r.durationNs, text: (r) => seconds(r.durationNs) },
];

const ENDPOINT_COLUMNS: Column<EndpointRow>[] = [
  { title: 'Address', value: (r) => r.address },
  { title: 'Port', value: (r) => r.port ?? 0, port: true },
  { title: 'Packets', value: (r) => r.packets },
  { title: 'Bytes', value: (r) => r.bytes, text: (r) => formatBytes(r.bytes) },
  { title: 'Tx Packets', value: (r) => r.txPackets },
  { title: 'Tx Bytes', value: (r) => r.txBytes, text: (r) => formatBytes(r.txBytes) },
  { title: 'Rx Packets', value: (r) => r.rxPackets },
  { title: 'Rx Bytes', value: (r) => r.rxBytes, text: (r) => formatBytes(r.rxBytes) },
];

export interface StatisticsPage {
  show(view: StatisticsView): void;
}

/** Mounts the tab's page in `root`; `post` carries the user's choices to the host. */
export function mountStatistics(root: HTMLElement, post: (m: StatisticsMessage) => void): StatisticsPage {
  const choice = document.createElement('vscode-single-select');
  choice.setAttribute('aria-label', 'Table');
  choice.label = 'Table'; // the name of the combobox inside it, which screen readers reach
  for (const [value, label] of (['conversations', 'endpoints'] as const).flatMap((kind) =>
    STATISTICS_PROTOCOLS.map((p) => [`${p} ${kind}`, `${PROTOCOL_NAMES[p]} ${kind}`]),
  )) {
    const option = document.createElement('vscode-option');
    option.value = value!;
    option.textContent = label!;
    choice.append(option);
  }
  choice.addEventListener('change', () => {
    const [protocol, kind] = choice.value.split(' ') as [StatisticsProtocol, StatisticsKind];
    post({ type: 'choose', protocol, kind });
  });
  const status = h('span', { class: 'stats-status', attrs: { role: 'status' } });
  const table = h('table', { class: 'stats-table', attrs: { 'aria-label': 'Conversations' } });
  root.append(
    h(
      'div',
      { class: 'stats' },
      h('header', {}, choice, status),
      h('div', { class: 'stats-scroll' }, table),
      h('footer', {}, 'Double-click a row, or press Enter on it, to apply it as the capture’s display filter.'),
    ),
  );

  let sort = { column: -1, descending: false };
  let current: StatisticsView | undefined;

  function draw(): void {
    if (!current) return;
    // Ethernet's and IP's ends are addresses alone: their tables have no port columns.
    const ports = hasPorts(current.protocol);
    const shown = <R>(columns: Column<R>[]) => columns.filter((c) => ports || !c.port);
    if (current.kind === 'conversations') drawTable(shown(CONVERSATION_COLUMNS), current.conversations);
    else drawTable(shown(ENDPOINT_COLUMNS), current.endpoints);
  }

  function drawTable<R>(columns: Column<R>[], rows: R[]): void {
    const order = rows.map((_, i) => i);
    const by = columns[sort.column];
    if (by) {
      const direction = sort.descending ? -1 : 1;
      // Array.prototype.sort is stable: equal rows keep the order they started in.
      order.sort((x, y) => {
        const a = by.value(rows[x]!);
        const b = by.value(rows[y]!);
        return (a < b ? -1 : a > b ? 1 : 0) * direction;
      });
    }
    const head = h(
      'tr',
      {},
      ...columns.map((c, i) => {
        const th = h('th', { text: c.title, attrs: { tabindex: '0', scope: 'col' } });
        th.setAttribute('aria-sort', i !== sort.column ? 'none' : sort.descending ? 'descending' : 'ascending');
        const resort = () => {
          sort = { column: i, descending: sort.column === i ? !sort.descending : false };
          draw();
        };
        th.addEventListener('click', resort);
        th.addEventListener('keydown', (e) => {
          if (e.key === 'Enter' || e.key === ' ') {
            e.preventDefault();
            resort();
          }
        });
        return th;
      }),
    );
    const body = order.slice(0, MAX_DRAWN_ROWS).map((index) => {
      const row = rows[index]!;
      const tr = h('tr', {}, ...columns.map((c) => h('td', { text: c.text?.(row) ?? String(c.value(row)) })));
      return applicableRow(tr, () => post({ type: 'apply', index }));
    });
    table.replaceChildren(h('thead', {}, head), h('tbody', {}, ...body));
    const shownNote = rows.length > MAX_DRAWN_ROWS ? ` (the first ${MAX_DRAWN_ROWS} drawn)` : '';
    status.textContent = `${rows.length} ${current?.kind ?? ''}${shownNote}${current?.live ? ' · capturing' : ''}`;
  }

  return {
    show(view) {
      // Other columns (another kind, or ports come or go): the sort starts again.
      const columnsChanged = current?.kind !== view.kind || hasPorts(current.protocol) !== hasPorts(view.protocol);
      current = view;
      if (columnsChanged) sort = { column: -1, descending: false };
      choice.value = `${view.protocol} ${view.kind}`;
      table.setAttribute('aria-label', `${PROTOCOL_NAMES[view.protocol]} ${view.kind} of ${view.captureTitle}`);
      draw();
    },
  };
}

startTabPage<StatisticsView, StatisticsMessage>('statistics', mountStatistics);
