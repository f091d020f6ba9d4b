// UI end-to-end, as a person: F1 → "Packet Capture: Start Capture…" → pick a test namespace's
// interface → filter → Start → real traffic → rows with the right columns → select one → detail
// and hex → Save (tshark reads the file) → Stop. A packet carrying HTML shows as text only.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { test } from 'node:test';
import type { FrameLocator, Page } from 'playwright-core';
import { createVethPair, type VethPair } from '../kernel/helpers/netns.js';
import { quickPickRow, runCommand, screenshot, webviewFrame, withWorkbench } from '../vscode/workbench.js';

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

async function chooseOption(frame: FrameLocator, selectLabel: string, optionText: string): Promise<void> {
  const select = frame
    .locator(`vscode-single-select[aria-label="${selectLabel}"], vscode-single-select[label="${selectLabel}"]`)
    .first();
  await select.click();
  // The open dropdown lives in the select's shadow root (Playwright's CSS pierces it).
  await select.locator('.options [role=option]', { hasText: optionText }).first().click();
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
      await runCommand(page, 'Packet Capture: Start Capture…');
      const frame = webviewFrame(page);
      await frame.locator('vscode-collapsible').first().waitFor({ timeout: 30_000 });

      await chooseOption(frame, 'Capture target', `netns ${a.ns.name}`);
      const vA = frame.locator('.cf-if-row', { hasText: a.ip4 }).locator('vscode-checkbox');
      await vA.waitFor({ timeout: 20_000 });
      if (!(await vA.evaluate((box) => (box as HTMLInputElement).checked))) await vA.click();
      assert.equal(await vA.evaluate((box) => (box as HTMLInputElement).checked), true, 'vA chosen');
      const filter = frame.locator('vscode-textfield.cf-filter input');
      await filter.fill(`udp port ${PORT}`);
      await frame.locator('.cf-message.ok').waitFor({ timeout: 10_000 });
      const start = frame.locator('vscode-button', { hasText: 'Start' });
      await start.click();
      await frame.locator('.sb-status', { hasText: /Capturing/i }).waitFor({ timeout: 20_000 });

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

      // Save through VS Code's own (simple) save dialog: type the path, Enter.
      const saved = path.join(folder, 'ui-capture.pcapng');
      await frame.locator('vscode-button', { hasText: 'Save' }).click();
      // Which packets (a row is selected, so All or Selected): all of them.
      await quickPickRow(page, `All (${PACKETS})`).click();
      const input = page.locator('.quick-input-widget input');
      await input.waitFor({ timeout: 15_000 });
      // The dialog fills in its default path a moment after it opens: type ours after that.
      await page.waitForFunction(
        () =>
          /capture-.*\.pcapng$/.test(
            document.querySelector<HTMLInputElement>('.quick-input-widget input')?.value ?? '',
          ),
        undefined,
        { timeout: 15_000 },
      );
      await input.fill(saved);
      assert.equal(await input.inputValue(), saved);
      await input.press('Enter');
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

      await frame.locator('vscode-button', { hasText: 'Stop' }).click();
      await frame.locator('.sb-status', { hasText: /Stopped/i }).waitFor({ timeout: 20_000 });
    });
  } finally {
    pair?.destroy();
  }
});
