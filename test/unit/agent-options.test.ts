// The parser of agent/options.ts, the reference the extension's argv builders are checked against
// (agent-contract.test.ts): the inputs that decide what the agent may touch as root (--netns, where
// the --listen token comes from) are refused here as the static agent refuses them
// (test/kernel/bad-input.test.ts and agent-output.test.ts run the agent itself on the same cases,
// token files included).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCaptureArgs, parseInterfacesArgs, resolveNetns, USAGE, UsageError } from '../../agent/options.js';

function rejects(fn: () => unknown, code: string, says: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof UsageError, String(e));
    assert.equal(e.code, code);
    assert.match(e.message, says);
    assert.doesNotMatch(e.message, /\n/, 'one line');
    return true;
  });
}

test('--netns takes a name under /run/netns or /proc/PID/ns/net, nothing else', () => {
  assert.equal(resolveNetns('blue'), '/run/netns/blue');
  assert.equal(resolveNetns('/proc/1234/ns/net'), '/proc/1234/ns/net');
  assert.equal(resolveNetns(undefined), undefined);
  for (const bad of [
    '/run/netns/blue',
    '../etc/passwd',
    '..',
    '.',
    'a/b',
    '/proc/self/ns/net',
    '/proc/12/ns/mnt',
    '/tmp/x',
  ]) {
    rejects(
      () => resolveNetns(bad),
      'E_USAGE',
      /--netns takes a namespace name \(a file in \/run\/netns.*or \/proc\/PID\/ns\/net, got/,
    );
  }
  rejects(() => parseInterfacesArgs(['--netns', '/etc/passwd']), 'E_USAGE', /got "\/etc\/passwd"/);
  rejects(() => parseCaptureArgs(['-i', 'eth0', '--netns', '../x']), 'E_USAGE', /--netns takes/);
});

test('the token never comes from the command line: --token is refused with the ways that work', () => {
  rejects(
    () => parseCaptureArgs(['-i', 'eth0', '--listen', '127.0.0.1:9990', '--token', 's3cret']),
    'E_USAGE',
    /--token is not accepted: a token on the command line is visible in ps.*--token-file FILE \(mode 0600\) or PCAP_AGENT_TOKEN/,
  );
  assert.doesNotMatch(USAGE, /--token T/);
  assert.match(USAGE, /--token-file FILE/);
});

test('--token-file and --no-token go with --listen, and not with each other', () => {
  const listen = ['-i', 'eth0', '--listen', '127.0.0.1:9990'];
  assert.equal(parseCaptureArgs([...listen, '--token-file', 'tok']).tokenFile, 'tok');
  assert.equal(parseCaptureArgs([...listen, '--no-token']).noToken, true);
  rejects(() => parseCaptureArgs(['-i', 'eth0', '--no-token']), 'E_USAGE', /--no-token needs --listen/);
  rejects(() => parseCaptureArgs(['-i', 'eth0', '--token-file', 'tok']), 'E_USAGE', /--token-file needs --listen/);
  rejects(
    () => parseCaptureArgs([...listen, '--no-token', '--token-file', 'tok']),
    'E_USAGE',
    /--no-token contradicts/,
  );
});

test('--overwrite goes with -w FILE', () => {
  assert.equal(parseCaptureArgs(['-i', 'eth0', '-w', 'x.pcapng']).overwrite, false);
  assert.equal(parseCaptureArgs(['-i', 'eth0', '-w', 'x.pcapng', '--overwrite']).overwrite, true);
  rejects(() => parseCaptureArgs(['-i', 'eth0', '--overwrite']), 'E_USAGE', /--overwrite needs -w FILE/);
});

test('--pid, --cgroup and --container choose processes: one of them, well formed, and each implies --processes', () => {
  assert.equal(parseCaptureArgs(['-i', 'eth0']).processes, false);
  assert.equal(parseCaptureArgs(['-i', 'eth0', '--processes']).processes, true);
  const ifAvailable = parseCaptureArgs(['-i', 'eth0', '--processes-if-available']);
  assert.deepEqual([ifAvailable.processes, ifAvailable.processesIfAvailable], [true, true]);
  const required = parseCaptureArgs(['-i', 'eth0', '--processes-if-available', '--pid', '1']);
  assert.deepEqual([required.processes, required.processesIfAvailable], [true, false], 'a chosen process is required');
  for (const chosen of [
    ['--pid', '1'],
    ['--cgroup', '/x'],
    ['--container', 'abcdef012345'],
  ])
    assert.equal(parseCaptureArgs(['-i', 'eth0', ...chosen]).processes, true, chosen.join(' '));
  rejects(() => parseCaptureArgs(['-i', 'eth0', '--pid', '0']), 'E_USAGE', /--pid must be between 1 and 4194304/);
  rejects(() => parseCaptureArgs(['-i', 'eth0', '--pid', 'x']), 'E_USAGE', /--pid must be a whole number/);
  rejects(
    () => parseCaptureArgs(['-i', 'eth0', '--pid', '1', '--cgroup', '/x']),
    'E_USAGE',
    /give only one of --pid, --cgroup and --container/,
  );
  rejects(() => parseCaptureArgs(['-i', 'eth0', '--container', 'web']), 'E_USAGE', /--container takes a container id/);
});
