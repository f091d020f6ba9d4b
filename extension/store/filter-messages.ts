// Messages between the packet view (extension host) and the display-filter worker.
import type { DecodeAsRule } from '../../packet/decode-as.js';
import type { PodRef } from '../../packet/k8s-pod.js';
import type { SegmentSnapshot } from './packet-store.js';

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
