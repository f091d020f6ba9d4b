import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KEYS_HELD_FIELD, markHeldKeys } from '../../extension/debug/tls-badge.js';
import { decodePacket } from '../../packet/decode/index.js';

const RANDOM = Buffer.alloc(32, 0x5a);

/** Ethernet + IPv4 + TCP to port 443 carrying a minimal TLS 1.2 Client Hello with `random`. */
function clientHello(random: Buffer): Uint8Array {
  const hello = Buffer.concat([
    Buffer.from([0x03, 0x03]), // client_version
    random,
    Buffer.from([0x00]), // session id: none
    Buffer.from([0x00, 0x02, 0x13, 0x01]), // one cipher suite
    Buffer.from([0x01, 0x00]), // compression: null
    Buffer.from([0x00, 0x00]), // no extensions
  ]);
  const handshake = Buffer.concat([Buffer.from([0x01, 0, 0, hello.length]), hello]);
  const record = Buffer.concat([Buffer.from([0x16, 0x03, 0x01, 0, handshake.length]), handshake]);
  const tcp = Buffer.from([0xc0, 0x00, 0x01, 0xbb, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0]);
  const ipLength = 20 + tcp.length + record.length;
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
  return Buffer.concat([eth, ip, tcp, record]);
}

function decoded(random: Buffer) {
  const bytes = clientHello(random);
  return decodePacket(1, bytes, bytes.length);
}

test('a Client Hello whose random is in the key log is marked in the tree; another is not', () => {
  const held = new Set([RANDOM.toString('hex')]);
  const mine = decoded(RANDOM);
  assert.ok(
    mine.layers.some((l) => l.protocol === 'tls'),
    'the decoder reads the Client Hello',
  );
  markHeldKeys(mine, held);
  const tls = mine.layers.find((l) => l.protocol === 'tls')!;
  assert.equal(tls.fields[0]!.name, KEYS_HELD_FIELD);
  assert.match(tls.label, /🔑$/);

  const other = decoded(Buffer.alloc(32, 0x11));
  markHeldKeys(other, held);
  assert.ok(other.layers.every((l) => !l.fields.some((f) => f.name === KEYS_HELD_FIELD)));
});
