// A display filter decodes only what it reads (CompiledDisplayFilter.fieldLayers): every layer,
// fields only of the protocols it names. Judged against the whole tree on every packet of the
// tcpdump corpus and of the generated mix: the same layers, the same fields where they are built,
// and every filter the same verdict both ways.
import assert from 'node:assert/strict';
import { basename } from 'node:path';
import { describe, it } from 'node:test';

import { readCaptureFile } from '../../packet/capture-file.js';
import { decodeForFilter, decodePacket } from '../../packet/decode/index.js';
import type { DecodedPacket, Field } from '../../packet/decode/types.js';
import { compileDisplayFilter } from '../../packet/display-filter.js';
import { readCapture, tcpdumpTestCaptures } from '../fixtures/tcpdump-tests.js';
import { MIX_LINK_TYPES, mixPackets } from './fixtures/mix.js';

interface Sample {
  where: string;
  linkType: number;
  data: Uint8Array;
  originalLength: number;
}

function samples(): Sample[] {
  const all: Sample[] = [];
  for (const path of tcpdumpTestCaptures()) {
    const { reader, packets } = readCaptureFile(readCapture(path));
    packets.forEach((p, i) => {
      const linkType = reader.interfaces[p.interfaceId]?.linkType ?? -1;
      all.push({ where: `${basename(path)} #${i + 1}`, linkType, data: p.data, originalLength: p.originalLength });
    });
  }
  for (let round = 0; round < 4; round++)
    mixPackets(round).forEach((p, i) => {
      const linkType = MIX_LINK_TYPES[p.iface ?? 0]!;
      all.push({
        where: `mix ${round} #${i + 1}`,
        linkType,
        data: p.data,
        originalLength: p.originalLength ?? p.data.length,
      });
    });
  return all;
}

/** A tree's fields without the expert marks, which only the whole tree builds. */
function withoutExpert(fields: readonly Field[]): unknown[] {
  return fields
    .filter((f) => !f.name.startsWith('_ws.'))
    .map((f) => ({ ...f, children: f.children && withoutExpert(f.children) }));
}

/** The layers a selective tree keeps: all but the expert ones (Data too: the protocol hierarchy
 *  counts it). */
function keptLayers(p: DecodedPacket): string[] {
  return p.layers.map((l) => l.protocol).filter((name) => !name.startsWith('_ws.'));
}

const FILTERS = [
  'dns',
  'mdns',
  'dns.qry.name contains "example"',
  'dns.flags.response == 1',
  'tcp',
  'tcp.port == 80',
  'tcp.port == 443 || udp.port == 53',
  'tcp.flags.syn == 1 && tcp.flags.ack == 0',
  'tcp.len > 0 && !(tcp.port == 80)',
  'udp && !dns',
  'ip.addr == 10.0.0.1 || ipv6',
  'ip.ttl < 64',
  'icmp || icmpv6',
  'arp',
  'vlan',
  'eth.addr == ff:ff:ff:ff:ff:ff',
  'sll',
  'http.request.method == "GET"',
  'http.response.code >= 400',
  'tls.handshake.type == 1',
  'tls',
  'sctp',
  'frame.protocols contains "udp"',
  'frame.len > 100 && udp',
  'data',
  '_ws.malformed',
  'ip.proto == 6 && tcp.dstport == 80',
  'dns && _ws.col.info contains "response"',
  'tcp && _ws.col.protocol == "HTTP"',
  'udp && _ws.col.def_src contains "::"',
];

describe('a display filter decodes only what it reads', () => {
  const packets = samples();

  it('a selective tree has the whole tree layers, and the same fields where it builds them', () => {
    const fieldLayers = new Set(['tcp', 'udp', 'dns', 'mdns', 'icmp', 'icmpv6']);
    for (const s of packets)
      for (const columns of [true, false]) {
        const where = `${s.where}${columns ? '' : ', no columns'}`;
        const whole = decodePacket(s.linkType, s.data, s.originalLength);
        const selective = decodePacket(s.linkType, s.data, s.originalLength, { fieldsOf: fieldLayers, columns });
        assert.deepEqual(keptLayers(selective), keptLayers(whole), where);
        if (columns) assert.deepEqual(selective.summary, whole.summary, where);
        for (const layer of selective.layers) {
          const full = whole.layers.find((l) => l.protocol === layer.protocol && l.offset === layer.offset)!;
          if (fieldLayers.has(layer.protocol))
            assert.deepEqual(withoutExpert(layer.fields), withoutExpert(full.fields), `${where} ${layer.protocol}`);
          else assert.deepEqual(layer.fields, [], `${where} ${layer.protocol}: fields built that no filter reads`);
        }
      }
    assert.ok(packets.length > 2500);
  });

  it('every filter gives each packet the verdict it gives on the whole tree', () => {
    for (const text of FILTERS) {
      const filter = compileDisplayFilter(text);
      let matched = 0;
      packets.forEach((s, i) => {
        const meta = { number: i + 1, length: s.originalLength };
        const expected = filter.match(decodePacket(s.linkType, s.data, s.originalLength), meta);
        const got = filter.match(decodeForFilter(filter, s.linkType, s.data, s.originalLength), meta);
        assert.equal(got, expected, `${text} on ${s.where}`);
        if (expected) matched++;
      });
      assert.ok(matched > 0 && matched < packets.length, `${text}: ${matched} of ${packets.length} match`);
    }
  });

  it('reads only the layers a filter names, and the whole tree for Data and expert marks', () => {
    assert.deepEqual([...(compileDisplayFilter('dns').fieldLayers ?? [])].sort(), ['icmp', 'icmpv6']);
    assert.deepEqual([...(compileDisplayFilter('dns.id == 1').fieldLayers ?? [])].sort(), [
      'dns',
      'icmp',
      'icmpv6',
      'mdns',
    ]);
    assert.deepEqual([...(compileDisplayFilter('tcp.port == 1 || ip.addr == 1.2.3.4').fieldLayers ?? [])].sort(), [
      'icmp',
      'icmpv6',
      'ip',
      'tcp',
    ]);
    assert.equal(compileDisplayFilter('data').fieldLayers, undefined);
    assert.equal(compileDisplayFilter('tcp && _ws.expert').fieldLayers, undefined);
    assert.equal(compileDisplayFilter('frame.len > 1').fieldLayers, undefined, 'no tree at all');
    assert.equal(compileDisplayFilter('dns && frame.len > 1').readsColumns, false);
    assert.equal(compileDisplayFilter('dns && _ws.col.info contains "x"').readsColumns, true);
  });
});
