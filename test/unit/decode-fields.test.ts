// The display filter's field list (packet/decode/fields.ts) covers every field the decoders
// produce, and every listed field compiles as a filter.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { readCaptureFile } from '../../packet/capture-file.js';
import { FIELD_KINDS, PROTOCOL_NAMES } from '../../packet/decode/fields.js';
import { decodePacket } from '../../packet/decode/index.js';
import { compileDisplayFilter } from '../../packet/display-filter.js';
import { readCapture, tcpdumpTestCaptures } from '../fixtures/tcpdump-tests.js';
import { walk } from './fixtures/decode-helpers.js';
import { EDGE_LINK_TYPES, edgePackets } from './fixtures/edge.js';
import { MIX_LINK_TYPES, mixPackets } from './fixtures/mix.js';

describe('field list', () => {
  it('every decoded field name is listed with the kind of its values', () => {
    const seen = new Map<string, Set<string>>();
    const add = (linkType: number, data: Uint8Array, orig?: number) => {
      const d = decodePacket(linkType, data, orig);
      for (const l of d.layers) {
        assert.ok(PROTOCOL_NAMES.has(l.protocol) || l.protocol === '_ws.malformed', `layer ${l.protocol} listed`);
        walk(l.fields, (f) => {
          const s = seen.get(f.name) ?? new Set<string>();
          s.add(typeof f.value);
          seen.set(f.name, s);
        });
      }
    };
    for (const p of mixPackets(0)) add(MIX_LINK_TYPES[p.iface ?? 0]!, p.data, p.originalLength);
    for (const p of edgePackets()) add(EDGE_LINK_TYPES[p.iface ?? 0]!, p.data, p.originalLength);
    for (const f of tcpdumpTestCaptures()) {
      const { reader, packets } = readCaptureFile(readCapture(f));
      for (const p of packets) add(reader.interfaces[p.interfaceId]!.linkType, p.data, p.originalLength);
    }
    const expected: Record<string, string> = {
      number: 'number',
      string: 'string',
      boolean: 'boolean',
      ipv4: 'string',
      ipv6: 'string',
      mac: 'string',
      none: 'undefined',
    };
    const missing: string[] = [];
    for (const [name, kinds] of seen) {
      if (name.startsWith('_ws.') || PROTOCOL_NAMES.has(name)) continue; // experts; layers quoted by ICMP errors
      const kind = FIELD_KINDS.get(name);
      if (!kind) {
        missing.push(name);
        continue;
      }
      for (const k of kinds) assert.equal(k, expected[kind], `${name}: value of type ${k}, listed as ${kind}`);
    }
    assert.deepEqual(missing.sort(), []);
  });

  it('every listed field and protocol compiles as a filter', () => {
    for (const name of [...FIELD_KINDS.keys(), ...PROTOCOL_NAMES])
      assert.equal(compileDisplayFilter(name).mode, 'expression', name);
  });
});
