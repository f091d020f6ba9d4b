// Statistics → Conversations (and Endpoints): Ethernet, IPv4, IPv6, TCP and UDP, in a tab beside the
// capture, as Wireshark's window: a row is applied as the capture's display filter on a double
// click or Enter; while the capture runs, the tables follow it (redrawn at most once a second).
// TCP's and UDP's are read from the streams pass's records; the others are decoded by the filter
// workers, and the tab shows the table when they are done.
import { streamFilter } from '../../packet/decode/follow.js';
import {
  type ConversationRow,
  checkStatisticsMessage,
  hasPorts,
  type StatisticsKind,
  type StatisticsMessage,
  type StatisticsProtocol,
  type StatisticsView,
} from '../../packet/statistics-protocol.js';
import type { AddressProtocol } from '../store/address-conversations.js';
import { conversations, endpoints } from '../store/conversations.js';
import type { FollowedCapture } from './follow-panel.js';
import { SideTab, type SideTabHost } from './side-tab.js';

export const STATISTICS_VIEW_TYPE = 'packetCapture.conversations';

export interface StatisticsCapture extends FollowedCapture {
  /** The capture is running: packets still arrive. */
  readonly running: boolean;
  /** Calls `listener` as packets arrive; returns the unsubscribe function. */
  onPackets(listener: () => void): () => void;
  /** Calls `listener` when every packet was dissected again (Ignore Packet, Decode As). */
  onDissection(listener: () => void): () => void;
  /** The Ethernet, IPv4 or IPv6 conversations of every packet held (the workers decode them). */
  addressConversations(protocol: AddressProtocol): Promise<ConversationRow[]>;
}

export class StatisticsPanel extends SideTab<StatisticsMessage, StatisticsView> {
  private protocol: StatisticsProtocol = 'tcp';
  private kind: StatisticsKind = 'conversations';
  private last?: StatisticsView;
  /** Bumped by each count: an older one finishing late is thrown away. */
  private counting = 0;

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
    this.followPackets(
      (l) => capture.onPackets(l),
      () => void this.count(),
    );
    this.onDidDispose(capture.onDissection(() => void this.count()));
  }

  shown(): StatisticsView {
    // Before the first count: TCP's table, counted at once.
    this.last ??= this.view(this.tcpUdp());
    return this.last;
  }

  /** Counts the table shown again and draws it. */
  async count(): Promise<StatisticsView> {
    const turn = ++this.counting;
    const { protocol } = this;
    const list = hasPorts(protocol) ? this.tcpUdp() : await this.capture.addressConversations(protocol);
    if (turn === this.counting) {
      this.last = this.view(list);
      this.show();
    }
    return this.shown();
  }

  private tcpUdp(): ConversationRow[] {
    return hasPorts(this.protocol) ? conversations(this.capture.store, this.protocol) : [];
  }

  private view(list: ConversationRow[]): StatisticsView {
    return {
      captureTitle: this.capture.title,
      protocol: this.protocol,
      kind: this.kind,
      conversations: this.kind === 'conversations' ? list : [],
      endpoints: this.kind === 'endpoints' ? endpoints(list) : [],
      live: this.capture.running,
    };
  }

  /** Shows one table: a protocol's conversations or endpoints. */
  choose(protocol: StatisticsProtocol, kind: StatisticsKind): Promise<StatisticsView> {
    this.protocol = protocol;
    this.kind = kind;
    return this.count();
  }

  /** The display filter selecting row `index` of the table last shown. */
  rowFilter(index: number): string {
    const view = this.last ?? this.shown();
    const { protocol } = view;
    if (view.kind === 'conversations') {
      const row = view.conversations[index];
      if (!row) throw new Error('That conversation is no longer in the table.');
      if (hasPorts(protocol)) return streamFilter(protocol, row.stream);
      return `${protocol}.addr == ${row.a.address} && ${protocol}.addr == ${row.b.address}`;
    }
    const row = view.endpoints[index];
    if (!row) throw new Error('That endpoint is no longer in the table.');
    if (!hasPorts(protocol)) return `${protocol}.addr == ${row.address}`;
    const ip = row.address.includes(':') ? 'ipv6' : 'ip';
    return `${ip}.addr == ${row.address} && ${protocol}.port == ${row.port}`;
  }

  protected async handle(m: StatisticsMessage): Promise<void> {
    if (m.type === 'choose') await this.choose(m.protocol, m.kind);
    else if (m.type === 'apply') await this.capture.showFilter(this.rowFilter(m.index));
  }
}
