// A scripted extension host for running the panel in a plain browser: the same HostTransport the
// real one implements, a store of N synthetic packets (a pure function of the packet number, so a
// million rows cost nothing), growing at a given rate to simulate a live capture, with evictions
// beyond a limit, display filters, conversations, and requests that answer after a latency and
// through structuredClone, as postMessage would.

import { coloringRuleOf, compileColoringRules, DEFAULT_COLORING_RULES } from '../../packet/coloring-rules.js';
import { itemTarget, MENU_ITEMS } from '../../packet/context-menu.js';
import { customColumnText } from '../../packet/custom-columns.js';
import { type CompiledDisplayFilter, compileDisplayFilter } from '../../packet/display-filter.js';
import {
  checkDisplayFilter,
  completeFields,
  type DisplayFilterCheck,
  type FieldCompletion,
} from '../../packet/filter-fields.js';
import { parsePodInterfaceName, podLabel } from '../../packet/k8s-pod.js';
import {
  formatProcessComments,
  type ProcessInfo,
  parseProcessComments,
  processLabel,
  processPod,
} from '../../packet/process-comment.js';
import type {
  CaptureFilterCheck,
  CaptureStatus,
  CounterUpdate,
  HostEvents,
  InterfaceInfo,
  PacketDetail,
  PanelState,
  PodCounters,
  RequestName,
  Requests,
  Row,
  StartParams,
} from '../../packet/protocol.js';
import { EventHub, type EventListener, type EventName, HostError, type HostTransport } from '../transport.js';
import { fakeMarkerRow } from './fake-markers.js';
import {
  CLIENTS,
  clientIp,
  detail,
  flowOf,
  row,
  searchableText,
  streamIndex,
  TEMPLATE_PROTOCOLS,
  TEMPLATES,
} from './packets.js';

/** Wireshark's default colouring rules, as the real host compiles them. */
const DEFAULT_RULES = compileColoringRules(DEFAULT_COLORING_RULES);

/** A request's answer, now or later (the capture filter check may ask the test's libpcap). */
type Handled<T> = T | Promise<T>;

export interface FakeOptions {
  /** Packets held at load. */
  rows: number;
  /** Packets appended per second while capturing. */
  rate: number;
  status: CaptureStatus;
  mode: 'live' | 'file';
  /** Milliseconds before a request is answered. */
  latency: number;
  /** Most packets held; older ones are evicted. */
  limit: number;
  /** Milliseconds between counter pushes. */
  tick: number;
  /** How long applying a display filter takes (ms), its progress reported as the real host's. */
  filterMs: number;
  /** A capture of Kubernetes pods: each client's packets come from one of POD_INTERFACES. */
  pods: boolean;
  /** A capture that names processes: packet n's is PROCESSES[n % PROCESSES.length]. */
  processes: boolean;
  /** Debugger markers among the rows (fake-markers.ts). */
  markers?: boolean;
  /** Each count carries the newest rows while the table follows the tail, as the real host's do
   *  (off: the table asks for them). */
  tail: boolean;
  /**
   * The capture filter check. A browser has no libpcap: the panel's tests hand in the real one
   * (the addon, through Playwright); without it every filter is taken as written.
   */
  checkCaptureFilter: (filter: string) => CaptureFilterCheck | Promise<CaptureFilterCheck>;
  /**
   * The filter bar's completion and check. Without Wireshark (a plain browser) our names and our
   * engine's verdicts, as the real host says them then; the panel's tests hand in the real host's
   * (Wireshark's catalogue and sharkd, through Playwright).
   */
  completeField: (prefix: string) => FieldCompletion[] | Promise<FieldCompletion[]>;
  checkDisplayFilter: (text: string) => DisplayFilterCheck | Promise<DisplayFilterCheck>;
  /** completeField and checkDisplayFilter are Wireshark's (the real host's, given by a test). */
  wiresharkNames: boolean;
  /** The workspace's column widths, as the real host puts them in the first state. */
  columnWidths?: Record<string, number>;
}

export const DEFAULT_OPTIONS: FakeOptions = {
  rows: 1_000_000,
  rate: 0,
  status: 'idle',
  mode: 'live',
  latency: 2,
  limit: 5_000_000,
  tick: 100,
  filterMs: 150,
  tail: true,
  pods: false,
  processes: false,
  checkCaptureFilter: (filter) => ({ ok: true, normalized: filter.trim() }),
  completeField: (prefix) => completeFields(prefix, undefined),
  checkDisplayFilter: (text) => checkDisplayFilter(text, undefined),
  wiresharkNames: false,
};

/** The packets a filter keeps: ordinals whose (ordinal mod period) is in `offsets` (sorted). */
interface Periodic {
  period: number;
  offsets: number[];
}

const EVERYTHING: Periodic = { period: 1, offsets: [0] };

function count(p: Periodic, n: number): number {
  const rest = n % p.period;
  let k = 0;
  while (k < p.offsets.length && p.offsets[k]! < rest) k++;
  return Math.floor(n / p.period) * p.offsets.length + k;
}

function nth(p: Periodic, j: number): number {
  return Math.floor(j / p.offsets.length) * p.period + p.offsets[j % p.offsets.length]!;
}

/** The interfaces of a capture of pods: three pods' and one of the node's own (no pod). Their
 *  count divides CLIENTS, so the filters' periods hold. */
export const POD_INTERFACES = ['default/web-0:eth0', 'default/web-1:eth0', 'shop/cart-7d9f-abcde:eth0', 'eth0'];
/** Drops the capture reports for a pod (the others report none). */
export const POD_DROPS: Readonly<Record<string, number>> = { 'default/web-1': 2 };
const POD_PERIOD = TEMPLATES * POD_INTERFACES.length;

/** The interface packet n was captured on, in a capture of pods. */
function podInterfaceOf(n: number): string {
  return POD_INTERFACES[Math.floor(n / TEMPLATES) % POD_INTERFACES.length]!;
}

/** How many of packets 0…n-1 were captured on POD_INTERFACES[k]. */
function podPackets(k: number, n: number): number {
  const rest = Math.min(TEMPLATES, Math.max(0, (n % POD_PERIOD) - k * TEMPLATES));
  return Math.floor(n / POD_PERIOD) * TEMPLATES + rest;
}

/** The processes of a capture that names them: a thread of node, curl with markup in its command
 *  line (text, never HTML), a process in a pod's container, and none (a packet the kernel made).
 *  Written as a capture writes them and read back as the host reads them (packet/process-comment.ts).
 *  Their count divides TEMPLATES, so the filters' periods hold. */
export const PROCESSES: readonly (ProcessInfo | undefined)[] = [
  { pid: 1234, cmd: '/usr/bin/node', args: 'node server.js', tid: 1240, threadName: 'node-worker', uid: 1000 },
  { pid: 4242, cmd: '/usr/bin/curl', args: 'curl -s <img src=x onerror=alert(6)>', ppid: 1200, parentCmd: '/bin/bash' },
  {
    pid: 77,
    cmd: '/app/cart',
    args: '/app/cart --port 8080',
    containerId: '3f2a9c0d'.repeat(8),
    containerName: 'cart',
    podName: 'cart-7d9f-abcde',
    podNamespace: 'shop',
  },
  undefined,
].map((p) => p && parseProcessComments(formatProcessComments(p)));

/** The process of packet n, in a capture that names processes. */
function processOf(n: number): ProcessInfo | undefined {
  return PROCESSES[n % PROCESSES.length];
}

const INTERFACES: InterfaceInfo[] = [
  { name: 'eth0', up: true, loopback: false, addresses: ['10.1.0.5/24', 'fe80::a00:27ff:fe4e:66a1/64'] },
  { name: 'lo', up: true, loopback: true, addresses: ['127.0.0.1/8', '::1/128'] },
  { name: 'docker0', up: false, loopback: false, addresses: ['172.17.0.1/16'] },
  { name: 'veth<img src=x onerror=alert(5)>', up: true, loopback: false, addresses: [] },
];

export class FakeHost implements HostTransport {
  private readonly events = new EventHub();
  readonly options: FakeOptions;
  private state: PanelState;
  private received: number;
  private evicted = 0;
  private generation = 1;
  private filter: Periodic = EVERYTHING;
  private filtering = false;
  private filterSeq = 0;
  /** When the filter being applied started (performance.now()). */
  private filterStarted = 0;
  private readonly conversations = new Map<string, Periodic>();
  /** The filters of the streams Follow Stream was asked for, in order. */
  readonly followedStreams: string[] = [];
  /** The column widths the panel last asked the host to keep. */
  savedColumnWidths?: Record<string, number>;
  /** The packets marked, by number. */
  private readonly marked = new Set<number>();
  /** The packets ignored, by number: their rows as the real host draws them. */
  private readonly ignored = new Set<number>();
  /** Times the panel asked for the Conversations tab (the real host opens it beside the panel). */
  conversationTabs = 0;
  ioGraphTabs = 0;
  hierarchyTabs = 0;
  private timer: ReturnType<typeof setInterval> | undefined;
  private lastTick = 0;
  private carry = 0;
  /** The rows the table shows while it follows the tail (0: it does not). */
  tailRows = 0;
  /** The packet the panel says is selected (Save → Selected). */
  selected: number | undefined;
  /** What the panel put on the clipboard, in order. */
  readonly copied: string[] = [];
  /** Requests answered, by method (the dev page shows them). */
  readonly calls: Partial<Record<RequestName, number>> = {};

  constructor(options: Partial<FakeOptions> = {}) {
    this.options = { ...DEFAULT_OPTIONS, ...options };
    this.received = this.options.rows;
    this.evicted = Math.max(0, this.received - this.options.limit);
    this.state = {
      mode: this.options.mode,
      title: this.options.mode === 'file' ? 'capture.pcapng' : 'Packet Capture',
      status: this.options.mode === 'file' ? 'stopped' : this.options.status,
      targets: [{ id: 'local', kind: 'local', label: 'Local', description: 'this machine' }],
      displayFilter: '',
      ...(this.options.columnWidths ? { columnWidths: this.options.columnWidths } : {}),
      ...(this.options.status === 'capturing'
        ? { capture: { target: 'local', interfaces: ['eth0'], filter: 'tcp and port 443' } }
        : {}),
    };
  }

  /** What the real host puts in the page's data-state attribute. */
  initialState(): PanelState {
    return structuredClone(this.state);
  }

  // ---- HostTransport

  request<M extends RequestName>(method: M, params: Requests[M]['params']): Promise<Requests[M]['result']> {
    this.calls[method] = (this.calls[method] ?? 0) + 1;
    const handler = this.handlers[method] as (p: Requests[M]['params']) => Handled<Requests[M]['result']>;
    const fail = (e: unknown) =>
      e instanceof HostError ? e : new HostError(e instanceof Error ? e.message : String(e));
    return new Promise((resolve, reject) => {
      setTimeout(() => {
        try {
          Promise.resolve(handler(params)).then(
            (result) => resolve(structuredClone(result)),
            (e: unknown) => reject(fail(e)),
          );
        } catch (e) {
          reject(fail(e));
        }
      }, this.options.latency);
    });
  }

  onEvent<E extends EventName>(name: E, listener: EventListener<E>): () => void {
    return this.events.on(name, listener);
  }

  ready(): void {
    this.emit('state', this.state);
    this.pushCounters();
    if (this.state.status === 'capturing') this.run();
  }

  followTail(rows: number): void {
    this.tailRows = rows;
  }

  // ---- scripting (the dev page and the checks call these)

  /** Appends packets at `rate` per second (0 stops appending, the status stays). */
  setRate(rate: number): void {
    this.options.rate = rate;
    if (rate > 0) this.run();
  }

  setStatus(status: CaptureStatus, message?: string): void {
    this.state = { ...this.state, status, ...(message ? { message } : {}) };
    if (!message) delete this.state.message;
    this.emit('state', this.state);
  }

  /** As "List Interfaces" → an interface: the form selects it, ready to Start. */
  choose(target: string, interfaces: string[]): void {
    this.state.chosen = { target, interfaces, seq: (this.state.chosen?.seq ?? 0) + 1 };
    this.emit('state', this.state);
  }

  emitDisplayFilter(text: string): void {
    this.applyFilter(text);
    this.state.displayFilter = text;
    this.emit('displayFilter', { text });
    this.pushCounters();
  }

  counters(): CounterUpdate {
    const held = this.received - this.evicted;
    return {
      rows: this.rows(),
      generation: this.generation,
      filtering: this.filtering,
      ...(this.filtering && {
        filterProgress:
          Math.floor(Math.min(1, (performance.now() - this.filterStarted) / this.options.filterMs) * 100) / 100,
      }),
      held,
      received: this.received,
      bytes: this.received * 231,
      packetsPerSecond: this.state.status === 'capturing' ? this.options.rate : 0,
      kernelDrops:
        this.state.status === 'capturing' && this.received > 2_000_000
          ? Math.floor((this.received - 2_000_000) / 50_000)
          : 0,
      evicted: this.evicted,
      // A pod named only by a process's comment (PROCESSES) counts nothing, but has the Pod column.
      ...(this.options.pods ? { pods: this.podCounters() } : this.options.processes ? { pods: [] } : {}),
      ...(this.options.processes && this.received > 0 ? { processes: true as const } : {}),
    };
  }

  private podCounters(): PodCounters[] {
    return POD_INTERFACES.flatMap((name, k) => {
      const pod = parsePodInterfaceName(name);
      if (!pod) return [];
      const label = podLabel(pod);
      const packets = podPackets(k, this.received);
      const drops = POD_DROPS[label];
      return [{ pod: label, packets, bytes: packets * 231, ...(drops === undefined ? {} : { drops }) }];
    });
  }

  /** Packet n's row, with its pod in a capture of pods, its process in a capture that names them. */
  /** Each template's colouring rule, judged by the real rules on its fake tree. */
  private readonly colors = new Map<number, Pick<Row, 'color' | 'colorRule'>>();

  private colorOf(n: number): Pick<Row, 'color' | 'colorRule'> {
    const slot = n % TEMPLATES;
    let color = this.colors.get(slot);
    if (!color) {
      const d = detail(n);
      const i = coloringRuleOf(DEFAULT_RULES, d.decoded, { number: n + 1, length: row(n, 0).length });
      const rule = DEFAULT_RULES.rules[i]?.rule;
      color = rule ? { color: rule.color, colorRule: rule.name } : {};
      this.colors.set(slot, color);
    }
    return color;
  }

  private row(n: number, index: number): Row {
    if (this.ignored.has(n + 1))
      return { ...row(n, index), source: '', destination: '', protocol: '', info: '<Ignored>', ignored: true };
    const r = { ...row(n, index), ...this.colorOf(n) };
    if (this.options.markers) return fakeMarkerRow(n, r) ?? r;
    const process = this.options.processes ? processOf(n) : undefined;
    // As the host: the interface's pod, else the process's.
    const pod =
      (this.options.pods ? parsePodInterfaceName(podInterfaceOf(n)) : undefined) ?? (process && processPod(process));
    return {
      ...r,
      ...(pod ? { pod: podLabel(pod) } : {}),
      ...(process ? { process: processLabel(process) } : {}),
    };
  }

  private detail(n: number): PacketDetail {
    const d = detail(n);
    return {
      ...d,
      ...(this.options.pods ? { interfaceName: podInterfaceOf(n) } : {}),
      ...(this.options.processes ? { process: processOf(n) ?? null } : {}),
    };
  }

  // ---- the store

  private rows(): number {
    return count(this.filter, this.received) - count(this.filter, this.evicted);
  }

  /** Follow Conversation (`streamsOnly`: Follow Stream): the row's conversation as a display filter, applied. */
  private follow(index: number, streamsOnly: boolean): { filter: string; rows: number } {
    const n = this.ordinal(index);
    if (n === undefined) throw new HostError(`No packet at row ${index + 1}.`);
    const slot = n % TEMPLATES;
    const flow = flowOf(slot);
    if (!flow || flow.protocol === 'icmpv6')
      throw new HostError('This packet belongs to no conversation that can be followed.');
    if (streamsOnly && !flow.port)
      throw new HostError('This packet belongs to no TCP or UDP stream: there is no stream to follow.');
    const c = Math.floor(n / TEMPLATES) % CLIENTS;
    const client = clientIp(c);
    const side = (a: string, b: string) => `ip.src == ${a} && ip.dst == ${b}`;
    // As the real host: a TCP or UDP stream by its index, another conversation by its ends.
    const filter = flow.port
      ? `${flow.protocol}.stream eq ${streamIndex(flow, c)}`
      : `${flow.protocol} && ((${side(client, flow.server)}) || (${side(flow.server, client)}))`;
    this.conversations.set(filter, {
      period: TEMPLATES * CLIENTS,
      offsets: flow.slots.map((s) => c * TEMPLATES + s).sort((a, b) => a - b),
    });
    this.applyFilter(filter);
    this.pushCounters();
    this.emit('displayFilter', { text: filter });
    return { filter, rows: this.rows() };
  }

  private ordinal(index: number): number | undefined {
    if (index < 0 || index >= this.rows()) return undefined;
    return nth(this.filter, count(this.filter, this.evicted) + index);
  }

  private run(): void {
    if (this.timer) return;
    this.lastTick = performance.now();
    this.timer = setInterval(() => this.tick(), this.options.tick);
  }

  private tick(): void {
    const now = performance.now();
    const dt = (now - this.lastTick) / 1000;
    this.lastTick = now;
    if (this.state.status === 'capturing' && this.options.rate > 0) {
      this.carry += this.options.rate * dt;
      const add = Math.floor(this.carry);
      this.carry -= add;
      this.received += add;
      const evicted = Math.max(0, this.received - this.options.limit);
      if (evicted !== this.evicted) {
        this.evicted = evicted;
        this.generation++;
      }
    }
    this.filtering = false;
    this.pushCounters();
    if (this.state.status !== 'capturing' && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private pushCounters(): void {
    const counters = this.counters();
    const n = this.options.tail ? this.tailRows : 0;
    this.emit('counters', n > 0 ? { ...counters, tail: this.rowsFrom(counters.rows - n, n) } : counters);
  }

  private rowsFrom(start: number, n: number): Row[] {
    const rows: Row[] = [];
    const end = Math.min(this.rows(), start + Math.min(n, 1000));
    const custom = this.state.customColumns ?? [];
    for (let index = Math.max(0, start); index < end; index++) {
      const n = this.ordinal(index)!;
      const row = this.row(n, index);
      // The custom columns' texts as the real host writes them, from the packet's decoded tree.
      if (custom.length > 0) {
        const { decoded } = this.detail(n);
        row.custom = custom.map((c) => customColumnText(decoded, c.field));
      }
      rows.push(row);
    }
    return rows;
  }

  /** Pushes Wireshark's tree of a packet (or the line saying Wireshark is missing), as the real
   *  host does after a detail: the checks script it. */
  deepTree(event: HostEvents['deepTree']): void {
    this.emit('deepTree', event);
  }

  /** As VS Code runs a context menu's item and the real host hands it on: `context` is what VS Code
   *  read from the page's data-vscode-context where the menu opened (the checks read it as VS
   *  Code does), checked as the real host checks it. */
  menuItem(command: string, context: unknown): void {
    const item = MENU_ITEMS.find((i) => i.command === command);
    const target = item && itemTarget(item, context);
    if (!item || !target) throw new Error(`${command} does not apply to ${JSON.stringify(context)}`);
    this.emit('menuAction', { action: item.action, target });
  }

  private emit<E extends keyof HostEvents>(name: E, data: HostEvents[E]): void {
    const copy = structuredClone(data);
    setTimeout(() => this.events.emit(name, copy), 0);
  }

  /**
   * Judges the filter with the real engine, so modes, errors and hints are the real host's; then
   * picks the rows: the templates' columns for a text search, the simulated conversations,
   * protocols and ports, or for any other expression the engine itself over one period of fake
   * packets (fields that vary beyond the period, such as sequence numbers, are approximated).
   */
  private applyFilter(text: string, textSearch = false): 'expression' | 'text' | 'none' {
    const t = text.trim();
    let compiled: CompiledDisplayFilter;
    try {
      compiled = compileDisplayFilter(text, { textSearch }); // untrimmed: the columns in errors are the real host's
    } catch (e) {
      throw new HostError(e instanceof Error ? e.message : String(e));
    }
    const mode = compiled.mode;
    if (mode === 'none') {
      this.filter = EVERYTHING;
    } else if (mode === 'text') {
      const needle = t.toLowerCase();
      const offsets: number[] = [];
      for (let slot = 0; slot < TEMPLATES; slot++) if (searchableText(slot).includes(needle)) offsets.push(slot);
      this.filter = { period: TEMPLATES, offsets };
    } else if (this.conversations.has(t)) {
      this.filter = this.conversations.get(t)!;
    } else if (/^[a-z0-9]+$/i.test(t) && TEMPLATE_PROTOCOLS.some((p) => p.includes(t.toLowerCase()))) {
      const offsets = TEMPLATE_PROTOCOLS.flatMap((p, slot) => (p.includes(t.toLowerCase()) ? [slot] : []));
      this.filter = { period: TEMPLATES, offsets };
    } else if (/^tcp\.port\s*==\s*(\d+)$/.test(t)) {
      const port = Number(/(\d+)$/.exec(t)![1]);
      const offsets = [0, 1, 2, 5, 6, 9].filter((slot) => flowOf(slot)?.port === port);
      this.filter = { period: TEMPLATES, offsets };
    } else {
      const period = TEMPLATES * CLIENTS;
      const offsets: number[] = [];
      for (let n = 0; n < period; n++) {
        const d = this.detail(n);
        const pod = parsePodInterfaceName(d.interfaceName);
        const process = d.process ?? undefined;
        if (
          compiled.match(d.decoded, {
            number: n + 1,
            length: d.length,
            ...(pod ? { pod } : {}),
            ...(process ? { process } : {}),
          })
        )
          offsets.push(n);
      }
      this.filter = { period, offsets };
    }
    this.generation++;
    // As the real host's worker: "filtering" for a while (no filter: none), then a counter update
    // without it. A newer filter ends the older one's wait.
    const seq = ++this.filterSeq;
    this.filtering = mode !== 'none';
    this.filterStarted = performance.now();
    if (this.filtering) {
      const progress = setInterval(() => {
        if (seq === this.filterSeq) this.pushCounters();
        else clearInterval(progress);
      }, this.options.tick);
      setTimeout(() => {
        clearInterval(progress);
        if (seq !== this.filterSeq) return;
        this.filtering = false;
        this.pushCounters();
      }, this.options.filterMs);
    }
    this.state.displayFilter = mode === 'none' ? '' : text;
    this.state.textSearch = mode === 'text';
    return mode;
  }

  /** As the real host: a capture filter the kernel cannot take is refused before anything starts. */
  private async refuseBadFilter(filter: string): Promise<void> {
    const check = await this.options.checkCaptureFilter(filter);
    if (!check.ok) throw new HostError(check.error);
  }

  private readonly handlers: { [M in RequestName]: (params: Requests[M]['params']) => Handled<Requests[M]['result']> } =
    {
      listInterfaces: ({ target }) => {
        if (!this.state.targets.some((t) => t.id === target))
          throw new HostError(`Unknown capture target "${target}".`);
        return INTERFACES;
      },
      // As if the user typed dev@build.example.test in the host's input box.
      addSshHost: () => {
        const added = {
          id: 'ssh:dev@build.example.test',
          kind: 'ssh' as const,
          label: 'dev@build.example.test',
          description: 'SSH host',
          removable: true,
        };
        if (!this.state.targets.some((t) => t.id === added.id)) this.state.targets = [...this.state.targets, added];
        this.emit('state', this.state);
        return added;
      },
      // As the real host: only a host added by hand is forgotten; the picker gets the new list.
      removeSshHost: ({ target }) => {
        if (!this.state.targets.some((t) => t.id === target && t.removable))
          throw new HostError(`${target.replace(/^ssh:/, '')} was not added with "Add SSH Host…".`);
        if (this.state.capture?.target === target && this.state.status === 'capturing')
          throw new HostError('A capture is running on this host: stop it before removing the host.');
        this.state.targets = this.state.targets.filter((t) => t.id !== target);
        this.emit('state', this.state);
      },
      startCapture: async (params: StartParams) => {
        if (this.state.status === 'capturing' || this.state.status === 'starting')
          throw new HostError('A capture is already running in this panel: stop it first.');
        if (params.interfaces.length === 0) throw new HostError('Choose at least one interface.');
        await this.refuseBadFilter(params.filter);
        this.received = 0;
        this.evicted = 0;
        this.carry = 0;
        this.generation++;
        this.state.capture = params;
        delete this.state.chosen;
        this.setStatus('starting');
        this.pushCounters();
        setTimeout(() => {
          if (this.options.rate === 0) this.options.rate = 20_000;
          this.setStatus('capturing');
          this.run();
        }, 300);
      },
      setCaptureFilter: async ({ filter }) => {
        await this.refuseBadFilter(filter);
        if (this.state.status !== 'capturing' || !this.state.capture) throw new HostError('No capture is running.');
        this.state.capture = { ...this.state.capture, filter };
        this.setStatus('capturing');
      },
      setKeepRunning: ({ keep }) => {
        this.state.keepRunning = keep;
        this.emit('state', this.state);
      },
      stopCapture: () => {
        this.setStatus('stopping');
        setTimeout(
          () =>
            this.setStatus('stopped', `Stopped by the user after ${this.received.toLocaleString('en-US')} packets.`),
          200,
        );
      },
      getRows: ({ start, count: n }) => this.rowsFrom(start, n),
      getDetail: ({ index }) => {
        const n = this.ordinal(index);
        if (n === undefined)
          throw new HostError(
            `No packet at row ${index + 1}: it may have been dropped to respect the capture's limits.`,
          );
        return this.detail(n);
      },
      setDisplayFilter: async ({ text, textSearch }) => {
        // As the real host with Wireshark's names: a filter is refused with the filter bar's own
        // verdict (the same message the bar showed as it was typed).
        if (this.options.wiresharkNames && !textSearch) {
          const check = await this.options.checkDisplayFilter(text);
          if (!check.ok) throw new HostError(check.error);
        }
        const mode = this.applyFilter(text, textSearch);
        this.pushCounters();
        return { mode, rows: this.rows() };
      },
      // As the real host: the packet's row in the current view, or null when the view does not hold it.
      rowOf: ({ number }) => {
        const n = number - 1;
        const shown = n >= this.evicted && n < this.received && count(this.filter, n + 1) > count(this.filter, n);
        return { row: shown ? count(this.filter, n) - count(this.filter, this.evicted) : null, rows: this.rows() };
      },
      selectPacket: ({ number }) => {
        this.selected = number;
      },
      followConversation: ({ index }) => this.follow(index, false),
      // The real host also opens the stream's tab beside the panel; here the requests are counted.
      followStream: ({ index }) => {
        const followed = this.follow(index, true);
        this.followedStreams.push(followed.filter);
        return followed;
      },
      // As the real host: the row's packet marked, or unmarked, and the marks sent.
      markPacket: ({ index }) => {
        const ordinal = this.ordinal(index);
        if (ordinal === undefined) return;
        if (!this.marked.delete(ordinal + 1)) this.marked.add(ordinal + 1);
        this.emit('marks', { numbers: [...this.marked].sort((a, b) => a - b) });
      },
      // As the real host: the row's packet ignored, or not, its rows drawn anew and the count sent.
      ignorePacket: ({ index }) => {
        const ordinal = this.ordinal(index);
        if (ordinal === undefined) return;
        if (!this.ignored.delete(ordinal + 1)) this.ignored.add(ordinal + 1);
        this.generation++;
        this.emit('ignored', { count: this.ignored.size });
        this.pushCounters();
      },
      validateCaptureFilter: ({ filter }) => this.options.checkCaptureFilter(filter),
      completeField: ({ prefix }) => this.options.completeField(prefix),
      checkDisplayFilter: ({ text }) => this.options.checkDisplayFilter(text),
      saveCapture: () => undefined,
      saveColumnWidths: ({ widths }) => {
        this.savedColumnWidths = widths;
      },
      showConversations: () => {
        this.conversationTabs++;
      },
      showIoGraph: () => {
        this.ioGraphTabs++;
      },
      showProtocolHierarchy: () => {
        this.hierarchyTabs++;
      },
      // As the real host: the column goes into the state (the setting's change, there).
      applyAsColumn: ({ field }) => {
        this.state.customColumns = [...(this.state.customColumns ?? []), { field }];
        this.generation++; // rows cached without the column are stale
        this.emit('state', this.state);
        this.pushCounters();
      },
      removeColumn: ({ index }) => {
        this.state.customColumns = (this.state.customColumns ?? []).filter((_, i) => i !== index);
        this.generation++;
        this.emit('state', this.state);
        this.pushCounters();
      },
      // The generated rows stay in packet order: the order is the real host's (test/exthost and
      // test/unit/row-order.test.ts try it); the header's arrow is drawn from the state, as there.
      sortRows: ({ column, descending }) => {
        if (column) this.state.sort = { column, descending: descending === true };
        else delete this.state.sort;
        this.emit('state', this.state);
      },
      openInWireshark: () => {
        throw new HostError('Wireshark was not found on PATH (fake host).', 'ENOENT');
      },
      openMarker: () => {
        if (!this.options.markers) throw new HostError('The fake host has no debugger markers.');
      },
      copyText: ({ text }) => {
        this.copied.push(text);
      },
    };
}
