// UI end-to-end: a person runs "Packet Capture: List Interfaces" from the command palette of real
// VS Code (code-server, the packaged .vsix installed) and sees this machine's interfaces.
import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { quickPickLabels, quickPickRow, runCommand, screenshot, withWorkbench } from '../vscode/workbench.js';

test('Packet Capture: List Interfaces shows lo in a quick pick', { timeout: 180_000 }, async (t) => {
  await withWorkbench(t, async ({ page }) => {
    await runCommand(page, 'Packet Capture: List Interfaces');
    const lo = quickPickRow(page, 'lo');
    await lo.waitFor({ timeout: 30_000 });
    await assert.doesNotReject(
      page
        .locator('.quick-input-widget .quick-input-title', { hasText: 'interfaces on this machine' })
        .waitFor({ timeout: 5000 }),
      'quick pick title',
    );
    assert.match((await lo.textContent()) ?? '', /127\.0\.0\.1/, 'lo shows its address');
    t.diagnostic(`interfaces: ${(await quickPickLabels(page)).join(', ')}`);
    t.diagnostic(`screenshot: ${await screenshot(page, 'list-interfaces')}`);
  });
});
