// A live capture as a document VS Code knows: dirty while it holds unsaved packets; Wireshark's
// "save before starting a new capture?" answered each way; a capture that keeps running in the
// background when its panel closes, shown again from the status bar, and "Stop Capture" stopping
// every capture. Real agent, real kernel, traffic inside the test's own namespaces. (VS Code's own
// Save / Don't Save / Cancel dialog and hot exit are driven in test/e2e/capture-document.e2e.ts.)
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { suite, suiteSetup, suiteTeardown, test } from 'mocha';
import * as vscode from 'vscode';
import { DISCARD_ANSWER, REPLACE_QUESTION, SAVE_ANSWER } from '../../extension/capture/unsaved-question.js';
import type { CommandPrompts } from '../../extension/capture-manager.js';
import type { PacketCaptureApi } from '../../extension/extension.js';
import type { CapturePanel } from '../../extension/panel/capture-panel.js';
import { agentLinks } from '../kernel/helpers/bpf.js';
import { createVethPair, type VethPair } from '../kernel/helpers/netns.js';
import { packetsIn } from './helpers/capture-files.js';
import { sendUdp } from './helpers/traffic.js';
import { until } from './helpers/until.js';

const ID = 'ebpf-packet-capture.ebpf-packet-capture';
const PORT = 7100;

/** The tab showing a live capture panel, if any. */
function tabOf(panel: CapturePanel): vscode.Tab | undefined {
  for (const group of vscode.window.tabGroups.all)
    for (const tab of group.tabs)
      if (tab.input instanceof vscode.TabInputCustom && tab.label === `${panel.title}.pcapng`) return tab;
  return undefined;
}

/** Closes the active editor without VS Code's Save / Don't Save question ("Revert and Close Editor"). */
async function closeWithoutSaving(api: PacketCaptureApi, panel: CapturePanel): Promise<void> {
  panel.webviewPanel?.reveal();
  await until('the panel to be active', () => api.manager.current === panel);
  await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  await until('its tab to close', () => !tabOf(panel));
}

suite('a live capture is a document: unsaved packets, new captures, the background', () => {
  let api: PacketCaptureApi;
  let pair: VethPair;
  let target: string;
  let prompts: CommandPrompts;
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'pcap-exthost-doc-'));
  /** The questions asked, and the answer the next one gets. */
  const asked: string[] = [];
  let answer: string | undefined;

  suiteSetup(async () => {
    api = (await vscode.extensions.getExtension<PacketCaptureApi>(ID)!.activate())!;
    pair = await createVethPair({ tag: 'doc' });
    target = `local:netns:${pair.a.ns.name}`;
    prompts = api.manager.prompts;
    api.manager.prompts = {
      ...prompts,
      ask: async (message, _detail, ...actions) => {
        asked.push(message);
        return actions.find((a) => a === answer);
      },
    };
  });

  suiteTeardown(async () => {
    api.manager.prompts = prompts;
    for (const panel of api.manager.openPanels) panel.dispose();
    await until('no agent link left', () => agentLinks() === 0, 10_000).catch(() => {});
    pair?.destroy();
    fs.rmSync(scratch, { recursive: true, force: true });
    await vscode.workspace.getConfiguration('packetCapture').update('askToSaveBeforeNewCapture', undefined, true);
  });

  /** A new live capture panel ("Start Capture…" when none is on screen). */
  async function newPanel(): Promise<CapturePanel> {
    const before = new Set(api.manager.openPanels);
    await vscode.commands.executeCommand('packetCapture.startCapture');
    return until('a new live panel', () => api.manager.openPanels.find((p) => p.mode === 'live' && !before.has(p)));
  }

  /** Starts capturing UDP to PORT on vA and waits for `count` datagrams to be held. */
  async function captureSome(panel: CapturePanel, count: number): Promise<void> {
    await panel.start({ target, interfaces: ['vA'], filter: `udp port ${PORT}` });
    assert.equal(panel.status, 'capturing');
    sendUdp(pair.a.ns.name, pair.b.ip4, PORT, count, 40);
    await until(`${count} packets`, () => panel.store.held === count);
  }

  test('a new capture is an untitled document, dirty once it holds unsaved packets', async () => {
    const panel = await newPanel();
    const tab = await until('its tab', () => tabOf(panel));
    assert.equal(tab.label, 'Capture 1.pcapng');
    assert.equal((tab.input as vscode.TabInputCustom).uri.scheme, 'untitled');
    assert.equal(tab.isDirty, false, 'no packets, nothing to save');
    await captureSome(panel, 5);
    await until('the tab to be dirty', () => tabOf(panel)?.isDirty);
    await panel.stop();
    await closeWithoutSaving(api, panel);
    await panel.onDidDispose;
  });

  test('Start over unsaved packets asks first: Cancel keeps them, Save writes them, Continue drops them', async () => {
    const panel = await newPanel();
    await captureSome(panel, 4);
    await panel.stop();

    asked.length = 0;
    answer = undefined; // Cancel
    await panel.start({ target, interfaces: ['vA'], filter: `udp port ${PORT}` });
    assert.deepEqual(asked, [REPLACE_QUESTION]);
    assert.equal(panel.status, 'stopped', 'Cancel: no new capture');
    assert.equal(panel.store.held, 4, 'Cancel: the packets are kept');

    const file = path.join(scratch, 'before-new.pcap');
    const savePrompts = api.manager.savePrompts;
    api.manager.savePrompts = { ...savePrompts, saveUri: async () => vscode.Uri.file(file) };
    answer = SAVE_ANSWER;
    try {
      await panel.start({ target, interfaces: ['vA'], filter: `udp port ${PORT}` });
    } finally {
      api.manager.savePrompts = savePrompts;
    }
    assert.equal(panel.status, 'capturing', 'Save: the new capture started');
    assert.equal(packetsIn(file), 4, 'Save: the 4 packets are in the file');
    assert.equal(panel.store.held, 0);
    sendUdp(pair.a.ns.name, pair.b.ip4, PORT, 3, 40);
    await until('3 new packets', () => panel.store.held === 3);
    await panel.stop();

    asked.length = 0;
    answer = DISCARD_ANSWER;
    await panel.start({ target, interfaces: ['vA'], filter: `udp port ${PORT}` });
    assert.deepEqual(asked, [REPLACE_QUESTION]);
    assert.equal(panel.status, 'capturing', 'Continue without Saving: the new capture started');
    assert.equal(panel.store.held, 0, 'Continue without Saving: the 3 packets are gone');
    await panel.stop();
    await closeWithoutSaving(api, panel);
  });

  test('a saved capture is not asked about again, and the setting turns the question off', async () => {
    const panel = await newPanel();
    await captureSome(panel, 2);
    await panel.stop();
    const file = path.join(scratch, 'saved.pcapng');
    assert.equal(await api.manager.saveTo(panel, vscode.Uri.file(file), 'pcapng'), 2);
    asked.length = 0;
    answer = undefined; // were it asked, Cancel would keep the capture from starting
    await panel.start({ target, interfaces: ['vA'], filter: `udp port ${PORT}` });
    assert.deepEqual(asked, [], 'saved: no question');
    assert.equal(panel.status, 'capturing');
    sendUdp(pair.a.ns.name, pair.b.ip4, PORT, 2, 40);
    await until('2 new packets', () => panel.store.held === 2);
    await panel.stop();

    await vscode.workspace.getConfiguration('packetCapture').update('askToSaveBeforeNewCapture', false, true);
    try {
      await panel.start({ target, interfaces: ['vA'], filter: `udp port ${PORT}` });
      assert.deepEqual(asked, [], 'setting off: no question');
      assert.equal(panel.status, 'capturing');
    } finally {
      await vscode.workspace.getConfiguration('packetCapture').update('askToSaveBeforeNewCapture', undefined, true);
    }
    await panel.stop();
    await closeWithoutSaving(api, panel);
  });

  test('closing the panel stops its capture: no agent, no BPF link', async () => {
    const panel = await newPanel();
    await captureSome(panel, 2);
    assert.equal(agentLinks(), 2);
    await closeWithoutSaving(api, panel);
    await panel.onDidDispose;
    await until('the agent to detach', () => agentLinks() === 0, 10_000);
  });

  test('"Keep running when closed": the capture goes on without its panel, comes back with its packets; Stop Capture stops every capture', async () => {
    const background = await newPanel();
    await background.receive({ type: 'request', id: 1, method: 'setKeepRunning', params: { keep: true } });
    assert.equal(background.keepRunning, true);
    await captureSome(background, 3);
    await closeWithoutSaving(api, background);
    assert.equal(background.status, 'capturing', 'still capturing, in the background');
    assert.equal(background.webviewPanel, undefined);
    sendUdp(pair.a.ns.name, pair.b.ip4, PORT, 2, 40);
    await until('packets captured in the background', () => background.store.held === 5);

    // The status bar item's command shows it again, with everything it captured.
    await vscode.commands.executeCommand('packetCapture.showCaptures');
    await until('its panel again', () => background.webviewPanel && tabOf(background));
    assert.equal(background.store.held, 5);
    assert.equal(background.rows(0, 10).length, 5);

    // A second capture on screen, the first one in the background again: Stop Capture stops both.
    await closeWithoutSaving(api, background);
    const onScreen = await newPanel();
    await onScreen.start({ target: `local:netns:${pair.b.ns.name}`, interfaces: ['vB'], filter: `udp port ${PORT}` });
    await until('both captures attached', () => agentLinks() === 4);
    await vscode.commands.executeCommand('packetCapture.stopCapture');
    assert.equal(background.status, 'stopped');
    assert.equal(onScreen.status, 'stopped');
    await until('no agent link left', () => agentLinks() === 0, 10_000);
    await vscode.commands.executeCommand('packetCapture.showCaptures');
    await until('the stopped background capture on screen', () => background.webviewPanel);
    await closeWithoutSaving(api, background);
    await background.onDidDispose;
    await closeWithoutSaving(api, onScreen);
  });
});
