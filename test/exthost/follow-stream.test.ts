// Follow Stream and Statistics → Conversations in the real extension host: a corpus file opened
// in the capture-file editor; the row menu's "Follow Stream" asked as the webview asks it filters
// the table to the stream and opens its tab beside the capture. What the tab shows, in each "Show
// data as", is tshark's follow of the same stream; the stream picker, Filter Out This Stream and
// Save as… work through the page's messages. The Conversations tab, asked from the panel's
// toolbar, shows the benchmark's connections and applies a row as the filter. (The pages
// themselves, drawn in real VS Code, are test/e2e/follow-stream.e2e.ts's.)
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { suite, suiteSetup, suiteTeardown, test } from 'mocha';
import * as vscode from 'vscode';
import type { PacketCaptureApi } from '../../extension/extension.js';
import type { CapturePanel } from '../../extension/panel/capture-panel.js';
import type { HostMessage } from '../../packet/protocol.js';
import { tshark } from './helpers/capture-files.js';
import { until } from './helpers/until.js';

const ID = 'ebpf-packet-capture.ebpf-packet-capture';

suite('Follow Stream', () => {
  let api: PacketCaptureApi;
  let file: string;
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'pcap-exthost-follow-'));

  suiteSetup(async () => {
    const ext = vscode.extensions.getExtension<PacketCaptureApi>(ID)!;
    api = (await ext.activate())!;
    file = path.join(ext.extensionPath, 'test', 'fixtures', 'tcpdump-tests', 'resp_1_benchmark.pcap');
  });

  suiteTeardown(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  async function openFile(): Promise<CapturePanel> {
    await vscode.commands.executeCommand('vscode.openWith', vscode.Uri.file(file), 'packetCapture.captureFile');
    return until('the capture read', () =>
      api.manager.openPanels.find((p) => p.file?.fsPath === file && p.status === 'stopped' && p.webviewPanel),
    );
  }

  /** tshark's follow of a stream in one of its formats: the lines between its header and footer. */
  function tsharkFollow(stream: number, format: 'raw' | 'hex'): string[] {
    const out = tshark(file, '-q', '-n', '-z', `follow,tcp,${format},${stream}`).split('\n');
    return out
      .slice(6, out.lastIndexOf('==================================================================='))
      .filter(Boolean);
  }

  test('the row menu follows the stream: the table filtered, the tab beside it showing the content as tshark follows it', async () => {
    const panel = await openFile();
    const messages: HostMessage[] = [];
    const webview = panel.webviewPanel!.webview;
    const post = webview.postMessage.bind(webview);
    webview.postMessage = (m: HostMessage) => {
      messages.push(m);
      return post(m);
    };
    // Row 4 (packet 4: the client's PING) of the second connection: tcp.stream eq 1.
    await panel.receive({ type: 'request', id: 900_001, method: 'followStream', params: { index: 13 } });
    const answer = await until('the answer', () => messages.find((m) => m.type === 'response' && m.id === 900_001));
    assert.equal('result' in answer && (answer.result as { filter: string }).filter, 'tcp.stream eq 1');
    await until('the stream filtered', () => panel.view.filterText === 'tcp.stream eq 1' && !panel.view.filtering);
    assert.equal(panel.view.rows, 10);
    const follow = await until('the Follow Stream tab', () =>
      [...api.manager.followPanels].find((f) => f.capture === panel),
    );
    assert.equal(follow.webviewPanel.title, 'Follow TCP Stream (tcp.stream eq 1)');
    const first = follow.shown();
    assert.equal(first.format, 'ascii');
    assert.deepEqual(
      first.peers.map((p) => p.text),
      ['127.0.0.1:35902', '127.0.0.1:6379'],
    );
    assert.match(first.pieces.map((p) => p.text).join(''), /PING|GET|SET|INCR|LPUSH/);

    // Show data as Raw and as Hex Dump: tshark's own follow of the stream, line for line.
    await follow.receive({ type: 'format', format: 'raw' });
    const raw = follow.shown();
    assert.deepEqual(
      raw.pieces.map((p) => (p.peer === 1 ? '\t' : '') + p.text.trimEnd()),
      tsharkFollow(1, 'raw'),
    );
    await follow.receive({ type: 'format', format: 'hexdump' });
    const dump = follow.shown().pieces.flatMap((p) => p.text.trimEnd().split('\n'));
    const theirs = tsharkFollow(1, 'hex');
    assert.equal(dump.length, theirs.length);
    // tshark's CLI indents the server's lines with a tab, Wireshark's window (and ours) with 4
    // spaces, and starts the ASCII one column sooner: the same offsets, bytes and text.
    const words = (l: string) => l.trim().split(/\s+/);
    assert.deepEqual(
      dump.map((l) => [l.startsWith('    '), ...words(l)]),
      theirs.map((l) => [l.startsWith('\t'), ...words(l)]),
    );

    // The stream picker follows another stream in the same tab.
    await follow.receive({ type: 'stream', stream: 2 });
    assert.equal(follow.webviewPanel.title, 'Follow TCP Stream (tcp.stream eq 2)');
    assert.equal(follow.shown().peers[0]?.text, '127.0.0.1:35903');

    // Save as… in Raw writes the payload bytes themselves.
    await follow.receive({ type: 'format', format: 'raw' });
    const target = path.join(scratch, 'stream-2.bin');
    api.manager.savePrompts = { ...api.manager.savePrompts, saveUri: async () => vscode.Uri.file(target) };
    await follow.receive({ type: 'save' });
    assert.equal(
      fs.readFileSync(target).toString('hex'),
      tsharkFollow(2, 'raw')
        .map((l) => l.trim())
        .join(''),
    );

    // Filter Out This Stream: the capture's filter before Follow (none), without the stream.
    await follow.receive({ type: 'filterOut' });
    await until('the filter applied', () => panel.view.filterText === '!(tcp.stream eq 2)' && !panel.view.filtering);
    assert.equal(panel.view.rows, panel.store.held - 10);

    // A message that does not fit the page's contract changes nothing.
    await follow.receive({ type: 'stream', stream: -1 });
    await follow.receive({ type: 'format', format: '<b>' });
    assert.equal(follow.stream, 2);
    assert.equal(follow.shown().format, 'raw');

    // The tab closes with its capture.
    panel.webviewPanel!.dispose();
    await until('the tab closed with its capture', () => !api.manager.followPanels.has(follow));
  });

  test('the command follows the stream of the packet selected in the active capture', async () => {
    const panel = await openFile();
    await until('the capture to be the active one', () => api.manager.current === panel);
    panel.selectedNumber = 4; // the first connection's PING
    await vscode.commands.executeCommand('packetCapture.followStream');
    const follow = await until('the Follow Stream tab of tcp.stream eq 0', () =>
      [...api.manager.followPanels].find((f) => f.capture === panel && f.stream === 0),
    );
    assert.equal(panel.view.filterText, 'tcp.stream eq 0');
    // Asked again for the same stream, the open tab is shown rather than a second one.
    await vscode.commands.executeCommand('packetCapture.followStream');
    assert.equal([...api.manager.followPanels].filter((f) => f.capture === panel && f.stream === 0).length, 1);
    follow.dispose();
  });

  test("the toolbar's Conversations opens the tab; a row applies as the capture's filter", async () => {
    const panel = await openFile();
    await panel.receive({ type: 'request', id: 900_002, method: 'showConversations', params: {} });
    const tab = await until('the Conversations tab', () =>
      [...api.manager.statisticsPanels].find((s) => s.capture === panel),
    );
    const view = tab.shown();
    assert.equal(view.kind, 'conversations');
    assert.equal(view.conversations.length, 15, 'the 15 connections of the benchmark');
    assert.deepEqual(view.conversations[1], {
      protocol: 'tcp',
      stream: 1,
      a: { address: '127.0.0.1', port: 35902 },
      b: { address: '127.0.0.1', port: 6379 },
      framesAToB: 6,
      bytesAToB: 430,
      framesBToA: 4,
      bytesBToA: 287,
      startNs: 538_000,
      durationNs: view.conversations[1]!.durationNs,
    });
    await tab.receive({ type: 'apply', index: 1 });
    await until('the row applied', () => panel.view.filterText === 'tcp.stream eq 1' && !panel.view.filtering);
    assert.equal(panel.view.rows, 10);
    await tab.receive({ type: 'choose', protocol: 'tcp', kind: 'endpoints' });
    const endpoints = tab.shown().endpoints;
    assert.equal(endpoints.find((e) => e.port === 6379)?.packets, 150);
    await tab.receive({ type: 'apply', index: endpoints.findIndex((e) => e.port === 6379) });
    await until('the endpoint applied', () => panel.view.filterText === 'ip.addr == 127.0.0.1 && tcp.port == 6379');

    // IPv4's table: one conversation, addresses alone, decoded by the workers (all 150 packets).
    await tab.receive({ type: 'choose', protocol: 'ip', kind: 'conversations' });
    const ip = tab.shown();
    assert.equal(ip.protocol, 'ip');
    assert.equal(ip.conversations.length, 1);
    assert.deepEqual(ip.conversations[0]!.a, { address: '127.0.0.1' });
    assert.equal(ip.conversations[0]!.framesAToB + ip.conversations[0]!.framesBToA, 150);
    await tab.receive({ type: 'apply', index: 0 });
    await until(
      'the conversation applied',
      () => panel.view.filterText === 'ip.addr == 127.0.0.1 && ip.addr == 127.0.0.1',
    );
    tab.dispose();
  });
});
