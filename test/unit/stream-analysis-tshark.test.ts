// Stream indices and TCP analysis (packet/decode/streams.ts) judged by tshark: every packet of
// tcpdump's corpus, as one capture read into the panel's store (whose pass records each packet's
// streams), shown as the panel shows its tree and its row, gives tshark's own
// values for tcp.stream, udp.stream, relative sequence numbers, the scaled window, every
// tcp.analysis verdict, the ACK and handshake round trips, the stream's times, and the Info
// column's analysis prefix. tshark runs with its default analysis, without reassembly (which our
// decoders do not do).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { packetDetail } from '../../extension/panel/table-rows.js';
import { PacketStore } from '../../extension/store/packet-store.js';
import { StoreIngest } from '../../extension/store/store-ingest.js';
import { summarizePacket } from '../../packet/decode/index.js';
import { corpusCapture } from './fixtures/corpus-capture.js';
import { AnalysisComparison, firstField, parseTsharkAnalysis, tsharkAnalysisArgs } from './fixtures/tcp-analysis.js';
import { haveTshark } from './fixtures/tshark.js';

/** Carriers our decoders do not open (tunnels over UDP, sFlow's packet samples): tshark finds a
 *  transport inside them, we do not. */
const UNOPENED_CARRIERS = /:(geneve|vxlan|gtp|lisp|teredo|l2tp|sflow):/;

describe('stream analysis against tshark', { skip: !haveTshark && 'tshark not installed' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'stream-analysis-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('tcpdump corpus: streams, relative numbers, windows, analysis, times and Info prefixes', (t) => {
    const bytes = corpusCapture();
    const file = join(dir, 'corpus.pcapng');
    writeFileSync(file, bytes);
    const r = spawnSync('tshark', tsharkAnalysisArgs(file), { encoding: 'utf8', maxBuffer: 1 << 28 });
    assert.equal(r.status, 0, r.stderr);
    const theirs = parseTsharkAnalysis(r.stdout);
    // Read as the panel reads a file: into its store, whose pass records each packet's streams;
    // then each packet's tree and row as the panel builds them.
    const store = new PacketStore({ maxPackets: 1_000_000, maxBytes: 1 << 30, whenFull: 'stop' });
    const ingest = new StoreIngest(store);
    ingest.push(bytes);
    ingest.end();
    assert.equal(theirs.length, store.held);
    const comparison = new AnalysisComparison(true);
    let compared = 0;
    let leftOut = 0;
    for (let n = store.firstNumber; n <= store.lastNumber; n++) {
      const p = store.packet(n)!;
      const d = packetDetail(store, n)!.decoded;
      const row = summarizePacket(p.linkType, p.data, p.originalLength, store.streamsOf(n));
      if (!d.layers.some((l) => l.protocol === 'tcp' || l.protocol === 'udp' || l.protocol.startsWith('icmp')))
        continue;
      if (UNOPENED_CARRIERS.test(theirs[n - 1]!.protocols)) {
        leftOut++;
        continue;
      }
      comparison.compare(n, theirs[n - 1]!, d, row.info);
      compared++;
      // The stream Follow Conversation follows is the tree's.
      const followed = store.streamOf(n);
      const fields = d.layers.flatMap((l) => l.fields);
      const streamField = firstField(fields, 'tcp.stream') ?? firstField(fields, 'udp.stream');
      assert.deepEqual(
        followed && `${followed.protocol}.stream ${followed.stream}`,
        streamField && `${streamField.name} ${streamField.value}`,
        `#${n}`,
      );
    }
    const verdicts = [...comparison.given]
      .filter(([k]) => k.startsWith('tcp.analysis.'))
      .reduce((n, [, v]) => n + v, 0);
    t.diagnostic(
      `${store.held} packets, ${compared} compared (${comparison.given.get('tcp.stream') ?? 0} TCP), ${verdicts} analysis values from tshark; ${leftOut} in carriers our decoders do not open left out`,
    );
    assert.deepEqual(comparison.report(), []);
    assert.ok(verdicts > 1000 && compared > 1000, 'the corpus holds real analysis to compare');
  });
});
