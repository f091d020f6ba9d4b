// The assistant tools' answers (extension/assistant/), from real stores: tcpdump's captures and a
// crafted one, with tshark as the oracle for every count.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { formatSummary, summarizePackets } from '../../extension/assistant/capture-summary.js';
import { formatFilterResult, MAX_FILTER_ROWS, rowLimit, runSideFilter } from '../../extension/assistant/filter-rows.js';
import { formatPacketTree, MAX_TREE_LINES } from '../../extension/assistant/packet-tree.js';
import { boundedAnswer, inert, MAX_ANSWER_CHARS } from '../../extension/assistant/plain-text.js';
import { writeCaptureFile } from '../../extension/capture/capture-writer.js';
import { readCaptureInto } from '../../extension/editor/file-load.js';
import { packetDetail } from '../../extension/panel/table-rows.js';
import { type IncomingPacket, PacketStore } from '../../extension/store/packet-store.js';
import { formatProcessComments } from '../../packet/process-comment.js';
import { TCPDUMP_TESTS_DIR } from '../fixtures/tcpdump-tests.js';
import { tsharkFrames } from './fixtures/tshark.js';
import { useFilterWorker } from './helpers/filter-worker.js';

const worker = useFilterWorker('assistant-tools');

/** The control characters (line breaks aside) and bidi overrides in `text`. */
function invisible(text: string): string[] {
  return [...text].filter((c) => {
    const n = c.codePointAt(0)!;
    return (n < 0x20 && n !== 0x0a) || (n >= 0x7f && n <= 0x9f) || n === 0x202e;
  });
}

function newStore(maxPackets = 2_000_000): PacketStore {
  return new PacketStore({ maxPackets, maxBytes: 2e9, whenFull: 'stop' });
}

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

async function storeOf(file: string): Promise<PacketStore> {
  const store = newStore();
  await readCaptureInto(store, once(fs.readFileSync(file)));
  return store;
}

const corpus = (name: string) => path.join(TCPDUMP_TESTS_DIR, name);

// ---- crafted packets: Ethernet, IPv4, TCP or UDP (checksums are not checked by either side)

function ipv4(proto: number, src: string, dst: string, payload: Uint8Array): Uint8Array {
  const ip = new Uint8Array(20 + payload.length);
  const v = new DataView(ip.buffer);
  ip[0] = 0x45;
  v.setUint16(2, ip.length);
  ip[8] = 64;
  ip[9] = proto;
  ip.set(src.split('.').map(Number), 12);
  ip.set(dst.split('.').map(Number), 16);
  ip.set(payload, 20);
  const frame = new Uint8Array(14 + ip.length);
  frame.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00]);
  frame.set(ip, 14);
  return frame;
}

interface Segment {
  src: string;
  dst: string;
  sport: number;
  dport: number;
  seq: number;
  flags: number;
  payload?: string | Uint8Array;
}

function tcp(s: Segment): Uint8Array {
  const data = typeof s.payload === 'string' ? new TextEncoder().encode(s.payload) : (s.payload ?? new Uint8Array());
  const t = new Uint8Array(20 + data.length);
  const v = new DataView(t.buffer);
  v.setUint16(0, s.sport);
  v.setUint16(2, s.dport);
  v.setUint32(4, s.seq);
  v.setUint32(8, 1);
  t[12] = 5 << 4;
  t[13] = s.flags;
  v.setUint16(14, 65535);
  t.set(data, 20);
  return ipv4(6, s.src, s.dst, t);
}

function dnsName(name: string): number[] {
  const out: number[] = [];
  for (const label of name.split('.')) {
    const bytes = [...new TextEncoder().encode(label)];
    out.push(bytes.length, ...bytes);
  }
  return [...out, 0];
}

/** A DNS response over UDP with rcode `rcode` to a question for `name` (type A). */
function dnsResponse(src: string, dst: string, name: string, rcode: number): Uint8Array {
  const dns = [0x12, 0x34, 0x81, 0x80 | rcode, 0, 1, 0, 0, 0, 0, 0, 0, ...dnsName(name), 0, 1, 0, 1];
  const u = new Uint8Array(8 + dns.length);
  const v = new DataView(u.buffer);
  v.setUint16(0, 53);
  v.setUint16(2, 40000);
  v.setUint16(4, u.length);
  u.set(dns, 8);
  return ipv4(17, src, dst, u);
}

const ACK = 0x10;
const PSH_ACK = 0x18;
const RST = 0x04;
const CLIENT = '198.18.0.1';
const SERVER = '198.18.0.2';
/** Markdown, HTML and control characters, as a hostile packet carries them. */
const HOSTILE = '[click](http://x.example/) <img src=x> `code`\n# heading\u202e\u0007';

function craftedPackets(): IncomingPacket[] {
  const c = { src: CLIENT, dst: SERVER, sport: 40001, dport: 80 };
  const s = { src: SERVER, dst: CLIENT, sport: 80, dport: 40001 };
  const post = `POST /upload${HOSTILE.replace(/\s/g, '')} HTTP/1.1\r\n\r\n`;
  const frames = [
    tcp({ ...c, seq: 100, flags: PSH_ACK, payload: 'GET /missing HTTP/1.1\r\nHost: a\r\n\r\n' }),
    tcp({ ...s, seq: 500, flags: PSH_ACK, payload: 'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n' }),
    tcp({ ...c, seq: 134, flags: PSH_ACK, payload: post }),
    tcp({ ...c, seq: 134, flags: PSH_ACK, payload: post }), // the same request again: a retransmission
    tcp({ ...s, seq: 545, flags: PSH_ACK, payload: 'HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n' }),
    tcp({
      ...c,
      seq: 134 + new TextEncoder().encode(post).length,
      flags: PSH_ACK,
      payload: 'GET /third HTTP/1.1\r\n\r\n',
    }),
    tcp({ ...s, seq: 600, flags: PSH_ACK, payload: 'HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n' }),
    tcp({ ...s, seq: 647, flags: RST | ACK }),
    tcp({
      ...s,
      sport: 8080,
      seq: 1,
      flags: PSH_ACK,
      payload: 'HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n',
    }),
    dnsResponse(SERVER, CLIENT, 'no-such-host.example', 3),
    dnsResponse(SERVER, CLIENT, 'evil<b>x</b>[a](b)', 2),
    dnsResponse(SERVER, CLIENT, 'ok.example', 0),
  ];
  return frames.map((data, i) => ({
    interfaceId: 0,
    timestampNs: 1_700_000_000_000_000_000n + BigInt(i) * 1_000_000n,
    data,
    originalLength: data.length,
  }));
}

function craftedStore(): PacketStore {
  const store = newStore();
  store.addInterface({ linkType: 1, snaplen: 65535 });
  for (const p of craftedPackets()) store.append(p);
  return store;
}

test('inert: control characters, bidi marks and markup come out as visible escapes on one line', () => {
  const out = inert(HOSTILE, 1000);
  assert.deepEqual(invisible(out), []);
  assert.ok(!out.includes('\n'));
  assert.doesNotMatch(out, /(?<!\\)[[\]<>`]/, 'every markup character is escaped');
  assert.equal(out, '\\[click\\](http://x.example/) \\<img src=x\\> \\`code\\`\\x0a# heading\\u202e\\x07');
  // A backslash of the text cannot escape our escape: it is escaped itself.
  assert.equal(inert('\\[x]\\r'), '\\\\\\[x\\]\\r');
  assert.equal(inert('x'.repeat(500), 100).length, 100);
});

test('boundedAnswer cuts at a line end and says how much is left out', () => {
  const lines = Array.from({ length: 10_000 }, (_, i) => `line ${i} ${'y'.repeat(50)}`);
  const out = boundedAnswer(lines);
  assert.ok(out.length <= MAX_ANSWER_CHARS, `${out.length} characters`);
  assert.match(out, /\[answer cut at 16,000 characters: \d+ more lines not shown\]$/);
  assert.equal(boundedAnswer(['a', 'b']), 'a\nb');
});

test('summary of a crafted capture: the counts tshark gives, requests paired with their errors, names inert', async (t) => {
  const store = craftedStore();
  const file = path.join(worker.scratch, 'crafted.pcap');
  await writeCaptureFile(store, file, 'pcap');
  const summary = await summarizePackets(store);
  assert.equal(summary.resets, tsharkFrames(file, 'tcp.flags.reset == 1').length);
  assert.equal(summary.dnsFailures, tsharkFrames(file, 'dns.flags.response == 1 && dns.flags.rcode != 0').length);
  assert.equal(summary.httpErrors, tsharkFrames(file, 'http.response.code >= 400').length);
  assert.equal(summary.retransmissions, tsharkFrames(file, 'tcp.analysis.retransmission').length);
  assert.deepEqual([summary.resets, summary.dnsFailures, summary.httpErrors, summary.retransmissions], [1, 2, 4, 1]);
  const text = formatSummary(summary).join('\n');
  t.diagnostic(text);
  assert.match(text, /404 Not Found for GET \/missing: 1 \(first: packet 2\)/);
  // The 503 answers the second request (the POST sent twice): HTTP/1 answers in order.
  assert.match(text, /503 Service Unavailable for POST \/upload\\\[click\\\]/);
  // The request sent twice is one request: the next response answers the next request.
  assert.match(text, /502 Bad Gateway for GET \/third: 1 \(first: packet 7\)/);
  assert.match(text, /500 Internal Server Error \(request not in the capture\)/);
  assert.match(text, /No such name \(3\): no-such-host\.example: 1 \(first: packet 10\)/);
  assert.match(text, /Server failure \(2\): evil\\<b\\>x\\<\/b\\>\\\[a\\\]\(b\): 1/);
  assert.match(text, /TCP 198\.18\.0\.1:40001 ↔ 198\.18\.0\.2:80: 8 packets/);
  assert.match(text, /Scanned: all 12 packets held \(packets 1–12\)/);
  assert.match(text, /Time span: 2023-11-14T22:13:20\.000Z to 2023-11-14T22:13:20\.011Z \(0\.011 s\)/);
  assert.match(text, /Protocols \(packets by protocol column\): HTTP 8, DNS 3, TCP 1/);
  assert.doesNotMatch(text, /(?<!\\)[<>[\]`]/, 'no markup outside escapes');
  assert.deepEqual(invisible(text), []);
});

test('a retransmission repeats direction, sequence number and length; an empty segment is none', async () => {
  const store = newStore();
  store.addInterface({ linkType: 1, snaplen: 65535 });
  const c = { src: CLIENT, dst: SERVER, sport: 40001, dport: 9 };
  const frames = [
    tcp({ ...c, seq: 1, flags: PSH_ACK, payload: 'abcd' }),
    tcp({ ...c, seq: 1, flags: PSH_ACK, payload: 'abcdefgh' }), // longer: new data in it
    tcp({ ...c, src: SERVER, dst: CLIENT, sport: 9, dport: 40001, seq: 1, flags: PSH_ACK, payload: 'abcd' }),
    tcp({ ...c, seq: 9, flags: ACK }),
    tcp({ ...c, seq: 9, flags: ACK }),
    tcp({ ...c, seq: 1, flags: PSH_ACK, payload: 'abcd' }), // the first again
  ];
  for (const data of frames) store.append({ interfaceId: 0, timestampNs: 1n, data, originalLength: data.length });
  const s = await summarizePackets(store);
  assert.equal(s.retransmissions, 1);
  assert.deepEqual(
    [...s.retransmittedFlows.values()],
    [{ what: '198.18.0.1:40001 → 198.18.0.2:9', count: 1, first: 6 }],
  );
});

test('summaries of tcpdump captures match tshark: resets, DNS failures, retransmissions', async () => {
  const cases: [string, keyof ReturnType<typeof expectedOf>][] = [
    ['mptcp-tcprst.pcap', 'resets'],
    ['bgp-4byte-asn.pcap', 'resets'],
    ['tcp_rst_data-trunc.pcap', 'resets'],
    ['dns-badcookie.pcap', 'dnsFailures'],
    ['kday4.pcap', 'retransmissions'],
    ['bgp-infinite-loop.pcap', 'retransmissions'],
    ['of10_inv_OFPST_FLOW.pcap', 'retransmissions'],
  ];
  function expectedOf(file: string) {
    return {
      resets: tsharkFrames(file, 'tcp.flags.reset == 1').length,
      dnsFailures: tsharkFrames(file, 'dns.flags.response == 1 && dns.flags.rcode != 0').length,
      retransmissions: tsharkFrames(file, 'tcp.analysis.retransmission').length,
    };
  }
  for (const [name, what] of cases) {
    const file = corpus(name);
    const expected = expectedOf(file);
    assert.ok(expected[what] > 0, `${name} has ${what} for tshark`);
    const s = await summarizePackets(await storeOf(file));
    assert.deepEqual(
      { resets: s.resets, dnsFailures: s.dnsFailures, retransmissions: s.retransmissions },
      expected,
      name,
    );
  }
});

test('a huge capture: the scan stops at its cap and says so; every list and the answer stay bounded', async () => {
  const store = newStore();
  store.addInterface({ linkType: 1, snaplen: 65535 });
  // 300,000 packets over 30,000 conversations, every one with a reset.
  for (let i = 0; i < 300_000; i++) {
    const conv = i % 30_000;
    const data = tcp({
      src: `198.18.${conv >> 8}.${conv & 255}`,
      dst: SERVER,
      sport: 1024 + (i % 7),
      dport: 443,
      seq: i,
      flags: i % 10 === 0 ? RST : PSH_ACK,
      payload: 'x'.repeat(1 + (conv % 50)),
    });
    store.append({ interfaceId: 0, timestampNs: BigInt(i) * 1000n, data, originalLength: data.length });
  }
  const started = Date.now();
  const s = await summarizePackets(store, { maxPackets: 100_000 });
  const took = Date.now() - started;
  assert.equal(s.scanned, 100_000);
  assert.equal(s.scanFrom, 200_001);
  assert.equal(s.capped, true);
  const lines = formatSummary(s);
  assert.match(
    lines[0]!,
    /the newest 100,000 of 300,000 packets held \(packets 200001–300000\); the scan cap was reached/,
  );
  const conversations = lines.filter((l) => /^ {2}TCP /.test(l));
  assert.equal(conversations.length, 10);
  assert.ok(
    lines.some((l) => /^ {2}… and [\d,]+ more$/.test(l)),
    'the lists say what they leave out',
  );
  const answer = boundedAnswer(lines);
  assert.ok(answer.length < 4000, `${answer.length} characters`);
  assert.ok(took < 20_000, `${took} ms for 100,000 packets`);
});

test("display filter on the side: tshark's matches, bounded rows, the panel's view untouched, errors with a caret", async () => {
  const file = corpus('bgp-4byte-asn.pcap');
  const store = await storeOf(file);
  const panelView = worker.view(store);
  panelView.setFilter('udp');
  const expected = tsharkFrames(file, 'tcp').length;
  const result = await runSideFilter(store, worker.view(store), 'tcp', rowLimit(3));
  assert.ok(result.ok);
  assert.equal(result.matches, expected);
  assert.equal(result.rows.length, Math.min(3, expected));
  const lines = formatFilterResult('capture-1 ("x")', 'tcp', result);
  assert.match(
    lines[0]!,
    new RegExp(`^Display filter "tcp" on capture-1 \\("x"\\): ${expected} matching packets, the first 3 shown\\.$`),
  );
  assert.equal(lines[1], 'No.\tTime\tSource\tDestination\tProtocol\tLength\tInfo');
  assert.equal(lines[2]!.split('\t').length, 7);
  assert.equal(panelView.filterText, 'udp', 'the panel keeps its own filter');

  const bad = await runSideFilter(store, worker.view(store), 'tcp.flags.rst == 1', 50);
  assert.ok(!bad.ok);
  assert.match(bad.error[0]!, /^Display filter error: .*tcp\.flags\.rst.*\(column 1\)/);
  assert.equal(bad.error[2], '  ^~~~~~~~~~~~~', 'the caret under the unknown field');

  assert.equal(rowLimit(undefined), 50);
  assert.equal(rowLimit(10_000), MAX_FILTER_ROWS);
  assert.equal(rowLimit(0), 1);
});

test('packet tree: layers and fields indented with their filter names, the process named, hostile text inert', async () => {
  const store = newStore();
  store.addInterface({ linkType: 1, snaplen: 65535, name: 'eth0' });
  const data = tcp({
    src: CLIENT,
    dst: SERVER,
    sport: 40001,
    dport: 80,
    seq: 1,
    flags: PSH_ACK,
    payload: `GET /${HOSTILE.replace(/\s/g, '')} HTTP/1.1\r\nHost: h\r\n\r\n`,
  });
  const comments = formatProcessComments({ pid: 4242, cmd: '/usr/bin/curl', args: `curl ${HOSTILE}` });
  store.append({ interfaceId: 0, timestampNs: 1n, data, originalLength: data.length, comments });
  const lines = formatPacketTree('capture-1 ("x")', packetDetail(store, 1)!);
  const text = lines.join('\n');
  assert.match(
    lines[0]!,
    /^Packet 1 of capture-1 \("x"\): \d+ bytes on the wire, \d+ captured, at 0\.000000 s on eth0$/,
  );
  assert.match(text, /^Process: .*4242/m);
  assert.match(text, /^Internet Protocol Version 4, Src: 198\.18\.0\.1, Dst: 198\.18\.0\.2$/m);
  assert.match(text, /^ {2}Source Address: 198\.18\.0\.1 \[ip\.src\]$/m);
  assert.match(text, /^ {4}\.\.\.\. \.\.\.1 \.\.\.\. = Acknowledgment: Set \[tcp\.flags\.ack\]$/m);
  assert.match(text, /^ {4}Request Method: GET \[http\.request\.method\]$/m);
  assert.doesNotMatch(text.replace(/ \[[\w.]+\]$/gm, ''), /(?<!\\)[<>[\]`]/, 'no markup outside escapes');
  assert.deepEqual(invisible(text), []);
  assert.ok(lines.length < MAX_TREE_LINES);
});
