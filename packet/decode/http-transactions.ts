// HTTP request/response pairing, as Wireshark 4.0 pairs them (packet-http.c, push_req and
// push_res) in its first pass and shows them in its second (tshark -2): per conversation (here:
// the TCP stream), transactions in a list. A request always starts a new transaction; a response
// completes the latest one when that has no response yet, and else starts one of its own (its
// request was not seen). Each message then links to its transaction's other message and to the
// transactions before and after it. Notifications (NOTIFY, SUBSCRIBE, UNSUBSCRIBE) take no part.
// The streams pass runs this once per message in order; stream-records.ts keeps each message's
// links, and writes them again when a later message changes them (a response arriving, the next
// transaction starting).

/** A message's links, as the second pass shows them; frames are 0 where there is none. */
export interface HttpPairing {
  request: boolean;
  /** Its transaction's place in the conversation, from 1 (http.request_number, http.response_number). */
  number: number;
  /** Transactions in the conversation (0: not known here). */
  total: number;
  /** A request's response (http.response_in), a response's request (http.request_in). */
  linkFrame: number;
  /** A response's time since its request (http.time); NaN when its request was not seen. */
  timeNs: number;
  /** The previous transaction's messages (http.prev_request_in, http.prev_response_in). */
  prevRequest: number;
  prevResponse: number;
  /** The next transaction's messages (http.next_request_in, http.next_response_in). */
  nextRequest: number;
  nextResponse: number;
}

/** Where a message's links are kept: told again whenever they change. */
export type HttpRecord = (pairing: HttpPairing) => void;

interface Transaction {
  number: number;
  requestFrame: number;
  requestTimeNs: number;
  responseFrame: number;
  responseTimeNs: number;
  prev: Transaction | undefined;
  next: Transaction | undefined;
  requestRecord: HttpRecord | undefined;
  responseRecord: HttpRecord | undefined;
}

interface Conversation {
  tail: Transaction | undefined;
  count: number;
}

export class HttpTransactions {
  private readonly byConversation = new Map<number, Conversation>();

  /** Transactions conversation `conversation` has so far (the "n/total" of the tree's labels). */
  count(conversation: number): number {
    return this.byConversation.get(conversation)?.count ?? 0;
  }

  /** A request or response in frame `frame` at `timeNs`: paired, and recorded in `record` (now,
   *  and again whenever a later message changes its links). */
  message(conversation: number, request: boolean, frame: number, timeNs: number, record: HttpRecord): HttpPairing {
    let c = this.byConversation.get(conversation);
    if (!c) {
      c = { tail: undefined, count: 0 };
      this.byConversation.set(conversation, c);
    }
    let t = c.tail;
    if (request || !t || t.responseFrame !== 0) {
      t = {
        number: ++c.count,
        requestFrame: 0,
        requestTimeNs: Number.NaN,
        responseFrame: 0,
        responseTimeNs: Number.NaN,
        prev: c.tail,
        next: undefined,
        requestRecord: undefined,
        responseRecord: undefined,
      };
      if (c.tail) c.tail.next = t;
      c.tail = t;
    }
    if (request) {
      t.requestFrame = frame;
      t.requestTimeNs = timeNs;
      t.requestRecord = record;
    } else {
      t.responseFrame = frame;
      t.responseTimeNs = timeNs;
      t.responseRecord = record;
      t.requestRecord?.(pairing(t, true));
    }
    if (t.prev) {
      t.prev.requestRecord?.(pairing(t.prev, true));
      t.prev.responseRecord?.(pairing(t.prev, false));
    }
    const own = pairing(t, request);
    own.total = c.count;
    record(own);
    return own;
  }
}

function pairing(t: Transaction, request: boolean): HttpPairing {
  return {
    request,
    number: t.number,
    total: 0,
    linkFrame: request ? t.responseFrame : t.requestFrame,
    timeNs: request ? Number.NaN : t.responseTimeNs - t.requestTimeNs,
    prevRequest: t.prev?.requestFrame ?? 0,
    prevResponse: t.prev?.responseFrame ?? 0,
    nextRequest: t.next?.requestFrame ?? 0,
    nextResponse: t.next?.responseFrame ?? 0,
  };
}
