// One packet's conversation as a small capture: its 5-tuple's packets, both directions, from the
// connection's first packet the store holds up to and including the packet itself, so Wireshark's
// TCP reassembly, HTTP/2 header tables and TLS sessions see what came before it. The cut is
// bounded (packets, bytes, and how far back it looks), keeping the packets nearest the selected one.
// Packets ignored (Ignore Packet) are left out, as Wireshark dissects the others without them.
import { summarizePacket } from '../../packet/decode/index.js';
import type { Conversation } from '../../packet/decode/types.js';
import type { PacketStore } from '../store/packet-store.js';

export interface CutLimits {
  /** Most packets in the cut. */
  maxPackets: number;
  /** Most captured bytes in the cut. */
  maxBytes: number;
  /** Most packets looked at before the selected one (a long capture's conversation may start far back). */
  maxScan: number;
}

export const CUT_LIMITS: CutLimits = { maxPackets: 2000, maxBytes: 16 << 20, maxScan: 200_000 };

/** Packets looked at between two turns of the event loop: a long look back (about 2 µs a packet)
 *  must not hold up the extension host. */
const SCAN_SLICE = 4096;

export interface ConversationCut {
  /** The packets of the cut, by number, in capture order; the selected packet is the last. */
  numbers: number[];
  /** The selected packet's frame number in the cut (1-based). */
  frame: number;
}

function sameConversation(a: Conversation, b: Conversation | undefined): boolean {
  return b !== undefined && a.protocol === b.protocol && a.a === b.a && a.b === b.b;
}

/** Our decoder's Info of a TCP SYN without ACK: the connection's first packet. */
function opensConnection(info: string): boolean {
  return info.includes('[SYN]');
}

/** The cut for packet `number`, or undefined when the store no longer holds it or `wanted` turned
 *  false meanwhile. A packet of no conversation (ARP, a bare frame) is a cut of its own. */
export async function conversationCut(
  store: PacketStore,
  number: number,
  limits: CutLimits = CUT_LIMITS,
  wanted: () => boolean = () => true,
): Promise<ConversationCut | undefined> {
  const selected = store.packet(number);
  if (!selected) return undefined;
  const first = summarizePacket(selected.linkType, selected.data, selected.originalLength);
  const earlier: number[] = [];
  let bytes = selected.data.length;
  const conversation = first.conversation;
  if (conversation && !(conversation.protocol === 'tcp' && opensConnection(first.info))) {
    const stop = Math.max(store.firstNumber, number - limits.maxScan);
    for (let n = number - 1; n >= stop && earlier.length + 1 < limits.maxPackets; n--) {
      if ((number - n) % SCAN_SLICE === 0) {
        await new Promise((resolve) => setImmediate(resolve));
        if (!wanted()) return undefined;
      }
      const p = store.packet(n);
      if (!p) break;
      if (store.ignored(n)) continue; // as if never captured, for Wireshark too
      const s = summarizePacket(p.linkType, p.data, p.originalLength);
      if (!sameConversation(conversation, s.conversation)) continue;
      if (bytes + p.data.length > limits.maxBytes) break;
      bytes += p.data.length;
      earlier.push(n);
      if (conversation.protocol === 'tcp' && opensConnection(s.info)) break;
    }
  }
  const numbers = earlier.reverse();
  numbers.push(number);
  return { numbers, frame: numbers.length };
}
