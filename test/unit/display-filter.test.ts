// Display filters: every operator, precedence, CIDR, sets, regular expressions (linear time),
// text mode, and errors with their positions. Packets are decoded from hand-built frames.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { decodePacket } from '../../packet/decode/index.js';
import type { DecodedPacket } from '../../packet/decode/types.js';
import { compileDisplayFilter, DisplayFilterError, type DisplayFilterOptions } from '../../packet/display-filter.js';
import {
  arp,
  concat,
  DNS_TYPE,
  dns,
  dnsPtr,
  ETH,
  eth,
  http,
  icmpEcho,
  icmpv6,
  ip4,
  ip6,
  ipv4,
  ipv6,
  mac,
  PROTO,
  sctp,
  TCP,
  tcp,
  tlsClientHello,
  u32,
  udp,
  vlanTag,
} from './fixtures/packets.js';

const frames: [string, Uint8Array][] = [
  [
    'syn',
    eth(
      { type: ETH.ipv4 },
      ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: PROTO.tcp }, tcp({ sport: 40000, dport: 80, flags: TCP.SYN })),
    ),
  ],
  [
    'get',
    eth(
      { type: ETH.ipv4 },
      ipv4(
        { src: '10.0.0.1', dst: '10.0.0.2', proto: PROTO.tcp },
        tcp(
          { sport: 40000, dport: 80, flags: TCP.PSH | TCP.ACK },
          http('GET /index.html HTTP/1.1\r\nHost: www.Example.com\r\n\r\n'),
        ),
      ),
    ),
  ],
  [
    'query',
    eth(
      { type: ETH.ipv4 },
      ipv4(
        { src: '192.168.1.5', dst: '8.8.8.8', proto: PROTO.udp },
        udp({ sport: 40001, dport: 53 }, dns({ id: 0x10, questions: [{ name: 'www.example.org', type: DNS_TYPE.A }] })),
      ),
    ),
  ],
  [
    'answer',
    eth(
      { type: ETH.ipv4 },
      ipv4(
        { src: '8.8.8.8', dst: '192.168.1.5', proto: PROTO.udp, ttl: 120 },
        udp(
          { sport: 53, dport: 40001 },
          dns({
            id: 0x10,
            response: true,
            questions: [{ name: 'www.example.org', type: DNS_TYPE.A }],
            answers: [{ name: dnsPtr(12), type: DNS_TYPE.A, data: ip4('93.184.216.34') }],
          }),
        ),
      ),
    ),
  ],
  [
    'ping',
    eth({ type: ETH.ipv4 }, ipv4({ src: '10.0.0.1', dst: '172.16.0.1', proto: PROTO.icmp }, icmpEcho(true, 1, 1))),
  ],
  [
    'arp',
    eth(
      { src: '02:00:00:00:00:0a', dst: 'ff:ff:ff:ff:ff:ff', type: ETH.arp },
      arp({ op: 1, sha: '02:00:00:00:00:0a', spa: '10.0.0.1', tha: '00:00:00:00:00:00', tpa: '10.0.0.9' }),
    ),
  ],
  [
    'udp6',
    eth(
      { type: ETH.ipv6 },
      ipv6(
        { src: '2001:db8::1', dst: '2001:db8:1::2', next: PROTO.udp },
        udp({ sport: 50000, dport: 443 }, new Uint8Array(1200)),
      ),
    ),
  ],
  [
    'tls',
    eth(
      { type: ETH.ipv4 },
      ipv4(
        { src: '10.0.0.1', dst: '10.0.0.3', proto: PROTO.tcp },
        tcp({ sport: 40002, dport: 443, flags: TCP.PSH | TCP.ACK }, tlsClientHello({ sni: 'api.example.com' })),
      ),
    ),
  ],
  [
    'vlan',
    eth(
      { type: ETH.vlan },
      vlanTag(
        { id: 100, type: ETH.ipv4 },
        ipv4({ src: '10.9.0.1', dst: '10.9.0.2', proto: PROTO.udp }, udp({ sport: 7, dport: 9 })),
      ),
    ),
  ],
  [
    'sctp',
    eth(
      { type: ETH.ipv4 },
      ipv4(
        { src: '10.0.0.1', dst: '10.0.0.2', proto: PROTO.sctp },
        sctp({ sport: 2000, dport: 3000 }, { type: 1, value: new Uint8Array(16) }),
      ),
    ),
  ],
  [
    'ns',
    eth(
      { type: ETH.ipv6 },
      ipv6(
        { src: 'fe80::1', dst: 'ff02::1:ff00:2', next: PROTO.icmpv6 },
        icmpv6({ type: 135 }, concat(u32(0), ip6('fe80::2'), [1, 1], mac('02:00:00:00:00:01'))),
      ),
    ),
  ],
];
const packets: { name: string; p: DecodedPacket; length: number }[] = frames.map(([name, b]) => ({
  name,
  p: decodePacket(1, b),
  length: b.length,
}));

function matching(filter: string, options: DisplayFilterOptions = {}): string[] {
  const f = compileDisplayFilter(filter, options);
  return packets.filter((x, i) => f.match(x.p, { number: i + 1, length: x.length })).map((x) => x.name);
}

function error(filter: string): DisplayFilterError {
  try {
    compileDisplayFilter(filter);
  } catch (e) {
    assert.ok(e instanceof DisplayFilterError, String(e));
    assert.ok(!e.message.includes('\n'), 'one line');
    return e;
  }
  assert.fail(`${filter} compiled`);
}

describe('display filter: expressions', () => {
  it('protocol names', () => {
    assert.deepEqual(matching('tcp'), ['syn', 'get', 'tls']);
    assert.deepEqual(matching('udp'), ['query', 'answer', 'udp6', 'vlan']);
    assert.deepEqual(matching('dns'), ['query', 'answer']);
    assert.deepEqual(matching('http'), ['get']);
    assert.deepEqual(matching('tls'), ['tls']);
    assert.deepEqual(matching('icmp'), ['ping']);
    assert.deepEqual(matching('icmpv6'), ['ns']);
    assert.deepEqual(matching('arp'), ['arp']);
    assert.deepEqual(matching('ip'), ['syn', 'get', 'query', 'answer', 'ping', 'tls', 'vlan', 'sctp']);
    assert.deepEqual(matching('ipv6'), ['udp6', 'ns']);
    assert.deepEqual(matching('sctp'), ['sctp']);
    assert.deepEqual(matching('vlan'), ['vlan']);
    assert.equal(matching('eth').length, packets.length);
  });

  it('== != < > <= >= and their word forms', () => {
    assert.deepEqual(matching('tcp.dstport == 80'), ['syn', 'get']);
    assert.deepEqual(matching('tcp.dstport eq 80'), ['syn', 'get']);
    assert.deepEqual(matching('tcp.dstport != 80'), ['tls'], 'absent field: false, as in Wireshark');
    assert.deepEqual(matching('tcp.dstport ne 80'), ['tls']);
    assert.deepEqual(matching('udp.srcport < 100'), ['answer', 'vlan']);
    assert.deepEqual(matching('udp.srcport lt 100'), ['answer', 'vlan']);
    assert.deepEqual(matching('udp.srcport > 40001'), ['udp6']);
    assert.deepEqual(matching('udp.srcport >= 40001'), ['query', 'udp6']);
    assert.deepEqual(matching('udp.srcport <= 53'), ['answer', 'vlan']);
    assert.deepEqual(matching('ip.ttl gt 64'), ['answer']);
    assert.deepEqual(matching('udp.dstport == 0x1bb'), ['udp6'], 'hex');
  });

  it('src-or-dst fields: ip.addr, ipv6.addr, tcp.port, udp.port, eth.addr; != means no value equal', () => {
    assert.deepEqual(matching('ip.addr == 8.8.8.8'), ['query', 'answer']);
    assert.deepEqual(matching('ip.src == 8.8.8.8'), ['answer']);
    assert.deepEqual(matching('ip.dst == 8.8.8.8'), ['query']);
    assert.deepEqual(matching('ip.addr != 10.0.0.1'), ['query', 'answer', 'vlan']);
    assert.deepEqual(matching('ipv6.addr == 2001:db8:1::2'), ['udp6']);
    assert.deepEqual(matching('tcp.port == 443'), ['tls']);
    assert.deepEqual(matching('udp.port == 53'), ['query', 'answer']);
    assert.deepEqual(matching('eth.addr == ff:ff:ff:ff:ff:ff'), ['arp']);
    assert.deepEqual(matching('eth.src == 02-00-00-00-00-0A'), ['arp']);
    assert.deepEqual(matching('arp.dst.proto_ipv4 == 10.0.0.9'), ['arp']);
  });

  it('CIDR for IPv4 and IPv6', () => {
    assert.deepEqual(matching('ip.addr == 10.0.0.0/8'), ['syn', 'get', 'ping', 'tls', 'vlan', 'sctp']);
    assert.deepEqual(matching('ip.dst == 172.16.0.0/12'), ['ping']);
    assert.deepEqual(matching('ip.addr == 192.168.0.0/16 and udp'), ['query', 'answer']);
    assert.deepEqual(matching('ipv6.dst == 2001:db8::/32'), ['udp6']);
    assert.deepEqual(matching('ipv6.dst == ff00::/8'), ['ns']);
    assert.deepEqual(matching('ip.addr == 0.0.0.0/0'), matching('ip'));
  });

  it('booleans, presence, strings', () => {
    assert.deepEqual(matching('tcp.flags.syn == 1'), ['syn']);
    assert.deepEqual(matching('tcp.flags.syn == true && tcp.flags.ack == 0'), ['syn']);
    assert.deepEqual(matching('tcp.flags.syn'), ['syn', 'get', 'tls'], 'a field alone: present');
    assert.deepEqual(matching('http.request.method == "GET"'), ['get']);
    assert.deepEqual(matching('http.request.method == GET'), ['get']);
    assert.deepEqual(matching('http.host == "www.Example.com"'), ['get']);
    assert.deepEqual(matching('dns.a == 93.184.216.34'), ['answer']);
    assert.deepEqual(matching('dns.flags.response == 1'), ['answer']);
    assert.deepEqual(matching('tls.handshake.extensions_server_name == "api.example.com"'), ['tls']);
    assert.deepEqual(matching('vlan.id == 100'), ['vlan']);
    assert.deepEqual(matching('icmpv6.nd.ns.target_address == fe80::2'), ['ns']);
  });

  it('contains (case-sensitive) and matches (case-insensitive regex)', () => {
    assert.deepEqual(matching('dns.qry.name contains "example"'), ['query', 'answer']);
    assert.deepEqual(matching('http.host contains "example"'), []);
    assert.deepEqual(matching('http.host contains "Example"'), ['get']);
    assert.deepEqual(matching('http.host matches "example\\\\.com$"'), ['get']);
    assert.deepEqual(matching('http.host matches "(?-i)example"'), []);
    assert.deepEqual(matching('dns.qry.name matches "^w{3}\\\\.[a-z]+\\\\.(org|net)$"'), ['query', 'answer']);
    assert.deepEqual(matching('tls.handshake.extensions_server_name ~ "^api"'), ['tls']);
    assert.deepEqual(matching('dns.qry.name matches r"\\bexample\\b"'), ['query', 'answer']);
  });

  it('and/&&, or/||, not/!, parentheses; and binds tighter than or', () => {
    assert.deepEqual(matching('tcp and tcp.dstport == 443'), ['tls']);
    assert.deepEqual(matching('icmp or arp'), ['ping', 'arp']);
    assert.deepEqual(matching('icmp || arp'), ['ping', 'arp']);
    assert.deepEqual(matching('not ip and not ipv6'), ['arp']);
    assert.deepEqual(matching('!(ip || ipv6)'), ['arp']);
    assert.deepEqual(
      matching('icmp or udp and ip.ttl > 64'),
      ['answer', 'ping'].sort((a, b) => names.indexOf(a) - names.indexOf(b)),
    );
    assert.deepEqual(matching('(icmp or udp) and ip.ttl > 64'), ['answer']);
    assert.deepEqual(matching('not tcp.port == 80 and tcp'), ['tls']);
    assert.deepEqual(matching('!!tcp'), ['syn', 'get', 'tls']);
  });

  it('sets', () => {
    assert.deepEqual(matching('tcp.port in {80 443}'), ['syn', 'get', 'tls']);
    assert.deepEqual(matching('udp.port in {50..60, 9}'), ['query', 'answer', 'vlan']);
    assert.deepEqual(matching('ip.addr in {8.8.8.8 172.16.0.0/12}'), ['query', 'answer', 'ping']);
  });

  it('frame.len, frame.number, info and the columns', () => {
    assert.deepEqual(matching('frame.len > 1000'), ['udp6']);
    assert.deepEqual(matching('frame.number <= 2'), ['syn', 'get']);
    assert.deepEqual(matching('_ws.col.info contains "GET"'), ['get']);
    assert.deepEqual(matching('info contains "Standard query"'), ['query', 'answer']);
    assert.deepEqual(matching('_ws.col.protocol == "TLSv1"'), ['tls']);
    assert.deepEqual(matching('_ws.col.Info matches "who has"'), ['arp']);
  });

  it('a field inside an ICMP error quote matches, as in Wireshark', () => {
    const quoted = ipv4({ src: '10.0.0.2', dst: '10.5.5.5', proto: PROTO.udp }, udp({ sport: 1, dport: 33434 }));
    const p = decodePacket(
      1,
      eth(
        { type: ETH.ipv4 },
        ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: PROTO.icmp }, concat([3, 3, 0, 0, 0, 0, 0, 0], quoted)),
      ),
    );
    assert.equal(compileDisplayFilter('udp.dstport == 33434').match(p, { number: 1, length: 1 }), true);
    assert.equal(compileDisplayFilter('udp').match(p, { number: 1, length: 1 }), true);
  });
});

const names = frames.map(([n]) => n);

describe('display filter: text and none', () => {
  it('empty is none and matches everything', () => {
    for (const s of ['', '   ']) {
      const f = compileDisplayFilter(s);
      assert.equal(f.mode, 'none');
      assert.equal(f.match(packets[0]!.p, { number: 1, length: 1 }), true);
    }
  });

  const text = { textSearch: true };

  it('text search searches Source, Destination, Protocol and Info, case-insensitively', () => {
    assert.equal(compileDisplayFilter('GET /index', text).mode, 'text');
    assert.deepEqual(matching('GET /index', text), ['get']);
    assert.deepEqual(matching('get /INDEX', text), ['get']);
    assert.equal(compileDisplayFilter('example.org', text).mode, 'text');
    assert.deepEqual(matching('example.org', text), ['query', 'answer']);
    assert.deepEqual(matching('8.8.8.8', text), ['query', 'answer'], 'addresses are in Source/Destination');
    assert.deepEqual(matching('TLSv1', text), ['tls'], 'protocol column');
    assert.deepEqual(matching('Who has', text), ['arp']);
    assert.deepEqual(matching('a.b(c', text), []);
    assert.equal(compileDisplayFilter('   ', text).mode, 'none');
  });

  it('text search takes the whole text, even one that reads as an expression', () => {
    assert.equal(compileDisplayFilter('tcp', text).mode, 'text');
    assert.deepEqual(matching('tcp'), ['syn', 'get', 'tls']);
    assert.deepEqual(matching('tcp', text), ['syn'], 'the rows whose columns say TCP, not every TCP packet');
    assert.deepEqual(matching('frame.len > 100', text), []);
    assert.deepEqual(matching('"tcp port"', text), [], 'quotes are searched for too');
  });

  it('outside text search, text is never searched: what does not parse is an error', () => {
    for (const s of ['GET /index', 'Client Hello', 'example.org', '"tcp port"', 'Who has', 'a.b(c'])
      assert.throws(() => compileDisplayFilter(s), DisplayFilterError, s);
  });
});

describe('display filter: what it needs', () => {
  it('needsTree is false when the summary and the meta are enough', () => {
    assert.equal(compileDisplayFilter('GET /x', { textSearch: true }).needsTree, false);
    for (const f of ['', 'info contains "GET"', 'frame.len > 10 && frame.number < 5', '_ws.col.protocol == "DNS"'])
      assert.equal(compileDisplayFilter(f).needsTree, false, f);
    for (const f of ['tcp', 'ip.addr == 10.0.0.1', 'frame.len > 10 && udp'])
      assert.equal(compileDisplayFilter(f).needsTree, true, f);
  });

  it('a summary-only packet gives the same answer as the full decode for such filters', () => {
    const f = compileDisplayFilter('info contains "Standard" and frame.len < 200');
    for (const [i, x] of packets.entries()) {
      const slim = { summary: x.p.summary, layers: [], problems: [] };
      assert.equal(
        f.match(slim, { number: i + 1, length: x.length }),
        f.match(x.p, { number: i + 1, length: x.length }),
      );
    }
  });
});

describe('display filter: errors', () => {
  it('an unknown field, with its position', () => {
    const e = error('tcp.prot == 80');
    assert.equal(e.message, '"tcp.prot" is neither a field nor a protocol name (column 1). Did you mean tcp.port?');
    assert.deepEqual([e.position, e.length], [0, 8]);
    assert.equal(error('tcp && tcp.prot == 80').position, 7);
  });

  it('syntax errors point at the token', () => {
    assert.equal(error('tcp.port == ').message, 'unexpected end of filter, expected a value (column 13)');
    assert.equal(error('(tcp').message, 'unexpected end of filter, expected ")" (column 5)');
    assert.equal(error('!(tcp').message, 'unexpected end of filter, expected ")" (column 6)');
    assert.equal(error('tcp.port == 80 )').position, 15);
    assert.equal(error('tcp and or udp').position, 8);
    assert.equal(error('tcp.port == "80').message, 'unterminated string (column 13)');
    assert.equal(error('ip.src == 10.0.0.1 &&').position, 21);
  });

  it('values of the wrong kind', () => {
    assert.equal(error('tcp.port == foo').message, '"foo" is not a number (column 13)');
    assert.equal(error('ip.addr == 10.0.0.256').position, 11);
    assert.match(error('ip.addr == 10.0.0.0/33').message, /IPv4 network/);
    assert.match(error('ipv6.addr == 2001:::1').message, /IPv6/);
    assert.match(error('eth.addr == 02:00').message, /Ethernet address/);
    assert.match(error('tcp.flags.syn == 2').message, /boolean/);
    assert.match(error('tcp == 1').message, /protocol/);
  });

  it('bad regular expressions', () => {
    assert.match(error('http.host matches "("').message, /regular expression/);
    assert.match(error('http.host matches "a{1000}"').message, /out of range/);
    assert.match(error('http.host matches "*a"').message, /nothing to repeat/);
    assert.match(error('http.host matches "\\\\1"').message, /unsupported escape/);
  });

  it("a string's escapes are Wireshark's: any other is an error, never the character itself", () => {
    // "\." is the pattern's escaped dot, "\\." the string's escape of a backslash first (tshark 4.0 agrees).
    const e = error('http.host matches "example\\.com$"');
    assert.equal(e.message.split(' (')[0], '\\. is not a valid character escape sequence');
    assert.equal(e.position, 26, 'the backslash');
    assert.match(e.hint ?? '', /write "\\\\\." or r"\\\."/);
    assert.deepEqual(matching('http.host matches r"example\\.com$"'), ['get']);
    assert.deepEqual(matching('http.host matches "example\\x2ecom$" && http.host != "a\\"\\\\\\\'"'), ['get']);
  });

  it('deep nesting is an error, never a stack overflow; long flat chains still work', () => {
    const tooDeep = /^filter nested too deeply \(more than 100 levels\)/;
    assert.match(error(`${'('.repeat(100_000)}tcp${')'.repeat(100_000)}`).message, tooDeep);
    assert.match(error(`${'not '.repeat(100_000)}tcp`).message, tooDeep);
    assert.match(error(`${'!'.repeat(100_000)}tcp`).message, tooDeep);
    assert.match(error(`${'!('.repeat(50_000)}tcp${')'.repeat(50_000)}`).message, tooDeep);
    assert.equal(error(`${'('.repeat(101)}tcp${')'.repeat(101)}`).position, 100, 'points at the 101st "("');
    // Exactly at the limit: still a filter.
    assert.deepEqual(matching(`${'('.repeat(100)}tcp${')'.repeat(100)}`), ['syn', 'get', 'tls']);
    assert.deepEqual(matching(`${'not '.repeat(100)}tcp`), ['syn', 'get', 'tls']);
    // 100,000 alternatives are no nesting: compiled and matched without deep recursion.
    assert.deepEqual(matching(Array(100_000).fill('tcp.port == 1').concat('tcp.port == 80').join(' or ')), [
      'syn',
      'get',
    ]);
    assert.deepEqual(matching(Array(100_000).fill('tcp').concat('tcp.port == 80').join(' and ')), ['syn', 'get']);
  });
});

describe('display filter: regular expressions run in linear time', () => {
  const p = packets[1]!.p; // the GET
  it('patterns that backtrack exponentially in other engines', () => {
    for (const re of ['(a+)+$', '(a|a)*$', '(a|aa)+$', '(.*a){20}$', '^(\\\\w+\\\\s?)*$']) {
      const f = compileDisplayFilter(`_ws.col.info matches "${re}" || http.request.uri matches "${re}"`);
      const long = { ...p, summary: { ...p.summary, info: `${'a'.repeat(20000)}!` } };
      const t0 = performance.now();
      f.match(long, { number: 1, length: 1 });
      const ms = performance.now() - t0;
      assert.ok(ms < 1500, `${re}: ${ms.toFixed(0)} ms`);
    }
  });

  it('features: classes, anchors, alternation, counted repetition, escapes', () => {
    const info = (s: string, re: string) =>
      compileDisplayFilter(`info matches "${re}"`).match(
        { ...p, summary: { ...p.summary, info: s } },
        { number: 1, length: 1 },
      );
    assert.equal(info('GET /index.html HTTP/1.1', '^get /[a-z]+\\\\.html'), true);
    assert.equal(info('port 8080', 'port \\\\d{2,4}$'), true);
    assert.equal(info('port 8', 'port \\\\d{2,4}$'), false);
    assert.equal(info('x-y', '[^a-w]-[xyz]'), true);
    assert.equal(info('tab\there', 'tab\\\\there'), true);
    assert.equal(info('abc', 'a(?:x|b)c'), true);
    assert.equal(info('abc', '^b'), false);
    assert.equal(info('foo.bar', 'foo\\\\.bar'), true);
    assert.equal(info('fooXbar', 'foo\\\\.bar'), false);
    assert.equal(info('café', 'CAFÉ'), true);
  });
});
