// HTTP request/response pairing (packet/decode/http-transactions.ts) judged by tshark's second
// pass (tshark -2, where a request knows its response): every HTTP message of tcpdump's corpus,
// and of a capture written to hold each case (keep-alive transactions, pipelined requests, a
// response whose request was not seen, a notification, a message found by the heuristic on
// another port, two conversations), read into the panel's store and shown as the panel shows its
// tree, has tshark's http.request_number, http.response_number, http.time, http.request_in,
// http.response_in and the previous and next transactions' frames. The display filter reads the
// same fields, in the extension host and in the panel's worker.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { PacketStore } from '../../extension/store/packet-store.js';
import { corpusCapture } from './fixtures/corpus-capture.js';
import { ascii, ETH, eth, ip4, ipv4, PROTO, pcapngFile, TCP, tcp } from './fixtures/packets.js';
import {
  assertFiltersMatchTshark,
  captureInStore,
  compareTransactions,
  HTTP_PAIRING_FIELDS,
} from './fixtures/transactions.js';
import { haveTshark } from './fixtures/tshark.js';
import { useFilterWorker } from './helpers/filter-worker.js';

/** Files whose HTTP our decoders do not see, by name, with why. */
const NOT_DECODED = new Map([['arcnet-rfc1051-arp-icmp-http.pcap', 'ARCNET, a link type our decoders do not read']]);

const HTTP_MESSAGES = 'http && !icmp && !icmpv6';

const compare = (file: string, store: PacketStore) =>
  compareTransactions(file, store, HTTP_MESSAGES, HTTP_PAIRING_FIELDS);

const CLIENT = '198.18.0.1';
const SERVER = '198.18.0.2';
const MS = 1_000_000n;

/** The next sequence number of each direction of each conversation, by its ports. */
const nextSeq = new Map<string, number>();

/** One TCP segment carrying `text`, from the client's port `clientPort` to the server's
 *  `serverPort`, or back when `fromServer`, in sequence after the segments before it. */
function segment(at: bigint, clientPort: number, serverPort: number, fromServer: boolean, text: string) {
  const [src, dst] = fromServer ? [SERVER, CLIENT] : [CLIENT, SERVER];
  const [sport, dport] = fromServer ? [serverPort, clientPort] : [clientPort, serverPort];
  const payload = ascii(text);
  const seq = nextSeq.get(`${sport}>${dport}`) ?? 1000;
  nextSeq.set(`${sport}>${dport}`, seq + payload.length);
  const ack = nextSeq.get(`${dport}>${sport}`) ?? 1000;
  const seg = tcp({ sport, dport, flags: TCP.PSH | TCP.ACK, seq, ack, ip: { src: ip4(src), dst: ip4(dst) } }, payload);
  return {
    data: eth({ type: ETH.ipv4 }, ipv4({ src, dst, proto: PROTO.tcp }, seg)),
    timestampNs: 1_800_000_000_000_000_000n + at,
  };
}

const get = (path: string) => `GET ${path} HTTP/1.1\r\nHost: service.test\r\n\r\n`;
const ok = 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}';

/** Every case of the pairing, in time order. */
function casesCapture(): Uint8Array {
  return pcapngFile(
    [1],
    [
      segment(0n, 40000, 80, false, get('/')), // 1: answered by 2, then a second transaction (3, 4)
      segment(3n * MS, 40000, 80, true, ok),
      segment(10n * MS, 40000, 80, false, get('/a')),
      segment(12n * MS, 40000, 80, true, ok),
      segment(20n * MS, 40000, 80, false, get('/b')), // 5, 6: pipelined; 7 answers 6, 8 answers none seen
      segment(21n * MS, 40000, 80, false, get('/c')),
      segment(30n * MS, 40000, 80, true, ok),
      segment(31n * MS, 40000, 80, true, ok),
      segment(40n * MS, 40001, 8000, false, 'POST /x HTTP/1.1\r\nContent-Length: 0\r\n\r\n'), // 9: the heuristic's
      segment(41n * MS, 40001, 8000, true, 'HTTP/1.1 201 Created\r\n\r\n'),
      segment(50n * MS, 40002, 80, false, 'NOTIFY * HTTP/1.1\r\nNT: upnp:event\r\n\r\n'), // 11: in no transaction
      segment(51n * MS, 40002, 80, true, 'HTTP/1.1 200 OK\r\n\r\n'), // 12: a response to none
      segment(60n * MS, 40003, 80, true, 'HTTP/1.1 204 No Content\r\n\r\n'), // 13: a response first
      segment(61n * MS, 40003, 80, false, get('/late')), // 14: never answered
    ],
  );
}

const worker = useFilterWorker('http-pairing');

describe('HTTP pairing against tshark -2', { skip: !haveTshark && 'tshark not installed' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'http-pairing-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a capture of every case: keep-alive, pipelined, unanswered, unrequested, notification, heuristic', async () => {
    const { file, store } = captureInStore(dir, 'cases.pcapng', casesCapture());
    const { lines, paired, mismatches } = compare(file, store);
    assert.deepEqual(mismatches, []);
    assert.equal(lines, 14);
    assert.equal(paired, 13, 'every message but the notification (11)');
    await assertFiltersMatchTshark(file, store, worker.view(store), [
      'http.time > 0.005',
      'http.response_in',
      'http.request && !http.response_in',
      'http.response && !http.request_in',
      'http.next_request_in == 3',
      'http.response_number == 2',
    ]);
  });

  it('tcpdump corpus as one capture: every HTTP message', () => {
    const { file, store } = captureInStore(dir, 'corpus.pcapng', corpusCapture(new Set(NOT_DECODED.keys())));
    const { lines, paired, mismatches } = compare(file, store);
    assert.deepEqual(mismatches, []);
    assert.ok(lines >= 5 && paired >= 4, `${lines} HTTP messages, ${paired} with a pairing field`);
  });
});
