// The detail tree's 🔑 on the TLS sessions whose keys a debug capture holds: every packet of the
// TCP connection whose Client Hello random the key log names, and nothing of other connections.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HeldTlsSessions, KEYS_HELD_FIELD } from '../../extension/debug/tls-badge.js';
import { PacketStore } from '../../extension/store/packet-store.js';
import { decodePacket } from '../../packet/decode/index.js';
import type { DecodedPacket } from '../../packet/decode/types.js';

const RANDOM = Buffer.alloc(32, 0x5a);
const OTHER = Buffer.alloc(32, 0x11);

/** A minimal TLS 1.2 Client Hello record with `random`. */
function clientHello(random: Buffer): Buffer {
  const hello = Buffer.concat([
    Buffer.from([0x03, 0x03]), // client_version
    random,
    Buffer.from([0x00]), // session id: none
    Buffer.from([0x00, 0x02, 0x13, 0x01]), // one cipher suite
    Buffer.from([0x01, 0x00]), // compression: null
    Buffer.from([0x00, 0x00]), // no extensions
  ]);
  const handshake = Buffer.concat([Buffer.from([0x01, 0, 0, hello.length]), hello]);
  return Buffer.concat([Buffer.from([0x16, 0x03, 0x01, 0, handshake.length]), handshake]);
}

/** Ethernet + IPv4 (127.0.0.1 both ways) + TCP from `sport` to 443 carrying `payload`. */
function tcpFrame(sport: number, payload: Buffer): Uint8Array {
  const tcp = Buffer.from([
    sport >> 8,
    sport & 0xff,
    0x01,
    0xbb,
    0,
    0,
    0,
    1,
    0,
    0,
    0,
    0,
    0x50,
    0x18,
    0xff,
    0xff,
    0,
    0,
    0,
    0,
  ]);
  const ipLength = 20 + tcp.length + payload.length;
  const ip = Buffer.from([
    0x45,
    0,
    ipLength >> 8,
    ipLength & 0xff,
    0,
    0,
    0x40,
    0,
    64,
    6,
    0,
    0,
    127,
    0,
    0,
    1,
    127,
    0,
    0,
    1,
  ]);
  const eth = Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x08, 0x00]);
  return Buffer.concat([eth, ip, tcp, payload]);
}

function marked(d: DecodedPacket): boolean {
  return d.layers.some((l) => l.fields[0]?.name === KEYS_HELD_FIELD && l.label.endsWith('🔑'));
}

test('every packet of a TLS session whose keys are held is marked; other connections are not', () => {
  const store = new PacketStore({ maxPackets: 100, maxBytes: 1e6, whenFull: 'stop' });
  store.addInterface({ linkType: 1, snaplen: 65535 });
  const frames = [
    tcpFrame(0xc000, clientHello(RANDOM)), // 1: the session whose keys are held
    tcpFrame(0xc001, clientHello(OTHER)), // 2: another session
    tcpFrame(0xc000, Buffer.from('application data, encrypted')), // 3: held session, no TLS header seen
    tcpFrame(0xc001, Buffer.alloc(0)), // 4: the other session's ACK
  ];
  for (const [i, data] of frames.entries())
    store.append({ interfaceId: 0, timestampNs: BigInt(i), data, originalLength: data.length });
  const keys = new Set<string>();
  const sessions = new HeldTlsSessions(
    () => store,
    () => keys,
  );
  const detail = (n: number) => {
    const p = store.packet(n)!;
    const d = decodePacket(p.linkType, p.data, p.originalLength);
    sessions.annotate(d, n);
    return d;
  };
  assert.deepEqual(
    [1, 2, 3, 4].map((n) => marked(detail(n))),
    [false, false, false, false],
    'no key yet',
  );
  keys.add(RANDOM.toString('hex')); // the debuggee logs its keys
  assert.deepEqual(
    [1, 2, 3, 4].map((n) => marked(detail(n))),
    [true, false, true, false],
  );
  const hello = detail(1).layers.find((l) => l.protocol === 'tls')!;
  assert.match(hello.fields[0]!.label, /Client Hello: packet 1/);
  const data = detail(3).layers.find((l) => l.protocol === 'tcp')!;
  assert.equal(data.fields[0]!.name, KEYS_HELD_FIELD, 'a packet without a TLS layer is marked in its TCP layer');
});
