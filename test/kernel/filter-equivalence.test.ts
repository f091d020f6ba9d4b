// The whole tcpdump filter language in the kernel (native/core/filter-*.c): each expression is
// compiled by libpcap, translated to eBPF, loaded as a SCHED_CLS program (so the verifier judges
// every translation), and run with BPF_PROG_TEST_RUN on every packet of tcpdump's test corpus
// (its Ethernet and raw-IP captures) and on hand-built frames. Every verdict must equal libpcap's
// own interpreter's (pcap_offline_filter) on the same bytes, return value included. No traffic.
//
// What this cannot show, and where it is shown instead:
// - VLAN: test_run gives the program no VLAN metadata, so tags are in the data, as in a file;
//   `vlan` is checked against in-data tags only. Live tags sit in skb metadata (the capture
//   program's concern, next to this translator).
// - `inbound`/`outbound` read pkt_type, which libpcap's offline interpreter cannot: compared live.
// - test_run carries frames of 14 bytes up to about a page, all in the linear area: larger and
//   smaller ones are counted as untestable, and non-linear skbs need live traffic.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { TCPDUMP_TESTS_DIR, tcpdumpTestCaptures } from '../fixtures/tcpdump-tests.js';
import { writeFilterPackets } from './helpers/filter-packets.js';

const CORE_DIR = path.join(__dirname, '..', '..', 'native', 'core');
const TOOL = path.join(CORE_DIR, 'build', 'filter-equivalence');
const SNAPLEN = 262144;
const RAW_CAPTURE = path.join(TCPDUMP_TESTS_DIR, 'LINKTYPE_RAW_ipv4.pcap');

/** Expressions libpcap accepts for Ethernet; each must match some packets and not others. */
const ACCEPTED = [
  'tcp',
  'udp',
  'icmp',
  'arp',
  'ip',
  'ip6',
  'icmp6',
  'ip proto 47',
  'ip proto \\udp',
  'ip6 proto 58',
  'host 192.168.1.1',
  'src host 10.0.0.1 or dst host 10.0.0.2',
  'net 10.0.0.0/8',
  'src net 192.168.0.0/16 and not dst net 192.168.0.0/16',
  'port 53',
  'tcp port 80 or tcp port 443',
  'udp dst port 53',
  'portrange 1-1023',
  'tcp portrange 6000-6100',
  'src portrange 1024-65535 and udp',
  'tcp[13] & 2 != 0',
  'tcp[13] & 0x12 = 0x12',
  'tcp[tcpflags] & (tcp-syn|tcp-fin) != 0',
  'tcp[tcpflags] & tcp-rst != 0',
  'ip[0] & 0xf != 5',
  'ip[6:2] & 0x1fff != 0',
  'ip[2:2] > 576',
  'udp[8:2] = 0x0100',
  'tcp[((tcp[12] & 0xf0) >> 2):4] = 0x47455420', // "GET " at the TCP payload: an indirect load
  'icmp[icmptype] = icmp-echo or icmp[icmptype] = icmp-echoreply',
  'icmp[icmptype] != icmp-echo and icmp[icmptype] != icmp-echoreply',
  'icmp6 and ip6[40] = 135',
  'ip6 host fe80::1',
  'ip6 net 2001:db8::/32',
  'ip6 and tcp',
  'ip6 and udp port 547',
  'vlan',
  'vlan 100',
  'vlan and udp',
  'vlan 300 and vlan 100',
  'not vlan',
  'len > 100',
  'len <= 64',
  'greater 1000',
  'less 128',
  'ether host 00:00:0c:07:ac:01',
  'ether src 08:00:20:00:00:01 or ether dst ff:ff:ff:ff:ff:ff',
  'ether broadcast',
  'ether multicast',
  'ip multicast',
  'ip6 multicast',
  'ip broadcast',
  'not ip and not ip6 and not arp',
  'not (tcp or udp)',
  '(tcp and port 80) or (udp and not port 53)',
  'not tcp and (icmp or icmp6) or arp',
  'ip and not (src net 10.0.0.0/8 or dst net 10.0.0.0/8) and (tcp or udp)',
  'ip[8] < 64',
  'ip[1] & 0xfc = 0xb8',
  'tcp[0:2] + tcp[2:2] > 50000',
  'ip[2:2] - ((ip[0] & 0xf) << 2) > 100',
  'ip[2:2] / 4 > 100',
  'ip[2:2] % 7 = 3',
  'ip[2:2] * 3 > 1500',
  'ip[0] ^ 0x45 = 0',
  '(ip[2:2] << 4) >> 8 = 5',
  // Division by X, which is 0 for TTL 64: libpcap returns "no match"; eBPF alone would go on with
  // A / 0 = 0 and A % 0 = A, and match.
  'ip[2:2] / (ip[8] & 0x3f) = 0',
  'ip[2:2] % (ip[8] & 0x3f) > 0',
  'ip[2:2] % (ip[8] - 64) = 0',
  '- ip[2:2] > 0xfffffc00', // negation and an immediate above 2^31
  'ip[2:2] >> (ip[8] & 0x3f) = 0', // shift counts of 32 and more give 0
  'ip[2:2] - 1000 > 0x7fffffff', // 32-bit wrap-around
  'pppoes',
  'mpls',
  'sctp',
];

/** Compiled by libpcap, but refused by the translation with a reason: `protochain` is a loop. */
const UNSUPPORTED = ['protochain 6', 'ip6 protochain 17'];

/** Expressions libpcap refuses: we must say what tcpdump says, word for word. */
const REJECTED = [
  'tcp and udp', // "expression rejects all packets": refused, as tcpdump refuses it
  'gre',
  'tcp port http2x',
  'host nonexistent.invalid',
  'port 99999',
  'ether host 00:zz',
  'ip[0:3] = 1',
  'ip[2:2] / (ip[0] & 0x0f) > 50', // division by a constant 0 after optimisation
  'foo bar',
  'portrange 10-',
];
/** Refused for raw IP only (judged against a raw-IP capture). */
const REJECTED_RAW = ['vlan', 'ether host 00:00:0c:07:ac:01', 'arp', 'mpls'];

interface ExpressionLine {
  type: 'expression';
  expr: string;
  link: 'ethernet' | 'raw';
  compiled: boolean;
  cbpf?: number;
  ebpf?: number;
  error?: string;
}
interface ResultLine {
  type: 'result';
  expr: string;
  link: 'ethernet' | 'raw';
  compared: number;
  matched: number;
}
interface SummaryLine {
  type: 'summary';
  expressions: number;
  packets: number;
  comparisons: number;
  mismatches: number;
  untestable: number;
  maxCbpf: number;
  maxEbpf: number;
  maxVerified: number;
}
type Line = ExpressionLine | ResultLine | SummaryLine | { type: 'mismatch' | 'capture'; [k: string]: unknown };

let scratch = '';
let lines: Line[] = [];
let summary: SummaryLine;

before(() => {
  assert.equal(process.getuid?.(), 0, 'kernel tests run as root');
  execFileSync('make', ['-s', '-C', CORE_DIR], { stdio: ['ignore', 'inherit', 'inherit'] });
  scratch = mkdtempSync(path.join(tmpdir(), 'filter-equivalence-'));
  const handMade = path.join(scratch, 'hand-made.pcap');
  writeFilterPackets(handMade);
  const run = spawnSync(TOOL, [String(SNAPLEN), handMade, ...tcpdumpTestCaptures()], {
    input: [...ACCEPTED, ...UNSUPPORTED, ...REJECTED, ...REJECTED_RAW].join('\n'),
    encoding: 'utf8',
    maxBuffer: 256 << 20,
  });
  assert.equal(run.status, 0, `${TOOL} failed: ${run.stderr}`);
  lines = run.stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Line);
  summary = lines.find((l): l is SummaryLine => l.type === 'summary') as SummaryLine;
  assert.ok(summary, 'the tool printed no summary');
});

after(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

const expressions = (link: 'ethernet' | 'raw') =>
  lines.filter((l): l is ExpressionLine => l.type === 'expression' && l.link === link);
const results = () => lines.filter((l): l is ResultLine => l.type === 'result' && l.link === 'ethernet');

test('libpcap compiles every accepted expression, and the verifier loads every translation', (t) => {
  for (const e of expressions('ethernet').filter((x) => ACCEPTED.includes(x.expr)))
    assert.ok(e.ebpf, `"${e.expr}" (Ethernet) was not loaded: ${e.error}`);
  // Raw IP: libpcap may refuse (no link header), but what it compiles must load.
  const compiled = [...expressions('ethernet'), ...expressions('raw')].filter((x) => x.compiled);
  for (const e of compiled.filter((x) => !UNSUPPORTED.includes(x.expr)))
    assert.ok(e.ebpf, `"${e.expr}" (${e.link}) compiled but did not load: ${e.error}`);
  t.diagnostic(
    `largest program: ${summary.maxCbpf} cBPF → ${summary.maxEbpf} eBPF instructions; ` +
      `the verifier walked at most ${summary.maxVerified} instructions for one`,
  );
});

test('a filter the translation cannot express is refused with the reason', () => {
  for (const e of expressions('ethernet').filter((x) => UNSUPPORTED.includes(x.expr))) {
    assert.equal(e.compiled, true, `libpcap refused "${e.expr}": ${e.error}`);
    assert.match(e.error ?? '', /^cBPF instruction \d+: a backward jump \(a loop, as `protochain` compiles to\)/);
  }
});

test("every packet gets libpcap's verdict from the eBPF translation", (t) => {
  const mismatches = lines.filter((l) => l.type === 'mismatch');
  assert.deepEqual(mismatches.slice(0, 10), [], `${mismatches.length} verdicts differ`);
  // Not vacuous: every expression was run on packets it matches and on packets it does not.
  for (const r of results().filter((x) => ACCEPTED.includes(x.expr))) {
    assert.ok(r.matched > 0, `"${r.expr}" matched none of ${r.compared} packets: the test proves nothing for it`);
    assert.ok(r.matched < r.compared, `"${r.expr}" matched all ${r.compared} packets`);
  }
  t.diagnostic(
    `${summary.expressions} expressions × ${summary.packets} packets: ${summary.comparisons} verdicts compared, ` +
      `${summary.mismatches} differ, ${summary.untestable} not testable (frame size)`,
  );
});

/** tcpdump's own message for an expression it refuses on `capture`'s link type. */
function tcpdumpSays(expr: string, capture: string): string {
  const run = spawnSync('tcpdump', ['-r', capture, '-d', expr], { encoding: 'utf8' });
  assert.notEqual(run.status, 0, `tcpdump accepts "${expr}"`);
  const said = /^tcpdump: (.*)$/m.exec(run.stderr);
  assert.ok(said, `tcpdump's output for "${expr}" has no message: ${run.stderr}`);
  return said[1] ?? '';
}

test("an expression libpcap refuses gets libpcap's message, as tcpdump prints it", () => {
  const ours = (link: 'ethernet' | 'raw', expr: string) => expressions(link).find((e) => e.expr === expr);
  const handMade = path.join(scratch, 'hand-made.pcap');
  for (const expr of REJECTED) {
    const e = ours('ethernet', expr);
    assert.equal(e?.compiled, false, `"${expr}" compiled`);
    assert.equal(e?.error, tcpdumpSays(expr, handMade), `message for "${expr}"`);
  }
  for (const expr of REJECTED_RAW) {
    const e = ours('raw', expr);
    assert.equal(e?.compiled, false, `"${expr}" compiled for raw IP`);
    assert.equal(e?.error, tcpdumpSays(expr, RAW_CAPTURE), `raw-IP message for "${expr}"`);
  }
});
