// Where capture bytes go: a stream (stdout, a file) or every client of a TCP server. Each sink
// holds a bounded amount in memory; past it, whole batches are dropped and counted, so a slow
// reader never makes the agent grow without bound or holds up the other readers.
import * as net from 'node:net';
import type { Writable } from 'node:stream';
import type { ListenAddress } from './options.js';
import { tokenMatches } from './token.js';

export interface Sink {
  write(bytes: Uint8Array, packets: number): void;
  /** Packets dropped because this sink's reader was too slow. */
  readonly dropped: number;
  close(): Promise<void>;
}

const STREAM_LIMIT = 64 * 1024 * 1024;
const CLIENT_LIMIT = 8 * 1024 * 1024;
const MAX_TOKEN_LINE = 1024;

/** Why a connection was turned away at once (the limits keep one local user from exhausting the agent). */
export interface Refusal {
  reason: 'too-many-clients' | 'too-many-logins';
  limit: number;
  peer: string;
}

export interface ServerOptions {
  /** Clients must send it as their first line; undefined: everyone is served. */
  token?: string;
  onClients?: (count: number) => void;
  onRefused?: (refusal: Refusal) => void;
  /** Clients being served at once. */
  maxClients?: number;
  /** Connections that have not sent their token yet. */
  maxPendingLogins?: number;
  /** How long a connection has to send its token. */
  loginTimeoutMs?: number;
}

export const SERVER_DEFAULTS = { maxClients: 16, maxPendingLogins: 8, loginTimeoutMs: 5000 } as const;

export class StreamSink implements Sink {
  dropped = 0;
  private closed = false;

  constructor(
    private readonly stream: Writable,
    onClosed: (error?: Error) => void,
    private readonly limit = STREAM_LIMIT,
  ) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      this.closed = true;
      onClosed(e.code === 'EPIPE' ? undefined : e);
    });
  }

  write(bytes: Uint8Array, packets: number): void {
    if (this.closed || bytes.length === 0) return;
    if (this.stream.writableLength > this.limit) {
      this.dropped += packets;
      return;
    }
    this.stream.write(bytes);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await new Promise<void>((resolve) => {
      const s = this.stream as Writable & { fd?: number };
      if (s === process.stdout) {
        if (s.writableLength === 0) resolve();
        else s.once('drain', resolve).once('error', () => resolve());
      } else {
        s.end(resolve);
      }
    });
  }
}

interface Client {
  socket: net.Socket;
  dropped: number;
}

/**
 * Serves the capture to every client that connects, up to a limit. `header()` is sent first to
 * each (it grows as interfaces are added), then the live stream. With a token, a client must
 * send it as its first line before receiving anything.
 */
export class TcpServerSink implements Sink {
  private readonly clients = new Set<Client>();
  private readonly server: net.Server;
  private droppedByGone = 0;
  private pendingLogins = 0;
  private readonly limits: Required<Pick<ServerOptions, 'maxClients' | 'maxPendingLogins' | 'loginTimeoutMs'>>;

  private constructor(
    private readonly header: () => Uint8Array,
    private readonly options: ServerOptions,
  ) {
    this.limits = {
      maxClients: options.maxClients ?? SERVER_DEFAULTS.maxClients,
      maxPendingLogins: options.maxPendingLogins ?? SERVER_DEFAULTS.maxPendingLogins,
      loginTimeoutMs: options.loginTimeoutMs ?? SERVER_DEFAULTS.loginTimeoutMs,
    };
    this.server = net.createServer((socket) => this.accept(socket));
  }

  static async listen(
    address: ListenAddress,
    header: () => Uint8Array,
    options: ServerOptions = {},
  ): Promise<TcpServerSink> {
    const sink = new TcpServerSink(header, options);
    await new Promise<void>((resolve, reject) => {
      sink.server.once('error', reject);
      sink.server.listen(address.port, address.host, () => {
        sink.server.off('error', reject);
        resolve();
      });
    });
    return sink;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  get clientCount(): number {
    return this.clients.size;
  }

  get dropped(): number {
    let n = this.droppedByGone;
    for (const c of this.clients) n += c.dropped;
    return n;
  }

  private refuse(socket: net.Socket, reason: Refusal['reason'], limit: number): void {
    this.options.onRefused?.({ reason, limit, peer: `${socket.remoteAddress}:${socket.remotePort}` });
    socket.destroy();
  }

  private accept(socket: net.Socket): void {
    socket.setNoDelay(true);
    socket.on('error', () => socket.destroy());
    const { maxClients, maxPendingLogins } = this.limits;
    const token = this.options.token;
    if (this.clients.size >= maxClients) this.refuse(socket, 'too-many-clients', maxClients);
    else if (token === undefined) this.admit(socket);
    else if (this.pendingLogins >= maxPendingLogins) this.refuse(socket, 'too-many-logins', maxPendingLogins);
    else this.login(socket, token);
  }

  /** Waits for the token line (as bytes: the token is compared as UTF-8), then admits or closes. */
  private login(socket: net.Socket, token: string): void {
    this.pendingLogins++;
    let settled = false;
    const settle = () => {
      if (settled) return false;
      settled = true;
      this.pendingLogins--;
      clearTimeout(timer);
      socket.off('data', onData);
      return true;
    };
    const timer = setTimeout(() => settle() && socket.destroy(), this.limits.loginTimeoutMs);
    let received = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const end = received.indexOf(0x0a);
      if (end < 0 && received.length < MAX_TOKEN_LINE) return;
      if (!settle()) return;
      const line = end >= 0 ? trimLine(received.subarray(0, end)) : undefined;
      // The limit may have been reached while this client was logging in.
      if (line && tokenMatches(line, token)) {
        if (this.clients.size >= this.limits.maxClients)
          this.refuse(socket, 'too-many-clients', this.limits.maxClients);
        else this.admit(socket);
      } else socket.destroy();
    };
    socket.on('data', onData);
    socket.once('close', settle);
  }

  private admit(socket: net.Socket): void {
    const client: Client = { socket, dropped: 0 };
    socket.resume(); // anything a client sends is ignored; reading lets us see it leave
    socket.write(this.header());
    this.clients.add(client);
    socket.on('close', () => {
      if (!this.clients.delete(client)) return;
      this.droppedByGone += client.dropped;
      this.options.onClients?.(this.clients.size);
    });
    this.options.onClients?.(this.clients.size);
  }

  write(bytes: Uint8Array, packets: number): void {
    if (bytes.length === 0) return;
    for (const c of this.clients) {
      if (c.socket.writableLength > CLIENT_LIMIT) c.dropped += packets;
      else c.socket.write(bytes);
    }
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    await Promise.all(
      [...this.clients].map(
        (c) =>
          new Promise<void>((resolve) => {
            c.socket.once('close', () => resolve());
            c.socket.end();
            setTimeout(() => c.socket.destroy(), 2000).unref();
          }),
      ),
    );
    await closed;
  }
}

/** The token line without the spaces, tabs and CR around it (netcat and Windows clients add some). */
function trimLine(line: Buffer): Buffer {
  let start = 0;
  let end = line.length;
  const blank = (b: number | undefined) => b === 0x20 || b === 0x09 || b === 0x0d;
  while (start < end && blank(line[start])) start++;
  while (end > start && blank(line[end - 1])) end--;
  return line.subarray(start, end);
}
