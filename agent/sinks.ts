// Where capture bytes go: a stream (stdout, a file) or every client of a TCP server. Each sink
// holds a bounded amount in memory; past it, whole batches are dropped and counted, so a slow
// reader never makes the agent grow without bound or holds up the other readers.
import * as crypto from 'node:crypto';
import * as net from 'node:net';
import type { Writable } from 'node:stream';
import type { ListenAddress } from './options.js';

export interface Sink {
  write(bytes: Uint8Array, packets: number): void;
  /** Packets dropped because this sink's reader was too slow. */
  readonly dropped: number;
  close(): Promise<void>;
}

const STREAM_LIMIT = 64 * 1024 * 1024;
const CLIENT_LIMIT = 8 * 1024 * 1024;
const TOKEN_WAIT_MS = 5000;

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
 * Serves the capture to every client that connects. `header()` is sent first to each (it grows
 * as interfaces are added), then the live stream. With a token, a client must send it as its
 * first line before receiving anything.
 */
export class TcpServerSink implements Sink {
  private readonly clients = new Set<Client>();
  private readonly server: net.Server;
  private droppedByGone = 0;

  private constructor(
    private readonly header: () => Uint8Array,
    private readonly token: string | undefined,
    private readonly onClients: (count: number) => void,
  ) {
    this.server = net.createServer((socket) => this.accept(socket));
  }

  static async listen(
    address: ListenAddress,
    header: () => Uint8Array,
    token: string | undefined,
    onClients: (count: number) => void = () => {},
  ): Promise<TcpServerSink> {
    const sink = new TcpServerSink(header, token, onClients);
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

  private accept(socket: net.Socket): void {
    socket.setNoDelay(true);
    socket.on('error', () => socket.destroy());
    if (!this.token) {
      this.admit(socket);
      return;
    }
    const timer = setTimeout(() => socket.destroy(), TOKEN_WAIT_MS);
    let line = '';
    const onData = (chunk: Buffer) => {
      line += chunk.toString('latin1');
      const end = line.indexOf('\n');
      if (end < 0 && line.length < 1024) return;
      clearTimeout(timer);
      socket.off('data', onData);
      if (end >= 0 && tokensEqual(line.slice(0, end).trim(), this.token!)) this.admit(socket);
      else socket.destroy();
    };
    socket.on('data', onData);
  }

  private admit(socket: net.Socket): void {
    const client: Client = { socket, dropped: 0 };
    socket.resume(); // anything a client sends is ignored; reading lets us see it leave
    socket.write(this.header());
    this.clients.add(client);
    socket.on('close', () => {
      if (!this.clients.delete(client)) return;
      this.droppedByGone += client.dropped;
      this.onClients(this.clients.size);
    });
    this.onClients(this.clients.size);
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

function tokensEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}
