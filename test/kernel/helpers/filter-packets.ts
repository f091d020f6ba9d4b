// Hand-built Ethernet frames for the filter-equivalence test, covering what tcpdump's corpus has
// little or none of: ICMP echo, IPv6 TCP and ICMPv6 neighbour solicitations, 802.1Q and QinQ tags,
// IPv4 options and fragments, HTTP request payloads, addresses inside and outside the test's
// nets, small and large frames. Checksums are left zero: no filter reads them.
import { writeFileSync } from 'node:fs';
import { encodeFileHeader, recordSize, writeRecord } from '../../../packet/pcap.js';

const LINKTYPE_ETHERNET = 1;
const MAC_A = [0x00, 0x00, 0x0c, 0x07, 0xac, 0x01];
const MAC_B = [0x08, 0x00, 0x20, 0x00, 0x00, 0x01];
const BROADCAST = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
const MULTICAST_V6 = [0x33, 0x33, 0xff, 0x00, 0x00, 0x01];

const be16 = (v: number) => [(v >> 8) & 0xff, v & 0xff];
const ipv4 = (a: string) => a.split('.').map(Number);
function ipv6(a: string): number[] {
  const [head = '', tail = ''] = a.split('::');
  const words = (s: string) => (s ? s.split(':').map((w) => Number.parseInt(w, 16)) : []);
  const h = words(head);
  const t = words(tail);
  return [...h, ...new Array(8 - h.length - t.length).fill(0), ...t].flatMap(be16);
}

function ether(dst: number[], src: number[], type: number, payload: number[], tags: number[] = []): number[] {
  // Each tag is a VLAN id; the outer ones use the 802.1ad TPID, the innermost 802.1Q.
  const tagBytes = tags.flatMap((vid, i) => [...be16(i < tags.length - 1 ? 0x88a8 : 0x8100), ...be16(vid)]);
  return [...dst, ...src, ...tagBytes, ...be16(type), ...payload];
}

interface V4 {
  src: string;
  dst: string;
  proto: number;
  ttl?: number;
  tos?: number;
  options?: number[];
  fragment?: number; // offset in 8-byte units, with MF set
}
function ip4(h: V4, payload: number[]): number[] {
  const options = h.options ?? [];
  const ihl = 5 + options.length / 4;
  const frag = h.fragment === undefined ? 0x4000 : 0x2000 | h.fragment;
  return [
    0x40 | ihl,
    h.tos ?? 0,
    ...be16(ihl * 4 + payload.length),
    0x12,
    0x34,
    ...be16(frag),
    h.ttl ?? 64,
    h.proto,
    0,
    0,
    ...ipv4(h.src),
    ...ipv4(h.dst),
    ...options,
    ...payload,
  ];
}
function ip6(src: string, dst: string, next: number, payload: number[]): number[] {
  return [0x60, 0, 0, 0, ...be16(payload.length), next, 64, ...ipv6(src), ...ipv6(dst), ...payload];
}
function tcp(sport: number, dport: number, flags: number, data: number[] = []): number[] {
  return [...be16(sport), ...be16(dport), 0, 0, 0, 1, 0, 0, 0, 0, 0x50, flags, 0xff, 0xff, 0, 0, 0, 0, ...data];
}
function udp(sport: number, dport: number, data: number[] = []): number[] {
  return [...be16(sport), ...be16(dport), ...be16(8 + data.length), 0, 0, ...data];
}
const icmp = (type: number) => [type, 0, 0, 0, 0, 1, 0, 1, ...new Array(32).fill(0x61)];
const bytes = (n: number, v = 0x5a) => new Array(n).fill(v);
const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0));

const SYN = 0x02;
const SYN_ACK = 0x12;
const RST = 0x04;
const PSH_ACK = 0x18;
const FIN_ACK = 0x11;

function frames(): number[][] {
  const v4 = (h: V4, p: number[], tags?: number[]) => ether(MAC_B, MAC_A, 0x0800, ip4(h, p), tags);
  const v6 = (src: string, dst: string, next: number, p: number[], mac = MAC_B) =>
    ether(mac, MAC_A, 0x86dd, ip6(src, dst, next, p));
  return [
    v4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 1 }, icmp(8)),
    v4({ src: '10.0.0.2', dst: '10.0.0.1', proto: 1 }, icmp(0)),
    v4({ src: '192.168.1.1', dst: '8.8.8.8', proto: 1 }, icmp(3)),
    v4({ src: '192.168.1.10', dst: '192.168.1.1', proto: 6 }, tcp(40000, 80, SYN)),
    v4({ src: '192.168.1.1', dst: '192.168.1.10', proto: 6 }, tcp(80, 40000, SYN_ACK)),
    v4(
      { src: '192.168.1.10', dst: '93.184.216.34', proto: 6 },
      tcp(40001, 80, PSH_ACK, ascii('GET / HTTP/1.1\r\n\r\n')),
    ),
    v4({ src: '10.1.2.3', dst: '192.168.1.10', proto: 6 }, tcp(443, 40002, RST)),
    v4({ src: '10.1.2.3', dst: '172.16.0.1', proto: 6 }, tcp(6010, 6001, FIN_ACK)),
    v4({ src: '192.168.1.10', dst: '192.168.1.1', proto: 17 }, udp(5353, 53, [0x01, 0x00, ...bytes(20)])),
    v4({ src: '172.16.0.9', dst: '10.0.0.2', proto: 17 }, udp(40000, 7000, bytes(1200))),
    v4({ src: '10.0.0.1', dst: '224.0.0.251', proto: 17, ttl: 1 }, udp(5353, 5353, bytes(40))),
    v4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 47, tos: 0xb8 }, bytes(24)),
    v4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 6, options: [0x94, 0x04, 0, 0] }, tcp(1234, 22, SYN)),
    v4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 17, fragment: 0 }, udp(4000, 4001, bytes(64))),
    v4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 17, fragment: 9 }, bytes(64)),
    v4({ src: '10.0.0.1', dst: '255.255.255.255', proto: 17 }, udp(68, 67, bytes(240))),
    v4({ src: '10.0.0.5', dst: '10.0.0.6', proto: 17 }, udp(1000, 2000, bytes(16)), [100]),
    v4({ src: '10.0.0.5', dst: '10.0.0.6', proto: 6 }, tcp(2000, 80, SYN), [200]),
    v4({ src: '10.0.0.5', dst: '10.0.0.6', proto: 17 }, udp(53, 53, bytes(16)), [300, 100]),
    v6('fe80::1', 'ff02::1:ff00:1', 58, [135, 0, 0, 0, 0, 0, 0, 0, ...ipv6('fe80::2')], MULTICAST_V6),
    v6('2001:db8::1', '2001:db8::2', 58, icmp(128)),
    v6('2001:db8::1', '2001:db8:1::80', 6, tcp(50000, 443, SYN)),
    v6('2001:db8:1::80', '2001:db8::1', 6, tcp(443, 50000, PSH_ACK, bytes(900))),
    v6('fe80::1', 'ff02::1:2', 17, udp(546, 547, bytes(30)), MULTICAST_V6),
    ether(BROADCAST, MAC_A, 0x0806, [
      0,
      1,
      8,
      0,
      6,
      4,
      0,
      1,
      ...MAC_A,
      ...ipv4('10.0.0.1'),
      ...bytes(6, 0),
      ...ipv4('10.0.0.2'),
    ]),
    ether(MAC_B, MAC_A, 0x88cc, bytes(46)), // LLDP: neither IP nor ARP
    ether(BROADCAST, MAC_B, 0x0800, ip4({ src: '10.9.9.9', dst: '10.9.9.255', proto: 17 }, udp(137, 137, bytes(50)))),
  ];
}

/** Writes the frames as an Ethernet pcap at `file`; returns how many. */
export function writeFilterPackets(file: string): number {
  const list = frames().map((f) => Uint8Array.from(f.length < 60 ? [...f, ...bytes(60 - f.length, 0)] : f));
  const header = encodeFileHeader({ snaplen: 262144, linkType: LINKTYPE_ETHERNET, nanosecond: false });
  const out = new Uint8Array(header.length + list.reduce((n, f) => n + recordSize(f.length), 0));
  out.set(header, 0);
  let off = header.length;
  list.forEach((f, i) => {
    off = writeRecord(out, off, BigInt(i) * 1_000_000n, f, 0, f.length, f.length, false);
  });
  writeFileSync(file, out);
  return list.length;
}
