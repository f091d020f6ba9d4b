// Playwright helpers for driving real VS Code (code-server) in Debian's chromium like a person.
// Used by the UI tests (test/e2e/*.e2e.ts) and by the extension-host runner (run-exthost.ts).
//
//   withWorkbench(t, async ({ page }) => { ... })   a code-server with the packaged extension,
//       a browser page on its workbench with a fresh folder open; screenshot on failure
//       (test-results/e2e/<test name>-failure.png); everything stopped afterwards.
//   runCommand(page, 'Packet Capture: List Interfaces')   F1, type the title, Enter (retried:
//       right after load the palette may not list contributed commands yet).
//   quickPickRow(page, 'lo')   a row of the open quick pick, by its label.
//   answerQuickPick(page, 'The pod', 'web-1')   once that quick pick is open, pick that row.
//   waitUnlessError(page, locator, ms)   wait for it, or fail at once with an error notification's words.
//   webviewFrame(page)   the content of the active webview: iframe.webview.ready -> #active-frame.
//   screenshot(page, name)   test-results/e2e/<name>.png.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { TestContext } from 'node:test';
import { type Browser, chromium, type FrameLocator, type Locator, type Page } from 'playwright-core';
import { CACHE, type CodeServer, type CodeServerOptions, ROOT, startCodeServer, VSIX } from './code-server.js';
import { glob } from './glob.js';

export const RESULTS_DIR = path.join(ROOT, 'test-results');
export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

/** Headless Debian chromium with the flags that work here (no sandbox as root, no GPU, nothing
 *  that reaches out to the network on its own), and a fresh profile of its own (Playwright's
 *  temporary --user-data-dir, removed on close). */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: run bash scripts/vscode-setup.sh`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // Chromium's own config and cache (crash reports, …) in .cache/vscode/chromium, not in ~/.config.
    env: {
      ...process.env,
      XDG_CONFIG_HOME: path.join(CACHE, 'chromium', 'config'),
      XDG_CACHE_HOME: path.join(CACHE, 'chromium', 'cache'),
    },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
}

/** Packages the extension unless dist/ebpf-packet-capture.vsix is newer than everything that goes
 *  into it (npm test packages before the run; this serves a single test file run by hand). */
export function ensureVsix(): string {
  const inputs = [
    'package.json',
    ...glob('dist/extension/**/*', ROOT),
    ...glob('dist/agent/**/*', ROOT),
    ...glob('dist/webview/**/*', ROOT),
  ];
  const stamp = existsSync(VSIX) ? statSync(VSIX).mtimeMs : 0;
  if (inputs.some((f) => statSync(path.join(ROOT, f)).mtimeMs > stamp)) {
    execFileSync('bash', [path.join(ROOT, 'scripts', 'vscode-package.sh')], { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  return VSIX;
}

/** Waits until the workbench is drawn and the remote extension host is connected. */
export async function waitForWorkbench(page: Page, timeout = 60_000): Promise<void> {
  await page.locator('.monaco-workbench').waitFor({ timeout });
  await page.locator('.statusbar').waitFor({ timeout });
}

/** Runs a command from the command palette by its full title ("Category: Title"), like a person:
 *  F1, type, wait for the row, Enter. Retries while the palette does not list it yet. */
export async function runCommand(page: Page, title: string, { attempts = 8, rowTimeout = 5000 } = {}): Promise<void> {
  const input = page.locator('.quick-input-widget input');
  const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
  for (let i = 0; i < attempts; i++) {
    await page.keyboard.press('Escape');
    await page.keyboard.press('F1');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill(`>${title}`);
    if (
      await row.waitFor({ timeout: rowTimeout }).then(
        () => true,
        () => false,
      )
    ) {
      await page.keyboard.press('Enter');
      return;
    }
  }
  throw new Error(`command "${title}" not found in the command palette`);
}

/** Opens the workspace's file `name` as a person does: Quick Open (Ctrl+P), its name, Enter. */
export async function quickOpen(page: Page, name: string): Promise<void> {
  await page.keyboard.press('Control+P');
  await page.locator('.quick-input-widget input').fill(name);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first().waitFor();
  await page.keyboard.press('Enter');
}

/** Opens the workspace's capture file `name` in the capture editor; resolves with its page once
 *  it shows `rows` rows. */
export async function openCaptureFile(page: Page, name: string, rows = 6): Promise<FrameLocator> {
  await quickOpen(page, name);
  const frame = webviewFrame(page);
  await frame
    .locator('.pt-row[aria-rowindex]')
    .nth(rows - 1)
    .waitFor({ timeout: 60_000 });
  return frame;
}

/** The colour themes a theme check goes through, each with the class it gives the workbench. */
export const THEMES = [
  ['Default Dark Modern', 'vs-dark'],
  ['Default Light Modern', 'vs'],
  ['Default High Contrast', 'hc-black'],
] as const;

/** Switches the workbench to `theme` through the workspace's settings, as a person would. */
export async function useColorTheme(
  page: Page,
  folder: string,
  [theme, workbenchClass]: (typeof THEMES)[number],
): Promise<void> {
  mkdirSync(path.join(folder, '.vscode'), { recursive: true });
  writeFileSync(path.join(folder, '.vscode', 'settings.json'), JSON.stringify({ 'workbench.colorTheme': theme }));
  await page.locator(`.monaco-workbench.${workbenchClass}`).waitFor();
}

/** Matches a label that is exactly `label` (spaces around it aside). */
function exactly(label: string): RegExp {
  return new RegExp(`^\\s*${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`);
}

/** The open quick pick's row whose label is exactly `label`. */
export function quickPickRow(page: Page, label: string): Locator {
  return page.locator('.quick-input-widget .quick-input-list .monaco-list-row').filter({
    has: page.locator('.label-name', { hasText: exactly(label) }),
  });
}

/** Answers the quick pick whose placeholder starts with `placeholder` once it is open (an extension
 *  may open it seconds after the previous one closed, in the same widget): types `label` to narrow
 *  its rows, as a person does in a long list, and picks the row labelled exactly `label`. */
export async function answerQuickPick(page: Page, placeholder: string, label: string, timeout = 60_000): Promise<void> {
  const input = page.locator(`.quick-input-widget input[placeholder^=${JSON.stringify(placeholder)}]`);
  await input.waitFor({ state: 'visible', timeout });
  await input.fill(label);
  await quickPickRow(page, label).click({ timeout: 10_000 });
}

/** Waits for `target`; fails at once with its words when an error notification shows first (how a
 *  command says it failed), instead of waiting out the timeout. */
export async function waitUnlessError(page: Page, target: Locator, timeout: number): Promise<void> {
  const error = page
    .locator('.notifications-toasts .notification-toast')
    .filter({ has: page.locator('.codicon-error') })
    .first();
  const first = await Promise.race([
    target.waitFor({ timeout }).then(() => 'target' as const),
    // Later than the target's timeout, so a plain timeout names the target.
    error.waitFor({ timeout: timeout + 5000 }).then(() => 'error' as const),
  ]);
  if (first === 'error') {
    const message = await error.locator('.notification-list-item-message').textContent();
    throw new Error(`VS Code reported an error: ${(message ?? '').trim()}`);
  }
}

/** The labels of the open quick pick's rendered rows (each row's first label; not its detail line). */
export async function quickPickLabels(page: Page): Promise<string[]> {
  const rows = page.locator('.quick-input-widget .quick-input-list .monaco-list-row');
  const labels: string[] = [];
  for (const row of await rows.all())
    labels.push(((await row.locator('.label-name').first().textContent()) ?? '').trim());
  return labels;
}

/** The document of the active webview (panel or custom editor): VS Code nests it in two iframes. */
export function webviewFrame(page: Page): FrameLocator {
  return page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
}

/** The page of the webview whose document has `selector`, when several webviews are open (a
 *  capture and the tabs beside it). */
export async function webviewWith(page: Page, selector: string): Promise<FrameLocator> {
  const frames = page.frameLocator('iframe.webview.ready');
  for (let attempt = 0; attempt < 100; attempt++) {
    const count = await page.locator('iframe.webview.ready').count();
    for (let i = 0; i < count; i++) {
      const frame = frames.nth(i).frameLocator('#active-frame');
      if ((await frame.locator(selector).count()) > 0) return frame;
    }
    await page.waitForTimeout(200); // polling for a frame that is still loading, bounded above
  }
  throw new Error(`no webview shows ${selector}`);
}

/** The workbench's context menu shown last (a submenu, when one is open): VS Code draws it in the
 *  page, outside every webview. */
function openMenu(page: Page): Locator {
  return page.locator('.context-view .monaco-menu').last();
}

/** The items of the context menu shown last, by label, in order (separators left out). */
export async function contextMenuLabels(page: Page): Promise<string[]> {
  const menu = openMenu(page);
  await menu.waitFor();
  return menu
    .locator(':scope > .monaco-action-bar > .actions-container > .action-item > .action-menu-item .action-label')
    .allTextContents();
}

/** Runs an item of the context menu shown last. */
async function pressMenuItem(page: Page, label: string): Promise<void> {
  const item = openMenu(page).locator(
    ':scope > .monaco-action-bar > .actions-container > .action-item > .action-menu-item',
    { has: page.locator('.action-label', { hasText: exactly(label) }) },
  );
  // The pointer on it (the menu's own focus follows it), then Enter: a click can land while the
  // menu still ignores the pointer, having just opened under it.
  await item.hover();
  await page.keyboard.press('Enter');
}

/** Chooses an item of the context menu that is open; each label but the last opens a submenu. */
export async function chooseFromContextMenu(page: Page, ...labels: string[]): Promise<void> {
  for (const label of labels) await pressMenuItem(page, label);
  await page.locator('.context-view .monaco-menu').first().waitFor({ state: 'detached' });
}

/** Opens the submenu `label` of the context menu shown last. */
export async function openContextSubmenu(page: Page, label: string): Promise<void> {
  const menus = page.locator('.context-view .monaco-menu');
  const shown = await menus.count();
  await pressMenuItem(page, label);
  await menus.nth(shown).waitFor();
}

/** Waits until the capture's filter bar (`input`) holds `text`. */
export async function assertFilter(input: Locator, text: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    if ((await input.inputValue()) === text) return;
    await new Promise((resolve) => setTimeout(resolve, 100)); // polling the field, bounded above
  }
  assert.equal(await input.inputValue(), text);
}

const fileName = (name: string) => name.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 120);

/** Saves a screenshot to test-results/e2e/<name>.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  const file = path.join(RESULTS_DIR, 'e2e', `${fileName(name)}.png`);
  mkdirSync(path.dirname(file), { recursive: true });
  await page.screenshot({ path: file });
  return file;
}

export interface Workbench {
  page: Page;
  browser: Browser;
  server: CodeServer;
  /** The workspace folder open in the workbench (a fresh temp folder). */
  folder: string;
}

export interface WorkbenchOptions {
  /** Files to create in the workspace folder before opening it: { 'a/b.txt': 'content' }. */
  files?: Record<string, string | Uint8Array>;
  /** Passed to startCodeServer; by default the packaged extension is installed (ensureVsix). */
  server?: CodeServerOptions;
  viewport?: { width: number; height: number };
}

/** withWorkbench with `bytes` in the workspace as the capture file `name`, opened in the capture
 *  editor (its first rows shown) before `fn` runs with its page. */
export function withCaptureFile<T>(
  t: TestContext,
  name: string,
  bytes: Uint8Array,
  fn: (wb: Workbench & { frame: FrameLocator }) => Promise<T>,
): Promise<T> {
  return withWorkbench(t, async (wb) => fn({ ...wb, frame: await openCaptureFile(wb.page, name) }), {
    files: { [name]: bytes },
  });
}

/** Starts code-server with the packaged extension, opens a page on its workbench with a fresh folder,
 *  runs `fn`, and stops everything (also on failure). On failure it leaves a screenshot and
 *  code-server's log in test-results/e2e/. */
export async function withWorkbench<T>(
  t: TestContext,
  fn: (wb: Workbench) => Promise<T>,
  opts: WorkbenchOptions = {},
): Promise<T> {
  const folder = mkdtempSync(path.join(tmpdir(), 'pcap-e2e-workspace-'));
  for (const [rel, content] of Object.entries(opts.files ?? {})) {
    mkdirSync(path.dirname(path.join(folder, rel)), { recursive: true });
    writeFileSync(path.join(folder, rel), content);
  }
  let server: CodeServer | undefined;
  let browser: Browser | undefined;
  try {
    server = await startCodeServer({ vsix: ensureVsix(), ...opts.server });
    browser = await launchBrowser();
    // A context of its own (not browser.newPage's implicit one): axe-core's AxeBuilder asks for it.
    const context = await browser.newContext({ viewport: opts.viewport ?? { width: 1280, height: 800 } });
    const page = await context.newPage();
    page.on('pageerror', (e) => t.diagnostic(`page error: ${e.message.slice(0, 300)}`));
    await page.goto(server.workbenchUrl(folder));
    await waitForWorkbench(page);
    try {
      return await fn({ page, browser, server, folder });
    } catch (e) {
      const shot = await screenshot(page, `${t.name}-failure`).catch(() => undefined);
      if (shot) t.diagnostic(`screenshot: ${path.relative(ROOT, shot)}`);
      const log = path.join(RESULTS_DIR, 'e2e', `${fileName(`${t.name}-code-server`)}.log`);
      copyFileSync(server.logFile, log);
      t.diagnostic(`code-server log: ${path.relative(ROOT, log)}`);
      throw e;
    }
  } finally {
    await browser?.close().catch(() => {});
    await server?.stop();
    rmSync(folder, { recursive: true, force: true });
  }
}
