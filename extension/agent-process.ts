// Runs the bundled pcap-agent on this machine with argv arrays (never a shell string).
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import type { RawInterface } from '../native/capture.js';

/** The agent bundle shipped inside the extension (dist/agent/). */
export function agentScript(extensionPath: string): string {
  return path.join(extensionPath, 'dist', 'agent', 'pcap-agent.js');
}

/** Runs the agent under the extension host's own runtime (Node, or Electron acting as Node). */
export function runAgent(extensionPath: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [agentScript(extensionPath), ...args],
      { env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' }, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(stderr.trim().split('\n').pop() || error.message));
        else resolve(stdout);
      },
    );
  });
}

export async function listLocalInterfaces(extensionPath: string): Promise<RawInterface[]> {
  return JSON.parse(await runAgent(extensionPath, ['interfaces', '--json'])) as RawInterface[];
}
