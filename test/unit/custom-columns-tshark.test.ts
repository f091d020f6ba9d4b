// Custom columns (Apply as Column) against `tshark -T fields`: the text of each field in each row of
// tcpdump's corpus as one capture, every occurrence joined by commas as tshark joins them.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { tableRows } from '../../extension/panel/table-rows.js';
import { PacketStore } from '../../extension/store/packet-store.js';
import { PacketView } from '../../extension/store/packet-view.js';
import { StoreIngest } from '../../extension/store/store-ingest.js';
import { customColumnProblem } from '../../packet/custom-columns.js';
import { corpusCapture } from './fixtures/corpus-capture.js';

/** Fields of several layers and kinds: numbers, addresses, names, stream indices. */
const FIELDS = [
  'ip.src',
  'ip.ttl',
  'ipv6.dst',
  'tcp.srcport',
  'tcp.window_size',
  'udp.length',
  'dns.qry.name',
  'arp.opcode',
];

/** Packets our decoders do not read that deep, by tshark's frame.protocols: link types they do not
 *  read (ARCNET, pktap in a user DLT, NFLOG, Juniper's, Solaris' ipnet), and headers they do not
 *  open (Arista's AVSP, MACsec, MPLS, ERSPAN, NSH, NHRP, other tunnels): the fields inside are
 *  Wireshark's alone. */
const NOT_READ =
  /^(arcnet|user_dlt|nflog|juniper|ipnet)|(^|:)(avsp|macsec|mpls|erspan|nsh|nhrp|geneve|vxlan|gtp|lisp|teredo|l2tp|sflow):/;

/** DNS on a port Wireshark finds by heuristics, ours by port alone. */
const DNS_BY_HEURISTICS = '8053';

const scratch = mkdtempSync(join(tmpdir(), 'custom-columns-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

test('custom columns show each field as tshark -T fields prints it, on every packet of the corpus our decoders read', (t) => {
  const bytes = corpusCapture();
  const file = join(scratch, 'corpus.pcapng');
  writeFileSync(file, bytes);
  const r = spawnSync(
    'tshark',
    [
      '-n',
      '-r',
      file,
      '-T',
      'fields',
      '-E',
      'occurrence=a',
      '-E',
      'aggregator=,',
      ...[...FIELDS, 'frame.protocols', 'udp.port'].flatMap((f) => ['-e', f]),
    ],
    { encoding: 'utf8', maxBuffer: 1 << 30 },
  );
  assert.equal(r.status, 0, r.stderr);
  const theirs = r.stdout
    .split('\n')
    .slice(0, -1)
    .map((line) => line.split('\t'));

  const store = new PacketStore({ maxPackets: 1e6, maxBytes: 1e9, whenFull: 'stop' });
  new StoreIngest(store).push(bytes);
  const view = new PacketView(store, {
    run: () => assert.fail('no filter here'),
    columnTexts: () => assert.fail('no sort here'),
    addressTallies: () => assert.fail('no statistics here'),
    protocolPaths: () => assert.fail('no statistics here'),
    dispose: () => {},
  });
  view.customColumns = FIELDS.map((field) => ({ field }));
  assert.equal(theirs.length, store.held);
  const differences = new Map<string, string[]>();
  let shown = 0;
  let leftOut = 0;
  for (let start = 0; start < store.held; start += 1000)
    for (const row of tableRows(store, view, start, 1000)) {
      const want = theirs[row.number - 1]!;
      const [protocols = '', ports = ''] = want.slice(FIELDS.length);
      if (NOT_READ.test(protocols) || ports.split(',').includes(DNS_BY_HEURISTICS)) {
        leftOut++;
        continue;
      }
      for (const [i, field] of FIELDS.entries()) {
        const ours = row.custom?.[i] ?? '';
        if (ours !== '') shown++;
        if (ours !== (want[i] ?? ''))
          differences.set(field, [
            ...(differences.get(field) ?? []),
            `#${row.number}: tshark ${JSON.stringify(want[i])}, ours ${JSON.stringify(ours)}`,
          ]);
      }
    }
  t.diagnostic(`${store.held} packets, ${leftOut} left out (NOT_READ), ${shown} cells with a value`);
  const report = [...differences].map(([f, d]) => `${f}: ${d.length} rows, e.g. ${d.slice(0, 3).join('; ')}`);
  assert.deepEqual(report, []);
  assert.ok(shown > 5000, `${shown} cells shown`);
  assert.ok(leftOut < store.held / 8, `${leftOut} of ${store.held} packets left out`);
});

test('a name our decoders do not know cannot be a column', () => {
  assert.equal(customColumnProblem('tcp.window_size'), undefined);
  assert.match(customColumnProblem('quic.version') ?? '', /not a field our decoders know/);
  assert.match(customColumnProblem('tcp.window_size) || (1') ?? '', /not a field/);
});
