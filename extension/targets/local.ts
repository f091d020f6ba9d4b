// This machine. The agent needs root: run it directly when the extension host is root, else
// through `sudo -n`, else through `sudo -S` with a password asked in a VS Code password box and
// written to sudo's stdin (never on a command line, never logged).
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseInterfaceList } from '../../agent/host.js';
import { interfacesArgv } from '../../agent/options.js';
import type { RawInterface } from '../../native/capture.js';
import type { InterfaceInfo, TargetInfo } from '../../packet/protocol.js';
import { asRoot, isWrongSudoPassword } from './elevate.js';
import { type AgentProcess, type CaptureRequest, type CaptureTarget, captureArgs } from './target.js';

export class CaptureStartError extends Error {}

/** Asks the user for their sudo password; undefined when they cancel. */
export type PasswordPrompt = () => Promise<string | undefined>;

export function agentScript(extensionPath: string): string {
  return path.join(extensionPath, 'dist', 'agent', 'pcap-agent.js');
}

function run(
  file: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { env, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
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

function wrap(child: ChildProcess): AgentProcess {
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.once('error', () => resolve(127));
  });
  return {
    stdin: child.stdin!,
    stdout: child.stdout!,
    stderr: child.stderr!,
    kill: () => child.kill('SIGTERM'),
    exited,
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
    private readonly extensionPath: string,
    private readonly askPassword: PasswordPrompt,
    /** A named network namespace on this machine, or the machine's own. */
    private readonly netns?: string,
    /** The runtime for the agent: the extension host's own (Node, or Electron acting as Node). */
    private readonly node = process.execPath,
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

  private get agentCommand(): string[] {
    return [this.node, agentScript(this.extensionPath)];
  }

  private get env(): NodeJS.ProcessEnv {
    return { ...process.env, ELECTRON_RUN_AS_NODE: '1' };
  }

  async listInterfaces(): Promise<InterfaceInfo[]> {
    const [file, ...args] = this.agentCommand;
    const r = await run(file as string, [...args, ...interfacesArgv({ json: true, netns: this.netns })], this.env);
    if (r.code !== 0) throw new CaptureStartError(lastLine(r.stderr) || `pcap-agent interfaces exited with ${r.code}`);
    return parseInterfaceList(r.stdout).map(toInterfaceInfo);
  }

  async startCapture(request: CaptureRequest): Promise<AgentProcess> {
    const agent = [...this.agentCommand, ...captureArgs(request, this.netns)];
    if (process.getuid?.() === 0) return spawnArgv(agent, this.env);
    // sudo resets the environment: pass ELECTRON_RUN_AS_NODE through env(1).
    const elevated = ['env', 'ELECTRON_RUN_AS_NODE=1', ...agent];
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

function spawnArgv([file, ...args]: readonly string[], env: NodeJS.ProcessEnv = process.env): AgentProcess {
  return wrap(spawn(file as string, args, { env, stdio: 'pipe' }));
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
