// What SSH tests do to and see on the fixture's remote host: bounded UDP datagrams from the root
// side of its veth (198.51.100.1), one every 5 ms; the capture agents running there.
import * as dgram from 'node:dgram';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SshFixture } from './sshd.js';

export const ROOT_SIDE = '198.51.100.1';

/** `count` datagrams ("packet 0", "packet 1", …) to address:port. */
export async function sendUdp(address: string, port: number, count: number): Promise<void> {
  const socket = dgram.createSocket('udp4');
  try {
    await new Promise<void>((resolve) => socket.bind(0, ROOT_SIDE, resolve));
    for (let i = 0; i < count; i++) {
      await new Promise<void>((resolve, reject) =>
        socket.send(Buffer.from(`packet ${i}`), port, address, (e) => (e ? reject(e) : resolve())),
      );
      await sleep(5);
    }
  } finally {
    socket.close();
  }
}

/** The agent processes running on the remote host (pgrep -af lines). */
export function remoteAgentProcesses(fixture: SshFixture): string[] {
  return fixture
    .exec('sh', ['-c', 'pgrep -af "pcap-agent[.]js" || true'])
    .split('\n')
    .filter((l) => l.trim() !== '');
}
