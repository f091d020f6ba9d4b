// Statistics → Protocol Hierarchy, in a tab beside the capture, as Wireshark's window: every
// protocol found, nested as the packets nest them, with their share of the packets and bytes (of
// those the display filter shows, when one is applied). A row is applied as the capture's display
// filter on a double click or Enter. While the capture runs, or when the display filter changes,
// the hierarchy is counted again (at most once a second while packets arrive); the filter workers
// decode the packets, a running capture only its new ones (PacketView.protocolHierarchy).
import {
  checkHierarchyMessage,
  type HierarchyMessage,
  type HierarchyRow,
  type HierarchyView,
} from '../../packet/hierarchy-protocol.js';
import type { IoGraphCapture } from './io-graph-panel.js';
import { SideTab, type SideTabHost } from './side-tab.js';

export const HIERARCHY_VIEW_TYPE = 'packetCapture.protocolHierarchy';

export interface HierarchyCapture extends IoGraphCapture {
  /** The hierarchy of every packet held, or of `numbers` (ascending). */
  protocolHierarchy(numbers?: Uint32Array): Promise<HierarchyRow[]>;
}

export class HierarchyPanel extends SideTab<HierarchyMessage, HierarchyView> {
  private last?: HierarchyView;
  /** Bumped by each count: an older one finishing late is thrown away. */
  private counting = 0;

  constructor(
    host: SideTabHost,
    readonly capture: HierarchyCapture,
  ) {
    super(host, {
      viewType: HIERARCHY_VIEW_TYPE,
      title: `Protocol Hierarchy — ${capture.title}`,
      page: 'hierarchy',
      check: checkHierarchyMessage,
      closesWith: capture.onDidDispose,
    });
    this.followCapture(capture, () => void this.count());
  }

  shown(): HierarchyView {
    this.last ??= this.view(this.capture.displayFilter, [], undefined, true);
    return this.last;
  }

  /** Counts the hierarchy again (of the display filter's packets once it has judged every packet
   *  held) and draws it. */
  async count(): Promise<HierarchyView> {
    const turn = ++this.counting;
    if (this.last && !this.last.counting) {
      this.last = { ...this.last, counting: true };
      this.show();
    }
    const filter = this.capture.displayFilter;
    const numbers = filter ? await this.capture.displayedNumbers() : undefined;
    const rows = await this.capture.protocolHierarchy(numbers);
    if (turn === this.counting) {
      this.last = this.view(filter, rows, numbers, false);
      this.show();
    }
    return this.shown();
  }

  private view(
    filter: string,
    rows: HierarchyRow[],
    numbers: Uint32Array | undefined,
    counting: boolean,
  ): HierarchyView {
    let frames = 0;
    let bytes = 0;
    for (const row of rows)
      if (row.depth === 0) {
        frames += row.frames;
        bytes += row.bytes;
      }
    return {
      captureTitle: this.capture.title,
      filter,
      frames,
      bytes,
      durationS: this.durationS(numbers),
      rows,
      live: this.capture.running,
      counting,
    };
  }

  /** Seconds from the first packet counted to the last. */
  private durationS(numbers: Uint32Array | undefined): number {
    const store = this.capture.store;
    const ends = numbers
      ? Uint32Array.of(numbers[0] ?? 0, numbers[numbers.length - 1] ?? 0)
      : Uint32Array.of(store.firstNumber, store.lastNumber);
    if (store.held === 0 || ends[0] === 0) return 0;
    const [first, last] = store.columnValues('time', ends);
    return Math.max(0, ((last ?? 0) - (first ?? 0)) / 1e9);
  }

  /** The display filter selecting row `index`'s protocol. */
  rowFilter(index: number): string {
    const row = this.last?.rows[index];
    if (!row) throw new Error('That protocol is no longer in the hierarchy.');
    return row.protocol;
  }

  protected async handle(m: HierarchyMessage): Promise<void> {
    if (m.type === 'apply') await this.capture.showFilter(this.rowFilter(m.index));
  }
}
