// The local process that listens on a TCP port: the debuggee of an attach session that names only
// a port (js-debug's `{ request: 'attach', port }`, the inspector of `node --inspect`), or what
// forwards that port elsewhere (kubectl port-forward, ssh -L). Read from /proc: the LISTEN sockets
// of /proc/net/tcp and /proc/net/tcp6 (this network namespace's) give their inodes, and the
// process holding one of them has a file descriptor that links to `socket:[INODE]`. No VS Code here.
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface ListeningSocket {
  /** The address it is bound to, as text (127.0.0.1, ::1, 0.0.0.0, ::). */
  address: string;
  port: number;
  inode: number;
}

/** The kernel's TCP state number of a listening socket (include/net/tcp_states.h). */
const TCP_LISTEN = 0x0a;

/** An address of /proc/net/tcp{,6}: 32-bit words of hex, each in this machine's byte order
 *  (little-endian on x64 and arm64, the only architectures the agent is built for). */
function addressOf(hex: string): string | undefined {
  if (!/^(?:[0-9A-Fa-f]{8}){1,4}$/.test(hex) || (hex.length !== 8 && hex.length !== 32)) return undefined;
  const bytes: number[] = [];
  for (let i = 0; i < hex.length; i += 8) {
    const word = Number.parseInt(hex.slice(i, i + 8), 16);
    bytes.push(word & 0xff, (word >>> 8) & 0xff, (word >>> 16) & 0xff, word >>> 24);
  }
  if (bytes.length === 4) return bytes.join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  // The shortest form for the addresses that matter here (::, ::1, ::ffff:a.b.c.d); others in full.
  const text = groups.join(':');
  if (text === '0:0:0:0:0:0:0:0') return '::';
  if (text === '0:0:0:0:0:0:0:1') return '::1';
  if (text.startsWith('0:0:0:0:0:ffff:')) return `::ffff:${bytes.slice(12).join('.')}`;
  return text;
}

/** The listening sockets of a /proc/net/tcp or /proc/net/tcp6 text (its heading line skipped). */
export function parseListeningSockets(text: string): ListeningSocket[] {
  const sockets: ListeningSocket[] = [];
  for (const line of text.split('\n').slice(1)) {
    // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode …
    const fields = line.trim().split(/\s+/);
    if (fields.length < 10 || Number.parseInt(fields[3]!, 16) !== TCP_LISTEN) continue;
    const [addressHex, portHex] = fields[1]!.split(':');
    const address = addressHex === undefined ? undefined : addressOf(addressHex);
    const port = Number.parseInt(portHex ?? '', 16);
    const inode = Number(fields[9]);
    if (address === undefined || !(port > 0 && port < 65536) || !Number.isSafeInteger(inode) || inode <= 0) continue;
    sockets.push({ address, port, inode });
  }
  return sockets;
}

/** A host name or address a debug configuration gives that means this machine's loopback. */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1');
  return h === 'localhost' || h === '::1' || /^127(?:\.\d{1,3}){3}$/.test(h) || /^::ffff:127(?:\.\d{1,3}){3}$/.test(h);
}

/** A listener a connection to the loopback reaches: bound to a loopback or to every address. */
function reachableOnLoopback(address: string): boolean {
  return address === '0.0.0.0' || address === '::' || isLoopbackHost(address);
}

function readOrEmpty(file: string, encoding: BufferEncoding = 'latin1'): string {
  try {
    return fs.readFileSync(file, encoding);
  } catch {
    return ''; // no IPv6 in this kernel: no tcp6
  }
}

/** The inodes of the sockets listening on `port` that a client of the loopback reaches. */
export function loopbackListenerInodes(port: number, proc = '/proc'): Set<number> {
  const sockets = ['tcp', 'tcp6'].flatMap((f) => parseListeningSockets(readOrEmpty(path.join(proc, 'net', f))));
  return new Set(sockets.filter((s) => s.port === port && reachableOnLoopback(s.address)).map((s) => s.inode));
}

function socketInode(link: string): number | undefined {
  const m = /^socket:\[(\d+)\]$/.exec(link);
  return m ? Number(m[1]) : undefined;
}

/** The processes holding any of these socket inodes, in pid order (those this user may read). */
export function socketOwners(inodes: ReadonlySet<number>, proc = '/proc'): number[] {
  if (inodes.size === 0) return [];
  const owners: number[] = [];
  for (const name of fs.readdirSync(proc)) {
    const pid = Number(name);
    if (!Number.isSafeInteger(pid) || pid <= 0) continue;
    const fdDir = path.join(proc, name, 'fd');
    let fds: string[];
    try {
      fds = fs.readdirSync(fdDir);
    } catch {
      continue; // gone, or another user's
    }
    for (const fd of fds) {
      let link: string;
      try {
        link = fs.readlinkSync(path.join(fdDir, fd));
      } catch {
        continue; // closed meanwhile
      }
      const inode = socketInode(link);
      if (inode !== undefined && inodes.has(inode)) {
        owners.push(pid);
        break;
      }
    }
  }
  return owners.sort((a, b) => a - b);
}

/** The processes that listen on TCP `port` where a client of the loopback connects (usually one;
 *  a listener passed on to children, or SO_REUSEPORT, makes several). */
export function loopbackListeners(port: number, proc = '/proc'): number[] {
  return socketOwners(loopbackListenerInodes(port, proc), proc);
}

/** A process's command line, its argv (empty when it is gone or not readable). */
export function commandLine(pid: number, proc = '/proc'): string[] {
  const text = readOrEmpty(path.join(proc, String(pid), 'cmdline'), 'utf8');
  return text ? text.replace(/\0$/, '').split('\0') : [];
}
