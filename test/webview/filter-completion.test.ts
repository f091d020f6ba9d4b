// The display-filter bar's completion and checking as typed, in a real browser (headless Chromium)
// on the dev page, with the real host's side handed in: Wireshark's catalogue (tshark) and sharkd's
// check, as the extension has them. And the page without Wireshark: our names and messages only.
//
//   node --import tsx --test test/webview/filter-completion.test.ts
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { type Browser, chromium, type Page } from 'playwright-core';
import { DeepTrees, findWiresharkProgram } from '../../extension/dissect/deep-tree.js';
import { WiresharkFields } from '../../extension/store/wireshark-fields.js';
import { NO_WIRESHARK_FIELDS } from '../../packet/filter-fields.js';
import { buildDevPage, DEV_PAGE_TYPES } from './helpers/dev-page.js';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const ROOT = resolve(__dirname, '../..');
const skip = existsSync(CHROMIUM) ? false : `no browser at ${CHROMIUM} (apt-get install chromium)`;
const noWireshark = findWiresharkProgram('wireshark', 'tshark') ? false : 'tshark is not installed (Debian: tshark)';

const dir = mkdtempSync(join(tmpdir(), 'filter-completion-'));
const deep = new DeepTrees({ wiresharkPath: () => 'wireshark', tempParent: dir });
const fields = new WiresharkFields({
  wiresharkPath: () => 'wireshark',
  cacheDir: join(dir, 'cache'),
  sharkdCheck: (text) => deep.checkFilter(text),
});
let browser: Browser | undefined;

before(async () => {
  if (skip) return;
  await buildDevPage(dir);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
});

after(async () => {
  await browser?.close();
  await deep.dispose();
  rmSync(dir, { recursive: true, force: true });
});

/** The dev page, served from the build folder; with `wireshark`, the real host's completion and check. */
async function open(wireshark: boolean): Promise<Page> {
  const page = await browser!.newPage({ viewport: { width: 1200, height: 800 } });
  await page.route('http://panel.test/**', (route) => {
    const path = new URL(route.request().url()).pathname;
    const file = join(dir, path === '/' ? 'index.html' : path.slice(1));
    return existsSync(file)
      ? route.fulfill({
          body: readFileSync(file),
          contentType: DEV_PAGE_TYPES[extname(file)] ?? 'application/octet-stream',
        })
      : route.fulfill({ status: 404 });
  });
  if (wireshark) {
    await page.exposeFunction('__completeField', (prefix: string) => fields.complete(prefix));
    await page.exposeFunction('__checkDisplayFilter', (text: string) => fields.check(text));
  }
  await page.goto('http://panel.test/?rows=50&status=stopped&mode=file');
  await page.locator('vscode-textfield.tb-filter input').waitFor();
  return page;
}

const shownNames = (page: Page) => page.locator('.fc-list:not([hidden]) .fc-item .fc-name').allTextContents();

test("Wireshark's names complete as typed; a bad filter shows Wireshark's own message before it is applied", {
  skip: skip || noWireshark,
}, async () => {
  const page = await open(true);
  const input = page.locator('vscode-textfield.tb-filter input');
  await input.pressSequentially('mqtt.top');
  await page.locator('.fc-list:not([hidden]) .fc-item', { hasText: 'mqtt.topic' }).first().waitFor();
  const first = page.locator('.fc-item.chosen');
  assert.equal(await first.locator('.fc-name').textContent(), 'mqtt.topic');
  assert.equal(await first.locator('.fc-type').textContent(), 'string');
  assert.equal(await first.locator('.fc-description').textContent(), 'Topic');
  assert.ok((await shownNames(page)).every((n) => n.startsWith('mqtt.top')));
  await page.screenshot({ path: join(ROOT, 'test-results', 'webview', 'filter-completion.png') }).catch(() => {});
  await input.press('Tab');
  assert.equal(await input.inputValue(), 'mqtt.topic');
  await input.pressSequentially(' ==');
  await page.locator('.tb-message:not([hidden])', { hasText: 'Unexpected end of filter expression.' }).waitFor();
  assert.equal(await page.locator('vscode-textfield.tb-filter[invalid]').count(), 1);
  // A name neither we nor Wireshark know: refused at once, with the nearest name.
  await input.fill('');
  await input.pressSequentially('tcp.prot == 1');
  await page
    .locator('.tb-message:not([hidden])', {
      hasText: `"tcp.prot" is neither a field nor a protocol name, ours or Wireshark's (column 1). Did you mean tcp.port?`,
    })
    .waitFor();
  await page.close();
});

test('without Wireshark: our names complete, our message for a name we do not know', { skip }, async () => {
  const page = await open(false);
  const input = page.locator('vscode-textfield.tb-filter input');
  await input.pressSequentially('tcp.po');
  await page.locator('.fc-list:not([hidden]) .fc-item', { hasText: 'tcp.port' }).first().waitFor();
  assert.deepEqual(await shownNames(page), ['tcp.port']);
  await input.press('Escape');
  assert.equal(await page.locator('.fc-list:not([hidden])').count(), 0);
  await input.fill('');
  await input.pressSequentially('mqtt');
  await page.locator('.tb-message:not([hidden])', { hasText: NO_WIRESHARK_FIELDS }).waitFor();
  await page.close();
});
