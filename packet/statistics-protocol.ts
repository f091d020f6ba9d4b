// The contract between the host and the Conversations tab (webview/statistics.ts): the host sends
// the tables; the page says which table to show and which row the user chose (the host builds the
// filter from its own rows: nothing the page sends becomes a filter).
import type { FollowProtocol } from './decode/follow.js';
import type { TabReady } from './tab-protocol.js';

export type StatisticsKind = 'conversations' | 'endpoints';

export interface EndpointView {
  address: string;
  port: number;
}

export interface ConversationRow {
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
  protocol: FollowProtocol;
  kind: StatisticsKind;
  /** Rows in the order they started (conversations) or first appeared (endpoints). */
  conversations: ConversationRow[];
  endpoints: EndpointRow[];
  /** The capture is still running: the tables are redrawn as packets arrive. */
  live: boolean;
}

export type StatisticsMessage =
  | TabReady
  | { type: 'choose'; protocol: FollowProtocol; kind: StatisticsKind }
  /** Apply as filter the row at `index` of the table shown. */
  | { type: 'apply'; index: number };

export function checkStatisticsMessage(raw: unknown): StatisticsMessage | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const m = raw as Record<string, unknown>;
  if (m.type === 'ready') return { type: 'ready' };
  if (
    m.type === 'choose' &&
    (m.protocol === 'tcp' || m.protocol === 'udp') &&
    (m.kind === 'conversations' || m.kind === 'endpoints')
  )
    return { type: 'choose', protocol: m.protocol, kind: m.kind };
  if (m.type === 'apply' && Number.isSafeInteger(m.index) && (m.index as number) >= 0)
    return { type: 'apply', index: m.index as number };
  return undefined;
}
