// Colouring rules (packet/coloring-rules.ts) judged by tshark: every packet of tcpdump's corpus,
// read into the panel's store and judged as the panel judges a row, gets the rule that
// `tshark --color -T fields -e frame.coloring_rule.name` gives it, with Wireshark's default rules.
// Left out, each for its reason: packets tshark colours by a rule we do not ship (it names
// protocols our decoders do not decode), packets carrying protocols our decoders do not open
// (tunnels, links), and frames whose source MAC address is a group address (fuzzed frames: our
// rule reads the I/G bit of both addresses, as Wireshark 4.0's `eth.ig` does; Wireshark's own
// rule reads the destination's first byte alone, with a slice our engine does not have).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { coloringRuleOf, compileColoringRules, DEFAULT_COLORING_RULES } from '../../packet/coloring-rules.js';
import { decodeForFilter } from '../../packet/decode/index.js';
import { corpusStores } from './fixtures/corpus-stores.js';
import { haveTshark, TSHARK_NO_REASSEMBLY } from './fixtures/tshark.js';

/** Wireshark's default rules we do not ship: each names protocols our decoders do not decode. */
const NOT_SHIPPED = new Set([
  'HSRP State Change',
  'Spanning Tree Topology  Change',
  'OSPF State Change',
  'Checksum Errors',
  'SMB',
  'DCERPC',
  'Routing',
  'System Event',
]);

/** Protocols our decoders do not open: tshark colours what it finds inside or behind them. */
const NOT_OPENED =
  /(^|:)(arcnet|ipnet|nflog|user_dlt|pktap|juniper|fr|chdlc|slarp|mpls|erspan|nhrp|macsec|geneve|vxlan|sflow|lwapp|openflow_v\d|tipc|rsvp)(:|$)/;

const LINKTYPE_ETHERNET = 1;

describe('colouring rules against tshark', { skip: !haveTshark && 'tshark not installed' }, () => {
  it("tcpdump corpus: each packet's rule is tshark's with Wireshark's default rules", () => {
    const rules = compileColoringRules(DEFAULT_COLORING_RULES);
    assert.deepEqual(rules.refused, [], 'our engine reads every rule we ship');
    const mismatches: string[] = [];
    let compared = 0;
    const used = new Set<string>();
    for (const { path, name, store } of corpusStores()) {
      if (store.held === 0) continue;
      const r = spawnSync(
        'tshark',
        [
          '-r',
          path,
          '-n',
          '--color',
          ...TSHARK_NO_REASSEMBLY,
          '-T',
          'fields',
          '-e',
          'frame.coloring_rule.name',
          '-e',
          'frame.protocols',
        ],
        { encoding: 'utf8', maxBuffer: 1 << 28 },
      );
      if (/network type \d+ unknown or unsupported/.test(r.stderr)) continue; // a link tshark does not read
      assert.equal(r.status, 0, `${path}: ${r.stderr}`);
      const lines = r.stdout.split('\n');
      for (let n = store.firstNumber; n <= store.lastNumber; n++) {
        const [theirs = '', protocols = ''] = (lines[n - 1] ?? '').split('\t');
        const p = store.packet(n)!;
        const groupSource = p.linkType === LINKTYPE_ETHERNET && p.data.length > 6 && (p.data[6]! & 1) === 1;
        if (NOT_SHIPPED.has(theirs) || NOT_OPENED.test(protocols) || groupSource) continue;
        // As the panel judges a row: decoded as far as the rules read, with the capture's streams.
        const decoded = decodeForFilter(rules, p.linkType, p.data, p.originalLength, store.streamsOf(n));
        const index = coloringRuleOf(rules, decoded, { number: n, length: p.originalLength });
        const ours = index < 0 ? '' : rules.rules[index]!.rule.name;
        compared++;
        used.add(ours);
        if (ours !== theirs) mismatches.push(`${name} #${n} (${protocols}): tshark "${theirs}", ours "${ours}"`);
      }
    }
    assert.deepEqual(mismatches, []);
    assert.ok(compared >= 2000, `compared ${compared} packets`);
    // Every shipped rule but the rarest coloured some packet of the corpus.
    for (const name of [
      'Bad TCP',
      'ICMP errors',
      'ARP',
      'ICMP',
      'TCP RST',
      'HTTP',
      'TCP SYN/FIN',
      'TCP',
      'UDP',
      'Broadcast',
    ])
      assert.ok(used.has(name), `some packet is coloured "${name}"`);
  });
});
