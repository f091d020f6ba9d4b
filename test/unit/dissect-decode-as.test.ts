// Decode As in Wireshark's detail tree: the real sharkd, given the rules through a private
// configuration folder (decode_as_entries), reads an HTTP/2 connection on an odd port as http2 only
// while the rule is there, and the user's own Wireshark settings still apply beside the rules.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { DeepTrees, findSharkd } from '../../extension/dissect/deep-tree.js';
import { decodeAsEntries, writeSharkdConfig } from '../../extension/dissect/sharkd-config.js';
import { PacketStore } from '../../extension/store/packet-store.js';
import { StoreIngest } from '../../extension/store/store-ingest.js';
import { type DecodeAsRule, parseDecodeAs } from '../../packet/decode-as.js';
import { ETH, eth, ip4, ipv4, PROTO, pcapngFile, TCP, tcp } from './fixtures/packets.js';

const noSharkd = findSharkd('wireshark') ? false : 'sharkd is not installed (Debian: wireshark-common)';
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'dissect-decode-as-'));
let rules: DecodeAsRule[] = [];
const deep = new DeepTrees({
  wiresharkPath: () => 'wireshark',
  decodeAs: () => rules,
  dissectorName: async (protocol) => (protocol === 'http2' ? 'HTTP2' : undefined),
  tempParent: scratch,
});
after(async () => {
  await deep.dispose();
  fs.rmSync(scratch, { recursive: true, force: true });
});

/** A store holding one HTTP/2 client preface (and an empty SETTINGS frame) to TCP port 18080. */
function http2OnOddPort(): PacketStore {
  const [a, b] = ['198.18.0.1', '198.18.0.2'];
  const payload = new Uint8Array([...Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), 0, 0, 0, 4, 0, 0, 0, 0, 0]);
  const frame = eth(
    { type: ETH.ipv4 },
    ipv4(
      { src: a, dst: b, proto: PROTO.tcp },
      tcp({ sport: 40001, dport: 18080, flags: TCP.PSH | TCP.ACK, ip: { src: ip4(a), dst: ip4(b) } }, payload),
    ),
  );
  const store = new PacketStore({ maxPackets: 10, maxBytes: 1 << 20, whenFull: 'stop' });
  const ingest = new StoreIngest(store);
  ingest.push(pcapngFile([1], [{ data: frame }]));
  ingest.end();
  return store;
}

async function protocols(store: PacketStore): Promise<string[]> {
  const tree = await deep.treeOf(store, 1);
  assert.equal(tree.kind, 'layers', JSON.stringify(tree));
  return (tree as { layers: { protocol: string }[] }).layers.map((l) => l.protocol);
}

test("Decode As entries name the dissector as Wireshark's file does", () => {
  const entries = decodeAsEntries([parseDecodeAs('tcp.port==18080,http2'), parseDecodeAs('udp.port==5300,dns')], (p) =>
    p === 'http2' ? 'HTTP2' : undefined,
  );
  assert.equal(entries, 'decode_as_entry: tcp.port,18080,(none),HTTP2\ndecode_as_entry: udp.port,5300,(none),DNS\n');
});

test("sharkd's configuration folder: the user's settings copied, their entries first, private", () => {
  const personal = path.join(scratch, 'personal');
  fs.mkdirSync(path.join(personal, 'profiles'), { recursive: true });
  fs.writeFileSync(path.join(personal, 'preferences'), 'tcp.desegment_tcp_streams: TRUE\n');
  fs.writeFileSync(path.join(personal, 'decode_as_entries'), 'decode_as_entry: udp.port,9999,(none),DNS');
  const folder = path.join(scratch, 'config');
  writeSharkdConfig(folder, [parseDecodeAs('tcp.port==18080,http2')], () => 'HTTP2', personal);
  assert.equal(fs.statSync(folder).mode & 0o777, 0o700);
  assert.deepEqual(fs.readdirSync(folder).sort(), ['decode_as_entries', 'preferences']);
  assert.equal(fs.statSync(path.join(folder, 'preferences')).mode & 0o777, 0o600);
  assert.equal(
    fs.readFileSync(path.join(folder, 'decode_as_entries'), 'utf8'),
    'decode_as_entry: udp.port,9999,(none),DNS\n# Decode As of packetCapture.decodeAs: tcp.port==18080,http2\n' +
      'decode_as_entry: tcp.port,18080,(none),HTTP2\n',
  );
});

test("Wireshark's tree follows Decode As: http2 on an odd port with the rule, not without", {
  skip: noSharkd,
}, async () => {
  const store = http2OnOddPort();
  assert.ok(!(await protocols(store)).includes('http2'), 'without a rule the port is not HTTP/2');
  const plain = deep.pid;
  rules = [parseDecodeAs('tcp.port==18080,http2')];
  assert.ok((await protocols(store)).includes('http2'), 'the rule makes it HTTP/2');
  assert.notEqual(deep.pid, plain, 'sharkd was started again with the rules');
  const withRule = deep.pid;
  assert.ok((await protocols(store)).includes('http2'));
  assert.equal(deep.pid, withRule, 'the same rules keep the same sharkd');
  rules = [];
  assert.ok(!(await protocols(store)).includes('http2'), 'the rule removed, the port is not HTTP/2 again');
  // The old sharkd ends, then its folder goes: waited for, within a bound.
  const configs = () =>
    fs
      .readdirSync(scratch)
      .filter((n) => n.startsWith('packet-capture-deep-'))
      .flatMap((n) => fs.readdirSync(path.join(scratch, n)));
  for (const end = Date.now() + 5000; configs().length > 0 && Date.now() < end; )
    await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(configs(), [], "the rules' configuration folder is removed with its sharkd");
});
