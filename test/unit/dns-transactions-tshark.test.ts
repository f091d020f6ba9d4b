// DNS request/response pairing over UDP (packet/decode/dns-transactions.ts) judged by tshark's
// second pass (tshark -2, where a query knows its response): every packet of tcpdump's corpus,
// and of a capture written to hold each case (an answer, retransmitted queries and responses, an
// ID reused after Wireshark's 5 s, an unsolicited response, a response cut short, the same ID in
// two conversations, mDNS's multicast), read into the panel's store and shown as the panel shows
// its tree, has tshark's dns.response_in, dns.response_to, dns.time, dns.retransmit_request_in,
// dns.retransmit_response_in, dns.retransmission and dns.unsolicited.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { packetDetail } from '../../extension/panel/table-rows.js';
import { PacketStore } from '../../extension/store/packet-store.js';
import { StoreIngest } from '../../extension/store/store-ingest.js';
import { compileDisplayFilter } from '../../packet/display-filter.js';
import { corpusCapture } from './fixtures/corpus-capture.js';
import { dns, ETH, eth, ip4, ipv4, PROTO, pcapngFile, udp } from './fixtures/packets.js';
import { firstField, printed } from './fixtures/tcp-analysis.js';
import { haveTshark, TSHARK_NO_REASSEMBLY, tsharkFrames } from './fixtures/tshark.js';
import { useFilterWorker } from './helpers/filter-worker.js';

/** Files whose DNS our decoders do not see, by name, with why. */
const NOT_DECODED = new Map([
  ['arcnet-rfc1051-arp-icmp-http.pcap', 'ARCNET, a link type our decoders do not read'],
  ['nflog.pcap', 'NFLOG, a link type our decoders do not read'],
  ['dns_udp_8053.pcap', 'DNS on UDP port 8053: Wireshark finds it by heuristics, our decoders by port'],
]);

const FIELDS = [
  'dns.response_in',
  'dns.response_to',
  'dns.time',
  'dns.retransmit_request_in',
  'dns.retransmit_response_in',
  'dns.retransmission',
  'dns.unsolicited',
];

/** Each packet carrying DNS over UDP, as one line: its number, then FIELDS as tshark prints them;
 *  undefined for a file tshark does not read (a link type it does not know). */
function tsharkLines(file: string): string[] | undefined {
  const r = spawnSync(
    'tshark',
    [
      '-2',
      '-n',
      ...TSHARK_NO_REASSEMBLY,
      '-r',
      file,
      '-Y',
      '(dns || mdns) && udp && !icmp && !icmpv6',
      '-T',
      'fields',
      '-E',
      'occurrence=f',
      ...['frame.number', ...FIELDS].flatMap((f) => ['-e', f]),
    ],
    { encoding: 'utf8', maxBuffer: 1 << 28 },
  );
  if (r.status !== 0 && /unknown or unsupported/.test(r.stderr)) return undefined;
  assert.equal(r.status, 0, `${file}: ${r.stderr}`);
  return r.stdout.split('\n').filter((l) => l !== '');
}

/** The same lines from our trees, for the packets tshark lists. */
function ourLines(store: PacketStore, numbers: number[]): string[] {
  return numbers.map((n) => {
    const layers = packetDetail(store, n)?.decoded.layers ?? [];
    const value = (name: string) => {
      for (const layer of layers) {
        const f = firstField(layer.fields, name);
        if (f) return printed(f);
      }
      return '';
    };
    return [n, ...FIELDS.map(value)].join('\t');
  });
}

function compare(file: string, store: PacketStore): { lines: number; paired: number; mismatches: string[] } {
  const theirs = tsharkLines(file) ?? [];
  const ours = ourLines(
    store,
    theirs.map((l) => Number(l.split('\t')[0])),
  );
  const mismatches = theirs.flatMap((line, i) => (line === ours[i] ? [] : [`tshark ${line}\n  ours   ${ours[i]}`]));
  const paired = theirs.filter((l) =>
    l
      .split('\t')
      .slice(1)
      .some((v) => v !== ''),
  ).length;
  return { lines: theirs.length, paired, mismatches };
}

const CLIENT = '198.18.0.1';
const SERVER = '198.18.0.2';
const MS = 1_000_000n;

/** One DNS message over UDP from `src`:`sport` to `dst`:`dport`, `bytes` cut to its first bytes. */
function message(
  at: bigint,
  o: { src: string; dst: string; sport: number; dport: number; id: number; response: boolean; cut?: number },
) {
  const body = dns({
    id: o.id,
    response: o.response,
    questions: [{ name: 'service.test', type: 1 }],
    answers: o.response ? [{ name: 'service.test', type: 1, data: ip4(SERVER) }] : [],
  });
  const payload = o.cut === undefined ? body : body.subarray(0, o.cut);
  const datagram = udp({ sport: o.sport, dport: o.dport, ip: { src: ip4(o.src), dst: ip4(o.dst) } }, payload);
  const data = eth({ type: ETH.ipv4 }, ipv4({ src: o.src, dst: o.dst, proto: PROTO.udp }, datagram));
  return { data, timestampNs: 1_800_000_000_000_000_000n + at };
}

const query = (at: bigint, id: number, sport = 40000) =>
  message(at, { src: CLIENT, dst: SERVER, sport, dport: 53, id, response: false });
const answer = (at: bigint, id: number, sport = 40000, cut?: number) =>
  message(at, { src: SERVER, dst: CLIENT, sport: 53, dport: sport, id, response: true, cut });

/** Every case of the pairing, in time order. */
function casesCapture(): Uint8Array {
  return pcapngFile(
    [1],
    [
      query(0n, 1), // 1: answered by 2
      answer(10n * MS, 1),
      query(1000n * MS, 2), // 3: sent again (4) within 5 s, answered (5), the answer sent again (6)
      query(2000n * MS, 2),
      answer(2500n * MS, 2),
      answer(2600n * MS, 2),
      query(10_000n * MS, 3), // 7: never answered; the same ID 6 s later (8) is a new query
      query(16_000n * MS, 3),
      answer(16_100n * MS, 3),
      answer(20_000n * MS, 9), // 10: unsolicited
      query(21_000n * MS, 1, 40001), // 11: ID 1 again, another conversation
      answer(21_001n * MS, 1, 40001),
      query(22_000n * MS, 4), // 13: answered by 14, a response cut after its flags
      answer(22_001n * MS, 4, 40000, 6),
      message(23_000n * MS, { src: CLIENT, dst: '224.0.0.251', sport: 5353, dport: 5353, id: 0, response: false }),
      message(23_001n * MS, { src: SERVER, dst: '224.0.0.251', sport: 5353, dport: 5353, id: 0, response: true }),
    ],
  );
}

const worker = useFilterWorker('dns-pairing');

describe('DNS pairing against tshark -2', { skip: !haveTshark && 'tshark not installed' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'dns-pairing-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a capture of every case: answered, retransmitted, reused, unsolicited, cut, two conversations, mDNS', async () => {
    const file = join(dir, 'cases.pcapng');
    const bytes = casesCapture();
    writeFileSync(file, bytes);
    const store = new PacketStore({ maxPackets: 1000, maxBytes: 1 << 20, whenFull: 'stop' });
    new StoreIngest(store).push(bytes);
    const { lines, paired, mismatches } = compare(file, store);
    assert.deepEqual(mismatches, []);
    assert.equal(lines, 16);
    assert.equal(paired, 13, 'all but the unanswered queries (7, 15) and the cut response (14)');
    // The display filter reads the same fields: the frames tshark -2 matches.
    for (const filter of [
      'dns.time > 1',
      'dns.response_in',
      'dns.retransmission',
      'dns.unsolicited',
      'dns.flags.response == 1 && !dns.response_to',
    ]) {
      const compiled = compileDisplayFilter(filter);
      const ours: number[] = [];
      for (let n = 1; n <= store.lastNumber; n++) {
        const detail = packetDetail(store, n);
        if (detail && compiled.match(detail.decoded, { number: n, length: detail.length })) ours.push(n);
      }
      const theirs = tsharkFrames(file, filter, ['-2']);
      assert.deepEqual(ours, theirs, filter);
      // And the panel's filter, run by the real worker over the store.
      const view = worker.view(store);
      view.setFilter(filter);
      assert.deepEqual([...(await view.shownNumbers())], theirs, `${filter} (worker)`);
    }
  });

  it('tcpdump corpus as one capture: every DNS message over UDP', () => {
    const file = join(dir, 'corpus.pcapng');
    const bytes = corpusCapture(new Set(NOT_DECODED.keys()));
    writeFileSync(file, bytes);
    const store = new PacketStore({ maxPackets: 1_000_000, maxBytes: 1 << 30, whenFull: 'stop' });
    new StoreIngest(store).push(bytes);
    const { lines, paired, mismatches } = compare(file, store);
    assert.deepEqual(mismatches, []);
    assert.ok(lines >= 20 && paired >= 10, `${lines} DNS messages, ${paired} with a pairing field`);
  });
});
