// The pure parts of the SSH target: the command line for the remote login shell, the host probe and what it says
// is missing, the agent bundle's identity, and PCAP-over-TCP endpoints.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { localAgentBundle, unameMachine } from '../../extension/ssh/agent-deploy.js';
import { missingPrerequisites, PROBE_SCRIPT, parseProbe, pickNode } from '../../extension/ssh/remote-host.js';
import { remoteCommand } from '../../extension/ssh/remote-shell.js';
import { parseEndpoint } from '../../extension/targets/pcap-over-tcp.js';

// sshd hands the exec string to the user's login shell; these are the shells a user may have.
const LOGIN_SHELLS = ['/bin/sh', '/bin/bash', '/usr/bin/fish', '/usr/bin/tcsh'];

test('remoteCommand: every login shell runs exactly the argv we meant, whatever it holds', () => {
  const argv = [
    'printf',
    '%s\\0',
    'plain',
    'with space',
    "it's",
    '$(touch /tmp/pwned)',
    '`id`',
    'a;b|c&d',
    '"dq"',
    'back\\slash \\\\ two',
    'not !tcp and !udp',
    '*',
    '~',
    '',
    'new\nline\n',
    'tcp and (port 22)',
    'ünïcode',
  ];
  const missing = LOGIN_SHELLS.filter((shell) => !fs.existsSync(shell));
  assert.deepEqual(missing, [], 'the Debian packages fish and tcsh provide the non-POSIX login shells');
  for (const shell of LOGIN_SHELLS) {
    const out = execFileSync(shell, ['-c', remoteCommand(argv)], { encoding: 'utf8' });
    assert.deepEqual(out.split('\0').slice(0, -1), argv.slice(2), `under ${shell}`);
  }
});

test('the probe script runs under sh and parses into facts about this machine', () => {
  const out = execFileSync('/bin/sh', ['-s'], {
    input: PROBE_SCRIPT,
    encoding: 'utf8',
    env: { ...process.env, SSH_CONNECTION: '198.51.100.1 51234 198.51.100.2 22' },
  });
  const facts = parseProbe(out);
  assert.equal(facts.os, 'Linux');
  assert.equal(facts.arch, unameMachine());
  assert.equal(facts.kernel, os.release());
  assert.equal(facts.uid, process.getuid!());
  assert.equal(facts.home, os.homedir());
  assert.equal(facts.btf, fs.existsSync('/sys/kernel/btf/vmlinux'));
  assert.match(facts.glibc ?? '', /^2\.\d+$/);
  assert.ok(
    facts.nodes.some((n) => n.version === process.version),
    JSON.stringify(facts.nodes),
  );
  assert.deepEqual(facts.sshConnection, {
    clientAddress: '198.51.100.1',
    clientPort: 51234,
    serverAddress: '198.51.100.2',
    serverPort: 22,
  });
  assert.equal(facts.sudo, process.getuid!() === 0 ? 'root' : facts.sudo);
  assert.deepEqual(missingPrerequisites('this machine', facts, [unameMachine()]), []);
});

const READY = parseProbe(
  [
    'os=Linux',
    'arch=x86_64',
    'kernel=6.1.0-18-amd64',
    'uid=1000',
    'user=dev',
    'home=/home/dev',
    'btf=yes',
    'glibc=glibc 2.36',
    'node=v20.11.1 /usr/bin/node',
    'sudo=nopasswd',
    'ssh_connection=',
  ].join('\n'),
);

test('each missing prerequisite is one precise sentence', () => {
  const problems = (change: Partial<typeof READY>) =>
    missingPrerequisites('dev@box', { ...READY, ...change }, ['x86_64']);
  assert.deepEqual(problems({}), []);
  assert.match(problems({ os: 'Darwin' }).join(), /dev@box runs Darwin; the capture agent needs Linux/);
  assert.match(problems({ arch: 'aarch64' }).join(), /dev@box is aarch64; this build .* for x86_64 only/);
  assert.match(
    problems({ kernel: '5.4.0-150-generic' }).join(),
    /Linux 5\.4\.0-150-generic; eBPF capture needs 5\.8 or later/,
  );
  assert.match(problems({ glibc: '2.31' }).join(), /glibc 2\.31; the capture agent needs glibc 2\.33 or later/);
  assert.match(
    problems({ nodes: [] }).join(),
    /no Node\.js 18 or later on PATH: install one .* or connect once with VS Code Remote-SSH/,
  );
  assert.match(
    problems({ nodes: [{ path: '/usr/bin/node', version: 'v12.22.9' }] }).join(),
    /found only v12\.22\.9 at \/usr\/bin\/node/,
  );
  assert.match(problems({ sudo: 'missing' }).join(), /sudo is not installed on dev@box/);
  assert.equal(
    problems({ kernel: '4.19.0', nodes: [], sudo: 'missing' }).length,
    3,
    'all of them at once, not one per attempt',
  );
});

test("pickNode: PATH first, else a VS Code server's Node, never one older than 18", () => {
  const vscodeNode = { path: '/home/dev/.vscode-server/cli/servers/Stable-abc/server/node', version: 'v20.18.2' };
  assert.equal(
    pickNode({ ...READY, nodes: [{ path: '/usr/bin/node', version: 'v16.20.0' }, vscodeNode] })?.path,
    vscodeNode.path,
  );
  assert.equal(pickNode({ ...READY, nodes: [{ path: '/usr/bin/node', version: 'v16.20.0' }] }), undefined);
});

test('the probe finds the Node a VS Code server left in the home folder', () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'probe-home-'));
  try {
    const server = path.join(home, '.vscode-server', 'cli', 'servers', 'Stable-0123', 'server');
    fs.mkdirSync(server, { recursive: true });
    fs.symlinkSync(process.execPath, path.join(server, 'node'));
    const out = execFileSync('/bin/sh', ['-s'], {
      input: PROBE_SCRIPT,
      encoding: 'utf8',
      env: { PATH: '/usr/sbin:/sbin', HOME: home },
      stdio: 'pipe', // with no uname or id on this PATH, the probe's complaints are expected: keep them out of the log
    });
    assert.deepEqual(parseProbe(out).nodes, [{ path: path.join(server, 'node'), version: process.version }]);
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
});

test('the agent bundle is named by version, architecture and content', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bundle-'));
  try {
    for (const f of ['pcap-agent.js', 'pcap_capture.node', 'capture.bpf.o']) fs.writeFileSync(path.join(dir, f), f);
    const a = localAgentBundle(dir, '1.2.3', 'x86_64');
    assert.match(a.id, /^agent-1\.2\.3-x86_64-[0-9a-f]{12}$/);
    assert.equal(a.files.length, 3);
    fs.appendFileSync(path.join(dir, 'capture.bpf.o'), 'changed');
    assert.notEqual(localAgentBundle(dir, '1.2.3', 'x86_64').id, a.id, 'a rebuilt file is a new bundle');
    fs.rmSync(path.join(dir, 'pcap_capture.node'));
    assert.throws(() => localAgentBundle(dir, '1.2.3'), /agent bundle is incomplete .*pcap_capture\.node: ENOENT/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('PCAP-over-TCP endpoints', () => {
  assert.deepEqual(parseEndpoint('127.0.0.1:9990'), { host: '127.0.0.1', port: 9990 });
  assert.deepEqual(parseEndpoint(' 9990 '), { host: '127.0.0.1', port: 9990 });
  assert.deepEqual(parseEndpoint('[::1]:57012'), { host: '::1', port: 57012 });
  assert.deepEqual(parseEndpoint('agent.internal:2000'), { host: 'agent.internal', port: 2000 });
  assert.throws(() => parseEndpoint('host:0'), /between 1 and 65535/);
  assert.throws(() => parseEndpoint('host:70000'), /between 1 and 65535/);
  assert.throws(() => parseEndpoint('host'), /Expected HOST:PORT/);
});
