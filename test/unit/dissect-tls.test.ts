// TLS with known keys through the deep tree: a real TLS 1.2 session (Node's TLS, over an in-memory
// pipe, so no network), framed as TCP/IPv4 packets into a store with its key-log line. The cut
// Wireshark reads carries the keys (the file's Decryption Secrets, or a debug session's), so the
// encrypted request shows as HTTP; without them it stays TLS application data.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Duplex, PassThrough } from 'node:stream';
import { after, test } from 'node:test';
import * as tls from 'node:tls';
import { decryptionSecretsBlock } from '../../extension/debug/tls-keys.js';
import { DeepTrees, findSharkd } from '../../extension/dissect/deep-tree.js';
import { PacketStore } from '../../extension/store/packet-store.js';
import type { Field, Layer } from '../../packet/decode/types.js';
import { SECRETS_TLS_KEY_LOG } from '../../packet/pcapng.js';
import { ETH, eth, ip4, ipv4, PROTO, TCP, tcp } from './fixtures/packets.js';

const noSharkd = findSharkd('wireshark')
  ? false
  : 'sharkd is not installed (Debian: wireshark-common, a dependency of tshark)';
const tempParent = fs.mkdtempSync(path.join(os.tmpdir(), 'deep-tls-test-'));
const deep = new DeepTrees({ wiresharkPath: () => 'wireshark', tempParent });
after(async () => {
  await deep.dispose();
  fs.rmSync(tempParent, { recursive: true, force: true });
});

interface Chunk {
  from: 'client' | 'server';
  bytes: Buffer;
}

/** One TLS 1.2 (PSK: no certificate needed) request and response; the bytes each side sent, in
 *  order, and the client's key-log line. */
async function tlsExchange(): Promise<{ chunks: Chunk[]; keyLog: string[] }> {
  const chunks: Chunk[] = [];
  const toServer = new PassThrough();
  const toClient = new PassThrough();
  const tap = (from: Chunk['from'], out: PassThrough) =>
    new PassThrough().on('data', (bytes: Buffer) => {
      chunks.push({ from, bytes });
      out.write(bytes);
    });
  const psk = Buffer.alloc(32, 7);
  const options = { ciphers: 'PSK-AES128-GCM-SHA256', minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' } as const;
  const server = new tls.TLSSocket(Duplex.from({ readable: toServer, writable: tap('server', toClient) }), {
    isServer: true,
    ...options,
    pskCallback: () => psk,
  } as tls.TLSSocketOptions);
  const client = tls.connect({
    socket: Duplex.from({ readable: toClient, writable: tap('client', toServer) }),
    ...options,
    pskCallback: () => ({ psk, identity: 'deep-tree' }),
    checkServerIdentity: () => undefined,
  });
  const keyLog: string[] = [];
  client.on('keylog', (line) => keyLog.push(line.toString('latin1').trim()));
  server.on('data', () => server.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi'));
  client.on('secureConnect', () => client.write('GET /deep HTTP/1.1\r\nHost: example\r\n\r\n'));
  await new Promise<void>((resolve, reject) => {
    client.once('data', () => resolve());
    client.once('error', reject);
    server.once('error', reject);
  });
  client.destroy();
  server.destroy();
  return { chunks, keyLog };
}

const CLIENT = { address: '198.18.0.1', port: 40000 };
const SERVER = { address: '198.18.0.2', port: 443 };

/** The exchange as Ethernet frames of one TCP connection (handshake, then one segment a chunk). */
function frames(chunks: Chunk[]): Uint8Array[] {
  const seq = { client: 1000, server: 5000 };
  const segment = (from: Chunk['from'], flags: number, payload = new Uint8Array(0)) => {
    const [src, dst] = from === 'client' ? [CLIENT, SERVER] : [SERVER, CLIENT];
    const other = from === 'client' ? 'server' : 'client';
    const ip = { src: ip4(src.address), dst: ip4(dst.address) };
    const body = tcp(
      { sport: src.port, dport: dst.port, seq: seq[from], ack: flags & TCP.ACK ? seq[other] : 0, flags, ip },
      payload,
    );
    seq[from] += payload.length + (flags & TCP.SYN ? 1 : 0);
    return eth({ type: ETH.ipv4 }, ipv4({ src: src.address, dst: dst.address, proto: PROTO.tcp }, body));
  };
  return [
    segment('client', TCP.SYN),
    segment('server', TCP.SYN | TCP.ACK),
    segment('client', TCP.ACK),
    ...chunks.map((c) => segment(c.from, TCP.PSH | TCP.ACK, new Uint8Array(c.bytes))),
  ];
}

function storeOf(packets: Uint8Array[], keyLog?: string[]): PacketStore {
  const store = new PacketStore({ maxPackets: 1000, maxBytes: 1 << 20, whenFull: 'stop' });
  store.addInterface({ name: 'lo', linkType: 1, snaplen: 65535 });
  for (const [i, data] of packets.entries())
    store.append({
      interfaceId: 0,
      timestampNs: 1_800_000_000_000_000_000n + BigInt(i) * 1000n,
      data,
      originalLength: data.length,
    });
  if (keyLog)
    store.secrets.push({
      secretsType: SECRETS_TLS_KEY_LOG,
      data: Buffer.from(keyLog.map((l) => `${l}\n`).join(''), 'latin1'),
    });
  return store;
}

function* walk(fields: Field[]): Generator<Field> {
  for (const f of fields) {
    yield f;
    yield* walk(f.children ?? []);
  }
}

function uriOf(layers: Layer[]): Field | undefined {
  return layers.flatMap((l) => [...walk(l.fields)]).find((f) => f.name === 'http.request.uri');
}

test('TLS with known keys: the request decrypts to HTTP; without them it stays encrypted', {
  skip: noSharkd,
}, async () => {
  const { chunks, keyLog } = await tlsExchange();
  assert.equal(keyLog.length, 1);
  const packets = frames(chunks);
  // The request: the client's last chunk (its first application data).
  const clientChunks = chunks.flatMap((c, i) => (c.from === 'client' ? [i] : []));
  const request = 3 + clientChunks.at(-1)! + 1;

  const withKeys = await deep.treeOf(storeOf(packets, keyLog), request);
  assert.equal(withKeys.kind, 'layers');
  const layers = withKeys.kind === 'layers' ? withKeys.layers : [];
  assert.ok(
    layers.some((l) => l.protocol === 'http'),
    `layers: ${layers.map((l) => l.protocol).join(', ')}`,
  );
  const uri = uriOf(layers);
  assert.equal(uri?.value, '/deep');
  assert.equal(uri?.length, 0, 'decrypted bytes are not the packet bytes: no highlight');

  // A debug session's keys, given as the extras' leading blocks, do the same.
  const fromExtras = await deep.treeOf(storeOf(packets), request, {
    leadingBlocks: () => [decryptionSecretsBlock(keyLog)],
  });
  assert.equal(fromExtras.kind === 'layers' && uriOf(fromExtras.layers)?.value, '/deep');

  const without = await deep.treeOf(storeOf(packets), request);
  assert.equal(without.kind, 'layers');
  const plain = without.kind === 'layers' ? without.layers : [];
  assert.ok(plain.some((l) => l.protocol === 'tls'));
  assert.ok(!plain.some((l) => l.protocol === 'http'));
});
