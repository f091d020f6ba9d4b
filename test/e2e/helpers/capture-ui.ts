// The capture panel driven as a person drives it, shared by the UI tests: start a capture on a test
// namespace's interface, and find the capture agents a code-server started (from /proc).
import * as path from 'node:path';
import type { FrameLocator, Page } from 'playwright-core';
import type { Host } from '../../kernel/helpers/netns.js';
import { descendants, type Proc, proc } from '../../vscode/processes.js';
import { runCommand, webviewFrame } from '../../vscode/workbench.js';

/** Opens the select labelled `selectLabel` in the panel and clicks its option containing `optionText`. */
export async function chooseOption(frame: FrameLocator, selectLabel: string, optionText: string): Promise<void> {
  const select = frame
    .locator(`vscode-single-select[aria-label="${selectLabel}"], vscode-single-select[label="${selectLabel}"]`)
    .first();
  await select.waitFor({ timeout: 30_000 });
  await select.click();
  // The open dropdown lives in the select's shadow root (Playwright's CSS pierces it).
  await select.locator('.options [role=option]', { hasText: optionText }).first().click();
}

export interface StartOptions {
  /** A capture filter, typed before Start (and waited for until the panel accepts it). */
  filter?: string;
}

/** F1 → "Packet Capture: Start Capture…" → the namespace's target → its interface ticked →
 *  (filter) → Start, until the panel says "Capturing". Returns the panel's document. */
export async function startCapture(page: Page, host: Host, opts: StartOptions = {}): Promise<FrameLocator> {
  await runCommand(page, 'Packet Capture: Start Capture…');
  const frame = webviewFrame(page);
  await chooseOption(frame, 'Capture target', `netns ${host.ns.name}`);
  const box = frame.locator('.cf-if-row', { hasText: host.ip4 }).locator('vscode-checkbox');
  await box.waitFor({ timeout: 20_000 });
  if (!(await box.evaluate((b) => (b as HTMLInputElement).checked))) await box.click();
  if (!(await box.evaluate((b) => (b as HTMLInputElement).checked))) throw new Error(`${host.dev} is not ticked`);
  await startChosen(frame, opts);
  return frame;
}

/** With the target and its interfaces already chosen in the panel: (filter) → Start, until the
 *  panel says "Capturing" (within `timeout`: a remote target may need a while to start). */
export async function startChosen(frame: FrameLocator, opts: StartOptions = {}, timeout = 20_000): Promise<void> {
  if (opts.filter !== undefined) {
    await frame.locator('vscode-textfield.cf-filter input').fill(opts.filter);
    await frame.locator('.cf-message.ok').waitFor({ timeout: 10_000 });
  }
  await frame.locator('vscode-button', { hasText: 'Start' }).click();
  await frame.locator('.sb-status', { hasText: /Capturing/i }).waitFor({ timeout });
}

/** VS Code's extension host: `node …/bootstrap-fork --type=extensionHost …`. */
export const isExtensionHost = (p: Proc): boolean => p.argv.includes('--type=extensionHost');

/** A capture agent as a target starts it: `…/pcap-agent capture …` (dist/agent/linux-ARCH/ locally, the deployed copy over SSH). */
export const isCaptureAgent = (p: Proc): boolean =>
  p.argv.some((a) => path.basename(a) === 'pcap-agent') && p.argv.includes('capture');

/** The process `pid` while it still runs as a capture agent (not a zombie, not a reused pid). */
export function stillAgent(pid: number): Proc | undefined {
  const p = proc(pid);
  return p && p.state !== 'Z' && isCaptureAgent(p) ? p : undefined;
}

/** The capture agents still running: those seen before (followed by pid: an orphan is no longer
 *  below code-server) and any below the process `root` (code-server's group leader) now. */
export function agentsLeft(known: readonly Proc[], root: number): Proc[] {
  const left = new Map<number, Proc>();
  for (const p of known) {
    const now = stillAgent(p.pid);
    if (now) left.set(p.pid, now);
  }
  for (const p of descendants(root).filter(isCaptureAgent)) left.set(p.pid, p);
  return [...left.values()];
}

/** In VS Code's own (simple, in the browser) save dialog: waits until it shows its default path
 *  (a name ending in .pcapng), types `file` over it and accepts. Returns the default it showed.
 *  When `file` lies in another folder than the default, the dialog's first Enter only moves to that
 *  folder (VS Code's behaviour); the next Enter accepts, as a person presses it again. */
export async function saveInDialog(page: Page, file: string): Promise<string> {
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ timeout: 15_000 });
  // The dialog fills in its default path a moment after it opens: type ours after that.
  const shown = await page.waitForFunction(
    () => {
      const value = document.querySelector<HTMLInputElement>('.quick-input-widget input')?.value ?? '';
      return /\.pcapng$/.test(value) ? value : undefined;
    },
    undefined,
    { timeout: 15_000 },
  );
  const defaultPath = (await shown.jsonValue()) ?? '';
  await input.fill(file);
  if ((await input.inputValue()) !== file) throw new Error(`the save dialog holds ${await input.inputValue()}`);
  for (let attempt = 0; ; attempt++) {
    await input.press('Enter');
    const closed = await input.waitFor({ state: 'hidden', timeout: 5_000 }).then(
      () => true,
      () => false,
    );
    if (closed) return defaultPath;
    if (attempt === 2 || (await input.inputValue()) !== file)
      throw new Error(`the save dialog did not accept ${file}: it holds ${await input.inputValue()}`);
  }
}
