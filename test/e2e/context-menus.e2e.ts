// UI end-to-end in real VS Code: the capture's context menus are VS Code's own (webview/context),
// shown for what the right click landed on: a row (Mark, Ignore, Follow, Copy, with their keys), a
// node of the packet's tree (Apply as Filter ▸, Prepare as Filter ▸, Copy ▸; a label of ours has
// Copy alone), a column header (the sorts). The chosen item acts on that row, node or header; Copy
// reaches the clipboard; the menu key and Shift+F10 open the menu of the row or node the keyboard
// is on.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import type { FrameLocator, Page } from 'playwright-core';
import { TCPDUMP_TESTS_DIR } from '../fixtures/tcpdump-tests.js';
import {
  assertFilter,
  chooseFromContextMenu,
  contextMenuLabels,
  openContextSubmenu,
  quickOpen,
  screenshot,
  webviewFrame,
  withWorkbench,
} from '../vscode/workbench.js';

const FILE = 'redis.pcap';
/** A row's items; a cell of a column showing one field adds Apply and Prepare as Filter. */
const ROW_ITEMS = [
  'Mark/Unmark Packet',
  'Ignore/Unignore Packet',
  'Follow Conversation',
  'Follow TCP/UDP Stream',
  'Show Packet Details',
  'Copy Row as Text',
];
const CELL_ITEMS = [...ROW_ITEMS.slice(0, 2), 'Apply as Filter', 'Prepare as Filter', ...ROW_ITEMS.slice(2)];

/** Waits until the clipboard holds `text` (VS Code writes it from the extension host). */
async function assertClipboard(page: Page, text: string | RegExp): Promise<void> {
  let last = '';
  for (let attempt = 0; attempt < 100; attempt++) {
    last = await page.evaluate(() => navigator.clipboard.readText());
    if (typeof text === 'string' ? last === text : text.test(last)) return;
    await page.waitForTimeout(100); // polling the clipboard, bounded above
  }
  assert.fail(`the clipboard holds ${JSON.stringify(last)}, not ${text}`);
}

/** A layer or field of the packet's tree, by its label's start. */
function treeNode(panel: FrameLocator, label: string) {
  return panel.locator('vscode-tree-item .dt-label', { hasText: new RegExp(`^${label}`) }).first();
}

test('the capture’s context menus are VS Code’s: rows, tree nodes and headers, by pointer and keyboard', {
  timeout: 300_000,
}, async (t) => {
  const capture = fs.readFileSync(path.join(TCPDUMP_TESTS_DIR, 'resp_1_benchmark.pcap'));
  await withWorkbench(
    t,
    async ({ page, server }) => {
      await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], {
        origin: new URL(server.workbenchUrl('/')).origin,
      });
      await quickOpen(page, FILE);
      const panel = webviewFrame(page);
      const row = panel.locator('.pt-row[aria-rowindex="15"]'); // packet 14, a RESP request
      await row.waitFor({ timeout: 60_000 });
      const filterBar = panel.locator('vscode-textfield.tb-filter input');

      // A row: a right click selects it; its menu has Wireshark's items with their keys.
      await row.locator('.c-info').click({ button: 'right' });
      assert.deepEqual(await contextMenuLabels(page), ROW_ITEMS);
      const keys = await page.locator('.context-view .monaco-menu .keybinding').allTextContents();
      assert.ok(keys.includes('Ctrl+M') && keys.includes('Ctrl+D'), `the keys beside the items: ${keys}`);
      await screenshot(page, 'context-menu-row');
      await panel.locator('.pt-row.selected[aria-rowindex="15"]').waitFor();
      await chooseFromContextMenu(page, 'Mark/Unmark Packet');
      await panel.locator('.pt-row.marked[aria-rowindex="15"]').waitFor();
      await row.locator('.c-info').click({ button: 'right' });
      await chooseFromContextMenu(page, 'Copy Row as Text');
      await assertClipboard(page, /^14\t0\.000609\t127\.0\.0\.1\t127\.0\.0\.1\tTCP\t82\t35902 → 6379 \[PSH, ACK\]/);

      // A cell: Apply as Filter ▸ Selected filters on its column's field and the cell's value.
      await row.locator('.c-length').click({ button: 'right' });
      assert.deepEqual(await contextMenuLabels(page), CELL_ITEMS);
      await chooseFromContextMenu(page, 'Apply as Filter', 'Selected');
      await assertFilter(filterBar, 'frame.len == 82');

      // A node of the tree: Copy ▸ Value of a field, Apply as Filter ▸ Selected of a layer.
      await treeNode(panel, 'Transmission Control Protocol').dblclick(); // opens the layer
      await treeNode(panel, 'Destination Port: 6379').click({ button: 'right' });
      const fieldItems = await contextMenuLabels(page);
      assert.deepEqual(
        fieldItems.filter((l) => l !== 'Apply as Column'),
        ['Apply as Filter', 'Prepare as Filter', 'Copy'],
      );
      await chooseFromContextMenu(page, 'Copy', 'Value');
      await assertClipboard(page, '6379');
      await treeNode(panel, 'REdis Serialization Protocol').click({ button: 'right' });
      await chooseFromContextMenu(page, 'Apply as Filter', '…and not Selected');
      await assertFilter(filterBar, 'frame.len == 82 && !resp');
      await treeNode(panel, 'Transmission Control Protocol').click({ button: 'right' });
      await chooseFromContextMenu(page, 'Prepare as Filter', 'Not Selected');
      await assertFilter(filterBar, '!tcp');

      // A label of ours names no filter: Copy alone, without "…as Filter".
      await treeNode(panel, 'Frame 14').dblclick();
      await treeNode(panel, 'Arrival Time').click({ button: 'right' });
      assert.deepEqual(await contextMenuLabels(page), ['Copy']);
      await openContextSubmenu(page, 'Copy');
      assert.deepEqual(await contextMenuLabels(page), [
        'Summary as Text',
        'Value',
        'Field Name',
        'Bytes as Hex',
        'Bytes as Printable Text',
      ]);
      await screenshot(page, 'context-menu-copy');
      await page.keyboard.press('Escape');
      await page.keyboard.press('Escape');

      // A header: Wireshark's sorts; a built-in column has no Remove.
      const length = panel.locator('.pt-th.c-length');
      await length.click({ button: 'right' });
      assert.deepEqual(await contextMenuLabels(page), ['Sort Ascending', 'Sort Descending', 'Do Not Sort']);
      await chooseFromContextMenu(page, 'Sort Descending');
      await panel.locator('.pt-th.c-length[aria-sort="descending"]').waitFor();

      // The keyboard: Shift+F10 on the selected row, the menu key on a focused node.
      await filterBar.fill('');
      await filterBar.press('Enter');
      await panel.locator('.pt-row[aria-rowindex="2"]').click();
      await page.keyboard.press('Shift+F10');
      assert.deepEqual(await contextMenuLabels(page), ROW_ITEMS);
      await page.keyboard.press('Escape');
      await treeNode(panel, 'Frame').click();
      await page.keyboard.press('ContextMenu');
      assert.ok((await contextMenuLabels(page)).includes('Apply as Filter'));
      await page.keyboard.press('Escape');
    },
    { files: { [FILE]: capture } },
  );
});
