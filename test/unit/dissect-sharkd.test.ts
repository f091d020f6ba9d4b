// The sharkd client against the real `sharkd -` (Debian's wireshark-common, which tshark depends on):
// requests and answers, its errors, and what happens when sharkd stalls, crashes, leaks or talks
// too much; and a stand-in that never answers, to prove the time bound on its own.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { findSharkd } from '../../extension/dissect/deep-tree.js';
import { SharkdClient, SharkdRequestError, SharkdUnavailableError } from '../../extension/dissect/sharkd.js';
import { TCPDUMP_TESTS_DIR } from '../fixtures/tcpdump-tests.js';

const SHARKD = findSharkd('wireshark');
const noSharkd = SHARKD ? false : 'sharkd is not installed (Debian: wireshark-common, a dependency of tshark)';
const RESP = path.join(TCPDUMP_TESTS_DIR, 'resp_1_benchmark.pcap');
/** The time bound of the tests that wait for it: the real sharkd's start and first load must fit
 *  in it on a busy machine (0.8 s did not, while the whole unit layer ran beside other work). */
const BOUND_MS = 2000;

const clients: SharkdClient[] = [];
after(async () => {
  for (const c of clients) await c.dispose();
});

function client(options: Partial<ConstructorParameters<typeof SharkdClient>[0]> = {}): SharkdClient {
  const c = new SharkdClient({ command: SHARKD ?? 'sharkd', ...options });
  clients.push(c);
  return c;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Waits for `condition`, checking every few milliseconds, failing after `ms`. */
async function until(condition: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('load, status and frame answer as sharkd 4.0 writes them', { skip: noSharkd }, async () => {
  const c = client();
  const { tree } = await c.frameTree(RESP, 4);
  assert.ok(Array.isArray(tree));
  const protocols = (tree as { f?: string }[]).map((n) => n.f);
  assert.deepEqual(protocols, ['frame', 'sll', 'ip', 'tcp', 'resp']);
  const status = (await c.run(() => c.request('status'))) as { frames?: number };
  assert.equal(status.frames, 150);
});

test("sharkd's own errors reject that request only; the process goes on", { skip: noSharkd }, async () => {
  const c = client();
  await assert.rejects(c.frameTree(path.join(os.tmpdir(), 'no-such-capture.pcap'), 1), SharkdRequestError);
  await assert.rejects(
    c.frameTree(RESP, 100_000),
    (e: Error) => e instanceof SharkdRequestError && /range/.test(e.message),
  );
  const pid = c.pid;
  await c.frameTree(RESP, 1);
  assert.equal(c.pid, pid);
  assert.equal(c.started, 1);
});

test('a stalled sharkd (SIGSTOP) is killed after the bound; the next request starts a new one', {
  skip: noSharkd,
}, async () => {
  // A bound a cold start plus a load meets on a busy machine too (the stand-in test says why).
  const c = client({ requestTimeoutMs: BOUND_MS });
  await c.frameTree(RESP, 1);
  const stalled = c.pid!;
  process.kill(stalled, 'SIGSTOP');
  const t0 = Date.now();
  await assert.rejects(c.frameTree(RESP, 2), SharkdUnavailableError);
  const waited = Date.now() - t0;
  assert.ok(waited >= BOUND_MS - 100 && waited < BOUND_MS + 4000, `rejected after ${waited} ms`);
  await until(() => !alive(stalled), 3000, 'the stalled sharkd to be killed');
  const { tree } = await c.frameTree(RESP, 2);
  assert.ok(Array.isArray(tree));
  assert.notEqual(c.pid, stalled);
  assert.equal(c.started, 2);
});

test('a crashed sharkd fails the request it was answering, and is restarted for the next', {
  skip: noSharkd,
}, async () => {
  const c = client();
  await c.frameTree(RESP, 1);
  const first = c.pid!;
  // Killed while idle: the next request gets a new process.
  process.kill(first, 'SIGKILL');
  await until(() => c.pid === undefined, 3000, 'the client to see the crash');
  await c.frameTree(RESP, 3);
  const second = c.pid!;
  assert.notEqual(second, first);
  // Killed while answering: that request fails as unavailable, never hangs.
  const pending = c.run(async () => {
    const load = c.request('load', { file: RESP });
    process.kill(second, 'SIGKILL');
    await load;
    return c.request('frame', { frame: 1, proto: true });
  });
  await assert.rejects(pending, SharkdUnavailableError);
  await c.frameTree(RESP, 4);
  assert.equal(c.started, 3);
});

test('the process is replaced after its share of loads (its per-load leak)', { skip: noSharkd }, async () => {
  const c = client({ loadsPerProcess: 3 });
  const pids = new Set<number>();
  for (let i = 1; i <= 7; i++) {
    await c.frameTree(RESP, i);
    pids.add(c.pid!);
  }
  assert.equal(c.started, 3); // loads 1-3, 4-6, 7
  assert.equal(pids.size, 3);
  for (const pid of pids) if (pid !== c.pid) await until(() => !alive(pid), 3000, `sharkd ${pid} to end`);
});

test('a line longer than the cap kills sharkd instead of growing without bound', { skip: noSharkd }, async () => {
  const c = client({ maxLineBytes: 2000 });
  // Frame 4's tree is about 9 kB of JSON.
  await assert.rejects(
    c.frameTree(RESP, 4),
    (e: Error) => e instanceof SharkdUnavailableError && /2000 bytes/.test(e.message),
  );
  // Small answers still fit, in a new process.
  const status = (await c.run(() => c.request('status'))) as Record<string, unknown>;
  assert.equal(typeof status, 'object');
  assert.equal(c.started, 2);
});

test('a missing sharkd is unavailable, marked missing', async () => {
  const c = client({ command: path.join(os.tmpdir(), 'no-such-dir', 'sharkd') });
  await assert.rejects(c.frameTree(RESP, 1), (e: Error) => e instanceof SharkdUnavailableError && e.missing);
});

test('a sharkd that never answers: bounded, killed, and the next request works after the restart', {
  skip: noSharkd,
}, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sharkd-stand-in-'));
  try {
    // The stand-in swallows its input and never answers the first time it runs; after that it is
    // the real sharkd.
    const marker = path.join(dir, 'ran-once');
    const standIn = path.join(dir, 'sharkd');
    fs.writeFileSync(
      standIn,
      `#!/bin/sh\nif [ ! -e '${marker}' ]; then : > '${marker}'; exec cat > /dev/null; fi\nexec '${SHARKD}' "$@"\n`,
      { mode: 0o700 },
    );
    const c = client({ command: standIn, requestTimeoutMs: BOUND_MS });
    const t0 = Date.now();
    const first = c.frameTree(RESP, 1);
    await until(() => c.pid !== undefined, 2000, 'the stand-in to start');
    const silent = c.pid!;
    await assert.rejects(first, SharkdUnavailableError);
    const waited = Date.now() - t0;
    assert.ok(waited >= BOUND_MS - 100 && waited < BOUND_MS + 4000, `rejected after ${waited} ms`);
    await until(() => !alive(silent), 3000, 'the silent stand-in to be killed');
    const { tree } = await c.frameTree(RESP, 1);
    assert.ok(Array.isArray(tree));
    assert.equal(c.started, 2);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('shutting down while sharkd is answering fails that request at once and ends the process', {
  skip: noSharkd,
}, async () => {
  const c = client({ requestTimeoutMs: 60_000 });
  await c.frameTree(RESP, 1);
  const pid = c.pid!;
  process.kill(pid, 'SIGSTOP'); // it will not answer, nor say goodbye
  const pending = c.frameTree(RESP, 2);
  const t0 = Date.now();
  await c.dispose();
  await assert.rejects(pending, SharkdUnavailableError);
  assert.ok(Date.now() - t0 < 5000, 'not the request bound');
  await until(() => !alive(pid), 3000, 'sharkd to end');
  await assert.rejects(c.frameTree(RESP, 1), /shut down/);
});

test('findSharkd: beside a wiresharkPath that is a path, else on PATH, else none', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'find-sharkd-'));
  try {
    const empty = path.join(dir, 'empty');
    const bin = path.join(dir, 'bin');
    fs.mkdirSync(empty);
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, 'sharkd'), '#!/bin/sh\n', { mode: 0o755 });
    assert.equal(findSharkd(path.join(bin, 'wireshark')), path.join(bin, 'sharkd'));
    assert.equal(findSharkd(path.join(empty, 'wireshark')), undefined);
    assert.equal(findSharkd('wireshark', [empty, bin].join(path.delimiter)), path.join(bin, 'sharkd'));
    assert.equal(findSharkd('wireshark', empty), undefined);
    // Not executable: not a sharkd.
    fs.chmodSync(path.join(bin, 'sharkd'), 0o644);
    assert.equal(findSharkd('wireshark', bin), undefined);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
