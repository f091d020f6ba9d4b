// Test traffic for the SSH fixture's remote host: bounded UDP datagrams from the root side of its
// veth (198.51.100.1) to it, one every 5 ms.
import * as dgram from 'node:dgram';
import { setTimeout as sleep } from 'node:timers/promises';

export const ROOT_SIDE = '198.51.100.1';

/** `count` datagrams ("packet 0", "packet 1", …) to address:port. */
export async function sendUdp(address: string, port: number, count: number): Promise<void> {
  const socket = dgram.createSocket('udp4');
  try {
    await new Promise<void>((resolve) => socket.bind(0, ROOT_SIDE, resolve));
    for (let i = 0; i < count; i++) {
      await new Promise<void>((resolve, reject) => socket.send(Buffer.from(`packet ${i}`), port, address, (e) => (e ? reject(e) : resolve())));
      await sleep(5);
    }
  } finally {
    socket.close();
  }
}
