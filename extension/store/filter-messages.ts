// Messages between the packet view (extension host) and the display-filter worker.
import type { DecodeAsRule } from '../../packet/decode-as.js';
import type { PodRef } from '../../packet/k8s-pod.js';
import type { AddressProtocol, AddressTally } from './address-conversations.js';
import type { SegmentSnapshot } from './packet-store.js';
import type { PathTally } from './protocol-hierarchy.js';

export interface FilterJob {
  id: number;
  text: string;
  /** Search the columns for the text instead of reading it as an expression. */
  textSearch: boolean;
  /** Inclusive range of packet numbers to test. */
  from: number;
  to: number;
  segments: SegmentSnapshot[];
  linkTypes: number[];
  /** Each interface's pod (k8s.pod, k8s.namespace), by interface id; undefined: none. */
  pods: (PodRef | undefined)[];
  /** Packet numbers captured while a debugged process was paused (debug.paused): sorted, inclusive [from, to] pairs. */
  paused?: [number, number][];
  /** Packet numbers marked in the table (frame.marked). */
  marked?: number[];
  /** Decode As rules (tshark's -d form) the packets are decoded with. */
  decodeAs: DecodeAsRule[];
}

export interface FilterReply {
  id: number;
  /** Matching packet numbers, ascending. */
  numbers: Uint32Array;
  /** Every number ≤ upTo has been tested. */
  upTo: number;
  done: boolean;
}

/** The text of one table column for each of `numbers` (a sort by that column). */
export interface ColumnTextJob {
  /** A column of the table; `custom`: the field `field` (packet/custom-columns.ts). */
  column: 'source' | 'destination' | 'protocol' | 'info' | 'pod' | 'process' | 'custom';
  field?: string;
  /** Packet numbers, ascending. */
  numbers: Uint32Array;
  segments: SegmentSnapshot[];
  linkTypes: number[];
  pods: (PodRef | undefined)[];
  decodeAs: DecodeAsRule[];
}

/** Texts as a dictionary and an index into it per packet: a column repeats its texts, and a
 *  million strings would cost more to pass between threads than to decode. */
export interface ColumnTexts {
  /** The distinct texts. */
  texts: string[];
  /** Each packet's text, as its index in `texts`. */
  ids: Uint32Array;
}

/** Packets whose statistics the workers count (Conversations for Ethernet, IPv4 or IPv6, Protocol
 *  Hierarchy), answering segment by segment so that a full segment's counts can be kept. */
export interface SegmentJob {
  /** Packet numbers, ascending. */
  numbers: Uint32Array;
  segments: SegmentSnapshot[];
  linkTypes: number[];
  decodeAs: DecodeAsRule[];
}

/** What a part counted among one segment's packets (those of the segment it was given). */
export interface SegmentCount<T> {
  firstNumber: number;
  tallies: T;
}

/** One segment's packets' paths of protocols. */
export type SegmentPaths = SegmentCount<PathTally[]>;
/** The Ethernet, IPv4 or IPv6 conversations of the job's packets. */
export interface AddressJob extends SegmentJob {
  protocol: AddressProtocol;
}

/** One segment's packets' conversations of a protocol. */
export type SegmentAddresses = SegmentCount<AddressTally[]>;

/** A job the workers share: each takes a part of its packets, in order, and answers with what
 *  it found in them (the parts are joined in order). */
export type PartWork =
  | { kind: 'texts'; job: ColumnTextJob }
  | { kind: 'addresses'; job: AddressJob }
  | { kind: 'hierarchy'; job: SegmentJob };

/** One worker's part of a PartWork, as the runner sends it: the job with the part's numbers. */
export type PartMessage = PartWork & { id: number; part: number };

export interface PartReply {
  id: number;
  part: number;
  result: ColumnTexts | SegmentAddresses[] | SegmentPaths[];
}
