// The host side of one capture panel: a packet store, its view, optionally a live capture, and the
// message contract with the webview (packet/protocol.ts). The host pushes small events ("count is
// now N" as packets arrive, one per frame the webview draws: counter-flow.ts, with the newest rows
// while the table follows the tail); the webview pulls the other rows it shows and one packet's
// detail.
import type * as vscode from 'vscode';
import type { ColoringRules } from '../../packet/coloring-rules.js';
import type { MenuAction, MenuTarget } from '../../packet/context-menu.js';
import { type FollowProtocol, streamFilter } from '../../packet/decode/follow.js';
import { summarizePacket } from '../../packet/decode/index.js';
import type { DecodedPacket } from '../../packet/decode/types.js';
import type { DecodeAsRule } from '../../packet/decode-as.js';
import type { DisplayFilterError } from '../../packet/display-filter.js';
import type { DisplayFilterCheck, FieldCompletion } from '../../packet/filter-fields.js';
import type { HierarchyRow } from '../../packet/hierarchy-protocol.js';
import {
  type CaptureChoice,
  type CaptureFilterCheck,
  type CaptureStatus,
  type ColumnWidthsByName,
  type CounterUpdate,
  type CustomColumn,
  checkWebviewMessage,
  customColumnIndex,
  type DeepTreeEvent,
  type HostEvents,
  type HostMessage,
  type PacketDetail,
  type PanelState,
  type RequestHandlers,
  type Row,
  type SortOrder,
  type StartParams,
  type WebviewMessage,
} from '../../packet/protocol.js';
import type { ConversationRow } from '../../packet/statistics-protocol.js';
import type { TimeFormat } from '../../packet/time-format.js';
import type { PcapngExtras } from '../capture/capture-writer.js';
import { LiveCapture } from '../capture/live-capture.js';
import { type MarkerLayout, markedTableRows, timedView } from '../debug/marker-rows.js';
import { markerText, nowNs } from '../debug/markers.js';
import type { AddressProtocol } from '../store/address-conversations.js';
import { PacketStore, type StoreLimits } from '../store/packet-store.js';
import {
  type FilterMode,
  PacketView,
  routeDisplayFilter,
  type WiresharkFilterStart,
  WorkerFilterRunner,
} from '../store/packet-view.js';
import type { CaptureRequest, CaptureTarget } from '../targets/target.js';
import { conversationFilter } from './conversation.js';
import { CounterFlow } from './counter-flow.js';
import { panelHtml, webviewRoot } from './html.js';
import type { CaptureEvent } from './io-graph-panel.js';
import { captureContents, packetDetail, tableRows } from './table-rows.js';

/** Which packets "Save Capture As…" writes, as Wireshark's Export Specified Packets. */
export type ExportScope = 'all' | 'displayed' | 'marked' | 'selected';

export interface PanelSettings {
  limits: StoreLimits;
  snaplen: number;
  /** Name each packet's process where the host can (packetCapture.processes). */
  processes: boolean;
  /** The Time column's format (packetCapture.timeFormat). */
  timeFormat: TimeFormat;
  /** The table's column widths last set in this workspace (none: the defaults). */
  columnWidths?: ColumnWidthsByName;
  /** The table's custom columns (packetCapture.columns). */
  customColumns: CustomColumn[];
}

export interface PanelHost {
  extensionUri: vscode.Uri;
  targets(): CaptureTarget[];
  /** Asks for user@host[:port]; the new target, or undefined when cancelled. */
  addSshHost(): Promise<CaptureTarget | undefined>;
  /** Forgets an SSH host added with addSshHost; an error says why not (one from the SSH config, in use). */
  removeSshHost(id: string): Promise<void>;
  settings(): PanelSettings;
  /** A capture filter as the agents will read it (libpcap), or libpcap's message. */
  checkCaptureFilter(filter: string): CaptureFilterCheck;
  /** Before a new capture replaces the packets of `panel`: true to go on (saved, or the user chose to
   *  discard them), false to keep them and not start. */
  confirmReplace(panel: CapturePanel): Promise<boolean>;
  /** Asks which packets and where, writes them; the count written, undefined when cancelled or failed. */
  save(panel: CapturePanel, format?: 'pcapng' | 'pcap'): Promise<number | undefined>;
  openInWireshark(panel: CapturePanel): Promise<void>;
  /** Puts text on the clipboard (a context menu's Copy). */
  copyText(text: string): Promise<void>;
  onDidChangeCapture(panel: CapturePanel): void;
  /** The panel's webview closed (its tab, or its window); the capture may go on without it. */
  onDidClosePanel(panel: CapturePanel): void;
  /** The panel's webview became the active editor. */
  onDidFocusPanel(panel: CapturePanel): void;
  /** A line for the Packet Capture output channel. */
  log(line: string): void;
  /** Opens a source line in the editor (a debugger marker's). */
  openSource?(file: string, line: number): Promise<void>;
  /**
   * A display filter our engine refused with an unknown name (`refused`), judged by Wireshark's
   * tshark instead: checked by tshark first, it throws tshark's message (or `refused`, saying
   * Wireshark was not found) when tshark cannot judge it.
   */
  wiresharkFilter(store: PacketStore, text: string, refused: DisplayFilterError): Promise<WiresharkFilterStart>;
  /** Decode As (packetCapture.decodeAs): how ports decode, for our decoders and Wireshark's. */
  readonly decodeAs: DecodeAsRule[];
  /** The colouring rules rows are drawn with (undefined: not coloured). */
  readonly coloring: ColoringRules | undefined;
  /** Wireshark's tree of packet `number` (extension/dissect/), or the line saying it is missing;
   *  undefined when there is none. `wanted` says whether the panel still shows that packet. */
  deepTree?(panel: CapturePanel, number: number, wanted: () => boolean): Promise<DeepTreeEvent | undefined>;
  /** Display-filter names starting with `prefix`, ours and Wireshark's (extension/store/wireshark-fields.ts). */
  completeField(prefix: string): Promise<FieldCompletion[]>;
  /** The filter bar's verdict on a display filter as it is typed. */
  checkDisplayFilter(text: string): Promise<DisplayFilterCheck>;
  /** Opens Follow Stream's tab on a stream of this capture (`previousFilter`: the display filter
   *  the capture had before Follow applied the stream's). */
  followStream(panel: CapturePanel, protocol: FollowProtocol, stream: number, previousFilter: string): void;
  /** Opens Statistics → Conversations on this capture. */
  showConversations(panel: CapturePanel): void;
  /** Opens Statistics → I/O Graph on this capture. */
  showIoGraph(panel: CapturePanel): void;
  showProtocolHierarchy(panel: CapturePanel): void;
  /** Apply as Column: adds a column of `field` (packetCapture.columns); an error says why not. */
  applyAsColumn(field: string): Promise<void>;
  /** Removes the custom column at `index`. */
  removeColumn(index: number): Promise<void>;
  /** Keeps the table's column widths for this workspace's captures. */
  saveColumnWidths(widths: ColumnWidthsByName): Promise<void>;
}

/** Panels made so far in this extension host: each takes the next number as its id. */
let panelsMade = 0;

export class CapturePanel implements vscode.Disposable {
  /** Names this panel in its page, so a context menu's choice comes back to it. */
  readonly id = `panel${++panelsMade}`;
  store: PacketStore;
  view: PacketView;
  live?: LiveCapture;
  /** The file this capture was read from or last saved to (every packet held). */
  file?: vscode.Uri;
  /** The packet selected in the webview (its number), for Save → Selected. */
  selectedNumber?: number;
  /** The packets marked, by number (Wireshark's Mark Packet; no file keeps them, as in Wireshark). */
  private readonly marks = new Set<number>();
  /** Packets arrived since the capture started or was last saved whole. */
  unsaved = false;
  /** Debugger markers among the rows (extension/debug/), for a capture tied to a debug session. */
  markers?: MarkerLayout;
  /** What a saved pcapng carries besides the packets (markers as comments, TLS keys). */
  extras?: PcapngExtras;
  /** Adds what the capture knows beyond the bytes to a packet's detail (TLS keys held). */
  annotateDetail?: (decoded: DecodedPacket, number: number) => void;
  /** The webview showing this capture; none while a live capture runs in the background. */
  webviewPanel?: vscode.WebviewPanel;
  private state: PanelState;
  private ready = false;
  private readonly queued: HostMessage[] = [];
  /** Listeners on the current webview, dropped with it. */
  private webviewListeners: vscode.Disposable[] = [];
  private readonly counterFlow = new CounterFlow({
    compute: () => {
      this.view.refresh();
      return this.counters();
    },
    newestRows: (count) => this.rows(Math.max(0, this.tableRows - count), count),
    send: (counters) => {
      if (!this.webviewPanel || !this.ready) return false;
      this.emit('counters', counters);
      return true;
    },
    changed: () => this.host.onDidChangeCapture(this),
  });
  private rate = { at: Date.now(), received: 0, perSecond: 0 };
  private readonly packetListeners = new Set<() => void>();
  private readonly filterListeners = new Set<() => void>();
  private readonly dissectionListeners = new Set<() => void>();
  /** The capture's drop reports: when the kernel's count of lost packets grew, and by how much. */
  private dropReports: { timestampNs: bigint; count: number }[] = [];
  private disposed = false;
  /** Generations of the views this panel had before the current one: never reused. */
  private generationBase = 0;
  readonly onDidDispose: Promise<void>;

  private resolveDisposed: () => void = () => {};

  constructor(
    private readonly host: PanelHost,
    mode: PanelState['mode'],
    title: string,
    options: { keepRunning?: boolean } = {},
  ) {
    const settings = host.settings();
    const { limits } = settings;
    // A file is read from its start: keep its first packets rather than its last.
    this.store = new PacketStore(mode === 'file' ? { ...limits, whenFull: 'stop' } : limits);
    this.view = this.newView();
    this.state = {
      mode,
      title,
      status: 'idle',
      targets: host.targets().map((t) => t.info),
      displayFilter: '',
      timeFormat: settings.timeFormat,
      ...(settings.columnWidths ? { columnWidths: settings.columnWidths } : {}),
      ...(settings.customColumns.length > 0 ? { customColumns: settings.customColumns } : {}),
      ...(mode === 'live' ? { keepRunning: options.keepRunning === true } : {}),
    };
    this.onDidDispose = new Promise((resolve) => (this.resolveDisposed = resolve));
  }

  get mode(): PanelState['mode'] {
    return this.state.mode;
  }

  /** Shows this capture in `webviewPanel` (a new editor, or the same capture reopened from the background). */
  attach(webviewPanel: vscode.WebviewPanel): void {
    this.detach();
    this.webviewPanel = webviewPanel;
    const webview = webviewPanel.webview;
    webview.options = { enableScripts: true, localResourceRoots: [webviewRoot(this.host.extensionUri)] };
    webview.html = panelHtml(webview, this.host.extensionUri, this.state, this.id);
    this.webviewListeners = [
      webview.onDidReceiveMessage((m: unknown) => this.receive(m)),
      webviewPanel.onDidDispose(() => {
        this.detach();
        this.host.onDidClosePanel(this);
      }),
      webviewPanel.onDidChangeViewState((e) => {
        if (e.webviewPanel.active) this.host.onDidFocusPanel(this);
      }),
    ];
    this.host.onDidFocusPanel(this);
  }

  private detach(): void {
    for (const d of this.webviewListeners) d.dispose();
    this.webviewListeners = [];
    this.webviewPanel = undefined;
    this.ready = false;
    this.queued.length = 0; // a new webview gets the whole state when it is ready
    this.counterFlow.reset();
  }

  /** Whether the capture goes on when its panel closes (the panel's switch; the setting gives the default). */
  get keepRunning(): boolean {
    return this.state.keepRunning === true;
  }

  private newView(): PacketView {
    const view = new PacketView(this.store, new WorkerFilterRunner());
    view.decodeAs = this.host.decodeAs;
    view.coloring = this.host.coloring;
    view.markedNumbers = () => this.markedNumbers();
    view.onSorted = () => this.pushCounters();
    view.customColumns = this.host.settings().customColumns;
    if (this.state?.sort) view.setSort(this.state.sort);
    return view;
  }

  /** The Time column's format changed (packetCapture.timeFormat). */
  timeFormatChanged(format: TimeFormat): void {
    this.state.timeFormat = format;
    this.emit('state', this.state);
  }

  /** The custom columns changed (packetCapture.columns): the table gets them, the rows their texts;
   *  a sort by a custom column starts again (its field may be another). */
  customColumnsChanged(columns: CustomColumn[]): void {
    this.view.customColumns = columns;
    if (columns.length > 0) this.state.customColumns = columns;
    else delete this.state.customColumns;
    const sort = this.state.sort;
    if (sort && customColumnIndex(sort.column) !== undefined) this.sortRows(undefined);
    this.view.generation++; // rows drawn with the old columns are stale
    this.emit('state', this.state);
    this.rowsChanged();
  }

  /** The colouring rules changed: the rows are drawn anew with them. */
  coloringChanged(rules: ColoringRules | undefined): void {
    this.view.coloring = rules;
    this.view.generation++; // rows drawn with the old rules are stale
    this.rowsChanged();
  }

  /** The Decode As rules changed: every packet is dissected again (a port's protocol decides what
   *  the streams pass pairs), rows are read anew and the display filter judges again. */
  async decodeAsChanged(rules: DecodeAsRule[]): Promise<void> {
    this.view.decodeAs = rules;
    this.store.redissect();
    await this.redissected('after Decode As changed');
  }

  /** Every packet was dissected again: the rows, the sort, the display filter's rows and the
   *  statistics tabs read them anew. */
  private async redissected(why: string): Promise<void> {
    this.view.redissected();
    const text = this.view.filterText;
    if (text !== '')
      await this.applyDisplayFilter(text, this.view.textSearch).catch((e: Error) =>
        this.host.log(`Panel "${this.title}": the display filter "${text}" ${why}: ${e.message}`),
      );
    this.rowsChanged();
    for (const l of this.dissectionListeners) l();
  }

  get title(): string {
    return this.state.title;
  }

  get status(): CaptureStatus {
    return this.state.status;
  }

  /** Why the capture or file is in its status (shown in the panel). */
  get message(): string | undefined {
    return this.state.message;
  }

  /** The target of the capture running in this panel, while one runs. */
  get runningTarget(): string | undefined {
    const running = this.status === 'starting' || this.status === 'capturing' || this.status === 'stopping';
    return running ? this.state.capture?.target : undefined;
  }

  /** What the last capture started here captured (target, interfaces, filter); none for a file. */
  get captured(): StartParams | undefined {
    return this.state.capture;
  }

  /** What a command chose for the next capture, until one starts. */
  get chosen(): CaptureChoice | undefined {
    return this.state.chosen;
  }

  /** A capture runs in this panel: packets may still arrive. */
  get running(): boolean {
    return this.runningTarget !== undefined;
  }

  /** Subscribes to the packets being dissected again (Ignore Packet, Decode As); returns an
   *  unsubscribe function. */
  onDissection(listener: () => void): () => void {
    this.dissectionListeners.add(listener);
    return () => this.dissectionListeners.delete(listener);
  }

  /** Subscribes to display filter changes; returns an unsubscribe function. */
  onDisplayFilter(listener: () => void): () => void {
    this.filterListeners.add(listener);
    return () => this.filterListeners.delete(listener);
  }

  /** Statistics → Conversations for Ethernet, IPv4 or IPv6 (the workers decode every packet). */
  addressConversations(protocol: AddressProtocol): Promise<ConversationRow[]> {
    return this.view.addressConversations(protocol);
  }

  /** Statistics → Protocol Hierarchy of every packet held, or of `numbers` (the workers decode them). */
  protocolHierarchy(numbers?: Uint32Array): Promise<HierarchyRow[]> {
    return this.view.protocolHierarchy(numbers);
  }

  /** The display filter applied to the table ('' for none). */
  get displayFilter(): string {
    return this.view.filterText;
  }

  /** The packets the display filter shows, in packet order, once it has judged every packet held. */
  displayedNumbers(): Promise<Uint32Array> {
    return this.view.shownNumbers();
  }

  /** What happened during the capture besides packets: drop reports and the debugger's pauses. */
  events(): CaptureEvent[] {
    const markers: CaptureEvent[] = (this.markers?.timeline.markers ?? []).map((m) => ({
      timestampNs: m.timestampNs,
      kind: m.kind,
      label: markerText(m),
    }));
    const drops: CaptureEvent[] = this.dropReports.map(({ timestampNs, count }) => ({
      timestampNs,
      kind: 'drops',
      label: `${count.toLocaleString('en-US')} packet${count === 1 ? '' : 's'} dropped by the kernel`,
    }));
    return [...drops, ...markers].sort((a, b) =>
      a.timestampNs < b.timestampNs ? -1 : a.timestampNs > b.timestampNs ? 1 : 0,
    );
  }

  /** Subscribes to packet arrivals and the capture's end (Wireshark's live pipe); returns an unsubscribe function. */
  onPackets(listener: () => void): () => void {
    this.packetListeners.add(listener);
    return () => this.packetListeners.delete(listener);
  }

  // ---- messaging

  private post(message: HostMessage): void {
    if (!this.webviewPanel) return; // nobody is looking: the next webview starts from the whole state
    if (!this.ready) {
      this.queued.push(message);
      return;
    }
    void this.webviewPanel.webview.postMessage(message);
  }

  /** A context menu's item was chosen on this panel's page: the page does it. */
  menuAction(action: MenuAction, target: MenuTarget): void {
    this.emit('menuAction', { action, target });
  }

  private emit<E extends keyof HostEvents>(name: E, data: HostEvents[E]): void {
    this.post({ type: 'event', name, data } as HostMessage);
  }

  /** A message from the webview is data from a web page: only what fits the contract is acted on. */
  receive(raw: unknown): Promise<void> {
    const checked = checkWebviewMessage(raw);
    if (checked.ok) return this.onMessage(checked.message);
    this.host.log(`Panel "${this.title}": dropped a message that does not fit the protocol: ${checked.error}.`);
    return Promise.resolve();
  }

  private async onMessage(message: WebviewMessage): Promise<void> {
    if (message.type === 'ready') {
      this.ready = true;
      this.refreshTargets();
      for (const m of this.queued.splice(0)) void this.webviewPanel?.webview.postMessage(m);
      this.emit('state', this.state);
      this.counterFlow.reset();
      this.pushCounters();
      this.emit('marks', { numbers: this.markedNumbers() });
      this.emit('ignored', { count: this.store.ignoredCount });
      return;
    }
    if (message.type === 'countersShown') {
      this.counterFlow.shown();
      return;
    }
    if (message.type === 'followTail') {
      this.counterFlow.followTail(message.rows);
      return;
    }
    const handler = this.handlers[message.method] as (params: unknown) => unknown;
    try {
      const result = await handler(message.params);
      this.post({ type: 'response', id: message.id, result: result ?? null });
    } catch (e) {
      const error = e as Error & { code?: string };
      this.post({ type: 'response', id: message.id, error: { message: error.message, code: error.code } });
    }
  }

  private readonly handlers: RequestHandlers = {
    listInterfaces: ({ target }) => {
      this.refreshTargets();
      return this.target(target).listInterfaces();
    },
    startCapture: (params) => this.start(params),
    addSshHost: async () => {
      const target = await this.host.addSshHost();
      this.refreshTargets();
      return target?.info ?? null;
    },
    removeSshHost: async ({ target }) => {
      await this.host.removeSshHost(target);
      this.refreshTargets();
    },
    stopCapture: () => this.stop(),
    setKeepRunning: ({ keep }) => {
      if (this.state.mode !== 'live') throw new Error('Only a live capture can keep running without its panel.');
      this.state.keepRunning = keep;
      this.emit('state', this.state);
    },
    setCaptureFilter: async ({ filter }) => {
      this.refuseBadFilter(filter); // libpcap's message reaches the panel before the agent is asked
      if (!this.live) throw new Error('No capture is running.');
      await this.live.setFilter(filter);
      if (this.state.capture) this.state.capture = { ...this.state.capture, filter };
      this.emit('state', this.state);
    },
    getRows: ({ start, count }) => this.rows(start, count),
    getDetail: ({ index }) => {
      const detail = this.detail(index);
      // An ignored packet's tree is the frame alone: Wireshark's would be the same.
      if (this.store.ignored(detail.number)) this.deepTreeFor = undefined;
      else this.askDeepTree(detail.number, detail.decoded);
      return detail;
    },
    setDisplayFilter: ({ text, textSearch }) => this.applyDisplayFilter(text, textSearch),
    rowOf: async ({ number }) => {
      const row = await this.view.rowOf(number);
      return { row: row === undefined ? null : this.tableIndex(row), rows: this.tableRows };
    },
    selectPacket: ({ number }) => {
      this.selectedNumber = number;
    },
    followConversation: ({ index }) => {
      const filter = this.followFilter(this.view.numberAt(this.packetIndex(index)));
      const { rows } = this.setDisplayFilter(filter);
      this.emit('displayFilter', { text: filter });
      return { filter, rows };
    },
    followStream: ({ index }) => this.followStream(this.view.numberAt(this.packetIndex(index))),
    markPacket: ({ index }) => {
      const number = this.view.numberAt(this.packetIndex(index));
      if (number !== undefined) this.toggleMark(number);
    },
    ignorePacket: async ({ index }) => {
      const number = this.view.numberAt(this.packetIndex(index));
      if (number !== undefined) await this.toggleIgnore(number);
    },
    sortRows: ({ column, descending }) => this.sortRows(column && { column, descending: descending === true }),
    showConversations: () => this.host.showConversations(this),
    showIoGraph: () => this.host.showIoGraph(this),
    showProtocolHierarchy: () => this.host.showProtocolHierarchy(this),
    applyAsColumn: ({ field }) => this.host.applyAsColumn(field),
    removeColumn: ({ index }) => this.host.removeColumn(index),
    saveColumnWidths: ({ widths }) => this.host.saveColumnWidths(widths),
    completeField: ({ prefix }) => this.host.completeField(prefix),
    checkDisplayFilter: ({ text }) => this.host.checkDisplayFilter(text),
    validateCaptureFilter: ({ filter }) => this.host.checkCaptureFilter(filter),
    saveCapture: async ({ format }) => {
      await this.host.save(this, format);
    },
    openInWireshark: () => this.host.openInWireshark(this),
    copyText: ({ text }) => this.host.copyText(text),
    openMarker: async ({ index }) => {
      const slot = this.markersShown?.slot(index);
      const source = slot && 'marker' in slot ? slot.marker.source : undefined;
      if (!source) throw new Error('This row has no source line to open.');
      await this.host.openSource?.(source.path, source.line);
    },
  };

  private refuseBadFilter(filter: string): void {
    const check = this.host.checkCaptureFilter(filter);
    if (!check.ok) throw new Error(check.error);
  }

  /** Targets come and go (network namespaces, SSH hosts): the picker shows the current ones. */
  refreshTargets(): void {
    const targets = this.host.targets().map((t) => t.info);
    if (JSON.stringify(targets) === JSON.stringify(this.state.targets)) return;
    this.state.targets = targets;
    if (this.ready) this.emit('state', this.state);
  }

  private target(id: string): CaptureTarget {
    const target = this.host.targets().find((t) => t.info.id === id);
    if (!target) throw new Error(`Unknown capture target "${id}".`);
    return target;
  }

  // ---- rows and details

  rows(start: number, count: number): Row[] {
    const markers = this.markersShown;
    if (!markers) return tableRows(this.store, this.view, start, count);
    return markedTableRows(markers, this.store, this.view, start, count);
  }

  /** The debugger markers among the rows: they sit where their time falls, so only while the
   *  rows are in packet order. */
  private get markersShown(): MarkerLayout | undefined {
    return this.view.sortOrder ? undefined : this.markers;
  }

  /** The table's rows: the view's packets, and the debugger markers among them. */
  private get tableRows(): number {
    const markers = this.markersShown;
    return markers ? markers.rows(timedView(this.store, this.view)) : this.view.rows;
  }

  /** The view row shown at table row `index` (-1 for a marker's row). */
  private packetIndex(index: number): number {
    const slot = this.markersShown?.slot(index);
    return slot === undefined ? index : 'packetIndex' in slot ? slot.packetIndex : -1;
  }

  private tableIndex(viewIndex: number): number {
    const markers = this.markersShown;
    return markers ? markers.tableIndex(viewIndex) : viewIndex;
  }

  detail(index: number): PacketDetail {
    const number = this.view.numberAt(this.packetIndex(index));
    const detail = number === undefined ? undefined : packetDetail(this.store, number);
    if (!detail)
      throw new Error(`No packet at row ${index + 1}: it may have been dropped to respect the capture's limits.`);
    this.annotateDetail?.(detail.decoded, detail.number);
    return detail;
  }

  /** The packet whose detail the webview shows last, while Wireshark's tree of it is on its way. */
  private deepTreeFor?: number;

  /** Asks for Wireshark's tree of the packet just shown: our tree is already there, and the webview
   *  replaces it in place when this comes, if that packet is still the one shown. */
  private askDeepTree(number: number, ours: DecodedPacket): void {
    this.deepTreeFor = number;
    const wanted = () => this.deepTreeFor === number && !this.disposed && this.webviewPanel !== undefined;
    this.host.deepTree?.(this, number, wanted).then(
      (tree) => {
        if (!tree || !wanted()) return;
        // What this capture adds to a tree (a debug capture's 🔑) goes on Wireshark's too.
        if (tree.layers) this.annotateDetail?.({ ...ours, layers: tree.layers }, number);
        this.emit('deepTree', tree);
      },
      () => {}, // never an error: our tree stays
    );
  }

  /** The display filter that follows packet `number`'s conversation: its TCP or UDP stream as
   *  Wireshark follows it (the index tells a reused port's connections apart), any other
   *  conversation by its addresses. */
  private followFilter(number: number | undefined): string {
    if (number === undefined) throw new Error('This packet is no longer held.');
    const stream = this.store.streamOf(number);
    if (stream) return streamFilter(stream.protocol, stream.stream);
    const p = this.store.packet(number);
    const conversation = p && summarizePacket(p.linkType, p.data, p.originalLength).conversation;
    if (!conversation) throw new Error('This packet belongs to no conversation that can be followed.');
    return conversationFilter(conversation);
  }

  /**
   * Wireshark's Follow Stream on packet `number`: the table shows the packet's TCP or UDP stream,
   * and the stream's content opens in a tab of its own.
   */
  followStream(number: number | undefined): { filter: string; rows: number } {
    if (number === undefined) throw new Error('This packet is no longer held.');
    const stream = this.store.streamOf(number);
    if (!stream) throw new Error('This packet belongs to no TCP or UDP stream: there is no stream to follow.');
    const previous = this.view.textSearch ? '' : this.view.filterText;
    const filter = streamFilter(stream.protocol, stream.stream);
    const { rows } = this.setDisplayFilter(filter);
    this.emit('displayFilter', { text: filter });
    this.host.followStream(this, stream.protocol, stream.stream, previous);
    return { filter, rows };
  }

  /** Selects packet `number` in the webview, as Wireshark's Go to Packet (a notice says when the
   *  view does not show it). */
  goToPacket(number: number): void {
    this.emit('goToPacket', { number });
  }

  /** The packet the view shows next (`step` 1) or before (-1) packet `number` in its TCP or UDP
   *  stream, as Wireshark's Next/Previous Packet in Conversation; undefined when there is none. */
  async conversationNeighbour(number: number, step: 1 | -1): Promise<number | undefined> {
    const stream = this.store.streamOf(number);
    if (!stream) throw new Error('This packet belongs to no TCP or UDP conversation.');
    for (let n = number + step; n >= this.store.firstNumber && n <= this.store.lastNumber; n += step) {
      const other = this.store.streamOf(n);
      if (other?.protocol !== stream.protocol || other.stream !== stream.stream) continue;
      if ((await this.view.rowOf(n)) !== undefined) return n;
    }
    return undefined;
  }

  // ---- marks: Wireshark's Mark Packet, for the eye (the rows), frame.marked and Save → Marked

  /** Marks packet `number`, or unmarks it when marked. */
  toggleMark(number: number): void {
    if (!this.store.packet(number)) return;
    if (!this.marks.delete(number)) this.marks.add(number);
    this.emit('marks', { numbers: this.markedNumbers() });
  }

  /** Unmarks every packet. */
  unmarkAll(): void {
    this.marks.clear();
    this.emit('marks', { numbers: [] });
  }

  /** The marked packets the store still holds, ascending. */
  markedNumbers(): number[] {
    const first = this.store.firstNumber;
    for (const n of this.marks) if (n < first) this.marks.delete(n); // evicted
    return [...this.marks].sort((a, b) => a - b);
  }

  /** The marked packet the view shows next after (`step` 1) or before (-1) packet `number`, as
   *  Wireshark's Next / Previous Mark; undefined when there is none. */
  async markedNeighbour(number: number, step: 1 | -1): Promise<number | undefined> {
    const marked = this.markedNumbers();
    const ahead = step > 0 ? marked.filter((n) => n > number) : marked.filter((n) => n < number).reverse();
    for (const n of ahead) if ((await this.view.rowOf(n)) !== undefined) return n;
    return undefined;
  }

  // ---- ignored packets: Wireshark's Ignore Packet, decoded as frames alone, every packet dissected
  // again without them (PacketStore.setIgnored)

  /** Ignores packet `number`, or unignores it when ignored. */
  async toggleIgnore(number: number): Promise<void> {
    await this.setIgnored([number], !this.store.ignored(number));
  }

  /** Ignore All Displayed: every packet the view shows (once the display filter judged them all). */
  async ignoreDisplayed(): Promise<void> {
    await this.setIgnored(await this.view.shownNumbers(), true);
  }

  /** Unignores every packet. */
  async unignoreAll(): Promise<void> {
    await this.setIgnored(this.store.ignoredList(), false);
  }

  private async setIgnored(numbers: Iterable<number>, ignore: boolean): Promise<void> {
    if (!this.store.setIgnored(numbers, ignore)) return;
    this.emit('ignored', { count: this.store.ignoredCount });
    await this.redissected(`after packets were ${ignore ? '' : 'un'}ignored`);
  }

  /** Applies a display filter as if typed in the panel's filter bar (Follow Stream's Filter Out). */
  async showFilter(text: string): Promise<void> {
    await this.applyDisplayFilter(text);
    this.emit('displayFilter', { text });
  }

  /** Our engine's filter (or text search); throws DisplayFilterError and keeps the filter it had. */
  setDisplayFilter(text: string, textSearch = false): { mode: FilterMode; rows: number } {
    const mode = this.view.setFilter(text, textSearch);
    return this.filterApplied(mode);
  }

  /** The filter bar's filter: our engine's, or, for a field or syntax our engine does not know,
   *  Wireshark's (checked first: a filter it refuses keeps the rows as they were). */
  async applyDisplayFilter(text: string, textSearch = false): Promise<{ mode: FilterMode; rows: number }> {
    const mode = await routeDisplayFilter(this.view, text, textSearch, (wanted, refused) =>
      this.host.wiresharkFilter(this.store, wanted, refused),
    );
    return this.filterApplied(mode);
  }

  /** The table's sort (undefined: packet order). */
  get sortOrder(): SortOrder | undefined {
    return this.state.sort;
  }

  /** The table's custom columns. */
  get customColumns(): CustomColumn[] {
    return this.state.customColumns ?? [];
  }

  /** Sorts the rows by a column (undefined: packet order), for this capture and the next ones in
   *  this panel, as Wireshark keeps a sort across files. */
  sortRows(sort: SortOrder | undefined): void {
    if (sort) this.state.sort = sort;
    else delete this.state.sort;
    this.view.setSort(sort);
    this.emit('state', this.state);
    this.pushCounters();
  }

  private filterApplied(mode: FilterMode): { mode: FilterMode; rows: number } {
    this.state.displayFilter = this.view.filterText;
    this.state.textSearch = this.view.textSearch;
    this.pushCounters();
    for (const l of this.filterListeners) l();
    return { mode, rows: this.tableRows };
  }

  // ---- capture

  /** The file is read: its status and the one sentence about it (not a capture, damaged, empty). */
  fileRead(status: 'stopped' | 'error', message?: string): void {
    this.setStatus(status, message);
  }

  /** The packets "Save Capture As…" writes for `scope`, by number; undefined: every packet held. */
  async exportNumbers(scope: ExportScope): Promise<Uint32Array | undefined> {
    if (scope === 'all') return undefined;
    if (scope === 'displayed') return this.view.shownNumbers();
    if (scope === 'marked') return Uint32Array.from(this.markedNumbers());
    const selected = this.selectedPacket();
    return Uint32Array.from(selected === undefined ? [] : [selected]);
  }

  /** The selected packet's number while the store still holds it. */
  selectedPacket(): number | undefined {
    const n = this.selectedNumber;
    return n !== undefined && this.store.packet(n) ? n : undefined;
  }

  /** Fills the store from packets read elsewhere (a file), then refreshes the view. */
  loaded(): void {
    this.view.refresh();
    this.pushCounters();
    for (const l of this.packetListeners) l();
  }

  /**
   * A command chose what to capture next ("List Interfaces" → an interface): the form selects it,
   * ready to Start. False while a capture runs here (its form is locked).
   */
  choose(target: string, interfaces: string[]): boolean {
    if (this.runningTarget !== undefined) return false;
    this.refreshTargets();
    this.state.chosen = { target, interfaces, seq: (this.state.chosen?.seq ?? 0) + 1 };
    this.emit('state', this.state);
    return true;
  }

  /** Starts a capture; `attribution` restricts it to a process (a debug session's debuggee). */
  async start(params: StartParams, attribution: Pick<CaptureRequest, 'processes' | 'pid'> = {}): Promise<void> {
    if (this.live && (this.live.status === 'starting' || this.live.status === 'capturing')) {
      throw new Error('A capture is already running in this panel: stop it first.');
    }
    this.refreshTargets(); // an endpoint target may be new: the picker shows what is captured
    const target = this.target(params.target);
    if (params.interfaces.length === 0 && target.info.kind !== 'tcp') throw new Error('Choose at least one interface.');
    this.refuseBadFilter(params.filter); // libpcap's message reaches the panel before anything starts
    if (!(await this.host.confirmReplace(this))) return;
    const settings = this.host.settings();
    this.generationBase += this.view.generation + 1;
    this.view.dispose();
    this.store = new PacketStore(settings.limits);
    this.view = this.newView();
    this.selectedNumber = undefined;
    this.marks.clear();
    this.emit('marks', { numbers: [] });
    this.emit('ignored', { count: 0 });
    this.deepTreeFor = undefined;
    this.unsaved = false;
    this.file = undefined;
    this.markers = undefined;
    this.dropReports = [];
    this.extras = undefined;
    this.annotateDetail = undefined;
    if (this.state.displayFilter) this.view.setFilter(this.state.displayFilter, this.state.textSearch);
    this.rate = { at: Date.now(), received: 0, perSecond: 0 };
    this.state.capture = params;
    delete this.state.chosen; // the capture's own parameters say what the form shows from now on
    const live = new LiveCapture(
      target,
      {
        interfaces: params.interfaces,
        filter: params.filter,
        snaplen: params.snaplen ?? settings.snaplen,
        // Any host's kernel may lack what attribution needs: it then captures without, and says so.
        processesIfAvailable: settings.processes,
        ...attribution,
      },
      this.store,
      {
        onStatus: (status, message) => this.setStatus(status, message ?? this.limitMessage(status)),
        onPackets: () => {
          this.unsaved = true;
          this.pushCounters();
          for (const l of this.packetListeners) l();
        },
        onDrops: () => {
          this.noteDrops(live.kernelDrops);
          this.pushCounters();
        },
      },
    );
    this.live = live;
    this.pushCounters(); // the table empties now, not at the next tick
    await live.start();
  }

  /** The kernel's count of lost packets is now `total`: the growth is a drop report. */
  private noteDrops(total: number): void {
    const before = this.dropReports.reduce((n, r) => n + r.count, 0);
    if (total <= before) return;
    const count = total - before;
    this.dropReports.push({ timestampNs: nowNs(), count });
  }

  private limitMessage(status: CaptureStatus): string | undefined {
    if (status !== 'capturing' && status !== 'stopped') return undefined;
    if (this.store.evicted > 0)
      return `Oldest packets are being dropped to stay within the limits (${this.store.evicted.toLocaleString()} so far).`;
    return undefined;
  }

  async stop(): Promise<void> {
    await this.live?.stop();
  }

  private setStatus(status: CaptureStatus, message?: string): void {
    this.state.status = status;
    this.state.message = message;
    this.emit('state', this.state);
    this.host.onDidChangeCapture(this);
    // The end of the packets: a live pipe to Wireshark ends its stream then, and so does tshark's
    // judging of a display filter.
    if (status === 'stopped' || status === 'error') {
      this.view.endOfPackets();
      for (const l of this.packetListeners) l();
    }
  }

  counters(): CounterUpdate {
    const now = Date.now();
    if (now - this.rate.at >= 1000) {
      this.rate = {
        at: now,
        received: this.store.received,
        perSecond: ((this.store.received - this.rate.received) * 1000) / (now - this.rate.at),
      };
    }
    const filterProgress = this.view.filterProgress;
    return {
      rows: this.tableRows,
      generation: this.generationBase + this.view.generation + (this.markers?.shifts ?? 0),
      filtering: this.view.filtering,
      ...(this.view.sorting && { sorting: true as const }),
      ...(filterProgress !== undefined && { filterProgress }),
      held: this.store.held,
      received: this.store.received,
      bytes: this.store.bytes,
      packetsPerSecond: Math.round(this.live?.status === 'capturing' ? this.rate.perSecond : 0),
      kernelDrops: this.live?.kernelDrops ?? 0,
      evicted: this.store.evicted,
      ...captureContents(this.store),
    };
  }

  /** Rows other than packets changed (a debugger marker): the table hears of it as of new packets. */
  rowsChanged(): void {
    this.pushCounters();
  }

  /** The counters may have changed: the webview hears of it as soon as it drew the last ones. */
  private pushCounters(): void {
    this.counterFlow.update();
  }

  /** Ends the capture: its agent stops, its packets are let go. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.counterFlow.dispose();
    void this.live?.stop();
    this.view.dispose();
    this.detach();
    this.resolveDisposed();
  }
}
