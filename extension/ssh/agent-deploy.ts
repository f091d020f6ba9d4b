// The static capture agent (one executable, no runtime dependencies: the host needs no Node) copied
// to a remote host over SFTP, into a folder named after its version, architecture and content hash
// under ~/.cache. The extension carries one build per architecture (dist/agent/linux-<arch>/), and
// the host's `uname -m` picks it. A folder whose agent already has the right SHA-256 is reused; a
// new one is uploaded under a temporary name, checked, then renamed into place, so a broken upload
// is never mistaken for a good one. Checksums are taken on the host with `sha256sum` (coreutils).
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SFTPWrapper } from 'ssh2';
import type { SshSession } from './ssh-session.js';

export const REMOTE_CACHE_DIR = '.cache/ebpf-packet-capture';
/** The executable's name, here and on the host. */
export const AGENT_EXECUTABLE = 'pcap-agent';

/** `uname -m` of a host → the folder of dist/agent holding the agent built for it. */
const BUILD_FOLDERS: Readonly<Record<string, string>> = { x86_64: 'linux-x64', aarch64: 'linux-arm64' };

export class DeployError extends Error {}

/** One build of the static agent, hashed. */
export interface AgentBinary {
  version: string;
  /** `uname -m` of the hosts it runs on. */
  arch: string;
  localPath: string;
  size: number;
  sha256: string;
  /** Names the remote folder: version, arch and the start of the hash. */
  id: string;
}

export interface DeployedAgent {
  /** ~/.cache/ebpf-packet-capture on the host. */
  cacheDir: string;
  /** The remote folder holding the agent, in cacheDir. */
  dir: string;
  /** The agent's executable in dir. */
  executable: string;
  reused: boolean;
}

/** `uname -m` for Node's process.arch. */
export function unameMachine(arch: string = process.arch): string {
  return ({ x64: 'x86_64', arm64: 'aarch64' } as Record<string, string>)[arch] ?? arch;
}

/** The static agents this extension carries: dist/agent/linux-<arch>/pcap-agent, one per architecture. */
export class AgentBuilds {
  private readonly hashed = new Map<string, AgentBinary>();

  /** agentDir: the extension's dist/agent. */
  constructor(
    readonly agentDir: string,
    readonly version: string,
  ) {}

  /** `uname -m` names of the architectures whose build is present. */
  architectures(): string[] {
    return Object.keys(BUILD_FOLDERS).filter((arch) => fs.existsSync(this.pathFor(arch)));
  }

  /** The build for a host's `uname -m`, hashed once; a DeployError naming the architecture when there is none. */
  forMachine(arch: string): AgentBinary {
    const known = this.hashed.get(arch);
    if (known) return known;
    const folder = BUILD_FOLDERS[arch];
    if (!folder) {
      throw new DeployError(
        `There is no capture agent for ${arch} hosts: the agent is built for ${Object.keys(BUILD_FOLDERS).join(' and ')} only.`,
      );
    }
    const localPath = this.pathFor(arch);
    let data: Buffer;
    try {
      data = fs.readFileSync(localPath);
    } catch (e) {
      throw new DeployError(
        `This copy of the extension carries no capture agent for ${arch} hosts (${localPath}: ${(e as NodeJS.ErrnoException).code}): ` +
          `build it with "bash scripts/build-agent.sh ${folder.replace('linux-', '')}", or reinstall the extension.`,
      );
    }
    const sha256 = createHash('sha256').update(data).digest('hex');
    const binary = {
      version: this.version,
      arch,
      localPath,
      size: data.length,
      sha256,
      id: `agent-${this.version}-${arch}-${sha256.slice(0, 12)}`,
    };
    this.hashed.set(arch, binary);
    return binary;
  }

  private pathFor(arch: string): string {
    return path.join(this.agentDir, BUILD_FOLDERS[arch] ?? `linux-${arch}`, AGENT_EXECUTABLE);
  }
}

export function remoteCacheDir(home: string): string {
  return path.posix.join(home, REMOTE_CACHE_DIR);
}

// Prints the SHA-256 of $1, or "-" when there is no such file; fails only when sha256sum does.
const CHECKSUM_SCRIPT = 'if [ ! -f "$1" ]; then echo -; exit 0; fi; sha256sum -- "$1"';

/** The SHA-256 of a file on the host, or undefined when it does not exist. */
async function remoteSha256(session: SshSession, file: string): Promise<string | undefined> {
  const r = await session.run(['sh', '-c', CHECKSUM_SCRIPT, 'sh', file]);
  if (r.code !== 0) {
    const missing = r.code === 127 ? ` (${session.label} has no sha256sum: install coreutils)` : '';
    throw new DeployError(`Could not check the agent on ${session.label}${missing}: ${r.stderr.trim() || r.ending}`);
  }
  const sum = r.stdout.trim().split(/\s+/)[0];
  return sum === '-' ? undefined : sum;
}

type Progress = (message: string, fraction?: number) => void;

/** Makes the agent present and verified on the host; reuses an earlier upload. */
export async function deployAgent(
  session: SshSession,
  home: string,
  agent: AgentBinary,
  progress: Progress,
): Promise<DeployedAgent> {
  const cacheDir = remoteCacheDir(home);
  const dir = path.posix.join(cacheDir, agent.id);
  const deployed = { cacheDir, dir, executable: path.posix.join(dir, AGENT_EXECUTABLE) };
  progress('Checking for an earlier upload');
  if ((await remoteSha256(session, deployed.executable)) === agent.sha256) return { ...deployed, reused: true };

  const staging = `${dir}.upload-${process.pid}-${Date.now()}`;
  const sftp = await session.sftp();
  try {
    await mkdirs(session, [staging]);
    const message = `Uploading the capture agent (${agent.arch})`;
    progress(message, 0);
    const uploaded = path.posix.join(staging, AGENT_EXECUTABLE);
    await put(sftp, agent.localPath, uploaded, (sent) => progress(message, sent / agent.size));
    progress('Verifying the upload', 1);
    if ((await remoteSha256(session, uploaded)) !== agent.sha256) {
      throw new DeployError(
        `The agent uploaded to ${session.label} does not match its checksum (disk full or a transfer error?). Try again.`,
      );
    }
    const r = await session.run(['sh', '-c', 'rm -rf -- "$2" && mv -- "$1" "$2"', 'sh', staging, dir]);
    if (r.code !== 0)
      throw new DeployError(`Could not install the agent on ${session.label}: ${r.stderr.trim() || r.ending}`);
    return { ...deployed, reused: false };
  } catch (e) {
    await session.run(['rm', '-rf', '--', staging]).catch(() => {});
    throw e;
  } finally {
    sftp.end();
  }
}

// umask, not `mkdir -m`, which would give its mode to the last folder only: every folder made
// here (~/.cache too, when missing) is the user's alone, as root checks before it runs the agent.
async function mkdirs(session: SshSession, dirs: string[]): Promise<void> {
  const r = await session.run(['sh', '-c', 'umask 077 && mkdir -p -- "$@"', 'sh', ...dirs]);
  if (r.code !== 0)
    throw new DeployError(`Could not create ${dirs.join(', ')} on ${session.label}: ${r.stderr.trim() || r.ending}`);
}

// Mode 0700: the user runs it (the interface list needs no root); root runs only its own verified copy.
function put(sftp: SFTPWrapper, localPath: string, remotePath: string, onBytes: (sent: number) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    sftp.fastPut(localPath, remotePath, { mode: 0o700, step: (sent) => onBytes(sent) }, (err) =>
      err
        ? reject(new DeployError(`Upload of ${path.basename(localPath)} to ${remotePath} failed: ${err.message}`))
        : resolve(),
    );
  });
}

/** Deletes everything this extension put on the host; returns the folders that were removed. */
export async function removeDeployedAgents(session: SshSession, home: string): Promise<string[]> {
  const root = remoteCacheDir(home);
  const list = await session.run([
    'sh',
    '-c',
    'cd -- "$1" 2>/dev/null && for d in *; do [ -e "$d" ] && echo "$d"; done; exit 0',
    'sh',
    root,
  ]);
  const found = list.stdout.split('\n').filter((l) => l !== '');
  const r = await session.run(['rm', '-rf', '--', root]);
  if (r.code !== 0)
    throw new DeployError(`Could not remove ${root} on ${session.label}: ${r.stderr.trim() || r.ending}`);
  return found.map((name) => path.posix.join(root, name));
}
