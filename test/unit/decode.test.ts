// Layer decoders on hand-built packets: fields (names, values, byte ranges), columns as
// Wireshark's, conversations. Every decode also goes through decode() in decode-helpers, which
// checks summary == full decode, offset independence and field ranges.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { decodePacket, summarizePacket } from '../../packet/decode/index.js';
import { bytesOf, decode, field, fields, LT, layer, protocols, value } from './fixtures/decode-helpers.js';
import {
  ah,
  arp,
  ascii,
  concat,
  DNS_TYPE,
  dns,
  dnsName,
  dnsPtr,
  ETH,
  eth,
  http,
  icmp,
  icmpEcho,
  icmpv6,
  ip4,
  ip6,
  ipv4,
  ipv6,
  ipv6Ext,
  ipv6Frag,
  mac,
  nullHdr,
  PROTO,
  sctp,
  sll,
  sll2,
  TCP,
  tcp,
  tcpOpt,
  tcpOptions,
  tlsClientHello,
  tlsRecord,
  tlsServerHello,
  u16,
  u32,
  udp,
  vlanTag,
} from './fixtures/packets.js';

const A = '192.0.2.1';
const B = '198.51.100.7';

function e4(proto: number, payload: Uint8Array, extra: Partial<Parameters<typeof ipv4>[0]> = {}): Uint8Array {
  return eth(
    { src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02', type: ETH.ipv4 },
    ipv4({ src: A, dst: B, proto, ...extra }, payload),
  );
}

function e6(next: number, payload: Uint8Array, src = '2001:db8::1', dst = '2001:db8::2'): Uint8Array {
  return eth({ type: ETH.ipv6 }, ipv6({ src, dst, next }, payload));
}

describe('link layers', () => {
  it('Ethernet II: addresses, type, offsets', () => {
    const pkt = e4(PROTO.udp, udp({ sport: 1000, dport: 2000 }, ascii('hi')));
    const p = decode(LT.ethernet, pkt);
    assert.deepEqual(protocols(p), ['frame', 'eth', 'ip', 'udp']);
    const dst = field(p, 'eth.dst');
    assert.equal(dst.value, '02:00:00:00:00:02');
    assert.deepEqual([dst.offset, dst.length], [0, 6]);
    assert.deepEqual([field(p, 'eth.src').offset, field(p, 'eth.src').value], [6, '02:00:00:00:00:01']);
    assert.deepEqual([field(p, 'eth.type').offset, field(p, 'eth.type').value], [12, 0x0800]);
    assert.equal(layer(p, 'eth').label, 'Ethernet II, Src: 02:00:00:00:00:01, Dst: 02:00:00:00:00:02');
    assert.equal(value(p, 'frame.protocols'), 'eth:ip:udp');
    assert.equal(value(p, 'frame.len'), pkt.length);
  });

  it('a non-IP frame keeps the MAC addresses as Source/Destination (well-known ones named); unknown ethertype in hex', () => {
    const p = decode(
      LT.ethernet,
      eth({ src: '02:aa:bb:cc:dd:ee', dst: 'ff:ff:ff:ff:ff:ff', type: 0x1234 }, ascii('payload')),
    );
    assert.deepEqual(p.summary, {
      source: '02:aa:bb:cc:dd:ee',
      destination: 'Broadcast',
      protocol: '0x1234',
      info: 'Ethernet II',
    });
    assert.equal(layer(p, 'data').length, 7);
    const named = decode(LT.ethernet, eth({ type: 0x88b5 }, ascii('x')));
    assert.deepEqual([named.summary.protocol, named.summary.info], ['0x88b5', 'Local Experimental Ethertype 1']);
  });

  it('802.1Q and stacked 802.1ad + 802.1Q tags', () => {
    const one = decode(
      LT.ethernet,
      eth(
        { type: ETH.vlan },
        vlanTag(
          { id: 100, pcp: 5, dei: true, type: ETH.ipv4 },
          ipv4({ src: A, dst: B, proto: PROTO.udp }, udp({ sport: 5, dport: 6 })),
        ),
      ),
    );
    assert.deepEqual([value(one, 'vlan.id'), value(one, 'vlan.priority'), value(one, 'vlan.dei')], [100, 5, 1]);
    assert.equal(field(one, 'vlan.id').offset, 14);
    assert.deepEqual([one.summary.source, one.summary.protocol], [A, 'UDP']);
    const two = decode(
      LT.ethernet,
      eth(
        { type: ETH.qinq },
        vlanTag(
          { id: 10, type: ETH.vlan },
          vlanTag(
            { id: 20, type: ETH.arp },
            arp({ op: 1, sha: '02:00:00:00:00:01', spa: A, tha: '00:00:00:00:00:00', tpa: B }),
          ),
        ),
      ),
    );
    assert.deepEqual(
      fields(two, 'vlan.id').map((f) => f.value),
      [10, 20],
    );
    assert.deepEqual(protocols(two), ['frame', 'eth', 'vlan', 'vlan', 'arp']);
    assert.equal(two.layers[2]!.label.startsWith('802.1ad'), true);
    assert.equal(two.summary.info, `Who has ${B}? Tell ${A}`);
  });

  it('VLAN tags are bounded: a frame of nothing but tags ends with a problem, not a stack overflow', () => {
    const tags: number[] = [];
    for (let i = 0; i < 5000; i++) tags.push(0, 1, 0x81, 0x00);
    const p = decode(LT.ethernet, eth({ type: ETH.vlan }, Uint8Array.from(tags)));
    assert.ok(
      p.problems.some((m) => m.includes('nested')),
      p.problems.join(),
    );
  });

  it('Linux cooked v1 and v2', () => {
    const v4 = ipv4({ src: A, dst: B, proto: PROTO.icmp }, icmpEcho(true, 1, 1));
    const p1 = decode(LT.sll, sll({ pktType: 4, addr: '02:00:00:00:00:09', protocol: ETH.ipv4 }, v4));
    assert.deepEqual(
      [value(p1, 'sll.pkttype'), value(p1, 'sll.src.eth'), value(p1, 'sll.etype'), field(p1, 'sll.etype').offset],
      [4, '02:00:00:00:00:09', 0x0800, 14],
    );
    assert.deepEqual([p1.summary.source, p1.summary.protocol], [A, 'ICMP']);
    const p2 = decode(
      LT.sll2,
      sll2(
        { pktType: 0, addr: '02:00:00:00:00:09', protocol: ETH.arp, ifindex: 7 },
        arp({ op: 2, sha: '02:00:00:00:00:09', spa: B, tha: '02:00:00:00:00:01', tpa: A }),
      ),
    );
    assert.deepEqual(
      [value(p2, 'sll.ifindex'), field(p2, 'sll.ifindex').offset, value(p2, 'sll.etype')],
      [7, 4, 0x0806],
    );
    // ARP over a cooked capture: the source is the link address, no destination (as Wireshark).
    assert.deepEqual(p2.summary, {
      source: '02:00:00:00:00:09',
      destination: '',
      protocol: 'ARP',
      info: `${B} is at 02:00:00:00:00:09`,
    });
    const unknown = decode(LT.sll, sll({ pktType: 0, protocol: 0x9999 }, ascii('abcd')));
    assert.deepEqual([unknown.summary.protocol, unknown.summary.info], ['0x9999', 'Unicast to us']);
  });

  it('BSD loopback: host-order NULL, network-order LOOP, IPv6 families', () => {
    const v4 = ipv4({ src: '127.0.0.1', dst: '127.0.0.1', proto: PROTO.udp }, udp({ sport: 1, dport: 2 }));
    assert.equal(value(decode(LT.null, nullHdr(2, v4)), 'null.family'), 2);
    assert.equal(decode(LT.null, nullHdr(2, v4, true)).summary.protocol, 'UDP');
    assert.equal(decode(LT.loop, nullHdr(2, v4, true)).summary.protocol, 'UDP');
    for (const fam of [24, 28, 30]) {
      const p = decode(LT.null, nullHdr(fam, ipv6({ src: '::1', dst: '::1', next: PROTO.none })));
      assert.deepEqual([p.summary.source, p.summary.protocol, p.summary.info], ['::1', 'IPv6', 'IPv6 no next header']);
    }
    assert.equal(decode(LT.null, nullHdr(99, ascii('x'))).summary.info, 'Null/Loopback');
  });

  it('raw IP link types pick the version from the first nibble', () => {
    for (const lt of [101, 12, 14]) {
      assert.equal(
        decode(lt, ipv4({ src: A, dst: B, proto: PROTO.icmp }, icmpEcho(true, 1, 1))).summary.protocol,
        'ICMP',
      );
      assert.equal(
        decode(lt, ipv6({ next: PROTO.icmpv6 }, icmpv6({ type: 128 }, concat(u16(1), u16(1))))).summary.protocol,
        'ICMPv6',
      );
    }
    const bad = decode(101, Uint8Array.of(0x50, 1, 2, 3));
    assert.deepEqual([bad.summary.info, bad.problems.length], ['Raw packet data[Malformed Packet]', 1]);
    // Link type 228 (IPv4) with a version-6 packet: decoded as IPv6, as Wireshark does.
    assert.equal(decode(LT.ipv4, ipv6({ next: PROTO.none })).summary.info, 'IPv6 no next header');
    assert.equal(decode(LT.ipv6, ipv4({ proto: 59 })).summary.info, 'Bogus IPv6 version (4, must be 6)');
  });

  it('an unknown link type says so', () => {
    const p = decode(147, ascii('abc'));
    assert.deepEqual(
      [p.summary.protocol, p.summary.info, p.problems.length],
      ['Unknown', 'Link type 147 is not supported', 1],
    );
  });
});

describe('ARP', () => {
  const sha = '02:00:00:00:00:01';
  const cases: [string, Parameters<typeof arp>[0], string][] = [
    ['request', { op: 1, sha, spa: A, tha: '00:00:00:00:00:00', tpa: B }, `Who has ${B}? Tell ${A}`],
    ['reply', { op: 2, sha, spa: A, tha: '02:00:00:00:00:02', tpa: B }, `${A} is at ${sha}`],
    ['announcement', { op: 1, sha, spa: A, tha: '00:00:00:00:00:00', tpa: A }, `ARP Announcement for ${A}`],
    ['probe', { op: 1, sha, spa: '0.0.0.0', tha: '00:00:00:00:00:00', tpa: B }, `Who has ${B}? (ARP Probe)`],
    ['gratuitous reply', { op: 2, sha, spa: A, tha: 'ff:ff:ff:ff:ff:ff', tpa: A }, `Gratuitous ARP for ${A} (Reply)`],
  ];
  for (const [name, o, info] of cases) {
    it(name, () => {
      const pkt = eth({ src: sha, dst: 'ff:ff:ff:ff:ff:ff', type: ETH.arp }, arp(o));
      const p = decode(LT.ethernet, pkt);
      assert.deepEqual(p.summary, { source: sha, destination: 'Broadcast', protocol: 'ARP', info });
      assert.equal(value(p, 'arp.opcode'), o.op);
      assert.deepEqual([value(p, 'arp.src.proto_ipv4'), field(p, 'arp.src.proto_ipv4').offset], [o.spa, 28]);
      assert.deepEqual([value(p, 'arp.dst.proto_ipv4'), field(p, 'arp.dst.proto_ipv4').offset], [o.tpa, 38]);
      assert.equal(p.conversation, undefined);
    });
  }
});

describe('IPv4', () => {
  it('header fields with offsets; Source/Destination; conversation', () => {
    const pkt = e4(PROTO.udp, udp({ sport: 40000, dport: 9 }, ascii('x')), {
      ttl: 17,
      id: 0xbeef,
      df: true,
      tos: 0xb8,
    });
    const p = decode(LT.ethernet, pkt);
    assert.deepEqual(
      [value(p, 'ip.src'), field(p, 'ip.src').offset, value(p, 'ip.dst'), field(p, 'ip.dst').offset],
      [A, 26, B, 30],
    );
    assert.deepEqual(
      [value(p, 'ip.ttl'), value(p, 'ip.proto'), value(p, 'ip.id'), value(p, 'ip.flags.df'), value(p, 'ip.flags.mf')],
      [17, 17, 0xbeef, true, false],
    );
    assert.deepEqual([value(p, 'ip.dsfield.dscp'), value(p, 'ip.len'), value(p, 'ip.hdr_len')], [46, 29, 20]);
    assert.match(field(p, 'ip.checksum').label, /\[correct\]/);
    assert.equal(layer(p, 'ip').label, `Internet Protocol Version 4, Src: ${A}, Dst: ${B}`);
    assert.deepEqual(p.conversation, { protocol: 'udp', a: `${A}:40000`, b: `${B}:9` });
    const back = decode(LT.ethernet, e4(PROTO.udp, udp({ sport: 9, dport: 40000 }), { src: B, dst: A }));
    assert.deepEqual(back.conversation, p.conversation, 'both directions give the same key');
  });

  it('options are listed; a bad checksum is flagged in the tree only', () => {
    const pkt = e4(PROTO.icmp, icmpEcho(true, 1, 1), { options: concat([7, 7, 4], new Uint8Array(4), [1]) });
    pkt[24]! ^= 0xff;
    const p = decode(LT.ethernet, pkt);
    assert.equal(value(p, 'ip.hdr_len'), 28);
    assert.deepEqual(
      fields(p, 'ip.opt.type').map((f) => f.value),
      [7, 7, 1],
    );
    assert.match(field(p, 'ip.checksum').label, /incorrect, should be 0x/);
    assert.equal(p.summary.protocol, 'ICMP');
    assert.deepEqual(p.problems, []);
  });

  it('fragments: the first is decoded, the others shown as fragments', () => {
    const dgram = udp({ sport: 1111, dport: 2222 }, new Uint8Array(100).fill(1));
    const first = decode(LT.ethernet, e4(PROTO.udp, dgram.subarray(0, 48), { id: 0x1234, mf: true }));
    assert.deepEqual([first.summary.protocol, first.summary.info], ['UDP', '1111 → 2222 Len=100']);
    const second = decode(LT.ethernet, e4(PROTO.udp, dgram.subarray(48), { id: 0x1234, fragOffset: 48 }));
    assert.deepEqual(
      [second.summary.protocol, second.summary.info],
      ['IPv4', 'Fragmented IP protocol (proto=UDP 17, off=48, ID=1234)'],
    );
    assert.equal(value(second, 'ip.frag_offset'), 48);
    assert.deepEqual(second.conversation, { protocol: 'ip', a: A, b: B });
    assert.equal(layer(second, 'data').length, 60);
  });

  it('bogus version, header length and total length are named as Wireshark names them', () => {
    const badVer = e4(PROTO.udp, udp({ sport: 1, dport: 2 }));
    badVer[14] = 0x55;
    assert.equal(decode(LT.ethernet, badVer).summary.info, 'Bogus IPv4 version (5, must be 4)');
    const badHl = decode(LT.ethernet, eth({ type: ETH.ipv4 }, ipv4({ proto: 6, headerLength: 16 })));
    assert.equal(badHl.summary.info, 'Bogus IP header length (16, must be at least 20)');
    assert.equal(badHl.problems.length, 1);
    assert.equal(badHl.summary.source, '02:00:00:00:00:01', 'no IP addresses: the MACs stay');
    const badLen = decode(
      LT.ethernet,
      eth({ type: ETH.ipv4 }, ipv4({ proto: 6, totalLength: 10 }, tcp({ sport: 1, dport: 2, flags: 2 }))),
    );
    assert.equal(badLen.summary.info, 'Bogus IP length (10, less than header length 20)');
  });

  it('Ethernet padding is not payload', () => {
    const small = e4(PROTO.udp, udp({ sport: 7, dport: 8 }, ascii('x')));
    const padded = concat(small, new Uint8Array(60 - small.length).fill(0xaa));
    const p = decode(LT.ethernet, padded);
    assert.equal(p.summary.info, '7 → 8 Len=1');
    assert.deepEqual(p.problems, []);
  });

  it('a datagram longer than the frame is noted; one cut by the snapshot length too', () => {
    const long = decode(LT.ethernet, e4(PROTO.udp, udp({ sport: 7, dport: 8 }, ascii('abc')), { totalLength: 200 }));
    assert.equal(long.summary.protocol, 'UDP');
    assert.match(long.problems.join(), /IPv4: length 200 exceeds/);
    const full = e4(PROTO.tcp, tcp({ sport: 1, dport: 2, flags: TCP.ACK }, new Uint8Array(1000)));
    const cut = decode(LT.ethernet, full.subarray(0, 54), full.length);
    assert.equal(cut.summary.info, '1 → 2 [ACK] Seq=0 Ack=0 Win=64240 Len=1000');
    assert.match(cut.problems.join(), /cut short by the capture/);
  });

  it('IP in IP and IPv6 in IPv4: the innermost addresses are the columns', () => {
    const inner = ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: PROTO.icmp }, icmpEcho(true, 1, 1));
    const p = decode(LT.ethernet, e4(PROTO.ipip, inner));
    assert.deepEqual([p.summary.source, p.summary.destination, p.summary.protocol], ['10.0.0.1', '10.0.0.2', 'ICMP']);
    assert.deepEqual(
      fields(p, 'ip.src').map((f) => f.value),
      [A, '10.0.0.1'],
    );
    const six = decode(LT.ethernet, e4(PROTO.ipv6, ipv6({ src: 'fd00::1', dst: 'fd00::2', next: PROTO.none })));
    assert.deepEqual([six.summary.source, six.summary.info], ['fd00::1', 'IPv6 no next header']);
  });

  it('an unknown protocol is named by number', () => {
    const p = decode(LT.ethernet, e4(253, ascii('abcd')));
    assert.deepEqual([p.summary.protocol, p.summary.info], ['IPv4', 'Unknown (253)']);
    assert.deepEqual(p.conversation, { protocol: 'ip', a: A, b: B });
  });
});

describe('IPv6', () => {
  it('header fields and RFC 5952 addresses', () => {
    const p = decode(
      LT.ethernet,
      eth(
        { type: ETH.ipv6 },
        ipv6(
          {
            src: '2001:db8:0:0:1:0:0:1',
            dst: 'fe80::1:2',
            next: PROTO.udp,
            hopLimit: 3,
            flowLabel: 0xabcde,
            tclass: 0x20,
          },
          udp({ sport: 1, dport: 2 }),
        ),
      ),
    );
    assert.deepEqual([p.summary.source, p.summary.destination], ['2001:db8::1:0:0:1', 'fe80::1:2']);
    assert.deepEqual(
      [
        value(p, 'ipv6.hlim'),
        value(p, 'ipv6.flow'),
        value(p, 'ipv6.tclass'),
        value(p, 'ipv6.nxt'),
        value(p, 'ipv6.plen'),
      ],
      [3, 0xabcde, 0x20, 17, 8],
    );
    assert.deepEqual([field(p, 'ipv6.src').offset, field(p, 'ipv6.dst').offset], [22, 38]);
    assert.deepEqual(p.conversation, { protocol: 'udp', a: '[2001:db8::1:0:0:1]:1', b: '[fe80::1:2]:2' });
    const mapped = decode(
      LT.ethernet,
      eth({ type: ETH.ipv6 }, ipv6({ src: '::ffff:c000:201', dst: '::1', next: PROTO.none })),
    );
    assert.equal(mapped.summary.source, '::ffff:192.0.2.1');
  });

  it('extension headers: hop-by-hop, destination options, routing, fragment, AH', () => {
    const payload = udp(
      { sport: 53000, dport: 53 },
      dns({ id: 7, questions: [{ name: 'a.example', type: DNS_TYPE.A }] }),
    );
    const chain = ipv6Ext(
      PROTO.dstopts,
      Uint8Array.of(5, 2, 0, 0),
      ipv6Ext(
        PROTO.routing,
        new Uint8Array(0),
        concat(
          [PROTO.fragment, 2, 0, 0],
          u32(0),
          ip6('2001:db8::99'),
          ipv6Frag(PROTO.ah, { offset: 0, more: false, id: 9 }, ah(PROTO.udp, 0x42, 1, payload)),
        ),
      ),
    );
    const p = decode(LT.ethernet, e6(0, chain));
    assert.deepEqual([p.summary.protocol, p.summary.info], ['DNS', 'Standard query 0x0007 A a.example']);
    for (const n of ['ipv6.hopopts', 'ipv6.dstopts', 'ipv6.routing', 'ipv6.fraghdr'])
      assert.ok(fields(p, n).length === 1, n);
    assert.equal(value(p, 'ipv6.opt.router_alert'), 0);
    assert.deepEqual([value(p, 'ah.spi'), value(p, 'ipv6.routing.type')], [0x42, 0]);
    assert.deepEqual(protocols(p), ['frame', 'eth', 'ipv6', 'ah', 'udp', 'dns']);
  });

  it('a routing header with segments left names the final destination', () => {
    const rh = concat([PROTO.none, 2, 0, 1], u32(0), ip6('2001:db8::99'));
    const p = decode(LT.ethernet, e6(PROTO.routing, rh));
    assert.equal(p.summary.destination, '2001:db8::99');
  });

  it('a non-first fragment is shown as a fragment', () => {
    const p = decode(
      LT.ethernet,
      e6(PROTO.fragment, ipv6Frag(PROTO.udp, { offset: 1232, more: true, id: 0xabc }, new Uint8Array(16))),
    );
    assert.deepEqual(
      [p.summary.protocol, p.summary.info],
      ['IPv6', 'IPv6 fragment (off=1232 more=y ident=0x00000abc nxt=17)'],
    );
    assert.deepEqual(
      [value(p, 'ipv6.fraghdr.offset'), value(p, 'ipv6.fraghdr.more'), value(p, 'ipv6.fraghdr.ident')],
      [1232, true, 0xabc],
    );
  });

  it('ESP and no-next-header end the decode', () => {
    const esp = decode(LT.ethernet, e6(PROTO.esp, concat(u32(0x1001), u32(5), new Uint8Array(20))));
    assert.deepEqual(
      [esp.summary.protocol, esp.summary.info, value(esp, 'esp.spi'), value(esp, 'esp.sequence')],
      ['ESP', 'ESP (SPI=0x00001001)', 0x1001, 5],
    );
    assert.equal(decode(LT.ethernet, e6(PROTO.none, new Uint8Array(0))).summary.info, 'IPv6 no next header');
    assert.equal(decode(LT.ethernet, e6(253, ascii('xyz'))).summary.info, 'Unknown IP Protocol: Unknown (253)');
  });

  it('bytes that are not IPv6 behind the ethertype are left as the ethertype, as Wireshark does', () => {
    const p = decode(LT.ethernet, eth({ type: ETH.ipv6 }, new Uint8Array(30)));
    assert.deepEqual([p.summary.protocol, p.summary.info, p.summary.source], ['0x86dd', 'IPv6', '02:00:00:00:00:01']);
    assert.equal(p.problems.length, 1);
  });

  it('payload length 0 needs a jumbo payload option', () => {
    const jumboOpt = Uint8Array.of(0xc2, 4, ...u32(8 + 2));
    const ok = decode(
      LT.ethernet,
      eth(
        { type: ETH.ipv6 },
        ipv6({ next: 0, payloadLength: 0 }, ipv6Ext(PROTO.udp, jumboOpt, udp({ sport: 1, dport: 2 }, ascii('hi')))),
      ),
    );
    assert.equal(ok.summary.protocol, 'UDP');
    const bad = decode(
      LT.ethernet,
      eth({ type: ETH.ipv6 }, ipv6({ next: PROTO.udp, payloadLength: 0 }, udp({ sport: 1, dport: 2 }))),
    );
    assert.deepEqual([bad.summary.protocol, bad.summary.info], ['IPv6', '[Malformed Packet]']);
  });
});

describe('TCP', () => {
  it('flags as Wireshark writes them, raw sequence numbers, window, options', () => {
    const opts = tcpOptions(tcpOpt.mss(1460), tcpOpt.sackPerm(), tcpOpt.ts(123, 0), tcpOpt.nop(), tcpOpt.ws(7));
    const pkt = e4(
      PROTO.tcp,
      tcp({ sport: 50000, dport: 443, seq: 0xfffffff0, ack: 0, flags: TCP.SYN, win: 64240, options: opts }),
    );
    const p = decode(LT.ethernet, pkt);
    assert.equal(
      p.summary.info,
      '50000 → 443 [SYN] Seq=4294967280 Win=64240 Len=0 MSS=1460 SACK_PERM TSval=123 TSecr=0 WS=128',
    );
    assert.deepEqual(
      [
        value(p, 'tcp.srcport'),
        field(p, 'tcp.srcport').offset,
        value(p, 'tcp.dstport'),
        field(p, 'tcp.dstport').offset,
      ],
      [50000, 34, 443, 36],
    );
    assert.deepEqual(
      [value(p, 'tcp.seq'), value(p, 'tcp.hdr_len'), value(p, 'tcp.flags.syn'), value(p, 'tcp.flags.ack')],
      [0xfffffff0, 40, true, false],
    );
    assert.deepEqual(
      [
        value(p, 'tcp.options.mss_val'),
        value(p, 'tcp.options.wscale.shift'),
        value(p, 'tcp.options.wscale.multiplier'),
      ],
      [1460, 7, 128],
    );
    assert.deepEqual(
      [value(p, 'tcp.options.timestamp.tsval'), field(p, 'tcp.options.timestamp.tsval').offset],
      [123, 62],
    );
    assert.deepEqual(bytesOf(pkt, field(p, 'tcp.options.mss_val')), [0x05, 0xb4]);
    assert.equal(value(p, 'tcp.flags.str'), '··········S·');
  });

  const flagCases: [number, string][] = [
    [TCP.SYN | TCP.ACK, '[SYN, ACK]'],
    [TCP.FIN | TCP.PSH | TCP.ACK, '[FIN, PSH, ACK]'],
    [TCP.RST, '[RST]'],
    [TCP.ACK | TCP.ECE | TCP.CWR, '[ACK, ECE, CWR]'],
    [0, '[<None>]'],
    [0x100 | TCP.ACK, '[ACK, AE]'],
    [0xe00, '[Reserved]'],
  ];
  for (const [flags, text] of flagCases) {
    it(`flags ${text}`, () => {
      const seg = tcp({ sport: 1, dport: 2, seq: 5, ack: 6, flags: flags & 0xff, win: 10 });
      seg[12]! |= flags >> 8;
      const p = decode(LT.ethernet, e4(PROTO.tcp, seg));
      assert.equal(p.summary.info, `1 → 2 ${text} Seq=5${flags & TCP.ACK ? ' Ack=6' : ''} Win=10 Len=0`);
    });
  }

  it('SACK blocks, URG pointer, payload length from the IP length', () => {
    const p = decode(
      LT.ethernet,
      e4(
        PROTO.tcp,
        tcp(
          {
            sport: 1,
            dport: 2,
            seq: 1,
            ack: 2,
            flags: TCP.ACK | TCP.URG,
            urg: 3,
            win: 9,
            options: tcpOptions(tcpOpt.nop(), tcpOpt.nop(), tcpOpt.sack([10, 20], [30, 40])),
          },
          ascii('abc'),
        ),
      ),
    );
    assert.equal(p.summary.info, '1 → 2 [ACK, URG] Seq=1 Ack=2 Win=9 Urg=3 Len=3 SLE=10 SRE=20 SLE=30 SRE=40');
    assert.deepEqual(
      fields(p, 'tcp.options.sack_le').map((f) => f.value),
      [10, 30],
    );
    assert.deepEqual([value(p, 'tcp.len'), field(p, 'tcp.payload').length], [3, 3]);
  });

  it('a bad option length stops the option list without failing the packet', () => {
    const p = decode(
      LT.ethernet,
      e4(PROTO.tcp, tcp({ sport: 1, dport: 2, flags: TCP.SYN, options: Uint8Array.of(2, 9, 0, 0) })),
    );
    assert.equal(p.summary.info, '1 → 2 [SYN] Seq=0 Win=64240 Len=0');
    assert.deepEqual(p.problems, []);
    assert.ok(fields(p, '_ws.expert').length === 1);
  });

  it('bogus header lengths, as Wireshark words them', () => {
    const short = decode(LT.ethernet, e4(PROTO.tcp, tcp({ sport: 1, dport: 2, flags: TCP.ACK, headerLength: 12 })));
    assert.equal(
      short.summary.info,
      '1 → 2 [ACK] Seq=0 Ack=0 Win=64240, bogus TCP header length (12, must be at least 20)',
    );
    const long = decode(LT.ethernet, e4(PROTO.tcp, tcp({ sport: 1, dport: 2, flags: TCP.ACK, headerLength: 60 })));
    assert.equal(long.summary.info, '1 → 2 [ACK] Seq=0 Ack=0 Win=64240[Malformed Packet]');
    assert.equal(long.problems.length, 1);
  });
});

describe('UDP', () => {
  it('ports, length, Info', () => {
    const pkt = e4(PROTO.udp, udp({ sport: 40000, dport: 40001, ip: { src: ip4(A), dst: ip4(B) } }, ascii('hello')));
    const p = decode(LT.ethernet, pkt);
    assert.deepEqual(p.summary, { source: A, destination: B, protocol: 'UDP', info: '40000 → 40001 Len=5' });
    assert.deepEqual(
      [value(p, 'udp.length'), field(p, 'udp.length').offset, field(p, 'udp.payload').length],
      [13, 38, 5],
    );
  });

  it('bad lengths', () => {
    assert.equal(
      decode(LT.ethernet, e4(PROTO.udp, udp({ sport: 1, dport: 2, length: 4 }, ascii('abcd')))).summary.info,
      '1 → 2 [BAD UDP LENGTH 4 < 8]',
    );
    assert.equal(
      decode(LT.ethernet, e4(PROTO.udp, udp({ sport: 1, dport: 2, length: 100 }, ascii('abcd')))).summary.info,
      '1 → 2 [BAD UDP LENGTH 100 > IP PAYLOAD LENGTH] Len=92',
    );
  });
});

describe('SCTP', () => {
  it('common header and chunks', () => {
    const p = decode(
      LT.ethernet,
      e4(
        PROTO.sctp,
        sctp(
          { sport: 40000, dport: 40001, vtag: 0xdeadbeef },
          { type: 0, flags: 3, value: concat(u32(5), u16(1), u16(2), u32(46), ascii('data')) },
          { type: 3, value: concat(u32(9), u32(65535), u16(0), u16(0)) },
          { type: 10, value: ascii('cookie') },
        ),
      ),
    );
    assert.deepEqual(p.summary, {
      source: A,
      destination: B,
      protocol: 'SCTP',
      info: 'DATA (TSN=5) SACK (Ack=9, Arwnd=65535) COOKIE_ECHO ',
    });
    assert.deepEqual(
      [value(p, 'sctp.verification_tag'), value(p, 'sctp.data_tsn'), value(p, 'sctp.data_payload_proto_id')],
      [0xdeadbeef, 5, 46],
    );
    assert.deepEqual(
      fields(p, 'sctp.chunk_type').map((f) => f.value),
      [0, 3, 10],
    );
    assert.deepEqual(p.conversation, { protocol: 'sctp', a: `${A}:40000`, b: `${B}:40001` });
  });

  it('a chunk length below 4 is malformed, not a loop', () => {
    const p = decode(LT.ethernet, e4(PROTO.sctp, concat(sctp({ sport: 1, dport: 2 }), [1, 0, 0, 0])));
    assert.deepEqual([p.summary.info, p.problems.length], ['INIT [Malformed Packet]', 1]);
  });
});

describe('ICMP', () => {
  it('echo request and reply: id, seq (both byte orders), ttl', () => {
    const p = decode(LT.ethernet, e4(PROTO.icmp, icmpEcho(true, 0x1234, 1), { ttl: 63 }));
    assert.equal(p.summary.info, 'Echo (ping) request  id=0x1234, seq=1/256, ttl=63');
    assert.deepEqual(
      [value(p, 'icmp.type'), value(p, 'icmp.ident'), value(p, 'icmp.seq'), value(p, 'icmp.seq_le')],
      [8, 0x1234, 1, 256],
    );
    assert.deepEqual(p.conversation, { protocol: 'icmp', a: A, b: B });
    assert.equal(
      decode(LT.ethernet, e4(PROTO.icmp, icmpEcho(false, 0x1234, 1))).summary.info,
      'Echo (ping) reply    id=0x1234, seq=1/256, ttl=64',
    );
  });

  it('errors name the code and decode the quoted datagram into the tree, not the columns', () => {
    const quoted = ipv4(
      { src: B, dst: '203.0.113.9', proto: PROTO.udp },
      udp({ sport: 3333, dport: 33434 }, new Uint8Array(4)),
    );
    const p = decode(LT.ethernet, e4(PROTO.icmp, icmp({ type: 3, code: 3 }, quoted)));
    assert.deepEqual(p.summary, {
      source: A,
      destination: B,
      protocol: 'ICMP',
      info: 'Destination unreachable (Port unreachable)',
    });
    assert.deepEqual(
      fields(p, 'ip.dst').map((f) => f.value),
      [B, '203.0.113.9'],
    );
    assert.deepEqual(
      fields(p, 'udp.dstport').map((f) => f.value),
      [33434],
    );
    assert.deepEqual(p.conversation, { protocol: 'icmp', a: A, b: B });
    assert.equal(
      decode(LT.ethernet, e4(PROTO.icmp, icmp({ type: 11 }, quoted))).summary.info,
      'Time-to-live exceeded (Time to live exceeded in transit)',
    );
    assert.equal(
      decode(LT.ethernet, e4(PROTO.icmp, icmp({ type: 5, code: 1 }, quoted))).summary.info,
      'Redirect             (Redirect for host)',
    );
  });

  it('a truncated header is malformed', () => {
    const p = decode(LT.ethernet, e4(PROTO.icmp, Uint8Array.of(8, 0, 0)));
    assert.deepEqual([p.summary.protocol, p.summary.info], ['ICMP', '[Malformed Packet]']);
  });
});

describe('ICMPv6', () => {
  const src = 'fe80::1';
  const ck = (s: string, d: string, type: number, body: Uint8Array, code = 0) =>
    icmpv6({ type, code, ip: { src: ip6(s), dst: ip6(d) } }, body);
  it('echo', () => {
    const p = decode(
      LT.ethernet,
      e6(PROTO.icmpv6, ck('2001:db8::1', '2001:db8::2', 128, concat(u16(0x42), u16(7), ascii('x')))),
    );
    assert.equal(p.summary.info, 'Echo (ping) request id=0x0042, seq=7, hop limit=64');
    assert.deepEqual([value(p, 'icmpv6.echo.identifier'), value(p, 'icmpv6.echo.sequence_number')], [0x42, 7]);
    assert.deepEqual(p.conversation, { protocol: 'icmpv6', a: '2001:db8::1', b: '2001:db8::2' });
  });

  it('neighbor discovery: NS, NA, RS, RA', () => {
    const ns = decode(
      LT.ethernet,
      e6(
        PROTO.icmpv6,
        ck(src, 'ff02::1:ff00:2', 135, concat(u32(0), ip6('fe80::2'), [1, 1], mac('02:00:00:00:00:01'))),
        src,
        'ff02::1:ff00:2',
      ),
    );
    assert.equal(ns.summary.info, 'Neighbor Solicitation for fe80::2 from 02:00:00:00:00:01');
    assert.deepEqual(
      [value(ns, 'icmpv6.nd.ns.target_address'), value(ns, 'icmpv6.opt.linkaddr')],
      ['fe80::2', '02:00:00:00:00:01'],
    );
    const na = decode(
      LT.ethernet,
      e6(
        PROTO.icmpv6,
        ck('fe80::2', src, 136, concat(u32(0xe0000000), ip6('fe80::2'), [2, 1], mac('02:00:00:00:00:02'))),
      ),
    );
    assert.equal(na.summary.info, 'Neighbor Advertisement fe80::2 (rtr, sol, ovr) is at 02:00:00:00:00:02');
    const rs = decode(
      LT.ethernet,
      e6(PROTO.icmpv6, ck(src, 'ff02::2', 133, concat(u32(0), [1, 1], mac('02:00:00:00:00:01')))),
    );
    assert.equal(rs.summary.info, 'Router Solicitation from 02:00:00:00:00:01');
    const ra = decode(
      LT.ethernet,
      e6(
        PROTO.icmpv6,
        ck(
          src,
          'ff02::1',
          134,
          concat(
            [64, 0],
            u16(1800),
            u32(0),
            u32(0),
            [1, 1],
            mac('02:00:00:00:00:02'),
            [3, 4, 64, 0xc0],
            u32(100),
            u32(50),
            u32(0),
            ip6('2001:db8::'),
          ),
        ),
      ),
    );
    assert.equal(ra.summary.info, 'Router Advertisement from 02:00:00:00:00:02');
    assert.deepEqual([value(ra, 'icmpv6.nd.ra.router_lifetime'), value(ra, 'icmpv6.opt.prefix')], [1800, '2001:db8::']);
  });

  it('errors, and an option of length 0 is malformed (it would loop)', () => {
    const quoted = ipv6({ src: '2001:db8::1', dst: '2001:db8::2', next: PROTO.udp }, udp({ sport: 1, dport: 2 }));
    const un = decode(LT.ethernet, e6(PROTO.icmpv6, ck(src, src, 1, concat(u32(0), quoted), 4)));
    assert.equal(un.summary.info, 'Destination Unreachable (Port unreachable)');
    assert.deepEqual(
      fields(un, 'ipv6.dst').map((f) => f.value),
      ['2001:db8::2', '2001:db8::2'],
    );
    const loop = decode(LT.ethernet, e6(PROTO.icmpv6, ck(src, src, 133, concat(u32(0), [1, 0, 0, 0, 0, 0, 0, 0]))));
    assert.match(loop.problems.join(), /length 0/);
  });
});

describe('DNS', () => {
  const udp53 = (msg: Uint8Array, sport = 53000, dport = 53) => e4(PROTO.udp, udp({ sport, dport }, msg));

  it('query: header, question, Info', () => {
    const pkt = udp53(dns({ id: 0x1234, questions: [{ name: 'www.example.com', type: DNS_TYPE.AAAA }] }));
    const p = decode(LT.ethernet, pkt);
    assert.deepEqual(p.summary, {
      source: A,
      destination: B,
      protocol: 'DNS',
      info: 'Standard query 0x1234 AAAA www.example.com',
    });
    const name = field(p, 'dns.qry.name');
    assert.deepEqual([name.value, name.offset, name.length], ['www.example.com', 54, 17]);
    assert.deepEqual(
      [value(p, 'dns.id'), value(p, 'dns.flags.response'), value(p, 'dns.flags.recdesired'), value(p, 'dns.qry.type')],
      [0x1234, false, true, 28],
    );
    assert.equal(layer(p, 'dns').label, 'Domain Name System (query)');
  });

  it('response: every record type in scope, with compression pointers', () => {
    const soa = concat(dnsName('ns1.example.com'), dnsName('root.example.com'), u32(1), u32(2), u32(3), u32(4), u32(5));
    const ptr = dnsPtr(12);
    const msg = dns({
      id: 1,
      response: true,
      questions: [{ name: 'example.com', type: 255 }],
      answers: [
        { name: ptr, type: DNS_TYPE.A, data: ip4('192.0.2.10') },
        { name: ptr, type: DNS_TYPE.AAAA, data: ip6('2001:db8::10') },
        { name: ptr, type: DNS_TYPE.CNAME, data: concat([3], ascii('www'), ptr) },
        { name: ptr, type: DNS_TYPE.MX, data: concat(u16(10), [4], ascii('mail'), ptr) },
        { name: ptr, type: DNS_TYPE.TXT, data: concat([5], ascii('hello'), [3], ascii('bye')) },
        { name: ptr, type: DNS_TYPE.NS, data: dnsName('ns1.example.com') },
        { name: ptr, type: DNS_TYPE.SOA, data: soa },
        { name: ptr, type: DNS_TYPE.SRV, data: concat(u16(1), u16(2), u16(5060), dnsName('sip.example.com')) },
        { name: dnsName('1.2.0.192.in-addr.arpa'), type: DNS_TYPE.PTR, data: concat([4], ascii('host'), ptr) },
      ],
      additional: [{ name: '', type: DNS_TYPE.OPT, class: 1232, ttl: 0x8000, data: new Uint8Array(0) }],
    });
    const pkt = udp53(msg, 53, 53000);
    const p = decode(LT.ethernet, pkt);
    assert.equal(
      p.summary.info,
      'Standard query response 0x0001 ANY example.com A 192.0.2.10 AAAA 2001:db8::10 CNAME www.example.com ' +
        'MX 10 mail.example.com TXT NS ns1.example.com SOA ns1.example.com SRV 1 2 5060 sip.example.com PTR host.example.com OPT',
    );
    assert.deepEqual(
      fields(p, 'dns.resp.name')
        .map((f) => f.value)
        .slice(0, 2),
      ['example.com', 'example.com'],
    );
    assert.deepEqual(
      [
        value(p, 'dns.a'),
        value(p, 'dns.aaaa'),
        value(p, 'dns.cname'),
        value(p, 'dns.mx.mail_exchange'),
        value(p, 'dns.ns'),
      ],
      ['192.0.2.10', '2001:db8::10', 'www.example.com', 'mail.example.com', 'ns1.example.com'],
    );
    assert.deepEqual(
      fields(p, 'dns.txt').map((f) => f.value),
      ['hello', 'bye'],
    );
    assert.deepEqual(
      [
        value(p, 'dns.soa.rname'),
        value(p, 'dns.soa.minimum_ttl'),
        value(p, 'dns.srv.port'),
        value(p, 'dns.ptr.domain_name'),
      ],
      ['root.example.com', 5, 5060, 'host.example.com'],
    );
    assert.deepEqual([value(p, 'dns.rr.udp_payload_size'), value(p, 'dns.resp.z.do')], [1232, true]);
    assert.deepEqual(bytesOf(pkt, field(p, 'dns.a')), [192, 0, 2, 10]);
  });

  it('rcode, opcode and mDNS conventions', () => {
    assert.equal(
      decode(LT.ethernet, udp53(dns({ id: 2, flags: 0x8183, questions: [{ name: 'nx.example', type: 1 }] }))).summary
        .info,
      'Standard query response 0x0002 No such name A nx.example',
    );
    assert.equal(
      decode(LT.ethernet, udp53(dns({ id: 3, flags: 0x2800, questions: [{ name: 'example.com', type: 6 }] }))).summary
        .info,
      'Dynamic update 0x0003 SOA example.com',
    );
    const q = decode(
      LT.ethernet,
      udp53(dns({ id: 0, flags: 0, questions: [{ name: '_http._tcp.local', type: 12, class: 0x8001 }] }), 5353, 5353),
    );
    assert.deepEqual(
      [q.summary.protocol, q.summary.info],
      ['MDNS', 'Standard query 0x0000 PTR _http._tcp.local, "QU" question'],
    );
    assert.deepEqual(protocols(q).at(-1), 'mdns');
    const r = decode(
      LT.ethernet,
      udp53(
        dns({ id: 0, flags: 0x8400, answers: [{ name: 'box.local', type: 1, class: 0x8001, data: ip4('192.0.2.5') }] }),
        5353,
        5353,
      ),
    );
    assert.equal(r.summary.info, 'Standard query response 0x0000 A, cache flush 192.0.2.5');
    assert.equal(value(r, 'dns.resp.cache_flush'), true);
    assert.equal(
      decode(LT.ethernet, udp53(dns({ id: 4, questions: [{ name: '', type: 2 }] }))).summary.info,
      'Standard query 0x0004 NS <Root>',
    );
  });

  it('over TCP, with the length prefix', () => {
    const msg = dns({ id: 9, questions: [{ name: 'tcp.example', type: 1 }] });
    const p = decode(
      LT.ethernet,
      e4(PROTO.tcp, tcp({ sport: 40000, dport: 53, flags: TCP.PSH | TCP.ACK }, concat(u16(msg.length), msg))),
    );
    assert.deepEqual(
      [p.summary.protocol, p.summary.info, value(p, 'dns.length')],
      ['DNS', 'Standard query 0x0009 A tcp.example', msg.length],
    );
  });

  it('compression loops and forward pointers are rejected, with a note', () => {
    const self = decode(LT.ethernet, udp53(dns({ id: 5, questions: [{ name: dnsPtr(12), type: 1 }] })));
    assert.equal(self.summary.info, 'Standard query 0x0005 A <Name contains a pointer that loops>');
    assert.match(self.problems.join(), /loops/);
    // Two names pointing at each other: 12 → 19 (forward) → 12.
    const pair = concat([1], ascii('a'), dnsPtr(19), u16(1), u16(1), [1], ascii('b'), dnsPtr(12), u16(1), u16(1));
    const msg = concat(u16(6), u16(0x0100), u16(2), u16(0), u16(0), u16(0), pair);
    const p = decode(LT.ethernet, udp53(msg));
    assert.equal(p.summary.info, 'Standard query 0x0006 A <Name contains a forward pointer>');
    assert.match(p.problems.join(), /points forward/);
    // Backwards only, but a chain whose target is reached again through labels: still bounded.
    const chain = concat(
      u16(7),
      u16(0x0100),
      u16(1),
      u16(0),
      u16(0),
      u16(0),
      [1],
      ascii('x'),
      dnsPtr(12),
      u16(1),
      u16(1),
    );
    const c = decode(LT.ethernet, udp53(chain));
    assert.match(c.summary.info, /pointer that loops/);
    // A pointer past the end of the message is malformed.
    const past = decode(LT.ethernet, udp53(dns({ id: 8, questions: [{ name: dnsPtr(200), type: 1 }] })));
    assert.equal(past.summary.info, 'Standard query 0x0008[Malformed Packet]');
  });

  it('names are bounded: 255 bytes on the wire', () => {
    const labels: number[] = [];
    for (let i = 0; i < 60; i++) labels.push(5, ...ascii('abcde'));
    const p = decode(
      LT.ethernet,
      udp53(dns({ id: 1, questions: [{ name: Uint8Array.from([...labels, 0]), type: 1 }] })),
    );
    assert.match(p.problems.join(), /longer than 255/);
  });

  it('text from the packet is escaped', () => {
    const p = decode(
      LT.ethernet,
      udp53(
        dns({
          id: 1,
          questions: [{ name: concat([4], ascii('a\x00<b'), [2], Uint8Array.of(0xc3, 0xa9), [0]), type: 1 }],
        }),
      ),
    );
    assert.equal(p.summary.info, 'Standard query 0x0001 A a\\x00<b.é');
    const bidi = decode(
      LT.ethernet,
      udp53(dns({ id: 1, questions: [{ name: concat([4], Uint8Array.of(0xe2, 0x80, 0xae, 0x41), [0]), type: 1 }] })),
    );
    assert.equal(bidi.summary.info, 'Standard query 0x0001 A \\xe2\\x80\\xaeA');
  });

  it('header counts larger than the message end the decode instead of looping', () => {
    const msg = concat(u16(1), u16(0x8180), u16(0xffff), u16(0xffff), u16(0xffff), u16(0xffff));
    const p = decode(LT.ethernet, udp53(msg));
    assert.equal(p.summary.info, 'Standard query response 0x0001[Malformed Packet]');
  });
});

describe('HTTP', () => {
  const t80 = (text: string, sport = 40000, dport = 80) =>
    e4(PROTO.tcp, tcp({ sport, dport, flags: TCP.PSH | TCP.ACK }, http(text)));

  it('request line and headers', () => {
    const pkt = t80('GET /a/b?c=1 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: t/1\r\nX-Custom: 1\r\n\r\n');
    const p = decode(LT.ethernet, pkt);
    assert.deepEqual(p.summary, { source: A, destination: B, protocol: 'HTTP', info: 'GET /a/b?c=1 HTTP/1.1 ' });
    const m = field(p, 'http.request.method');
    assert.deepEqual([m.value, m.offset, m.length], ['GET', 54, 3]);
    assert.deepEqual(
      [
        value(p, 'http.request.uri'),
        value(p, 'http.request.version'),
        value(p, 'http.host'),
        value(p, 'http.user_agent'),
      ],
      ['/a/b?c=1', 'HTTP/1.1', 'example.com', 't/1'],
    );
    assert.equal(value(p, 'http.request.line'), 'X-Custom: 1');
    assert.deepEqual(bytesOf(pkt, field(p, 'http.host')), [...ascii('Host: example.com')]);
  });

  it('status line; the body media type in Info as Wireshark appends it', () => {
    const ok = decode(
      LT.ethernet,
      t80('HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=UTF-8\r\nContent-Length: 5\r\n\r\nhello', 80, 40000),
    );
    assert.deepEqual([ok.summary.protocol, ok.summary.info], ['HTTP', 'HTTP/1.1 200 OK  (text/html)']);
    assert.deepEqual(
      [value(ok, 'http.response.code'), value(ok, 'http.response.phrase'), value(ok, 'http.content_type')],
      [200, 'OK', 'text/html; charset=UTF-8'],
    );
    assert.equal(field(ok, 'http.file_data').length, 5);
    const json = decode(
      LT.ethernet,
      t80('HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n\r\n{}', 80, 40000),
    );
    assert.deepEqual(
      [json.summary.protocol, json.summary.info],
      ['HTTP/JSON', 'HTTP/1.1 201 Created , JavaScript Object Notation (application/json)'],
    );
    const none = decode(LT.ethernet, t80('HTTP/1.0 404 Not Found\r\n\r\n', 80, 40000));
    assert.equal(none.summary.info, 'HTTP/1.0 404 Not Found ');
  });

  it('any TCP port when the first line says HTTP/1.x; not without it', () => {
    assert.equal(decode(LT.ethernet, t80('PUT /x HTTP/1.1\r\n\r\n', 40000, 5000)).summary.protocol, 'HTTP');
    assert.equal(decode(LT.ethernet, t80('HTTP/1.1 204 No Content\r\n\r\n', 5000, 40000)).summary.protocol, 'HTTP');
    assert.equal(decode(LT.ethernet, t80('GET /x\r\n', 40000, 5000)).summary.protocol, 'TCP');
    assert.equal(decode(LT.ethernet, t80('body bytes', 80, 40000)).summary.protocol, 'TCP');
  });

  it('control characters in the request line are escaped', () => {
    const p = decode(LT.ethernet, t80('GET /a\x01\x1b[31m HTTP/1.1\r\n\r\n'));
    assert.equal(p.summary.info, 'GET /a\\x01\\x1b[31m HTTP/1.1 ');
  });
});

describe('TLS', () => {
  const t443 = (payload: Uint8Array, sport = 40000, dport = 443) =>
    e4(PROTO.tcp, tcp({ sport, dport, flags: TCP.PSH | TCP.ACK }, payload));

  it('ClientHello: SNI, ALPN, supported versions; Protocol from the record version', () => {
    const pkt = t443(
      tlsClientHello({ sni: 'api.example.org', supportedVersions: [0x0a0a, 0x0304, 0x0303], alpn: ['h2', 'http/1.1'] }),
    );
    const p = decode(LT.ethernet, pkt);
    assert.deepEqual(p.summary, {
      source: A,
      destination: B,
      protocol: 'TLSv1',
      info: 'Client Hello (SNI=api.example.org)',
    });
    const sni = field(p, 'tls.handshake.extensions_server_name');
    assert.deepEqual([sni.value, bytesOf(pkt, sni)], ['api.example.org', [...ascii('api.example.org')]]);
    assert.deepEqual(
      fields(p, 'tls.handshake.extensions_alpn_str').map((f) => f.value),
      ['h2', 'http/1.1'],
    );
    assert.deepEqual(
      fields(p, 'tls.handshake.extensions.supported_version').map((f) => f.value),
      [0x0a0a, 0x0304, 0x0303],
    );
    assert.deepEqual(
      [value(p, 'tls.record.version'), value(p, 'tls.handshake.type'), value(p, 'tls.handshake.version')],
      [0x0301, 1, 0x0303],
    );
    assert.equal(decode(LT.ethernet, t443(tlsClientHello({ recordVersion: 0x0303 }))).summary.info, 'Client Hello');
  });

  it('ServerHello: the selected version is the Protocol', () => {
    assert.equal(
      decode(LT.ethernet, t443(tlsServerHello({ selectedVersion: 0x0304 }), 443, 40000)).summary.protocol,
      'TLSv1.3',
    );
    assert.equal(decode(LT.ethernet, t443(tlsServerHello({}), 443, 40000)).summary.protocol, 'TLSv1.2');
  });

  it('several records and messages in one segment', () => {
    const hs = (type: number) => concat([type], [0, 0, 0]);
    const p = decode(
      LT.ethernet,
      t443(
        concat(
          tlsRecord(22, 0x0303, concat(tlsServerHello({}).subarray(5), hs(11), hs(14))),
          tlsRecord(20, 0x0303, Uint8Array.of(1)),
          tlsRecord(22, 0x0303, new Uint8Array(40).fill(0x99)),
          tlsRecord(21, 0x0303, Uint8Array.of(2, 40)),
          tlsRecord(23, 0x0303, new Uint8Array(10)),
        ),
        443,
        40000,
      ),
    );
    assert.equal(
      p.summary.info,
      'Server Hello, Certificate, Server Hello Done, Change Cipher Spec, Encrypted Handshake Message, ' +
        'Alert (Level: Fatal, Description: Handshake Failure), Application Data',
    );
    assert.equal(fields(p, 'tls.record').length, 5);
  });

  it('not TLS on 443 stays TCP; a record cut by the segment is not a problem', () => {
    assert.equal(decode(LT.ethernet, t443(ascii('not tls at all'))).summary.protocol, 'TCP');
    const rec = tlsRecord(23, 0x0303, new Uint8Array(3000));
    const p = decode(LT.ethernet, t443(rec.subarray(0, 1000)));
    assert.deepEqual([p.summary.protocol, p.summary.info, p.problems], ['TLSv1.2', 'Application Data', []]);
  });

  it('a hello shorter than its own fields is malformed', () => {
    const p = decode(LT.ethernet, t443(tlsRecord(22, 0x0303, Uint8Array.of(2, 0, 0, 4, 3, 3, 0, 0)), 443, 40000));
    assert.equal(p.summary.info, 'Server Hello[Malformed Packet]');
  });

  it('SNI text is escaped', () => {
    const p = decode(LT.ethernet, t443(tlsClientHello({ sni: 'a\x07b' })));
    assert.equal(p.summary.info, 'Client Hello (SNI=a\\x07b)');
  });
});

describe('summarizePacket', () => {
  it('returns the columns and the conversation without a tree', () => {
    const pkt = e4(PROTO.tcp, tcp({ sport: 1234, dport: 80, flags: TCP.SYN }));
    assert.deepEqual(summarizePacket(LT.ethernet, pkt), {
      source: A,
      destination: B,
      protocol: 'TCP',
      info: '1234 → 80 [SYN] Seq=0 Win=64240 Len=0',
      conversation: { protocol: 'tcp', a: `${A}:1234`, b: `${B}:80` },
    });
  });

  it('never throws, even on a decoder bug: the row says so', () => {
    const p = decodePacket(LT.ethernet, new Uint8Array(0));
    assert.deepEqual([p.summary.protocol, p.summary.info], ['Ethernet', '[Malformed Packet]']);
  });
});
