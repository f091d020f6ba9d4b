// Ignore Packet (PacketStore.setIgnored) judged by tshark on the same capture with those packets
// removed: Wireshark dissects every packet again as if the ignored ones had never been
// captured, so every other packet of tcpdump's corpus, as the panel shows its tree and its row,
// has tshark's stream indices, TCP analysis, Info prefix and HTTP and DNS pairing on the copy (frame numbers read through the renumbering). An ignored packet is a frame alone, with
// Wireshark's "<Ignored>" Info and frame.ignored; unignoring them all gives the first dissection back.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { encodeNumbers, fileHeader } from '../../extension/capture/capture-writer.js';
import { packetDetail, tableRows } from '../../extension/panel/table-rows.js';
import { PacketStore } from '../../extension/store/packet-store.js';
import { StoreIngest } from '../../extension/store/store-ingest.js';
import type { DecodedPacket, Field } from '../../packet/decode/index.js';
import { compileDisplayFilter } from '../../packet/display-filter.js';
import { corpusCapture } from './fixtures/corpus-capture.js';
import {
  AnalysisComparison,
  analysisValues,
  firstField,
  parseTsharkAnalysis,
  printed,
  tsharkAnalysisArgs,
} from './fixtures/tcp-analysis.js';
import { HTTP_PAIRING_FIELDS, tsharkLines } from './fixtures/transactions.js';
import { haveTshark } from './fixtures/tshark.js';
import { useFilterWorker } from './helpers/filter-worker.js';

/** Carriers our decoders do not open (as in stream-analysis-tshark.test.ts). */
const UNOPENED_CARRIERS = /:(geneve|vxlan|gtp|lisp|teredo|l2tp|sflow):/;

/** A packet of a link type our decoders do not read (ARCNET's HTTP, in the corpus); SSDP (HTTP over
 *  UDP, which tshark pairs) is another packet our decoders leave as UDP. */
const UNREAD_LINK_TYPE = /^Link type \d+ is not supported$/;

/** The pairing fields compared, from tshark's second pass. */
const PAIRING_FIELDS = [...HTTP_PAIRING_FIELDS, 'dns.response_in', 'dns.response_to', 'dns.time'];

/** Fields whose value is a frame number: ours are renumbered as the copy numbers them. */
const FRAME_FIELDS = new Set([
  'tcp.analysis.acks_frame',
  'tcp.analysis.duplicate_ack_frame',
  ...PAIRING_FIELDS.filter((f) => f.endsWith('_in') || f.endsWith('_to')),
]);

/** Every fifth packet: enough of every conversation to change its analysis and pairings. */
const ignoredOf = (store: PacketStore) => {
  const numbers: number[] = [];
  for (let n = store.firstNumber; n <= store.lastNumber; n++) if (n % 5 === 0) numbers.push(n);
  return numbers;
};

/** The number each packet kept has in the copy (ignored ones have none). */
function renumbering(last: number, ignored: ReadonlySet<number>): Map<number, number> {
  const map = new Map<number, number>();
  let kept = 0;
  for (let n = 1; n <= last; n++) if (!ignored.has(n)) map.set(n, ++kept);
  return map;
}

/** The tree's frame-number fields renumbered in place (their links too). */
function renumber(fields: Field[], map: ReadonlyMap<number, number>): void {
  for (const f of fields) {
    if (FRAME_FIELDS.has(f.name) && typeof f.value === 'number') {
      f.value = map.get(f.value) ?? -f.value; // a link to an ignored packet shows as negative
      if (f.link !== undefined) f.link = f.value;
    }
    if (f.children) renumber(f.children, map);
  }
}

/** tshark's pairing fields of every packet of `file`, a line each. */
function pairingLines(file: string): string[] {
  return (tsharkLines(file, 'frame', PAIRING_FIELDS) ?? []).map((line) => line.slice(line.indexOf('\t') + 1));
}

function ourPairing(decoded: DecodedPacket): string {
  const fields = decoded.layers.flatMap((l) => l.fields);
  return PAIRING_FIELDS.map((name) => printed(firstField(fields, name))).join('\t');
}

describe('Ignore Packet against tshark on the copy without them', {
  skip: !haveTshark && 'tshark not installed',
}, () => {
  const worker = useFilterWorker('ignore-packets');
  const dir = worker.scratch;

  const bytes = corpusCapture();
  const file = join(dir, 'corpus.pcapng');
  writeFileSync(file, bytes);
  const store = new PacketStore({ maxPackets: 1_000_000, maxBytes: 1 << 30, whenFull: 'stop' });
  const ingest = new StoreIngest(store);
  ingest.push(bytes);
  ingest.end();
  const firstDissection = () => {
    const lines: string[] = [];
    for (let n = store.firstNumber; n <= store.lastNumber; n++) {
      const d = packetDetail(store, n)!.decoded;
      lines.push(`${n} ${d.summary.info} ${analysisValues(d).join(' ')} ${ourPairing(d)}`);
    }
    return lines;
  };
  const before = firstDissection();

  it('every other packet dissected as tshark dissects the copy; the ignored ones frames alone', async (t) => {
    const ignored = ignoredOf(store);
    assert.equal(store.setIgnored(ignored, true), true);
    assert.equal(store.setIgnored(ignored, true), false, 'ignoring them again changes nothing');
    // The copy without them, written as Save writes a capture (editcap refuses some of the
    // corpus's link types in a pcapng, and takes 512 packets to remove at most).
    const edited = join(dir, 'edited.pcapng');
    const map = renumbering(store.lastNumber, new Set(ignored));
    writeFileSync(edited, Buffer.concat([fileHeader(store, 'pcapng'), ...encodeNumbers(store, 'pcapng', map.keys())]));
    const analysis = spawnSync('tshark', tsharkAnalysisArgs(edited), { encoding: 'utf8', maxBuffer: 1 << 28 });
    assert.equal(analysis.status, 0, analysis.stderr);
    const theirs = parseTsharkAnalysis(analysis.stdout);
    const theirPairing = pairingLines(edited);
    assert.equal(theirs.length, store.held - ignored.length);
    const comparison = new AnalysisComparison(true);
    const pairingDiffs: string[] = [];
    let compared = 0;
    let paired = 0;
    for (let n = store.firstNumber; n <= store.lastNumber; n++) {
      const k = map.get(n);
      const d = packetDetail(store, n)!.decoded;
      if (k === undefined) continue;
      const info = d.summary.info;
      renumber(
        d.layers.flatMap((l) => l.fields),
        map,
      );
      if (UNREAD_LINK_TYPE.test(info) || theirs[k - 1]!.protocols.endsWith(':ssdp')) continue;
      const pairing = ourPairing(d);
      if (pairing !== theirPairing[k - 1])
        pairingDiffs.push(`#${n} (#${k} of the copy): tshark ${theirPairing[k - 1]} ours ${pairing}`);
      if (/\d/.test(pairing)) paired++;
      if (!d.layers.some((l) => l.protocol === 'tcp' || l.protocol === 'udp' || l.protocol.startsWith('icmp')))
        continue;
      if (UNOPENED_CARRIERS.test(theirs[k - 1]!.protocols)) continue;
      comparison.compare(n, theirs[k - 1]!, d, info);
      compared++;
    }
    t.diagnostic(`${store.held} packets, ${ignored.length} ignored, ${compared} compared, ${paired} paired`);
    assert.deepEqual(comparison.report(), []);
    assert.deepEqual(pairingDiffs.slice(0, 8), []);
    assert.ok(compared > 900 && paired > 5, 'the corpus holds analysis and pairings to compare');
    assert.notDeepEqual(firstDissection(), before, 'ignoring packets changed how the others read');

    // An ignored packet: Wireshark's frame alone.
    const n = ignored[3]!;
    const detail = packetDetail(store, n)!.decoded;
    assert.deepEqual(
      detail.layers.map((l) => l.protocol),
      ['frame'],
    );
    assert.ok(firstField(detail.layers[0]!.fields, 'frame.ignored'));
    assert.deepEqual(detail.summary, { source: '', destination: '', protocol: '', info: '<Ignored>' });
    assert.equal(store.streamOf(n), undefined, 'in no stream');
    const view = worker.view(store);
    view.setFilter('frame.ignored');
    assert.deepEqual([...(await view.shownNumbers())], ignored, 'frame.ignored selects them');
    view.setFilter(`tcp && frame.number == ${n}`);
    assert.deepEqual([...(await view.shownNumbers())], [], 'an ignored packet is no TCP');
    view.setFilter('');
    const row = tableRows(store, view, n - 1, 1)[0]!;
    assert.equal(row.ignored, true);
    assert.equal(row.info, '<Ignored>');
    assert.deepEqual(
      compileDisplayFilter('frame.ignored').match(detail, { number: n, length: 0, ignored: true }),
      true,
    );
  });

  it('unignoring them all gives the first dissection back', () => {
    assert.equal(store.setIgnored(store.ignoredList(), false), true);
    assert.deepEqual(store.ignoredList(), []);
    assert.deepEqual(firstDissection(), before);
  });
});
