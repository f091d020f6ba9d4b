// Stream indices and TCP analysis (packet/decode/streams.ts) judged by tshark: every packet of
// tcpdump's corpus, as one capture, decoded in order with the streams pass, gives tshark's own
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
import { readCaptureFile } from '../../packet/capture-file.js';
import { decodePacket, type Field } from '../../packet/decode/index.js';
import { StreamAnalyzer } from '../../packet/decode/streams.js';
import { readCapture, tcpdumpTestCaptures } from '../fixtures/tcpdump-tests.js';
import { type FramePacket, pcapngFile } from './fixtures/packets.js';
import { haveTshark, TSHARK_NO_REASSEMBLY } from './fixtures/tshark.js';

/** Fields compared, each as tshark -T fields prints its first occurrence. */
const FIELDS = [
  'tcp.stream',
  'udp.stream',
  'tcp.seq',
  'tcp.ack',
  'tcp.nxtseq',
  'tcp.len',
  'tcp.window_size',
  'tcp.window_size_scalefactor',
  'tcp.analysis.acks_frame',
  'tcp.analysis.ack_rtt',
  'tcp.analysis.initial_rtt',
  'tcp.analysis.duplicate_ack_num',
  'tcp.analysis.duplicate_ack_frame',
  'tcp.analysis.retransmission',
  'tcp.analysis.fast_retransmission',
  'tcp.analysis.spurious_retransmission',
  'tcp.analysis.out_of_order',
  'tcp.analysis.reused_ports',
  'tcp.analysis.lost_segment',
  'tcp.analysis.ack_lost_segment',
  'tcp.analysis.window_update',
  'tcp.analysis.window_full',
  'tcp.analysis.keep_alive',
  'tcp.analysis.keep_alive_ack',
  'tcp.analysis.duplicate_ack',
  'tcp.analysis.zero_window',
  'tcp.analysis.zero_window_probe',
  'tcp.analysis.zero_window_probe_ack',
  'tcp.time_relative',
  'tcp.time_delta',
];

const TSHARK_ANALYSIS = ['-n', ...TSHARK_NO_REASSEMBLY];

/** Carriers our decoders do not open (tunnels over UDP, sFlow's packet samples): tshark finds a
 *  transport inside them, we do not. */
const UNOPENED_CARRIERS = /:(geneve|vxlan|gtp|lisp|teredo|l2tp|sflow):/;

/** Files whose packets lie further apart are left out (a few have timestamps decades apart). */
const MAX_FILE_SPAN_NS = 86_400_000_000_000n;

/**
 * The corpus as one capture: every packet of every file, in file order. Each file keeps the time
 * between its packets and starts a second after the one before ends, so that times stay exact in
 * a double (the store keeps times as ns since the first packet).
 */
function corpusCapture(): Uint8Array {
  const linkTypes: number[] = [];
  const packets: FramePacket[] = [];
  let base = 0n;
  for (const path of tcpdumpTestCaptures()) {
    const { reader, packets: ps } = readCaptureFile(readCapture(path));
    const first = ps[0]?.timestampNs ?? 0n;
    let low = first;
    let high = first;
    for (const p of ps) {
      const t = p.timestampNs ?? first;
      if (t < low) low = t;
      if (t > high) high = t;
    }
    if (high - low > MAX_FILE_SPAN_NS) continue;
    let last = base;
    for (const p of ps) {
      const lt = reader.interfaces[p.interfaceId]?.linkType;
      if (lt === undefined) continue;
      let iface = linkTypes.indexOf(lt);
      if (iface < 0) iface = linkTypes.push(lt) - 1;
      const timestampNs = base + ((p.timestampNs ?? first) - first);
      if (timestampNs > last) last = timestampNs;
      packets.push({ iface, data: p.data, originalLength: p.originalLength, timestampNs });
    }
    base = last + 1_000_000_000n;
  }
  return pcapngFile(linkTypes, packets, 0n);
}

/** Stream indices agree when ours are tshark's renamed one to one: tshark also counts streams in
 *  packets our decoders do not decode (link types, tunnels), which shifts the numbers after them. */
class Renaming {
  private readonly forward = new Map<string, string>();
  private readonly backward = new Map<string, string>();
  agrees(want: string, got: string): boolean {
    if (want === '' || got === '') return want === got;
    const a = this.forward.get(want);
    const b = this.backward.get(got);
    if (a === undefined && b === undefined) {
      this.forward.set(want, got);
      this.backward.set(got, want);
      return true;
    }
    return a === got && b === want;
  }
}

/** The first field named `name` in the tree, depth first. */
function find(fields: readonly Field[], name: string): Field | undefined {
  for (const f of fields) {
    if (f.name === name) return f;
    const inner = f.children && find(f.children, name);
    if (inner) return inner;
  }
  return undefined;
}

/** A field as tshark -T fields prints it: times from the label (nine decimals), flags as 1. */
function printed(f: Field | undefined): string {
  if (f === undefined) return '';
  const time = /: (-?\d+\.\d{9}) seconds\]$/.exec(f.label);
  if (time) return time[1]!;
  if (f.value === true) return '1';
  return String(f.value ?? '');
}

/** Info's analysis prefix: the leading "[TCP …]" groups. */
function analysisPrefix(info: string): string {
  return /^(\[TCP [^\]]*\] )*/.exec(info)![0];
}

describe('stream analysis against tshark', { skip: !haveTshark && 'tshark not installed' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'stream-analysis-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('tcpdump corpus: streams, relative numbers, windows, analysis, times and Info prefixes', (t) => {
    const bytes = corpusCapture();
    if (process.env.KEEP_CORPUS) writeFileSync(process.env.KEEP_CORPUS, bytes);
    const file = join(dir, 'corpus.pcapng');
    writeFileSync(file, bytes);
    const r = spawnSync(
      'tshark',
      [
        '-r',
        file,
        ...TSHARK_ANALYSIS,
        '-T',
        'fields',
        '-E',
        'occurrence=f',
        ...['_ws.col.Info', 'frame.protocols', ...FIELDS].flatMap((f) => ['-e', f]),
      ],
      { encoding: 'utf8', maxBuffer: 1 << 28 },
    );
    assert.equal(r.status, 0, r.stderr);
    const theirs = r.stdout
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => l.split('\t'));
    const { reader, packets } = readCaptureFile(bytes);
    assert.equal(theirs.length, packets.length);
    const analyzer = new StreamAnalyzer();
    const first = packets[0]?.timestampNs ?? 0n;
    const diffs = new Map<string, string[]>();
    const note = (what: string, line: string) => {
      const list = diffs.get(what) ?? [];
      list.push(line);
      diffs.set(what, list);
    };
    let tcp = 0;
    let verdicts = 0;
    let tunnelled = 0;
    const streams: Record<string, Renaming> = { 'tcp.stream': new Renaming(), 'udp.stream': new Renaming() };
    packets.forEach((p, i) => {
      analyzer.begin(i + 1, Number((p.timestampNs ?? 0n) - first));
      const lt = reader.interfaces[p.interfaceId]!.linkType;
      const d = decodePacket(lt, p.data, p.originalLength, undefined, analyzer);
      const fields = d.layers.flatMap((l) => l.fields);
      const row = theirs[i]!;
      if (row[2] !== '') tcp++;
      if (!d.layers.some((l) => l.protocol === 'tcp' || l.protocol === 'udp' || l.protocol.startsWith('icmp'))) return;
      if (UNOPENED_CARRIERS.test(row[1] ?? '')) {
        tunnelled++;
        return;
      }
      FIELDS.forEach((name, k) => {
        const want = row[k + 2] ?? '';
        const got = printed(find(fields, name));
        if (name.startsWith('tcp.analysis.') && want !== '') verdicts++;
        const same = name.endsWith('.stream') ? streams[name]!.agrees(want, got) : want === got;
        if (!same) note(name, `#${i + 1}: tshark ${JSON.stringify(want)} ours ${JSON.stringify(got)}`);
      });
      const wantPrefix = analysisPrefix(row[0] ?? '');
      const gotPrefix = analysisPrefix(d.summary.info);
      if (wantPrefix !== gotPrefix)
        note('Info prefix', `#${i + 1}: tshark ${JSON.stringify(row[0])} ours ${JSON.stringify(d.summary.info)}`);
    });
    t.diagnostic(
      `${packets.length} packets, ${tcp} TCP segments, ${verdicts} analysis values from tshark; ${tunnelled} packets in carriers our decoders do not open left out`,
    );
    const report = [...diffs].map(([k, v]) => `${k}: ${v.length} differ, first ${v.slice(0, 4).join('; ')}`);
    assert.deepEqual(report, []);
  });
});
