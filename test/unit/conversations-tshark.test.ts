// Statistics → Conversations and Endpoints (extension/store/conversations.ts) judged by tshark: for
// every capture of tcpdump's corpus, read into the panel's store, the TCP and UDP conversations
// equal `tshark -z conv,tcp|udp` (ends, frames and bytes each way, start and duration) and the
// endpoints `-z endpoints,tcp|udp`, printed as tshark prints them.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { conversations, endpoints } from '../../extension/store/conversations.js';
import { PacketStore } from '../../extension/store/packet-store.js';
import { StoreIngest } from '../../extension/store/store-ingest.js';
import type { ConversationRow, EndpointRow, EndpointView } from '../../packet/statistics-protocol.js';
import { corpusCapture } from './fixtures/corpus-capture.js';
import { corpusStores } from './fixtures/corpus-stores.js';
import { haveTshark, TSHARK_NO_REASSEMBLY } from './fixtures/tshark.js';
import { useFilterWorker } from './helpers/filter-worker.js';

const worker = useFilterWorker('conversations');

/** Packets with a transport inside a carrier our decoders do not open (tunnels, sFlow samples),
 *  or behind a link they read differently: tshark counts their inner conversations. */
const UNOPENED = /:(geneve|vxlan|gtp|lisp|teredo|l2tp|sflow|openflow_v\d|lwapp|cflow|nsh|mpls)(:|$)/;

/**
 * Protocols (as frame.protocols names them) whose packets our decoders do not read to their
 * addresses: link types they do not read, headers and payloads they do not open (an OpenFlow
 * message's packet); and IPv6's extension headers, after which Wireshark's IPv6 tap does not fire
 * when a Mobility header or a bad option ends the header chain early, where ours counts the
 * header. Packets Wireshark calls malformed or cut short by the capture are left out too (an IPv4
 * header whose options the capture cut is not tapped; ours counts it).
 */
const NOT_OPENED = [
  'ipv6.hopopts',
  'ipv6.routing',
  'ipv6.fraghdr',
  'ipv6.dstopts',
  'mipv6',
  'arcnet',
  'fr',
  'openflow_v1',
  'user_dlt',
  'nflog',
  'juniper',
  'ipnet',
  'avsp',
  'macsec',
  'mpls',
  'erspan',
  'nsh',
  'nhrp',
  'geneve',
  'vxlan',
  'gtp',
  'lisp',
  'teredo',
  'l2tp',
  'sflow',
];

/** Files Wireshark reads differently, by name, with why: */
const READ_DIFFERENTLY = new Map([
  // its MPTCP option dissector ends in an exception on this malformed option, before the TCP tap
  ['mptcp-dss-oobr.pcap', 'TCP'],
  // its UDP conversation takes the destination from the IPv6 routing header's last address
  ['ipv6-routing-header.pcap', 'UDP'],
]);

/** Wireshark's format_size in bytes (SI prefixes, whole numbers, C locale): "663 bytes", "24 kB". */
function sizeText(n: number): string {
  for (const [power, prefix] of [
    [1e12, ' T'],
    [1e9, ' G'],
    [1e6, ' M'],
    [1e3, ' k'],
  ] as const)
    if (Math.floor(n / power) >= 10) return `${Math.floor(n / power)}${prefix}B`;
  return `${n} bytes`;
}

/** Seconds to the microsecond: times far from the capture's first packet are kept in a double of
 *  nanoseconds, which holds no more beyond 2^53 ns (104 days). */
function seconds(ns: number): string {
  const us = Math.round(Math.abs(ns) / 1000);
  return `${ns < 0 ? '-' : ''}${Math.floor(us / 1e6)}.${String(us % 1e6).padStart(6, '0')}`;
}

/** tshark's start column (nanoseconds) to the microsecond. */
function tsharkSeconds(text: string): string {
  const [whole, fraction] = text.replace('-', '').split('.') as [string, string];
  return seconds((text.startsWith('-') ? -1 : 1) * (Number(whole) * 1e9 + Number(fraction)));
}

/** An end as tshark writes it: the address, and its port when it has one. */
const endText = (e: EndpointView) => (e.port === undefined ? e.address : `${e.address}:${e.port}`);

/** A start before the capture's first packet: tshark prints it wrapped around 2^64 ns, which a
 *  double does not hold to the microsecond (ours is printed the same way, from a double). */
function startText(text: string): string {
  return Number(text) > 1e10 ? 'before the first packet' : text;
}

/** A conversation as one of tshark's lines, its columns split on runs of spaces. */
function conversationLine(c: ConversationRow): string {
  const total = c.framesAToB + c.framesBToA;
  return [
    endText(c.a),
    '<->',
    endText(c.b),
    c.framesBToA,
    sizeText(c.bytesBToA),
    c.framesAToB,
    sizeText(c.bytesAToB),
    total,
    sizeText(c.bytesAToB + c.bytesBToA),
    startText(seconds(c.startNs)),
    (c.durationNs / 1e9).toFixed(4),
  ]
    .join(' ')
    .replace(/\s+/g, ' ');
}

function endpointLine(e: EndpointRow): string {
  return [e.address, e.port, e.packets, e.bytes, e.txPackets, e.txBytes, e.rxPackets, e.rxBytes]
    .filter((v) => v !== undefined)
    .join(' ');
}

/** tshark's -z output: each table's title ("TCP Conversations") → its data lines, spaces collapsed. */
function tables(stdout: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of stdout.split('\n')) {
    const title = /^(Ethernet|IPv4|IPv6|TCP|UDP) (Conversations|Endpoints)$/.exec(line);
    if (title) {
      current = [];
      out.set(line, current);
    } else if (current && /^\S+.*\d$/.test(line.trim()) && !line.startsWith('Filter:') && !line.includes('|')) {
      const columns = line.trim().split(/\s+/);
      // A conversation's start: to the microsecond, as ours (see seconds()).
      if (columns[1] === '<->') columns[columns.length - 2] = startText(tsharkSeconds(columns[columns.length - 2]!));
      current.push(columns.join(' '));
    }
  }
  return out;
}

describe('Conversations and Endpoints against tshark', { skip: !haveTshark && 'tshark not installed' }, () => {
  it('tcpdump corpus: TCP and UDP conversations and endpoints as tshark counts them', () => {
    const mismatches: string[] = [];
    let compared = 0;
    for (const { path, name, store } of corpusStores()) {
      const ours = {
        tcp: conversations(store, 'tcp'),
        udp: conversations(store, 'udp'),
      };
      if (ours.tcp.length + ours.udp.length === 0) continue;
      const r = spawnSync(
        'tshark',
        [
          '-r',
          path,
          '-n',
          ...TSHARK_NO_REASSEMBLY,
          '-T',
          'fields',
          '-e',
          'frame.protocols',
          '-z',
          'conv,tcp',
          '-z',
          'conv,udp',
          '-z',
          'endpoints,tcp',
          '-z',
          'endpoints,udp',
        ],
        { encoding: 'utf8', maxBuffer: 1 << 28 },
      );
      assert.equal(r.status, 0, `${path}: ${r.stderr}`);
      const firstTable = r.stdout.indexOf('====');
      if (UNOPENED.test(r.stdout.slice(0, firstTable))) continue;
      const theirs = tables(r.stdout.slice(firstTable));
      for (const protocol of ['tcp', 'udp'] as const) {
        const upper = protocol.toUpperCase();
        if (READ_DIFFERENTLY.get(name ?? '') === upper) continue;
        const pairs: [string, string[]][] = [
          [`${upper} Conversations`, ours[protocol].map(conversationLine)],
          [`${upper} Endpoints`, endpoints(ours[protocol]).map(endpointLine)],
        ];
        for (const [table, lines] of pairs) {
          const want = [...(theirs.get(table) ?? [])].sort();
          const got = [...lines].sort();
          compared += got.length;
          if (JSON.stringify(want) !== JSON.stringify(got))
            mismatches.push(`${name} ${table}:\n  tshark ${want.join(' | ')}\n  ours   ${got.join(' | ')}`);
        }
      }
    }
    assert.deepEqual(mismatches, []);
    assert.ok(compared >= 500, `compared ${compared} lines`);
  });

  it('tcpdump corpus as one capture: Ethernet, IPv4 and IPv6 conversations and endpoints, every header counted', async () => {
    const bytes = corpusCapture();
    const file = join(worker.scratch, 'corpus.pcapng');
    writeFileSync(file, bytes);
    // The packets whose headers our decoders read: tshark counts those and only those (a tap's
    // filter), and we count the same packets.
    const filter = `!_ws.malformed && !_ws.short && !(frame.protocols matches "(^|:)(${NOT_OPENED.join('|')})(:|$)")`;
    const tshark = (args: string[]) => {
      const r = spawnSync('tshark', ['-r', file, '-n', ...TSHARK_NO_REASSEMBLY, ...args], {
        encoding: 'utf8',
        maxBuffer: 1 << 28,
      });
      assert.equal(r.status, 0, r.stderr);
      return r.stdout;
    };
    const numbers = Uint32Array.from(
      tshark(['-Y', filter, '-T', 'fields', '-e', 'frame.number']).trim().split('\n'),
      Number,
    );
    const theirs = tables(
      tshark([
        '-q',
        ...['eth', 'ip', 'ipv6'].flatMap((p) => ['-z', `conv,${p},${filter}`, '-z', `endpoints,${p},${filter}`]),
      ]),
    );
    const store = new PacketStore({ maxPackets: 1e6, maxBytes: 1e9, whenFull: 'stop' });
    new StoreIngest(store).push(bytes);
    const view = worker.view(store);
    const mismatches: string[] = [];
    let compared = 0;
    for (const [protocol, name] of [
      ['eth', 'Ethernet'],
      ['ip', 'IPv4'],
      ['ipv6', 'IPv6'],
    ] as const) {
      const list = await view.addressConversations(protocol, numbers);
      const pairs: [string, string[]][] = [
        [`${name} Conversations`, list.map(conversationLine)],
        [`${name} Endpoints`, endpoints(list).map(endpointLine)],
      ];
      for (const [table, lines] of pairs) {
        const want = [...(theirs.get(table) ?? [])].sort();
        const got = [...lines].sort();
        compared += got.length;
        const missing = want.filter((l) => !got.includes(l));
        const extra = got.filter((l) => !want.includes(l));
        if (missing.length + extra.length > 0)
          mismatches.push(`${table}:\n  tshark only ${missing.join(' | ')}\n  ours only   ${extra.join(' | ')}`);
      }
    }
    assert.deepEqual(mismatches, []);
    assert.ok(compared >= 300, `compared ${compared} lines`);
  });
});
