// Statistics → Conversations (and Endpoints), TCP and UDP, in a tab beside the capture, as
// Wireshark's window: a row is applied as the capture's display filter on a double click or Enter;
// while the capture runs, the tables follow it (redrawn at most once a second).
import { type FollowProtocol, streamFilter } from '../../packet/decode/follow.js';
import {
  checkStatisticsMessage,
  type StatisticsKind,
  type StatisticsMessage,
  type StatisticsView,
} from '../../packet/statistics-protocol.js';
import { conversations, endpoints } from '../store/conversations.js';
import type { FollowedCapture } from './follow-panel.js';
import { SideTab, type SideTabHost } from './side-tab.js';

export const STATISTICS_VIEW_TYPE = 'packetCapture.conversations';

/** How often a running capture's tables are redrawn, at most. */
const LIVE_REDRAW_MS = 1000;

export interface StatisticsCapture extends FollowedCapture {
  /** The capture is running: packets still arrive. */
  readonly running: boolean;
  /** Calls `listener` as packets arrive; returns the unsubscribe function. */
  onPackets(listener: () => void): () => void;
}

export class StatisticsPanel extends SideTab<StatisticsMessage, StatisticsView> {
  private protocol: FollowProtocol = 'tcp';
  private kind: StatisticsKind = 'conversations';
  private last?: StatisticsView;
  private redraw?: ReturnType<typeof setTimeout>;

  constructor(
    host: SideTabHost,
    readonly capture: StatisticsCapture,
  ) {
    super(host, {
      viewType: STATISTICS_VIEW_TYPE,
      title: `Conversations — ${capture.title}`,
      page: 'statistics',
      check: checkStatisticsMessage,
      closesWith: capture.onDidDispose,
    });
    const unsubscribe = capture.onPackets(() => {
      this.redraw ??= setTimeout(() => {
        this.redraw = undefined;
        if (this.webviewPanel.visible) this.show();
      }, LIVE_REDRAW_MS);
    });
    this.onDidDispose(() => {
      unsubscribe();
      clearTimeout(this.redraw);
    });
  }

  shown(): StatisticsView {
    const list = conversations(this.capture.store, this.protocol);
    this.last = {
      captureTitle: this.capture.title,
      protocol: this.protocol,
      kind: this.kind,
      conversations: this.kind === 'conversations' ? list : [],
      endpoints: this.kind === 'endpoints' ? endpoints(list) : [],
      live: this.capture.running,
    };
    return this.last;
  }

  /** Shows one table: TCP or UDP, conversations or endpoints. */
  choose(protocol: FollowProtocol, kind: StatisticsKind): void {
    this.protocol = protocol;
    this.kind = kind;
    this.show();
  }

  /** The display filter selecting row `index` of the table last shown. */
  rowFilter(index: number): string {
    const view = this.last ?? this.shown();
    if (view.kind === 'conversations') {
      const row = view.conversations[index];
      if (!row) throw new Error('That conversation is no longer in the table.');
      return streamFilter(view.protocol, row.stream);
    }
    const row = view.endpoints[index];
    if (!row) throw new Error('That endpoint is no longer in the table.');
    const ip = row.address.includes(':') ? 'ipv6' : 'ip';
    return `${ip}.addr == ${row.address} && ${view.protocol}.port == ${row.port}`;
  }

  protected async handle(m: StatisticsMessage): Promise<void> {
    if (m.type === 'choose') this.choose(m.protocol, m.kind);
    else if (m.type === 'apply') await this.capture.showFilter(this.rowFilter(m.index));
  }
}
