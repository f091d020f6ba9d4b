// UI end-to-end: a live capture is an untitled document (untitled:Capture 1.pcapng) that VS Code
// itself knows is unsaved. Closing its dirty tab brings VS Code's own Save / Don't Save / Cancel
// dialog, answered each way; a reload (hot exit) brings the unsaved packets back.
// Real agent, real kernel, bounded UDP inside the test's own veth pair.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import type { FrameLocator, Locator, Page } from 'playwright-core';
import { packetsIn } from '../exthost/helpers/capture-files.js';
import { until } from '../exthost/helpers/until.js';
import { agentLinksHeldBy, links, ourTcx } from '../kernel/helpers/bpf.js';
import { createVethPair, type Host, type VethPair } from '../kernel/helpers/netns.js';
import { udpOneWay } from '../kernel/helpers/traffic.js';
import { descendants, type Proc } from '../vscode/processes.js';
import { waitForWorkbench, webviewFrame, withWorkbench } from '../vscode/workbench.js';
import { agentsLeft, isCaptureAgent, saveInDialog, startCapture, stillAgent } from './helpers/capture-ui.js';

const PORT = 7200;
const FILTER = `udp port ${PORT}`;
const TAB = 'Capture 1.pcapng';

/** The editor tab labelled `label`. */
const tabOf = (page: Page, label: string): Locator => page.locator(`.tabs-container .tab[aria-label="${label}"]`);

/** Waits until the panel shows `count` packets (the last row numbered `count`). */
async function waitRows(frame: FrameLocator, count: number): Promise<void> {
  await frame
    .locator('.pt-row[aria-rowindex] .c-number', { hasText: new RegExp(`^${count}$`) })
    .waitFor({ timeout: 20_000 });
  assert.equal(await frame.locator('.pt-row[aria-rowindex]').count(), count);
}

/** Sends `count` datagrams from a to b, and waits until the panel shows `total` packets. */
async function capturePackets(frame: FrameLocator, a: Host, b: Host, count: number, total: number): Promise<void> {
  await udpOneWay(a.ns, b.ns, b.ip4, PORT, count, 64);
  await waitRows(frame, total);
}

/** Clicks the close button of the tab `label` (a dirty tab shows it on hover), and returns VS Code's
 *  "Do you want to save the changes…" dialog. */
async function closeTab(page: Page, label: string): Promise<Locator> {
  const tab = tabOf(page, label);
  await tab.hover();
  await tab.locator('.tab-actions .action-label').click();
  const dialog = page.locator('.monaco-dialog-box');
  await dialog.waitFor({ timeout: 10_000 });
  const text = (await dialog.textContent()) ?? '';
  assert.match(text, new RegExp(`Do you want to save the changes you made to ${label.replace('.', '\\.')}\\?`));
  return dialog;
}

/** Answers VS Code's dialog with the button `label`, and waits until it is gone. */
async function answer(dialog: Locator, label: string): Promise<void> {
  await dialog.locator('.dialog-buttons .monaco-button', { hasText: new RegExp(`^${label}$`) }).click();
  await dialog.waitFor({ state: 'hidden', timeout: 10_000 });
}

/** The capture agents below code-server now. */
const agentsNow = (serverPgid: number): Proc[] => descendants(serverPgid).filter(isCaptureAgent);

/** The agent's links, as the kernel shows them on the capture's interface. (Not agentLinks(): that
 *  counts every agent on the machine, also another test run's.) */
const linksOn = (host: Host): number[] => ourTcx(host.ns, host.dev).map((x) => x.link);

/** A capture agent, and the ids of the links it held while it ran. */
interface RunningAgent {
  proc: Proc;
  links: number[];
}

/** The one capture agent below code-server, checked to hold its ingress and egress links on `host`'s
 *  interface. */
function theAgent(serverPgid: number, host: Host): RunningAgent {
  const agents = agentsNow(serverPgid);
  assert.equal(agents.length, 1, 'one capture agent runs below code-server');
  const agent = agents[0]!;
  const held = agentLinksHeldBy(agent.pid);
  assert.equal(held.length, 2, 'the agent holds an ingress and an egress link');
  assert.deepEqual(
    linksOn(host).sort((x, y) => x - y),
    held,
    `the kernel shows them on ${host.dev}`,
  );
  return { proc: agent, links: held };
}

/** Waits until no capture agent (the one seen before, or any below code-server) and none of its
 *  links is left. */
async function waitNothingLeft(agent: RunningAgent, serverPgid: number, host: Host): Promise<void> {
  await until(
    'no capture agent and no link of one left',
    () => {
      const live = links();
      return (
        agentsLeft([agent.proc], serverPgid).length === 0 &&
        linksOn(host).length === 0 &&
        !agent.links.some((id) => live.has(id))
      );
    },
    10_000,
  );
}

test("closing a dirty capture's tab: Cancel keeps it running, Don't Save ends it, Save writes it", {
  timeout: 300_000,
}, async (t) => {
  let pair: VethPair | undefined;
  let agent: RunningAgent | undefined;
  try {
    pair = await createVethPair({ tag: 'cdoc' });
    const { a, b } = pair;
    await withWorkbench(t, async ({ page, folder, server }) => {
      let frame = await startCapture(page, a, { filter: FILTER });
      await capturePackets(frame, a, b, 4, 4);
      const tab = tabOf(page, TAB);
      await page.locator(`.tabs-container .tab.dirty[aria-label="${TAB}"]`).waitFor({ timeout: 10_000 });
      agent = theAgent(server.pgid, a);

      // Cancel: nothing happens; the capture goes on (new packets still arrive).
      await answer(await closeTab(page, TAB), 'Cancel');
      assert.equal(await tab.count(), 1, 'Cancel: the tab stays');
      assert.equal(
        theAgent(server.pgid, a).proc.pid,
        agent.proc.pid,
        'Cancel: the same agent still runs, with its links',
      );
      await frame.locator('.sb-status', { hasText: /Capturing/i }).waitFor({ timeout: 5_000 });
      await capturePackets(frame, a, b, 2, 6);

      // Don't Save: the tab closes, the capture ends, nothing of it is left.
      await answer(await closeTab(page, TAB), "Don't Save");
      await tab.waitFor({ state: 'detached', timeout: 10_000 });
      await waitNothingLeft(agent, server.pgid, a);

      // A second capture, then Save: VS Code's save dialog, the packets in the file, nothing left.
      frame = await startCapture(page, a, { filter: FILTER });
      await capturePackets(frame, a, b, 3, 3);
      await page.locator(`.tabs-container .tab.dirty[aria-label="${TAB}"]`).waitFor({ timeout: 10_000 });
      agent = theAgent(server.pgid, a);
      const saved = path.join(folder, 'closed.pcapng');
      await answer(await closeTab(page, TAB), 'Save');
      const suggested = await saveInDialog(page, saved);
      assert.equal(suggested, path.join(folder, TAB), 'the save dialog starts in the workspace folder');
      await page
        .locator('.notifications-toasts', { hasText: `Saved 3 packets to ${saved}` })
        .waitFor({ timeout: 20_000 });
      assert.equal(packetsIn(saved), 3, 'the file holds the 3 packets');
      await tab.waitFor({ state: 'detached', timeout: 10_000 });
      await waitNothingLeft(agent, server.pgid, a);
    });
  } finally {
    // A failed run leaves nothing behind: an agent still running is killed.
    if (agent && stillAgent(agent.proc.pid)) process.kill(agent.proc.pid, 'SIGKILL');
    pair?.destroy();
  }
});

/** Files below `dir` (recursively), as paths relative to it. */
function filesBelow(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => fs.statSync(path.join(dir, f)).isFile());
}

/** The files VS Code has recorded as hot-exit backups of live captures in a code-server profile. VS Code
 *  keeps `Backups/<workspace>/vscode-custom-editor/<hash>`, whose first line is `<key> <meta JSON>`; the
 *  meta's backupId is the URI of the file the extension wrote (backupCustomDocument). */
function recordedBackups(profileDir: string): string[] {
  const dir = path.join(profileDir, 'user-data', 'User', 'Backups');
  const found: string[] = [];
  for (const rel of filesBelow(dir).filter((f) => f.split(path.sep).includes('vscode-custom-editor'))) {
    const first = fs.readFileSync(path.join(dir, rel), 'utf8').split('\n')[0] ?? '';
    try {
      const meta = JSON.parse(first.slice(first.indexOf(' ') + 1)) as { viewType?: string; backupId?: string };
      if (meta.viewType === 'packetCapture.liveCapture' && meta.backupId?.startsWith('file://'))
        found.push(decodeURIComponent(new URL(meta.backupId).pathname));
    } catch {
      // being written: not a backup yet
    }
  }
  return found;
}

/** tshark's packet count of a file, or undefined while it cannot read it (being written). */
function countOrUndefined(file: string): number | undefined {
  try {
    return packetsIn(file);
  } catch {
    return undefined;
  }
}

/** In the page: whether the workbench's saved editor state (IndexedDB) holds the tab `label`. */
async function workbenchRecordsTab(label: string): Promise<boolean> {
  const request = <T>(r: IDBRequest<T>) =>
    new Promise<T | undefined>((resolve) => {
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => resolve(undefined);
    });
  const wanted = [label, encodeURIComponent(label)];
  for (const { name } of await indexedDB.databases()) {
    if (!name?.startsWith('vscode-web-state-db')) continue;
    const db = await request(indexedDB.open(name));
    if (!db) continue;
    try {
      if (!db.objectStoreNames.contains('ItemTable')) continue;
      const state = await request(
        db.transaction('ItemTable').objectStore('ItemTable').get('memento/workbench.parts.editor'),
      );
      if (typeof state === 'string' && wanted.some((w) => state.includes(w))) return true;
    } finally {
      db.close();
    }
  }
  return false;
}

test('hot exit: after a reload an unsaved capture comes back, dirty, with its packets, not running', {
  timeout: 300_000,
}, async (t) => {
  let pair: VethPair | undefined;
  let agent: RunningAgent | undefined;
  try {
    pair = await createVethPair({ tag: 'chot' });
    const { a, b } = pair;
    await withWorkbench(t, async ({ page, server }) => {
      const frame = await startCapture(page, a, { filter: FILTER });
      await capturePackets(frame, a, b, 5, 5);
      agent = theAgent(server.pgid, a);
      await frame.locator('vscode-button', { hasText: 'Stop' }).click();
      await frame.locator('.sb-status', { hasText: /Stopped/i }).waitFor({ timeout: 20_000 });
      await page.locator(`.tabs-container .tab.dirty[aria-label="${TAB}"]`).waitFor({ timeout: 10_000 });
      await waitNothingLeft(agent, server.pgid, a);
      // VS Code asks for a backup a moment after the document changes, and records it once written:
      // wait until its record names a file holding all 5 packets.
      const backup = await until(
        'a backup of the capture holding its 5 packets',
        () => recordedBackups(server.profileDir).find((f) => countOrUndefined(f) === 5),
        20_000,
      );
      t.diagnostic(`backup: ${path.relative(server.profileDir, backup)}`);

      // The workbench records its open editors in IndexedDB at its periodic flush (every minute)
      // and, best effort, while the page unloads; a reload before the first flush can leave no tab
      // to restore. Wait until the record names the capture's tab, as a person's reload later would.
      await page.evaluate('globalThis.__name = (f) => f'); // tsx's keepNames wraps functions sent to the page
      await page.waitForFunction(workbenchRecordsTab, TAB, { polling: 500, timeout: 90_000 });
      page.on('dialog', (d) => void d.accept()); // a "leave the page?" question, if any: Leave
      await page.reload();
      await waitForWorkbench(page);
      await page.locator(`.tabs-container .tab.dirty[aria-label="${TAB}"]`).waitFor({ timeout: 30_000 });
      const restored = webviewFrame(page);
      await waitRows(restored, 5);
      await restored
        .getByText('Restored after VS Code restarted: 5 packets, not saved yet.')
        .waitFor({ timeout: 10_000 });
      await restored.locator('.sb-status', { hasText: /Stopped/i }).waitFor({ timeout: 10_000 });
      assert.deepEqual(agentsNow(server.pgid), [], 'the restored capture does not run');
      assert.deepEqual(linksOn(a), [], 'nothing of ours on vA');
    });
  } finally {
    if (agent && stillAgent(agent.proc.pid)) process.kill(agent.proc.pid, 'SIGKILL');
    pair?.destroy();
  }
});
