// The detail tree's mark on a TLS session whose keys the capture holds (a debuggee's key log). The
// key log names a session by its Client Hello's random; every packet of that Client Hello's TCP
// connection is the session's, so each of them is marked, not only the Client Hello. No VS Code here.
import { decodePacket, summarizePacket } from '../../packet/decode/index.js';
import type { Conversation, DecodedPacket, Field, Layer } from '../../packet/decode/types.js';
import type { PacketStore } from '../store/packet-store.js';

export const KEYS_HELD_FIELD = 'tls.keys_held';

function* walk(fields: readonly Field[]): Generator<Field> {
  for (const f of fields) {
    yield f;
    if (f.children) yield* walk(f.children);
  }
}

/** The Client Hello's random (lower-case hex) when `decoded` carries one. */
function clientHelloRandom(decoded: DecodedPacket): string | undefined {
  for (const layer of decoded.layers) {
    if (layer.protocol !== 'tls') continue;
    const fields = [...walk(layer.fields)];
    if (!fields.some((f) => f.name === 'tls.handshake.type' && f.value === 1)) continue;
    const random = fields.find((f) => f.name === 'tls.handshake.random')?.value;
    if (typeof random === 'string') return random.toLowerCase();
  }
  return undefined;
}

function conversationKey(c: Conversation | undefined): string | undefined {
  return c?.protocol === 'tcp' ? `${c.a} ${c.b}` : undefined;
}

/** Adds "keys held" to the packet's TLS layer, or to its TCP layer when it carries no TLS record. */
function mark(decoded: DecodedPacket, helloNumber: number): void {
  const layer: Layer | undefined =
    decoded.layers.find((l) => l.protocol === 'tls') ?? decoded.layers.find((l) => l.protocol === 'tcp');
  if (!layer || layer.fields[0]?.name === KEYS_HELD_FIELD) return;
  layer.fields.unshift({
    name: KEYS_HELD_FIELD,
    label: `🔑 Keys held for this TLS session (its Client Hello: packet ${helloNumber}): a saved pcapng carries them, Wireshark decrypts it`,
    offset: 0,
    length: 0,
    value: true,
  });
  layer.label = `${layer.label} 🔑`;
}

/**
 * The TLS sessions of a capture whose keys are held: the TCP connections of the Client Hellos whose
 * random the key log names. Packets are looked at once each, as the detail of one is asked for;
 * only the rows whose Info says "Client Hello" are decoded in full.
 */
export class HeldTlsSessions {
  /** Connection → the number of its Client Hello, for every Client Hello seen (keys held or not yet). */
  private readonly hellos = new Map<string, { number: number; random: string }>();
  private scannedUpTo = 0;

  constructor(
    private readonly store: () => PacketStore,
    private readonly clientRandoms: () => ReadonlySet<string>,
  ) {}

  /** Marks `decoded` (packet `number`) when its TCP connection's keys are held. */
  annotate(decoded: DecodedPacket, number: number): void {
    this.scan();
    const hello = this.hellos.get(conversationKey(decoded.conversation) ?? '');
    // The connection's Client Hello as the scan met it (also for a tree whose fields are not ours:
    // Wireshark's); a Client Hello the scan has not met (a connection's 5-tuple reused) by its own random.
    const random = hello?.number === number ? undefined : clientHelloRandom(decoded);
    const session = random !== undefined ? { number, random } : hello;
    if (session && session.number <= number && this.clientRandoms().has(session.random)) mark(decoded, session.number);
  }

  private scan(): void {
    const store = this.store();
    for (let n = Math.max(this.scannedUpTo + 1, store.firstNumber); n <= store.lastNumber; n++) {
      const p = store.packet(n);
      if (!p) continue;
      const summary = summarizePacket(p.linkType, p.data, p.originalLength);
      const key = conversationKey(summary.conversation);
      if (key === undefined || !summary.info.includes('Client Hello')) continue;
      const random = clientHelloRandom(decodePacket(p.linkType, p.data, p.originalLength));
      if (random !== undefined) this.hellos.set(key, { number: n, random });
    }
    this.scannedUpTo = store.lastNumber;
  }
}
