// UI end-to-end in real VS Code: the packet table's rows coloured by Wireshark's default colouring
// rules, in the dark, light and high-contrast themes (switched through the workspace's settings):
// each rule's row is tinted visibly off the editor's background, its rule named on the row, and
// the selected row is unmistakable in each theme. A screenshot of each theme is kept. The Time
// column then follows the time format setting.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import type { FrameLocator } from 'playwright-core';
import { TCPDUMP_TESTS_DIR } from '../fixtures/tcpdump-tests.js';
import { screenshot, THEMES, useColorTheme, withCaptureFile } from '../vscode/workbench.js';

const FILE = 'redis.pcap';
const REDIS = fs.readFileSync(path.join(TCPDUMP_TESTS_DIR, 'resp_1_benchmark.pcap'));

/** sRGB channels of a computed colour ("rgb(…)", "rgba(…)" or "color(srgb …)"), 0–255, and alpha. */
function channels(css: string): [number, number, number, number] {
  const srgb = /color\(srgb ([\d.]+) ([\d.]+) ([\d.]+)(?: \/ ([\d.]+))?\)/.exec(css);
  if (srgb) return [+srgb[1]! * 255, +srgb[2]! * 255, +srgb[3]! * 255, srgb[4] === undefined ? 1 : +srgb[4]];
  const rgb = /rgba?\(([\d.]+), ([\d.]+), ([\d.]+)(?:, ([\d.]+))?\)/.exec(css);
  if (rgb) return [+rgb[1]!, +rgb[2]!, +rgb[3]!, rgb[4] === undefined ? 1 : +rgb[4]];
  throw new Error(`not a colour: ${css}`);
}

/** How far a row's tint, laid over the page's background, moves it (the largest channel change). */
async function tintDistance(frame: FrameLocator, rowNumber: number): Promise<number> {
  const row = frame.locator('.pt-row[aria-rowindex]', {
    has: frame.locator('.c-number', { hasText: new RegExp(`^${rowNumber}$`) }),
  });
  const [tint, page] = await row.evaluate((el) => [
    getComputedStyle(el).backgroundColor,
    getComputedStyle(document.body).backgroundColor,
  ]);
  const [r, g, b, a] = channels(tint!);
  const [pr, pg, pb] = channels(page!);
  return Math.max(
    Math.abs(r * a + pr * (1 - a) - pr),
    Math.abs(g * a + pg * (1 - a) - pg),
    Math.abs(b * a + pb * (1 - a) - pb),
  );
}

test(
  'rows coloured by the colouring rules, readable and selectable in dark, light and high contrast',
  { timeout: 300_000 },
  (t) =>
    withCaptureFile(t, FILE, REDIS, async ({ page, folder, frame }) => {
      // Packet 1 is a SYN, packet 4 the client's PING: Wireshark's "TCP SYN/FIN" and "TCP".
      const rowOf = (n: number) =>
        frame.locator('.pt-row[aria-rowindex]', {
          has: frame.locator('.c-number', { hasText: new RegExp(`^${n}$`) }),
        });
      assert.equal(await rowOf(1).getAttribute('title'), 'Colouring rule: TCP SYN/FIN');
      assert.equal(await rowOf(4).getAttribute('title'), 'Colouring rule: TCP');
      assert.match((await rowOf(4).getAttribute('class')) ?? '', /\bk-purple\b/);
      await rowOf(6).click(); // selected, the table focused
      for (const entry of THEMES) {
        const theme = entry[0];
        await useColorTheme(page, folder, entry);
        // Each rule's tint stands off the background (a channel moves by 10 of 255 at least).
        for (const n of [1, 4]) {
          const distance = await tintDistance(frame, n);
          assert.ok(distance >= 10, `${theme}: packet ${n}'s tint moves the background by ${distance.toFixed(1)}`);
        }
        // The selected row: a fill other than the rows', or a visible outline (high contrast).
        const selected = await rowOf(6).evaluate((el) => {
          const s = getComputedStyle(el);
          return { background: s.backgroundColor, outline: s.outlineStyle === 'none' ? '' : s.outlineColor };
        });
        const outlined = selected.outline !== '' && channels(selected.outline)[3] > 0;
        const filled = channels(selected.background)[3] > 0.5;
        assert.ok(outlined || filled, `${theme}: the selected row shows (${JSON.stringify(selected)})`);
        await screenshot(page, `coloring-${theme}`);
      }
      // The Time column follows packetCapture.timeFormat (here: seconds since the epoch).
      fs.writeFileSync(
        path.join(folder, '.vscode', 'settings.json'),
        JSON.stringify({ 'packetCapture.timeFormat': 'epoch' }),
      );
      await rowOf(1)
        .locator('.c-time', { hasText: /^1424744580\.757048$/ })
        .waitFor();
    }),
);
