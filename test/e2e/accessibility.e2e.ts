// UI end-to-end in real VS Code: the capture panel for keyboard and screen-reader users. Tab
// reaches the packet table, the detail tree and the bytes; arrows move inside each (the bytes pane
// moves a byte cursor that selects the field holding it, as a click does); Ctrl+M marks a packet,
// Ctrl+Shift+N goes to it, Ctrl+D ignores another, Up from the first row reaches the header,
// Ctrl+/ goes to the filter bar (where frame.marked finds the mark); and axe-core finds no serious
// or critical violation in the panel, a marked and an ignored row and the header's active cell in
// it, in the dark, light and high-contrast themes. The I/O Graph beside it: its cursor moved by the
// arrows, Enter selecting that moment's packet, axe-core in the three themes; and so the Protocol
// Hierarchy: the arrows move through its rows, Enter applies one as the capture's display filter.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { AxeBuilder } from '@axe-core/playwright';
import type { FrameLocator, Page } from 'playwright-core';
import { TCPDUMP_TESTS_DIR } from '../fixtures/tcpdump-tests.js';
import { assertFilter, screenshot, THEMES, useColorTheme, webviewWith, withCaptureFile } from '../vscode/workbench.js';

const FILE = 'redis.pcap';
const REDIS = fs.readFileSync(path.join(TCPDUMP_TESTS_DIR, 'resp_1_benchmark.pcap'));

/** The element focused inside the panel's page: its class list and accessible name. */
async function focused(frame: FrameLocator): Promise<string> {
  return frame.locator('body').evaluate(() => {
    let el = document.activeElement;
    while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement;
    if (!el) return '';
    const host = (el.getRootNode() as ShadowRoot).host as Element | undefined;
    return `${el.tagName.toLowerCase()}.${el.className} ${host ? `in ${host.tagName.toLowerCase()}` : ''} "${el.getAttribute('aria-label') ?? ''}"`;
  });
}

/** Presses Tab until the focus is inside `selector`, at most `limit` times. */
async function tabTo(page: Page, frame: FrameLocator, selector: string, limit = 12): Promise<void> {
  const inside = () => frame.locator(selector).evaluate((el) => el.matches(':focus-within'));
  for (let i = 0; i < limit; i++) {
    if (await inside()) return;
    await page.keyboard.press('Tab');
  }
  assert.ok(await inside(), `Tab reached ${selector}; the focus is on ${await focused(frame)}`);
}

/** axe-core's serious and critical violations inside the panel's page (the workbench around it is
 *  VS Code's), one line each: rule, impact, and the elements. */
async function panelViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).include(['iframe.webview.ready', '#active-frame', 'body']).analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')}`);
}

test(
  'keyboard and screen readers: Tab through table, tree and bytes; Ctrl+M marks, Ctrl+D ignores; axe-core in three themes',
  { timeout: 300_000 },
  (t) =>
    withCaptureFile(t, FILE, REDIS, async ({ page, folder, frame }) => {
      const rows = frame.locator('.pt-row[aria-rowindex]');

      // Packet 4, the client's PING: the table has the focus, Tab goes on to the tree.
      // Wireshark's tree replaces ours once sharkd has read the packet (its RESP layer says so): the
      // keys are tried on the tree that stays.
      await rows.filter({ has: frame.locator('.c-number', { hasText: /^4$/ }) }).click();
      await frame.locator('.detail-tree vscode-tree-item', { hasText: 'REdis Serialization Protocol' }).waitFor();
      const treeSelected = frame.locator('.detail-tree vscode-tree-item[selected] > .dt-label');
      await tabTo(page, frame, '.detail-tree');
      const before = await treeSelected.textContent();
      await page.keyboard.press('ArrowDown');
      await frame
        .locator('.detail-tree vscode-tree-item[selected] > .dt-label', { hasNotText: before ?? '' })
        .waitFor({ timeout: 5000 });

      // Tab on to the bytes: a cursor; Ctrl+Home puts it on the first byte, which selects the
      // cooked header's packet type; Ctrl+End the last, in the TCP payload (the RESP PING).
      await tabTo(page, frame, '.hex-view');
      const cursor = frame.locator('.hx-b.cursor');
      await cursor.waitFor();
      await page.keyboard.press('Control+Home');
      await frame.locator('.hx-status', { hasText: /^Offset 0000: [0-9a-f]{2}$/ }).waitFor();
      await frame.locator('.detail-tree vscode-tree-item[selected] .dt-label', { hasText: /^Packet type: / }).waitFor();
      await page.keyboard.press('ArrowRight');
      await frame.locator('.hx-status', { hasText: /^Offset 0001: / }).waitFor();
      await page.keyboard.press('Control+End');
      await frame.locator('.field-info', { hasText: /^tcp\.payload · bytes 68–73 / }).waitFor(); // PING\r\n
      assert.equal(await frame.locator('.hx-b.cursor.hl').count(), 1, 'the last byte lies in the field selected');
      assert.equal(
        await frame.locator('.hex-view').evaluate((el) => el === document.activeElement),
        true,
        'the bytes keep the focus',
      );

      // Wireshark's Ctrl+M marks the selected packet (drawn in the text's colours swapped, counted in
      // the status bar); Ctrl+Shift+N goes to the next mark. The marked row stays for axe-core.
      const rowOf = (n: number) => rows.filter({ has: frame.locator('.c-number', { hasText: new RegExp(`^${n}$`) }) });
      await rowOf(6).click();
      await page.keyboard.press('Control+M');
      await frame.locator('.pt-row.marked .c-number', { hasText: /^6$/ }).waitFor({ timeout: 10_000 });
      await frame.locator('.sb-item', { hasText: /^Marked\s*1$/ }).waitFor();
      assert.equal(await frame.locator('.pt-row.marked').count(), 1);
      await rowOf(2).click();
      await page.keyboard.press('Control+Shift+N');
      await frame.locator('.pt-row.selected.marked .c-number', { hasText: /^6$/ }).waitFor({ timeout: 10_000 });
      // Ctrl+D ignores the selected packet (Wireshark's key): a frame alone, "<Ignored>", drawn
      // greyed, counted in the status bar. The ignored row stays for axe-core too.
      await rowOf(3).click();
      await page.keyboard.press('Control+D');
      await frame.locator('.pt-row.ignored .c-info', { hasText: /^<Ignored>$/ }).waitFor({ timeout: 10_000 });
      await frame.locator('.sb-item', { hasText: /^Ignored\s*1$/ }).waitFor();
      assert.equal(await frame.locator('.pt-row.ignored .c-number').textContent(), '3');
      // Up from the first row: the header, Right along it; axe-core sees the header cell active.
      await rowOf(1).click();
      await page.keyboard.press('ArrowUp');
      await page.keyboard.press('ArrowRight');
      await frame.locator('.pt-th.focused.c-time').waitFor({ timeout: 10_000 });
      assert.equal(
        await frame.locator('.packet-table').getAttribute('aria-activedescendant'),
        await frame.locator('.pt-th.c-time').getAttribute('id'),
      );

      for (const theme of THEMES) {
        await useColorTheme(page, folder, theme);
        const violations = await panelViolations(page);
        await screenshot(page, `accessibility-${theme[0]}`);
        assert.deepEqual(violations, [], theme[0]);
      }

      // Ctrl+/ goes to the display filter bar (Wireshark's key); frame.marked shows the marked packet.
      await rows.first().click();
      await page.keyboard.press('Control+/');
      assert.equal(
        await frame.locator('body').evaluate(() => document.activeElement?.classList.contains('tb-filter') === true),
        true,
        'the filter bar has the focus',
      );
      await page.keyboard.type('frame.marked');
      await page.keyboard.press('Enter');
      await frame.locator('.sb-item', { hasText: /^Shown\s*1$/ }).waitFor({ timeout: 10_000 });
      // The row comes after the count (it loads): wait for it, then see it is the only one.
      const shown = frame.locator('.pt-row[aria-rowindex]:not([hidden])');
      await shown.locator('.c-number', { hasText: /^6$/ }).waitFor({ timeout: 10_000 });
      assert.equal(await shown.count(), 1);
    }),
);

test(
  'the I/O Graph from the keyboard: arrows move its cursor, Enter selects the packet; axe-core in three themes',
  { timeout: 300_000 },
  (t) =>
    withCaptureFile(t, FILE, REDIS, async ({ page, folder, frame }) => {
      await frame.locator('vscode-button', { hasText: 'I/O Graph' }).click();
      const graph = await webviewWith(page, '.io-plot canvas');
      const capture = await webviewWith(page, '.pt-row');
      await graph.locator('.io-status', { hasText: /1 ms intervals \(auto\)/ }).waitFor();
      // End: the last interval; Enter: the first packet in it, the capture's last few.
      const plot = graph.locator('.io-plot');
      await plot.focus();
      await page.keyboard.press('End');
      await page.keyboard.press('Enter');
      // The row is drawn at once and filled when its page comes: wait for its number.
      const selected = capture.locator('.pt-row.selected .c-number', { hasText: /^\d+$/ });
      await selected.waitFor({ timeout: 10_000 });
      const last = Number(await selected.textContent());
      assert.ok(last > 100, `a packet of the last millisecond selected (${last})`);
      // Home: the first interval, the first packet.
      await plot.focus();
      await page.keyboard.press('Home');
      await page.keyboard.press('Enter');
      await capture.locator('.pt-row.selected .c-number', { hasText: /^1$/ }).waitFor({ timeout: 10_000 });

      for (const theme of THEMES) {
        await useColorTheme(page, folder, theme);
        const violations = await panelViolations(page);
        await screenshot(page, `io-graph-${theme[0]}`);
        assert.deepEqual(violations, [], theme[0]);
      }
    }),
);

test(
  'the Protocol Hierarchy from the keyboard: arrows move through the protocols, Enter applies one; axe-core in three themes',
  { timeout: 300_000 },
  (t) =>
    withCaptureFile(t, FILE, REDIS, async ({ page, folder, frame }) => {
      await frame.locator('vscode-button', { hasText: 'Protocols' }).click();
      const hierarchy = await webviewWith(page, '.phs-table tbody tr');
      const capture = await webviewWith(page, '.pt-row');
      // The cooked link, IPv4 and TCP, nested: every packet in each.
      const rows = hierarchy.locator('.phs-table tbody tr');
      await hierarchy.locator('.stats-status', { hasText: /^150 packets$/ }).waitFor();
      assert.deepEqual(await rows.locator('.phs-protocol').allTextContents(), ['sll', 'ip', 'tcp']);
      await rows.first().focus();
      await page.keyboard.press('ArrowDown');
      await page.keyboard.press('ArrowDown');
      await page.keyboard.press('Enter');
      await assertFilter(capture.locator('vscode-textfield.tb-filter input'), 'tcp');

      for (const theme of THEMES) {
        await useColorTheme(page, folder, theme);
        const violations = await panelViolations(page);
        await screenshot(page, `protocol-hierarchy-${theme[0]}`);
        assert.deepEqual(violations, [], theme[0]);
      }
    }),
);
