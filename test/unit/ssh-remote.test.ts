// The pure parts of the SSH target: the command line for the remote login shell, the host probe and what it says
// is missing, the choice and identity of the static agent deployed, and PCAP-over-TCP endpoints.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { AgentBuilds, unameMachine } from '../../extension/ssh/agent-deploy.js';
import { missingPrerequisites, PROBE_SCRIPT, parseProbe } from '../../extension/ssh/remote-host.js';
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
  assert.equal(facts.ringBuffer, true, 'this kernel has BPF ring buffers');
  assert.equal(facts.sha256sum, true);
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
    'ssh_connection=',
    'ringbuf=yes',
    'sha256sum=yes',
    'sudo=nopasswd',
  ].join('\n'),
);

test('each missing prerequisite is one precise sentence, all of them in one go', () => {
  const problems = (change: Partial<typeof READY>, built = ['x86_64', 'aarch64']) =>
    missingPrerequisites('dev@box', { ...READY, ...change }, built);
  assert.deepEqual(problems({}), []);
  assert.match(problems({ os: 'Darwin' }).join(), /dev@box runs Darwin; the capture agent needs Linux/);
  assert.match(
    problems({ arch: 'riscv64' }).join(),
    /dev@box is riscv64; .* capture agent for x86_64 and aarch64 only/,
  );
  assert.match(problems({ arch: 'aarch64' }, ['x86_64']).join(), /dev@box is aarch64; .* for x86_64 only/);
  assert.match(problems({}, []).join(), /carries no capture agent \(dist\/agent\/linux-\*\/pcap-agent\)/);
  assert.match(
    problems({ kernel: '5.4.0-150-generic', ringBuffer: false }).join(),
    /dev@box runs Linux 5\.4\.0-150-generic, which has no BPF ring buffer \(Linux 5\.8 and later have one\)/,
  );
  assert.match(problems({ sha256sum: false }).join(), /dev@box has no sha256sum.*install coreutils/);
  assert.match(problems({ sudo: 'missing' }).join(), /sudo is not installed on dev@box/);
  assert.equal(
    problems({ arch: 'riscv64', ringBuffer: false, sha256sum: false, sudo: 'missing' }).length,
    4,
    'all of them at once, not one per attempt',
  );
});

test('what the agent copes with, or judges itself, is no reason to refuse a host', () => {
  const problems = (change: Partial<typeof READY>) =>
    missingPrerequisites('dev@box', { ...READY, ...change }, ['x86_64']);
  assert.deepEqual(problems({ kernel: '6.1.0-18-amd64' }), [], 'no tcx before 6.6: the agent attaches through clsact');
  assert.deepEqual(problems({ btf: false }), [], 'the capture program needs no BTF (no CO-RE relocations)');
  assert.deepEqual(
    problems({ kernel: '4.18.0-553.el8_10.x86_64', ringBuffer: true }),
    [],
    'an older distribution kernel with the ring buffer backported (RHEL 8)',
  );
  assert.deepEqual(
    problems({ kernel: '5.4.0', ringBuffer: undefined }),
    [],
    'unknown (no /proc/kallsyms): the agent says what is missing when it loads',
  );
});

test('the probe needs no Node.js and finds no sha256sum where there is none', () => {
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'probe-bin-'));
  try {
    // A PATH with the commands the probe uses, but neither node nor sha256sum.
    for (const tool of ['uname', 'id', 'grep', 'sudo'])
      fs.symlinkSync(
        execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim(),
        path.join(bin, tool),
      );
    const out = execFileSync('/bin/sh', ['-s'], {
      input: PROBE_SCRIPT,
      encoding: 'utf8',
      env: { PATH: bin, HOME: os.homedir() },
    });
    const facts = parseProbe(out);
    assert.equal(facts.os, 'Linux');
    assert.equal(facts.sha256sum, false);
    assert.match(missingPrerequisites('this machine', facts, [unameMachine()]).join(), /no sha256sum/);
  } finally {
    fs.rmSync(bin, { recursive: true, force: true });
  }
});

test("the agent deployed is the build for the host's architecture, named by version, architecture and content", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'builds-'));
  try {
    for (const folder of ['linux-x64', 'linux-arm64']) {
      fs.mkdirSync(path.join(dir, folder));
      fs.writeFileSync(path.join(dir, folder, 'pcap-agent'), folder);
    }
    const builds = new AgentBuilds(dir, '1.2.3');
    assert.deepEqual(builds.architectures(), ['x86_64', 'aarch64']);
    const x64 = builds.forMachine('x86_64');
    assert.equal(x64.localPath, path.join(dir, 'linux-x64', 'pcap-agent'));
    assert.match(x64.id, /^agent-1\.2\.3-x86_64-[0-9a-f]{12}$/);
    const arm64 = builds.forMachine('aarch64');
    assert.equal(arm64.localPath, path.join(dir, 'linux-arm64', 'pcap-agent'));
    assert.match(arm64.id, /^agent-1\.2\.3-aarch64-/);
    assert.notEqual(arm64.sha256, x64.sha256);
    fs.appendFileSync(path.join(dir, 'linux-x64', 'pcap-agent'), 'changed');
    assert.notEqual(new AgentBuilds(dir, '1.2.3').forMachine('x86_64').id, x64.id, 'a rebuilt agent is a new folder');
    assert.throws(
      () => builds.forMachine('riscv64'),
      /no capture agent for riscv64 hosts: the agent is built for x86_64 and aarch64 only/,
    );
    fs.rmSync(path.join(dir, 'linux-arm64'), { recursive: true });
    assert.deepEqual(new AgentBuilds(dir, '1.2.3').architectures(), ['x86_64']);
    assert.throws(
      () => new AgentBuilds(dir, '1.2.3').forMachine('aarch64'),
      /carries no capture agent for aarch64 hosts \(.*linux-arm64\/pcap-agent: ENOENT\): build it with "bash scripts\/build-agent\.sh arm64"/,
    );
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
