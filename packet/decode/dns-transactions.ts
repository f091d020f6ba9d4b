// DNS request/response pairing over UDP and TCP, as Wireshark 4.0 pairs them (packet-dns.c) in its
// first pass and shows them in its second (tshark -2): per conversation (here: the UDP or TCP
// stream; over TCP, the first message of each segment, as our decoder reads it), a query
// opens a transaction under its ID unless the ID's latest transaction is still unanswered and
// younger than 5 seconds (then it is a retransmission of it); a response answers the ID's latest
// transaction, the first response being the answer and later ones retransmissions; a response
// with no transaction is unsolicited. A quoted message (inside an ICMP error) pairs with nothing.
// The streams pass runs this once per packet in order (stream-records.ts records the outcome).
// Not done: Wireshark's zone transfers (AXFR/IXFR, whose many responses all answer the query),
// DNS messages after the first in a TCP segment, or spread over several segments (reassembled).

/** What a DNS message is to its transaction, as the second pass shows it. */
export type DnsRole =
  /** A query; its response, when one came, is `frame` (dns.response_in). */
  | 'query'
  /** The response to the query in `frame`, `timeNs` after it (dns.response_to, dns.time). */
  | 'response'
  /** A query sent again; the original is `frame` (dns.retransmit_request_in). */
  | 'retransmittedQuery'
  /** A response sent again; the original is `frame` (dns.retransmit_response_in). */
  | 'retransmittedResponse'
  /** A response to no query seen (dns.unsolicited). */
  | 'unsolicited';

/** The roles in the order the records number them (1 + index; 0: no DNS message). */
export const DNS_ROLES: readonly DnsRole[] = [
  'query',
  'response',
  'retransmittedQuery',
  'retransmittedResponse',
  'unsolicited',
];

/** Wireshark's retransmission_timer: a query repeated sooner than this is a retransmission. */
const RETRANSMISSION_NS = 5e9;

interface Transaction {
  queryFrame: number;
  queryTimeNs: number;
  /** 0 while unanswered. */
  responseFrame: number;
  /** Told when the response comes: the query's record then names it. */
  answered: (responseFrame: number) => void;
}

export interface DnsPairing {
  role: DnsRole;
  /** The other packet (0: none yet, for a query not answered). */
  frame: number;
  /** A response's time since its query. */
  timeNs: number;
}

export class DnsTransactions {
  /** By conversation, by DNS ID: the ID's latest transaction (the one Wireshark's lookup finds). */
  private readonly byConversation = new Map<number, Map<number, Transaction>>();

  /**
   * Message `id` of frame `frame` at `timeNs`, in conversation `conversation`. A query gets
   * `answered`, called when (if) its response comes later in the pass.
   */
  message(
    conversation: number,
    id: number,
    response: boolean,
    frame: number,
    timeNs: number,
    answered: (responseFrame: number) => void,
  ): DnsPairing {
    let ids = this.byConversation.get(conversation);
    if (!ids) {
      ids = new Map();
      this.byConversation.set(conversation, ids);
    }
    const latest = ids.get(id);
    if (!response) {
      if (latest && latest.responseFrame === 0 && timeNs - latest.queryTimeNs < RETRANSMISSION_NS)
        return { role: 'retransmittedQuery', frame: latest.queryFrame, timeNs: 0 };
      ids.set(id, { queryFrame: frame, queryTimeNs: timeNs, responseFrame: 0, answered });
      return { role: 'query', frame: 0, timeNs: 0 };
    }
    if (!latest) return { role: 'unsolicited', frame: 0, timeNs: 0 };
    if (latest.responseFrame !== 0) return { role: 'retransmittedResponse', frame: latest.responseFrame, timeNs: 0 };
    latest.responseFrame = frame;
    latest.answered(frame);
    return { role: 'response', frame: latest.queryFrame, timeNs: timeNs - latest.queryTimeNs };
  }
}
