// compileFilter, the addon's capture-filter validation (native/src/filter.cc over native/core):
// an expression is accepted exactly when tcpdump accepts it for that link type, and a refused one
// gets tcpdump's message word for word (both are libpcap's); what libpcap compiles but the eBPF
// translation cannot run is refused with the translation's reason. Runs the built addon
// (dist/agent/pcap_capture.node); needs no privilege.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import { loadFilterBinding } from '../../native/filter-check.js';
import { tcpdumpSays } from './helpers/tcpdump-verdict.js';

const binding = loadFilterBinding(path.join(__dirname, '..', '..', 'dist', 'agent', 'pcap_capture.node'));

const EXPRESSIONS = [
  'tcp port 80',
  'not (udp or icmp) and net 10.0.0.0/8',
  'tcp[13] & 2 != 0',
  'vlan 100 and udp',
  'ether host 00:00:0c:07:ac:01',
  'ip broadcast',
  'tcp and udp',
  'foo bar',
  'port 99999',
  'tcp port http2x',
  'ip[0:3] = 1',
  'portrange 10-',
  '',
];

for (const link of ['ethernet', 'raw'] as const) {
  test(`compileFilter accepts and refuses as tcpdump does, with its message (${link})`, () => {
    for (const expr of EXPRESSIONS) {
      const want = tcpdumpSays(expr, link);
      const got = binding.compileFilter(expr, link);
      // An accepted expression comes back as the expression the agents will compile (itself here:
      // none of these is a PROTO,PORT filter).
      const expected = want === null ? { ok: true, expression: expr } : { ok: false, error: want };
      assert.deepEqual(got, expected, `"${expr}" (${link})`);
    }
  });
}

test('compileFilter refuses what the translation cannot run, saying why', () => {
  assert.equal(tcpdumpSays('protochain 6', 'ethernet'), null, 'tcpdump accepts protochain');
  const got = binding.compileFilter('protochain 6', 'ethernet');
  assert.equal(got.ok, false);
  assert.match(got.ok ? '' : got.error, /a backward jump \(a loop, as `protochain` compiles to\) is not supported/);
});

test('compileFilter throws a TypeError for arguments of the wrong kind', () => {
  assert.throws(() => binding.compileFilter('tcp', 'ppp' as 'raw'), {
    name: 'TypeError',
    message: "compileFilter: linkType is 'ethernet' or 'raw', not 'ppp'",
  });
  assert.throws(() => binding.compileFilter(42 as unknown as string, 'ethernet'), { name: 'TypeError' });
  assert.throws(() => binding.compileFilter('tcp\0udp', 'ethernet'), /contains a NUL character/);
});
