// The SSH target against a real OpenSSH server: sshd in a network namespace (the "remote host"),
// real users with and without sudo, real host keys and a scratch known_hosts. The extension's SSH
// code runs here in plain Node with scripted answers to its prompts; the VS Code prompts and the
// panel are covered by test/exthost and test/e2e.
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { LiveCapture } from '../../extension/capture/live-capture.js';
import {
  AGENT_EXECUTABLE,
  AgentBuilds,
  REMOTE_CACHE_DIR,
  removeDeployedAgents,
  unameMachine,
} from '../../extension/ssh/agent-deploy.js';
import { checkHostKey } from '../../extension/ssh/known-hosts.js';
import { parseDestination } from '../../extension/ssh/ssh-config.js';
import { type HostKeyQuestion, type SshPrompts, SshSession } from '../../extension/ssh/ssh-session.js';
import { PacketStore } from '../../extension/store/packet-store.js';
import { PcapOverTcpTarget } from '../../extension/targets/pcap-over-tcp.js';
import { SshTarget, type SshTargetHooks } from '../../extension/targets/ssh.js';
import type { AgentProcess } from '../../extension/targets/target.js';
import { REPO, within } from '../kernel/helpers/agent.js';
import { registerCleanup } from '../kernel/helpers/cleanup.js';
import { count } from '../kernel/helpers/judge.js';
import { agentTcx, remoteAgentProcesses, sendUdp } from './helpers/remote.js';
import { type SshFixture, startSshFixture } from './helpers/sshd.js';

const BUILDS = new AgentBuilds(path.join(REPO, 'dist', 'agent'), 'test');
/** The build the remote host (this machine's kernel, in a namespace) gets. */
const AGENT = BUILDS.forMachine(unameMachine());
const UDP_PORT = 5555;

interface Recorder {
  hooks: SshTargetHooks;
  questions: HostKeyQuestion[];
  logs: string[];
  progress: string[];
  sudoAsked: number;
}

/** Hooks as the extension's, with scripted answers instead of VS Code's boxes. */
function recorder(
  fixture: SshFixture,
  answers: Partial<SshPrompts> & {
    trust?: boolean;
    sudoPassword?: string | (() => string | undefined);
    exclude?: boolean;
    configFile?: string;
  } = {},
): Recorder {
  const r: Recorder = {
    questions: [],
    logs: [],
    progress: [],
    sudoAsked: 0,
    hooks: undefined as unknown as SshTargetHooks,
  };
  r.hooks = {
    prompts: {
      confirmHostKey: async (q) => {
        r.questions.push(q);
        return answers.trust ?? false;
      },
      passphrase: answers.passphrase ?? (async () => undefined),
      password: answers.password ?? (async () => undefined),
      keyboardInteractive: answers.keyboardInteractive ?? (async () => undefined),
      sudoPassword: async () => {
        r.sudoAsked++;
        return typeof answers.sudoPassword === 'function' ? answers.sudoPassword() : answers.sudoPassword;
      },
    },
    withProgress: (_title, task) => task((message) => r.progress.push(message)),
    log: (m) => r.logs.push(m),
    resolveOptions: () => ({ configFile: answers.configFile ?? fixture.configFile, systemConfigFile: '' }),
    excludeOwnConnection: () => answers.exclude ?? true,
    agentBuilds: () => BUILDS,
  };
  return r;
}

function knownHostsLines(fixture: SshFixture): string[] {
  return fs
    .readFileSync(fixture.knownHostsFile, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');
}

/** Pipes the agent's pcapng stream into a file; resolves when the agent has exited. */
function toFile(
  agent: AgentProcess,
  file: string,
): { started: Promise<void>; done: Promise<number | null>; stderr: () => string } {
  const out = fs.createWriteStream(file);
  agent.stdout.pipe(out);
  let stderr = '';
  let onStarted: () => void = () => {};
  const started = new Promise<void>((resolve) => {
    onStarted = resolve;
  });
  agent.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (stderr.includes('"event":"started"')) onStarted();
  });
  const done = agent.exited.then(async (code) => {
    if (!out.writableFinished) await new Promise<void>((r) => out.once('finish', () => r()));
    return code;
  });
  return { started: within(started, 30_000, `the agent to start (stderr: ${stderr})`), done, stderr: () => stderr };
}

async function waitUntil(what: string, check: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe('SSH target against a real sshd', { timeout: 600_000 }, () => {
  let fixture: SshFixture;
  let scratch: string;

  before(async () => {
    fixture = await startSshFixture();
    scratch = fs.mkdtempSync(path.join(fixture.dir, 'out-'));
  });
  after(async () => {
    await fixture?.stop();
  });

  test('an unknown host key is refused without consent, and nothing is recorded', async () => {
    const r = recorder(fixture, { trust: false });
    const target = new SshTarget(parseDestination('pcap-remote'), r.hooks);
    await assert.rejects(target.listInterfaces(), /Host key of 198\.51\.100\.2 not accepted/);
    assert.equal(r.questions.length, 1);
    assert.equal(
      r.questions[0]?.fingerprint,
      fixture.hostFingerprint,
      'the prompt shows the SHA256 fingerprint ssh-keygen prints',
    );
    assert.equal(r.questions[0]?.keyType, fixture.hostKeyType);
    assert.deepEqual(knownHostsLines(fixture), []);
  });

  test('an accepted host key is written in OpenSSH format, and OpenSSH then trusts it', async () => {
    const r = recorder(fixture, { trust: true });
    const session = await SshSession.connect(parseDestination('pcap-remote'), {
      configFile: fixture.configFile,
      systemConfigFile: '',
      prompts: r.hooks.prompts,
    });
    session.close();
    assert.equal(r.questions.length, 1);
    assert.equal(knownHostsLines(fixture).length, 1);
    const strict = fixture.ssh('pcap-remote', 'true', ['StrictHostKeyChecking=yes']);
    assert.equal(strict.code, 0, `ssh -o StrictHostKeyChecking=yes accepts the recorded key: ${strict.stderr}`);
  });

  test("deploys the static agent to a host without Node.js, lists the host's interfaces, and reuses the upload", async () => {
    fixture.trustHostKeys();
    const first = recorder(fixture);
    const target = new SshTarget(parseDestination('pcap-remote'), first.hooks);
    const session = await target.connection();
    for (const command of ['command -v node nodejs', "sudo -n sh -c 'command -v node nodejs'"]) {
      const which = await session.run(['sh', '-c', command]);
      assert.notEqual(which.code, 0, `no Node.js on the host: ${command} found ${which.stdout}`);
    }
    const interfaces = await target.listInterfaces();
    const names = interfaces.map((i) => i.name);
    assert.ok(names.includes(fixture.remoteDev), `the namespace's veth is listed: ${names.join(', ')}`);
    assert.ok(!names.includes(fixture.localDev), "the root namespace's interfaces are not");
    assert.ok(
      first.progress.some((m) => m.startsWith('Uploading')),
      `progress reported the upload: ${first.progress.join(' | ')}`,
    );
    assert.ok(first.logs.some((l) => /uploaded to/.test(l)));
    const uploaded = path.join(fixture.sudoUser.home, REMOTE_CACHE_DIR, AGENT.id, AGENT_EXECUTABLE);
    assert.deepEqual(fs.readFileSync(uploaded), fs.readFileSync(AGENT.localPath), 'the static agent, whole');
    assert.deepEqual(fs.readdirSync(path.dirname(uploaded)), [AGENT_EXECUTABLE], 'and nothing else');
    assert.equal(fs.statSync(uploaded).mode & 0o777, 0o700);
    target.dispose();

    const second = recorder(fixture);
    const again = new SshTarget(parseDestination('pcap-remote'), second.hooks);
    await again.listInterfaces();
    assert.ok(
      second.logs.some((l) => /already in/.test(l)),
      `second deploy reuses the cache: ${second.logs.join(' | ')}`,
    );
    assert.ok(!second.progress.some((m) => m.startsWith('Uploading')), 'nothing uploaded the second time');
    again.dispose();
  });

  test('captures over the SSH channel: the right packets, stop closes stdin and the agent exits', async () => {
    fixture.trustHostKeys();
    const r = recorder(fixture);
    const target = new SshTarget(parseDestination('pcap-remote'), r.hooks);
    try {
      const agent = await target.startCapture({
        interfaces: [fixture.remoteDev],
        filter: `udp port ${UDP_PORT}`,
        snaplen: 262144,
      });
      const file = path.join(scratch, 'over-ssh.pcapng');
      const run = toFile(agent, file);
      await run.started;
      await sendUdp(fixture.address, UDP_PORT, 20);
      await sendUdp(fixture.address, UDP_PORT + 1, 5);
      await sleep(300);
      agent.stdin.end();
      assert.equal(await within(run.done, 15_000, 'the agent to exit after stdin closed'), 0, run.stderr());
      assert.match(run.stderr(), /"event":"stopped"/);
      assert.equal(count(file, `udp.dstport == ${UDP_PORT} && !icmp`), 20);
      assert.equal(count(file), 20, 'only what the filter asked for');
      assert.deepEqual(remoteAgentProcesses(fixture), []);
      assert.deepEqual(agentTcx(fixture), [], 'no BPF link left on the host');
    } finally {
      target.dispose();
    }
  });

  test('the capture leaves out its own SSH connection unless told not to', async () => {
    fixture.trustHostKeys();
    for (const exclude of [true, false]) {
      const target = new SshTarget(parseDestination('pcap-remote'), recorder(fixture, { exclude }).hooks);
      try {
        const agent = await target.startCapture({ interfaces: [fixture.remoteDev], filter: '', snaplen: 262144 });
        const file = path.join(scratch, `exclude-${exclude}.pcapng`);
        const run = toFile(agent, file);
        await run.started;
        await sendUdp(fixture.address, UDP_PORT, 10);
        await sleep(300);
        agent.stdin.end();
        assert.equal(await within(run.done, 15_000, 'the agent to exit'), 0, run.stderr());
        assert.equal(count(file, `udp.dstport == ${UDP_PORT} && !icmp`), 10);
        const sshPackets = count(file, 'tcp.port == 22');
        if (exclude) assert.equal(sshPackets, 0, 'no packet of the SSH session itself');
        else assert.ok(sshPackets > 0, 'with the exclusion off, the SSH session shows');
      } finally {
        target.dispose();
      }
    }
  });

  test('into the packet store through LiveCapture, as the panel does', async () => {
    fixture.trustHostKeys();
    const target = new SshTarget(parseDestination('pcap-remote'), recorder(fixture).hooks);
    const store = new PacketStore({ maxPackets: 10_000, maxBytes: 64 << 20, whenFull: 'stop' });
    const statuses: string[] = [];
    const live = new LiveCapture(
      target,
      { interfaces: [fixture.remoteDev], filter: `udp port ${UDP_PORT}`, snaplen: 262144 },
      store,
      {
        onStatus: (s, m) => statuses.push(m ? `${s}: ${m}` : s),
        onPackets: () => {},
      },
    );
    try {
      await within(live.start(), 30_000, 'the capture to start');
      await sendUdp(fixture.address, UDP_PORT, 15);
      await waitUntil('15 packets in the store', () => store.received >= 15);
      await live.stop();
      assert.equal(store.received, 15);
      assert.equal(live.status, 'stopped', statuses.join(' | '));
      assert.ok(
        statuses.some((st) =>
          /^capturing: Leaving out this SSH connection \(198\.51\.100\.1 port \d+ ↔ 198\.51\.100\.2 port 22\)/.test(st),
        ),
        statuses.join(' | '),
      );
    } finally {
      target.dispose();
    }
  });

  test('a dropped SSH connection stops the agent: no process and no BPF link remain on the host', async () => {
    fixture.trustHostKeys();
    const target = new SshTarget(parseDestination('pcap-remote'), recorder(fixture).hooks);
    try {
      const agent = await target.startCapture({ interfaces: [fixture.remoteDev], filter: '', snaplen: 262144 });
      const run = toFile(agent, path.join(scratch, 'killed.pcapng'));
      await run.started;
      assert.equal(remoteAgentProcesses(fixture).length > 0, true, 'the agent runs on the host');
      assert.ok(agentTcx(fixture).length > 0, 'and is attached');
      fixture.killConnections();
      await within(run.done, 15_000, 'the channel to close');
      assert.match(agent.exitReason?.() ?? '', /SSH connection .* closed/);
      await waitUntil('the agent to exit on the host', () => remoteAgentProcesses(fixture).length === 0);
      await waitUntil('the BPF links to go', () => agentTcx(fixture).length === 0);
    } finally {
      target.dispose();
    }
  });

  /** Starts a capture as the panel does and returns the message it fails with. */
  async function captureFailure(target: SshTarget): Promise<string> {
    const store = new PacketStore({ maxPackets: 1000, maxBytes: 1 << 20, whenFull: 'stop' });
    const live = new LiveCapture(target, { interfaces: [fixture.remoteDev], filter: '', snaplen: 262144 }, store, {
      onStatus: () => {},
      onPackets: () => {},
    });
    const outcome = await within(
      live.start().then(
        () => 'started',
        (e: Error) => e.message,
      ),
      30_000,
      'the capture to start or fail',
    );
    if (outcome === 'started') await live.stop();
    return outcome;
  }

  /** Deploys to the sudo user, then lets `tamper` change the cache before root runs the agent. */
  async function refusedAfter(tamper: (cache: string, bundleDir: string) => void): Promise<string> {
    fixture.trustHostKeys();
    const target = new SshTarget(parseDestination('pcap-remote'), recorder(fixture).hooks);
    const cache = path.join(fixture.sudoUser.home, REMOTE_CACHE_DIR);
    try {
      await target.listInterfaces(); // deployed and checked by the user's own process
      tamper(cache, path.join(cache, AGENT.id));
      return await captureFailure(target);
    } finally {
      target.dispose();
      fs.rmSync(cache, { recursive: true, force: true });
      fs.rmSync(`${cache}.elsewhere`, { recursive: true, force: true });
    }
  }

  test('root runs only what root verified: a file swapped after the upload is refused', async () => {
    const marker = path.join(scratch, 'swapped-code-ran-as');
    const message = await refusedAfter((_cache, agentDir) => {
      // What another process of the user could do between the check and the run: same file, same mode.
      fs.writeFileSync(path.join(agentDir, AGENT_EXECUTABLE), `#!/bin/sh\nid -u > ${marker}\n`);
    });
    assert.match(
      message,
      /Refusing to run the capture agent as root: .*\/pcap-agent is not the file the extension uploaded/,
    );
    assert.equal(fs.existsSync(marker), false, 'the swapped code never ran');
    assert.deepEqual(remoteAgentProcesses(fixture), []);
  });

  test('root refuses a cache folder that is a symbolic link', async () => {
    const message = await refusedAfter((cache) => {
      fs.renameSync(cache, `${cache}.elsewhere`);
      fs.symlinkSync(`${cache}.elsewhere`, cache);
    });
    assert.match(message, /Refusing to run the capture agent as root: .*ebpf-packet-capture is a symbolic link/);
  });

  test('root refuses a bundle folder that others can write', async () => {
    const message = await refusedAfter((_cache, agentDir) => fs.chmodSync(agentDir, 0o770));
    assert.match(message, /Refusing to run the capture agent as root: .* can be changed by other users \(mode 770\)/);
  });

  test('the deploy makes every folder it creates private, ~/.cache included', async () => {
    fixture.trustHostKeys();
    const dotCache = path.join(fixture.sudoUser.home, '.cache');
    fs.rmSync(dotCache, { recursive: true, force: true });
    const target = new SshTarget(parseDestination('pcap-remote'), recorder(fixture).hooks);
    try {
      await target.listInterfaces();
      for (const dir of [dotCache, path.join(dotCache, 'ebpf-packet-capture')])
        assert.equal(fs.statSync(dir).mode & 0o777, 0o700, dir);
    } finally {
      target.dispose();
    }
  });

  test('a user without sudo gets a clear message, and nothing is left on the host', async () => {
    fixture.trustHostKeys();
    const r = recorder(fixture, { sudoPassword: fixture.plainUser.password });
    const target = new SshTarget(parseDestination('pcap-remote-plain'), r.hooks);
    try {
      await assert.rejects(target.listInterfaces(), (e: Error) => {
        assert.match(e.message, new RegExp(`${fixture.plainUser.name} may not use sudo on .*capturing needs root`));
        return true;
      });
      assert.equal(r.sudoAsked, 1, 'asked for the sudo password once');
      assert.equal(fs.existsSync(path.join(fixture.plainUser.home, REMOTE_CACHE_DIR)), false, 'no agent uploaded');
    } finally {
      target.dispose();
    }
  });

  test('sudo that asks for a password: asked again after a wrong one, passed on stdin, never shown', async () => {
    fixture.trustHostKeys();
    const user = fixture.plainUser;
    // For this test only, the plain user may sudo with their password.
    const dropIn = `/etc/sudoers.d/pcap-test-password-${process.pid}`;
    fs.writeFileSync(
      dropIn,
      `${user.name} ALL=(ALL) ALL\nDefaults:${user.name} !mail_badpass, !mail_no_user, !lecture\n`,
      { mode: 0o440 },
    );
    const undo = registerCleanup(() => fs.rmSync(dropIn, { force: true }));
    const answers = ['not the password', user.password];
    const r = recorder(fixture, { sudoPassword: () => answers.shift() });
    const target = new SshTarget(parseDestination('pcap-remote-plain'), r.hooks);
    try {
      const agent = await target.startCapture({
        interfaces: [fixture.remoteDev],
        filter: `udp port ${UDP_PORT}`,
        snaplen: 262144,
      });
      const file = path.join(scratch, 'sudo-password.pcapng');
      const run = toFile(agent, file);
      await run.started;
      await sendUdp(fixture.address, UDP_PORT, 5);
      await sleep(300);
      agent.stdin.end();
      assert.equal(await within(run.done, 15_000, 'the agent to exit'), 0, run.stderr());
      assert.equal(count(file), 5);
      assert.equal(r.sudoAsked, 2, 'asked once more after the wrong password, then not again for the capture');
      assert.ok(
        !run.stderr().includes(user.password) && !r.logs.join('\n').includes(user.password),
        'the password shows nowhere',
      );
      assert.deepEqual(remoteAgentProcesses(fixture), []);
      // Forgotten once the agent started: the next capture on the same connection asks again.
      answers.push(user.password);
      const again = await target.startCapture({ interfaces: [fixture.remoteDev], filter: '', snaplen: 262144 });
      const second = toFile(again, path.join(scratch, 'sudo-password-2.pcapng'));
      await second.started;
      assert.equal(r.sudoAsked, 3, 'the password was not kept after the first agent started');
      again.stdin.end();
      assert.equal(await within(second.done, 15_000, 'the second agent to exit'), 0, second.stderr());
    } finally {
      target.dispose();
      undo();
      fs.rmSync(path.join(user.home, REMOTE_CACHE_DIR), { recursive: true, force: true });
    }
  });

  /** For one test, the plain user may sudo with their password; returns the undo. */
  function allowPasswordSudo(): () => void {
    const user = fixture.plainUser;
    const dropIn = `/etc/sudoers.d/pcap-test-password-${process.pid}`;
    fs.writeFileSync(
      dropIn,
      `${user.name} ALL=(ALL) ALL\nDefaults:${user.name} !mail_badpass, !mail_no_user, !lecture\n`,
      { mode: 0o440 },
    );
    return registerCleanup(() => {
      fs.rmSync(dropIn, { force: true });
      fs.rmSync(path.join(user.home, REMOTE_CACHE_DIR), { recursive: true, force: true });
    });
  }

  test('a wrong sudo password twice stops with a clear message', async () => {
    fixture.trustHostKeys();
    const undo = allowPasswordSudo();
    const answers = ['not the password', 'not it either', fixture.plainUser.password];
    const r = recorder(fixture, { sudoPassword: () => answers.shift() });
    const target = new SshTarget(parseDestination('pcap-remote-plain'), r.hooks);
    try {
      assert.match(
        await captureFailure(target),
        /^Wrong sudo password for pcp\d+ on .*, twice: the capture was not started/,
      );
      assert.equal(r.sudoAsked, 2, 'asked once more after the first wrong password, then stopped');
    } finally {
      target.dispose();
      undo();
    }
  });

  test('a password sudo no longer accepts when the capture starts stops it, instead of "starting" forever', async () => {
    fixture.trustHostKeys();
    const undo = allowPasswordSudo();
    const user = fixture.plainUser;
    const r = recorder(fixture, { sudoPassword: user.password });
    const target = new SshTarget(parseDestination('pcap-remote-plain'), r.hooks);
    try {
      await target.listInterfaces(); // the password is checked here
      spawnSync('chpasswd', { input: `${user.name}:changed-${user.password}\n` });
      assert.match(
        await captureFailure(target),
        /sudo on .* did not accept the password for pcp\d+ .*the capture was stopped/,
      );
      await waitUntil(
        'no sudo left waiting on the host',
        () => fixture.exec('sh', ['-c', 'pgrep -u root -f "sudo -k -[S]" || true']).trim() === '',
      );
    } finally {
      spawnSync('chpasswd', { input: `${user.name}:${user.password}\n` });
      target.dispose();
      undo();
    }
  });

  test('a login shell that is not POSIX (tcsh or fish) runs every command as given', async () => {
    const user = fixture.nonPosixShellUser;
    assert.ok(user, 'install the Debian package tcsh (or fish): the fixture needs a non-POSIX login shell');
    fixture.trustHostKeys();
    const tricky = ['back\\slash', 'not !tcp', "it's", 'new\nline', '$HOME', ''];
    const target = new SshTarget(parseDestination('pcap-remote-nonposix'), recorder(fixture).hooks);
    try {
      const session = await target.connection();
      assert.equal((await session.run(['sh', '-c', 'ps -o comm= -p $PPID'])).stdout.trim(), path.basename(user.shell));
      const echoed = await session.run(['printf', '%s\\0', ...tricky]);
      assert.deepEqual(echoed.stdout.split('\0').slice(0, -1), tricky, echoed.stderr);
      const names = (await target.listInterfaces()).map((i) => i.name);
      assert.ok(names.includes(fixture.remoteDev), names.join(', '));
      const store = new PacketStore({ maxPackets: 1000, maxBytes: 1 << 20, whenFull: 'stop' });
      const live = new LiveCapture(
        target,
        { interfaces: [fixture.remoteDev], filter: `udp port ${UDP_PORT}`, snaplen: 262144 },
        store,
        { onStatus: () => {}, onPackets: () => {} },
      );
      await within(live.start(), 30_000, 'the capture to start');
      await sendUdp(fixture.address, UDP_PORT, 5);
      await waitUntil('5 packets', () => store.received >= 5);
      await live.stop();
      assert.equal(store.received, 5);
    } finally {
      target.dispose();
      fs.rmSync(path.join(user.home, REMOTE_CACHE_DIR), { recursive: true, force: true });
    }
  });

  test('ProxyJump: through the jump host to the remote host', async () => {
    fixture.trustHostKeys();
    const target = new SshTarget(parseDestination('pcap-remote-jump'), recorder(fixture).hooks);
    try {
      const names = (await target.listInterfaces()).map((i) => i.name);
      assert.ok(names.includes(fixture.remoteDev), names.join(', '));
    } finally {
      target.dispose();
    }
  });

  test('an encrypted identity file: the passphrase is asked, a wrong one is asked again', async () => {
    fixture.trustHostKeys();
    const config = path.join(scratch, 'encrypted-key.config');
    fs.writeFileSync(
      config,
      [
        'Host enc',
        `  HostName ${fixture.address}`,
        `  User ${fixture.sudoUser.name}`,
        `  IdentityFile ${fixture.sudoUser.encryptedKeyFile}`,
        '  IdentitiesOnly yes',
        '  PasswordAuthentication no',
        `  UserKnownHostsFile ${fixture.knownHostsFile}`,
        '',
      ].join('\n'),
    );
    const answers = ['wrong', fixture.sudoUser.keyPassphrase];
    const asked: string[] = [];
    const session = await SshSession.connect(parseDestination('enc'), {
      configFile: config,
      systemConfigFile: '',
      prompts: {
        ...recorder(fixture).hooks.prompts,
        passphrase: async (file) => {
          asked.push(file);
          return answers.shift();
        },
      },
    });
    try {
      assert.equal((await session.run(['id', '-un'])).stdout.trim(), fixture.sudoUser.name);
      assert.deepEqual(asked, [fixture.sudoUser.encryptedKeyFile, fixture.sudoUser.encryptedKeyFile]);
    } finally {
      session.close();
    }
  });

  test('ssh-agent: the key it holds logs in, with no identity file at hand', async () => {
    fixture.trustHostKeys();
    const socket = path.join(scratch, 'agent.sock');
    const agent = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
    const undo = registerCleanup(() => agent.kill('SIGKILL'));
    try {
      await waitUntil('ssh-agent to listen', () => fs.existsSync(socket));
      const added = spawnSync('ssh-add', [fixture.sudoUser.privateKeyFile], {
        env: { ...process.env, SSH_AUTH_SOCK: socket },
        encoding: 'utf8',
        timeout: 10_000,
      });
      assert.equal(added.status, 0, added.stderr);
      const config = path.join(scratch, 'agent.config');
      fs.writeFileSync(
        config,
        [
          'Host via-agent',
          `  HostName ${fixture.address}`,
          `  User ${fixture.sudoUser.name}`,
          `  IdentityAgent ${socket}`,
          `  IdentityFile ${path.join(scratch, 'no-such-key')}`,
          '  PasswordAuthentication no',
          `  UserKnownHostsFile ${fixture.knownHostsFile}`,
          '',
        ].join('\n'),
      );
      const session = await SshSession.connect(parseDestination('via-agent'), {
        configFile: config,
        systemConfigFile: '',
        prompts: recorder(fixture).hooks.prompts,
      });
      try {
        assert.equal((await session.run(['id', '-un'])).stdout.trim(), fixture.sudoUser.name);
      } finally {
        session.close();
      }
    } finally {
      agent.kill();
      undo();
    }
  });

  test('password authentication as the last resort; a wrong password is "Permission denied"', async () => {
    fixture.trustHostKeys();
    const connect = (password: string) =>
      SshSession.connect(
        { host: fixture.address, user: fixture.plainUser.name },
        {
          configFile: emptyConfig,
          systemConfigFile: '',
          prompts: { ...recorder(fixture).hooks.prompts, password: async () => password },
          // known_hosts of the fixture, as a user's own file would be
          homeDir: fixture.dir,
        },
      ).catch((e: Error) => e);
    const emptyConfig = path.join(scratch, 'empty.config');
    fs.writeFileSync(emptyConfig, '');
    fs.mkdirSync(path.join(fixture.dir, '.ssh'), { recursive: true });
    fs.copyFileSync(fixture.knownHostsFile, path.join(fixture.dir, '.ssh', 'known_hosts'));
    const denied = await connect('not the password');
    assert.ok(denied instanceof Error);
    assert.match(
      denied.message,
      new RegExp(
        `Permission denied for ${fixture.plainUser.name}@${fixture.address.replace(/\./g, '\\.')} \\(tried: .*password`,
      ),
    );
    const ok = await connect(fixture.plainUser.password);
    assert.ok(ok instanceof SshSession, String(ok));
    assert.equal((await ok.run(['id', '-un'])).stdout.trim(), fixture.plainUser.name);
    ok.close();
  });

  test("PCAP-over-TCP through an SSH local forward: the agent in PCA mode on the host's loopback", async () => {
    fixture.trustHostKeys();
    const target = new SshTarget(parseDestination('pcap-remote'), recorder(fixture).hooks);
    const pcaPort = 19_990;
    // The static agent in PCA mode, as a service on the remote host would run it (loopback only).
    const pca = spawn('ip', ['netns', 'exec', fixture.remote.name, AGENT.localPath], {
      env: {
        ...process.env,
        ENABLE_PCA: 'true',
        PCA_SERVER_PORT: String(pcaPort),
        PCA_FILTER: `udp,${UDP_PORT}`,
        INTERFACES: fixture.remoteDev,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const undo = registerCleanup(() => pca.kill('SIGKILL'));
    try {
      await waitUntil(
        'the PCA server to listen',
        () => fixture.exec('sh', ['-c', `ss -ltn 'sport = :${pcaPort}' | tail -n +2`]).trim() !== '',
      );
      const endpoint = new PcapOverTcpTarget(
        { host: '127.0.0.1', port: pcaPort },
        async (e) => (await target.connection()).forwardOut(e.host, e.port),
        'pcap-remote',
      );
      const store = new PacketStore({ maxPackets: 10_000, maxBytes: 64 << 20, whenFull: 'stop' });
      const live = new LiveCapture(endpoint, { interfaces: [], filter: '', snaplen: 262144 }, store, {
        onStatus: () => {},
        onPackets: () => {},
      });
      await within(live.start(), 15_000, 'the stream to open');
      await sleep(500); // the PCA agent attaches when its first client connects
      await sendUdp(fixture.address, UDP_PORT, 12);
      await waitUntil('12 packets through the forward', () => store.received >= 12);
      await live.stop();
      assert.equal(store.received, 12);
      assert.equal(live.status, 'stopped');
    } finally {
      pca.kill();
      undo();
      target.dispose();
    }
  });

  test('a changed host key is refused with a warning, and known_hosts is not touched', async () => {
    fixture.trustHostKeys();
    const before = fs.readFileSync(fixture.knownHostsFile, 'utf8');
    await fixture.rotateHostKey();
    const r = recorder(fixture, { trust: true });
    const target = new SshTarget(parseDestination('pcap-remote'), r.hooks);
    await assert.rejects(target.listInterfaces(), /host key of 198\.51\.100\.2 has changed/);
    assert.equal(r.questions.length, 0, 'never offered to accept it');
    assert.equal(fs.readFileSync(fixture.knownHostsFile, 'utf8'), before);
    assert.equal(
      checkHostKey(
        { user: [fixture.knownHostsFile], global: [] },
        fixture.address,
        22,
        Buffer.from(fixture.hostPublicKey, 'base64'),
      ).status,
      'changed',
    );
    fixture.trustHostKeys();
  });

  test('Remove Agent from Host deletes what was deployed', async () => {
    fixture.trustHostKeys();
    const session = await SshSession.connect(parseDestination('pcap-remote'), {
      configFile: fixture.configFile,
      systemConfigFile: '',
      prompts: recorder(fixture).hooks.prompts,
    });
    try {
      const removed = await removeDeployedAgents(session, fixture.sudoUser.home);
      assert.deepEqual(
        removed.map((d) => path.basename(d)),
        [AGENT.id],
      );
      assert.equal(fs.existsSync(path.join(fixture.sudoUser.home, REMOTE_CACHE_DIR)), false);
      assert.deepEqual(await removeDeployedAgents(session, fixture.sudoUser.home), []);
    } finally {
      session.close();
    }
  });
});
