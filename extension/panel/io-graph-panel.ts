// Statistics → I/O Graph, in a tab beside the capture, as Wireshark's window: packets or bytes per
// interval of every packet and of those the display filter shows, with the capture's drop reports
// and the debugged process's pauses on the same time axis. A click on the graph selects the first
// packet shown from that moment. While the capture runs, or when the display filter changes, the
// graph is counted again (at most once a second while packets arrive).
import {
  checkIoGraphMessage,
  type IoEvent,
  type IoGraphMessage,
  type IoGraphView,
  type IoIntervalChoice,
  type IoUnit,
} from '../../packet/io-graph-protocol.js';
import { fittingInterval, ioBins } from '../store/io-bins.js';
import { SideTab, type SideTabHost } from './side-tab.js';
import type { StatisticsCapture } from './statistics-panel.js';

export const IO_GRAPH_VIEW_TYPE = 'packetCapture.ioGraph';

/** Something that happened during the capture, on the packets' clock. */
export interface CaptureEvent {
  /** Wall-clock ns since the epoch, as packet timestamps. */
  timestampNs: bigint;
  kind: IoEvent['kind'];
  label: string;
}

export interface IoGraphCapture extends StatisticsCapture {
  /** The display filter applied to the capture's table; '' for none. */
  readonly displayFilter: string;
  /** The packets the display filter shows, once it has judged every packet held. */
  displayedNumbers(): Promise<Uint32Array>;
  /** Calls `listener` when the display filter changes; returns the unsubscribe function. */
  onDisplayFilter(listener: () => void): () => void;
  /** Drop reports and debugger pauses, in time order. */
  events(): CaptureEvent[];
  /** Selects packet `number` in the capture's table. */
  goToPacket(number: number): void;
}

export class IoGraphPanel extends SideTab<IoGraphMessage, IoGraphView> {
  private intervalMs: IoIntervalChoice = 'auto';
  private unit: IoUnit = 'packets';
  private last?: IoGraphView;
  /** Bumped by each count: an older one finishing late is thrown away. */
  private counting = 0;

  constructor(
    host: SideTabHost,
    readonly capture: IoGraphCapture,
  ) {
    super(host, {
      viewType: IO_GRAPH_VIEW_TYPE,
      title: `I/O Graph — ${capture.title}`,
      page: 'io-graph',
      check: checkIoGraphMessage,
      closesWith: capture.onDidDispose,
    });
    this.followCapture(capture, () => void this.count());
  }

  shown(): IoGraphView {
    this.last ??= this.view(undefined);
    return this.last;
  }

  /** Counts the graph again (the display filter's series once it has judged every packet) and
   *  draws it. */
  async count(): Promise<IoGraphView> {
    const turn = ++this.counting;
    const filter = this.capture.displayFilter;
    const numbers = filter ? await this.capture.displayedNumbers() : undefined;
    if (turn === this.counting) {
      this.last = this.view(numbers && { filter, numbers });
      this.show();
    }
    return this.shown();
  }

  private view(displayed: { filter: string; numbers: Uint32Array } | undefined): IoGraphView {
    const store = this.capture.store;
    const intervalMs = fittingInterval(store, this.intervalMs);
    const startNs = store.startNs;
    return {
      captureTitle: this.capture.title,
      intervalMs,
      auto: this.intervalMs === 'auto',
      unit: this.unit,
      all: ioBins(store, intervalMs, this.unit),
      ...(displayed && {
        displayed: { filter: displayed.filter, values: ioBins(store, intervalMs, this.unit, displayed.numbers) },
      }),
      events:
        startNs === undefined
          ? []
          : this.capture
              .events()
              .map((e) => ({ at: Number(e.timestampNs - startNs) / 1e9, kind: e.kind, label: e.label })),
      live: this.capture.running,
    };
  }

  /** The first packet the table shows at or after `at` seconds since the capture's first packet. */
  async packetAt(at: number): Promise<number | undefined> {
    const store = this.capture.store;
    const numbers = this.capture.displayFilter
      ? await this.capture.displayedNumbers()
      : Uint32Array.from({ length: store.held }, (_, i) => store.firstNumber + i);
    const times = store.columnValues('time', numbers);
    const atNs = at * 1e9;
    for (let k = 0; k < numbers.length; k++) if (times[k]! >= atNs) return numbers[k];
    return undefined;
  }

  protected async handle(m: IoGraphMessage): Promise<void> {
    if (m.type === 'choose') {
      this.intervalMs = m.intervalMs;
      this.unit = m.unit;
      await this.count();
    } else if (m.type === 'goTo') {
      const number = await this.packetAt(m.at);
      if (number === undefined) throw new Error('No packet shown from that moment on.');
      this.capture.goToPacket(number);
    }
  }
}
