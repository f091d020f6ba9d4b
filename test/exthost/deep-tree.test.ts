// Wireshark's detail tree through the panel, in the real extension host: a corpus file opened in
// the capture-file editor, a packet's detail asked as the webview asks for it, and what the host
// then sends the webview: Wireshark's layers from the real sharkd (RESP, QUIC), or, with
// packetCapture.wiresharkPath pointing at a folder without Wireshark, the one quiet line.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { suite, suiteSetup, suiteTeardown, test } from 'mocha';
import * as vscode from 'vscode';
import { NO_WIRESHARK_NOTE } from '../../extension/dissect/deep-tree.js';
import type { PacketCaptureApi } from '../../extension/extension.js';
import type { CapturePanel } from '../../extension/panel/capture-panel.js';
import type { DeepTreeEvent, HostMessage, PacketDetail } from '../../packet/protocol.js';
import { until } from './helpers/until.js';

const ID = 'ebpf-packet-capture.ebpf-packet-capture';

suite("detail tree: Wireshark's dissectors through sharkd", () => {
  let api: PacketCaptureApi;
  let corpus: string;
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'pcap-exthost-deep-'));

  suiteSetup(async () => {
    const ext = vscode.extensions.getExtension<PacketCaptureApi>(ID)!;
    api = (await ext.activate())!;
    corpus = path.join(ext.extensionPath, 'test', 'fixtures', 'tcpdump-tests');
  });

  suiteTeardown(() => fs.rmSync(scratch, { recursive: true, force: true }));

  async function openFile(name: string): Promise<CapturePanel> {
    const file = path.join(corpus, name);
    await vscode.commands.executeCommand('vscode.openWith', vscode.Uri.file(file), 'packetCapture.captureFile');
    return until(`${name} read`, () =>
      api.manager.openPanels.find((p) => p.file?.fsPath === file && p.status === 'stopped' && p.webviewPanel),
    );
  }

  /** What the host posts to the panel's webview from now on. */
  function record(panel: CapturePanel): HostMessage[] {
    const seen: HostMessage[] = [];
    const webview = panel.webviewPanel!.webview;
    const post = webview.postMessage.bind(webview);
    webview.postMessage = (message: HostMessage) => {
      seen.push(message);
      return post(message);
    };
    return seen;
  }

  let nextId = 1_000_000; // far from the webview's own request ids

  /** Asks for row `index`'s detail as the webview does; its answer, and the deep tree sent after it. */
  async function select(
    panel: CapturePanel,
    seen: HostMessage[],
    index: number,
  ): Promise<[PacketDetail, DeepTreeEvent]> {
    const id = nextId++;
    await panel.receive({ type: 'request', id, method: 'getDetail', params: { index } });
    // Held until the webview said it is ready, like every message to it.
    const answer = await until('the detail', () => seen.find((m) => m.type === 'response' && m.id === id));
    assert.ok('result' in answer, `getDetail answered ${JSON.stringify(answer)}`);
    const detail = answer.result as PacketDetail;
    const event = await until(`Wireshark's tree of packet ${detail.number}`, () =>
      seen.find(
        (m): m is Extract<HostMessage, { name: 'deepTree' }> =>
          m.type === 'event' && m.name === 'deepTree' && m.data.number === detail.number,
      ),
    );
    return [detail, event.data];
  }

  test("a RESP (Redis) packet: our tree at once, then Wireshark's, with the Redis protocol node", async () => {
    const panel = await openFile('resp_1_benchmark.pcap');
    const seen = record(panel);
    const [detail, deep] = await select(panel, seen, 3); // packet 4: the client's PING
    assert.equal(detail.number, 4);
    assert.ok(!detail.decoded.layers.some((l) => l.protocol === 'resp'), 'our decoders know no RESP');
    const resp = deep.layers?.find((l) => l.protocol === 'resp');
    assert.ok(resp, `layers: ${deep.layers?.map((l) => l.protocol).join(', ')}`);
    assert.equal(resp.label, 'REdis Serialization Protocol');
    assert.deepEqual([resp.offset, resp.length], [68, 6], 'its bytes in the packet, for the hex view');
    assert.equal(deep.note, undefined);
    panel.webviewPanel?.dispose();
  });

  test('a QUIC Initial: the QUIC node and its decrypted handshake', async () => {
    const panel = await openFile('quic_handshake.pcap');
    const seen = record(panel);
    const [, deep] = await select(panel, seen, 0);
    const quic = deep.layers?.find((l) => l.protocol === 'quic');
    assert.ok(quic, `layers: ${deep.layers?.map((l) => l.protocol).join(', ')}`);
    assert.ok(JSON.stringify(quic.fields).includes('tls.handshake.extensions_server_name'));
    panel.webviewPanel?.dispose();
  });

  test('without sharkd (wiresharkPath in an empty folder): our tree, and the quiet line, no error', async () => {
    const empty = fs.mkdtempSync(path.join(scratch, 'no-wireshark-'));
    const config = vscode.workspace.getConfiguration('packetCapture');
    const wireshark = path.join(empty, 'wireshark');
    // A machine setting: a Global update from the extension host lands in code-server's Machine settings.
    await config.update('wiresharkPath', wireshark, vscode.ConfigurationTarget.Global);
    try {
      await until('the new wiresharkPath', () => api.manager.wiresharkPath === wireshark);
      const panel = await openFile('resp_1_benchmark.pcap');
      const seen = record(panel);
      const [detail, deep] = await select(panel, seen, 3);
      assert.equal(detail.number, 4);
      assert.ok(detail.decoded.layers.some((l) => l.protocol === 'tcp'));
      assert.deepEqual(deep, { number: 4, note: NO_WIRESHARK_NOTE });
      assert.ok(!seen.some((m) => m.type === 'response' && 'error' in m), 'no request failed');
      panel.webviewPanel?.dispose();
    } finally {
      await config.update('wiresharkPath', undefined, vscode.ConfigurationTarget.Global);
    }
  });
});
