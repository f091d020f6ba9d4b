// bin/kubectl-pcap as the cluster tests and the benchmark run it, against the test cluster, and the
// small things they check its output with.
import { type ChildProcess, spawn } from 'node:child_process';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readCaptureFile } from '../../../packet/capture-file.js';
import { BUSYBOX_IMAGE, type Cluster, waitFor } from './cluster.js';

export const KUBECTL_PCAP = path.resolve(__dirname, '../../../bin/kubectl-pcap');

export interface Run {
  child: ChildProcess;
  /** Its stderr so far. */
  stderr: () => string;
  exited: Promise<number | null>;
  /** Until its stderr matches; fails at once, with that stderr, when it ends first. */
  said(pattern: RegExp, timeoutMs?: number): Promise<true>;
}

/** kubectl-pcap, with the test image as its helper image unless `helper` is false; stdout is drained unless ignored. */
export function kubectlPcap(
  cluster: Cluster,
  args: string[],
  options: { env?: Record<string, string>; stdout?: 'drain' | 'ignore'; helper?: boolean } = {},
): Run {
  const image = options.helper === false ? [] : ['--image', BUSYBOX_IMAGE];
  const child = spawn(process.execPath, [KUBECTL_PCAP, ...image, ...args], {
    env: { ...process.env, ...cluster.env, ...options.env },
    stdio: ['ignore', options.stdout === 'ignore' ? 'ignore' : 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  child.stdout?.resume();
  const exited = new Promise<number | null>((resolve) =>
    child.exitCode !== null ? resolve(child.exitCode) : child.once('close', (code) => resolve(code)),
  );
  const said = (pattern: RegExp, timeoutMs = 60_000) =>
    waitFor(`kubectl-pcap saying ${pattern}`, timeoutMs, () => {
      if (pattern.test(stderr)) return true;
      if (child.exitCode !== null) throw new Error(`kubectl-pcap ended (${child.exitCode}) first:\n${stderr}`);
      return undefined;
    });
  return { child, stderr: () => stderr, exited, said };
}

/** The packets in a pcap or pcapng file written so far (0 while it is still empty or partial). */
export function packetsIn(file: string): number {
  try {
    return readCaptureFile(fs.readFileSync(file)).packets.length;
  } catch {
    return 0;
  }
}

/** COUNT datagrams "datagram I" from this host to ADDRESS:PORT, one after the other. */
export async function sendUdp(address: string, port: number, count: number): Promise<void> {
  const socket = dgram.createSocket('udp4');
  try {
    for (let i = 0; i < count; i++)
      await new Promise<void>((resolve, reject) =>
        socket.send(Buffer.from(`datagram ${i}`), port, address, (e) => (e ? reject(e) : resolve())),
      );
  } finally {
    socket.close();
  }
}
