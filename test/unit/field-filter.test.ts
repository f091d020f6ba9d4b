// "Apply as Filter" expressions (packet/field-filter.ts): every field of every decoded fixture
// packet gives a filter that our engine compiles, that matches the packet it came from, and whose
// "Not Selected" does not; hostile values (quotes, backslashes, line breaks, non-ASCII, very long)
// stay one literal; combinations with the filter in the bar mean what they say.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { wiresharkLayers } from '../../extension/dissect/wireshark-tree.js';
import { readCaptureFile } from '../../packet/capture-file.js';
import { decodePacket } from '../../packet/decode/index.js';
import type { DecodedPacket, Field } from '../../packet/decode/types.js';
import { compileDisplayFilter, type FilterMeta } from '../../packet/display-filter.js';
import {
  cellFilters,
  combineFilters,
  FILTER_COMBINATIONS,
  type FilterCombination,
  fieldFilter,
  layerFilter,
  quoteString,
} from '../../packet/field-filter.js';
import { readCapture, tcpdumpTestCaptures } from '../fixtures/tcpdump-tests.js';
import { walk } from './fixtures/decode-helpers.js';
import { EDGE_LINK_TYPES, edgePackets } from './fixtures/edge.js';
import { MIX_LINK_TYPES, mixPackets } from './fixtures/mix.js';
import { ascii, ETH, eth, ipv4, PROTO, TCP, tcp } from './fixtures/packets.js';

const matches = (filter: string, p: DecodedPacket, meta: FilterMeta) => compileDisplayFilter(filter).match(p, meta);

/** The meta a packet's own frame fields describe (frame.len is read from the meta). */
function metaOf(p: DecodedPacket): FilterMeta {
  const len = p.layers[0]?.fields.find((f) => f.name === 'frame.len')?.value;
  return { number: 1, length: typeof len === 'number' ? len : 0 };
}

/** Selected matches the packet the node is in; Not Selected does not. */
function assertSelects(filter: string, p: DecodedPacket, meta: FilterMeta, what: string): void {
  assert.equal(matches(filter, p, meta), true, `${what}: ${filter} matches its packet`);
  const not = combineFilters('', filter, 'notSelected');
  assert.equal(matches(not, p, meta), false, `${what}: ${not} does not`);
}

function httpRequest(head: string): DecodedPacket {
  const payload = ascii(`${head}\r\n\r\n`);
  const frame = eth(
    { src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02', type: ETH.ipv4 },
    ipv4(
      { src: '10.0.0.1', dst: '10.0.0.2', proto: PROTO.tcp },
      tcp({ sport: 40000, dport: 80, flags: TCP.PSH | TCP.ACK }, payload),
    ),
  );
  return decodePacket(1, frame);
}

function fieldOf(p: DecodedPacket, name: string): Field {
  let found: Field | undefined;
  for (const l of p.layers) walk(l.fields, (f) => (found ??= f.name === name ? f : undefined));
  assert.ok(found, `${name} in the packet`);
  return found;
}

describe('Apply as Filter: the selected field', () => {
  it('every field and layer of every fixture packet selects its packet', () => {
    let checked = 0;
    const check = (linkType: number, data: Uint8Array, originalLength?: number) => {
      const p = decodePacket(linkType, data, originalLength);
      const meta = metaOf(p);
      for (const l of p.layers) {
        const own = layerFilter(l.protocol);
        if (own !== undefined) assertSelects(own, p, meta, `layer ${l.protocol}`);
        walk(l.fields, (f) => {
          const filter = fieldFilter(f);
          if (filter === undefined) {
            assert.ok(f.name.startsWith('_ws.'), `${f.name} has a filter`);
            return;
          }
          assertSelects(filter, p, meta, f.name);
          checked++;
        });
      }
    };
    for (const p of mixPackets(0)) check(MIX_LINK_TYPES[p.iface ?? 0]!, p.data, p.originalLength);
    for (const p of edgePackets()) check(EDGE_LINK_TYPES[p.iface ?? 0]!, p.data, p.originalLength);
    for (const file of tcpdumpTestCaptures()) {
      const { reader, packets } = readCaptureFile(readCapture(file));
      for (const p of packets) check(reader.interfaces[p.interfaceId]!.linkType, p.data, p.originalLength);
    }
    assert.ok(checked > 10_000, `${checked} fields checked`);
  });

  it('each kind of field: number, boolean, address, MAC, string, bytes, protocol', () => {
    const p = httpRequest('GET /x HTTP/1.1\r\nHost: example.com');
    const meta = metaOf(p);
    const cases: [string, string][] = [
      ['tcp.dstport', 'tcp.dstport == 80'],
      ['tcp.flags.push', 'tcp.flags.push == 1'],
      ['tcp.flags.syn', 'tcp.flags.syn == 0'],
      ['ip.src', 'ip.src == 10.0.0.1'],
      ['eth.dst', 'eth.dst == 02:00:00:00:00:02'],
      ['http.host', 'http.host == "example.com"'],
      ['tcp.flags.str', 'tcp.flags.str == "·······AP···"'],
      ['http.end_of_headers', 'http.end_of_headers'],
    ];
    for (const [name, want] of cases) {
      const filter = fieldFilter(fieldOf(p, name));
      assert.equal(filter, want, name);
      assertSelects(filter, p, meta, name);
    }
    assert.equal(layerFilter('http'), 'http');
    assertSelects('http', p, meta, 'layer');
  });

  it('IPv6 addresses go as they are', () => {
    assert.equal(fieldFilter({ name: 'ipv6.src', value: '2001:db8::1' }), 'ipv6.src == 2001:db8::1');
    assert.equal(fieldFilter({ name: 'ipv6.src', value: 'fe80::1%eth0' }), 'ipv6.src', 'not an address: the name');
  });

  it("Wireshark's tree: its own filter as it is, a protocol by its name", () => {
    assert.equal(
      fieldFilter({ name: 'tcp.options.mss_val', filter: 'tcp.options.mss_val == 1460' }),
      'tcp.options.mss_val == 1460',
    );
    assert.equal(
      fieldFilter({ name: 'http2.header.name', value: 'x', filter: 'http2.header.name == ":path"' }),
      'http2.header.name == ":path"',
    );
    assert.equal(layerFilter('http2'), 'http2');
  });

  it("Wireshark's tree keeps sharkd's filter of each node; a frame link names the capture's packet", () => {
    const answer = [
      {
        l: 'Hypertext Transfer Protocol 2',
        f: 'http2',
        n: [
          { l: 'Name: :path', f: 'http2.header.name == ":path"' },
          { l: '[Response in frame: 2]', f: 'http2.response_in == 2', t: 'framenum', fnum: 2 },
          { l: 'Line', f: 'http2.x == "a\nb"' }, // a control character: not one line
          { l: 'A text item' },
        ],
      },
    ];
    const [layer] = wiresharkLayers(answer, { capturedLength: 100, numberOf: (n) => n + 40 })!;
    assert.equal(layerFilter(layer!.protocol), 'http2');
    assert.deepEqual(
      layer!.fields.map((f) => fieldFilter(f)),
      ['http2.header.name == ":path"', 'http2.response_in == 42', undefined, undefined],
    );
    // The frame link also goes there (Go to Linked Packet); no other node links anywhere.
    assert.deepEqual(
      layer!.fields.map((f) => f.link),
      [undefined, 42, undefined, undefined],
    );
  });

  it('notes, labels and names no filter knows offer none', () => {
    for (const name of ['_ws.text', '_ws.expert', '_ws.malformed', 'problem.0', 'proc', 'frame.time', 'x y', ''])
      assert.equal(fieldFilter({ name, value: 'v' }), undefined, name);
    for (const protocol of ['_ws.malformed', '_ws.truncated', 'a b']) assert.equal(layerFilter(protocol), undefined);
  });

  it('a value that is not one of its kind filters by the name alone', () => {
    assert.equal(fieldFilter({ name: 'ip.src', value: '10.0.0.1 || 1' }), 'ip.src');
    assert.equal(fieldFilter({ name: 'eth.src', value: 'Intel_12:34:56' }), 'eth.src');
    assert.equal(fieldFilter({ name: 'tcp.port', value: 1e21 }), 'tcp.port');
  });
});

describe('Apply as Filter: a cell of the packet list', () => {
  /** The filter the panel takes for a cell: the first it may stand for that selects the packet. */
  const cellFilter = (column: string, text: string, p: DecodedPacket, meta: FilterMeta, field?: string) =>
    cellFilters(column, text, field).find((f) => matches(f, p, meta));

  it('every Source, Destination, Protocol, Length and No. cell of every fixture packet selects its packet', () => {
    const checked: Record<string, number> = {};
    const unmatched: string[] = [];
    const check = (linkType: number, data: Uint8Array, originalLength?: number) => {
      const p = decodePacket(linkType, data, originalLength);
      const meta = metaOf(p);
      const cells = { ...p.summary, length: String(meta.length), number: String(meta.number) };
      for (const column of ['number', 'source', 'destination', 'protocol', 'length'] as const) {
        if (cellFilters(column, cells[column]).length === 0) continue;
        const filter = cellFilter(column, cells[column], p, meta);
        if (filter === undefined) {
          unmatched.push(`${column} "${cells[column]}" of ${p.layers.map((l) => l.protocol).join('/')}`);
          continue;
        }
        assertSelects(filter, p, meta, `${column} "${cells[column]}"`);
        checked[column] = (checked[column] ?? 0) + 1;
      }
    };
    for (const p of mixPackets(0)) check(MIX_LINK_TYPES[p.iface ?? 0]!, p.data, p.originalLength);
    for (const p of edgePackets()) check(EDGE_LINK_TYPES[p.iface ?? 0]!, p.data, p.originalLength);
    for (const file of tcpdumpTestCaptures()) {
      const { reader, packets } = readCaptureFile(readCapture(file));
      for (const p of packets) check(reader.interfaces[p.interfaceId]!.linkType, p.data, p.originalLength);
    }
    for (const column of ['source', 'destination', 'protocol'])
      assert.ok(checked[column]! > 1000, JSON.stringify(checked));
    // A cell no field of its packet holds gives no filter (the panel says so): an IPv6 routing
    // header's final destination (ipv6.dst is the next hop), a RARP packet (its layer is arp).
    assert.ok(unmatched.length <= 5, unmatched.join('; '));
  });

  it('each column: its field by the value’s kind; a pod by its namespace and name; none without one field', () => {
    assert.deepEqual(cellFilters('source', '10.0.0.1'), ['ip.src == 10.0.0.1']);
    assert.deepEqual(cellFilters('destination', '2001:db8::1'), ['ipv6.dst == 2001:db8::1']);
    assert.deepEqual(cellFilters('source', '02:00:00:AA:00:01'), [
      'eth.src == 02:00:00:aa:00:01',
      'sll.src.eth == 02:00:00:aa:00:01',
      'arp.src.hw_mac == 02:00:00:aa:00:01',
    ]);
    assert.deepEqual(cellFilters('source', 'Broadcast'), []);
    assert.deepEqual(cellFilters('protocol', 'DNS'), ['dns']);
    assert.deepEqual(cellFilters('protocol', 'TLSv1.3'), [], 'a version is no protocol name');
    assert.deepEqual(cellFilters('length', '60'), ['frame.len == 60']);
    assert.deepEqual(cellFilters('number', '7'), ['frame.number == 7']);
    assert.deepEqual(cellFilters('pod', 'default/web-0'), ['k8s.namespace == "default" && k8s.pod == "web-0"']);
    assert.deepEqual(cellFilters('pod', ''), []);
    assert.deepEqual(cellFilters('info', 'Standard query'), []);
    assert.deepEqual(cellFilters('time', '0.000001'), []);
    assert.deepEqual(cellFilters('custom0', 'a"b.example', 'dns.qry.name'), ['dns.qry.name == "a\\"b.example"']);
    assert.deepEqual(cellFilters('custom0', '443', 'tcp.dstport'), ['tcp.dstport == 443']);
    assert.deepEqual(cellFilters('custom0', '443,80', 'tcp.dstport'), [], 'several occurrences');
    assert.deepEqual(cellFilters('custom0', '', 'tcp.dstport'), [], 'the packet has none');
    assert.deepEqual(cellFilters('custom0', 'x', 'no.such.field'), []);
  });
});

describe('Apply as Filter: hostile strings', () => {
  const hostile = [
    'a"b',
    'back\\slash\\',
    '\\"',
    '" || frame.len > 0 || "',
    'line\nbreak\r\ttab\x00nul\x7fdel\x85nel',
    'naïve – 日本語 – 😀 – \u202eRTL',
    '\ud800 lone surrogate',
    `long ${'x"\\'.repeat(20_000)}`,
    '',
  ];

  it('a string goes in quotes, escaped, one line, and reads back as itself', () => {
    for (const s of hostile) {
      const filter = fieldFilter({ name: 'proc.cmdline', value: s });
      assert.equal(filter, `proc.cmdline == ${quoteString(s)}`);
      assert.ok(!/\p{Cc}/u.test(filter!), 'one line, no control characters');
      const p: DecodedPacket = {
        summary: { source: '', destination: '', protocol: '', info: '' },
        layers: [],
        problems: [],
      };
      const meta = (args: string): FilterMeta => ({ number: 1, length: 1, process: { pid: 1, cmd: '', args } });
      assert.equal(matches(filter!, p, meta(s)), s !== '', `selects ${JSON.stringify(s.slice(0, 40))}`);
      assert.equal(matches(filter!, p, meta(`${s}.`)), false, 'and nothing else');
    }
  });

  it('quotes and backslashes from a real packet (the decoder escapes what is not printable)', () => {
    const p = httpRequest('GET /"quoted"/back\\slash/\x01\xe9 HTTP/1.1\r\nHost: "h"\\');
    const meta = metaOf(p);
    for (const name of ['http.request.uri', 'http.host']) {
      const filter = fieldFilter(fieldOf(p, name))!;
      assert.ok(filter.startsWith(`${name} == "`), filter);
      assertSelects(filter, p, meta, name);
    }
  });

  it('a very long value from a real packet', () => {
    const p = httpRequest(`GET / HTTP/1.1\r\nUser-Agent: ${'a"\\'.repeat(1300)}`);
    const filter = fieldFilter(fieldOf(p, 'http.user_agent'))!;
    assert.ok(filter.length > 5000, `${filter.length} characters`);
    assertSelects(filter, p, metaOf(p), 'http.user_agent');
  });
});

describe('Apply as Filter: with the filter in the bar', () => {
  const cases: [string, string, FilterCombination, string][] = [
    ['', 'tcp', 'selected', 'tcp'],
    ['udp', 'tcp.port == 80', 'selected', 'tcp.port == 80'],
    ['', 'tcp', 'notSelected', '!tcp'],
    ['', 'tcp.port == 80', 'notSelected', '!(tcp.port == 80)'],
    ['', 'tcp.port == 80', 'andSelected', 'tcp.port == 80'],
    ['', 'tcp.port == 80', 'andNotSelected', '!(tcp.port == 80)'],
    ['ip', 'tcp.port == 80', 'andSelected', 'ip && tcp.port == 80'],
    ['  ip  ', 'tcp', 'orSelected', 'ip || tcp'],
    ['ip && udp', 'tcp', 'andSelected', 'ip && udp && tcp'],
    ['ip and udp', 'tcp', 'orSelected', '(ip and udp) || tcp'],
    ['ip || udp', 'tcp', 'andSelected', '(ip || udp) && tcp'],
    ['ip || udp', 'tcp', 'orNotSelected', 'ip || udp || !tcp'],
    ['ip || udp', 'tcp.port == 80', 'andNotSelected', '(ip || udp) && !(tcp.port == 80)'],
    ['!(ip || udp)', 'tcp', 'andSelected', '!(ip || udp) && tcp'],
    ['http.host == "a || b"', 'tcp', 'andSelected', 'http.host == "a || b" && tcp'],
    ['http.host == "a\\" || b"', 'tcp', 'andSelected', 'http.host == "a\\" || b" && tcp'],
    ['tcp.port in {80 443}', 'ip', 'orSelected', 'tcp.port in {80 443} || ip'],
    ['http.host == "unterminated', 'tcp', 'andSelected', '(http.host == "unterminated) && tcp'],
    ['a ^^ b', 'tcp', 'andSelected', '(a ^^ b) && tcp'],
    ['ip', 'a || b', 'andSelected', 'ip && (a || b)'],
  ];
  for (const [current, selected, how, want] of cases) {
    it(`${JSON.stringify(current)} ${how} ${JSON.stringify(selected)} → ${want}`, () => {
      assert.equal(combineFilters(current, selected, how), want);
    });
  }

  it('every combination compiles and means the same as the fully parenthesized one', () => {
    const p = httpRequest('GET /x HTTP/1.1\r\nHost: example.com');
    const meta = metaOf(p);
    const currents = ['', 'ip', 'udp', 'ip && udp', 'udp || ip', 'udp or tcp and ip', '!udp', 'http.host == "a || b"'];
    const selecteds = ['tcp', 'udp', 'tcp.dstport == 80', 'http.host == "example.com"', 'http.host == "x"'];
    const full: Record<FilterCombination, (c: string, s: string) => string> = {
      selected: (_c, s) => s,
      notSelected: (_c, s) => `!(${s})`,
      andSelected: (c, s) => (c ? `(${c}) && (${s})` : s),
      orSelected: (c, s) => (c ? `(${c}) || (${s})` : s),
      andNotSelected: (c, s) => (c ? `(${c}) && !(${s})` : `!(${s})`),
      orNotSelected: (c, s) => (c ? `(${c}) || !(${s})` : `!(${s})`),
    };
    for (const current of currents)
      for (const selected of selecteds)
        for (const { id } of FILTER_COMBINATIONS) {
          const text = combineFilters(current, selected, id);
          assert.equal(matches(text, p, meta), matches(full[id](current, selected), p, meta), `${text}`);
        }
  });
});
