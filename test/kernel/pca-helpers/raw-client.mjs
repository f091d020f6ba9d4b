// A raw PCAP-over-TCP client, run inside a test namespace (`ip netns exec NS node raw-client.mjs`).
// Plain JavaScript so it starts in ~50 ms without a TypeScript loader.
//
//   node raw-client.mjs HOST PORT [--line TEXT] [--no-read] [--port-of-interest N]
//
// --line TEXT   sends TEXT + "\n" first (the PCA_TOKEN handshake)
// --no-read     never reads (a stalled reader: the socket is paused from the start)
//
// Reports JSON lines on stdout: {"event":"connected"}, then on "stats" from stdin and at the end
// {"event":"stats"|"closed", bytes, header (hex of the first 24 bytes), packets, matching, seqs,
// errors}. `matching` counts UDP packets (IPv4 or IPv6) to the port of interest; `seqs` lists the sequence
// numbers of udp-send.mjs payloads ("pcapp" + u32) in arrival order. "end" on stdin closes.
import * as net from 'node:net';
import * as readline from 'node:readline';

const [host, portText, ...rest] = process.argv.slice(2);
const opt = (name) => {
  const i = rest.indexOf(name);
  return i < 0 ? undefined : rest[i + 1];
};
const line = opt('--line');
const noRead = rest.includes('--no-read');
const interest = Number(opt('--port-of-interest') ?? 7000);

const st = { bytes: 0, header: '', packets: 0, matching: 0, seqs: [], errors: [] };
let buf = Buffer.alloc(0);
let little = true;
let headerDone = false;

function parse() {
  let off = 0;
  if (!headerDone) {
    if (buf.length < 24) return;
    st.header = buf.subarray(0, 24).toString('hex');
    const magic = buf.readUInt32LE(0);
    if (magic === 0xa1b2c3d4 || magic === 0xa1b23c4d) little = true;
    else if (buf.readUInt32BE(0) === 0xa1b2c3d4 || buf.readUInt32BE(0) === 0xa1b23c4d) little = false;
    else st.errors.push(`not a pcap stream: magic ${buf.subarray(0, 4).toString('hex')}`);
    headerDone = true;
    off = 24;
  }
  while (buf.length - off >= 16) {
    const capLen = little ? buf.readUInt32LE(off + 8) : buf.readUInt32BE(off + 8);
    if (capLen > 262144 + 64) {
      st.errors.push(`record at ${st.bytes - buf.length + off} claims ${capLen} bytes`);
      buf = Buffer.alloc(0);
      return;
    }
    if (buf.length - off < 16 + capLen) break;
    const p = buf.subarray(off + 16, off + 16 + capLen);
    st.packets++;
    // Ethernet, IPv4 or IPv6 (no extension headers), UDP to the port of interest
    let l4 = -1;
    if (p.length >= 42 && p.readUInt16BE(12) === 0x0800 && p[23] === 17) l4 = 14 + (p[14] & 0x0f) * 4;
    if (p.length >= 62 && p.readUInt16BE(12) === 0x86dd && p[20] === 17) l4 = 54;
    if (l4 > 0) {
      if (p.length >= l4 + 8 && p.readUInt16BE(l4 + 2) === interest) {
        st.matching++;
        const payload = p.subarray(l4 + 8);
        if (payload.length >= 9 && payload.subarray(0, 5).toString('latin1') === 'pcapp')
          st.seqs.push(payload.readUInt32BE(5));
      }
    }
    off += 16 + capLen;
  }
  buf = buf.subarray(off);
}

const emit = (event) => process.stdout.write(`${JSON.stringify({ event, ...st })}\n`);
const sock = net.connect(Number(portText), host);
sock.on('connect', () => {
  if (line !== undefined) sock.write(`${line}\n`);
  if (noRead) sock.pause();
  process.stdout.write(`${JSON.stringify({ event: 'connected' })}\n`);
});
sock.on('data', (chunk) => {
  st.bytes += chunk.length;
  buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
  parse();
});
sock.on('error', (e) => st.errors.push(e.message));
sock.on('close', () => {
  emit('closed');
  process.exit(0);
});
readline.createInterface({ input: process.stdin }).on('line', (cmd) => {
  if (cmd === 'stats') emit('stats');
  if (cmd === 'end') {
    sock.destroy();
    emit('closed');
    process.exit(0);
  }
});
process.stdin.on('end', () => {
  emit('closed');
  process.exit(0);
});
