// UI end-to-end, as a person: F1 → "Packet Capture: Start Capture…" → pick a test namespace's
// interface → filter → Start → real traffic → rows with the right columns → select one → detail
// and hex → Stop → Save through VS Code's own dialog (tshark reads the file; the tab becomes the
// file). A packet carrying HTML shows as text only.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { test } from 'node:test';
import type { FrameLocator, Page } from 'playwright-core';
import { createVethPair, type VethPair } from '../kernel/helpers/netns.js';
import { quickPickRow, screenshot, webviewFrame, withWorkbench } from '../vscode/workbench.js';
import { saveInDialog, startCapture } from './helpers/capture-ui.js';

const PORT = 7000;
const XSS = [`<img src=x onerror="document.title='pwned'">`, '<script>alert(1)</script>'];
const PAYLOADS = ['hello 1', 'hello 2', 'hello 3', ...XSS];
/** The datagrams the capture filter lets through. */
const PACKETS = PAYLOADS.length;

/** UDP datagrams with these payloads from namespace `ns` to host:port, in order. */
function sendUdp(ns: string, host: string, port: number, payloads: string[]): void {
  const script =
    `const s=require('dgram').createSocket('udp4');const p=${JSON.stringify(payloads)};let i=0;` +
    `const next=()=>{if(i===p.length)return s.close();s.send(Buffer.from(p[i++]),${port},'${host}',()=>setTimeout(next,5))};next();`;
  execFileSync('ip', ['netns', 'exec', ns, process.execPath, '-e', script], { timeout: 15_000 });
}

async function rowCount(frame: FrameLocator): Promise<number> {
  return frame.locator('.pt-row[aria-rowindex]').count();
}

test('a capture in the panel, from the command palette to a saved file', { timeout: 300_000 }, async (t) => {
  let pair: VethPair | undefined;
  try {
    pair = await createVethPair({ tag: 'ui' });
    const { a, b } = pair;
    await withWorkbench(t, async ({ page, folder }: { page: Page; folder: string }) => {
      const dialogs: string[] = [];
      page.on('dialog', (d) => {
        dialogs.push(d.message());
        void d.dismiss();
      });
      const frame = await startCapture(page, a, { filter: `udp port ${PORT}` });

      sendUdp(a.ns.name, b.ip4, PORT, PAYLOADS);
      sendUdp(a.ns.name, b.ip4, PORT + 1, ['not captured']);
      await frame
        .locator('.pt-row[aria-rowindex] .c-number', { hasText: new RegExp(`^${PACKETS}$`) })
        .waitFor({ timeout: 20_000 });
      assert.equal(await rowCount(frame), PACKETS);

      const first = frame.locator('.pt-row[aria-rowindex]').first();
      const cells = (await first.locator('[role=gridcell]').allInnerTexts()).map((c) => c.trim());
      t.diagnostic(`first row: ${cells.join(' | ')}`);
      assert.ok(cells.includes(a.ip4), 'Source column');
      assert.ok(cells.includes(b.ip4), 'Destination column');
      assert.ok(cells.includes('UDP'), 'Protocol column');
      assert.ok(cells.includes(String(14 + 20 + 8 + 7)), 'Length column');

      // The packet carrying HTML: its bytes are data in the hex view, nothing else.
      await frame.locator('.pt-row[aria-rowindex]').nth(3).click();
      await frame
        .locator('vscode-tree-item .dt-label', { hasText: 'User Datagram Protocol' })
        .first()
        .waitFor({ timeout: 10_000 });
      await frame.locator('.hx-ascii').first().waitFor({ timeout: 10_000 });
      const hex = (await frame.locator('.hx-ascii').allInnerTexts()).join('');
      assert.ok(hex.includes('<img src=x'), `the payload shows as text in the hex view: ${hex.slice(0, 200)}`);
      await frame.locator('.pt-row[aria-rowindex]').nth(4).click();
      await frame.locator('vscode-tree-item .dt-label', { hasText: 'User Datagram Protocol' }).first().waitFor();
      assert.equal(await frame.locator('img').count(), 0, 'no <img> element from packet bytes');
      assert.equal(
        await frame.locator('script', { hasText: 'alert(1)' }).count(),
        0,
        'no script element from packet bytes',
      );
      assert.notEqual(await page.title(), 'pwned');
      assert.deepEqual(dialogs, [], 'no dialog opened by packet bytes');
      t.diagnostic(`screenshot: ${await screenshot(page, 'capture-panel')}`);

      // Wireshark's order: stop, then save. The capture is an untitled document, so saving it all is
      // VS Code's Save (a Save As): its own (simple) save dialog, type the path, Enter.
      await frame.locator('vscode-button', { hasText: 'Stop' }).click();
      await frame.locator('.sb-status', { hasText: /Stopped/i }).waitFor({ timeout: 20_000 });
      const saved = path.join(folder, 'ui-capture.pcapng');
      await frame.locator('vscode-button', { hasText: 'Save' }).click();
      // Which packets (a row is selected, so All or Selected): all of them.
      await quickPickRow(page, `All (${PACKETS})`).click();
      t.diagnostic(`the save dialog's default: ${await saveInDialog(page, saved)}`);
      // The confirmation comes once the file is written and closed.
      await page
        .locator('.notifications-toasts', { hasText: `Saved ${PACKETS} packets to ${saved}` })
        .waitFor({ timeout: 20_000 });
      const read = execFileSync('tshark', ['-r', saved, '-T', 'fields', '-e', 'ip.src', '-e', 'udp.dstport'], {
        encoding: 'utf8',
      })
        .trim()
        .split('\n');
      assert.deepEqual(read, Array(PACKETS).fill(`${a.ip4}\t${PORT}`));

      // The tab is now the saved file, in the capture-file editor, with the same packets.
      const tab = page.locator('.tabs-container .tab', { hasText: 'ui-capture.pcapng' });
      await tab.waitFor({ timeout: 20_000 });
      assert.equal(await page.locator('.tabs-container .tab', { hasText: 'Capture 1.pcapng' }).count(), 0);
      const file = webviewFrame(page);
      await file
        .locator('.pt-row[aria-rowindex] .c-number', { hasText: new RegExp(`^${PACKETS}$`) })
        .waitFor({ timeout: 20_000 });
      assert.equal(await rowCount(file), PACKETS);
    });
  } finally {
    pair?.destroy();
  }
});
