// The agent bundle (agent JS, native addon, BPF object) copied to a remote host over SFTP, into a
// folder named after its version, architecture and content hash under ~/.cache. A folder whose
// files already have the right checksums is reused; a new one is uploaded under a temporary name,
// checked, then renamed into place, so a broken upload is never mistaken for a good one.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SFTPWrapper } from 'ssh2';
import type { SshSession } from './ssh-session.js';

export const REMOTE_CACHE_DIR = '.cache/ebpf-packet-capture';
const BUNDLE_FILES = ['pcap-agent.js', 'pcap_capture.node', 'capture.bpf.o'] as const;
export const AGENT_SCRIPT = 'pcap-agent.js';

export class DeployError extends Error {}

export interface BundleFile {
  name: string;
  localPath: string;
  size: number;
  sha256: string;
}

export interface AgentBundle {
  version: string;
  /** `uname -m` of the machine the addon was built for. */
  arch: string;
  files: BundleFile[];
  /** Names the remote folder: version, arch and a hash of every file. */
  id: string;
}

export interface DeployedAgent {
  /** ~/.cache/ebpf-packet-capture on the host. */
  cacheDir: string;
  /** The remote folder holding the bundle, in cacheDir. */
  dir: string;
  /** The agent's script in dir, and its name. */
  script: string;
  scriptName: string;
  reused: boolean;
}

/** `uname -m` for Node's process.arch. */
export function unameMachine(arch: string = process.arch): string {
  return ({ x64: 'x86_64', arm64: 'aarch64' } as Record<string, string>)[arch] ?? arch;
}

/** The bundle this extension carries: dist/agent, built for this machine's architecture. */
export function localAgentBundle(agentDir: string, version: string, arch = unameMachine()): AgentBundle {
  const files = BUNDLE_FILES.map((name) => {
    const localPath = path.join(agentDir, name);
    let data: Buffer;
    try {
      data = fs.readFileSync(localPath);
    } catch (e) {
      throw new DeployError(
        `The extension's agent bundle is incomplete (${localPath}: ${(e as NodeJS.ErrnoException).code}). Rebuild or reinstall the extension.`,
      );
    }
    return { name, localPath, size: data.length, sha256: createHash('sha256').update(data).digest('hex') };
  });
  const digest = createHash('sha256')
    .update(files.map((f) => `${f.name} ${f.sha256}\n`).join(''))
    .digest('hex');
  return { version, arch, files, id: `agent-${version}-${arch}-${digest.slice(0, 12)}` };
}

export function remoteCacheDir(home: string): string {
  return path.posix.join(home, REMOTE_CACHE_DIR);
}

// Hashes with the host's own Node (which the agent needs anyway), so nothing else is assumed.
const CHECKSUM_JS =
  'const c=require("crypto"),f=require("fs");for(const p of process.argv.slice(1)){let h="-";' +
  'try{h=c.createHash("sha256").update(f.readFileSync(p)).digest("hex")}catch{}console.log(h)}';

async function remoteChecksums(session: SshSession, node: string, paths: string[]): Promise<string[]> {
  const r = await session.run([node, '-e', CHECKSUM_JS, ...paths]);
  if (r.code !== 0)
    throw new DeployError(`Could not check the agent files on ${session.label}: ${r.stderr.trim() || r.ending}`);
  return r.stdout.trim().split('\n');
}

async function matches(session: SshSession, node: string, dir: string, bundle: AgentBundle): Promise<boolean> {
  const sums = await remoteChecksums(
    session,
    node,
    bundle.files.map((f) => path.posix.join(dir, f.name)),
  );
  return bundle.files.every((f, i) => sums[i] === f.sha256);
}

type Progress = (message: string, fraction?: number) => void;

/** Makes the bundle present and verified on the host; reuses an earlier upload. */
export async function deployAgent(
  session: SshSession,
  home: string,
  node: string,
  bundle: AgentBundle,
  progress: Progress,
): Promise<DeployedAgent> {
  const cacheDir = remoteCacheDir(home);
  const dir = path.posix.join(cacheDir, bundle.id);
  const deployed = { cacheDir, dir, script: path.posix.join(dir, AGENT_SCRIPT), scriptName: AGENT_SCRIPT };
  progress('Checking for an earlier upload');
  if (await matches(session, node, dir, bundle)) return { ...deployed, reused: true };

  const staging = `${dir}.upload-${process.pid}-${Date.now()}`;
  const sftp = await session.sftp();
  try {
    await mkdirs(session, [staging]);
    const total = bundle.files.reduce((n, f) => n + f.size, 0);
    let done = 0;
    for (const f of bundle.files) {
      progress(`Uploading ${f.name}`, done / total);
      await put(sftp, f.localPath, path.posix.join(staging, f.name), (sent) =>
        progress(`Uploading ${f.name}`, (done + sent) / total),
      );
      done += f.size;
    }
    progress('Verifying the upload', 1);
    if (!(await matches(session, node, staging, bundle))) {
      throw new DeployError(
        `The agent uploaded to ${session.label} does not match its checksums (disk full or a transfer error?). Try again.`,
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

function put(sftp: SFTPWrapper, localPath: string, remotePath: string, onBytes: (sent: number) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    sftp.fastPut(localPath, remotePath, { mode: 0o600, step: (sent) => onBytes(sent) }, (err) =>
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
