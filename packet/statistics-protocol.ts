// The contract between the host and the Conversations tab (webview/statistics.ts): the host sends
// the tables; the page says which table to show and which row the user chose (the host builds the
// filter from its own rows: nothing the page sends becomes a filter).
import type { TabReady } from './tab-protocol.js';

export type StatisticsKind = 'conversations' | 'endpoints';

/** The tables: Ethernet, IPv4 and IPv6 by addresses, TCP and UDP by address and port. */
export const STATISTICS_PROTOCOLS = ['eth', 'ip', 'ipv6', 'tcp', 'udp'] as const;
export type StatisticsProtocol = (typeof STATISTICS_PROTOCOLS)[number];

/** Whether the protocol's ends have ports (TCP, UDP). */
export function hasPorts(protocol: StatisticsProtocol): protocol is 'tcp' | 'udp' {
  return protocol === 'tcp' || protocol === 'udp';
}

export interface EndpointView {
  address: string;
  /** TCP's and UDP's; none for Ethernet, IPv4 and IPv6. */
  port?: number;
}

export interface ConversationRow {
  /** TCP's or UDP's stream index; for Ethernet, IPv4 and IPv6 the conversation's place. */
  stream: number;
  a: EndpointView;
  b: EndpointView;
  framesAToB: number;
  bytesAToB: number;
  framesBToA: number;
  bytesBToA: number;
  startNs: number;
  durationNs: number;
}

export interface EndpointRow extends EndpointView {
  packets: number;
  bytes: number;
  txPackets: number;
  txBytes: number;
  rxPackets: number;
  rxBytes: number;
}

export interface StatisticsView {
  captureTitle: string;
  protocol: StatisticsProtocol;
  kind: StatisticsKind;
  /** Rows in the order they started (conversations) or first appeared (endpoints). */
  conversations: ConversationRow[];
  endpoints: EndpointRow[];
  /** The capture is still running: the tables are redrawn as packets arrive. */
  live: boolean;
}

export type StatisticsMessage =
  | TabReady
  | { type: 'choose'; protocol: StatisticsProtocol; kind: StatisticsKind }
  /** Apply as filter the row at `index` of the table shown. */
  | { type: 'apply'; index: number };

export function checkStatisticsMessage(raw: unknown): StatisticsMessage | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const m = raw as Record<string, unknown>;
  if (m.type === 'ready') return { type: 'ready' };
  if (
    m.type === 'choose' &&
    STATISTICS_PROTOCOLS.includes(m.protocol as StatisticsProtocol) &&
    (m.kind === 'conversations' || m.kind === 'endpoints')
  )
    return { type: 'choose', protocol: m.protocol as StatisticsProtocol, kind: m.kind };
  if (m.type === 'apply' && Number.isSafeInteger(m.index) && (m.index as number) >= 0)
    return { type: 'apply', index: m.index as number };
  return undefined;
}
