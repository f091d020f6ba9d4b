// Benchmark (not a test): latency from the wire to the panel's table row, issue 11's goal
// "wire → panel row p99 ≤ 100 ms at 1,000 packets/s". It prints figures and never fails on them.
//
//   npm run bench:panel            (as root; builds, installs code-server once)
//
// Real VS Code as the UI tests drive it (test/e2e): code-server with the packaged extension,
// Debian's chromium through Playwright. A capture is started in the panel on vA of a namespace pair
// (A: vA 198.18.0.1, B: vB 198.18.0.2), with the capture filter "udp port PORT"; then A sends
// PACKETS UDP datagrams to B at RATE a second, each carrying its sequence number and its send time.
// A MutationObserver in the panel's frame notes when each packet number is drawn in the table.
//
// One clock: the sender and the browser both read Date.now(), the same system clock on the same
// machine whatever the namespace, so "drawn − sent" needs no synchronisation. Its millisecond
// resolution is ample for a 100 ms goal. The observer runs right after the table wrote its rows,
// in the same animation frame: the paint follows within that frame.
//
// The table is virtualized: while Auto-scroll follows the tail (a live capture's default), it
// draws only the rows that fit the view, so when many rows arrive at once the ones in the middle
// scroll past without ever being drawn. Two figures, then:
// - "in view": for every datagram, the first moment the table drew its row or a later one: from
//   then on the user has it on screen, or has seen it go past;
// - "own row": for the datagrams whose own row was drawn, when it was.
// The wire → agent stdout latency is `npm run bench:capture`'s (not repeated here).
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { TestContext } from 'node:test';
import type { FrameLocator } from 'playwright-core';
import { agentsLeft, isCaptureAgent, startCapture } from '../e2e/helpers/capture-ui.js';
import { registerCleanup } from '../kernel/helpers/cleanup.js';
import { createVethPair, type Host, type Netns } from '../kernel/helpers/netns.js';
import { node as trafficGenerator } from '../kernel/helpers/traffic.js';
import { descendants, type Proc } from '../vscode/processes.js';
import { withWorkbench } from '../vscode/workbench.js';

const PACKETS = 5000;
const RATE = 1000; // datagrams a second
const PORT = 9999;
/** How long after the last datagram the table may take to draw it before the run gives up. */
const DRAIN_MS = 10_000;
/** Payload sizes cycle through this many values: the row's "Len=" tells which datagram it is. */
const SIZE_CYCLE = 1000;
const HEADER_BYTES = 16; // sequence number (u32, at 0) and send time (float64 ms, at 8)

/**
 * The paced sender, run in namespace A: `node -e SENDER -- RATE COUNT PORT HOST`. Sends on a 1 ms
 * tick whatever is due by then, so the rate holds on a loaded machine; datagram `seq` has
 * HEADER_BYTES + seq % SIZE_CYCLE bytes. Prints the send times (Date.now()) as a JSON array once
 * every send completed.
 */
const SENDER = `
const s = require('dgram').createSocket('udp4');
const [rate, total, port] = process.argv.slice(1, 4).map(Number);
const host = process.argv[4];
const sentAt = []; let seq = 0; let done = 0;
const t0 = Date.now();
const tick = setInterval(() => {
  const due = Math.min(total, Math.floor(((Date.now() - t0) * rate) / 1000) + 1);
  for (; seq < due; seq++) {
    const b = Buffer.alloc(${HEADER_BYTES} + (seq % ${SIZE_CYCLE}));
    const now = Date.now();
    b.writeUInt32BE(seq, 0); b.writeDoubleBE(now, 8);
    sentAt.push(now);
    s.send(b, port, host, () => { if (++done === total) s.close(() => process.stdout.write(JSON.stringify(sentAt))); });
  }
  if (seq >= total) clearInterval(tick);
}, 1);`;

/** Runs argv in namespace `ns` (killed at exit if still running); resolves with its stdout. */
function runIn(ns: Netns, argv: string[]): Promise<string> {
  const child: ChildProcess = spawn('ip', ['netns', 'exec', ns.name, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
  const undo = registerCleanup(() => child.kill('SIGKILL'));
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (t: string) => (out += t));
  child.stderr!.setEncoding('utf8').on('data', (t: string) => (err += t));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      undo();
      if (code === 0) resolve(out);
      else reject(new Error(`${argv.slice(0, 3).join(' ')} … in ${ns.name} exited ${code}: ${err.trim()}`));
    });
  });
}

/**
 * On Ctrl-C or another signal, test/kernel/helpers/cleanup.ts exits before withWorkbench can stop
 * code-server and remove its folders: this kills the group (agents included) and removes them then.
 * Returns the function that unregisters it once withWorkbench has cleaned up by itself.
 */
function onInterrupt(pgid: number, folders: string[]): () => void {
  let armed = true;
  const undo = registerCleanup(() => {
    if (!armed) return;
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // already gone
    }
    for (const f of folders) fs.rmSync(f, { recursive: true, force: true });
  });
  return () => {
    armed = false;
    undo();
  };
}

/** What the observer in the panel's frame saw. */
interface Drawn {
  /** [packet number, Date.now(), info text] at the first time each number was drawn. */
  rows: [number, number, string][];
  /** [highest packet number drawn so far, Date.now()] each time it grew. */
  highest: [number, number][];
}

/** Whether the panel's Auto-scroll switch (the table following its newest rows) is on. */
function autoScrollOn(frame: FrameLocator): Promise<boolean> {
  return frame
    .locator('.pt-rows')
    .evaluate(() =>
      Array.from(document.querySelectorAll('vscode-checkbox')).some((c) => c.label === 'Auto-scroll' && c.checked),
    );
}

/** Installs the observer on the table's rows (its slots are reused: note each number's first fill). */
async function observeRows(frame: FrameLocator): Promise<void> {
  await frame.locator('.pt-rows').evaluate((rowsLayer) => {
    const seen = new Set<number>();
    const drawn = { rows: [] as [number, number, string][], highest: [] as [number, number][] };
    (window as unknown as { __drawn: typeof drawn }).__drawn = drawn;
    let highest = 0;
    new MutationObserver((records) => {
      const now = Date.now();
      for (const r of records) {
        const cell = r.target as HTMLElement;
        if (!cell.classList?.contains('c-number')) continue;
        const number = Number(cell.textContent);
        if (!number || seen.has(number)) continue;
        seen.add(number);
        drawn.rows.push([number, now, cell.parentElement?.querySelector('.c-info')?.textContent ?? '']);
        if (number > highest) {
          highest = number;
          drawn.highest.push([number, now]);
        }
      }
    }).observe(rowsLayer, { subtree: true, childList: true, characterData: true });
  });
}

/** Waits in the frame until packet `last` was drawn or `timeoutMs` passed; returns what was drawn. */
function drawnUpTo(frame: FrameLocator, last: number, timeoutMs: number): Promise<Drawn> {
  return frame.locator('.pt-rows').evaluate(
    (_, { last, timeoutMs }) =>
      new Promise<Drawn>((resolve) => {
        const drawn = (window as unknown as { __drawn: Drawn }).__drawn;
        const deadline = Date.now() + timeoutMs;
        const poll = setInterval(() => {
          if ((drawn.highest.at(-1)?.[0] ?? 0) >= last || Date.now() > deadline) {
            clearInterval(poll);
            resolve(drawn);
          }
        }, 50);
      }),
    { last, timeoutMs },
  );
}

/** Nearest-rank percentile. */
function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? Number.NaN : sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function summary(latencies: number[]): string {
  const sorted = [...latencies].sort((x, y) => x - y);
  return `p50 ${percentile(sorted, 50)} ms, p99 ${percentile(sorted, 99)} ms, max ${sorted.at(-1) ?? Number.NaN} ms`;
}

const loadAverage = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

/** For each datagram, its latency to the first drawing of its row or a later one (all of them if all arrived). */
function inViewLatencies(sentAt: number[], highest: [number, number][]): number[] {
  const out: number[] = [];
  let k = 0;
  for (const [seq, sent] of sentAt.entries()) {
    while (k < highest.length && highest[k]![0] < seq + 1) k++;
    if (k === highest.length) break;
    out.push(highest[k]![1] - sent);
  }
  return out;
}

/** Packet number n is datagram n − 1 when nothing was lost or added: its "Len=" says whether it is. */
function ownRowLatencies(sentAt: number[], rows: Drawn['rows']): { latencies: number[]; mismatched: number } {
  const latencies: number[] = [];
  let mismatched = 0;
  for (const [number, at, info] of rows) {
    const seq = number - 1;
    const len = Number(/Len=(\d+)/.exec(info)?.[1]);
    if (seq >= sentAt.length || len !== HEADER_BYTES + (seq % SIZE_CYCLE)) mismatched++;
    else latencies.push(at - sentAt[seq]!);
  }
  return { latencies, mismatched };
}

async function measure(a: Host, b: Host): Promise<{ sentAt: number[]; drawn: Drawn; agents: Proc[]; sink: string }> {
  // withWorkbench reports through a test context: its name names the failure screenshot and log.
  const context = { name: 'panel-latency-bench', diagnostic: (s: string) => console.error(s) } as TestContext;
  let agents: Proc[] = [];
  let root = 0;
  let forgetOnInterrupt = () => {};
  try {
    return await withWorkbench(context, async ({ page, server, folder }) => {
      root = server.pgid;
      forgetOnInterrupt = onInterrupt(server.pgid, [server.profileDir, folder]);
      const frame = await startCapture(page, a, { filter: `udp port ${PORT}` });
      agents = descendants(root).filter(isCaptureAgent);
      if (!(await autoScrollOn(frame)))
        throw new Error('Auto-scroll is off at the start of a live capture: the table would not follow new rows');
      await observeRows(frame);
      const sink = trafficGenerator(b.ns, 'udp-sink', b.ip4, PORT, PACKETS, 20_000);
      await sink.ready;
      console.error(`sending ${PACKETS} datagrams at ${RATE}/s…`);
      const out = await runIn(a.ns, [
        'timeout',
        '60',
        process.execPath,
        '-e',
        SENDER,
        '--',
        String(RATE),
        String(PACKETS),
        String(PORT),
        b.ip4,
      ]);
      const sentAt = JSON.parse(out) as number[];
      const drawn = await drawnUpTo(frame, PACKETS, DRAIN_MS);
      const received = await sink.done;
      return { sentAt, drawn, agents, sink: `${received.result.received ?? '?'} received by B` };
    });
  } finally {
    forgetOnInterrupt();
    // The code-server group is gone; an agent that outlived it (orphaned) is stopped here.
    for (const p of agentsLeft(agents, root)) {
      console.error(`a capture agent outlived code-server: killing pid ${p.pid}`);
      process.kill(p.pid, 'SIGKILL');
    }
  }
}

async function main(): Promise<void> {
  console.log(`machine: ${os.cpus().length} cores, load average ${loadAverage()} (before)`);
  // IPv4 only, permanent neighbours: no ARP or neighbour discovery among the datagrams.
  const pair = await createVethPair({ tag: 'lat', net4: '198.18.0', ipv6: false });
  try {
    const { sentAt, drawn, agents, sink } = await measure(pair.a, pair.b);
    const seconds = ((sentAt.at(-1)! - sentAt[0]!) / 1000).toFixed(2);
    // The runtime and the agent's file, without the folders (a temporary profile, the cache).
    const agent =
      agents
        .map((p) =>
          p.argv
            .slice(0, 2)
            .map((a) => path.basename(a))
            .join(' '),
        )
        .join('; ') || 'not seen';
    console.log(`agent: ${agent}`);
    console.log(`sent: ${sentAt.length} datagrams in ${seconds} s (${sink}), capture filter "udp port ${PORT}" on vA`);
    const inView = inViewLatencies(sentAt, drawn.highest);
    console.log(
      `wire → panel row in view (its row or a later one drawn, following the tail): ${inView.length} of ${sentAt.length} packets;` +
        ` ${summary(inView)} (goal p99 ≤ 100 ms)`,
    );
    const own = ownRowLatencies(sentAt, drawn.rows);
    console.log(
      `wire → the packet's own row drawn: ${drawn.rows.length} rows drawn (the newest of each update: the rest scrolled past unseen, so this favours the newest);` +
        ` ${summary(own.latencies)}${own.mismatched ? `; ${own.mismatched} rows did not match their datagram (lost or extra packets)` : ''}`,
    );
    console.log(`load average after: ${loadAverage()}`);
    console.log('wire → agent stdout: measured by npm run bench:capture (not repeated here)');
  } finally {
    pair.destroy();
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : e);
  process.exitCode = 1;
});
