import assert from 'node:assert/strict';
import { test } from 'node:test';
import { builderProblem, buildFilter, EMPTY_BUILDER, parseBuiltFilter } from '../../webview/filter-builder.js';

test('the builder writes tcpdump-style expressions', () => {
  assert.equal(buildFilter(EMPTY_BUILDER), '');
  assert.equal(
    buildFilter({ protocol: 'tcp', port: '443', host: '10.0.0.1', direction: 'both' }),
    'tcp and port 443 and host 10.0.0.1',
  );
  assert.equal(
    buildFilter({ protocol: 'any', port: '', host: '10.0.0.0/8', direction: 'in' }),
    'net 10.0.0.0/8 and inbound',
  );
  assert.equal(
    buildFilter({ protocol: 'icmp', port: '53', host: '', direction: 'out' }),
    'icmp and outbound',
    'ICMP has no ports',
  );
  assert.equal(
    buildFilter({ protocol: 'udp', port: ' 53 ', host: ' fe80::1 ', direction: 'both' }),
    'udp and port 53 and host fe80::1',
  );
});

test('expressions the builder could have written come back as builder fields', () => {
  for (const state of [
    { protocol: 'tcp', port: '443', host: '10.0.0.1', direction: 'both' },
    { protocol: 'sctp', port: '', host: '', direction: 'in' },
    { protocol: 'any', port: '80', host: '192.168.0.0/16', direction: 'out' },
    EMPTY_BUILDER,
  ] as const) {
    assert.deepEqual(parseBuiltFilter(buildFilter(state)), state);
  }
  assert.deepEqual(parseBuiltFilter('PORT 22 AND Tcp'), { protocol: 'tcp', port: '22', host: '', direction: 'both' });
  for (const custom of [
    'tcp or udp',
    'not port 22',
    'tcp and tcp',
    'host 10.0.0.0/8',
    'net 10.0.0.1',
    'icmp and port 1',
    'tcp,80',
    'src host 1.2.3.4',
  ]) {
    assert.equal(parseBuiltFilter(custom), undefined, custom);
  }
});

test('the builder checks its own fields', () => {
  assert.equal(builderProblem(EMPTY_BUILDER), undefined);
  assert.match(builderProblem({ ...EMPTY_BUILDER, port: '70000' })!, /Port/);
  assert.match(builderProblem({ ...EMPTY_BUILDER, port: 'http' })!, /Port/);
  assert.match(builderProblem({ ...EMPTY_BUILDER, host: '10.0.0.1 10.0.0.2' })!, /Host/);
});
