// The rows the table shows: every packet held, or those matching the display filter. Filtering
// runs in a worker over the store's shared memory and fills the view progressively; packets that
// arrive later are filtered as they come.

import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { ColoringRules } from '../../packet/coloring-rules.js';
import type { DecodeAsRule } from '../../packet/decode-as.js';
import { compileDisplayFilter, DisplayFilterError } from '../../packet/display-filter.js';
import type { HierarchyRow } from '../../packet/hierarchy-protocol.js';
import {
  type CustomColumn,
  type CustomColumnId,
  customColumnIndex,
  type SortOrder,
  type TableColumn,
} from '../../packet/protocol.js';
import type { ConversationRow } from '../../packet/statistics-protocol.js';
import { type AddressProtocol, type AddressTally, joinTallies } from './address-conversations.js';
import type {
  AddressJob,
  ColumnTextJob,
  ColumnTexts,
  FilterJob,
  FilterReply,
  PartMessage,
  PartReply,
  PartWork,
  SegmentAddresses,
  SegmentJob,
  SegmentPaths,
} from './filter-messages.js';
import { OrderedReplies, sliceJob } from './filter-slices.js';
import type { PacketStore } from './packet-store.js';
import { hierarchyRows, type PathTally } from './protocol-hierarchy.js';
import { naturalKey, RowOrder, type SortKeys } from './row-order.js';
import { SegmentCounts } from './segment-counts.js';
import type { WiresharkJudging } from './wireshark-filter.js';

export interface FilterRunner {
  run(job: FilterJob, onReply: (reply: FilterReply) => void): void;
  /** The column's text of each packet of the job (a sort's keys). */
  columnTexts(job: ColumnTextJob): Promise<ColumnTexts>;
  /** The Ethernet, IPv4 or IPv6 conversations of the job's packets, by segment, in packet order. */
  addressTallies(job: AddressJob): Promise<SegmentAddresses[]>;
  /** The paths of protocols of the job's packets, by segment, in packet order. */
  protocolPaths(job: SegmentJob): Promise<SegmentPaths[]>;
  dispose(): void;
}

/**
 * Runs filter jobs in worker threads (dist/extension/filter-worker.js beside the bundle): a large
 * job is cut into slices that each worker takes in turn, one core each, and their matches come
 * back in packet order (filter-slices.ts).
 */
export class WorkerFilterRunner implements FilterRunner {
  private readonly workers: Worker[] = [];
  /** The slice each worker is filtering, by worker. */
  private readonly working: (number | undefined)[] = [];
  private job?: { id: number; slices: FilterJob[]; next: number; replies: OrderedReplies };
  /** Jobs shared by parts (PartWork) asked and not all answered: their parts' results, by id. */
  private readonly parted = new Map<number, { results: PartReply['result'][]; left: number; resolve(): void }>();
  private partJobs = 0;

  constructor(
    private readonly script = path.join(__dirname, 'filter-worker.js'),
    private readonly execArgv: string[] = [],
    private readonly threads = Math.min(2, os.availableParallelism()),
  ) {}

  run(job: FilterJob, onReply: (reply: FilterReply) => void): void {
    const slices = sliceJob(job);
    this.job = { id: job.id, slices, next: 0, replies: new OrderedReplies(slices.length, onReply) };
    for (let w = 0; w < Math.min(this.threads, slices.length); w++) this.give(w);
  }

  async columnTexts(job: ColumnTextJob): Promise<ColumnTexts> {
    return joinTexts((await this.inParts({ kind: 'texts', job })) as ColumnTexts[]);
  }

  async addressTallies(job: AddressJob): Promise<SegmentAddresses[]> {
    return ((await this.inParts({ kind: 'addresses', job })) as SegmentAddresses[][]).flat();
  }

  async protocolPaths(job: SegmentJob): Promise<SegmentPaths[]> {
    return ((await this.inParts({ kind: 'hierarchy', job })) as SegmentPaths[][]).flat();
  }

  /** Runs `work` in parts, one per thread: each worker decodes its share of the packets while the
   *  other does the same; the parts' results, in packet order. */
  private inParts(work: PartWork): Promise<PartReply['result'][]> {
    const all = work.job.numbers;
    const parts = Math.max(1, Math.min(this.threads, Math.ceil(all.length / 4096)));
    const share = Math.ceil(all.length / parts);
    const id = ++this.partJobs;
    const results: PartReply['result'][] = new Array(parts);
    return new Promise((resolve) => {
      this.parted.set(id, { results, left: parts, resolve: () => resolve(results) });
      for (let w = 0; w < parts; w++) {
        const numbers = all.slice(w * share, (w + 1) * share);
        const message = { ...work, job: { ...work.job, numbers }, id, part: w } as PartMessage;
        this.worker(w).postMessage(message, [numbers.buffer as ArrayBuffer]);
      }
    });
  }

  private partReceived(reply: PartReply): void {
    const asked = this.parted.get(reply.id);
    if (!asked) return;
    asked.results[reply.part] = reply.result;
    if (--asked.left > 0) return;
    this.parted.delete(reply.id);
    asked.resolve();
  }

  /** Gives worker `w` the job's next slice, if one is left. */
  private give(w: number): void {
    const job = this.job!;
    this.working[w] = undefined;
    if (job.next === job.slices.length) return;
    this.working[w] = job.next;
    this.worker(w).postMessage(job.slices[job.next++]);
  }

  private worker(w: number): Worker {
    let worker = this.workers[w];
    if (!worker) {
      worker = new Worker(this.script, { execArgv: this.execArgv });
      worker.on('message', (reply: FilterReply | PartReply) =>
        'part' in reply ? this.partReceived(reply) : this.received(w, reply),
      );
      worker.unref();
      this.workers[w] = worker;
    }
    return worker;
  }

  private received(w: number, reply: FilterReply): void {
    const job = this.job;
    const slice = this.working[w];
    // A reply of a job a newer one replaced: its worker has moved on.
    if (reply.id !== job?.id || slice === undefined) return;
    if (reply.done) this.working[w] = undefined;
    job.replies.accept(slice, reply);
    // The job's last reply may start the next one at once (packets that came meanwhile), which
    // gives this worker its first slice already: it is no longer this job's to give.
    if (reply.done && this.job === job) this.give(w);
  }

  dispose(): void {
    for (const worker of this.workers) void worker.terminate();
    this.workers.length = 0;
    this.job = undefined;
  }
}

/** The parts' texts as one dictionary, their packets in the parts' order. */
function joinTexts(parts: ColumnTexts[]): ColumnTexts {
  if (parts.length === 1) return parts[0]!;
  const texts: string[] = [];
  const idOf = new Map<string, number>();
  const ids = new Uint32Array(parts.reduce((n, p) => n + p.ids.length, 0));
  let at = 0;
  for (const part of parts) {
    const global = part.texts.map((text) => {
      let id = idOf.get(text);
      if (id === undefined) {
        id = texts.push(text) - 1;
        idOf.set(text, id);
      }
      return id;
    });
    for (const id of part.ids) ids[at++] = global[id]!;
  }
  return { texts, ids };
}

/** expression: our engine's; wireshark: judged by tshark (a field our decoders do not know). */
export type FilterMode = 'none' | 'expression' | 'text' | 'wireshark';

/** Starts tshark on the store's packets (extension/store/wireshark-filter.ts) for `text`. */
export type WiresharkFilterStart = (
  onMatches: (numbers: Uint32Array) => void,
  onEnd: (error?: Error) => void,
  /** No packet will be added (a stopped capture, a file). */
  complete: boolean,
) => WiresharkJudging;

/** Asks Wireshark to judge `text`, which our engine refused (`refused`) for a name it does not
 *  know; rejects with Wireshark's refusal. */
export type AskWireshark = (text: string, refused: DisplayFilterError) => Promise<WiresharkFilterStart>;

/**
 * The filter bar's routing: our engine's filter (or text search) when it takes the filter, else
 * Wireshark's (a name our decoders do not know, or syntax our engine does not have: a field
 * against a field, slices, functions). A filter neither accepts throws, and the view keeps the
 * filter it had (Wireshark is asked before the rows change): for a name, Wireshark's message; for
 * syntax, ours, which says what the likely fix is.
 */
export async function routeDisplayFilter(
  view: PacketView,
  text: string,
  textSearch: boolean,
  askWireshark: AskWireshark,
): Promise<FilterMode> {
  try {
    return view.setFilter(text, textSearch);
  } catch (e) {
    if (!(e instanceof DisplayFilterError)) throw e;
    if (e.unknownName !== undefined) return view.setWiresharkFilter(text, await askWireshark(text, e));
    let start: WiresharkFilterStart;
    try {
      start = await askWireshark(text, e);
    } catch {
      throw e;
    }
    return view.setWiresharkFilter(text, start);
  }
}

/** Someone waiting for the filter to have judged every packet up to `number`. */
interface Waiter {
  number: number;
  /** true: judged under the filter that was current when asked; false: that filter was replaced. */
  resolve(judged: boolean): void;
}

export class PacketView {
  private mode: FilterMode = 'none';
  private text = '';
  private numbers = new Uint32Array(4096);
  private length = 0;
  private head = 0; // numbers before head were evicted from the store
  private testedUpTo = 0;
  private jobId = 0;
  private running = false;
  private seenEvicted = 0;
  private waiters: Waiter[] = [];
  private disposed = false;
  /** The tshark judging a filter our engine cannot (mode 'wireshark'). */
  private wireshark?: WiresharkJudging;
  /** True once no packet will be added (the capture stopped, or a file): tshark's input ends. */
  private complete = false;
  /** tshark failed while judging (it accepted the filter first): why. */
  onWiresharkFailed?: (message: string) => void;
  /** The packets captured while a debugged process was paused (debug.paused), when the capture is
   *  tied to a debug session: sorted, inclusive [from, to] packet numbers. */
  pausedNumbers?: () => [number, number][];
  /** The packets marked in the table (frame.marked), when any is. */
  markedNumbers?: () => number[];
  /** Changes whenever row indices shift; see CounterUpdate.generation. */
  generation = 0;
  /** The Decode As rules the filter decodes packets with (the panel keeps them current). */
  decodeAs: DecodeAsRule[] = [];
  /** What Statistics counted in each full segment: each protocol's conversations, protocol paths. */
  private readonly addressCounts = {
    eth: new SegmentCounts<AddressTally[]>(),
    ip: new SegmentCounts<AddressTally[]>(),
    ipv6: new SegmentCounts<AddressTally[]>(),
  };
  private readonly pathCounts = new SegmentCounts<PathTally[]>();
  /** The colouring rules the rows are drawn with (none: rows are not coloured). */
  coloring?: ColoringRules;
  /** The table's custom columns (the panel keeps them current): a sort by one reads its field. */
  customColumns: CustomColumn[] = [];
  /** The rows in a column's order, once sorted (setSort); rows after its last number follow it. */
  private order?: RowOrder;
  /** The sort wanted, kept when the filter changes (the new rows are sorted as they come). */
  private sort?: SortOrder;
  private sortBusy = false;
  /** Changes when the order is replaced: a merge under an older one is thrown away. */
  private sortJob = 0;
  /** A merge waiting for its turn (see mergeLater), and how long the last one took. */
  private mergeTimer?: NodeJS.Timeout;
  private mergeEnded = 0;
  private mergeCost = 0;
  private sortWaiters: (() => void)[] = [];
  /** Rows changed order (a merge): the table draws them anew. */
  onSorted?: () => void;

  constructor(
    private readonly store: PacketStore,
    private readonly runner: FilterRunner,
  ) {}

  get filterText(): string {
    return this.text;
  }

  /** True when the filter is a text search (the filter bar's toggle), not an expression. */
  get textSearch(): boolean {
    return this.mode === 'text';
  }

  get rows(): number {
    return this.mode === 'none' ? this.store.held : this.length - this.head;
  }

  get filtering(): boolean {
    if (this.mode === 'wireshark') return this.wireshark?.running === true && (this.complete || this.wireshark.behind);
    return this.mode !== 'none' && (this.running || this.testedUpTo < this.store.lastNumber);
  }

  /** While filtering: the share of the packets held judged so far (0–1, in hundredths); undefined
   *  when not filtering, or not known (tshark judging a live capture's stream). */
  get filterProgress(): number | undefined {
    if (!this.filtering) return undefined;
    let share: number | undefined;
    if (this.mode === 'wireshark') share = this.wireshark?.progress;
    else {
      const first = this.store.firstNumber;
      share = (this.testedUpTo - first + 1) / Math.max(1, this.store.lastNumber - first + 1);
    }
    return share === undefined ? undefined : Math.floor(Math.min(1, Math.max(0, share)) * 100) / 100;
  }

  /** The sort the rows are in; undefined: packet order. */
  get sortOrder(): SortOrder | undefined {
    return this.sort;
  }

  /** True while rows wait to be put in the sort's order (they are shown after the sorted ones). */
  get sorting(): boolean {
    return this.order !== undefined && (this.sortBusy || this.order.length < this.rows);
  }

  /** The packet number shown at a row index, or undefined past the end. */
  numberAt(index: number): number | undefined {
    if (index < 0 || index >= this.rows) return undefined;
    // The rows not sorted yet are the view's last ones, at the same indices in either order.
    if (this.order && index < this.order.length) return this.order.numberAt(index);
    return this.mode === 'none' ? this.store.firstNumber + index : this.numbers[this.head + index];
  }

  /** The packet shown before packet `number` in packet order (not the sort's): the Time column's
   *  "since the previous displayed packet" reads it. */
  previousShown(number: number): number | undefined {
    const index = this.unsortedIndexOf(number);
    if (index === undefined || index === 0) return undefined;
    return this.mode === 'none' ? number - 1 : this.numbers[this.head + index - 1];
  }

  /** The row showing packet `number` once the filter has judged it; undefined when the view does
   *  not hold it, or when the filter was replaced before judging it (the asker's view is gone). */
  async rowOf(number: number): Promise<number | undefined> {
    if (number > this.store.lastNumber || !(await this.judged(number))) return undefined;
    return this.indexOf(number);
  }

  /** The packet numbers the view shows, in order, once the filter has judged every packet held now. */
  async shownNumbers(): Promise<Uint32Array> {
    const last = this.store.lastNumber;
    while (!(await this.judged(last))); // a filter replaced meanwhile: wait for the new one
    if (this.mode !== 'none') return this.numbers.slice(this.head, this.length);
    const first = this.store.firstNumber;
    return Uint32Array.from({ length: last - first + 1 }, (_, i) => first + i);
  }

  private judged(number: number): Promise<boolean> {
    // Disposed: nothing more will be judged, the view stays as it is.
    if (this.disposed || this.mode === 'none' || this.testedUpTo >= number) return Promise.resolve(true);
    return new Promise((resolve) => this.waiters.push({ number, resolve }));
  }

  /** Answers the waiters the filter has now judged for, or all of them when it was replaced. */
  private wake(replaced: boolean): void {
    if (this.waiters.length === 0) return;
    this.waiters = this.waiters.filter((w) => {
      if (!replaced && this.testedUpTo < w.number) return true;
      w.resolve(!replaced);
      return false;
    });
  }

  private indexOf(number: number): number | undefined {
    if (this.order && number <= this.order.lastNumber) return this.order.positionOf(number);
    return this.unsortedIndexOf(number);
  }

  /** The row of packet `number` in packet order. */
  private unsortedIndexOf(number: number): number | undefined {
    if (number < this.store.firstNumber || number > this.store.lastNumber) return undefined;
    if (this.mode === 'none') return number - this.store.firstNumber;
    let lo = this.head;
    let hi = this.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.numbers[mid]! < number) lo = mid + 1;
      else hi = mid;
    }
    return lo < this.length && this.numbers[lo] === number ? lo - this.head : undefined;
  }

  /** Applies a display filter (or, with `textSearch`, a text search) to everything held. Throws
   *  DisplayFilterError for a bad expression, and then keeps the filter it had. */
  setFilter(text: string, textSearch = false): FilterMode {
    const mode = compileDisplayFilter(text, { textSearch }).mode;
    this.reset(mode, text);
    this.refresh();
    return mode;
  }

  /** Applies a filter tshark judges (one our engine refused with an unknown name); the rows come
   *  as tshark matches them. */
  setWiresharkFilter(text: string, start: WiresharkFilterStart): FilterMode {
    this.reset('wireshark', text);
    const job = this.jobId;
    this.wireshark = start(
      (numbers) => {
        if (job !== this.jobId) return;
        // tshark reads every packet; an ignored one is a frame alone, which its filter does not match.
        this.append(numbers.filter((n) => !this.store.ignored(n)));
        this.testedUpTo = Math.max(this.testedUpTo, numbers[numbers.length - 1]!);
        this.wake(false);
      },
      (error) => {
        if (job !== this.jobId) return;
        this.testedUpTo = Math.max(this.testedUpTo, this.store.lastNumber);
        this.wake(false);
        if (error) this.onWiresharkFailed?.(error.message);
      },
      this.complete,
    );
    if (this.complete) this.wireshark.endInput();
    return 'wireshark';
  }

  /** No packet will be added any more: a filter tshark judges finishes with what it was given. */
  endOfPackets(): void {
    this.complete = true;
    this.wireshark?.endInput();
  }

  private reset(mode: FilterMode, text: string): void {
    this.wake(true);
    this.wireshark?.stop();
    this.wireshark = undefined;
    this.mode = mode;
    this.text = mode === 'none' ? '' : text;
    this.length = 0;
    this.head = 0;
    this.jobId++;
    this.running = false;
    this.generation++;
    this.testedUpTo = this.store.firstNumber - 1;
    this.sortFromScratch();
  }

  /** Sorts the rows by a column (undefined: packet order again). The rows take the order as it
   *  is built (`sorting` meanwhile; onSorted when they changed). */
  setSort(sort: SortOrder | undefined): void {
    const flip =
      this.order && sort?.column === this.order.sort.column && sort.descending !== this.order.sort.descending;
    const flipped = flip ? this.order!.flipped() : undefined;
    this.sort = sort;
    this.generation++;
    this.sortFromScratch();
    // The other direction of the same column: the keys are known, the rows only turn round.
    if (flipped) this.order = flipped;
    this.mergeLater();
  }

  /** Every packet was dissected again (PacketStore.redissect): rows drawn and sort keys read
   *  before are stale. The panel applies its display filter again itself. */
  redissected(): void {
    this.generation++;
    this.sortFromScratch();
    this.mergeLater();
  }

  private sortFromScratch(): void {
    this.sortJob++;
    this.sortBusy = false;
    clearTimeout(this.mergeTimer);
    this.mergeTimer = undefined;
    this.mergeCost = 0;
    this.order = this.sort && RowOrder.empty(this.sort, this.store.firstNumber);
    this.wakeSorted();
  }

  /** Statistics → Conversations for Ethernet, IPv4 or IPv6: every packet held (or those `only`
   *  names, ascending), decoded by the workers. Every packet held: a full segment's conversations
   *  are kept, so a running capture's next count, or the endpoints of the same protocol, decode
   *  only the packets of the last segment. */
  async addressConversations(protocol: AddressProtocol, only?: Uint32Array): Promise<ConversationRow[]> {
    const count = (numbers: Uint32Array) => this.runner.addressTallies({ ...this.segmentJob(numbers), protocol });
    const tallies = only
      ? (await count(only)).map((s) => s.tallies)
      : await this.addressCounts[protocol].count(this.store, this.countsKey(), count);
    return joinTallies(tallies);
  }

  /** Statistics → Protocol Hierarchy: every packet held (or those `only` names, ascending),
   *  decoded by the workers. Every packet held: a full segment's paths are kept, so a running
   *  capture decodes only its new packets for each count. */
  async protocolHierarchy(only?: Uint32Array): Promise<HierarchyRow[]> {
    const paths = only
      ? (await this.runner.protocolPaths(this.segmentJob(only))).map((s) => s.tallies)
      : await this.pathCounts.count(this.store, this.countsKey(), (numbers) =>
          this.runner.protocolPaths(this.segmentJob(numbers)),
        );
    return hierarchyRows(paths);
  }

  private segmentJob(numbers: Uint32Array): SegmentJob {
    return {
      numbers,
      segments: this.store.snapshots(),
      linkTypes: this.store.interfaces.map((i) => i.linkType),
      decodeAs: this.decodeAs,
    };
  }

  /** What the statistics' counts hold under: the store's dissection (PacketStore.dissections) and
   *  the Decode As rules. */
  private countsKey(): string {
    return `${this.store.dissections} ${JSON.stringify(this.decodeAs)}`;
  }

  /** Resolves once every row the view holds is in the sort's order (at once without a sort). */
  async whenSorted(): Promise<void> {
    for (;;) {
      await this.shownNumbers();
      this.mergeLater();
      if (!this.sorting) return;
      await new Promise<void>((resolve) => this.sortWaiters.push(resolve));
    }
  }

  private wakeSorted(): void {
    const waiters = this.sortWaiters;
    this.sortWaiters = [];
    for (const w of waiters) w();
  }

  /** Merges the rows after the order's last number into it: at once when the last merge was cheap,
   *  else after a pause ten times as long as it took, so that a live capture's new packets cost a
   *  sorted million rows a tenth of a core at most. */
  private mergeLater(): void {
    if (!this.order || this.sortBusy || this.mergeTimer || this.disposed) return;
    if (this.order.length === this.rows) return;
    const wait = this.mergeEnded + this.mergeCost * 10 - performance.now();
    if (wait > 0) {
      this.mergeTimer = setTimeout(() => {
        this.mergeTimer = undefined;
        this.mergeLater();
      }, wait);
      this.mergeTimer.unref?.();
      return;
    }
    const later = this.numbersAfter(this.order.lastNumber);
    const job = this.sortJob;
    const column = this.order.sort.column;
    this.sortBusy = true;
    void this.keysOf(column, later).then((keys) => {
      if (job !== this.sortJob || this.disposed) return;
      const started = performance.now();
      this.order = this.order!.merged(later, keys).from(this.store.firstNumber);
      this.mergeEnded = performance.now();
      this.mergeCost = this.mergeEnded - started;
      this.sortBusy = false;
      this.generation++;
      this.onSorted?.();
      this.wakeSorted();
      this.mergeLater();
    });
  }

  /** The view's rows after packet `after`, in packet order. */
  private numbersAfter(after: number): Uint32Array {
    if (this.mode === 'none') {
      const from = Math.max(after + 1, this.store.firstNumber);
      const numbers = new Uint32Array(Math.max(0, this.store.lastNumber - from + 1));
      for (let i = 0; i < numbers.length; i++) numbers[i] = from + i;
      return numbers;
    }
    let lo = this.head;
    let hi = this.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.numbers[mid]! <= after) lo = mid + 1;
      else hi = mid;
    }
    return this.numbers.slice(lo, this.length);
  }

  /** A sort's key of each packet: read from the store for No., Time and Length, else the column's
   *  text, which the workers decode. */
  private async keysOf(column: TableColumn, numbers: Uint32Array): Promise<SortKeys> {
    if (column === 'number') return Float64Array.from(numbers);
    if (column === 'time' || column === 'length') return this.store.columnValues(column, numbers);
    const custom = customColumnIndex(column);
    const { texts, ids } = await this.runner.columnTexts({
      ...(custom === undefined
        ? { column: column as Exclude<TableColumn, 'number' | 'time' | 'length' | CustomColumnId> }
        : { column: 'custom', field: this.customColumns[custom]?.field ?? '' }),
      numbers,
      segments: this.store.snapshots(),
      linkTypes: this.store.interfaces.map((i) => i.linkType),
      pods: this.store.interfaces.map((i) => i.pod),
      decodeAs: this.decodeAs,
    });
    // Info and Protocol compare as they read; addresses, names and fields with their digits as numbers.
    const keys = column === 'info' || column === 'protocol' ? texts : texts.map(naturalKey);
    return Array.from(ids, (id) => keys[id]!);
  }

  /** Call after packets were appended or evicted: prunes and filters what is new. */
  refresh(): void {
    if (this.store.evicted !== this.seenEvicted) {
      this.seenEvicted = this.store.evicted;
      this.generation++;
      const first = this.store.firstNumber;
      while (this.head < this.length && this.numbers[this.head]! < first) this.head++;
      if (this.testedUpTo < first - 1) this.testedUpTo = first - 1;
      this.order = this.order?.from(first);
      this.wake(false);
    }
    this.mergeLater();
    if (this.mode === 'wireshark') {
      this.wireshark?.feed();
      return;
    }
    if (this.mode === 'none' || this.running || this.testedUpTo >= this.store.lastNumber) return;
    this.running = true;
    const job: FilterJob = {
      id: this.jobId,
      text: this.text,
      textSearch: this.mode === 'text',
      from: this.testedUpTo + 1,
      to: this.store.lastNumber,
      segments: this.store.snapshots(),
      linkTypes: this.store.interfaces.map((i) => i.linkType),
      pods: this.store.interfaces.map((i) => i.pod),
      decodeAs: this.decodeAs,
      ...(this.pausedNumbers ? { paused: this.pausedNumbers() } : {}),
      ...(this.markedNumbers ? { marked: this.markedNumbers() } : {}),
    };
    this.runner.run(job, (reply) => this.accept(reply));
  }

  private accept(reply: FilterReply): void {
    if (reply.id !== this.jobId) return;
    this.append(reply.numbers);
    this.testedUpTo = reply.upTo;
    this.wake(false);
    if (reply.done) {
      this.running = false;
      this.refresh();
    }
  }

  private append(matches: Uint32Array): void {
    const first = this.store.firstNumber;
    let m = 0;
    while (m < matches.length && matches[m]! < first) m++; // evicted while being filtered
    const add = matches.length - m;
    if (add === 0) return;
    if (this.head > 0 && this.head >= this.length / 2) {
      this.numbers.copyWithin(0, this.head, this.length);
      this.length -= this.head;
      this.head = 0;
    }
    if (this.length + add > this.numbers.length) {
      let size = this.numbers.length * 2;
      while (size < this.length + add) size *= 2;
      const grown = new Uint32Array(size);
      grown.set(this.numbers.subarray(0, this.length));
      this.numbers = grown;
    }
    this.numbers.set(matches.subarray(m), this.length);
    this.length += add;
    this.mergeLater();
  }

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.mergeTimer);
    this.wakeSorted();
    this.wake(true);
    this.wireshark?.stop();
    this.runner.dispose();
  }
}
