// Sends a known number of UDP datagrams, run inside a test namespace. Plain JavaScript so it starts
// in ~50 ms without a TypeScript loader.
//
//   node udp-send.mjs HOST PORT COUNT [FIRST_SEQ] [--other PORT]
//
// Each datagram to PORT carries "pcapp" + a u32 sequence number (FIRST_SEQ, FIRST_SEQ+1, …) so a
// reader can tell exactly which ones arrived. With --other, one datagram to the other port follows
// each one: traffic a filter must leave out. Sends one at a time (each waits for the previous),
// so nothing is dropped in the sender.
import * as dgram from 'node:dgram';
import * as net from 'node:net';

const [host, portText, countText, firstText, ...rest] = process.argv.slice(2);
const port = Number(portText);
const count = Number(countText);
const first = Number(firstText ?? 0);
const other = rest[0] === '--other' ? Number(rest[1]) : undefined;
const sock = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');

const send = (p, payload) =>
  new Promise((resolve, reject) => sock.send(payload, p, host, (e) => (e ? reject(e) : resolve())));
for (let i = 0; i < count; i++) {
  const payload = Buffer.alloc(32);
  payload.write('pcapp', 0, 'latin1');
  payload.writeUInt32BE(first + i, 5);
  await send(port, payload);
  if (other !== undefined) await send(other, payload);
}
sock.close();
