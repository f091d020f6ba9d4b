// The capture as tools for the editor's assistant, through VS Code's own vscode.lm.invokeTool (as
// an assistant in agent mode calls them, here without a chat request): a known capture file open,
// the three tools answer correctly and within their bounds; with packetCapture.assistantTools off
// they are gone. The counts' oracle is tshark on the same file (test/unit/assistant-tools.test.ts
// checks each count against it; here the numbers are the file's, as tshark gives them).
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { suite, suiteSetup, suiteTeardown, test } from 'mocha';
import * as vscode from 'vscode';
import { TOOL_NAMES } from '../../extension/assistant/tools.js';
import type { PacketCaptureApi } from '../../extension/extension.js';
import type { CapturePanel } from '../../extension/panel/capture-panel.js';
import { until } from './helpers/until.js';

const ID = 'ebpf-packet-capture.ebpf-packet-capture';

/** The text a tool answers with `input`. */
async function invoke(name: string, input: object): Promise<string> {
  const result = await vscode.lm.invokeTool(name, { input, toolInvocationToken: undefined });
  return result.content.map((part) => (part instanceof vscode.LanguageModelTextPart ? part.value : '')).join('');
}

function setting(value: boolean | undefined): Thenable<void> {
  return vscode.workspace
    .getConfiguration('packetCapture')
    .update('assistantTools', value, vscode.ConfigurationTarget.Global);
}

suite('the assistant tools, through vscode.lm.invokeTool', () => {
  let api: PacketCaptureApi;
  let panel: CapturePanel;
  let id: string;

  suiteSetup(async () => {
    const ext = vscode.extensions.getExtension<PacketCaptureApi>(ID)!;
    api = (await ext.activate())!;
    // 91 packets: BGP over TCP, 79 TCP segments, 2 resets (tshark -Y 'tcp.flags.reset == 1').
    const file = path.join(ext.extensionPath, 'test', 'fixtures', 'tcpdump-tests', 'bgp-4byte-asn.pcap');
    await vscode.commands.executeCommand('vscode.openWith', vscode.Uri.file(file), 'packetCapture.captureFile');
    panel = await until('the file read', () =>
      api.manager.openPanels.find((p) => p.file?.fsPath === file && p.status !== 'idle'),
    );
  });

  suiteTeardown(async () => {
    await setting(undefined);
    panel?.webviewPanel?.dispose();
  });

  test('the three tools are offered to assistants', async () => {
    await until('the tools registered', () =>
      Object.values(TOOL_NAMES).every((n) => vscode.lm.tools.some((t) => t.name === n)),
    );
    const list = vscode.lm.tools.find((t) => t.name === TOOL_NAMES.list)!;
    assert.ok(list.tags.includes('packet-capture'));
    const filter = vscode.lm.tools.find((t) => t.name === TOOL_NAMES.filter)!;
    assert.deepEqual((filter.inputSchema as { required: string[] }).required, ['captureId', 'filter']);
  });

  test('list: the open capture with its id, status and summary', async () => {
    const text = await invoke(TOOL_NAMES.list, {});
    const heading = /^(capture-\d+) \("bgp-4byte-asn\.pcap"\): capture file, stopped$/m.exec(text);
    assert.ok(heading, text);
    id = heading[1]!;
    assert.match(text, /Packets held: 91 of 91 received/);
    assert.match(text, /Scanned: all 91 packets held \(packets 1–91\)\./);
    assert.match(text, /TCP resets \(RST\): 2\n/);
    assert.match(text, /Conversations \(TCP\/UDP\): \d+, top \d+ by bytes:\n {4}TCP /);
    assert.match(text, /Protocols \(packets by protocol column\): TCP 79, ARP 12\n/);
    assert.match(text, /^ {4}TCP 1\.0\.3\.1:35169 ↔ 1\.0\.3\.2:179: 20 packets, 1,724 bytes \(→ 1,035, ← 689\)$/m);
    assert.ok(text.length <= 16_000);
  });

  test("filter: the matches and bounded rows, the panel untouched; a bad filter's error", async () => {
    panel.setDisplayFilter('udp');
    const text = await invoke(TOOL_NAMES.filter, { captureId: id, filter: 'tcp', maxRows: 5 });
    const lines = text.split('\n');
    assert.match(
      lines[0]!,
      /^Display filter "tcp" on capture-\d+ \("bgp-4byte-asn\.pcap"\): 79 matching packets, the first 5 shown\.$/,
    );
    assert.equal(lines.length, 7, 'the count, the heading, 5 rows');
    assert.match(lines[2]!, /^3\t0\.000144\t1\.0\.2\.2\t1\.0\.2\.1\tTCP\t74\t42741 → 179 \\\[SYN\\\] Seq=/);
    assert.equal(panel.view.filterText, 'udp', "the panel's own filter stays");

    const bad = await invoke(TOOL_NAMES.filter, { captureId: id, filter: 'tcp.porrt == 80' });
    assert.match(bad, /^Display filter error: .*tcp\.porrt.*\(column 1\)/);
    const big = await invoke(TOOL_NAMES.filter, { captureId: id, filter: '', maxRows: 100_000 });
    assert.match(big, /: 91 matching packets\.$/m);
    assert.equal(big.split('\n').length, 2 + 91);
  });

  test('packet: the tree of one packet; an unknown packet or capture says what exists', async () => {
    const text = await invoke(TOOL_NAMES.packet, { captureId: id, packetNumber: 3 });
    assert.match(text, /^Packet 3 of capture-\d+ \("bgp-4byte-asn\.pcap"\): \d+ bytes on the wire/);
    assert.match(text, /^Transmission Control Protocol, Src Port: \d+/m);
    assert.match(text, /^ {2}Source Port: \d+ \[tcp\.srcport\]$/m);
    await assert.rejects(
      invoke(TOOL_NAMES.packet, { captureId: id, packetNumber: 5000 }),
      /holds no packet 5000: it holds packets 1–91/,
    );
    await assert.rejects(
      invoke(TOOL_NAMES.packet, { captureId: 'capture-999', packetNumber: 1 }),
      /No open capture has the id "capture-999"/,
    );
  });

  test('with packetCapture.assistantTools off the tools are gone; on again, back', async () => {
    await setting(false);
    for (const name of Object.values(TOOL_NAMES)) {
      const error = await invoke(name, { captureId: id, filter: '', packetNumber: 1 }).then(
        () => undefined,
        (e: Error) => e,
      );
      assert.ok(error, `${name} still answers`);
      console.log(`${name} with the setting off: ${error.message}`);
    }
    await setting(true);
    assert.match(await invoke(TOOL_NAMES.list, {}), /bgp-4byte-asn\.pcap/);
  });
});
