// A TCP segment's analysis (streams.ts) as Wireshark shows it: the "[SEQ/ACK analysis]" and
// "[Timestamps]" subtrees, and the bracketed verdicts in front of the Info column.
import { field } from './dissection.js';
import { seconds } from './format.js';
import { TCP_ANALYSIS, TCP_HAS_ANALYSIS, type TcpView } from './streams.js';
import type { Field } from './types.js';

const RETRANSMISSION_LABEL = 'This frame is a (suspected) retransmission';

/** Each verdict: its field, its line in the tree, its Info text; in the order Wireshark prints
 *  them (each is put in front of the Info written before it). */
const VERDICTS: readonly [flag: number, name: string, label: string, info: string][] = [
  [
    TCP_ANALYSIS.reusedPorts,
    'reused_ports',
    'A new tcp session is started with the same ports as an earlier session in this trace',
    'TCP Port numbers reused',
  ],
  [TCP_ANALYSIS.retransmission, 'retransmission', RETRANSMISSION_LABEL, 'TCP Retransmission'],
  [
    TCP_ANALYSIS.fastRetransmission,
    'fast_retransmission',
    'This frame is a (suspected) fast retransmission',
    'TCP Fast Retransmission',
  ],
  [
    TCP_ANALYSIS.spuriousRetransmission,
    'spurious_retransmission',
    'This frame is a (suspected) spurious retransmission',
    'TCP Spurious Retransmission',
  ],
  [TCP_ANALYSIS.outOfOrder, 'out_of_order', 'This frame is a (suspected) out-of-order segment', 'TCP Out-Of-Order'],
  [
    TCP_ANALYSIS.lostSegment,
    'lost_segment',
    'Previous segment(s) not captured (common at capture start)',
    'TCP Previous segment not captured',
  ],
  [
    TCP_ANALYSIS.ackLostSegment,
    'ack_lost_segment',
    "ACKed segment that wasn't captured (common at capture start)",
    'TCP ACKed unseen segment',
  ],
  [TCP_ANALYSIS.windowUpdate, 'window_update', 'TCP window update', 'TCP Window Update'],
  [
    TCP_ANALYSIS.windowFull,
    'window_full',
    'TCP window specified by the receiver is now completely full',
    'TCP Window Full',
  ],
  [TCP_ANALYSIS.keepAlive, 'keep_alive', 'TCP keep-alive segment', 'TCP Keep-Alive'],
  [TCP_ANALYSIS.keepAliveAck, 'keep_alive_ack', 'ACK to a TCP keep-alive segment', 'TCP Keep-Alive ACK'],
  [TCP_ANALYSIS.duplicateAck, 'duplicate_ack', 'This is a TCP duplicate ack', ''],
  [TCP_ANALYSIS.zeroWindowProbe, 'zero_window_probe', 'TCP Zero Window Probe', 'TCP ZeroWindowProbe'],
  [TCP_ANALYSIS.zeroWindow, 'zero_window', 'TCP Zero Window segment', 'TCP ZeroWindow'],
  [
    TCP_ANALYSIS.zeroWindowProbeAck,
    'zero_window_probe_ack',
    'ACK to a TCP Zero Window Probe',
    'TCP ZeroWindowProbeAck',
  ],
];

/** "[TCP Retransmission] ", … to put in front of the Info column ('' when none). */
export function analysisInfo(a: TcpView | undefined): string {
  if (a === undefined || (a.bits & 0xffff) === 0) return '';
  let prefix = '';
  for (const [flag, , , info] of VERDICTS) {
    if (!(a.bits & flag)) continue;
    const text = flag === TCP_ANALYSIS.duplicateAck ? `TCP Dup ACK ${a.dupAckFrame}#${a.dupAckNum}` : info;
    prefix = `[${text}] ${prefix}`;
  }
  return prefix;
}

/** A field naming another packet of the capture: "Go to Linked Packet" goes there. */
function frameField(name: string, label: string, frame: number, at: number): Field {
  const f = field(name, `[${label}: ${frame}]`, at, 0, frame);
  f.link = frame;
  return f;
}

function timeField(name: string, label: string, ns: number, at: number): Field {
  return field(name, `[${label}: ${seconds(ns)} seconds]`, at, 0, ns / 1e9);
}

/** The "[SEQ/ACK analysis]" subtree, when the segment has one. */
export function analysisFields(a: TcpView, at: number): Field[] {
  if (!(a.bits & TCP_HAS_ANALYSIS)) return [];
  const kids: Field[] = [];
  if (a.ackedFrame !== 0) {
    kids.push(frameField('tcp.analysis.acks_frame', 'This is an ACK to the segment in frame', a.ackedFrame, at));
    if (a.ackRttNs !== 0)
      kids.push(timeField('tcp.analysis.ack_rtt', 'The RTT to ACK the segment was', a.ackRttNs, at));
  }
  if (a.initialRttNs !== 0) kids.push(timeField('tcp.analysis.initial_rtt', 'iRTT', a.initialRttNs, at));
  if (a.bits & 0xffff) {
    const verdicts: Field[] = [];
    for (const [flag, name, label] of VERDICTS) {
      if (!(a.bits & flag)) continue;
      verdicts.push(field(`tcp.analysis.${name}`, `[${label}]`, at, 0, true));
      // A fast or spurious retransmission is a retransmission too (Wireshark adds both marks, so
      // `tcp.analysis.retransmission` matches all three).
      if (flag === TCP_ANALYSIS.fastRetransmission || flag === TCP_ANALYSIS.spuriousRetransmission)
        verdicts.push(field('tcp.analysis.retransmission', `[${RETRANSMISSION_LABEL}]`, at, 0, true));
    }
    kids.push(field('tcp.analysis.flags', '[TCP Analysis Flags]', at, 0, true, verdicts));
  }
  if (a.dupAckNum !== 0) {
    kids.push(
      field('tcp.analysis.duplicate_ack_num', `[Duplicate ACK #: ${a.dupAckNum}]`, at, 0, a.dupAckNum),
      frameField('tcp.analysis.duplicate_ack_frame', 'Duplicate to the ACK in frame', a.dupAckFrame, at),
    );
  }
  return [field('tcp.analysis', '[SEQ/ACK analysis]', at, 0, true, kids)];
}

/** The "[Timestamps]" subtree: time since the stream's first and previous segments. */
export function timestampFields(a: TcpView, at: number): Field {
  return field('tcp.timestamps', '[Timestamps]', at, 0, undefined, [
    timeField('tcp.time_relative', 'Time since first frame in this TCP stream', a.relativeNs, at),
    timeField('tcp.time_delta', 'Time since previous frame in this TCP stream', a.deltaNs, at),
  ]);
}
