// A capture tied to a debug session: a small Node service launched with VS Code's own JavaScript
// debugger (js-debug, built into code-server) makes an HTTP and an HTTPS request to servers of the
// test on 127.0.0.1, stops at a breakpoint and goes on. The capture starts for the debuggee's pid,
// the pause and the continue are rows among its packets, and the saved pcapng carries the TLS keys
// the service logged, so tshark decrypts the HTTPS request with no setup. Real agent, real kernel.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { suite, suiteSetup, suiteTeardown, test } from 'mocha';
import * as vscode from 'vscode';
import type { PacketCaptureApi } from '../../extension/extension.js';
import type { CapturePanel } from '../../extension/panel/capture-panel.js';
import { agentLinks } from '../kernel/helpers/bpf.js';
import { tshark } from './helpers/capture-files.js';
import { captureRunning, pauseAndContinue, recordDebugSessions } from './helpers/debug-sessions.js';
import { allRows } from './helpers/panel-rows.js';
import { until } from './helpers/until.js';
import { wiresharkStandIn } from './helpers/wireshark-stand-in.js';

const ID = 'ebpf-packet-capture.ebpf-packet-capture';

/** The service: waits for the test's go, then GET /plain over HTTP, GET /secret over HTTPS, the
 *  breakpoint line, and one more HTTP request after it went on. */
const SERVICE = `const fs = require('node:fs');
const http = require('node:http');
const https = require('node:https');
const [httpPort, httpsPort, ca, go] = process.argv.slice(2);
fs.writeFileSync(go + '.pid', String(process.pid));
function get(lib, url, options) {
  return new Promise((resolve, reject) =>
    lib.get(url, options, (res) => { res.resume(); res.on('end', resolve); }).on('error', reject));
}
async function main() {
  while (!fs.existsSync(go)) await new Promise((r) => setTimeout(r, 20)); // the capture runs
  await get(http, 'http://127.0.0.1:' + httpPort + '/plain', { agent: false });
  await get(https, 'https://127.0.0.1:' + httpsPort + '/secret', { ca: fs.readFileSync(ca), agent: false });
  const handled = true; // BREAKPOINT
  await get(http, 'http://127.0.0.1:' + httpPort + '/after', { agent: false });
  return handled;
}
main().catch((e) => { console.error(e); process.exit(1); });
`;
const BREAKPOINT_LINE = SERVICE.split('\n').findIndex((l) => l.includes('// BREAKPOINT')) + 1;

function listen(server: http.Server | https.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

/** tshark, with nothing but `file`, decrypts the service's HTTPS request. */
function assertDecrypts(file: string, what: string): void {
  const decrypted = tshark(file, '-Y', 'http.request', '-T', 'fields', '-e', 'http.request.uri');
  assert.match(decrypted, /^\/secret$/m, `${what}: the HTTPS request decrypted`);
}

suite('a debug session: its traffic, its pauses, its TLS keys', () => {
  let api: PacketCaptureApi;
  const secrets = fs.mkdtempSync(path.join(os.tmpdir(), 'pcap-exthost-debug-'));
  const servers: (http.Server | https.Server)[] = [];
  let httpPort = 0;
  let httpsPort = 0;

  const wireshark = wiresharkStandIn();

  /** Packet Capture: Open in Wireshark (the stand-in), answering "Continue" to where it starts. */
  async function openInWireshark(panel: CapturePanel): Promise<void> {
    const prompts = api.manager.prompts;
    api.manager.prompts = {
      ...prompts,
      ask: async (_message, _detail, ...actions) => actions.find((a) => a === 'Continue'),
    };
    try {
      await api.manager.openInWireshark(panel);
    } finally {
      api.manager.prompts = prompts;
    }
  }

  suiteSetup(async () => {
    api = (await vscode.extensions.getExtension<PacketCaptureApi>(ID)!.activate())!;
    // A machine setting: from the extension host it lands in code-server's Machine settings.
    await vscode.workspace
      .getConfiguration('packetCapture')
      .update('wiresharkPath', wireshark.program, vscode.ConfigurationTarget.Global);
    await until('the stand-in as Wireshark', () => api.manager.wiresharkPath === wireshark.program);
    fs.chmodSync(secrets, 0o700);
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        path.join(secrets, 'key.pem'),
        '-out',
        path.join(secrets, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    const answer = (_req: http.IncomingMessage, res: http.ServerResponse) => res.end('ok\n');
    const plain = http.createServer(answer);
    const tls = https.createServer(
      { key: fs.readFileSync(path.join(secrets, 'key.pem')), cert: fs.readFileSync(path.join(secrets, 'cert.pem')) },
      answer,
    );
    servers.push(plain, tls);
    httpPort = await listen(plain);
    httpsPort = await listen(tls);
  });

  suiteTeardown(async () => {
    await vscode.workspace
      .getConfiguration('packetCapture')
      .update('wiresharkPath', undefined, vscode.ConfigurationTarget.Global);
    wireshark.remove();
    for (const s of servers) s.close();
    for (const panel of api.manager.openPanels) panel.dispose();
    await until('no agent link left', () => agentLinks() === 0, 10_000).catch(() => {});
    fs.rmSync(secrets, { recursive: true, force: true });
  });

  test('launch, capture for its pid, pause and continue as rows, HTTPS decrypted from the saved file', async function () {
    this.timeout(120_000);
    const folder = vscode.workspace.workspaceFolders![0]!;
    const service = path.join(folder.uri.fsPath, 'service.js');
    const go = path.join(secrets, 'go');
    fs.writeFileSync(service, SERVICE);
    const source = vscode.Uri.file(service);
    vscode.debug.addBreakpoints([
      new vscode.SourceBreakpoint(new vscode.Location(source, new vscode.Position(BREAKPOINT_LINE - 1, 0))),
    ]);

    const record = recordDebugSessions(api);
    const { asked } = record;
    try {
      assert.ok(
        await vscode.debug.startDebugging(folder, {
          type: 'node',
          request: 'launch',
          name: 'service under test',
          program: service,
          args: [String(httpPort), String(httpsPort), path.join(secrets, 'cert.pem'), go],
          console: 'internalConsole',
        }),
        'the debug session started',
      );
      const root = await until('the launched session', record.root);
      const pid = Number(
        await until('the service to start', () => fs.existsSync(`${go}.pid`) && fs.readFileSync(`${go}.pid`, 'utf8')),
      );
      const panel = await captureRunning(api, root, 30_000);
      assert.equal(api.debug.captureOf(root).pid, pid, 'the capture is the debuggee’s');
      assert.deepEqual(asked, [`service under test pid ${pid}`]);
      // Wireshark's live pipe, from before the first request: the keys reach it as they are learnt.
      await openInWireshark(panel);
      await until('the live pipe', () => wireshark.args()?.join(' ') === '-k -i -');

      await pauseAndContinue(api, record, panel, go);

      const markers = api.debug.captureOf(root).markers;
      assert.deepEqual(
        markers.map((m) => m.kind),
        ['paused', 'continued'],
      );
      assert.equal(markers[0]!.source?.path, service);
      assert.equal(markers[0]!.source?.line, BREAKPOINT_LINE);

      // The table: both markers among the packets, the packets numbered 1…N as tshark numbers them.
      const rows = allRows(panel);
      const markerRows = rows.filter((r) => r.marker);
      assert.deepEqual(
        markerRows.map((r) => r.info),
        [`⏸ paused at service.js:${BREAKPOINT_LINE} (breakpoint)`, '▶ continued'],
      );
      const numbers = rows.filter((r) => !r.marker).map((r) => r.number);
      assert.deepEqual(
        numbers,
        Array.from({ length: numbers.length }, (_, i) => i + 1),
      );

      const file = path.join(secrets, 'debug.pcapng');
      assert.ok((await api.manager.saveTo(panel, vscode.Uri.file(file), 'pcapng')) !== undefined);
      // Nothing but the file: its keys decrypt the HTTPS request (TLS found by tshark's heuristics).
      assertDecrypts(file, 'the saved file');
      // Every other way out carries the keys too: the stream Wireshark read live (the keys in a
      // block of their own before the packets that need them), the file handed to Wireshark once
      // the capture stopped, and the saved file opened and saved again.
      assertDecrypts(await until('the live pipe to end', wireshark.stream), 'the live pipe');
      await openInWireshark(panel);
      const handedOver = await until('the file handed over', () => {
        const args = wireshark.args();
        return args?.[0] === '-r' && args[1];
      });
      assertDecrypts(handedOver, 'the file handed to Wireshark');
      await vscode.commands.executeCommand('vscode.openWith', vscode.Uri.file(file), 'packetCapture.captureFile');
      const reopened = await until('the saved file opened', () =>
        api.manager.openPanels.find((p) => p.file?.fsPath === file && p !== panel),
      );
      await until('its packets', () => reopened.store.held === panel.store.held);
      const again = path.join(secrets, 'again.pcapng');
      assert.ok((await api.manager.saveTo(reopened, vscode.Uri.file(again), 'pcapng')) !== undefined);
      assertDecrypts(again, 'the file opened and saved again');
      reopened.dispose();
      // In time order: the request before the breakpoint, the pause, the continue, the request after
      // it (frames as tshark numbers them; plain HTTP on the test's port told to tshark).
      const rowOf = (uri: string) => {
        const frame = tshark(
          file,
          ...[
            '-d',
            `tcp.port==${httpPort},http`,
            '-Y',
            `http.request.uri == "${uri}"`,
            '-T',
            'fields',
            '-e',
            'frame.number',
          ],
        );
        return rows.findIndex((r) => !r.marker && r.number === Number(frame.trim().split('\n')[0]));
      };
      const [plainRow, afterRow] = [rowOf('/plain'), rowOf('/after')];
      const [pausedRow, continuedRow] = markerRows.map((m) => m.index);
      assert.ok(
        plainRow >= 0 && plainRow < pausedRow! && pausedRow! < continuedRow! && continuedRow! < afterRow,
        `rows: /plain ${plainRow}, paused ${pausedRow}, continued ${continuedRow}, /after ${afterRow}`,
      );
      const comments = tshark(file, '-Y', 'frame.comment', '-T', 'fields', '-e', 'frame.comment');
      assert.match(comments, new RegExp(`paused at service\\.js:${BREAKPOINT_LINE} \\(breakpoint\\)`));
      assert.match(comments, /▶ continued/);
      // A Decryption Secrets Block: type 0x0A, then its length, then the secrets type TLSK.
      const bytes = fs.readFileSync(file);
      const tlsk = bytes.indexOf(Buffer.from([0x4b, 0x53, 0x4c, 0x54]));
      assert.ok(tlsk > 8 && bytes.readUInt32LE(tlsk - 8) === 0x0a, 'the file holds a DSB of TLS keys');

      // A click on the pause's row opens the line it paused at.
      await panel.receive({ type: 'request', id: 1, method: 'openMarker', params: { index: pausedRow! } });
      await until('the source line in an editor', () => {
        const editor = vscode.window.activeTextEditor;
        return editor?.document.uri.fsPath === service && editor.selection.active.line === BREAKPOINT_LINE - 1;
      });

      // The key log's private folder goes with the capture.
      const keyLog = api.debug.captureOf(root).keyLog!;
      assert.equal(fs.statSync(keyLog.folder).mode & 0o777, 0o700);
      panel.dispose();
      await until('the key log removed', () => !fs.existsSync(keyLog.folder));
    } finally {
      record.dispose();
      vscode.debug.removeBreakpoints(vscode.debug.breakpoints);
      await vscode.debug.stopDebugging();
    }
  });
});
