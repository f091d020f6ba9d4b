// The capture panel: the capture form (live mode), the status and counters, the display filter,
// the packet table, and the selected packet's tree and bytes. Written against HostTransport only.
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
import '@vscode-elements/elements/dist/vscode-split-layout/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import '@vscode-elements/elements/dist/vscode-toolbar-button/index.js';
import type { MenuAction, MenuTarget } from '../packet/context-menu.js';
import { compileDisplayFilter } from '../packet/display-filter.js';
import { cellFilters, combineFilters, type FilterCombination } from '../packet/field-filter.js';
import type { DisplayFilterCheck } from '../packet/filter-fields.js';
import { parsePodInterfaceName } from '../packet/k8s-pod.js';
import {
  type CountersEvent,
  type CounterUpdate,
  customColumnIndex,
  type DeepTreeEvent,
  type PacketDetail,
  type PanelState,
  type Row,
  type SortOrder,
} from '../packet/protocol.js';
import { CaptureForm } from './capture-form.js';
import { DetailTree, type TreeNode } from './detail-tree.js';
import { debounce, formatBytes, formatCount, h, messageOf, setText } from './dom.js';
import { FilterCompletion } from './filter-completion.js';
import { HexView } from './hex-view.js';
import { opensSource } from './markers.js';
import { type ColumnId, cellText, PacketTable } from './packet-table.js';
import { PodCountersView } from './pod-counters.js';
import { RowCache } from './row-cache.js';

/** The filter bar's mode badge: what judged the filter. */
const FILTER_MODE_LABELS: Record<'expression' | 'text' | 'none' | 'wireshark', { label: string; title: string }> = {
  expression: { label: 'expression', title: 'Read as a display filter expression' },
  text: {
    label: 'text search',
    title: 'Text search: rows whose Source, Destination, Protocol or Info contain this text',
  },
  none: { label: '', title: '' },
  wireshark: {
    label: 'Wireshark',
    title:
      "Judged by Wireshark's tshark: the filter names a field this extension's decoders do not know. Rows appear as tshark matches them.",
  },
};

import type { HostTransport, UiState, UiStore } from './transport.js';

const DISPLAY_FILTER_DELAY_MS = 300;
const KEYBOARD_DETAIL_DELAY_MS = 80;

type Button = HTMLElementTagNameMap['vscode-button'];
/** How an Apply/Prepare as Filter item combines its filter, and whether it applies it. */
function filterUse(action: MenuAction): { how: FilterCombination; apply: boolean } | undefined {
  const [use, how] = action.split(':');
  return use === 'apply' || use === 'prepare' ? { how: how as FilterCombination, apply: use === 'apply' } : undefined;
}

/** What right clicks on it open: VS Code's menu, without the page's Cut, Copy and Paste. */
const OWN_MENUS = JSON.stringify({ preventDefaultContextMenuItems: true });

/** What "Copy ▸ `what`" copies of `node`, whose bytes are [node.offset, +length) of `bytes`;
 *  undefined when the node has none of it. */
export function copiedText(node: TreeNode, what: string, bytes: Uint8Array): string | undefined {
  const own = bytes.subarray(node.offset, node.offset + node.length);
  switch (what) {
    case 'label':
      return node.label;
    case 'filter':
      return node.filter;
    case 'value': {
      const colon = node.label.indexOf(': ');
      return colon < 0 ? undefined : node.label.slice(colon + 2);
    }
    case 'name':
      return node.name;
    case 'hex':
      return own.length ? Array.from(own, (b) => b.toString(16).padStart(2, '0')).join('') : undefined;
    case 'text':
      return own.length
        ? Array.from(own, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '')).join('')
        : undefined;
    default:
      return undefined;
  }
}

function button(text: string, title: string, onClick: () => void, secondary = true): Button {
  const b = document.createElement('vscode-button');
  b.textContent = text;
  b.title = title;
  b.secondary = secondary;
  b.addEventListener('click', () => {
    if (!b.disabled) onClick();
  });
  return b;
}

function decodeBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

const STATUS_TEXT: Record<PanelState['status'], string> = {
  idle: 'Ready',
  starting: 'Starting…',
  capturing: 'Capturing',
  stopping: 'Stopping…',
  stopped: 'Stopped',
  error: 'Error',
};

export class Panel {
  readonly element: HTMLElement;
  private state: PanelState;
  private counters: CounterUpdate | undefined;
  private readonly ui: UiState;
  readonly cache: RowCache;
  readonly table: PacketTable;
  readonly tree: DetailTree;
  readonly hex: HexView;
  private readonly form: CaptureForm;

  private readonly startButton: Button;
  private readonly stopButton: Button;
  private readonly statusDot: HTMLElement;
  private readonly statusText: HTMLElement;
  private readonly statusMessage: HTMLElement;
  private readonly liveCounters: HTMLElement[];
  /** Live only: the capture goes on in the background when the panel closes. */
  private readonly keepRunning: HTMLElementTagNameMap['vscode-checkbox'];
  private readonly counterEls: Record<'packets' | 'shown' | 'bytes' | 'rate' | 'drops' | 'evicted', HTMLElement>;
  private readonly podCounters = new PodCountersView();
  private readonly filterField: HTMLElementTagNameMap['vscode-textfield'];
  private readonly filterMode: HTMLElementTagNameMap['vscode-badge'];
  /** The text-search toggle inside the filter field, as VS Code's find widget has its options. */
  private readonly textToggle: HTMLElementTagNameMap['vscode-toolbar-button'];
  private readonly filterBusy: HTMLElement;
  /** "Filtering… 45%" */
  private readonly filterProgress: HTMLElement;
  private readonly filterMessage: HTMLElement;
  /** Field names offered as the filter is typed. */
  private readonly completion: FilterCompletion;
  private checkSeq = 0;
  private readonly followButton: Button;
  private readonly autoScroll: HTMLElementTagNameMap['vscode-checkbox'];
  private readonly fieldInfo: HTMLElement;
  private readonly markedCounter: { item: HTMLElement; value: HTMLElement };
  private readonly ignoredCounter: { item: HTMLElement; value: HTMLElement };
  private readonly notice: HTMLElement;
  private readonly noticeText: HTMLElement;

  private filterSeq = 0;
  private appliedFilter: string;
  private textSearch: boolean;
  private detailSeq = 0;
  private detail: PacketDetail | undefined;
  /** The filter bar's text applied a moment after typing stops (Enter: at once). */
  private readonly applyTyped = debounce(() => void this.applyFilter(this.filterField.value), DISPLAY_FILTER_DELAY_MS);

  constructor(
    private readonly transport: HostTransport,
    initial: PanelState,
    private readonly store: UiStore,
  ) {
    this.state = initial;
    this.appliedFilter = initial.displayFilter;
    this.textSearch = initial.textSearch === true;
    this.ui = store.load();
    const saveUi = debounce(() => this.store.save(this.ui), 200);

    this.cache = new RowCache(
      (start, count) => this.transport.request('getRows', { start, count }),
      () => this.table.refresh(),
      (e) => this.showNotice(`Could not load rows: ${messageOf(e)}`),
    );
    this.table = new PacketTable(
      this.cache,
      {
        select: (index, how) => this.rowSelected(index, how),
        open: (index) => void this.openDetail(index),
        followChange: (following) => {
          this.autoScroll.checked = following;
        },
        followTail: (rows) => this.transport.followTail(rows),
        selectionMoved: (index) => {
          if (this.detailIndex >= 0) this.detailIndex = index;
          this.updateFollowButton();
        },
        columnsChange: (widths) => {
          this.ui.columnWidths = widths;
          saveUi();
          // Also the workspace's, for its next captures (this editor keeps its own in its state).
          void this.transport
            .request('saveColumnWidths', { widths: widths as Record<string, number> })
            .catch((e: unknown) => this.showNotice(`Could not keep the column widths: ${messageOf(e)}`));
        },
        sortBy: (column) => this.sortBy(column),
      },
      this.ui.columnWidths ?? initial.columnWidths,
    );

    this.hex = new HexView();
    this.ui.expanded ??= {};
    this.tree = new DetailTree(this.ui.expanded, {
      select: (node) => this.fieldSelected(node),
      expandedChange: () => saveUi(),
      goToPacket: (number) => void this.goToPacket(number),
    });
    this.tree.selectedKey = this.ui.selectedField;
    this.hex.onByteClick = (offset) => {
      if (!this.tree.selectAt(offset)) this.hex.setRange(offset, 1, false);
    };

    // ---- capture form and status bar
    this.form = new CaptureForm(transport, this.ui.formOpen ?? true, (open) => {
      this.ui.formOpen = open;
      saveUi();
    });
    this.form.onChange = () => this.updateButtons();
    this.startButton = button('Start', 'Start capturing', () => void this.start(), false);
    this.stopButton = button('Stop', 'Stop capturing', () => void this.stop());
    this.keepRunning = document.createElement('vscode-checkbox');
    this.keepRunning.toggle = true;
    this.keepRunning.label = 'Keep running when closed';
    this.keepRunning.title =
      'Closing this panel leaves the capture running in the background: the status bar shows it, and “Packet Capture: Stop Capture” stops it';
    this.keepRunning.classList.add('sb-keep');
    this.keepRunning.checked = initial.keepRunning === true;
    this.keepRunning.addEventListener('change', () => {
      this.transport
        .request('setKeepRunning', { keep: this.keepRunning.checked })
        .catch((e: unknown) => this.showNotice(messageOf(e)));
    });
    this.statusDot = h('span', { class: 'sb-dot', attrs: { 'aria-hidden': 'true' } });
    this.statusText = h('span', { class: 'sb-status' });
    this.statusMessage = h('span', { class: 'sb-message' });
    const counter = (label: string, title: string) => {
      const value = h('span', { class: 'sb-value', text: '0' });
      const item = h(
        'span',
        { class: 'sb-item', attrs: { title } },
        h('span', { class: 'sb-label', text: label }),
        value,
      );
      return { item, value };
    };
    const packets = counter('Packets', 'Packets received since the capture started');
    const shown = counter('Shown', 'Rows in the table (after the display filter)');
    const bytes = counter('Bytes', 'Bytes received');
    const rate = counter('Rate', 'Packets per second');
    const drops = counter('Drops', 'Packets the kernel dropped (the capture could not keep up)');
    const evicted = counter('Evicted', 'Oldest packets dropped to respect the capture’s limits');
    const marked = counter('Marked', 'Packets marked (Ctrl+M; Ctrl+Shift+N and Ctrl+Shift+B go to them)');
    marked.item.hidden = true;
    this.markedCounter = marked;
    const ignored = counter('Ignored', 'Packets ignored: decoded as frames alone (Ctrl+D; Ctrl+Alt+D unignores all)');
    ignored.item.hidden = true;
    this.ignoredCounter = ignored;
    this.counterEls = {
      packets: packets.value,
      shown: shown.value,
      bytes: bytes.value,
      rate: rate.value,
      drops: drops.value,
      evicted: evicted.value,
    };
    // Live-only counters: a file has no rate, drops or evictions.
    this.liveCounters = [rate.item, drops.item, evicted.item];
    const statusBar = h(
      'div',
      { class: 'status-bar', attrs: { role: 'status', 'aria-live': 'polite' } },
      h('span', { class: 'sb-buttons' }, this.startButton, this.stopButton, this.keepRunning),
      h('span', { class: 'sb-state' }, this.statusDot, this.statusText),
      h(
        'span',
        { class: 'sb-counters' },
        packets.item,
        shown.item,
        marked.item,
        ignored.item,
        bytes.item,
        rate.item,
        drops.item,
        evicted.item,
      ),
      this.podCounters.element,
      this.statusMessage,
    );

    // ---- display filter toolbar
    this.filterField = document.createElement('vscode-textfield');
    this.filterField.value = initial.displayFilter;
    this.filterField.classList.add('tb-filter');
    this.textToggle = document.createElement('vscode-toolbar-button');
    this.textToggle.toggleable = true;
    this.textToggle.textContent = 'Aa';
    this.textToggle.title = 'Search packet text (Aa)';
    this.textToggle.label = 'Search packet text';
    this.textToggle.slot = 'content-after';
    this.textToggle.classList.add('tb-text-toggle');
    this.filterField.append(this.textToggle);
    this.showTextSearch();
    this.filterMode = document.createElement('vscode-badge');
    this.filterMode.classList.add('tb-mode');
    this.filterMode.hidden = true;
    this.filterProgress = h('span', { class: 'tb-busy-text', text: 'Filtering…' });
    const stopFilter = document.createElement('vscode-toolbar-button');
    stopFilter.textContent = 'Stop';
    stopFilter.label = 'Stop filtering: show every packet (the filter stays in the bar)';
    stopFilter.title = stopFilter.label;
    stopFilter.classList.add('tb-busy-stop');
    stopFilter.addEventListener('click', () => this.stopFiltering());
    this.filterBusy = h(
      'span',
      { class: 'tb-busy' },
      document.createElement('vscode-progress-ring'),
      this.filterProgress,
      stopFilter,
    );
    this.filterBusy.hidden = true;
    this.filterMessage = h('div', { class: 'tb-message', attrs: { role: 'alert' } });
    this.filterMessage.hidden = true;
    const applyLater = this.applyTyped;
    const typed = () => {
      applyLater();
      if (this.textSearch) return;
      void this.completion.update();
      void this.checkAsTyped();
    };
    this.completion = new FilterCompletion(
      this.filterField,
      (prefix) => this.transport.request('completeField', { prefix }),
      typed,
    );
    this.filterField.addEventListener('input', typed);
    this.filterField.addEventListener('focusout', () => this.completion.close());
    const setTextSearch = (on: boolean) => {
      this.textSearch = on;
      this.showTextSearch();
      applyLater();
      applyLater.flush();
    };
    this.textToggle.addEventListener('change', () => setTextSearch(this.textToggle.checked));
    this.filterField.addEventListener('keydown', (e) => {
      if (this.completion.handleKey(e)) return;
      if (e.key === 'Enter') {
        // What the bar holds, typed or prepared ("Prepare as Filter"), applies now.
        if (this.filterField.value !== this.appliedFilter) applyLater();
        applyLater.flush();
      } else if (e.key === 'Escape' && this.filterField.value !== '') {
        this.filterField.value = '';
        applyLater();
        applyLater.flush();
      } else if (e.key === 'Escape' && this.textSearch) setTextSearch(false);
      else if (e.key === 'ArrowDown') this.table.focus();
    });
    // Find packet (Ctrl+F, Cmd+F on macOS) opens the filter bar's text search: one feature, two
    // doors. The key reaches this page because the panel's webview has no find widget
    // (enableFindWidget off); VS Code's own script only keeps the browser from finding too.
    // Ctrl+/ goes to the bar as it is, as Wireshark's key for its display filter does.
    document.addEventListener('keydown', (e) => {
      const find = isFindKey(e);
      if (!find && !isFilterBarKey(e)) return;
      e.preventDefault();
      if (find && !this.textSearch) setTextSearch(true);
      this.filterField.focus();
      this.filterField.wrappedElement.select(); // typing replaces what was there
    });
    this.followButton = button(
      'Follow Conversation',
      'Show only the selected packet’s conversation',
      () => void this.followConversation(),
    );
    this.autoScroll = document.createElement('vscode-checkbox');
    this.autoScroll.toggle = true;
    this.autoScroll.label = 'Auto-scroll';
    this.autoScroll.title = 'Keep the newest packets in view (scroll back to the bottom to resume)';
    // A live capture follows its tail; a file opens at its first packet.
    this.autoScroll.checked = initial.mode === 'live';
    this.table.setFollowing(initial.mode === 'live');
    this.autoScroll.addEventListener('change', () => this.table.setFollowing(this.autoScroll.checked));
    const save = button('Save…', 'Save the packets as pcapng or pcap', () => void this.run('saveCapture', {}));
    const wireshark = button(
      'Open in Wireshark',
      'Open the packets in Wireshark (live while capturing)',
      () => void this.run('openInWireshark', {}),
    );
    const statistics = button(
      'Conversations',
      'Statistics: the TCP and UDP conversations and endpoints, in a tab beside the capture',
      () => void this.run('showConversations', {}),
    );
    const ioGraph = button(
      'I/O Graph',
      'Statistics: packets or bytes over time, all and displayed, in a tab beside the capture',
      () => void this.run('showIoGraph', {}),
    );
    const hierarchy = button(
      'Protocols',
      'Statistics: the protocol hierarchy, in a tab beside the capture',
      () => void this.run('showProtocolHierarchy', {}),
    );
    const toolbar = h(
      'div',
      { class: 'toolbar' },
      h('div', { class: 'tb-filter-box' }, this.filterField, this.completion.element, this.filterMode, this.filterBusy),
      this.followButton,
      this.autoScroll,
      h('span', { class: 'tb-spacer' }),
      statistics,
      hierarchy,
      ioGraph,
      save,
      wireshark,
    );

    // ---- table and detail, split
    this.fieldInfo = h('div', { class: 'field-info' });
    const treePane = h('div', { class: 'pane tree-pane' }, this.tree.element);
    const hexPane = h('div', { class: 'pane hex-pane' }, this.hex.element, this.fieldInfo);
    const detailSplit = document.createElement('vscode-split-layout');
    detailSplit.split = 'vertical';
    detailSplit.classList.add('detail-split');
    detailSplit.initialHandlePosition = `${this.ui.detailSplit ?? 40}%`; // the hex pane needs ~70 columns
    detailSplit.minStart = '120px';
    detailSplit.minEnd = '120px';
    treePane.slot = 'start';
    hexPane.slot = 'end';
    detailSplit.append(treePane, hexPane);
    detailSplit.addEventListener('vsc-split-layout-change', (e) => {
      this.ui.detailSplit = Math.round(
        (e as CustomEvent<{ positionInPercentage: number }>).detail.positionInPercentage,
      );
      saveUi();
    });
    const mainSplit = document.createElement('vscode-split-layout');
    mainSplit.split = 'horizontal';
    mainSplit.classList.add('main-split');
    mainSplit.initialHandlePosition = `${this.ui.tableSplit ?? 58}%`;
    mainSplit.minStart = '80px';
    mainSplit.minEnd = '60px';
    const tablePane = h('div', { class: 'pane table-pane' }, this.table.element);
    tablePane.slot = 'start';
    detailSplit.slot = 'end';
    mainSplit.append(tablePane, detailSplit);
    mainSplit.addEventListener('vsc-split-layout-change', (e) => {
      if (e.target !== mainSplit) return;
      this.ui.tableSplit = Math.round((e as CustomEvent<{ positionInPercentage: number }>).detail.positionInPercentage);
      saveUi();
    });

    // ---- context menus (VS Code's: packet/context-menu.ts) and notices
    this.table.element.dataset.vscodeContext = OWN_MENUS;
    this.tree.element.dataset.vscodeContext = OWN_MENUS;
    this.noticeText = h('span', { class: 'notice-text' });
    const dismiss = h('button', {
      class: 'notice-close',
      text: '×',
      attrs: { type: 'button', 'aria-label': 'Dismiss' },
    });
    dismiss.addEventListener('click', () => (this.notice.hidden = true));
    this.notice = h('div', { class: 'notice', attrs: { role: 'alert' } }, this.noticeText, dismiss);
    this.notice.hidden = true;

    this.element = h(
      'div',
      { class: 'panel', attrs: { role: 'main', 'aria-label': 'Packet capture' } },
      this.form.element,
      statusBar,
      toolbar,
      this.filterMessage,
      mainSplit,
      this.notice,
    );

    transport.onEvent('state', (state) => this.setState(state));
    transport.onEvent('counters', (c) => this.setCounters(c));
    transport.onEvent('displayFilter', ({ text }) => this.hostFilter(text));
    transport.onEvent('goToPacket', ({ number }) => void this.goToPacket(number));
    transport.onEvent('marks', ({ numbers }) => this.marksChanged(numbers));
    transport.onEvent('ignored', ({ count }) => this.ignoredChanged(count));
    transport.onEvent('deepTree', (tree) => this.deepTreeArrived(tree));
    transport.onEvent('menuAction', ({ action, target }) => this.menuAction(action, target));
    this.setState(initial);
    this.updateFollowButton();
  }

  // ---- host events

  private setState(state: PanelState): void {
    const previous = this.state.status;
    this.state = state;
    this.table.setTimeFormat(state.timeFormat ?? 'relative');
    this.table.setCustomColumns(state.customColumns);
    this.table.setSort(state.sort, this.counters?.sorting === true);
    const live = state.mode === 'live';
    this.element.dataset.mode = state.mode;
    this.form.element.hidden = !live;
    this.startButton.hidden = this.stopButton.hidden = this.keepRunning.hidden = !live;
    this.keepRunning.checked = state.keepRunning === true;
    for (const item of this.liveCounters) item.hidden = !live;
    this.autoScroll.hidden = !live;
    this.form.setState(state);
    this.element.dataset.status = state.status;
    this.statusText.textContent = live ? STATUS_TEXT[state.status] : state.title;
    this.showStatusMessage();
    if (state.status === 'starting' && previous !== 'starting') this.newCapture();
    const textSearch = state.textSearch === true;
    if (
      (state.displayFilter !== this.appliedFilter || textSearch !== this.textSearch) &&
      document.activeElement !== this.filterField
    )
      this.hostFilter(state.displayFilter, textSearch);
    this.updateButtons();
    this.table.setEmptyText(this.emptyText());
  }

  private setCounters({ tail, ...c }: CountersEvent): void {
    const prev = this.counters;
    this.counters = c;
    // Packets 1..evicted are gone: the details of one of them go with it.
    const selected = this.selectedPacket();
    if (selected !== undefined && selected <= c.evicted)
      this.clearSelection('The selected packet was dropped to respect the capture’s limits.');
    if (prev) {
      if (c.generation !== prev.generation) {
        const evicted = c.evicted - prev.evicted;
        // Unfiltered view (every held packet is a row): eviction moved every index by `evicted`.
        if (evicted > 0 && prev.rows === prev.held && c.rows === c.held && c.received >= prev.received) {
          this.cache.shift(evicted);
          this.table.shift(evicted);
        } else {
          this.cache.invalidate();
          this.table.reselect();
        }
      } else if (c.rows < prev.rows || c.received < prev.received) {
        // Rows only grow within a generation: a new store (a new capture) started over.
        this.cache.invalidate();
        this.table.setSelected(-1);
      }
    }
    this.table.setRowCount(c.rows);
    // The newest rows, while following: drawn in this count's frame, with no request.
    if (tail) this.cache.take(tail);
    this.table.refresh();
    const e = this.counterEls;
    e.packets.textContent = formatCount(c.received);
    e.shown.textContent = formatCount(c.rows);
    e.bytes.textContent = formatBytes(c.bytes);
    e.rate.textContent = `${formatCount(c.packetsPerSecond)}/s`;
    e.drops.textContent = formatCount(c.kernelDrops);
    e.evicted.textContent = formatCount(c.evicted);
    e.drops.parentElement!.classList.toggle('warn', c.kernelDrops > 0);
    e.evicted.parentElement!.classList.toggle('warn', c.evicted > 0);
    this.podCounters.show(c.pods);
    this.table.setColumnShown('pod', c.pods !== undefined);
    this.table.setColumnShown('process', c.processes === true);
    this.filterBusy.hidden = !c.filtering;
    this.table.setSort(this.state.sort, c.sorting === true);
    setText(
      this.filterProgress,
      c.filterProgress === undefined ? 'Filtering…' : `Filtering… ${Math.round(c.filterProgress * 100)}%`,
    );
    this.showStatusMessage();
    this.table.setEmptyText(this.emptyText());
  }

  /** A header's click, as Wireshark's: ascending, then descending, then packet order again (No.
   *  starts descending: ascending is packet order). */
  private sortBy(column: ColumnId): void {
    const current = this.state.sort?.column === column ? this.state.sort : undefined;
    const next: SortOrder | undefined = !current
      ? { column, descending: column === 'number' }
      : !current.descending
        ? { column, descending: true }
        : undefined;
    this.requestSort(next);
  }

  /** Asks the host to sort the rows (undefined: packet order); the header shows it from the state. */
  private requestSort(sort: SortOrder | undefined): void {
    void this.transport
      .request('sortRows', sort ?? {})
      .catch((e: unknown) => this.showNotice(`Could not sort the packets: ${messageOf(e)}`));
  }

  /** The host set the display filter (a command, or Follow Conversation: an expression). */
  private hostFilter(text: string, textSearch = false): void {
    this.filterSeq++;
    if (this.filterField.value !== text) this.filterField.value = text;
    if (text === this.appliedFilter && textSearch === this.textSearch) return;
    this.appliedFilter = text;
    this.textSearch = textSearch;
    this.showTextSearch();
    this.filterField.invalid = false;
    this.filterMessage.hidden = true;
    this.filterMode.hidden = true;
    this.viewChanged(undefined, true);
  }

  private newCapture(): void {
    this.cache.invalidate();
    this.clearSelection();
    this.table.setFollowing(true);
  }

  // ---- capture

  private updateButtons(): void {
    const status = this.state.status;
    const canStart = status === 'idle' || status === 'stopped' || status === 'error';
    const params = this.form.params();
    this.startButton.disabled = !canStart || typeof params === 'string';
    this.startButton.title = !canStart
      ? 'A capture is running'
      : typeof params === 'string'
        ? params
        : 'Start capturing';
    this.stopButton.disabled = !(status === 'starting' || status === 'capturing');
  }

  private async start(): Promise<void> {
    const params = this.form.params();
    if (typeof params === 'string') {
      this.showNotice(params);
      return;
    }
    this.startButton.disabled = true;
    try {
      await this.transport.request('startCapture', params);
      this.form.collapse(); // room for the packets; the header still says what is captured
    } catch (e) {
      this.showNotice(`Could not start: ${messageOf(e)}`);
    }
    this.updateButtons();
  }

  private async stop(): Promise<void> {
    this.stopButton.disabled = true;
    try {
      await this.transport.request('stopCapture', {});
    } catch (e) {
      this.showNotice(`Could not stop: ${messageOf(e)}`);
    }
    this.updateButtons();
  }

  private async run(
    method: 'saveCapture' | 'openInWireshark' | 'showConversations' | 'showIoGraph' | 'showProtocolHierarchy',
    params: Record<string, never>,
  ): Promise<void> {
    try {
      await this.transport.request(method, params);
    } catch (e) {
      this.showNotice(messageOf(e));
    }
  }

  // ---- display filter

  private async applyFilter(text: string): Promise<void> {
    const seq = ++this.filterSeq;
    const previous = this.appliedFilter;
    this.appliedFilter = text;
    this.viewChanged();
    try {
      const result = await this.transport.request('setDisplayFilter', { text, textSearch: this.textSearch });
      if (seq !== this.filterSeq) return;
      this.filterField.invalid = false;
      this.filterMessage.hidden = true;
      this.filterMode.hidden = result.mode === 'none';
      this.filterMode.classList.remove('error');
      this.filterMode.textContent = FILTER_MODE_LABELS[result.mode].label;
      this.filterMode.title = FILTER_MODE_LABELS[result.mode].title;
      // Rows fetched while the host applied the filter may belong to either view: forget them.
      this.viewChanged(result.rows);
    } catch (e) {
      if (seq !== this.filterSeq) return;
      this.appliedFilter = previous; // the host kept the filter it had
      this.showFilterError(messageOf(e));
    }
  }

  /** Stops a filter still being applied: every packet shows again, and the filter stays in the
   *  bar, unapplied, for Enter to apply again. */
  private stopFiltering(): void {
    this.applyTyped.cancel();
    void this.applyFilter('');
  }

  private showFilterError(message: string): void {
    this.filterField.invalid = true;
    this.filterMode.hidden = false;
    this.filterMode.classList.add('error');
    this.filterMode.textContent = 'error';
    this.filterMessage.textContent = message;
    this.filterMessage.hidden = false;
  }

  /** Checks the filter as it is typed, nothing applied: a refused one turns the bar red at once
   *  with the host's message (Wireshark's own, for a filter naming a field only Wireshark knows). */
  private async checkAsTyped(): Promise<void> {
    const text = this.filterField.value;
    const seq = ++this.checkSeq;
    let check: DisplayFilterCheck;
    try {
      check = await this.transport.request('checkDisplayFilter', { text });
    } catch {
      return; // applying the filter says what is wrong
    }
    if (seq !== this.checkSeq || this.filterField.value !== text || this.textSearch || check.ok) return;
    this.showFilterError(check.error);
  }

  /** Follow Conversation, or Follow Stream (the host also opens the stream's tab): the table shows
   *  the row's conversation, and the filter bar the filter that selects it. */
  private async followConversation(
    index = this.table.selected,
    method: 'followConversation' | 'followStream' = 'followConversation',
  ): Promise<void> {
    if (index < 0) return;
    const seq = ++this.filterSeq;
    try {
      const result = await this.transport.request(method, { index });
      // The host also announces the filter as an event, which may come first: that is fine.
      if (seq !== this.filterSeq && this.appliedFilter !== result.filter) return;
      this.filterField.value = result.filter;
      this.appliedFilter = result.filter;
      this.textSearch = false;
      this.showTextSearch();
      this.filterField.invalid = false;
      this.filterMessage.hidden = true;
      this.filterMode.hidden = false;
      this.filterMode.classList.remove('error');
      this.filterMode.textContent = 'expression';
      this.table.setFollowing(false);
      this.viewChanged(result.rows);
    } catch (e) {
      this.showNotice(messageOf(e));
    }
  }

  /** The toggle, the placeholder and the field's name say which mode the filter bar is in. */
  private showTextSearch(): void {
    this.textToggle.checked = this.textSearch; // its button is a switch: aria-checked says on or off
    this.filterField.placeholder = this.textSearch
      ? 'Search packet text: Source, Destination, Protocol and Info'
      : 'Display filter: tcp.port == 443, ip.addr == 10.0.0.1, dns … (Aa: search packet text)';
    this.filterField.setAttribute('aria-label', this.textSearch ? 'Search packet text' : 'Display filter');
  }

  /**
   * The view's rows are different now: forget cached rows, place the scroll. `applied`: the host
   * holds the new view (its answer or event came), so the selected packet's new row can be asked.
   */
  private viewChanged(rows?: number, applied = rows !== undefined): void {
    this.cache.invalidate();
    this.table.reselect();
    if (applied) void this.relocateSelection();
    if (rows !== undefined) {
      this.table.setRowCount(rows);
      // The Shown counter and the table change together: never a filtered table beside the old count.
      this.counterEls.shown.textContent = formatCount(rows);
    }
    if (!this.table.following) this.table.scrollToTop();
    this.table.refresh();
    this.updateFollowButton();
    this.table.setEmptyText(this.emptyText());
  }

  // ---- selection and detail

  private detailIndex = -1;
  private readonly loadDetail = debounce((index: number) => void this.fetchDetail(index), KEYBOARD_DETAIL_DELAY_MS);

  private relocateSeq = 0;
  /** The selection the host was last told of. */
  private toldSelection: number | undefined;

  /** After the view changed: the selected packet stays selected at its new row, in view unless the
   *  table follows the tail (as Wireshark does), or, when the view no longer holds it, goes. */
  private async relocateSelection(): Promise<void> {
    const number = this.selectedPacket();
    if (number === undefined) return;
    const seq = ++this.relocateSeq;
    try {
      const { row, rows } = await this.transport.request('rowOf', { number });
      if (seq !== this.relocateSeq || this.selectedPacket() !== number) return; // a newer view or selection
      if (row === null) {
        this.clearSelection('The selected packet is not in this view.');
        return;
      }
      if (rows > this.table.rowCount) this.table.setRowCount(rows);
      this.table.selectPacket(row, number, !this.table.following);
      this.detailIndex = row;
      this.updateFollowButton();
    } catch (e) {
      this.showNotice(`Could not find the selected packet in the new view: ${messageOf(e)}`);
    }
  }

  /** "Go to Linked Packet": packet `number` selected and in view, with its detail; when the view
   *  does not hold it (filtered out, evicted), a notice says so and the selection stays. */
  private async goToPacket(number: number): Promise<void> {
    try {
      const { row, rows } = await this.transport.request('rowOf', { number });
      if (row === null) {
        this.showNotice(`Packet ${number} is not in this view (the display filter hides it, or it was evicted).`);
        return;
      }
      if (rows > this.table.rowCount) this.table.setRowCount(rows);
      this.table.selectPacket(row, number, true);
      this.tellSelection(number);
      this.updateFollowButton();
      this.loadDetail.cancel();
      await this.fetchDetail(row);
    } catch (e) {
      this.showNotice(`Could not go to packet ${number}: ${messageOf(e)}`);
    }
  }

  private selectedPacket(): number | undefined {
    return this.table.selectedPacket ?? this.detail?.number;
  }

  /** No packet selected: the tree and bytes say so with `placeholder` (why the packet went). */
  private clearSelection(placeholder?: string): void {
    this.table.setSelected(-1);
    this.loadDetail.cancel();
    this.detailSeq++; // a detail still on its way is for a packet no longer shown
    this.detail = undefined;
    this.detailIndex = -1;
    this.tree.clear(placeholder);
    this.hex.setBytes(new Uint8Array(0));
    this.fieldInfo.textContent = '';
    this.updateFollowButton();
    this.tellSelection(undefined);
  }

  /** The host keeps the selection too: "Save Capture As…" → Selected writes it. */
  private tellSelection(number: number | undefined): void {
    if (number === this.toldSelection) return;
    this.toldSelection = number;
    this.transport
      .request('selectPacket', number === undefined ? {} : { number })
      .catch((e: unknown) => this.showNotice(`Could not select the packet: ${messageOf(e)}`));
  }

  private rowSelected(index: number, how: 'pointer' | 'keyboard'): void {
    if (this.cache.row(index)?.marker) {
      this.markerSelected(index, how === 'pointer');
      return;
    }
    this.tellSelection(this.table.selectedPacket);
    this.updateFollowButton();
    if (how === 'pointer') {
      this.loadDetail.cancel();
      void this.fetchDetail(index);
    } else {
      this.loadDetail(index);
    }
  }

  /** A debugger marker's row: its source line opens in the editor; it has no packet detail. */
  private markerSelected(index: number, open: boolean): void {
    this.loadDetail.cancel();
    this.detailSeq++;
    this.detail = undefined;
    this.tellSelection(undefined); // Save → Selected: no packet
    this.tree.clear('A debugger marker: it opens where the code paused.');
    this.hex.setBytes(new Uint8Array(0), '');
    if (open) this.openMarker(index);
  }

  /** A click, Enter or a double click on a marker opens its line; moving over it with the keys does not. */
  private openMarker(index: number): void {
    if (!opensSource(this.cache.row(index))) return;
    this.transport
      .request('openMarker', { index })
      .catch((e: unknown) => this.showNotice(`Could not open the source: ${messageOf(e)}`));
  }

  /** Enter or a double click: the packet's detail, with the keyboard in its tree. */
  private async openDetail(index: number): Promise<void> {
    if (this.cache.row(index)?.marker) {
      this.openMarker(index);
      return;
    }
    this.loadDetail.cancel();
    if (this.detail === undefined || this.detailIndex !== index) await this.fetchDetail(index);
    if (this.table.selected === index) this.tree.focus();
  }

  private async fetchDetail(index: number): Promise<void> {
    const seq = ++this.detailSeq;
    this.detailIndex = index;
    try {
      const detail = await this.transport.request('getDetail', { index });
      if (seq !== this.detailSeq) return;
      this.detail = detail;
      this.hex.setBytes(decodeBase64(detail.bytes));
      this.fieldInfo.textContent = '';
      this.tree.show(detail);
    } catch (e) {
      if (seq !== this.detailSeq) return;
      this.detail = undefined;
      this.tree.clear(messageOf(e));
      this.hex.setBytes(new Uint8Array(0), '');
      this.fieldInfo.textContent = '';
    }
  }

  /** Wireshark's tree of the packet shown replaces ours in place (the same bytes, so the hex view
   *  highlights its nodes too); without Wireshark, a quiet line says what it would add. */
  private deepTreeArrived({ number, layers, note }: DeepTreeEvent): void {
    const detail = this.detail;
    if (!detail || detail.number !== number) return; // another packet is shown by now
    if (layers) {
      this.detail = { ...detail, decoded: { ...detail.decoded, layers, problems: [] } };
      this.tree.show(this.detail);
    }
    if (note) this.tree.showNote(note);
  }

  private fieldSelected(node: TreeNode | undefined): void {
    this.ui.selectedField = node?.key;
    if (!node) {
      this.hex.setRange(0, 0);
      this.fieldInfo.textContent = '';
      return;
    }
    this.hex.setRange(node.offset, node.length);
    const name = node.key.includes('/') ? node.key.slice(node.key.indexOf('/') + 1).replace(/#\d+$/, '') : node.key;
    const bytes =
      node.length === 0
        ? 'no bytes'
        : node.length === 1
          ? `byte ${node.offset} (1 byte)`
          : `bytes ${node.offset}–${node.offset + node.length - 1} (${node.length} bytes)`;
    this.fieldInfo.textContent = `${name} · ${bytes}`;
  }

  /** The host's marks changed: the rows and the Marked counter (shown while a packet is marked). */
  private marksChanged(numbers: number[]): void {
    this.table.setMarked(numbers);
    this.markedCounter.value.textContent = numbers.length.toLocaleString('en-US');
    this.markedCounter.item.hidden = numbers.length === 0;
  }

  /** Packets were ignored or unignored: every packet was dissected again, so the detail shown is
   *  read again (the rows are, with the new generation); the Ignored counter while any is. */
  private ignoredChanged(count: number): void {
    this.ignoredCounter.value.textContent = count.toLocaleString('en-US');
    this.ignoredCounter.item.hidden = count === 0;
    if (this.detail !== undefined && this.table.selected >= 0) void this.fetchDetail(this.table.selected);
  }

  private updateFollowButton(): void {
    this.followButton.disabled = this.table.selected < 0;
  }

  // ---- context menus

  /** An item of a context menu was chosen (VS Code's menu, handed on by the host): do it on what
   *  the menu was opened on. */
  private menuAction(action: MenuAction, target: MenuTarget): void {
    switch (target.webviewSection) {
      case 'row':
        this.rowMenuAction(action, target.row, target.column);
        break;
      case 'node': {
        const node = this.tree.menuNode(target.packet, target.node);
        if (node) this.nodeMenuAction(action, node);
        else this.showNotice('Another packet is shown now: open the menu on its tree again.');
        break;
      }
      case 'header':
        this.headerMenuAction(action, target.column);
        break;
    }
  }

  /** A row's item; `column`: the cell right-clicked, whose value Apply/Prepare as Filter use. */
  private rowMenuAction(action: MenuAction, index: number, column: ColumnId | undefined): void {
    this.table.focus();
    const use = filterUse(action);
    if (use) {
      if (column)
        void this.cellFilter(index, column).then(
          (filter) =>
            filter ? this.useFilter(filter, use.how, use.apply) : this.showNotice('This cell gives no filter.'),
          (e: unknown) => this.showNotice(messageOf(e)),
        );
    } else if (action === 'mark' || action === 'ignore')
      void this.transport
        .request(action === 'mark' ? 'markPacket' : 'ignorePacket', { index })
        .catch((e: unknown) => this.showNotice(messageOf(e)));
    else if (action === 'follow') void this.followConversation(index);
    else if (action === 'followStream') void this.followConversation(index, 'followStream');
    else if (action === 'details') void this.openDetail(index);
    else if (action === 'copy') {
      const row = this.cache.row(index);
      if (row) this.copy(rowText(row));
    }
  }

  private nodeMenuAction(action: MenuAction, node: TreeNode): void {
    if (action === 'goto') {
      if (node.link !== undefined) void this.goToPacket(node.link);
    } else if (action === 'column') {
      if (node.name)
        void this.transport
          .request('applyAsColumn', { field: node.name })
          .catch((e: unknown) => this.showNotice(`Could not add the column: ${messageOf(e)}`));
    } else if (action.startsWith('copy:')) {
      const text = copiedText(node, action.slice('copy:'.length), this.hex.packetBytes);
      if (text === undefined) this.showNotice('This node has nothing of that kind to copy.');
      else this.copy(text);
    } else {
      const use = filterUse(action);
      if (use && node.filter !== undefined) this.useFilter(node.filter, use.how, use.apply);
    }
  }

  /** The filter of a row's cell, as Wireshark's Apply as Filter on the packet list makes it: the
   *  first the cell may stand for that selects the row's packet (its detail, decoded). */
  private async cellFilter(index: number, column: ColumnId): Promise<string | undefined> {
    const row = this.cache.row(index);
    if (!row) return undefined;
    const custom = customColumnIndex(column);
    const field = custom === undefined ? undefined : this.state.customColumns?.[custom]?.field;
    const candidates = cellFilters(column, cellText(row, column, this.state.timeFormat ?? 'relative'), field);
    if (candidates.length === 0) return undefined;
    const detail =
      this.detail?.number === row.number ? this.detail : await this.transport.request('getDetail', { index });
    const meta = { number: detail.number, length: detail.length, pod: parsePodInterfaceName(detail.interfaceName) };
    return candidates.find((filter) => compileDisplayFilter(filter).match(detail.decoded, meta));
  }

  /** Sort either way or not (Wireshark's header menu), or remove a custom column. */
  private headerMenuAction(action: MenuAction, column: ColumnId): void {
    this.table.focus();
    const index = customColumnIndex(column);
    if (action === 'remove' && index !== undefined) {
      void this.transport
        .request('removeColumn', { index })
        .catch((e: unknown) => this.showNotice(`Could not remove the column: ${messageOf(e)}`));
    } else if (action === 'ascending' || action === 'descending') {
      this.requestSort({ column, descending: action === 'descending' });
    } else if (action === 'none') {
      this.requestSort(undefined);
    }
  }

  /** The clipboard is the host's: a page may write it only right after a click in it. */
  private copy(text: string): void {
    void this.transport
      .request('copyText', { text })
      .catch((e: unknown) => this.showNotice(`Could not copy: ${messageOf(e)}`));
  }

  /**
   * "Apply as Filter" / "Prepare as Filter": the node's filter, combined with the bar's text as
   * `how` says, goes into the bar; applied as typing and Enter would, or left for the user to edit
   * and apply. The bar reads it as an expression (a text search is turned off).
   */
  private useFilter(selected: string, how: FilterCombination, apply: boolean): void {
    const text = combineFilters(this.textSearch ? '' : this.filterField.value, selected, how);
    this.applyTyped.cancel();
    this.filterField.value = text;
    if (this.textSearch) {
      this.textSearch = false;
      this.showTextSearch();
    }
    if (apply) {
      void this.applyFilter(text);
      this.tree.focus();
    } else {
      this.filterField.focus();
    }
  }

  private showNotice(text: string): void {
    this.noticeText.textContent = text;
    this.notice.hidden = false;
  }

  /** A file that gave no packets says why in the empty table, where the user looks; else the status bar does. */
  private fileMessageInTable(): boolean {
    return this.state.mode === 'file' && this.state.message !== undefined && (this.counters?.held ?? 0) === 0;
  }

  private showStatusMessage(): void {
    this.statusMessage.textContent = this.fileMessageInTable() ? '' : (this.state.message ?? '');
    this.statusMessage.classList.toggle('error', this.state.status === 'error');
  }

  private emptyText(): string {
    if (this.counters?.filtering) return 'Applying the display filter…';
    if (this.appliedFilter && (this.counters?.held ?? 0) > 0) return 'No packets match the display filter.';
    if (this.fileMessageInTable()) return this.state.message ?? '';
    if (this.state.mode === 'file')
      return this.state.status === 'idle' ? 'Reading the file…' : 'The file holds no packets.';
    switch (this.state.status) {
      case 'starting':
        return 'Starting the capture…';
      case 'capturing':
        return 'Waiting for packets…';
      case 'error':
        return 'The capture failed: see the message above.';
      default:
        return 'No packets yet: choose interfaces and press Start.';
    }
  }
}

/** Find (Ctrl+F, or Cmd+F on macOS): the key VS Code's webview script treats as find. */
function isFindKey(e: KeyboardEvent): boolean {
  return (e.ctrlKey || e.metaKey) && !e.altKey && !e.shiftKey && e.key.toLowerCase() === 'f';
}

/** Wireshark's key to the display filter bar: Ctrl+/ (Cmd+/ on macOS). */
function isFilterBarKey(e: KeyboardEvent): boolean {
  return (e.ctrlKey || e.metaKey) && !e.altKey && !e.shiftKey && e.key === '/';
}

function rowText(row: Row): string {
  return [row.number, row.time.toFixed(6), row.source, row.destination, row.protocol, row.length, row.info].join('\t');
}

export function mountPanel(root: HTMLElement, transport: HostTransport, initial: PanelState, store: UiStore): Panel {
  const panel = new Panel(transport, initial, store);
  root.replaceChildren(panel.element);
  transport.ready();
  return panel;
}
