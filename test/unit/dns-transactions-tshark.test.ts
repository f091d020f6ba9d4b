// DNS request/response pairing over UDP and TCP (packet/decode/dns-transactions.ts) judged by tshark's
// second pass (tshark -2, where a query knows its response): every packet of tcpdump's corpus,
// and of a capture written to hold each case (an answer, retransmitted queries and responses, an
// ID reused after Wireshark's 5 s, an unsolicited response, a response cut short, the same ID in
// two conversations, mDNS's multicast, a query and its answer over TCP), read into the panel's store
// and shown as the panel shows its tree, has tshark's dns.response_in, dns.response_to, dns.time,
// dns.retransmit_request_in, dns.retransmit_response_in, dns.retransmission and dns.unsolicited; and
// so does DNS on another port once a Decode As rule reads it (every packet dissected again).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { PacketStore } from '../../extension/store/packet-store.js';
import { applyDecodeAs } from '../../packet/decode/index.js';
import { parseDecodeAs, tsharkDecodeAsArgs } from '../../packet/decode-as.js';
import { readCapture, TCPDUMP_TESTS_DIR } from '../fixtures/tcpdump-tests.js';
import { corpusCapture } from './fixtures/corpus-capture.js';
import { concat, dns, ETH, eth, ip4, ipv4, PROTO, pcapngFile, TCP, tcp, u16, udp } from './fixtures/packets.js';
import { assertFiltersMatchTshark, captureInStore, compareTransactions } from './fixtures/transactions.js';
import { haveTshark } from './fixtures/tshark.js';
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

const DNS_MESSAGES = '(dns || mdns) && !icmp && !icmpv6';

const compare = (file: string, store: PacketStore) => compareTransactions(file, store, DNS_MESSAGES, FIELDS);

const CLIENT = '198.18.0.1';
const SERVER = '198.18.0.2';
const MS = 1_000_000n;

/** One DNS message over UDP (or TCP, with its length in front) from `src`:`sport` to
 *  `dst`:`dport`, `cut` to its first bytes. */
function message(
  at: bigint,
  o: {
    src: string;
    dst: string;
    sport: number;
    dport: number;
    id: number;
    response: boolean;
    cut?: number;
    tcp?: boolean;
  },
) {
  const body = dns({
    id: o.id,
    response: o.response,
    questions: [{ name: 'service.test', type: 1 }],
    answers: o.response ? [{ name: 'service.test', type: 1, data: ip4(SERVER) }] : [],
  });
  const payload = o.cut === undefined ? body : body.subarray(0, o.cut);
  const ip = { src: ip4(o.src), dst: ip4(o.dst) };
  const transport = o.tcp
    ? tcp({ sport: o.sport, dport: o.dport, flags: TCP.PSH | TCP.ACK, ip }, concat(u16(payload.length), payload))
    : udp({ sport: o.sport, dport: o.dport, ip }, payload);
  const proto = o.tcp ? PROTO.tcp : PROTO.udp;
  const data = eth({ type: ETH.ipv4 }, ipv4({ src: o.src, dst: o.dst, proto }, transport));
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
      // 17: over TCP, ID 1 in TCP stream 0 (apart from UDP stream 0's), answered by 18
      message(24_000n * MS, { src: CLIENT, dst: SERVER, sport: 40000, dport: 53, id: 1, response: false, tcp: true }),
      message(24_002n * MS, { src: SERVER, dst: CLIENT, sport: 53, dport: 40000, id: 1, response: true, tcp: true }),
    ],
  );
}

const worker = useFilterWorker('dns-pairing');

describe('DNS pairing against tshark -2', { skip: !haveTshark && 'tshark not installed' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'dns-pairing-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a capture of every case: answered, retransmitted, reused, unsolicited, cut, two conversations, mDNS, TCP', async () => {
    const { file, store } = captureInStore(dir, 'cases.pcapng', casesCapture());
    const { lines, paired, mismatches } = compare(file, store);
    assert.deepEqual(mismatches, []);
    assert.equal(lines, 18);
    assert.equal(paired, 15, 'all but the unanswered queries (7, 15) and the cut response (14)');
    // The display filter reads the same fields: the frames tshark -2 matches.
    await assertFiltersMatchTshark(file, store, worker.view(store), [
      'dns.time > 1',
      'dns.response_in',
      'dns.retransmission',
      'dns.unsolicited',
      'dns.flags.response == 1 && !dns.response_to',
    ]);
  });

  it('Decode As: DNS on another port is paired once the rule is set and every packet dissected again', () => {
    const { file, store } = captureInStore(
      dir,
      'dns-8053.pcap',
      readCapture(join(TCPDUMP_TESTS_DIR, 'dns_udp_8053.pcap')),
    );
    // tshark finds DNS there by its heuristics; without a rule our decoders, by port, do not.
    assert.equal(compare(file, store).mismatches.length, 2, 'without the rule, the two messages are not ours');
    const rules = [parseDecodeAs('udp.port==8053,dns')];
    applyDecodeAs(rules);
    try {
      store.redissect();
      const { lines, paired, mismatches } = compareTransactions(
        file,
        store,
        DNS_MESSAGES,
        FIELDS,
        tsharkDecodeAsArgs(rules),
      );
      assert.deepEqual(mismatches, []);
      assert.ok(lines === 2 && paired === 2, `${lines} DNS messages, ${paired} with a pairing field`);
    } finally {
      applyDecodeAs([]);
    }
  });

  it('tcpdump corpus as one capture: every DNS message over UDP and TCP', () => {
    const { file, store } = captureInStore(dir, 'corpus.pcapng', corpusCapture(new Set(NOT_DECODED.keys())));
    const { lines, paired, mismatches } = compare(file, store);
    assert.deepEqual(mismatches, []);
    assert.ok(lines >= 20 && paired >= 10, `${lines} DNS messages, ${paired} with a pairing field`);
  });
});
