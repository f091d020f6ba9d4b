// The filter bar's display filters give the rows `tshark -r FILE -Y FILTER` gives, over a broad set
// of expressions: fields of every kind our engine knows, and protocols and fields only Wireshark
// knows, alone and mixed. Each goes through the panel's own routing (routeDisplayFilter: our engine
// in the real filter worker, or, for a name it does not know, the real tshark through
// startWiresharkFilter), for a stopped capture (a file read into the store) and for a live one
// (packets added in steps while the filter runs), and the engine that judged is the one expected.
//
// The capture: real files of tcpdump's corpus (DNS over UDP and TCP, EDNS, HTTP, VLAN, ICMP errors
// quoting a datagram, ICMPv6, ARP, DHCP and EAPOL, BGP, RESP, QUIC over IPv6 on a null link) and the
// generated mix (TLS, SCTP, every link type), one after the other in one pcapng file.
//
// Left out, where our decoders differ from Wireshark by design (no per-conversation state, no
// reassembly, no heuristics, protocols we do not decode):
//   - reassembly: tshark decodes a datagram's first IP fragment as data and the whole datagram at
//     the last, and an HTTP/1.0 response without a length where its connection ends; we decode
//     each packet alone. The mix's packets where that matters are left out (mixWithoutReassembly).
//   - a repeated DNS-over-TCP segment: tshark calls it a retransmission and does not decode it as
//     DNS again. DNS on a port other than 53/5353 (dns_udp_8053.pcap): tshark finds it by heuristics.
//   - `tls` and `tls.handshake.*`: tshark also finds TLS in QUIC's CRYPTO frames (QUIC we do not
//     decode); `http.*`: tshark also reads SSDP (HTTP over UDP 1900) as HTTP.
//   - syntax our engine does not parse: field against field (`tcp.srcport > tcp.dstport`), bitwise
//     and (`tcp.flags & 0x12`), slices (`tcp.payload[0:3]`), functions (`len(…)`). The filter bar
//     refuses them with our message rather than asking Wireshark.
// tshark 4.0 wants commas between a set's elements (`{80, 443}`) and refuses escapes it does not
// know (`"\."`), so the filters here are written as it reads them.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { PacketStore } from '../../extension/store/packet-store.js';
import { type FilterMode, type PacketView, routeDisplayFilter } from '../../extension/store/packet-view.js';
import { StoreIngest } from '../../extension/store/store-ingest.js';
import { startWiresharkFilter, type TsharkPlace } from '../../extension/store/wireshark-filter.js';
import { readCaptureFile } from '../../packet/capture-file.js';
import { MIX_LINK_TYPES, mixPackets } from './fixtures/mix.js';
import { type FramePacket, pcapngFile } from './fixtures/packets.js';
import { TSHARK_OPTIONS, tsharkFrames } from './fixtures/tshark.js';
import { useFilterWorker } from './helpers/filter-worker.js';
import { liveStore } from './helpers/live-store.js';

const CORPUS = join(process.cwd(), 'test/fixtures/tcpdump-tests');
const CORPUS_FILES = [
  'dns_udp.pcap',
  'dns_tcp.pcap',
  'dns-badvers.pcap',
  'print-flags.pcap',
  'ipv4_tcp_http_xml.pcap',
  'icmp-rfc5837.pcap',
  'icmpv6.pcap',
  'icmpv6-ra-pref64.pcap',
  'eapon1.pcap',
  'bgp-4byte-asn.pcap',
  'bgp-infinite-loop.pcap',
  'resp_1_benchmark.pcap',
  'quic_handshake.pcap',
];

/** Filters our engine judges: every name in them is one our decoders know. */
const OURS = [
  // protocols
  'dns',
  'tcp',
  '!udp',
  'arp',
  'icmp || icmpv6',
  'vlan',
  'http',
  'tls.record',
  'ipv6',
  'sctp',
  '!(tcp || udp)',
  // columns
  'frame.len > 200',
  'frame.number >= 20 && frame.number <= 60',
  'frame.len in {60, 62, 64..100}',
  // numbers
  'tcp.port == 80',
  'tcp.port in {80, 443, 6379}',
  'udp.port == 53 || udp.port == 5353',
  'ip.ttl < 64',
  'ip.proto == 17',
  'eth.type == 0x0806',
  'tcp.len > 100',
  'tcp.window_size_value < 1000',
  // addresses
  'ip.addr == 10.0.0.0/8',
  'ip.src == 192.168.0.0/16 && ip.dst != 192.168.0.0/16',
  'ip.addr != 10.1.0.1',
  'ipv6.addr == 2001:db8::/32',
  'ipv6.dst == ff02::1',
  'eth.dst == ff:ff:ff:ff:ff:ff',
  'eth.addr == 02:00:00:00:00:01',
  // booleans and flags
  'ip.flags.df == 1',
  'tcp.flags.syn == 1 && tcp.flags.ack == 0',
  'tcp.flags.reset == 1 || tcp.flags.fin == 1',
  'tcp.flags.push',
  // DNS
  'dns.flags.response == 0',
  'dns.qry.name contains "example"',
  'dns.qry.name matches "\\\\.(com|org)$"',
  'dns.qry.name matches r"^www\\.[a-z]+\\.org$"',
  'dns.qry.type in {1, 28}',
  'dns.count.answers > 0',
  'dns.flags.rcode != 0',
  // HTTP
  'http.request.method == "GET"',
  'http.host in {"localhost", "example.com"}',
  'http.response.code >= 200 && http.response.code < 300',
  'http.request.uri contains "x"',
  'http.server contains "IIS" || http.content_type contains "HTML"', // case-sensitive: not text/html
  'http.user_agent matches "(?i)^ELINKS"',
  // TLS
  'tls.record.version == 0x0301 || tls.handshake.ciphersuite == 0xc02f',
  'tls.handshake.extensions_server_name contains "example"',
  'tls.record.content_type == 22',
  // ICMP, ARP, VLAN
  'icmp.type == 3 || icmp.type == 11',
  'icmpv6.type == 134',
  'arp.opcode == 1',
  'vlan.id > 0',
  // streams and TCP analysis (the store's pass over the packets in order)
  'tcp.analysis.retransmission',
  'tcp.analysis.flags',
  'tcp.stream == 1',
  'udp.stream == 2',
  'tcp.seq == 1 && tcp.ack == 1',
  'tcp.window_size > 60000',
  'tcp.analysis.acks_frame',
  'tcp.time_delta > 0.001',
  // nesting
  '(tcp.srcport < 1024 || udp.srcport < 1024) && !dns',
  'not (ip and tcp.port == 80) and (ipv6 or arp)',
];

/** Filters Wireshark judges: each names a protocol or field our decoders do not know, or uses
 *  syntax our engine does not have (a field against a field, bitwise and, slices, functions). */
const WIRESHARK = [
  'tcp.srcport > tcp.dstport',
  'tcp.flags & 0x12',
  'eth.src[0:1] == 00',
  'len(dns.qry.name) > 12',
  'resp',
  'tcp.port == 6379 && resp',
  'dns || quic',
  'quic && ipv6.src == ::/0',
  'bgp.type == 2',
  'dhcp || eapol',
  'udp && !dhcp && !nbns',
  'xml || http.response.code == 200',
  'icmp.ext',
  'tcp.port == 80 && http.request.uri contains "x" || resp',
];

/**
 * The mix without the packets tshark decodes otherwise once it reassembles across packets (its IP
 * fragments, an HTTP/1.0 response that ends with its connection): those whose protocols differ
 * between tshark as the panel runs it and tshark told to decode each packet alone (TSHARK_OPTIONS).
 */
function mixWithoutReassembly(scratch: string): FramePacket[] {
  const packets = mixPackets(0);
  const file = join(scratch, 'mix.pcapng');
  writeFileSync(file, pcapngFile(MIX_LINK_TYPES, packets));
  const protocols = (options: readonly string[]) => {
    const r = spawnSync('tshark', [...options, '-r', file, '-T', 'fields', '-e', 'frame.protocols'], {
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.split('\n');
  };
  const reassembled = protocols(['-n']);
  const alone = protocols(TSHARK_OPTIONS);
  return packets.filter((_, i) => reassembled[i] === alone[i]);
}

/** The corpus files and the mix, one after the other, each file's interfaces its own. */
function equivalenceCapture(scratch: string): Uint8Array {
  const linkTypes: number[] = [];
  const packets: FramePacket[] = [];
  for (const name of CORPUS_FILES) {
    const { reader, packets: filePackets } = readCaptureFile(new Uint8Array(readFileSync(join(CORPUS, name))));
    const base = linkTypes.length;
    linkTypes.push(...reader.interfaces.map((i) => i.linkType));
    for (const p of filePackets)
      packets.push({ iface: base + p.interfaceId, data: p.data, originalLength: p.originalLength });
  }
  const base = linkTypes.length;
  linkTypes.push(...MIX_LINK_TYPES);
  for (const p of mixWithoutReassembly(scratch)) packets.push({ ...p, iface: base + (p.iface ?? 0) });
  return pcapngFile(linkTypes, packets);
}

describe('display filters, routed as the panel routes them, match what tshark -Y matches', () => {
  const worker = useFilterWorker('display-filter-equivalence');
  const file = join(worker.scratch, 'equivalence.pcapng');
  const bytes = equivalenceCapture(worker.scratch);
  writeFileSync(file, bytes);
  const place: TsharkPlace = { tshark: 'tshark', tmpdir: worker.scratch };
  const total = readCaptureFile(bytes).packets.length;

  /** The stopped capture: the file read into a store, one view whose filter changes. */
  const stopped = new PacketStore({ maxPackets: 1e6, maxBytes: 1e9, whenFull: 'stop' });
  new StoreIngest(stopped).push(bytes);
  let stoppedView: PacketView | undefined;

  /** Applies `filter` through the panel's routing; the engine that took it. */
  const route = (view: PacketView, store: PacketStore, filter: string): Promise<FilterMode> =>
    routeDisplayFilter(view, filter, false, (text) => startWiresharkFilter(store, place, text));

  async function shownWhenStopped(filter: string): Promise<{ mode: FilterMode; shown: number[] }> {
    if (!stoppedView) {
      stoppedView = worker.view(stopped);
      stoppedView.endOfPackets();
    }
    const mode = await route(stoppedView, stopped, filter);
    return { mode, shown: [...(await stoppedView.shownNumbers())] };
  }

  /** A live capture: the filter applied after the first packets, the rest added in steps. */
  async function shownWhenLive(filter: string): Promise<{ mode: FilterMode; shown: number[] }> {
    const { store, count, add } = liveStore(bytes);
    const steps = [0, Math.floor(count / 3), Math.floor((2 * count) / 3), count];
    add(steps[0]!, steps[1]!);
    const view = worker.view(store);
    const mode = await route(view, store, filter);
    for (let s = 1; s < steps.length - 1; s++) {
      add(steps[s]!, steps[s + 1]!);
      view.refresh();
    }
    view.endOfPackets();
    const shown = [...(await view.shownNumbers())];
    view.dispose();
    return { mode, shown };
  }

  const cases: [string, FilterMode][] = [
    ...OURS.map((f): [string, FilterMode] => [f, 'expression']),
    ...WIRESHARK.map((f): [string, FilterMode] => [f, 'wireshark']),
  ];
  for (const [filter, engine] of cases) {
    it(`${filter}  (${engine === 'expression' ? 'our engine' : 'tshark'})`, async () => {
      const expected = tsharkFrames(file, filter);
      assert.ok(
        expected.length > 0 && expected.length < total,
        `a case with matches and non-matches: ${expected.length}`,
      );
      const whenStopped = await shownWhenStopped(filter);
      assert.equal(whenStopped.mode, engine, 'judged by the engine expected');
      assert.deepEqual(whenStopped.shown, expected, 'a stopped capture');
      const whenLive = await shownWhenLive(filter);
      assert.equal(whenLive.mode, engine, 'judged by the engine expected (live)');
      assert.deepEqual(whenLive.shown, expected, 'a live capture');
    });
  }

  it("a filter neither takes keeps the rows, with our message for syntax and tshark's for a name", async () => {
    const view = worker.view(stopped);
    view.endOfPackets();
    await route(view, stopped, 'dns');
    await assert.rejects(route(view, stopped, 'tcp.port == 80 &&'), /unexpected end of filter/);
    await assert.rejects(route(view, stopped, 'mqttx.topic'), /tshark: .*mqttx/);
    assert.equal(view.filterText, 'dns', 'the filter shown before stays');
    view.dispose();
  });
});
