// TCP analysis on real loss: a bulk transfer from namespace A to namespace B through a router
// namespace R that drops segments at random in its FORWARD chain (iptables' statistic match; this
// kernel has no netem), so that the sender is not told: the capture on B's veth end misses
// segments ("previous segment not captured"), B sends duplicate ACKs, and A resends (fast
// retransmissions, retransmissions, out-of-order segments). Segments of one MSS (no segmentation
// offload), as on a real link.
// Captured the way the panel captures (LiveCapture through the local target of namespace B into the
// panel's PacketStore), every packet's row and detail, as the panel builds them (table-rows.ts),
// give tshark's values for every stream and analysis field of the capture saved as the panel saves
// it: exactly, stream indices included; the analysis filters match tshark's frames; and Follow
// Stream gives tshark's follow of each stream, byte for byte.
// Then HTTP over the same lossy path (requests and responses both dropped at random, so some are
// sent again): keep-alive connections carrying many transactions each, whose request/response
// pairing (http.request_in, http.response_in, http.time, the next and previous transactions)
// equals tshark's second pass for every message, in the tree and in the worker's filters; and the
// capture's protocol hierarchy equals tshark's.
// A–R on 198.18.42.0/24, R–B on 198.18.43.0/24; the namespaces (their devices, routes and iptables
// rules with them) go when the test ends, also when it fails.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { writeCaptureFile } from '../../extension/capture/capture-writer.js';
import { LiveCapture } from '../../extension/capture/live-capture.js';
import { MAX_ROWS_PER_REQUEST, packetDetail, tableRows } from '../../extension/panel/table-rows.js';
import { PacketStore } from '../../extension/store/packet-store.js';
import { LocalTarget } from '../../extension/targets/local.js';
import { followArgs, oursAsTshark, parseTsharkFollow } from '../unit/fixtures/follow.js';
import { AnalysisComparison, parseTsharkAnalysis, tsharkAnalysisArgs } from '../unit/fixtures/tcp-analysis.js';
import { compareTransactions, HTTP_PAIRING_FIELDS } from '../unit/fixtures/transactions.js';
import { hierarchyLines, TSHARK_NO_REASSEMBLY, tsharkFrames, tsharkHierarchy } from '../unit/fixtures/tshark.js';
import { useFilterWorker } from '../unit/helpers/filter-worker.js';
import { REPO, scratchDir, within } from './helpers/agent.js';
import { registerCleanup } from './helpers/cleanup.js';
import { Netns, sh, uniqueName } from './helpers/netns.js';
import { BoundedServer, runOk } from './helpers/server.js';

const NET_A = '198.18.42';
const NET_B = '198.18.43';
const SINK_IP = `${NET_B}.2`;
const PORT = 5001;
/** Bytes A sends: about 1,400 full segments. */
const TRANSFER_BYTES = 2_000_000;
/** Each chain drops this share of the data segments. */
const DROP_PROBABILITY = '0.03';
/** Longest the sink may live, and the client may take (retransmission timeouts included). */
const BOUND_S = 60;
/** Display filters on the analysis, applied as the panel applies them (our engine, in its worker). */
const FILTERS = [
  'tcp.analysis.flags',
  'tcp.analysis.retransmission || tcp.analysis.fast_retransmission',
  'tcp.analysis.duplicate_ack_num >= 2',
  'tcp.stream eq 0', // Follow Conversation's filter
];

/** A sink: reads a connection to its end, then says how many bytes came. */
const SINK = `const net = require('node:net');
net.createServer((s) => { let n = 0; s.on('data', (d) => { n += d.length; }); s.on('end', () => s.end(String(n))); })
  .listen(${PORT}, process.argv[1], () => console.log('ready'));`;

const HTTP_PORT = 8080;
/** HTTP requests the client makes: HTTP_CONNECTIONS at a time, over keep-alive connections. */
const HTTP_REQUESTS = 48;
const HTTP_CONNECTIONS = 4;

/** An HTTP server answering every request with a small JSON body. */
const HTTP_SERVER = `require('node:http').createServer((q, s) => {
  q.resume();
  q.on('end', () => { s.setHeader('content-type', 'application/json'); s.end(JSON.stringify({ url: q.url })); });
}).listen(${HTTP_PORT}, process.argv[1], () => console.log('ready'));`;

/** An HTTP client: HTTP_REQUESTS GETs and POSTs, then "done". */
const HTTP_CLIENT = `const http = require('node:http');
const agent = new http.Agent({ keepAlive: true, maxSockets: ${HTTP_CONNECTIONS} });
const one = (i) => new Promise((resolve, reject) => {
  const post = i % 2 === 1;
  const q = http.request({ host: process.argv[1], port: ${HTTP_PORT}, path: '/item/' + i, method: post ? 'POST' : 'GET', agent }, (r) => {
    r.resume(); r.on('end', resolve);
  });
  q.on('error', reject);
  q.end(post ? JSON.stringify({ i }) : undefined);
});
(async () => {
  for (let i = 0; i < ${HTTP_REQUESTS}; i += ${HTTP_CONNECTIONS})
    await Promise.all(Array.from({ length: ${HTTP_CONNECTIONS} }, (_, k) => one(i + k)));
  agent.destroy();
  console.log('done');
})().catch((e) => { console.error(e); process.exit(1); });`;

/** A source: sends TRANSFER_BYTES, ends its side, and prints the sink's count. */
const SOURCE = `const net = require('node:net');
const s = net.connect(${PORT}, process.argv[1], () => { s.end(Buffer.alloc(${TRANSFER_BYTES}, 0x61)); });
let reply = ''; s.on('data', (d) => { reply += d; }); s.on('close', () => console.log(reply));`;

/** A (198.18.42.1) — R — B (198.18.43.2): R forwards between its two veths. */
interface Routed {
  a: Netns;
  r: Netns;
  b: Netns;
  destroy(): void;
}

function routedThroughR(): Routed {
  const made: Netns[] = [];
  try {
    const [a, r, b] = ['lossa', 'lossr', 'lossb'].map((tag) => {
      const ns = new Netns(uniqueName(tag));
      made.push(ns);
      return ns;
    }) as [Netns, Netns, Netns];
    const link = (x: Netns, xDev: string, y: Netns, yDev: string) =>
      sh('ip', ['link', 'add', xDev, 'netns', x.name, 'type', 'veth', 'peer', 'name', yDev, 'netns', y.name]);
    link(a, 'vA', r, 'vRa');
    link(r, 'vRb', b, 'vB');
    for (const [ns, dev, address] of [
      [a, 'vA', `${NET_A}.1/24`],
      [r, 'vRa', `${NET_A}.2/24`],
      [r, 'vRb', `${NET_B}.1/24`],
      [b, 'vB', `${NET_B}.2/24`],
    ] as const) {
      ns.ip('addr', 'add', address, 'dev', dev);
      ns.ip('link', 'set', dev, 'mtu', '1500', 'up');
      ns.exec('ethtool', ['-K', dev, 'tso', 'off', 'gso', 'off', 'gro', 'off']);
    }
    a.ip('route', 'add', 'default', 'via', `${NET_A}.2`);
    b.ip('route', 'add', 'default', 'via', `${NET_B}.1`);
    r.sysctl({ 'net.ipv4.ip_forward': '1' });
    const destroy = () => {
      for (const ns of made) ns.destroy();
    };
    return { a, r, b, destroy };
  } catch (e) {
    for (const ns of made) ns.destroy();
    throw e;
  }
}

describe('TCP analysis on real loss, judged by tshark', () => {
  let net: Routed;
  let scratch: string;
  const filterWorker = useFilterWorker('pcapk-tcp-loss-filter');
  registerCleanup(() => fs.rmSync(filterWorker.scratch, { recursive: true, force: true }));

  before(() => {
    net = routedThroughR();
    scratch = scratchDir('tcp-loss');
    const drop = ['-m', 'statistic', '--mode', 'random', '--probability', DROP_PROBABILITY, '-j', 'DROP'];
    net.r.exec('iptables', ['-A', 'FORWARD', '-p', 'tcp', '--dport', `${PORT}`, ...drop]);
    for (const side of ['--dport', '--sport'])
      net.r.exec('iptables', ['-A', 'FORWARD', '-p', 'tcp', side, `${HTTP_PORT}`, ...drop]);
  });

  after(() => net?.destroy());

  test('every stream and analysis field of every packet equals tshark, with real retransmissions, duplicate ACKs and gaps', async (t) => {
    const store = new PacketStore({ maxPackets: 100_000, maxBytes: 256 << 20, whenFull: 'stop' });
    const target = new LocalTarget(REPO, async () => undefined, net.b.name);
    const statuses: string[] = [];
    const live = new LiveCapture(target, { interfaces: ['vB'], filter: 'tcp', snaplen: 128 }, store, {
      onStatus: (status, message) => statuses.push(`${status}${message ? `: ${message}` : ''}`),
      onPackets: () => {},
    });
    const sink = new BoundedServer(net.b, [process.execPath, '-e', SINK, SINK_IP], BOUND_S);
    try {
      await sink.waitReady(async () => sink.output.startsWith('ready\n'));
      await within(live.start(), 15_000, 'the capture to start');
      const received = await runOk(net.a, [process.execPath, '-e', SOURCE, SINK_IP], {
        timeoutMs: BOUND_S * 1000,
      });
      assert.equal(received.trim(), String(TRANSFER_BYTES), 'the sink got every byte');
    } finally {
      await live.stop();
      await sink.stop();
    }
    assert.equal(live.status, 'stopped', statuses.join(' | '));
    const file = path.join(scratch, 'loss.pcapng');
    await writeCaptureFile(store, file, 'pcapng');

    const r = spawnSync('tshark', tsharkAnalysisArgs(file), { encoding: 'utf8', maxBuffer: 1 << 28 });
    assert.equal(r.status, 0, r.stderr);
    const theirs = parseTsharkAnalysis(r.stdout);
    assert.equal(theirs.length, store.held);
    const view = filterWorker.view(store);
    view.endOfPackets();
    const comparison = new AnalysisComparison(false);
    for (let start = 0; start < view.rows; start += MAX_ROWS_PER_REQUEST) {
      for (const row of tableRows(store, view, start, MAX_ROWS_PER_REQUEST)) {
        const detail = packetDetail(store, row.number)!;
        comparison.compare(row.number, theirs[row.index]!, detail.decoded, row.info);
      }
    }
    const given = (name: string) => comparison.given.get(`tcp.analysis.${name}`) ?? 0;
    t.diagnostic(
      `${store.held} packets; tshark found ${given('retransmission')} retransmissions, ${given('fast_retransmission')} fast` +
        ` retransmissions, ${given('out_of_order')} out-of-order, ${given('duplicate_ack_num')} duplicate ACKs,` +
        ` ${given('lost_segment')} gaps, ${given('ack_lost_segment')} ACKs of unseen segments`,
    );
    assert.deepEqual(comparison.report(), []);
    // The loss happened: the comparison covered real verdicts of each kind the drops cause.
    assert.ok(given('retransmission') + given('fast_retransmission') + given('out_of_order') > 0, 'resent segments');
    assert.ok(given('duplicate_ack_num') > 0, 'duplicate ACKs');
    assert.ok(given('lost_segment') > 0, 'segments the capture missed');
    for (const filter of FILTERS) {
      view.setFilter(filter);
      const shown = [...(await within(view.shownNumbers(), 30_000, `the filter "${filter}"`))];
      const want = tsharkFrames(file, filter, TSHARK_NO_REASSEMBLY);
      assert.ok(want.length > 0, `tshark matches some packets with "${filter}"`);
      assert.deepEqual(shown, want, filter);
    }
    // Follow Stream puts each stream's bytes back in order as tshark's follow does, retransmitted
    // segments filling the gaps the drops left.
    const streams = new Set<number>();
    for (let n = store.firstNumber; n <= store.lastNumber; n++) {
      const s = store.streamOf(n);
      if (s?.protocol === 'tcp') streams.add(s.stream);
    }
    const keys = [...streams].map((s) => `tcp ${s}`);
    const follow = spawnSync('tshark', ['-r', file, '-q', '-n', ...TSHARK_NO_REASSEMBLY, ...followArgs(keys)], {
      encoding: 'utf8',
      maxBuffer: 1 << 28,
    });
    assert.equal(follow.status, 0, follow.stderr);
    const [, theirFollows] = parseTsharkFollow(follow.stdout);
    for (const stream of streams) {
      const ours = oursAsTshark(store.follow('tcp', stream));
      assert.ok(ours.chunks.length > 0, `stream ${stream} carries bytes`);
      assert.deepEqual(ours, theirFollows.get(`tcp ${stream}`), `Follow of tcp.stream eq ${stream}`);
    }
  });

  test('HTTP requests and responses are paired as tshark pairs them, with real retransmissions', async () => {
    const store = new PacketStore({ maxPackets: 100_000, maxBytes: 64 << 20, whenFull: 'stop' });
    const target = new LocalTarget(REPO, async () => undefined, net.b.name);
    const live = new LiveCapture(
      target,
      { interfaces: ['vB'], filter: `tcp port ${HTTP_PORT}`, snaplen: 262144 },
      store,
      {
        onStatus: () => {},
        onPackets: () => {},
      },
    );
    const server = new BoundedServer(net.b, [process.execPath, '-e', HTTP_SERVER, SINK_IP], BOUND_S);
    try {
      await server.waitReady(async () => server.output.startsWith('ready\n'));
      await within(live.start(), 15_000, 'the capture to start');
      const out = await runOk(net.a, [process.execPath, '-e', HTTP_CLIENT, SINK_IP], { timeoutMs: BOUND_S * 1000 });
      assert.equal(out.trim(), 'done');
    } finally {
      await live.stop();
      await server.stop();
    }
    const file = path.join(scratch, 'http.pcapng');
    await writeCaptureFile(store, file, 'pcapng');
    const { lines, paired, mismatches } = compareTransactions(file, store, 'http', HTTP_PAIRING_FIELDS);
    assert.deepEqual(mismatches, []);
    // Not always every one: a request dropped before the capture point can come again marked as a
    // retransmission (a later segment of the client's was captured first), which neither tshark
    // nor our decoders hand to HTTP.
    assert.ok(lines >= HTTP_REQUESTS, `${lines} HTTP messages for ${HTTP_REQUESTS} requests`);
    assert.equal(paired, lines, 'every message is in a transaction');
    const view = filterWorker.view(store);
    view.endOfPackets();
    // Statistics → Protocol Hierarchy of the same packets: Ethernet, IPv4, TCP and HTTP as tshark
    // counts them (inside HTTP, tshark also reads the bodies' JSON, which our decoders leave).
    const read = ['eth', 'ip', 'tcp', 'http'];
    const theirRows = tsharkHierarchy(file).filter((line) => read.includes(line.split(' ')[1]!));
    const ourRows = hierarchyLines((await view.protocolHierarchy()).filter((r) => read.includes(r.protocol)));
    assert.deepEqual(ourRows, theirRows);
    assert.equal(theirRows.length, 4);
    for (const filter of ['http.response_in', 'http.time >= 0', 'http.next_request_in']) {
      view.setFilter(filter);
      const shown = [...(await within(view.shownNumbers(), 30_000, `the filter "${filter}"`))];
      assert.deepEqual(shown, tsharkFrames(file, filter, ['-2', ...TSHARK_NO_REASSEMBLY]), filter);
    }
  });
});
