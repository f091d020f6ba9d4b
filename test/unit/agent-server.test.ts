// The agent's TCP server (capture --listen, PCA mode) with real sockets on loopback: the token is
// compared as the UTF-8 bytes a client sends, and clients and logins in progress are capped.
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { test } from 'node:test';
import { type Refusal, SERVER_DEFAULTS, type ServerOptions, TcpServerSink } from '../../agent/sinks.js';

const HEADER = Buffer.from('HEADER');

/** A client that reports what it received and when the server closed it. */
class Client {
  readonly socket: net.Socket;
  received = Buffer.alloc(0);
  readonly connected: Promise<void>;
  readonly closed: Promise<void>;
  private readonly waiters: (() => void)[] = [];

  constructor(port: number, line?: Buffer) {
    this.socket = net.connect(port, '127.0.0.1');
    this.socket.on('error', () => {});
    this.connected = new Promise((resolve) => this.socket.once('connect', () => resolve()));
    this.closed = new Promise((resolve) => this.socket.once('close', () => resolve()));
    this.socket.on('data', (d: Buffer) => {
      this.received = Buffer.concat([this.received, d]);
      for (const w of this.waiters.splice(0)) w();
    });
    if (line) this.socket.write(Buffer.concat([line, Buffer.from('\n')]));
  }

  /** Resolves once the header arrived (the client was admitted); rejects if closed first. */
  async admitted(): Promise<void> {
    while (this.received.length < HEADER.length) {
      const more = new Promise<void>((resolve) => this.waiters.push(resolve));
      const gone = this.closed.then(() => {
        throw new Error(`closed by the server after ${this.received.length} bytes`);
      });
      await Promise.race([more, gone]);
    }
  }
}

async function serve(
  t: { after(fn: () => unknown): void },
  options: ServerOptions,
): Promise<{ server: TcpServerSink; refusals: Refusal[]; counts: number[] }> {
  const refusals: Refusal[] = [];
  const counts: number[] = [];
  const server = await TcpServerSink.listen({ host: '127.0.0.1', port: 0 }, () => HEADER, {
    ...options,
    onRefused: (r) => refusals.push(r),
    onClients: (n) => counts.push(n),
  });
  t.after(() => server.close());
  return { server, refusals, counts };
}

async function until(what: string, probe: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

test('a token typed in UTF-8 is accepted; other bytes, a prefix and a longer line are not', async (t) => {
  const token = 'pässwört-秘密';
  const { server } = await serve(t, { token });
  const good = new Client(server.port, Buffer.from(`  ${token}\r`, 'utf8'));
  await good.admitted();
  for (const wrong of [
    Buffer.from(token, 'latin1'), // what a latin1 reading would have expected
    Buffer.from('pässwört', 'utf8'),
    Buffer.from(`${token}x`, 'utf8'),
    Buffer.alloc(0),
  ]) {
    const c = new Client(server.port, wrong);
    await c.closed;
    assert.equal(c.received.length, 0, `no bytes for ${JSON.stringify(wrong.toString('latin1'))}`);
  }
  good.socket.destroy();
});

test(`at most ${SERVER_DEFAULTS.maxClients} clients at once by default; the next is refused and told in an event`, async (t) => {
  const { server, refusals, counts } = await serve(t, {});
  const clients = Array.from({ length: SERVER_DEFAULTS.maxClients }, () => new Client(server.port));
  t.after(() => {
    for (const c of clients) c.socket.destroy();
  });
  await Promise.all(clients.map((c) => c.admitted()));
  const extra = new Client(server.port);
  await extra.closed;
  assert.equal(extra.received.length, 0);
  assert.equal(server.clientCount, SERVER_DEFAULTS.maxClients);
  assert.equal(refusals.length, 1);
  assert.equal(refusals[0]?.reason, 'too-many-clients');
  assert.equal(refusals[0]?.limit, 16);
  assert.match(refusals[0]?.peer ?? '', /^127\.0\.0\.1:\d+$/);
  // A place freed is a place for the next client.
  clients.pop()?.socket.destroy();
  await until('the count to drop', () => counts.at(-1) === SERVER_DEFAULTS.maxClients - 1);
  const next = new Client(server.port);
  await next.admitted();
  next.socket.destroy();
});

test(`at most ${SERVER_DEFAULTS.maxPendingLogins} logins in progress by default, each given a deadline`, async (t) => {
  const { server, refusals } = await serve(t, { token: 's3cret', loginTimeoutMs: 1500 });
  const silent = Array.from({ length: SERVER_DEFAULTS.maxPendingLogins }, () => new Client(server.port));
  t.after(() => {
    for (const c of silent) c.socket.destroy();
  });
  // Connected in order: the server accepts them before the extra one below.
  await Promise.all(silent.map((c) => c.connected));
  const extra = new Client(server.port, Buffer.from('s3cret'));
  await extra.closed;
  assert.equal(extra.received.length, 0, 'even with the right token: no room to log in');
  assert.deepEqual(
    refusals.map((r) => [r.reason, r.limit]),
    [['too-many-logins', 8]],
  );
  // The deadline closes the silent ones, and logging in works again.
  await Promise.all(silent.map((c) => c.closed));
  const later = new Client(server.port, Buffer.from('s3cret'));
  await later.admitted();
  later.socket.destroy();
});

test('a client admitted after its login respects the client cap', async (t) => {
  const { server, refusals } = await serve(t, { token: 'k', maxClients: 1 });
  const first = new Client(server.port, Buffer.from('k'));
  await first.admitted();
  const second = new Client(server.port, Buffer.from('k'));
  await second.closed;
  assert.deepEqual(
    refusals.map((r) => r.reason),
    ['too-many-clients'],
  );
  first.socket.destroy();
});
