// UI end-to-end in real VS Code: a capture file opened from Quick Open; Wireshark's keys (next and
// previous packet in the conversation, Go to Packet) as the editor's keybindings; a row's menu → Follow
// Stream opens the stream's tab beside the capture, both directions in their colours, its content
// shown as Hex Dump on request, and Filter Out This Stream writes the capture's filter; the
// toolbar's Conversations opens the table, sorted by a click on a header, a row applied as the
// capture's filter by a double click; its I/O Graph draws the display filter's series, and a click
// on it selects a packet.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { TCPDUMP_TESTS_DIR } from '../fixtures/tcpdump-tests.js';
import {
  assertFilter,
  chooseFromContextMenu,
  quickOpen,
  screenshot,
  webviewFrame,
  webviewWith,
  withWorkbench,
} from '../vscode/workbench.js';
import { chooseOption } from './helpers/capture-ui.js';

const FILE = 'redis.pcap';

test('Follow Stream, Conversations and the I/O Graph, from the row menu and the toolbar', {
  timeout: 300_000,
}, async (t) => {
  const capture = fs.readFileSync(path.join(TCPDUMP_TESTS_DIR, 'resp_1_benchmark.pcap'));
  await withWorkbench(
    t,
    async ({ page }) => {
      await quickOpen(page, FILE);
      const panel = webviewFrame(page);
      const row = panel.locator('.pt-row[aria-rowindex]').nth(13); // packet 14, of tcp.stream 1
      await row.waitFor({ timeout: 60_000 });

      // Wireshark's keys, as VS Code keybindings of the capture's editor: Ctrl+. and Ctrl+, move
      // through the conversation, Ctrl+G goes to a packet by its number.
      const selected = panel.locator('.pt-row.selected .c-number');
      await row.click();
      await selected.filter({ hasText: /^14$/ }).waitFor();
      await page.keyboard.press('Control+.');
      await selected.filter({ hasText: /^15$/ }).waitFor();
      await page.keyboard.press('Control+,');
      await page.keyboard.press('Control+,');
      await selected.filter({ hasText: /^13$/ }).waitFor();
      const goTo = page.locator('.quick-input-widget input');
      for (const number of ['120', '14']) {
        await page.keyboard.press('Control+g');
        await goTo.waitFor({ state: 'visible' });
        await goTo.fill(number);
        await page.keyboard.press('Enter');
        await selected.filter({ hasText: new RegExp(`^${number}$`) }).waitFor();
      }

      // The row's menu → Follow Stream.
      await panel.locator('.pt-row.selected').click({ button: 'right' });
      await chooseFromContextMenu(page, 'Follow TCP/UDP Stream');
      await page.locator('.tabs-container .tab[aria-label^="Follow TCP Stream (tcp.stream eq 1)"]').waitFor();
      const follow = await webviewWith(page, '.follow-content');
      await follow.locator('.follow-content .peer1').first().waitFor();
      const text = (await follow.locator('.follow-content').textContent()) ?? '';
      assert.match(text, /\*1\r?\n\$4\r?\nPING|PING/, 'the client’s request');
      const colour = (selector: string) =>
        follow
          .locator(selector)
          .first()
          .evaluate((el) => getComputedStyle(el).color);
      assert.notEqual(await colour('.follow-content .peer0'), await colour('.follow-content .peer1'));
      assert.match(
        (await follow.locator('.follow-peers').textContent()) ?? '',
        /127\.0\.0\.1:35902[\s\S]*127\.0\.0\.1:6379/,
      );
      await screenshot(page, 'follow-stream-ascii');

      await chooseOption(follow, 'Show data as', 'Hex Dump');
      await follow.locator('.follow-content', { hasText: /^00000000 {2}[0-9a-f]{2} /m }).waitFor();

      await follow.locator('vscode-button', { hasText: 'Filter Out This Stream' }).click();
      // Two webviews now: the capture's is the one with the table.
      const capture = await webviewWith(page, '.pt-row');
      const filterBar = capture.locator('vscode-textfield.tb-filter input');
      await assertFilter(filterBar, '!(tcp.stream eq 1)');

      // The toolbar's Conversations: the table, sorted by a header, a row applied by a double click.
      await capture.locator('vscode-button', { hasText: 'Conversations' }).click();
      const stats = await webviewWith(page, '.stats-table tbody tr');
      assert.equal(await stats.locator('.stats-table tbody tr').count(), 15);
      const portA = stats.locator('.stats-table th', { hasText: /^Port A$/ });
      await portA.click();
      await portA.click(); // descending
      await stats.locator('.stats-table th[aria-sort="descending"]', { hasText: 'Port A' }).waitFor();
      const firstRow = stats.locator('.stats-table tbody tr').first();
      assert.match((await firstRow.textContent()) ?? '', /35915/, 'the highest client port first');
      await screenshot(page, 'conversations');
      await firstRow.dblclick();
      await assertFilter(filterBar, 'tcp.stream eq 14');

      // Wireshark's Follow TCP Stream key on a row of that conversation.
      await capture.locator('.pt-row[aria-rowindex]').first().click();
      await page.keyboard.press('Control+Alt+Shift+T');
      await page.locator('.tabs-container .tab[aria-label^="Follow TCP Stream (tcp.stream eq 14)"]').waitFor();

      // The toolbar's I/O Graph: every packet and the display filter's, per second; a click on
      // the graph selects the first packet shown from that moment.
      await capture.locator('vscode-button', { hasText: 'I/O Graph' }).click();
      const graph = await webviewWith(page, '.io-plot canvas');
      await graph.locator('.io-status', { hasText: 'displayed: tcp.stream eq 14' }).waitFor();
      await graph.locator('.u-legend', { hasText: 'Displayed: tcp.stream eq 14' }).waitFor();
      assert.match((await graph.locator('.io-plot').getAttribute('aria-label')) ?? '', /^Packets\/s of redis\.pcap/);
      await screenshot(page, 'io-graph');
      await capture.locator('.pt-row[aria-rowindex]').nth(3).click();
      await graph.locator('.io-plot .u-over').click({ position: { x: 2, y: 10 } });
      await capture.locator('.pt-row.selected[aria-rowindex="2"]').waitFor();
    },
    { files: { [FILE]: capture } },
  );
});
