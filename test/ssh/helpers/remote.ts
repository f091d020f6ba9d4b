// What SSH tests do to and see on the fixture's remote host: bounded UDP datagrams from the root
// side of its veth (198.51.100.1), one every 5 ms; the capture agents running there.
import * as dgram from 'node:dgram';
import { setTimeout as sleep } from 'node:timers/promises';
import { type TcxAttachment, tcx } from '../../kernel/helpers/bpf.js';
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

/**
 * The capture agents running on the remote host (pgrep -a lines): processes named pcap-agent in the
 * host's network namespace (the PID namespace is the machine's, where other tests may run agents).
 */
export function remoteAgentProcesses(fixture: SshFixture): string[] {
  return fixture
    .exec('sh', ['-c', 'pgrep -a -x --ns $$ --nslist net pcap-agent || true'])
    .split('\n')
    .filter((l) => l.trim() !== '');
}

/**
 * The capture programs attached through tcx to the host's interface: every cap_… program
 * (cap_pcap_ingress/egress, the filter in front).
 */
export function agentTcx(fixture: SshFixture): TcxAttachment[] {
  const attached = tcx(fixture.remote, fixture.remoteDev);
  return [...attached.ingress, ...attached.egress].filter((a) => a.name.startsWith('cap_'));
}
