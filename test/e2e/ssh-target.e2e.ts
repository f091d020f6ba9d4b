// UI end-to-end over SSH, as a person: the panel's target picker lists the hosts of the SSH config;
// picking one asks about its unknown host key in VS Code's modal (SHA256 fingerprint), "Trust and
// Connect" records it; the remote host's interfaces appear; a capture there fills the table.
// "Add SSH host…" in the same picker takes user@host; "Connect to PCAP-over-TCP endpoint…" reads a
// PCA stream through the host; "Remove Agent from Host…" cleans up. The remote host is a real sshd
// in a network namespace (test/ssh/helpers/sshd.ts).
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import type { FrameLocator, Page } from 'playwright-core';
import { REPO, STATIC_AGENT } from '../kernel/helpers/agent.js';
import { registerCleanup } from '../kernel/helpers/cleanup.js';
import { sendUdp } from '../ssh/helpers/remote.js';
import { type SshFixture, startSshFixture } from '../ssh/helpers/sshd.js';
import { quickPickRow, runCommand, screenshot, webviewFrame, withWorkbench } from '../vscode/workbench.js';

const PORT = 5555;
const PCA_PORT = 19_990;

/** The agent in PCA mode on the host (loopback only, capturing udp/PORT on its veth). `attached()`
 *  resolves once it has attached its hooks, which it does when its first client connects and says
 *  on stderr; it gives up 30 s after it is asked, not after the agent started. */
function startPcaAgent(fixture: SshFixture): { attached(): Promise<void>; stop(): void } {
  const child = spawn('ip', ['netns', 'exec', fixture.remote.name, STATIC_AGENT], {
    env: {
      ...process.env,
      ENABLE_PCA: 'true',
      PCA_SERVER_PORT: String(PCA_PORT),
      PCA_FILTER: `udp,${PORT}`,
      INTERFACES: fixture.remoteDev,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const undo = registerCleanup(() => child.kill('SIGKILL'));
  let seen = '';
  let exitCode: number | null | undefined;
  const watchers = new Set<() => void>();
  child.stderr.on('data', (chunk: Buffer) => {
    seen += chunk.toString('utf8');
    for (const w of watchers) w();
  });
  child.once('exit', (code) => {
    exitCode = code;
    for (const w of watchers) w();
  });
  const attached = () =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (/^pcap-agent: capturing on /m.test(seen)) done(resolve);
        else if (exitCode !== undefined)
          done(() => reject(new Error(`the PCA agent exited (${exitCode}) before attaching: ${seen.trim()}`)));
      };
      const timer = setTimeout(
        () => done(() => reject(new Error(`the PCA agent did not attach within 30 s: ${seen.trim()}`))),
        30_000,
      );
      const done = (settle: () => void) => {
        clearTimeout(timer);
        watchers.delete(check);
        settle();
      };
      watchers.add(check);
      check();
    });
  return {
    attached,
    stop: () => {
      child.kill();
      undo();
    },
  };
}

async function chooseTarget(frame: FrameLocator, label: string): Promise<void> {
  const select = frame.locator('vscode-single-select[aria-label="Capture target"]').first();
  await select.click();
  await select.locator('.options [role=option]', { hasText: label }).first().click();
}

async function checkInterface(frame: FrameLocator, text: string): Promise<void> {
  const box = frame.locator('.cf-if-row', { hasText: text }).locator('vscode-checkbox');
  await box.waitFor({ timeout: 60_000 });
  if (!(await box.evaluate((b) => (b as HTMLInputElement).checked))) await box.click();
}

async function trustHostKey(page: Page, fixture: SshFixture): Promise<void> {
  const dialog = page.locator('.monaco-dialog-box');
  await dialog.waitFor({ timeout: 30_000 });
  const text = (await dialog.textContent()) ?? '';
  assert.match(text, /authenticity of host '198\.51\.100\.2' can't be established/);
  assert.ok(text.includes(fixture.hostFingerprint), `the modal shows ${fixture.hostFingerprint}: ${text}`);
  await dialog.getByRole('button', { name: 'Trust and Connect' }).click();
}

test("capture on an SSH host from the panel's target picker", { timeout: 400_000 }, async (t) => {
  const fixture = await startSshFixture();
  try {
    await withWorkbench(
      t,
      async ({ page }) => {
        await runCommand(page, 'Packet Capture: Start Capture…');
        const frame = webviewFrame(page);
        await frame.locator('vscode-collapsible').first().waitFor({ timeout: 30_000 });

        await chooseTarget(frame, 'pcap-remote');
        await trustHostKey(page, fixture);
        await checkInterface(frame, fixture.address);
        assert.equal(
          fs.readFileSync(fixture.knownHostsFile, 'utf8').trim().split('\n').length,
          1,
          'the accepted key was recorded',
        );
        assert.equal(
          fixture.ssh('pcap-remote', 'true', ['StrictHostKeyChecking=yes']).code,
          0,
          'and OpenSSH trusts it',
        );

        await frame.locator('vscode-textfield.cf-filter input').fill(`udp port ${PORT}`);
        await frame.locator('.cf-message.ok').waitFor({ timeout: 10_000 });
        await frame.locator('vscode-button', { hasText: 'Start' }).click();
        await frame.locator('.sb-status', { hasText: /Capturing/i }).waitFor({ timeout: 60_000 });
        await sendUdp(fixture.address, PORT, 6);
        await frame.locator('.pt-row[aria-rowindex] .c-number', { hasText: /^6$/ }).waitFor({ timeout: 30_000 });
        assert.equal(await frame.locator('.pt-row[aria-rowindex]').count(), 6);
        const cells = (
          await frame.locator('.pt-row[aria-rowindex]').first().locator('[role=gridcell]').allInnerTexts()
        ).map((c) => c.trim());
        assert.ok(
          cells.includes('198.51.100.1') && cells.includes(fixture.address) && cells.includes('UDP'),
          cells.join(' | '),
        );
        t.diagnostic(`screenshot: ${await screenshot(page, 'ssh-capture')}`);
        await frame.locator('vscode-button', { hasText: 'Stop' }).click();
        await frame.locator('.sb-status', { hasText: /Stopped/i }).waitFor({ timeout: 30_000 });

        // Add SSH host…: a user@host typed by hand becomes a target of its own.
        const destination = `${fixture.sudoUser.name}@pcap-remote`;
        await frame.locator('vscode-collapsible .collapsible-header').first().click(); // the form folds away while capturing
        await chooseTarget(frame, 'Add SSH host…');
        const input = page.locator('.quick-input-widget input');
        await input.waitFor({ timeout: 15_000 });
        await input.fill(destination);
        await input.press('Enter');
        await frame
          .locator('vscode-single-select[aria-label="Capture target"]', { hasText: destination })
          .waitFor({ timeout: 30_000 });
        await checkInterface(frame, fixture.address);

        // Connect to PCAP-over-TCP endpoint…: the agent in PCA mode on the host's loopback, read through
        // an SSH local forward.
        const pca = startPcaAgent(fixture);
        try {
          await runCommand(page, 'Packet Capture: Connect to PCAP-over-TCP endpoint…');
          await quickPickRow(page, 'Through an SSH host…').click();
          await quickPickRow(page, 'pcap-remote').click();
          await input.waitFor({ timeout: 15_000 });
          await input.fill(`127.0.0.1:${PCA_PORT}`);
          await input.press('Enter');
          // The panel still holds the 6 unsaved packets: Wireshark's question, answered "Continue without Saving".
          const question = page.locator('.monaco-dialog-box', {
            hasText: 'Do you want to save the captured packets before starting a new capture?',
          });
          await question.locator('.monaco-button', { hasText: 'Continue without Saving' }).click({ timeout: 15_000 });
          await frame.locator('.sb-status', { hasText: /Capturing/i }).waitFor({ timeout: 30_000 });
          await frame.locator('.pt-row[aria-rowindex]').first().waitFor({ state: 'detached', timeout: 10_000 }); // a new capture, an empty table
          await pca.attached();
          await sendUdp(fixture.address, PORT, 4);
          await frame.locator('.pt-row[aria-rowindex] .c-number', { hasText: /^4$/ }).waitFor({ timeout: 30_000 });
          assert.equal(await frame.locator('.pt-row[aria-rowindex]').count(), 4);
          await frame.locator('vscode-button', { hasText: 'Stop' }).click();
          await frame.locator('.sb-status', { hasText: /Stopped/i }).waitFor({ timeout: 30_000 });
        } finally {
          pca.stop();
        }

        // Remove Agent from Host…
        const cache = path.join(fixture.sudoUser.home, '.cache', 'ebpf-packet-capture');
        assert.ok(fs.existsSync(cache), 'the agent was deployed');
        await runCommand(page, 'Packet Capture: Remove Agent from Host…');
        await quickPickRow(page, 'pcap-remote').click();
        await page
          .locator('.notification-toast', { hasText: 'Removed the capture agent from pcap-remote' })
          .waitFor({ timeout: 30_000 });
        assert.equal(fs.existsSync(cache), false);
      },
      { server: { settings: { 'packetCapture.ssh.configFile': fixture.configFile } } },
    );
  } finally {
    // sshd's own account of the sessions, for when something above went wrong
    fs.mkdirSync(path.join(REPO, 'test-results', 'e2e'), { recursive: true });
    fs.copyFileSync(
      path.join(fixture.dir, 'sshd-remote.log'),
      path.join(REPO, 'test-results', 'e2e', 'ssh-target-sshd.log'),
    );
    await fixture.stop();
  }
});
