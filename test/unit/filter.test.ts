import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { type AddrMatch, CAP_MAX_RULES, type CaptureRule, type PortRange } from '../../packet/capture-abi.js';
import {
  describeWithExclusion,
  FilterError,
  formatRules,
  MAX_FILTER_NESTING,
  parseFilter,
} from '../../packet/filter.js';

// Expected values are spelled out byte by byte so the tests do not reuse the parser's address code.
const v4 = (dotted: string, prefix = 32): AddrMatch => ({
  family: 4,
  addr: Uint8Array.from(dotted.split('.').map(Number)),
  prefix,
});
const v6 = (groups: number[], prefix = 128): AddrMatch => ({
  family: 6,
  addr: Uint8Array.from(groups.flatMap((g) => [g >> 8, g & 0xff])),
  prefix,
});
const p = (lo: number, hi = lo): PortRange => ({ lo, hi });
const LOOP6 = v6([0, 0, 0, 0, 0, 0, 0, 1]);
const IP = 0x0800;
const IP6 = 0x86dd;
const ARP = 0x0806;

/** [expression, rules, accepted by pcap as written (false for our extensions)] */
const VALID: [string, CaptureRule[], boolean?][] = [
  // PCA form
  ['tcp,80', [{ l4proto: 6, port: p(80) }], false],
  ['udp,53', [{ l4proto: 17, port: p(53) }], false],
  ['sctp,9999', [{ l4proto: 132, port: p(9999) }], false],
  ['TCP,0', [{ l4proto: 6, port: p(0) }], false],
  ['  udp , 65535 ', [{ l4proto: 17, port: p(65535) }], false],
  // protocols
  ['tcp', [{ l4proto: 6 }]],
  ['udp', [{ l4proto: 17 }]],
  ['sctp', [{ l4proto: 132 }]],
  ['icmp', [{ ethertype: IP, l4proto: 1 }]],
  ['icmp6', [{ ethertype: IP6, l4proto: 58 }]],
  ['icmpv6', [{ ethertype: IP6, l4proto: 58 }], false],
  ['ip', [{ ethertype: IP }]],
  ['ip6', [{ ethertype: IP6 }]],
  ['arp', [{ ethertype: ARP }]],
  ['proto 47', [{ l4proto: 47 }]],
  ['proto \\udp', [{ l4proto: 17 }]],
  ['proto tcp', [{ l4proto: 6 }], false],
  ['ip proto 58', [{ ethertype: IP, l4proto: 58 }]],
  ['ip proto \\icmp', [{ ethertype: IP, l4proto: 1 }]],
  ['ip6 proto 17', [{ ethertype: IP6, l4proto: 17 }]],
  ['ip6 proto udp', [{ ethertype: IP6, l4proto: 17 }], false],
  ['proto 6 or 17', [{ l4proto: 6 }, { l4proto: 17 }]],
  ['ether proto 0x88cc', [{ ethertype: 0x88cc }]],
  ['ether proto \\ip', [{ ethertype: IP }]],
  ['TCP', [{ l4proto: 6 }], false],
  // hosts
  ['host 10.0.0.1', [{ addr: v4('10.0.0.1') }]],
  [
    'host 10.0.0.3 and host 10.0.0.3 or 10.0.0.1 or host 10.0.0.2',
    [{ addr: v4('10.0.0.3') }, { addr: v4('10.0.0.1') }, { addr: v4('10.0.0.2') }],
  ],
  ['src host 10.0.0.1', [{ saddr: v4('10.0.0.1') }]],
  ['dst 10.0.0.1', [{ daddr: v4('10.0.0.1') }]],
  ['src 192.168.1.1', [{ saddr: v4('192.168.1.1') }]],
  ['src or dst host ::1', [{ addr: LOOP6 }]],
  ['dst or src 10.0.0.1', [{ addr: v4('10.0.0.1') }]],
  ['src and dst host 1.2.3.4', [{ saddr: v4('1.2.3.4'), daddr: v4('1.2.3.4') }]],
  ['host 2001:DB8::a', [{ addr: v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0xa]) }]],
  ['host 1:2:3:4:5:6:7:8', [{ addr: v6([1, 2, 3, 4, 5, 6, 7, 8]) }]],
  ['host ::ffff:1.2.3.4', [{ addr: v6([0, 0, 0, 0, 0, 0xffff, 0x0102, 0x0304]) }]],
  ['host 1:0:0:4:0:0:0:8', [{ addr: v6([1, 0, 0, 4, 0, 0, 0, 8]) }]],
  ['ip host 10.0.0.1', [{ addr: v4('10.0.0.1') }]],
  ['ip6 host ::1', [{ addr: LOOP6 }]],
  ['ip6 dst host ::1', [{ daddr: LOOP6 }]],
  ['ip and host 10.0.0.1', [{ addr: v4('10.0.0.1') }]],
  // networks
  ['net 10.0.0.0/8', [{ addr: v4('10.0.0.0', 8) }]],
  ['net 10', [{ addr: v4('10.0.0.0', 8) }]],
  ['net 10.1', [{ addr: v4('10.1.0.0', 16) }]],
  ['net 10.1.2', [{ addr: v4('10.1.2.0', 24) }]],
  ['net 10.1/16', [{ addr: v4('10.1.0.0', 16) }]],
  ['src net 10.0.0.0 mask 255.0.0.0', [{ saddr: v4('10.0.0.0', 8) }]],
  ['net 172.16 mask 255.240.0.0', [{ addr: v4('172.16.0.0', 12) }]],
  [
    'net 10.0.0.0 mask 255.0.0.0 or 11.0.0.0 mask 255.0.0.0',
    [{ addr: v4('10.0.0.0', 8) }, { addr: v4('11.0.0.0', 8) }],
  ],
  ['net 0.0.0.0/0', [{ addr: v4('0.0.0.0', 0) }]],
  ['net 10.1.2.3', [{ addr: v4('10.1.2.3') }]],
  ['dst net 2001:db8::/32', [{ daddr: v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0], 32) }]],
  ['net ::/0', [{ addr: v6([0, 0, 0, 0, 0, 0, 0, 0], 0) }]],
  ['src and dst net 10.0.0.0/8', [{ saddr: v4('10.0.0.0', 8), daddr: v4('10.0.0.0', 8) }]],
  ['ip6 net fd00::/8', [{ addr: v6([0xfd00, 0, 0, 0, 0, 0, 0, 0], 8) }]],
  // ports
  ['port 80', [{ port: p(80) }]],
  ['port 0', [{ port: p(0) }]],
  ['tcp port 80', [{ l4proto: 6, port: p(80) }]],
  ['udp src port 53', [{ l4proto: 17, sport: p(53) }]],
  ['sctp dst port 9', [{ l4proto: 132, dport: p(9) }]],
  ['src or dst port 80', [{ port: p(80) }]],
  ['src and dst port 80', [{ sport: p(80), dport: p(80) }]],
  ['portrange 1-1024', [{ port: p(1, 1024) }]],
  ['tcp dst portrange 1000-2000', [{ l4proto: 6, dport: p(1000, 2000) }]],
  ['portrange 5-5', [{ port: p(5) }]],
  ['port http or https or ssh or domain', [{ port: p(80) }, { port: p(443) }, { port: p(22) }, { port: p(53) }]],
  ['portrange http-https', [{ port: p(80, 443) }]],
  ['port \\80', [{ port: p(80) }]],
  // direction
  ['inbound', [{ direction: 'in' }], false],
  ['outbound and tcp', [{ l4proto: 6, direction: 'out' }], false],
  // operators and precedence: and/or are equal and left-associative
  ['tcp && port 80 || udp', [{ l4proto: 6, port: p(80) }, { l4proto: 17 }]],
  [
    'tcp or udp and port 53',
    [
      { l4proto: 6, port: p(53) },
      { l4proto: 17, port: p(53) },
    ],
  ],
  ['tcp or (udp and port 53)', [{ l4proto: 6 }, { l4proto: 17, port: p(53) }]],
  ['port 53 and udp or tcp', [{ l4proto: 17, port: p(53) }, { l4proto: 6 }]],
  ['((tcp))', [{ l4proto: 6 }]],
  [
    '(tcp or udp) and (src host 10.0.0.1 or dst host 10.0.0.2)',
    [
      { l4proto: 6, saddr: v4('10.0.0.1') },
      { l4proto: 6, daddr: v4('10.0.0.2') },
      { l4proto: 17, saddr: v4('10.0.0.1') },
      { l4proto: 17, daddr: v4('10.0.0.2') },
    ],
  ],
  // abbreviation: a bare value repeats the previous primitive's qualifiers
  ['port 53 or 5353', [{ port: p(53) }, { port: p(5353) }]],
  ['host 10.0.0.1 or 10.0.0.2', [{ addr: v4('10.0.0.1') }, { addr: v4('10.0.0.2') }]],
  [
    'tcp port 80 or 443',
    [
      { l4proto: 6, port: p(80) },
      { l4proto: 6, port: p(443) },
    ],
  ],
  [
    'tcp dst port http or https or domain',
    [
      { l4proto: 6, dport: p(80) },
      { l4proto: 6, dport: p(443) },
      { l4proto: 6, dport: p(53) },
    ],
  ],
  [
    'tcp src portrange 1-1024 or 2000-3000',
    [
      { l4proto: 6, sport: p(1, 1024) },
      { l4proto: 6, sport: p(2000, 3000) },
    ],
  ],
  [
    'src and dst host 1.2.3.4 or 1.2.3.5',
    [
      { saddr: v4('1.2.3.4'), daddr: v4('1.2.3.4') },
      { saddr: v4('1.2.3.5'), daddr: v4('1.2.3.5') },
    ],
  ],
  [
    'src 10.0.0.1 or 10.0.0.2 and dst 10.0.0.3',
    [
      { saddr: v4('10.0.0.1'), daddr: v4('10.0.0.3') },
      { saddr: v4('10.0.0.2'), daddr: v4('10.0.0.3') },
    ],
  ],
  ['net 10 or 11', [{ addr: v4('10.0.0.0', 8) }, { addr: v4('11.0.0.0', 8) }]],
  ['proto 6 or \\udp', [{ l4proto: 6 }, { l4proto: 17 }]],
  [
    'port 80 and 443',
    [
      { sport: p(80), dport: p(443) },
      { sport: p(443), dport: p(80) },
    ],
  ],
  // pcap quirk: after ")" the qualifiers from before "(" are inherited
  ['port 80 or (host 10.0.0.1) or 81', [{ port: p(80) }, { addr: v4('10.0.0.1') }, { port: p(81) }]],
  // merging within a term
  ['portrange 1-100 and src portrange 50-60', [{ sport: p(50, 60) }]],
  ['src portrange 1-100 and src port 7', [{ sport: p(7) }]],
  ['portrange 1-100 and port 50', [{ port: p(50) }]],
  ['net 10.0.0.0/8 and host 10.1.2.3', [{ addr: v4('10.1.2.3') }]],
  ['src net 10.0.0.0/8 and src net 10.1.0.0/16', [{ saddr: v4('10.1.0.0', 16) }]],
  ['src port 80 and port 80', [{ sport: p(80) }]],
  ['src port 80 and port 443', [{ sport: p(80), dport: p(443) }]],
  ['src net 10.0.0.0/8 and host 11.1.2.3', [{ saddr: v4('10.0.0.0', 8), daddr: v4('11.1.2.3') }]],
  ['src portrange 1-100 and portrange 50-200', [{ sport: p(1, 100), port: p(50, 200) }]],
  ['icmp and host 10.0.0.1', [{ l4proto: 1, addr: v4('10.0.0.1') }]],
  ['icmp6 and host ::1', [{ l4proto: 58, addr: LOOP6 }]],
  ['proto 1 and host ::1', [{ l4proto: 1, addr: LOOP6 }]],
  ['ip6 and tcp', [{ ethertype: IP6, l4proto: 6 }]],
  ['ip and tcp and dst port 22', [{ ethertype: IP, l4proto: 6, dport: p(22) }]],
  ['tcp and tcp', [{ l4proto: 6 }]],
  // DNF expansion of two "either" conditions
  [
    'host 10.0.0.1 and host 10.0.0.2',
    [
      { saddr: v4('10.0.0.1'), daddr: v4('10.0.0.2') },
      { saddr: v4('10.0.0.2'), daddr: v4('10.0.0.1') },
    ],
  ],
  [
    'port 1 and port 2',
    [
      { sport: p(1), dport: p(2) },
      { sport: p(2), dport: p(1) },
    ],
  ],
  [
    'portrange 1-100 and portrange 50-200',
    [
      { sport: p(1, 100), port: p(50, 200) },
      { dport: p(1, 100), port: p(50, 200) },
    ],
  ],
  ['host 10.0.0.1 and host ::1 or tcp', [{ l4proto: 6 }]],
  [
    'tcp and port 80 and (host 10.0.0.1 and host 10.0.0.2)',
    [
      { l4proto: 6, port: p(80), saddr: v4('10.0.0.1'), daddr: v4('10.0.0.2') },
      { l4proto: 6, port: p(80), saddr: v4('10.0.0.2'), daddr: v4('10.0.0.1') },
    ],
  ],
  // impossible terms are dropped; covered and identical terms are deduplicated
  ['tcp and udp or sctp', [{ l4proto: 132 }]],
  ['arp and tcp or arp', [{ ethertype: ARP }]],
  ['icmp and port 80 or tcp', [{ l4proto: 6 }]],
  ['ip and host ::1 or ip6', [{ ethertype: IP6 }]],
  ['tcp port 80 or tcp port 80', [{ l4proto: 6, port: p(80) }]],
  ['tcp port 80 or tcp', [{ l4proto: 6 }]],
  ['tcp or tcp port 80 or udp', [{ l4proto: 6 }, { l4proto: 17 }]],
  ['host 10.0.0.1 or ip', [{ ethertype: IP }]],
  ['port 80 or tcp port 80', [{ port: p(80) }]],
  ['net 10.0.0.0/8 or host 10.1.2.3 or net 10.1.0.0/16', [{ addr: v4('10.0.0.0', 8) }]],
];

/** [expression, part of the message, position when one applies] */
const INVALID: [string, RegExp, number?][] = [
  // PCA form
  ['tcp,abc', /invalid port "abc"/, 4],
  ['tcp,70000', /port 70000 is out of range \(0-65535\)/, 4],
  ['foo,80', /unknown protocol "foo"/, 0],
  ['tcp,', /expected a port number after "tcp," at 4/, 4],
  [',80', /expected a protocol before ","/, 0],
  ['tcp,80,90', /unexpected "," at 6/, 6],
  ['tcp,-1', /invalid port "-1"/],
  ['tcp,0x50', /invalid port "0x50"/],
  ['icmp,1', /icmp has no ports/],
  // negation
  ['not tcp', /^"not" cannot be evaluated by the kernel filter; rewrite the filter without negation$/, 0],
  ['tcp and !port 80', /"!" cannot be evaluated by the kernel filter/, 8],
  // ports
  ['port 70000', /^port 70000 is out of range \(0-65535\)$/, 5],
  ['port ', /^expected a port number after "port" at 5$/, 5],
  ['port and tcp', /expected a port number after "port" at 5/, 5],
  ['port ftp', /unknown port "ftp"/, 5],
  ['port constructor', /unknown port "constructor"/],
  ['proto toString', /unknown protocol "toString"/],
  ['port 1-100', /write "portrange 1-100"/],
  ['portrange 100-1', /port range 100-1 is reversed/],
  ['portrange 1-', /invalid port range "1-"/],
  ['portrange 80', /invalid port range "80"/],
  ['portrange 1-70000', /port 70000 is out of range/],
  ['ip port 80', /"ip" cannot qualify "port" \(use tcp, udp or sctp\)/],
  ['icmp port 80', /"icmp" cannot qualify "port"/],
  // protocols
  ['proto foo', /unknown protocol "foo"/, 6],
  ['proto 256', /protocol 256 is out of range \(0-255\)/],
  ['proto', /expected a protocol number or name after "proto" at 5/],
  ['tcp proto 6', /"proto" can follow only ip, ip6 or ether/],
  ['ether proto 1500', /out of range \(0x0600-0xffff\)/],
  ['ether proto foo', /unknown ethertype "foo"/],
  ['ether host 1.2.3.4', /no MAC address conditions/],
  ['ether', /"ether" needs "proto"/],
  ['vlan 100', /"vlan" is not supported by the kernel filter/, 0],
  ['igmp', /"igmp" is not supported/],
  ['foo', /unknown keyword "foo" at 0/, 0],
  // addresses
  ['host foo.example.com', /host names are not resolved; give an IPv4 or IPv6 address/, 5],
  ['src foo', /host names are not resolved/],
  ['host 10.1', /"10.1" is not a complete IPv4 address/],
  ['host 10.0.0.256', /invalid IPv4 address "10.0.0.256"/],
  ['host 1::2::3', /invalid IPv6 address "1::2::3"/],
  ['host 1:2:3:4:5:6:7:8:9', /invalid IPv6 address/],
  ['host 1:2:3:4:5:6:7', /invalid IPv6 address/],
  ['host fe80::1%eth0', /zone index/],
  ['host 10.0.0.0/8', /a prefix length needs "net"/],
  ['host 10.0.0.1 mask 255.0.0.0', /a mask needs "net"/],
  ['src 10.0.0.0/8', /a prefix length needs "net"/],
  ['net 10.0.0.1/8', /^non-network bits set in "10.0.0.1\/8"$/],
  ['net 10.0.0.1 mask 255.0.0.0', /non-network bits set in "10.0.0.1 mask 255.0.0.0"/],
  ['net 2001:db8::1/32', /non-network bits set in "2001:db8::1\/32"/],
  ['net 10.0.0.0/33', /prefix \/33 is out of range for IPv4 \(0-32\)/],
  ['net ::/129', /prefix \/129 is out of range for IPv6 \(0-128\)/],
  ['net 10.0.0.0 mask 255.0.255.0', /mask 255.0.255.0 is not contiguous/],
  ['net ::1 mask ffff::', /"mask" applies to IPv4 networks only/],
  ['net 0', /network "0" is ambiguous/],
  ['net 10.0.0.0/', /expected a prefix length after "\/"/],
  ['ip host ::1', /"ip" contradicts the IPv6 address "::1"/],
  ['ip6 host 10.0.0.1', /"ip6" contradicts the IPv4 address "10.0.0.1"/],
  ['ip6 net 10.0.0.0/8', /"ip6" contradicts/],
  ['tcp host 1.1.1.1', /"tcp" cannot qualify an address/],
  ['arp host 10.0.0.1', /addresses in IP headers only/],
  ['arp and host 10.0.0.1', /addresses in IP headers only/],
  // syntax
  ['10.0.0.1', /"10.0.0.1" at 0 needs a keyword before it, e.g. "host 10.0.0.1"/, 0],
  ['80', /e\.g\. "port 80"/],
  ['tcp or 80', /"80" at 7 needs a keyword/, 7],
  ['(host 10.0.0.1) or 10.0.0.2', /"10.0.0.2" at 19 needs a keyword/, 19],
  ['tcp and (port 80) or 81', /"81" at 21 needs a keyword/, 21],
  ['inbound or 80', /"80" at 11 needs a keyword/],
  ['tcp udp', /expected "and" or "or" before "udp" at 4/, 4],
  ['(tcp', /expected "\)" to close "\(" at 0, found end of filter at 4/, 4],
  ['tcp)', /unmatched "\)" at 3/, 3],
  ['()', /unexpected "\)" at 1/, 1],
  ['tcp and', /expected a filter primitive after "and" at 7/, 7],
  [
    'tcp[13] & 2 != 0',
    /unexpected character "\[" at 3 \(packet-data and arithmetic expressions are not supported\)/,
    3,
  ],
  ['less 100', /"less" is not supported/],
  ['src or port 80', /expected an address after "src" at 4/],
  ['\\', /expected a name after "\\"/],
  // never matches
  ['tcp and udp', /^the filter can never match any packet: tcp and udp exclude each other$/],
  ['ip and ip6', /can never match any packet: ip and ip6 exclude each other/],
  ['inbound and outbound', /can never match/],
  ['icmp and port 80', /can never match any packet: ports exist only for tcp, udp and sctp, not icmp$/],
  ['icmp6 and port 5', /not icmp6/],
  ['arp and tcp', /can never match/],
  ['arp and port 80', /can never match/],
  ['ip and host ::1', /can never match any packet: ip packets have no IPv6 addresses/],
  ['host 10.0.0.1 and host ::1', /can never match any packet: an IPv4 and an IPv6 address/],
  ['src port 1 and src port 2', /can never match any packet: port 1 and port 2 do not overlap/],
  ['src net 10.0.0.0/8 and src net 11.0.0.0/8', /can never match/],
  ['host 10.0.0.1 and host 10.0.0.2 and host 10.0.0.3', /can never match any packet: host 10.0.0.3 fits neither/],
  ['src port 1 and dst port 2 and port 3', /can never match/],
];

const show = (rules: CaptureRule[]) => JSON.stringify(rules, (_k, v) => (v instanceof Uint8Array ? Array.from(v) : v));

test('empty and blank filters match everything', () => {
  assert.deepEqual(parseFilter(''), []);
  assert.deepEqual(parseFilter('   \t\n'), []);
  assert.equal(formatRules([]), '');
});

test('valid filters compile to the expected rules', () => {
  for (const [expr, rules] of VALID) {
    assert.deepEqual(parseFilter(expr), rules, `${expr} → ${show(parseFilter(expr))}`);
  }
});

test('invalid filters throw FilterError with a precise message and position', () => {
  for (const [expr, message, position] of INVALID) {
    assert.throws(
      () => parseFilter(expr),
      (err: unknown) => {
        assert.ok(err instanceof FilterError, `${expr}: ${String(err)}`);
        assert.match(err.message, message, expr);
        assert.ok(!err.message.includes('\n'), `${expr}: one line`);
        if (position !== undefined) assert.equal(err.position, position, `${expr}: position`);
        return true;
      },
      expr,
    );
  }
});

test('FilterError is an Error with an optional position', () => {
  const e = new FilterError('x', 3);
  assert.ok(e instanceof Error);
  assert.equal(e.name, 'FilterError');
  assert.equal(e.position, 3);
  assert.equal(new FilterError('y').position, undefined);
});

test('and/or have equal precedence and group left to right (pcap-filter(7))', () => {
  assert.deepEqual(parseFilter('tcp or udp and port 53'), parseFilter('(tcp or udp) and port 53'));
  assert.notDeepEqual(parseFilter('tcp or udp and port 53'), parseFilter('tcp or (udp and port 53)'));
  assert.deepEqual(parseFilter('port 53 and udp or tcp'), parseFilter('(port 53 and udp) or tcp'));
  assert.deepEqual(parseFilter('ip and tcp or udp and port 1'), parseFilter('((ip and tcp) or udp) and port 1'));
});

test('abbreviated values repeat the previous qualifiers', () => {
  assert.deepEqual(
    parseFilter('tcp dst port 80 or 443 or 53'),
    parseFilter('tcp dst port 80 or tcp dst port 443 or tcp dst port 53'),
  );
  assert.deepEqual(parseFilter('host 10.0.0.1 and 10.0.0.2'), parseFilter('host 10.0.0.1 and host 10.0.0.2'));
  assert.deepEqual(parseFilter('ip proto 6 or 17'), parseFilter('ip proto 6 or ip proto 17'));
  // a keyword after "or" starts a fresh primitive instead ("tcp" covers "ip proto 6", so one rule remains)
  assert.deepEqual(parseFilter('ip proto 6 or tcp'), [{ l4proto: 6 }]);
});

test('the PCA form and the tcpdump form agree', () => {
  assert.deepEqual(parseFilter('tcp,80'), parseFilter('tcp port 80'));
  assert.deepEqual(parseFilter('udp,53'), parseFilter('udp and port 53'));
  assert.deepEqual(parseFilter('tcp'), [{ l4proto: 6 }]);
});

test('rule limit: the DNF may not exceed CAP_MAX_RULES', () => {
  const ports = (n: number) => Array.from({ length: n }, (_, i) => i + 1).join(' or ');
  assert.equal(parseFilter(`port ${ports(CAP_MAX_RULES)}`).length, CAP_MAX_RULES);
  assert.throws(
    () => parseFilter(`port ${ports(CAP_MAX_RULES + 1)}`),
    /the filter needs 33 kernel rules but at most 32 are available/,
  );
  // 6 ports × 6 hosts = 36 rules, each term keeping one either-port and one either-host
  assert.throws(
    () =>
      parseFilter(`(port ${ports(6)}) and (host 10.0.0.1 or 10.0.0.2 or 10.0.0.3 or 10.0.0.4 or 10.0.0.5 or 10.0.0.6)`),
    /needs 36 kernel rules but at most 32/,
  );
  // each "host A and host B" expands to two rules: 16 pairs fit exactly, 17 do not
  const pairs = (n: number) =>
    Array.from({ length: n }, (_, i) => `(host 10.0.0.${i + 1} and host 10.1.0.${i + 1})`).join(' or ');
  assert.equal(parseFilter(pairs(16)).length, 32);
  assert.throws(() => parseFilter(pairs(17)), /needs 34 kernel rules/);
  // intermediate terms may exceed the limit when later conditions prune them
  assert.deepEqual(parseFilter(`(port ${ports(40)}) and port 7 and src port 7`), [{ sport: p(7) }]);
  assert.throws(() => parseFilter(`(port ${ports(40)}) and tcp and udp`), /can never match/);
  const hosts = Array.from({ length: 40 }, (_, i) => `10.0.0.${i + 1}`).join(' or ');
  assert.throws(() => parseFilter(`(port ${ports(40)}) and (host ${hosts})`), /too complex/);
});

test("an SSH session's 5-tuple, both directions, is two rules (what --exclude gets)", () => {
  const tuple = (c: string, s: string) =>
    `tcp and ((src host ${c} and src port 51234 and dst host ${s} and dst port 22) or (src host ${s} and src port 22 and dst host ${c} and dst port 51234))`;
  assert.deepEqual(parseFilter(tuple('198.51.100.1', '198.51.100.2')), [
    { l4proto: 6, sport: p(51234), dport: p(22), saddr: v4('198.51.100.1'), daddr: v4('198.51.100.2') },
    { l4proto: 6, sport: p(22), dport: p(51234), saddr: v4('198.51.100.2'), daddr: v4('198.51.100.1') },
  ]);
  const c6 = v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 1]);
  const s6 = v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 2]);
  assert.deepEqual(parseFilter(tuple('2001:db8::1', '2001:db8::2')), [
    { l4proto: 6, sport: p(51234), dport: p(22), saddr: c6, daddr: s6 },
    { l4proto: 6, sport: p(22), dport: p(51234), saddr: s6, daddr: c6 },
  ]);
});

test('describeWithExclusion: the effective filter as one pcap expression', () => {
  const x = 'tcp and host 10.0.0.1 and port 22';
  assert.equal(describeWithExclusion('', x), `not (${x})`);
  assert.equal(describeWithExclusion('udp or tcp', x), `(udp or tcp) and not (${x})`);
  assert.equal(describeWithExclusion('udp or tcp', ''), 'udp or tcp'); // no exclusion: the filter as given
  assert.equal(describeWithExclusion('tcp,80', '  '), 'tcp,80');
  assert.equal(describeWithExclusion('  ', ''), '  ');
  // The PCA form has no place inside an expression: its tcpdump equivalent stands in.
  assert.equal(describeWithExclusion('tcp,80', 'udp,53'), '(tcp and port 80) and not (udp and port 53)');
  assert.equal(describeWithExclusion(' udp ', ` ${x} `), `(udp) and not (${x})`);
});

test('formatRules writes canonical tcpdump expressions', () => {
  assert.equal(
    formatRules([
      { l4proto: 6, port: p(80) },
      { l4proto: 17, dport: p(53) },
    ]),
    '(tcp and port 80) or (udp and dst port 53)',
  );
  assert.equal(formatRules([{ l4proto: 6, port: p(80) }]), 'tcp and port 80');
  assert.equal(formatRules([{ ethertype: IP, l4proto: 1 }, { ethertype: ARP }]), 'icmp or arp');
  assert.equal(
    formatRules([{ saddr: v4('10.0.0.0', 8), dport: p(1, 1024), direction: 'in' }]),
    'src net 10.0.0.0/8 and dst portrange 1-1024 and inbound',
  );
  assert.equal(formatRules([{ addr: v6([0x2001, 0xdb8, 0, 0, 1, 0, 0, 1]) }]), 'host 2001:db8::1:0:0:1');
  assert.equal(formatRules([{ ethertype: IP6, l4proto: 47 }]), 'ip6 and proto 47');
  assert.equal(formatRules([{ ethertype: 0x88cc }]), 'ether proto 0x88cc');
  assert.equal(formatRules([{}, { l4proto: 6 }]), ''); // an empty rule matches everything
});

test('round trip: parseFilter(formatRules(rules)) gives the same rules', () => {
  for (const [expr, rules] of VALID) {
    const text = formatRules(rules);
    assert.deepEqual(parseFilter(text), rules, `${expr} → ${text}`);
  }
});

// ---- Semantics: compiled rules against a direct evaluation of the expression ----

interface Packet {
  eth: number;
  l4?: number;
  sport?: number;
  dport?: number;
  src?: number[];
  dst?: number[];
  dir: 'in' | 'out';
}

/** What the kernel does with one rule set (ports exist only for tcp/udp/sctp; an address matches its own family). */
function kernelMatches(rules: CaptureRule[], pkt: Packet): boolean {
  const ports = pkt.l4 === 6 || pkt.l4 === 17 || pkt.l4 === 132;
  const inRange = (r: PortRange, v?: number) => ports && v !== undefined && v >= r.lo && v <= r.hi;
  const inNet = (m: AddrMatch, a?: number[]) =>
    a !== undefined &&
    a.length === (m.family === 4 ? 4 : 16) &&
    Array.from({ length: m.prefix }, (_, i) => 0x80 >> (i & 7)).every(
      (bit, i) => (a[i >> 3]! & bit) === (m.addr[i >> 3]! & bit),
    );
  return (
    rules.length === 0 ||
    rules.some(
      (r) =>
        (r.ethertype === undefined || r.ethertype === pkt.eth) &&
        (r.l4proto === undefined || r.l4proto === pkt.l4) &&
        (r.direction === undefined || r.direction === pkt.dir) &&
        (!r.sport || inRange(r.sport, pkt.sport)) &&
        (!r.dport || inRange(r.dport, pkt.dport)) &&
        (!r.port || inRange(r.port, pkt.sport) || inRange(r.port, pkt.dport)) &&
        (!r.saddr || inNet(r.saddr, pkt.src)) &&
        (!r.daddr || inNet(r.daddr, pkt.dst)) &&
        (!r.addr || inNet(r.addr, pkt.src) || inNet(r.addr, pkt.dst)),
    )
  );
}

test('compiled rules match exactly the packets the expression describes (seeded random expressions)', () => {
  let seed = 42;
  const rand = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t ^= t + Math.imul(t ^ (t >>> 7), 61 | t);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const hasPorts = (p: Packet) => p.l4 === 6 || p.l4 === 17 || p.l4 === 132;
  const eq = (a: number[] | undefined, b: string) => a !== undefined && a.join('.') === b;
  const PRIMS: [string, (p: Packet) => boolean][] = [
    ['tcp', (p) => p.l4 === 6],
    ['udp', (p) => p.l4 === 17],
    ['icmp', (p) => p.eth === IP && p.l4 === 1],
    ['ip', (p) => p.eth === IP],
    ['ip6', (p) => p.eth === IP6],
    ['arp', (p) => p.eth === ARP],
    ['proto 47', (p) => p.l4 === 47],
    ['port 80', (p) => hasPorts(p) && (p.sport === 80 || p.dport === 80)],
    ['src port 80', (p) => hasPorts(p) && p.sport === 80],
    ['port 443', (p) => hasPorts(p) && (p.sport === 443 || p.dport === 443)],
    ['portrange 50-200', (p) => hasPorts(p) && [p.sport!, p.dport!].some((v) => v >= 50 && v <= 200)],
    ['dst portrange 1-100', (p) => hasPorts(p) && p.dport! >= 1 && p.dport! <= 100],
    ['host 10.0.0.1', (p) => eq(p.src, '10.0.0.1') || eq(p.dst, '10.0.0.1')],
    ['src host 10.0.0.2', (p) => eq(p.src, '10.0.0.2')],
    ['net 10.1.0.0/16', (p) => p.src?.slice(0, 2).join('.') === '10.1' || p.dst?.slice(0, 2).join('.') === '10.1'],
    ['src and dst net 10.0.0.0/8', (p) => p.eth === IP && p.src![0] === 10 && p.dst![0] === 10],
    ['host ::1', (p) => p.src?.length === 16 && (p.src.at(-1) === 1 || p.dst!.at(-1) === 1)],
    ['inbound', (p) => p.dir === 'in'],
  ];
  const packet = (): Packet => {
    const eth = pick([IP, IP, IP6, ARP]);
    const dir = pick(['in', 'out'] as const);
    if (eth === ARP) return { eth, dir };
    const addrs =
      eth === IP
        ? [
            [10, 0, 0, 1],
            [10, 0, 0, 2],
            [10, 1, 0, 5],
            [11, 0, 0, 1],
          ]
        : [
            [...Array(15).fill(0), 1],
            [...Array(15).fill(0), 2],
          ];
    const pkt: Packet = {
      eth,
      dir,
      l4: pick(eth === IP ? [6, 17, 1, 47, 132] : [6, 17, 58, 47]),
      src: pick(addrs),
      dst: pick(addrs),
    };
    if (hasPorts(pkt)) {
      pkt.sport = pick([22, 80, 443, 60, 150, 1000]);
      pkt.dport = pick([22, 80, 443, 5, 60, 150]);
    }
    return pkt;
  };
  let compiled = 0;
  for (let i = 0; i < 600; i++) {
    let [text, match] = pick(PRIMS);
    for (let n = Math.floor(rand() * 4); n > 0; n--) {
      const [t2, m2] = pick(PRIMS);
      const and = rand() < 0.5;
      const [l, r] = [match, m2]; // the current closures, not the variable
      const f = and ? (p: Packet) => l(p) && r(p) : (p: Packet) => l(p) || r(p);
      // Without parentheses the left operand groups first, as pcap-filter(7) specifies.
      text = rand() < 0.5 ? `${text} ${and ? 'and' : 'or'} ${t2}` : `(${text}) ${and ? '&&' : '||'} ${t2}`;
      match = f;
    }
    let rules: CaptureRule[];
    try {
      rules = parseFilter(text);
    } catch (err) {
      assert.ok(err instanceof FilterError, `${text}: ${String(err)}`);
      if (/never match/.test(err.message))
        for (let k = 0; k < 100; k++) {
          const pkt = packet();
          assert.ok(!match(pkt), `${text} matches ${JSON.stringify(pkt)}`);
        }
      continue;
    }
    compiled++;
    for (let k = 0; k < 100; k++) {
      const pkt = packet();
      assert.equal(kernelMatches(rules, pkt), match(pkt), `${text} → ${formatRules(rules)} on ${JSON.stringify(pkt)}`);
    }
  }
  assert.ok(compiled > 400, `only ${compiled} expressions compiled`);
});

// ---- Cross-check with the real pcap compiler (tcpdump -d compiles without capturing) ----

function pcapCompiler(): ((expr: string) => { ok: boolean; program: string }) | undefined {
  if (spawnSync('tcpdump', ['--version']).error) return undefined;
  // Compiling against an empty Ethernet savefile needs no interface and sends nothing.
  const file = join(mkdtempSync(join(tmpdir(), 'filter-test-')), 'empty.pcap');
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(65535, 16);
  header.writeUInt32LE(1, 20); // LINKTYPE_ETHERNET
  writeFileSync(file, header);
  return (expr) => {
    const r = spawnSync('tcpdump', ['-r', file, '-d', expr], { encoding: 'utf8', timeout: 10_000 });
    return { ok: r.status === 0, program: r.stdout };
  };
}

const pcap = pcapCompiler();

test('pcap accepts the expressions we accept in pcap syntax', { skip: pcap ? false : 'tcpdump not installed' }, () => {
  for (const [expr, , portable] of VALID) {
    if (portable === false) continue;
    assert.ok(pcap!(expr).ok, `pcap rejects ${expr}`);
  }
});

test('pcap rejects what we reject for the same reason', { skip: pcap ? false : 'tcpdump not installed' }, () => {
  const bothReject = [
    'not-a-keyword',
    'ip host ::1',
    'ip6 host 10.0.0.1',
    'tcp host 1.1.1.1',
    'ip port 80',
    'port 70000',
    'net 10.0.0.1/8',
    'net 10.0.0.0/33',
    'host 10.0.0.0/8',
    'src 10.0.0.0/8',
    'tcp or 80',
    '(host 10.0.0.1) or 10.0.0.2',
    'tcp and (port 80) or 81',
    '10.0.0.1',
    'tcp udp',
    '(tcp',
    'tcp)',
    'tcp and udp',
    'icmp and port 80',
    'ip and arp',
    'ip and host ::1',
    'net ::1 mask ffff::',
    'ip6 proto tcp' /* pcap needs \tcp; we accept it, checked below */,
  ];
  for (const expr of bothReject) {
    assert.equal(pcap!(expr).ok, false, `pcap accepts ${expr}`);
    if (expr !== 'ip6 proto tcp') assert.throws(() => parseFilter(expr), FilterError, expr);
  }
  assert.deepEqual(parseFilter('ip6 proto tcp'), parseFilter('ip6 proto \\tcp'));
});

test('pcap groups and/or and abbreviations the way we do', { skip: pcap ? false : 'tcpdump not installed' }, () => {
  const same = (a: string, b: string) => {
    assert.equal(pcap!(a).program, pcap!(b).program, `pcap: ${a} ≢ ${b}`);
    assert.deepEqual(parseFilter(a), parseFilter(b), `ours: ${a} ≢ ${b}`);
  };
  same('tcp or udp and port 53', '(tcp or udp) and port 53');
  same('port 53 and udp or tcp', '(port 53 and udp) or tcp');
  same('tcp dst port 80 or 443 or 53', 'tcp dst port 80 or tcp dst port 443 or tcp dst port 53');
  same('host 10.0.0.1 or 10.0.0.2 and tcp', '(host 10.0.0.1 or host 10.0.0.2) and tcp');
  same('port 80 or (host 10.0.0.1) or 81', 'port 80 or (host 10.0.0.1) or port 81');
  assert.notEqual(pcap!('tcp or udp and port 53').program, pcap!('tcp or (udp and port 53)').program);
});

test('pcap accepts the effective filter descriptions (pcapng if_filter)', {
  skip: pcap ? false : 'tcpdump not installed',
}, () => {
  const ssh =
    'tcp and ((src host 198.51.100.1 and src port 51234 and dst host 198.51.100.2 and dst port 22) or (src host 198.51.100.2 and src port 22 and dst host 198.51.100.1 and dst port 51234))';
  for (const [filter, exclusion] of [
    ['', ssh],
    ['tcp or udp', ssh],
    ['tcp,80', 'udp,53'],
    ['port 53 or 5353', 'host 2001:db8::1'],
  ]) {
    const text = describeWithExclusion(filter!, exclusion!);
    assert.ok(pcap!(text).ok, `pcap rejects ${text}`);
  }
});

test('deep nesting is an error, never a stack overflow; long flat chains still work', () => {
  const tooDeep = (text: string) =>
    assert.throws(
      () => parseFilter(text),
      (e: unknown) =>
        e instanceof FilterError &&
        /^filter nested too deeply \(more than 100 levels\) at \d+$/.test(e.message) &&
        e.position === MAX_FILTER_NESTING,
    );
  tooDeep(`${'('.repeat(100_000)}tcp${')'.repeat(100_000)}`);
  tooDeep(`${'('.repeat(MAX_FILTER_NESTING + 1)}tcp${')'.repeat(MAX_FILTER_NESTING + 1)}`);
  assert.deepEqual(parseFilter(`${'('.repeat(MAX_FILTER_NESTING)}tcp${')'.repeat(MAX_FILTER_NESTING)}`), [
    { l4proto: 6 },
  ]);
  // 100,000 alternatives (or conditions) are no nesting: they compile without deep recursion.
  assert.deepEqual(parseFilter(Array(100_000).fill('tcp').join(' or ')), [{ l4proto: 6 }]);
  assert.deepEqual(parseFilter(Array(100_000).fill('tcp').join(' and ')), [{ l4proto: 6 }]);
  assert.deepEqual(parseFilter(`udp or ${Array(100_000).fill('tcp').join(' or ')}`), [{ l4proto: 17 }, { l4proto: 6 }]);
});
