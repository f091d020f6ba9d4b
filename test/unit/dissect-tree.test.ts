// Wireshark's tree as our layers: on real sharkd answers for corpus captures (RESP, QUIC, DNS,
// HTTP), through the whole deep path (the conversation cut, sharkd, the conversion), and on
// hostile answers (huge, deep, wrong types), which must give a bounded tree or none, never throw.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { conversationCut } from '../../extension/dissect/conversation-cut.js';
import { DeepTrees, findSharkd } from '../../extension/dissect/deep-tree.js';
import { SharkdClient } from '../../extension/dissect/sharkd.js';
import {
  MAX_LABEL_CHARS,
  MAX_TREE_DEPTH,
  MAX_TREE_NODES,
  parseFilter,
  TEXT_FIELD,
  wiresharkLayers,
} from '../../extension/dissect/wireshark-tree.js';
import { PacketStore } from '../../extension/store/packet-store.js';
import { StoreIngest } from '../../extension/store/store-ingest.js';
import type { Field, Layer } from '../../packet/decode/types.js';
import { readCapture, TCPDUMP_TESTS_DIR } from '../fixtures/tcpdump-tests.js';

const SHARKD = findSharkd('wireshark');
const noSharkd = SHARKD ? false : 'sharkd is not installed (Debian: wireshark-common, a dependency of tshark)';
const corpus = (name: string) => path.join(TCPDUMP_TESTS_DIR, name);

const sharkd = new SharkdClient({ command: SHARKD ?? 'sharkd' });
const tempParent = fs.mkdtempSync(path.join(os.tmpdir(), 'deep-tree-test-'));
const deep = new DeepTrees({ wiresharkPath: () => 'wireshark', tempParent });
after(async () => {
  await sharkd.dispose();
  await deep.dispose();
  fs.rmSync(tempParent, { recursive: true, force: true });
});

function storeOf(file: string): PacketStore {
  const store = new PacketStore({ maxPackets: 1_000_000, maxBytes: 1 << 30, whenFull: 'stop' });
  const ingest = new StoreIngest(store);
  ingest.push(readCapture(file));
  ingest.end();
  return store;
}

function* walk(fields: Field[]): Generator<Field> {
  for (const f of fields) {
    yield f;
    yield* walk(f.children ?? []);
  }
}

function allFields(layers: Layer[]): Field[] {
  return layers.flatMap((l) => [...walk(l.fields)]);
}

/** Every highlight lies inside the packet's bytes. */
function assertRangesInside(layers: Layer[], capturedLength: number): void {
  for (const node of [...layers, ...allFields(layers)]) {
    assert.ok(node.offset >= 0 && node.length >= 0, `${node.label}: negative range`);
    if (node.length > 0) assert.ok(node.offset + node.length <= capturedLength, `${node.label}: past the bytes`);
  }
}

async function layersOf(file: string, frame: number): Promise<{ layers: Layer[]; capturedLength: number }> {
  const store = storeOf(file);
  const capturedLength = store.packet(frame)!.data.length;
  const { tree } = await sharkd.frameTree(file, frame);
  const layers = wiresharkLayers(tree, { capturedLength });
  assert.ok(layers, `no layers for ${path.basename(file)} frame ${frame}`);
  return { layers, capturedLength };
}

test('a RESP (Redis) packet: its protocol layer, fields named and valued from their filters', {
  skip: noSharkd,
}, async () => {
  const { layers, capturedLength } = await layersOf(corpus('resp_1_benchmark.pcap'), 4);
  assert.deepEqual(
    layers.map((l) => l.protocol),
    ['frame', 'sll', 'ip', 'tcp', 'resp'],
  );
  const resp = layers.at(-1)!;
  assert.equal(resp.label, 'REdis Serialization Protocol');
  assert.deepEqual([resp.offset, resp.length], [68, 6]);
  const fields = allFields(layers);
  const srcport = fields.find((f) => f.name === 'tcp.srcport')!;
  assert.equal(srcport.value, 35901);
  assert.deepEqual([srcport.offset, srcport.length], [36, 2]);
  assert.equal(fields.find((f) => f.name === 'ip.src')?.value, '127.0.0.1');
  // The frame layer leaves out what describes the position in the file Wireshark read.
  assert.equal(
    layers[0]!.fields.find((f) => f.name === 'frame.number'),
    undefined,
  );
  assertRangesInside(layers, capturedLength);
});

test('a QUIC Initial: decrypted frames point into another data source, so they highlight nothing', {
  skip: noSharkd,
}, async () => {
  const { layers, capturedLength } = await layersOf(corpus('quic_handshake.pcap'), 1);
  assert.ok(layers.some((l) => l.protocol === 'quic'));
  const fields = allFields(layers);
  const sni = fields.find((f) => f.name === 'tls.handshake.extensions_server_name');
  assert.equal(sni?.value, 'localhost');
  assert.equal(sni?.length, 0, 'inside the decrypted CRYPTO frame, not the packet');
  const dcid = fields.find((f) => f.name === 'quic.dcid');
  assert.ok(dcid && dcid.length > 0, 'the header is in the packet');
  assert.ok(
    fields.some((f) => f.name === TEXT_FIELD),
    'label-only nodes get the text name',
  );
  assertRangesInside(layers, capturedLength);
});

test('DNS over UDP and TCP, and HTTP: Wireshark names their fields as our decoders do', {
  skip: noSharkd,
}, async () => {
  const udp = await layersOf(corpus('dns_udp.pcap'), 1);
  assert.ok(allFields(udp.layers).some((f) => f.name === 'dns.qry.name'));
  const tcp = await layersOf(corpus('dns_tcp.pcap'), 6);
  assert.ok(tcp.layers.some((l) => l.protocol === 'dns'));
  const http = await layersOf(corpus('ipv4_tcp_http_xml.pcap'), 1);
  assert.ok(http.layers.some((l) => l.protocol === 'http'));
  for (const { layers, capturedLength } of [udp, tcp, http]) assertRangesInside(layers, capturedLength);
});

test('the conversation cut: one 5-tuple, both directions, from its SYN to the packet, none ignored', async () => {
  const store = storeOf(corpus('resp_1_benchmark.pcap'));
  // Connection 35903 ↔ 6379 is packets 21-30, between its neighbours'.
  assert.deepEqual(await conversationCut(store, 26), { numbers: [21, 22, 23, 24, 25, 26], frame: 6 });
  assert.deepEqual(await conversationCut(store, 21), { numbers: [21], frame: 1 });
  // Bounded: the packets nearest the selected one are kept.
  assert.deepEqual(await conversationCut(store, 26, { maxPackets: 3, maxBytes: 1 << 20, maxScan: 1000 }), {
    numbers: [24, 25, 26],
    frame: 3,
  });
  assert.deepEqual(await conversationCut(store, 26, { maxPackets: 100, maxBytes: 1 << 20, maxScan: 2 }), {
    numbers: [24, 25, 26],
    frame: 3,
  });
  assert.equal(await conversationCut(store, 9999), undefined);
  // A packet ignored is left out, as Wireshark dissects the others without it.
  store.setIgnored([23], true);
  assert.deepEqual(await conversationCut(store, 26), { numbers: [21, 22, 24, 25, 26], frame: 5 });
});

test('a long look back lets the event loop run, and stops once the packet is no longer wanted', async () => {
  const source = storeOf(corpus('resp_1_benchmark.pcap'));
  const store = new PacketStore({ maxPackets: 1_000_000, maxBytes: 1 << 30, whenFull: 'stop' });
  store.addInterface({ linkType: source.interfaces[0]!.linkType, snaplen: 65535 });
  // 50,000 packets of other conversations, then one of its own: the whole window is looked at.
  const append = (n: number) => {
    const p = source.packet(n)!;
    store.append({ interfaceId: 0, timestampNs: 0n, data: p.data, originalLength: p.originalLength });
  };
  for (let i = 0; i < 50_000; i++) append(5 + (i % 5));
  append(150);
  let turns = 0;
  const ticking = setInterval(() => turns++, 0);
  try {
    assert.deepEqual(await conversationCut(store, store.lastNumber), { numbers: [store.lastNumber], frame: 1 });
    assert.ok(turns > 0, 'timers ran during the look back');
    let asked = 0;
    assert.equal(await conversationCut(store, store.lastNumber, undefined, () => ++asked < 2), undefined);
    assert.equal(asked, 2);
  } finally {
    clearInterval(ticking);
  }
});

test('the deep tree of a packet of a capture: Wireshark reads its conversation, frames renumbered', {
  skip: noSharkd,
}, async (t) => {
  const store = storeOf(corpus('resp_1_benchmark.pcap'));
  const tree = await deep.treeOf(store, 25);
  assert.equal(tree.kind, 'layers');
  const layers = tree.kind === 'layers' ? tree.layers : [];
  assert.match(layers[0]!.label, /^Frame 25: /);
  // Packet 25 acknowledges packet 24 (frame 4 of the cut): the tree says 24.
  const acks = allFields(layers).find((f) => f.name === 'tcp.analysis.acks_frame');
  assert.equal(acks?.value, 24);
  assert.match(acks!.label, /\b24\b/);
  // The cut is gone; only the private folder stays, for the next.
  const folders = fs.readdirSync(tempParent);
  assert.equal(folders.length, 1);
  const folder = path.join(tempParent, folders[0]!);
  assert.equal(fs.statSync(folder).mode & 0o777, 0o700);
  assert.deepEqual(fs.readdirSync(folder), []);

  // A RESP request: Wireshark's protocol node. Warm sharkd, one small flow: the median time.
  const quic = storeOf(corpus('quic_handshake.pcap'));
  for (const [what, from, number, protocol] of [
    ['a 4-packet RESP flow', store, 24, 'resp'],
    ['an 18-packet QUIC flow', quic, 18, 'quic'],
  ] as const) {
    const times: number[] = [];
    for (let i = 0; i < 15; i++) {
      const t0 = performance.now();
      const tree = await deep.treeOf(from, number);
      times.push(performance.now() - t0);
      assert.ok(tree.kind === 'layers' && tree.layers.some((l) => l.protocol === protocol));
    }
    times.sort((a, b) => a - b);
    t.diagnostic(
      `deep tree of the last packet of ${what}, warm sharkd: median ${times[7]!.toFixed(1)} ms, max ${times[14]!.toFixed(1)} ms (15 runs)`,
    );
  }
});

test('a packet no longer wanted is skipped; without sharkd the answer is "missing", at once', async () => {
  const store = storeOf(corpus('resp_1_benchmark.pcap'));
  assert.deepEqual(await deep.treeOf(store, 4, undefined, () => false), { kind: 'skipped' });
  const empty = fs.mkdtempSync(path.join(tempParent, 'empty-'));
  const none = new DeepTrees({ wiresharkPath: () => path.join(empty, 'wireshark'), tempParent });
  assert.deepEqual(await none.treeOf(store, 4), { kind: 'missing' });
  await none.dispose();
  const gone = await deep.treeOf(store, 9999);
  assert.equal(gone.kind, SHARKD ? 'none' : 'missing');
});

// ---- hostile answers

/** A stand-in for sharkd (a Node script) that answers `load` as sharkd does and `frame` with
 *  `tree`, after a line of noise, a notification and an answer to another id. */
function hostileSharkd(tree: unknown): string {
  const dir = fs.mkdtempSync(path.join(tempParent, 'hostile-'));
  const program = path.join(dir, 'sharkd');
  const script = `#!${process.execPath}
const rl = require('node:readline').createInterface({ input: process.stdin });
const tree = ${JSON.stringify(JSON.stringify(tree))};
rl.on('line', (line) => {
  const { id, method } = JSON.parse(line);
  if (method === 'load') return void process.stdout.write(JSON.stringify({ jsonrpc: '2.0', id, result: { status: 'OK' } }) + '\\n');
  process.stdout.write('not json {{{\\n' + JSON.stringify({ jsonrpc: '2.0', method: 'noise' }) + '\\n');
  process.stdout.write(JSON.stringify({ jsonrpc: '2.0', id: id + 1, result: { tree: [] } }) + '\\n');
  process.stdout.write('{"jsonrpc":"2.0","id":' + id + ',"result":{"tree":' + tree + '}}\\n');
});
`;
  fs.writeFileSync(program, script, { mode: 0o700 });
  return path.join(dir, 'wireshark');
}

test('through a sharkd that answers nonsense: a bounded tree or none, never an error', async () => {
  const store = storeOf(corpus('resp_1_benchmark.pcap'));
  let deepest: Record<string, unknown> = { l: 'leaf' };
  for (let i = 0; i < 1000; i++) deepest = { l: `level ${i}`, n: [deepest], h: 'x', ds: 'y' };
  const answers: [string, unknown, (tree: Awaited<ReturnType<DeepTrees['treeOf']>>) => void][] = [
    ['wrong types', { not: 'a list' }, (t) => assert.equal(t.kind, 'none')],
    ['nodes of nothing', [1, null, 'x', [], { l: 7 }], (t) => assert.equal(t.kind, 'none')],
    [
      'deep and odd',
      [deepest],
      (t) => {
        assert.equal(t.kind, 'layers');
        assert.equal(t.kind === 'layers' && t.layers.at(-1)?.protocol, '_ws.truncated');
      },
    ],
  ];
  for (const [what, tree, check] of answers) {
    const wireshark = hostileSharkd(tree);
    const hostile = new DeepTrees({ wiresharkPath: () => wireshark, tempParent });
    try {
      check(await hostile.treeOf(store, 4));
    } catch (e) {
      throw new Error(`${what}: ${(e as Error).message}`);
    } finally {
      await hostile.dispose();
    }
  }
});

const ctx = { capturedLength: 100 };

test('wrong types are skipped or read as absent, never thrown', () => {
  for (const tree of [null, 1, 'x', {}, [], [null, 1, 'x', []], [{ l: 5 }], [{ n: [] }]])
    assert.equal(wiresharkLayers(tree, ctx), undefined, JSON.stringify(tree));
  const layers = wiresharkLayers(
    [
      {
        l: 'Proto',
        f: 'p',
        h: ['0', 4],
        n: [
          { l: 'bad range', f: 'p.a == 1', h: [-1, 4] },
          { l: 'past the end', f: 'p.b == 2', h: [90, 20] },
          { l: 'not an array', f: 'p.c', h: { 0: 1, 1: 2 }, n: { l: 'child' } },
          { l: 'other source', f: 'p.d', h: [1, 2], ds: 1 },
          { l: 'fine', f: 'p.e == "a\\"b"', h: [1, 2] },
          { l: 'weird filter', f: 'x y z <script> == 3', h: [1, 2] },
          { l: 'hex', f: 'p.f == 0x0800', h: [1, 2], ds: 0 },
          'not a node',
        ],
      },
    ],
    ctx,
  )!;
  const fields = layers[0]!.fields;
  assert.deepEqual(
    fields.map((f) => [f.name, f.offset, f.length, f.value]),
    [
      ['p.a', 0, 0, 1],
      ['p.b', 0, 0, 2],
      ['p.c', 0, 0, undefined],
      ['p.d', 0, 0, undefined],
      ['p.e', 1, 2, 'a"b'],
      [TEXT_FIELD, 1, 2, undefined],
      ['p.f', 1, 2, '0x0800'],
    ],
  );
  assert.equal(layers[0]!.length, 0);
});

test('labels stay text: markup is kept as characters, control characters become spaces, long ones are cut', () => {
  const layers = wiresharkLayers(
    [{ l: '<img src=x onerror=alert(1)>\u0000\n', f: 'p', n: [{ l: 'x'.repeat(100_000) }] }],
    ctx,
  )!;
  assert.equal(layers[0]!.label, '<img src=x onerror=alert(1)>  ');
  assert.equal(layers[0]!.fields[0]!.label.length, MAX_LABEL_CHARS);
  assert.ok(layers[0]!.fields[0]!.label.endsWith('…'));
});

test('a huge tree is cut at the node cap, and says so', () => {
  const wide = [{ l: 'P', f: 'p', n: Array.from({ length: MAX_TREE_NODES * 2 }, (_, i) => ({ l: `n${i}` })) }];
  const layers = wiresharkLayers(wide, ctx)!;
  assert.equal(layers[0]!.fields.length, MAX_TREE_NODES - 1);
  assert.equal(layers.at(-1)!.protocol, '_ws.truncated');
});

test('a deep tree is cut at the depth cap, without exhausting the stack', () => {
  let node: Record<string, unknown> = { l: 'leaf' };
  for (let i = 0; i < 100_000; i++) node = { l: `level ${i}`, n: [node] };
  const layers = wiresharkLayers([node], ctx)!;
  let depth = 0;
  for (let f: Field | undefined = layers[0]!.fields[0]; f; f = f.children?.[0]) depth++;
  assert.equal(depth, MAX_TREE_DEPTH);
  assert.equal(layers.at(-1)!.protocol, '_ws.truncated');
});

test('a filter gives the field name and its value', () => {
  assert.deepEqual(parseFilter('tcp.srcport == 80'), { name: 'tcp.srcport', value: 80 });
  assert.deepEqual(parseFilter('tcp'), { name: 'tcp' });
  assert.deepEqual(parseFilter('frame.time == "2015-02-24 02:23:00.757197000+0000"'), {
    name: 'frame.time',
    value: '2015-02-24 02:23:00.757197000+0000',
  });
  assert.deepEqual(parseFilter('eth.src == 00:00:00:00:00:00'), { name: 'eth.src', value: '00:00:00:00:00:00' });
  assert.equal(parseFilter(''), undefined);
  assert.equal(parseFilter(42), undefined);
  assert.equal(parseFilter('a'.repeat(300)), undefined);
});
