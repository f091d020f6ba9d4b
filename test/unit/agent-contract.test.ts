// The contract between the extension and the agent, from the TypeScript side: the argv the
// extension builds is what the reference parser (agent/options.ts) reads back, a control line is
// one JSON line holding the command, every event of the union passes the event check, and the
// check refuses what is not an event. test/kernel/agent-contract.test.ts holds the real agent to it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { controlLine } from '../../agent/control.js';
import { type AgentEvent, isAgentEvent, parseAgentEvent } from '../../agent/events.js';
import { parseInterfaceList } from '../../agent/host.js';
import {
  type CaptureOptions,
  captureArgv,
  interfacesArgv,
  parseCaptureArgs,
  parseInterfacesArgs,
  UsageError,
} from '../../agent/options.js';
import { type CaptureRequest, captureArgs } from '../../extension/targets/target.js';

/** parseCaptureArgs of what captureArgv built (its first word is the command). */
function roundTrip(options: Parameters<typeof captureArgv>[0]): CaptureOptions {
  const [command, ...args] = captureArgv(options);
  assert.equal(command, 'capture');
  return parseCaptureArgs(args);
}

test('every capture option the builder writes, the parser reads back unchanged', () => {
  const everything: CaptureOptions = {
    interfaces: ['eth0', '-dash'],
    netns: '/run/netns/blue',
    filter: '-1 or tcp port 80',
    exclude: '-2 or host 198.18.0.1',
    snaplen: 96,
    directions: ['in'],
    count: 5,
    maxBytes: 100_000,
    durationMs: 1500,
    format: 'pcap',
    nanosecondPcap: true,
    write: '-',
    overwrite: false,
    listen: { host: '::1', port: 7777 },
    tokenFile: undefined,
    noToken: true,
    eventsJson: true,
    ringBytes: 65536,
    attachMode: 'clsact',
    processes: true,
    processesIfAvailable: false,
    pid: 4242,
    cgroup: undefined,
    container: undefined,
  };
  assert.deepEqual(roundTrip(everything), everything);
  for (const chosen of [
    { pid: undefined, cgroup: '-/system.slice/x' },
    { pid: undefined, container: 'abcdef012345' },
    { pid: undefined, processesIfAvailable: true },
  ]) {
    const other = { ...everything, ...chosen };
    assert.deepEqual(roundTrip(other), other);
  }
  const toFile = { ...everything, write: 'out.pcapng', overwrite: true, listen: undefined, noToken: false };
  assert.deepEqual(roundTrip(toFile), toFile);
  const withToken = { ...everything, noToken: false, tokenFile: '-token file' };
  assert.deepEqual(roundTrip(withToken), withToken);
  const procNetns = { ...toFile, netns: '/proc/1/ns/net', directions: ['in', 'out'] as CaptureOptions['directions'] };
  assert.deepEqual(roundTrip(procNetns), procNetns);
});

test('options the builder is not given take the parser defaults', () => {
  assert.deepEqual(roundTrip({ interfaces: ['eth0'] }), parseCaptureArgs(['-i', 'eth0']));
  assert.deepEqual(captureArgv({ interfaces: ['eth0'], filter: '' }), ['capture', '--interface', 'eth0']);
});

test('a capture without a direction is refused, not written as an argv the agent reads otherwise', () => {
  assert.throws(() => captureArgv({ interfaces: ['eth0'], directions: [] }), UsageError);
});

test("the extension's capture request becomes pcapng on stdout with JSON events, in its namespace", () => {
  const parsed = parseCaptureArgs(
    captureArgs({ interfaces: ['eth0'], filter: '  ', snaplen: 128, exclude: 'tcp port 22' }, 'red').slice(1),
  );
  assert.equal(parsed.format, 'pcapng');
  assert.equal(parsed.write, '-');
  assert.equal(parsed.eventsJson, true);
  assert.equal(parsed.filter, '', 'a blank filter is no filter');
  assert.equal(parsed.exclude, 'tcp port 22');
  assert.equal(parsed.snaplen, 128);
  assert.equal(parsed.netns, '/run/netns/red');
  assert.equal(parsed.processes, false);
  const attributed = parseCaptureArgs(
    captureArgs({ interfaces: ['eth0'], filter: '', snaplen: 128, pid: 77 }).slice(1),
  );
  assert.equal(attributed.pid, 77);
  assert.equal(attributed.processes, true, '--pid implies --processes');
  assert.equal(
    parseCaptureArgs(captureArgs({ interfaces: ['eth0'], filter: '', snaplen: 128, processes: true }).slice(1))
      .processes,
    true,
  );
  const ifAvailable = (request: Partial<CaptureRequest>) =>
    parseCaptureArgs(
      captureArgs({ interfaces: ['eth0'], filter: '', snaplen: 128, processesIfAvailable: true, ...request }).slice(1),
    );
  assert.deepEqual(
    [ifAvailable({}).processes, ifAvailable({}).processesIfAvailable],
    [true, true],
    'processes where the host can',
  );
  assert.deepEqual(
    [ifAvailable({ pid: 77 }).processes, ifAvailable({ pid: 77 }).processesIfAvailable],
    [true, false],
    'a process chosen makes attribution a requirement',
  );
});

test('the interfaces argv round-trips', () => {
  for (const o of [
    { json: true, netns: '/run/netns/blue' },
    { json: false, netns: undefined },
  ]) {
    const [command, ...args] = interfacesArgv(o);
    assert.equal(command, 'interfaces');
    assert.deepEqual(parseInterfacesArgs(args), o);
  }
});

test('control lines are one JSON line each, holding the command written', () => {
  for (const command of [
    { command: 'set-filter', filter: 'tcp port 443 and "quoted"\nnot a second line' },
    { command: 'stop' },
  ] as const) {
    const line = controlLine(command);
    assert.equal(line.indexOf('\n'), line.length - 1, 'one line, newline-terminated');
    assert.deepEqual(JSON.parse(line), command);
  }
});

/** One event of every kind. */
const EVERY_EVENT: AgentEvent[] = [
  {
    event: 'started',
    interfaces: [{ name: 'eth0', ifindex: 2, mode: 'tcx' }],
    filter: 'tcp',
    exclude: 'port 22',
    snaplen: 262144,
    format: 'pcapng',
    processes: true,
  },
  { event: 'attached', interface: { name: 'eth1', ifindex: 3, mode: 'clsact' } },
  {
    event: 'stats',
    packets: 1,
    bytes: 2,
    kernelDropped: 3,
    sinkDropped: 4,
    interfaces: [{ name: 'eth0', ifindex: 2, seen: 5, matched: 4, captured: 3, dropped: 1 }],
  },
  { event: 'interfaces', chosen: [{ name: 'eth0', reason: 'matches INTERFACES' }], left: [] },
  { event: 'clients', count: 2 },
  { event: 'refused', reason: 'too-many-logins', limit: 8, peer: '127.0.0.1:5000' },
  { event: 'warning', code: 'W_NO_TOKEN', message: 'no token' },
  { event: 'filter', filter: 'udp' },
  { event: 'stopped', reason: 'stdin-closed', packets: 1, bytes: 2, kernelDropped: 0, sinkDropped: 0 },
  { event: 'error', code: 'E_FILTER', message: 'invalid filter' },
];

test('every event of the union, as the agent writes it (a time added), passes the check with its fields intact', () => {
  const lines = EVERY_EVENT.map((e) => JSON.stringify({ ...e, time: new Date().toISOString() }));
  lines.forEach((line, i) => {
    const parsed = parseAgentEvent(line);
    assert.ok(parsed, `not an event: ${line}`);
    const { time, ...fields } = parsed as AgentEvent & { time: string };
    assert.match(time, /^\d{4}-\d\d-\d\dT/);
    assert.deepEqual(fields, EVERY_EVENT[i]);
  });
});

test('what is not an event of the union is refused', () => {
  assert.equal(parseAgentEvent('sudo: a password is required'), undefined);
  assert.equal(parseAgentEvent('{"event":"rebooted"}'), undefined, 'an unknown kind');
  assert.equal(parseAgentEvent('[1]'), undefined);
  const stopped = EVERY_EVENT.find((e) => e.event === 'stopped')!;
  assert.ok(isAgentEvent(stopped));
  assert.ok(!isAgentEvent({ ...stopped, reason: 'bored' }), 'a stop reason outside the union');
  assert.ok(!isAgentEvent({ ...stopped, packets: '1' }), 'a count as text');
  assert.ok(!isAgentEvent({ ...stopped, kernelDropped: undefined }), 'a field missing');
  const started = EVERY_EVENT[0]!;
  assert.ok(!isAgentEvent({ ...started, interfaces: [{ name: 'eth0' }] }), 'an interface without ifindex and mode');
});

test('the interface list is checked entry by entry', () => {
  const eth0 = {
    name: 'eth0',
    index: 2,
    up: true,
    running: true,
    loopback: false,
    hatype: 1,
    mac: '02:00:00:00:00:01',
    rxPackets: 10,
    txPackets: 11,
    addresses: [{ family: 4, address: '198.18.0.1', prefix: 24 }],
  };
  assert.deepEqual(parseInterfaceList(JSON.stringify([eth0])), [eth0]);
  assert.throws(() => parseInterfaceList('not json'), /printed no JSON/);
  assert.throws(() => parseInterfaceList('{}'), /no list/);
  assert.throws(
    () => parseInterfaceList(JSON.stringify([eth0, { ...eth0, addresses: [{ family: 5 }] }])),
    /entry 1 is not an interface/,
  );
});
