// Proves the SSH fixture (helpers/sshd.ts) with OpenSSH's own client: the remote host is a real
// sshd in its own namespace, users, sudo, ProxyJump, host key checking, dropped connections, and
// that nothing is left behind — after stop(), after SIGTERM, and after SIGKILL (the watchdog).
import * as assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { namespaceExists } from '../kernel/helpers/netns.js';
import { processes, type SshFixture, startSshFixture } from './helpers/sshd.js';

const STRICT = ['StrictHostKeyChecking=yes'];

function uidOf(name: string): number {
  return Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
}

function userExists(name: string): boolean {
  return spawnSync('id', [name], { stdio: 'ignore' }).status === 0;
}

function linkExists(dev: string): boolean {
  return spawnSync('ip', ['link', 'show', 'dev', dev], { stdio: 'ignore' }).status === 0;
}

function cmdline(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

/** Live (non-zombie) processes started with a path under dir on their command line (the sshds). */
function processesUsing(dir: string): string[] {
  return processes()
    .filter((p) => p.state !== 'Z' && p.pid !== process.pid && cmdline(p.pid).includes(dir))
    .map((p) => `${p.pid} ${cmdline(p.pid)}`);
}

interface Footprint {
  dir: string;
  ns: string;
  localDev: string;
  users: string[];
  uids: number[];
  jumpPort: number;
}

function footprint(fx: SshFixture): Footprint {
  const users = [fx.sudoUser.name, fx.plainUser.name];
  return {
    dir: fx.dir,
    ns: fx.remote.name,
    localDev: fx.localDev,
    users,
    uids: users.map(uidOf),
    jumpPort: fx.jump.port,
  };
}

/** Everything of a fixture still present; [] when it cleaned up completely. */
function leftovers(f: Footprint): string[] {
  const left: string[] = [];
  if (namespaceExists(f.ns)) left.push(`namespace ${f.ns}`);
  if (linkExists(f.localDev)) left.push(`veth ${f.localDev}`);
  for (const u of f.users) if (userExists(u)) left.push(`user ${u}`);
  for (const file of fs.readdirSync('/etc/sudoers.d')) {
    const text = fs.readFileSync(path.join('/etc/sudoers.d', file), 'utf8');
    if (f.users.some((u) => text.includes(u))) left.push(`sudoers drop-in /etc/sudoers.d/${file}`);
  }
  if (fs.existsSync(f.dir)) left.push(`dir ${f.dir}`);
  left.push(...processesUsing(f.dir).map((p) => `process ${p}`));
  for (const p of processes())
    if (f.uids.includes(p.uid) && p.state !== 'Z') left.push(`process ${p.pid} (${p.comm}) of uid ${p.uid}`);
  return left;
}

async function until(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
  return true;
}

/** An askpass program answering with $PCAP_ASKPASS_SECRET: lets ssh type a password or passphrase. */
function askpass(dir: string): string {
  const file = path.join(dir, 'askpass.sh');
  fs.writeFileSync(file, '#!/bin/sh\nprintf "%s\\n" "$PCAP_ASKPASS_SECRET"\n', { mode: 0o700 });
  return file;
}

/** OpenSSH without the fixture's config: explicit options only, the secret through askpass. */
function sshWithSecret(
  fx: SshFixture,
  user: string,
  secret: string,
  options: string[],
): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(
    'ssh',
    [
      '-F',
      '/dev/null',
      '-o',
      `UserKnownHostsFile=${fx.knownHostsFile}`,
      '-o',
      'GlobalKnownHostsFile=/dev/null',
      '-o',
      'StrictHostKeyChecking=yes',
      '-o',
      'ConnectTimeout=5',
      '-o',
      'IdentityAgent=none',
      ...options,
      '-l',
      user,
      fx.address,
      'id -un',
    ],
    {
      encoding: 'utf8',
      timeout: 30_000,
      killSignal: 'SIGKILL',
      env: { ...process.env, SSH_ASKPASS: askpass(fx.dir), SSH_ASKPASS_REQUIRE: 'force', PCAP_ASKPASS_SECRET: secret },
    },
  );
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('sshd fixture', { timeout: 120_000 }, () => {
  let fx: SshFixture;

  before(async () => {
    fx = await startSshFixture();
  });
  after(async () => {
    await fx?.stop();
  });

  it('refuses the unknown host key with an empty known_hosts', () => {
    assert.equal(fs.statSync(fx.knownHostsFile).size, 0);
    assert.equal(fs.statSync(fx.knownHostsFile).mode & 0o777, 0o600);
    const r = fx.ssh('pcap-remote', 'true', STRICT);
    assert.equal(r.code, 255, r.stderr);
    assert.match(r.stderr, /Host key verification failed/);
  });

  it('logs the sudo user in to the namespace, with passwordless sudo and the advertised host key', () => {
    fx.trustHostKeys();
    const r = fx.ssh('pcap-remote', 'id -un; sudo -n true && echo SUDO_OK; ip -o link; command -v sudo', [
      ...STRICT,
      '-v',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines[0], fx.sudoUser.name);
    assert.ok(lines.includes('SUDO_OK'), r.stdout);
    assert.ok(
      lines.some((l) => l.startsWith(`2: ${fx.remoteDev}@`)),
      r.stdout,
    ); // the namespace's veth
    assert.ok(!r.stdout.includes(fx.localDev), r.stdout); // not the root namespace's
    assert.ok(lines.includes('/usr/bin/sudo'), r.stdout);
    assert.ok(r.stderr.includes(`Server host key: ${fx.hostKeyType} ${fx.hostFingerprint}`), r.stderr);
  });

  it('is a host without Node.js, for its users and for root through sudo, and only there', () => {
    fx.trustHostKeys();
    const where = `${process.execPath} /usr/bin/node /usr/bin/nodejs`;
    for (const [alias, command] of [
      ['pcap-remote', 'command -v node nodejs'], // bash
      ['pcap-remote-nonposix', 'which node nodejs'], // tcsh or fish
      ['pcap-remote', `sudo -n sh -c 'command -v node nodejs; ls ${where}'`],
    ] as const) {
      if (alias === 'pcap-remote-nonposix' && !fx.nonPosixShellUser) continue;
      const r = fx.ssh(alias, command, STRICT);
      assert.notEqual(r.code, 0, `${alias}: ${command} found ${r.stdout}`);
      assert.doesNotMatch(r.stdout, /^\//m, `${alias}: ${command} printed a path`); // tcsh's which says 'node: Command not found.'
    }
    assert.ok(fs.existsSync(process.execPath), 'the machine itself keeps its node');
  });

  it('gives the plain user no sudo', () => {
    const r = fx.ssh('pcap-remote-plain', 'id -un; sudo -n true && echo SUDO_OK || echo SUDO_DENIED', STRICT);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), [fx.plainUser.name, 'SUDO_DENIED']);
  });

  it("accepts the plain user's password, and only that", () => {
    const opts = [
      '-o',
      'PubkeyAuthentication=no',
      '-o',
      'PreferredAuthentications=password',
      '-o',
      'NumberOfPasswordPrompts=1',
    ];
    const ok = sshWithSecret(fx, fx.plainUser.name, fx.plainUser.password, opts);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout.trim(), fx.plainUser.name);
    const bad = sshWithSecret(fx, fx.plainUser.name, 'not-the-password', opts);
    assert.equal(bad.code, 255, bad.stderr);
    assert.match(bad.stderr, /Permission denied/);
  });

  it('accepts the encrypted key with its passphrase', () => {
    const key = fx.sudoUser.encryptedKeyFile;
    const r = sshWithSecret(fx, fx.sudoUser.name, fx.sudoUser.keyPassphrase, [
      '-o',
      'IdentitiesOnly=yes',
      '-i',
      key,
      '-o',
      'PreferredAuthentications=publickey',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), fx.sudoUser.name);
    const fp = execFileSync('ssh-keygen', ['-lf', `${key}.pub`], { encoding: 'utf8' }).split(' ')[1] ?? '';
    assert.ok(
      fs
        .readFileSync(path.join(fx.dir, 'sshd-remote.log'), 'utf8')
        .includes(`Accepted publickey for ${fx.sudoUser.name} from 198.51.100.1`),
      'remote log',
    );
    assert.ok(fs.readFileSync(path.join(fx.dir, 'sshd-remote.log'), 'utf8').includes(fp), `remote log names ${fp}`);
  });

  it('reaches the remote through the jump host', () => {
    const r = fx.ssh('pcap-remote-jump', 'id -un; ip -o link', STRICT);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.startsWith(`${fx.sudoUser.name}\n`), r.stdout);
    assert.ok(r.stdout.includes(`: ${fx.remoteDev}@`), r.stdout);
    const jumpLog = fs.readFileSync(path.join(fx.dir, 'sshd-jump.log'), 'utf8');
    assert.ok(jumpLog.includes(`Accepted publickey for ${fx.sudoUser.name} from 127.0.0.1`), jumpLog);
  });

  it('killConnections() drops a running session at once', async () => {
    const uid = uidOf(fx.sudoUser.name);
    const sleeps = (): number[] =>
      processes()
        .filter((p) => p.uid === uid && p.comm === 'sleep' && p.state !== 'Z')
        .map((p) => p.pid);
    const client = spawn(
      'ssh',
      ['-F', fx.configFile, '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=5', 'pcap-remote', 'sleep 30'],
      { stdio: 'ignore' },
    );
    const exited = new Promise<number | null>((resolve) => client.once('exit', (code) => resolve(code)));
    try {
      assert.ok(await until(() => sleeps().length > 0, 10_000), 'the remote sleep 30 never started');
      const t0 = Date.now();
      fx.killConnections();
      const code = await Promise.race([exited, sleep(5000).then(() => 'still running')]);
      assert.equal(code, 255, 'the ssh client should fail as on a dropped connection');
      assert.ok(Date.now() - t0 < 5000);
      assert.deepEqual(sleeps(), []);
    } finally {
      if (client.exitCode === null && client.signalCode === null) client.kill('SIGKILL');
    }
    // The listeners stay: new connections work.
    assert.equal(fx.ssh('pcap-remote', 'true').code, 0);
  });

  it('rotateHostKey() makes OpenSSH refuse the previously trusted key', async () => {
    const before = fx.hostFingerprint;
    await fx.rotateHostKey();
    assert.notEqual(fx.hostFingerprint, before);
    for (const alias of ['pcap-remote', 'pcap-jump']) {
      const r = fx.ssh(alias, 'true', STRICT);
      assert.equal(r.code, 255, r.stderr);
      assert.match(r.stderr, /REMOTE HOST IDENTIFICATION HAS CHANGED/);
    }
    fx.trustHostKeys();
    const r = fx.ssh('pcap-remote-jump', 'id -un', [...STRICT, '-v']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stderr.includes(`Server host key: ${fx.hostKeyType} ${fx.hostFingerprint}`), r.stderr);
  });

  it('stop() removes everything', async () => {
    const f = footprint(fx);
    assert.ok(processesUsing(f.dir).length >= 2, 'both sshds should be found by their config path');
    await fx.stop();
    assert.deepEqual(leftovers(f), []);
    await fx.stop(); // idempotent
  });
});

// A fixture in a child process that dies: the cleanup registry (SIGTERM) or the watchdog (SIGKILL)
// must still remove it. Runs after the fixture above is gone: both use 198.51.100.0/24.
describe('sshd fixture cleanup when the process dies', { timeout: 120_000 }, () => {
  const helper = path.join(__dirname, 'helpers', 'sshd.ts');
  const script = `
    import(${JSON.stringify(helper)}).then(async (m) => {
      const fx = await (m.startSshFixture ?? m.default.startSshFixture)(); // CJS under tsx: exports on default
      const { execFileSync } = await import('node:child_process');
      const users = [fx.sudoUser.name, fx.plainUser.name];
      const uids = users.map((u) => Number(execFileSync('id', ['-u', u], { encoding: 'utf8' })));
      console.log(JSON.stringify({ dir: fx.dir, ns: fx.remote.name, localDev: fx.localDev, users, uids, jumpPort: fx.jump.port }));
      setInterval(() => {}, 1000);
    });`;

  async function startChild(): Promise<{ child: ReturnType<typeof spawn>; f: Footprint; exited: Promise<void> }> {
    const child = spawn(process.execPath, ['--import', 'tsx', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    let out = '';
    const line = await new Promise<string>((resolve, reject) => {
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) resolve(out.split('\n')[0] ?? '');
      });
      void exited.then(() => reject(new Error(`child exited before starting the fixture: ${out}`)));
    });
    return { child, f: JSON.parse(line) as Footprint, exited };
  }

  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    it(`cleans up after ${signal}`, async () => {
      const { child, f, exited } = await startChild();
      try {
        assert.ok(leftovers(f).length > 0, 'the fixture should exist before the kill');
        child.kill(signal);
        await exited;
        // SIGTERM: the registry cleans up before exit; SIGKILL: the watchdog polls once a second.
        await until(() => leftovers(f).length === 0, signal === 'SIGTERM' ? 2000 : 15_000);
        assert.deepEqual(leftovers(f), []);
      } finally {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }
    });
  }
});
