// A real OpenSSH "remote host" for SSH-target tests: sshd in its own network namespace, joined to the
// root namespace by a veth (root 198.51.100.1 / 2001:db8:100::1, remote .2 / ::2), two throwaway
// users (one with passwordless sudo, one without), and a second sshd on 127.0.0.1 in the root
// namespace as a ProxyJump host. Traffic stays on that veth and on loopback: the namespace has no
// route anywhere else and the jump host may only forward to the remote sshd. The remote host has
// no Node.js: its sshd, and all it starts (sessions, sudo, the agent), see no node executable.
//
// Cleanup happens three ways, so neither users with sudo rights nor sshds outlive a run:
// - stop() undoes everything, newest first;
// - every step is also in the kernel tests' cleanup registry (exit, SIGINT/TERM/HUP);
// - a small detached bash watchdog runs the same steps as shell commands (DIR/cleanup.sh) when this
//   process disappears without cleaning up (SIGKILL, crash).
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { registerCleanup } from '../../kernel/helpers/cleanup.js';
import { NET4, NET6, Netns, sh, uniqueName } from '../../kernel/helpers/netns.js';

export interface TestUser {
  name: string;
  /** Login shell: sshd runs every exec request through it. */
  shell: string;
  home: string;
  password: string;
  privateKeyFile: string;
  /** The .pub line of privateKeyFile. */
  publicKey: string;
  /** A second authorized key, encrypted with keyPassphrase. */
  encryptedKeyFile: string;
  keyPassphrase: string;
}

export interface SshFixture {
  /** The remote host (without Node.js): a namespace joined to the root namespace by a veth; the root side has 198.51.100.1, the remote side 198.51.100.2 (and 2001:db8:100::1/::2, nodad). */
  remote: Netns;
  /** The veth inside the namespace. */
  remoteDev: string;
  /** The veth in the root namespace (unique per run, ≤ 15 chars). */
  localDev: string;
  address: string;
  /** sshd listens on address:22 (and [2001:db8:100::2]:22) inside the namespace. */
  port: number;
  /** Passwordless sudo (NOPASSWD: ALL) via a drop-in in /etc/sudoers.d, removed on cleanup. */
  sudoUser: TestUser;
  /** No sudo rights at all, but a password set. */
  plainUser: TestUser;
  /** Passwordless sudo, and a login shell that is not POSIX (tcsh, else fish); undefined when neither is installed. */
  nonPosixShellUser: TestUser | undefined;
  hostKeyType: string;
  /** Base64 blob field of the host key's .pub line. */
  hostPublicKey: string;
  /** `ssh-keygen -lf` SHA256:… of the host key. */
  hostFingerprint: string;
  /** Scratch dir holding everything. */
  dir: string;
  /** Scratch known_hosts, initially empty (mode 0600). */
  knownHostsFile: string;
  /** ssh_config with Host aliases pcap-remote, pcap-remote-plain, pcap-remote-jump, pcap-jump and (with nonPosixShellUser) pcap-remote-nonposix. */
  configFile: string;
  /** A second sshd in the ROOT namespace, same host key, accepting sudoUser's keys; only forwards to the remote sshd. */
  jump: { address: '127.0.0.1'; port: number };
  /** Writes the current host key into knownHostsFile (replacing its content) for the remote and the jump host. */
  trustHostKeys(): void;
  /** Restarts both sshds with a NEW host key; updates hostPublicKey/hostFingerprint. Drops open connections. */
  rotateHostKey(): Promise<void>;
  /** SIGKILLs every per-connection sshd child (not the listeners) with everything below it: drops every SSH connection at once. */
  killConnections(): void;
  /** Runs a command in the remote namespace as root: stdout. */
  exec(cmd: string, args: string[]): string;
  /**
   * `ssh -F configFile EXTRA… -o ConnectTimeout=5 -o BatchMode=yes ALIAS COMMAND`, killed after 30 s.
   * extraOptions: `Key=value` entries become `-o Key=value`, anything else is passed as is. They come
   * first, and ssh keeps the first value it sees, so they can override the defaults (BatchMode=no).
   */
  ssh(alias: string, command: string, extraOptions?: string[]): { code: number; stdout: string; stderr: string };
  /** Removes everything: sshds killed, users deleted (userdel -r), sudoers drop-in, namespace, veth, dir. Idempotent. */
  stop(): Promise<void>;
}

const REMOTE_DEV = 'eth-remote';
const ADDRESS = `${NET4}.2`;
const ADDRESS6 = `${NET6}:2`;
const SSHD = '/usr/sbin/sshd';
const SSH_TIMEOUT_MS = 30_000;
let fixtures = 0;

// ---------------------------------------------------------------------------------------------
// Cleanup: registry + watchdog

/** Shell-quotes one word. */
function q(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

// Runs DIR/cleanup.sh (the undo steps as shell, newest first) once the parent is gone or a zombie.
const WATCHDOG = `
parent=$1 dir=$2
alive() { local s; read -r s < /proc/$parent/stat 2>/dev/null || return 1; s=\${s##*) }; [ "\${s%% *}" != Z ]; }
while alive; do sleep 1; done
[ -f "$dir/cleanup.sh" ] && bash "$dir/cleanup.sh" >/dev/null 2>&1
rm -rf -- "$dir"
`;

const MANIFEST_HEAD = `# Written by test/ssh/helpers/sshd.ts: what is left to undo, newest first.
killtree() { local c; for c in $(pgrep -P "$1"); do killtree "$c"; done; kill -KILL "$1"; }
killuid() { local p; for p in $(pgrep -U "$1"); do kill -KILL "$p"; done; }
`;

/** Undo steps, each both in the cleanup registry (JS) and in DIR/cleanup.sh (for the watchdog). */
class Janitor {
  private readonly steps = new Map<number, { shell: string; unregister: () => void }>();
  private next = 0;
  private readonly manifest: string;

  constructor(dir: string) {
    this.manifest = path.join(dir, 'cleanup.sh');
    this.write();
  }

  /** Registers an undo; returns a function that runs it once. */
  add(shell: string, undo: () => void): () => void {
    const id = this.next++;
    this.steps.set(id, { shell, unregister: registerCleanup(undo) });
    this.write();
    return () => {
      const step = this.steps.get(id);
      if (!step) return;
      try {
        step.unregister();
      } finally {
        this.steps.delete(id);
        this.write();
      }
    };
  }

  /** Runs every step, newest first; throws the first error after trying them all. */
  undoAll(): void {
    let first: unknown;
    for (const id of [...this.steps.keys()].sort((a, b) => b - a)) {
      const step = this.steps.get(id)!;
      this.steps.delete(id);
      try {
        step.unregister();
      } catch (e) {
        first ??= e;
      }
    }
    this.write();
    if (first) throw first;
  }

  private write(): void {
    const lines = [...this.steps.entries()]
      .sort(([a], [b]) => b - a)
      .filter(([, s]) => s.shell)
      .map(([, s]) => `{ ${s.shell}; } 2>/dev/null`);
    try {
      fs.writeFileSync(this.manifest, `${MANIFEST_HEAD + lines.join('\n')}\n`);
    } catch {
      // dir already removed (last step)
    }
  }
}

function startWatchdog(dir: string): number {
  const child = spawn('bash', ['-c', WATCHDOG, 'pcap-ssh-watchdog', String(process.pid), dir], {
    detached: true, // own session: a signal to our process group leaves it alive to clean up
    stdio: 'ignore',
  });
  child.unref();
  return child.pid!;
}

// ---------------------------------------------------------------------------------------------
// Processes (/proc)

interface Proc {
  pid: number;
  ppid: number;
  state: string;
  uid: number;
  comm: string;
}

/** Every process: pid, parent, state (Z = zombie), real uid, command name. */
export function processes(): Proc[] {
  const out: Proc[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      // status, not the owner of /proc/PID: that is root for processes that changed credentials
      // (sshd's per-user child), and status has the real uid that pgrep -U and userdel look at.
      const status = fs.readFileSync(`/proc/${name}/status`, 'utf8');
      const field = (key: string): string => status.match(new RegExp(`^${key}:\\s*(\\S+)`, 'm'))?.[1] ?? '';
      out.push({
        pid: Number(name),
        ppid: Number(field('PPid')),
        state: field('State'),
        uid: Number(field('Uid')),
        comm: field('Name'),
      });
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/** pid and all its descendants that are not zombies. */
function liveSubtree(pid: number, procs: readonly Proc[]): number[] {
  const result: number[] = [];
  const walk = (p: number): void => {
    for (const c of procs) if (c.ppid === p) walk(c.pid);
    const self = procs.find((x) => x.pid === p);
    if (self && self.state !== 'Z') result.push(p);
  };
  walk(pid);
  return result;
}

function killAll(pids: readonly number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** SIGKILLs what select() picks until it picks nothing (children may fork meanwhile). */
function killUntilGone(select: (procs: Proc[]) => number[], what: string, timeoutMs = 5000): void {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pids = select(processes());
    if (pids.length === 0) return;
    if (Date.now() > deadline) throw new Error(`could not kill ${what}: ${pids.join(' ')} still alive`);
    killAll(pids);
    sleepSync(20);
  }
}

// ---------------------------------------------------------------------------------------------
// Network

function v4(addr: string): bigint {
  return addr.split('.').reduce((n, b) => (n << 8n) | BigInt(Number(b)), 0n);
}

function v6(addr: string): bigint {
  const [head, tail] = addr.split('::');
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return groups.reduce((n, g) => (n << 16n) | BigInt(parseInt(g, 16)), 0n);
}

/** Whether two prefixes share addresses. */
function overlaps(family: 4 | 6, a: string, aLen: number, b: string, bLen: number): boolean {
  const bits = family === 4 ? 32 : 128;
  const parse = family === 4 ? v4 : v6;
  const len = BigInt(Math.min(aLen, bLen));
  const shift = BigInt(bits) - len;
  return parse(a) >> shift === parse(b) >> shift;
}

/** Fails clearly if the root namespace already uses the fixture's subnets (another fixture running?). */
function assertSubnetsFree(): void {
  const nets = [
    { family: 4 as const, net: `${NET4}.0`, len: 24, ipFlag: '-4' },
    { family: 6 as const, net: `${NET6}:`, len: 64, ipFlag: '-6' },
  ];
  for (const n of nets) {
    const addrs = JSON.parse(sh('ip', ['-j', n.ipFlag, 'addr'])) as {
      ifname: string;
      addr_info: { local: string; prefixlen: number }[];
    }[];
    for (const link of addrs) {
      for (const a of link.addr_info) {
        if (overlaps(n.family, a.local, a.prefixlen, n.net, n.len)) {
          throw new Error(
            `${n.net}/${n.len} is already in use in the root namespace (${link.ifname} has ${a.local}/${a.prefixlen}); the SSH fixture needs it for its veth`,
          );
        }
      }
    }
    const routes = JSON.parse(sh('ip', ['-j', n.ipFlag, 'route', 'show'])) as { dst: string; dev?: string }[];
    for (const r of routes) {
      if (r.dst === 'default') continue;
      const [dst, len] = r.dst.split('/');
      if (dst !== undefined && overlaps(n.family, dst, Number(len ?? (n.family === 4 ? 32 : 128)), n.net, n.len)) {
        throw new Error(
          `${n.net}/${n.len} is already routed in the root namespace (${r.dst} dev ${r.dev}); the SSH fixture needs it for its veth`,
        );
      }
    }
  }
}

async function waitUp(show: () => string, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((JSON.parse(show())[0] as { operstate: string }).operstate !== 'UP') {
    if (Date.now() > deadline) throw new Error(`${what} did not come up within ${timeoutMs} ms`);
    await sleep(20);
  }
}

/** Namespace + veth; both ends addressed and up, routes checked. */
async function createRemoteHost(j: Janitor, n: number): Promise<{ remote: Netns; localDev: string }> {
  assertSubnetsFree();
  const nsName = uniqueName('ssh');
  let remote: Netns | undefined;
  j.add(`ip netns del ${q(nsName)}`, () => remote?.destroy());
  remote = new Netns(nsName);

  const localDev = `pcsh${process.pid}-${n}`.slice(0, 15);
  // Deleting the namespace deletes the pair too; this covers a failure before the peer moved in.
  j.add(`ip link del ${q(localDev)}`, () => {
    try {
      execFileSync('ip', ['link', 'del', localDev], { stdio: 'ignore', timeout: 10_000 });
    } catch {
      // gone with the namespace
    }
  });
  sh('ip', ['link', 'add', localDev, 'type', 'veth', 'peer', 'name', REMOTE_DEV, 'netns', nsName]);
  sh('ip', ['link', 'set', 'dev', localDev, 'addrgenmode', 'none']); // no link-local chatter
  sh('ip', ['addr', 'add', `${NET4}.1/24`, 'dev', localDev]);
  sh('ip', ['addr', 'add', `${NET6}:1/64`, 'dev', localDev, 'nodad']);
  remote.ip('addr', 'add', `${ADDRESS}/24`, 'dev', REMOTE_DEV);
  remote.ip('addr', 'add', `${ADDRESS6}/64`, 'dev', REMOTE_DEV, 'nodad');
  sh('ip', ['link', 'set', 'dev', localDev, 'up']);
  remote.ip('link', 'set', 'dev', REMOTE_DEV, 'up');
  await waitUp(() => sh('ip', ['-j', 'link', 'show', 'dev', localDev]), localDev);
  await waitUp(() => remote!.ip('-j', 'link', 'show', 'dev', REMOTE_DEV), `${REMOTE_DEV} in ${nsName}`);

  // The whole point: connections to the remote leave through our veth and nowhere else.
  for (const [flag, addr] of [
    ['-4', ADDRESS],
    ['-6', ADDRESS6],
  ] as const) {
    const dev = (JSON.parse(sh('ip', ['-j', flag, 'route', 'get', addr])) as { dev: string }[])[0]?.dev;
    if (dev !== localDev) throw new Error(`route to ${addr} goes via ${dev}, not ${localDev}`);
  }
  return { remote, localDev };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Whether host:port answers with an SSH-2.0 banner within a second. */
function answersSsh(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    let buf = '';
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      sock.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), 1000);
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => {
      buf += d;
      if (buf.includes('\n')) done(buf.startsWith('SSH-2.0-'));
    });
    sock.on('error', () => done(false));
    sock.on('close', () => done(false));
  });
}

// ---------------------------------------------------------------------------------------------
// Keys, users, sudo

interface KeyPair {
  file: string;
  pub: string;
}

function keygen(file: string, comment: string, passphrase = ''): KeyPair {
  fs.rmSync(file, { force: true });
  fs.rmSync(`${file}.pub`, { force: true });
  sh('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-C', comment, '-f', file]);
  return { file, pub: fs.readFileSync(`${file}.pub`, 'utf8').trim() };
}

function fingerprint(pubFile: string): string {
  return sh('ssh-keygen', ['-lf', pubFile]).split(' ')[1] ?? '';
}

/** Debian's tcsh or fish: login shells that parse a command line unlike sh. */
const NON_POSIX_SHELLS = ['/usr/bin/tcsh', '/usr/bin/fish'];

interface CreatedUser extends TestUser {
  uid: number;
}

function deleteUser(name: string, uid: number): void {
  // userdel refuses while the user has processes (sessions the sshds left behind).
  killUntilGone((ps) => ps.filter((p) => p.uid === uid && p.state !== 'Z').map((p) => p.pid), `processes of ${name}`);
  let lastError: unknown;
  for (let attempt = 0; attempt < 20; attempt++) {
    try {
      execFileSync('userdel', ['-r', name], { stdio: 'pipe', timeout: 10_000 });
      return;
    } catch (e) {
      lastError = e;
      if (!userExists(name)) return; // gone, only a warning (e.g. no mail spool)
      sleepSync(50); // zombies still count as "used by process" until reaped
    }
  }
  throw new Error(`userdel -r ${name} failed: ${(lastError as { stderr?: Buffer }).stderr?.toString().trim()}`);
}

function userExists(name: string): boolean {
  try {
    execFileSync('id', ['-u', name], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** A user with a home under dir, a password, and two authorized ed25519 keys (one encrypted). */
function createUser(j: Janitor, dir: string, name: string, shell = '/bin/bash'): CreatedUser {
  if (userExists(name)) throw new Error(`user ${name} already exists (left by an earlier run?)`);
  const home = path.join(dir, 'home', name);
  sh('useradd', ['-m', '-d', home, '-s', shell, '-c', 'pcap ssh fixture', name]);
  const uid = Number(sh('id', ['-u', name]).trim());
  const gid = Number(sh('id', ['-g', name]).trim());
  j.add(`killuid ${uid}; sleep 0.2; userdel -r ${q(name)}`, () => deleteUser(name, uid));

  const password = randomBytes(12).toString('base64url');
  sh('chpasswd', [], { input: `${name}:${password}\n` });
  const keyPassphrase = randomBytes(12).toString('base64url');
  const plain = keygen(path.join(dir, 'keys', name), `${name}@pcap-ssh-fixture`);
  const encrypted = keygen(
    path.join(dir, 'keys', `${name}-encrypted`),
    `${name}-encrypted@pcap-ssh-fixture`,
    keyPassphrase,
  );

  // sshd reads authorized keys with the user's privileges: the user must own (or read) the file.
  const authorized = path.join(dir, 'authorized_keys', name);
  fs.writeFileSync(authorized, `${plain.pub}\n${encrypted.pub}\n`, { mode: 0o600 });
  fs.chownSync(authorized, uid, gid);
  return {
    name,
    shell,
    uid,
    home,
    password,
    privateKeyFile: plain.file,
    publicKey: plain.pub,
    encryptedKeyFile: encrypted.file,
    keyPassphrase,
  };
}

/** /etc/sudoers.d drop-in: NOPASSWD: ALL for sudoUsers; never any mail about plainUser's attempts. */
function grantSudo(j: Janitor, dir: string, sudoUsers: string[], plainUser: string, n: number): void {
  const file = `/etc/sudoers.d/pcap-ssh-fixture-${process.pid}-${n}`; // no '.': sudo would skip it
  const text =
    `# pcap ssh test fixture (${dir}); removed when the test ends\n` +
    sudoUsers.map((user) => `${user} ALL=(ALL:ALL) NOPASSWD: ALL\n`).join('') +
    // sudo mails root about users outside sudoers; on a machine with an MTA that could leave the box.
    `Defaults:${plainUser} !mail_no_user, !mail_badpass, !lecture\n`;
  const draft = path.join(dir, 'sudoers');
  fs.writeFileSync(draft, text, { mode: 0o440 });
  sh('visudo', ['-cf', draft]);
  j.add(`rm -f ${q(file)}`, () => fs.rmSync(file, { force: true }));
  const tmp = `${file}.tmp`; // names with '.' are ignored by @includedir, so the rename is atomic
  fs.copyFileSync(draft, tmp);
  fs.chmodSync(tmp, 0o440);
  fs.renameSync(tmp, file);
}

// ---------------------------------------------------------------------------------------------
// A host without Node.js

/** Where the remote sessions (sshd's default PATH) and sudo (Debian's secure_path) look for commands. */
const COMMAND_FOLDERS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin', '/usr/games'];
const NODE_NAMES = new Set(['node', 'nodejs']);

function realpathOrUndefined(p: string): string | undefined {
  try {
    return fs.realpathSync(p);
  } catch {
    return undefined;
  }
}

/**
 * Shell commands that hide every Node.js executable: each command folder holding one (or this
 * process's own node) gets a read-only overlay whose top layer whites those entries out. They run
 * where the remote sshd starts, in the mount namespace `ip netns exec` makes for it (its mounts
 * never reach the machine), so every session, sudo and agent there finds no node, and they end
 * with sshd.
 */
function hideNodeCommands(dir: string): string[] {
  const node = fs.realpathSync(process.execPath);
  const folders = new Set(
    [...COMMAND_FOLDERS, path.dirname(process.execPath)].flatMap((f) => realpathOrUndefined(f) ?? []),
  );
  const mounts: string[] = [];
  for (const folder of folders) {
    const hidden = fs
      .readdirSync(folder)
      .filter((name) => NODE_NAMES.has(name) || realpathOrUndefined(path.join(folder, name)) === node);
    if (hidden.length === 0) continue;
    const layer = path.join(dir, 'no-node', String(mounts.length));
    fs.mkdirSync(layer, { recursive: true, mode: 0o755 });
    for (const name of hidden) sh('mknod', [path.join(layer, name), 'c', '0', '0']); // an overlayfs whiteout
    mounts.push(`mount -t overlay pcap-no-node -o ro,lowerdir=${q(`${layer}:${folder}`)} ${q(folder)}`);
  }
  return mounts;
}

// ---------------------------------------------------------------------------------------------
// sshd

interface Paths {
  dir: string;
  hostKey: string;
}

function commonSshdConfig(p: Paths, pidName: string): string[] {
  return [
    `HostKey ${p.hostKey}`,
    `PidFile ${path.join(p.dir, `${pidName}.pid`)}`,
    `AuthorizedKeysFile ${path.join(p.dir, 'authorized_keys', '%u')}`,
    'StrictModes no', // the scratch dir lives under /tmp
    'UsePAM no',
    'PubkeyAuthentication yes',
    'KbdInteractiveAuthentication no', // needs PAM
    'PermitRootLogin no',
    'LogLevel VERBOSE',
    'PrintMotd no',
    'PrintLastLog no',
    'UseDNS no',
    'X11Forwarding no',
    'AllowAgentForwarding no',
    'GatewayPorts no',
  ];
}

function remoteSshdConfig(p: Paths, users: string[]): string {
  return [
    'Port 22',
    `ListenAddress ${ADDRESS}`,
    `ListenAddress ${ADDRESS6}`,
    ...commonSshdConfig(p, 'sshd-remote'),
    'PasswordAuthentication yes',
    `AllowUsers ${users.join(' ')}`,
    'Subsystem sftp internal-sftp',
    '',
  ].join('\n');
}

function jumpSshdConfig(p: Paths, port: number, user: string): string {
  return [
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    ...commonSshdConfig(p, 'sshd-jump'),
    'PasswordAuthentication no',
    `AllowUsers ${user}`,
    // It runs in the root namespace: it may forward to the remote sshd and nowhere else.
    'AllowTcpForwarding local',
    `PermitOpen ${ADDRESS}:22 [${ADDRESS6}]:22`,
    'AllowStreamLocalForwarding no',
    'PermitTunnel no',
    '',
  ].join('\n');
}

interface Daemon {
  name: string;
  pid: number;
  child: ChildProcess;
  exited: Promise<void>;
  stop(): Promise<void>;
}

function tail(file: string, lines = 30): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * Starts `sshd -D` (in the namespace if given, after the `setup` shell commands there) and waits
 * until host:port answers with a banner.
 */
async function startSshd(
  j: Janitor,
  o: { name: string; conf: string; log: string; ns?: Netns; setup?: string[]; host: string; port: number },
): Promise<Daemon> {
  sh(SSHD, ['-t', '-f', o.conf]);
  const sshd = [SSHD, '-D', '-f', o.conf, '-E', o.log];
  const argv = o.setup?.length ? ['sh', '-c', `${o.setup.join(' && ')} && exec "$@"`, 'sh', ...sshd] : sshd;
  // `ip netns exec` execs the command in place, and so does sh: child.pid is sshd's pid.
  const [cmd = SSHD, ...args] = o.ns ? ['ip', 'netns', 'exec', o.ns.name, ...argv] : argv;
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  if (!child.pid) throw new Error(`could not start ${cmd}`);
  const pid = child.pid;
  const running = (): boolean => child.exitCode === null && child.signalCode === null;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const pidFile = path.join(path.dirname(o.conf), `sshd-${o.name}.pid`);
  const remove = j.add(`killtree ${pid}; rm -f ${q(pidFile)}`, () => {
    // Connections first: once the listener is gone its children are orphans we could not find.
    if (running()) killUntilGone((ps) => liveSubtree(pid, ps), `sshd ${o.name} (${pid})`);
    fs.rmSync(pidFile, { force: true });
  });
  const stop = async (): Promise<void> => {
    remove();
    await Promise.race([exited, sleep(5000)]);
  };

  const deadline = Date.now() + 10_000;
  for (;;) {
    if (!running()) {
      remove();
      throw new Error(
        `sshd ${o.name} exited during startup (${child.exitCode ?? child.signalCode}): ${stderr.trim()}; ${o.log}:\n${tail(o.log)}`,
      );
    }
    if (await answersSsh(o.host, o.port)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`sshd ${o.name} did not answer on ${o.host}:${o.port} within 10 s; ${o.log}:\n${tail(o.log)}`);
    }
    await sleep(50);
  }
  return { name: o.name, pid, child, exited, stop };
}

// ---------------------------------------------------------------------------------------------
// Client side

function sshConfig(f: {
  address: string;
  port: number;
  knownHostsFile: string;
  sudoUser: TestUser;
  plainUser: TestUser;
  nonPosixShellUser: TestUser | undefined;
  jumpPort: number;
}): string {
  const host = (alias: string, hostName: string, port: number, user: TestUser, extra: string[] = []): string =>
    [
      `Host ${alias}`,
      `  HostName ${hostName}`,
      `  Port ${port}`,
      `  User ${user.name}`,
      `  IdentityFile ${user.privateKeyFile}`,
      '  IdentitiesOnly yes',
      `  UserKnownHostsFile ${f.knownHostsFile}`,
      '  StrictHostKeyChecking ask',
      ...extra.map((l) => `  ${l}`),
      '',
    ].join('\n');
  return [
    '# Written by test/ssh/helpers/sshd.ts for one test run.',
    host('pcap-remote', f.address, f.port, f.sudoUser),
    host('pcap-remote-plain', f.address, f.port, f.plainUser),
    host('pcap-remote-jump', f.address, f.port, f.sudoUser, ['ProxyJump pcap-jump']),
    host('pcap-jump', '127.0.0.1', f.jumpPort, f.sudoUser),
    f.nonPosixShellUser ? host('pcap-remote-nonposix', f.address, f.port, f.nonPosixShellUser) : '',
    // Nothing from this machine's own ssh setup: no agent, no global known hosts, no multiplexing.
    'Host *',
    '  GlobalKnownHostsFile /dev/null',
    '  UpdateHostKeys no',
    '  CheckHostIP no',
    '  IdentityAgent none',
    '  ControlMaster no',
    '  ControlPath none',
    '  ForwardAgent no',
    '',
  ].join('\n');
}

function sshArgs(extra: readonly string[]): string[] {
  return extra.flatMap((o) => (/^\w+=/.test(o) ? ['-o', o] : [o]));
}

// ---------------------------------------------------------------------------------------------

class Fixture implements SshFixture {
  readonly port = 22;
  readonly address = ADDRESS;
  readonly remoteDev = REMOTE_DEV;
  readonly hostKeyType = 'ssh-ed25519';
  hostPublicKey = '';
  hostFingerprint = '';
  private hostKeyGeneration = 0;
  private daemons: Daemon[] = [];
  private stopped = false;
  private readonly hideNode: string[];

  constructor(
    private readonly j: Janitor,
    readonly dir: string,
    readonly remote: Netns,
    readonly localDev: string,
    readonly sudoUser: TestUser,
    readonly plainUser: TestUser,
    readonly nonPosixShellUser: TestUser | undefined,
    readonly jump: { address: '127.0.0.1'; port: number },
    readonly knownHostsFile: string,
    readonly configFile: string,
  ) {
    this.hideNode = hideNodeCommands(dir);
  }

  private get paths(): Paths {
    return {
      dir: this.dir,
      hostKey: path.join(this.dir, 'hostkeys', `ssh_host_ed25519_key-${this.hostKeyGeneration}`),
    };
  }

  private newHostKey(): void {
    const old = this.paths.hostKey;
    this.hostKeyGeneration++;
    const key = keygen(this.paths.hostKey, `pcap-ssh-fixture-host-${this.hostKeyGeneration}`);
    this.hostPublicKey = key.pub.split(' ')[1] ?? '';
    this.hostFingerprint = fingerprint(`${key.file}.pub`);
    for (const f of [old, `${old}.pub`]) fs.rmSync(f, { force: true });
  }

  async startDaemons(): Promise<void> {
    const remoteConf = path.join(this.dir, 'sshd-remote.conf');
    const users = [this.sudoUser, this.plainUser, this.nonPosixShellUser].flatMap((u) => (u ? [u.name] : []));
    fs.writeFileSync(remoteConf, remoteSshdConfig(this.paths, users));
    this.daemons.push(
      await startSshd(this.j, {
        name: 'remote',
        conf: remoteConf,
        log: path.join(this.dir, 'sshd-remote.log'),
        ns: this.remote,
        setup: this.hideNode,
        host: ADDRESS,
        port: 22,
      }),
    );
    const jumpConf = path.join(this.dir, 'sshd-jump.conf');
    fs.writeFileSync(jumpConf, jumpSshdConfig(this.paths, this.jump.port, this.sudoUser.name));
    this.daemons.push(
      await startSshd(this.j, {
        name: 'jump',
        conf: jumpConf,
        log: path.join(this.dir, 'sshd-jump.log'),
        host: '127.0.0.1',
        port: this.jump.port,
      }),
    );
  }

  async start(): Promise<void> {
    this.newHostKey();
    await this.startDaemons();
  }

  trustHostKeys(): void {
    const line = (host: string): string => `${host} ${this.hostKeyType} ${this.hostPublicKey}\n`;
    fs.writeFileSync(this.knownHostsFile, line(ADDRESS) + line(ADDRESS6) + line(`[127.0.0.1]:${this.jump.port}`), {
      mode: 0o600,
    });
  }

  async rotateHostKey(): Promise<void> {
    await this.stopDaemons();
    this.newHostKey();
    await this.startDaemons();
  }

  private async stopDaemons(): Promise<void> {
    for (const d of this.daemons.splice(0).reverse()) await d.stop();
  }

  killConnections(): void {
    for (const d of this.daemons) {
      // Each connection's sshd before what runs under it, as when the link dies: the session cannot
      // report its command's death (an exit status) first.
      killUntilGone(
        (ps) => ps.filter((p) => p.ppid === d.pid && p.state !== 'Z').flatMap((c) => liveSubtree(c.pid, ps).reverse()),
        `connections of sshd ${d.name}`,
      );
    }
  }

  exec(cmd: string, args: string[]): string {
    return this.remote.exec(cmd, args);
  }

  ssh(alias: string, command: string, extraOptions: string[] = []): { code: number; stdout: string; stderr: string } {
    const args = [
      '-F',
      this.configFile,
      ...sshArgs(extraOptions),
      '-o',
      'ConnectTimeout=5',
      '-o',
      'BatchMode=yes',
      alias,
      command,
    ];
    return spawnSyncText('ssh', args, SSH_TIMEOUT_MS);
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const waits = this.daemons.splice(0).map((d) => d.exited);
    this.j.undoAll(); // sshds (connections first), sudoers, users, veth, namespace, watchdog, dir
    await Promise.race([Promise.all(waits), sleep(5000)]); // reap the sshds: no zombies left
  }
}

function spawnSyncText(
  cmd: string,
  args: string[],
  timeoutMs: number,
): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, {
    encoding: 'utf8',
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const timedOut = r.error && (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT';
  return {
    code: r.status ?? -1,
    stdout: r.stdout ?? '',
    stderr: (r.stderr ?? '') + (timedOut ? `\n(killed after ${timeoutMs} ms)` : r.error ? `\n${r.error.message}` : ''),
  };
}

export async function startSshFixture(): Promise<SshFixture> {
  const n = ++fixtures;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pcap-ssh-'));
  fs.chmodSync(dir, 0o755); // users' sessions and sshd's per-user reads traverse it
  const removeDir = registerCleanup(() => fs.rmSync(dir, { recursive: true, force: true }));
  for (const sub of ['home', 'authorized_keys', 'hostkeys']) fs.mkdirSync(path.join(dir, sub), { mode: 0o755 });
  fs.mkdirSync(path.join(dir, 'keys'), { mode: 0o700 });
  fs.mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }); // privilege separation dir

  const j = new Janitor(dir);
  const watchdog = startWatchdog(dir);
  j.add('', () => {
    removeDir();
    try {
      process.kill(watchdog, 'SIGKILL');
    } catch {
      // gone
    }
  });
  // The watchdog step above runs last of all (oldest): after it, nothing is left to watch.
  try {
    const { remote, localDev } = await createRemoteHost(j, n);
    const sudoUser = createUser(j, dir, `pcs${process.pid}`);
    const plainUser = createUser(j, dir, `pcp${process.pid}`);
    const nonPosixShell = NON_POSIX_SHELLS.find((shell) => fs.existsSync(shell));
    const nonPosixShellUser = nonPosixShell ? createUser(j, dir, `pcn${process.pid}`, nonPosixShell) : undefined;
    const sudoUsers = [sudoUser, nonPosixShellUser].flatMap((u) => (u ? [u.name] : []));
    grantSudo(j, dir, sudoUsers, plainUser.name, n);

    const knownHostsFile = path.join(dir, 'known_hosts');
    fs.writeFileSync(knownHostsFile, '', { mode: 0o600 });
    const configFile = path.join(dir, 'ssh_config');
    // A port that is free now; sshd failing to bind it (a race) is reported with its log.
    const jump = { address: '127.0.0.1' as const, port: await freePort() };
    fs.writeFileSync(
      configFile,
      sshConfig({
        address: ADDRESS,
        port: 22,
        knownHostsFile,
        sudoUser,
        plainUser,
        nonPosixShellUser,
        jumpPort: jump.port,
      }),
    );

    const fx = new Fixture(
      j,
      dir,
      remote,
      localDev,
      strip(sudoUser),
      strip(plainUser),
      nonPosixShellUser && strip(nonPosixShellUser),
      jump,
      knownHostsFile,
      configFile,
    );
    try {
      await fx.start();
    } catch (e) {
      await fx.stop();
      throw e;
    }
    return fx;
  } catch (e) {
    j.undoAll();
    throw e;
  }
}

function strip({ uid: _uid, ...user }: CreatedUser): TestUser {
  return user;
}
