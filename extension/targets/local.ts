// This machine, captured by the static agent built for it (dist/agent/linux-ARCH/pcap-agent, no
// Node needed). The agent needs root: run it directly when the extension host is root, else
// through `sudo -n`, else through `sudo -S` with a password asked in a VS Code password box and
// written to sudo's stdin (never on a command line, never logged).
import { execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RawInterface } from '../../agent/host.js';
import { parseInterfaceList } from '../../agent/host.js';
import { interfacesArgv } from '../../agent/options.js';
import type { InterfaceInfo, TargetInfo } from '../../packet/protocol.js';
import { asRoot, isWrongSudoPassword } from './elevate.js';
import {
  type AgentProcess,
  type CaptureRequest,
  type CaptureTarget,
  captureArgs,
  childAgentProcess,
} from './target.js';

export class CaptureStartError extends Error {}

/** Asks the user for their sudo password; undefined when they cancel. */
export type PasswordPrompt = () => Promise<string | undefined>;

/** The static agent for this machine's architecture (scripts/build-agent.sh): no Node needed to run it. */
export function localAgent(extensionPath: string, arch: string = process.arch): string {
  return path.join(extensionPath, 'dist', 'agent', `linux-${arch}`, 'pcap-agent');
}

function run(file: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 127) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

export function toInterfaceInfo(i: RawInterface): InterfaceInfo {
  return {
    name: i.name,
    up: i.up,
    loopback: i.loopback,
    addresses: i.addresses.map((a) => `${a.address}/${a.prefix}`),
  };
}

/** Named network namespaces (`ip netns add`): each is a local target of its own. */
export function listNetns(dir = '/run/netns'): string[] {
  try {
    return fs.readdirSync(dir).sort();
  } catch {
    return [];
  }
}

export class LocalTarget implements CaptureTarget {
  readonly info: TargetInfo;

  constructor(
    extensionPath: string,
    private readonly askPassword: PasswordPrompt,
    /** A named network namespace on this machine, or the machine's own. */
    private readonly netns?: string,
    /** The agent executable: the static one built for this machine. */
    private readonly agent = localAgent(extensionPath),
  ) {
    this.info = netns
      ? {
          id: `local:netns:${netns}`,
          kind: 'local',
          label: `Local · netns ${netns}`,
          description: `network namespace ${netns} on this machine`,
        }
      : { id: 'local', kind: 'local', label: 'Local', description: 'this machine' };
  }

  /** The agent, or a message naming what is missing (an extension built for another machine, or not built). */
  private get agentCommand(): string[] {
    if (!fs.existsSync(this.agent)) {
      throw new CaptureStartError(
        `The capture agent for this machine (Linux ${process.arch}) is missing: ${this.agent}. Build it with npm run build.`,
      );
    }
    return [this.agent];
  }

  async listInterfaces(): Promise<InterfaceInfo[]> {
    const [file, ...args] = this.agentCommand;
    const r = await run(file as string, [...args, ...interfacesArgv({ json: true, netns: this.netns })]);
    if (r.code !== 0) throw new CaptureStartError(lastLine(r.stderr) || `pcap-agent interfaces exited with ${r.code}`);
    return parseInterfaceList(r.stdout).map(toInterfaceInfo);
  }

  async startCapture(request: CaptureRequest): Promise<AgentProcess> {
    const elevated = [...this.agentCommand, ...captureArgs(request, this.netns)];
    if (process.getuid?.() === 0) return spawnArgv(elevated);
    const probe = await run('sudo', ['-n', 'true']);
    if (probe.code === 0) return spawnArgv(asRoot(elevated, 'nopasswd'));
    if (probe.code === 127 && !/password/i.test(probe.stderr)) {
      throw new CaptureStartError(
        'Capturing needs root, and sudo is not available: run VS Code as root, or install and configure sudo.',
      );
    }
    if (!/password/i.test(probe.stderr)) {
      throw new CaptureStartError(`Capturing needs root, and sudo refused: ${lastLine(probe.stderr)}`);
    }
    const password = await this.askPassword();
    if (password === undefined) throw new CaptureStartError('Capture cancelled: no sudo password given.');
    const agentProcess = spawnArgv(asRoot(elevated, 'password'));
    agentProcess.stdin.write(`${password}\n`);
    // A wrong password makes sudo ask again on stdin, which we keep open as the stop channel.
    agentProcess.stderr.on('data', (chunk: Buffer) => {
      if (isWrongSudoPassword(chunk.toString())) agentProcess.kill();
    });
    return agentProcess;
  }
}

function spawnArgv([file, ...args]: readonly string[]): AgentProcess {
  return childAgentProcess(spawn(file as string, args, { stdio: 'pipe' }));
}

function lastLine(text: string): string {
  const lines = text
    .trim()
    .split('\n')
    .filter((l) => l.trim() !== '');
  const last = lines[lines.length - 1] ?? '';
  try {
    const event = JSON.parse(last) as { message?: string };
    return event.message ?? last;
  } catch {
    return last;
  }
}
