// A capture tied to an attach debug session: a small Node service started outside VS Code with
// `--inspect` on a port of the loopback (127.0.0.1, then ::1), which VS Code's JavaScript debugger
// (js-debug) attaches to by that port. js-debug names no process then (no DAP `process` event): the capture finds the
// process that listens on the port, captures its traffic, and the `debugger` statement's pause and
// the continue are rows among its packets. Real agent, real kernel.
import * as assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { suite, suiteSetup, suiteTeardown, test } from 'mocha';
import * as vscode from 'vscode';
import type { PacketCaptureApi } from '../../extension/extension.js';
import { agentLinks } from '../kernel/helpers/bpf.js';
import { tshark } from './helpers/capture-files.js';
import {
  captureRunning,
  PAUSE_LINE,
  PAUSING_SERVICE,
  pauseAndContinue,
  recordDebugSessions,
} from './helpers/debug-sessions.js';
import { allRows } from './helpers/panel-rows.js';
import { until } from './helpers/until.js';

const ID = 'ebpf-packet-capture.ebpf-packet-capture';

/** Starts the service with its inspector on a port of `host` the kernel picks; resolves with that
 *  port, read from what Node prints ("Debugger listening on ws://127.0.0.1:PORT/…"). */
function startInspected(host: string, service: string, args: string[]): { child: ChildProcess; port: Promise<number> } {
  const child = spawn(process.execPath, [`--inspect=${host}:0`, service, ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const port = new Promise<number>((resolve, reject) => {
    let text = '';
    child.stderr!.on('data', (d: Buffer) => {
      text += d.toString();
      const m = /Debugger listening on ws:\/\/(?:\[[\d:]+\]|[\d.]+):(\d+)\//.exec(text);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) =>
      reject(new Error(`the service ended (${code}) before its inspector listened: ${text}`)),
    );
  });
  return { child, port };
}

suite('an attach debug session by port: its traffic, its pauses', () => {
  let api: PacketCaptureApi;
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'pcap-exthost-attach-'));
  const server = http.createServer((_req, res) => res.end('ok\n'));
  let httpPort = 0;

  suiteSetup(async () => {
    api = (await vscode.extensions.getExtension<PacketCaptureApi>(ID)!.activate())!;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    httpPort = (server.address() as AddressInfo).port;
  });

  suiteTeardown(async () => {
    server.close();
    for (const panel of api.manager.openPanels) panel.dispose();
    await until('no agent link left', () => agentLinks() === 0, 10_000).catch(() => {});
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  /** The service's inspector on `host`; js-debug attached to `address` and to what `attachTo` gives
   *  for the inspector's pid and port. Never to js-debug's default address, localhost: it then tries
   *  ::1 and 127.0.0.1 at once, and the one refused is an uncaught error in the extension host,
   *  which fails the test run. */
  async function attachAndCheck(
    host: string,
    address: string,
    attachTo: (pid: number, port: number) => Record<string, unknown>,
  ): Promise<void> {
    const folder = vscode.workspace.workspaceFolders![0]!;
    const service = path.join(folder.uri.fsPath, 'attached-service.js');
    const go = path.join(fs.mkdtempSync(path.join(scratch, 'go-')), 'go'); // each service its own
    fs.writeFileSync(service, PAUSING_SERVICE);
    const { child, port } = startInspected(host, service, ['127.0.0.1', String(httpPort), go]);

    const record = recordDebugSessions(api);
    const { asked } = record;
    const adapterEvents = new Set<string>();
    const listeners = [
      record,
      vscode.debug.registerDebugAdapterTrackerFactory('*', {
        createDebugAdapterTracker: () => ({
          onDidSendMessage: (m: { type?: string; event?: string }) => {
            if (m.type === 'event' && m.event) adapterEvents.add(m.event);
          },
        }),
      }),
    ];
    try {
      const inspectorPort = await port;
      assert.ok(
        await vscode.debug.startDebugging(folder, {
          type: 'node',
          request: 'attach',
          name: 'attached service',
          address,
          ...attachTo(child.pid!, inspectorPort),
        }),
        'the debug session started',
      );
      const root = await until('the attach session', record.root);
      const panel = await captureRunning(api, root, 30_000);
      assert.equal(api.debug.captureOf(root).pid, child.pid, 'the capture is the listening process’s');
      assert.deepEqual(asked, [`attached service pid ${child.pid}`]);
      assert.equal(api.debug.captureOf(root).keyLog, undefined, 'no TLS key log: only launches get one');
      assert.ok(!adapterEvents.has('process'), 'js-debug named no process: the port did');

      await pauseAndContinue(api, record, panel, go);

      const markers = api.debug.captureOf(root).markers;
      assert.deepEqual(
        markers.map((m) => m.kind),
        ['paused', 'continued'],
      );
      assert.equal(markers[0]!.source?.path, service);
      assert.equal(markers[0]!.source?.line, PAUSE_LINE);

      const file = path.join(scratch, 'attach.pcapng');
      assert.ok((await api.manager.saveTo(panel, vscode.Uri.file(file), 'pcapng')) !== undefined);
      // Its packets: both requests, in time order around the pause and the continue.
      const frameOf = (uri: string) =>
        Number(
          tshark(
            file,
            ...['-d', `tcp.port==${httpPort},http`, '-Y', `http.request.uri == "${uri}"`, '-T', 'fields'],
            ...['-e', 'frame.number'],
          )
            .trim()
            .split('\n')[0],
        );
      const [before, after] = [frameOf('/before'), frameOf('/after')];
      assert.ok(before > 0 && after > before, `/before in frame ${before}, /after in frame ${after}`);
      const rows = allRows(panel);
      const rowOf = (n: number) => rows.findIndex((r) => !r.marker && r.number === n);
      const [pausedRow, continuedRow] = rows.filter((r) => r.marker).map((r) => r.index);
      assert.ok(
        rowOf(before) < pausedRow! && pausedRow! < continuedRow! && continuedRow! < rowOf(after),
        `rows: /before ${rowOf(before)}, paused ${pausedRow}, continued ${continuedRow}, /after ${rowOf(after)}`,
      );
      // Every packet is the service's: the capture is restricted to its pid.
      const pids = new Set(
        tshark(file, '-T', 'fields', '-e', 'frame.comment')
          .split('\n')
          .flatMap((c) => [...c.matchAll(/PID: (\d+)/g)].map((m) => Number(m[1]))),
      );
      assert.deepEqual([...pids], [child.pid]);
      panel.dispose();
    } finally {
      for (const l of listeners) l.dispose();
      await vscode.debug.stopDebugging();
      child.kill('SIGKILL');
    }
  }

  test('attach by port on 127.0.0.1: capture for the listening pid, its packets, pause and continue as rows', async function () {
    this.timeout(120_000);
    await attachAndCheck('127.0.0.1', '127.0.0.1', (_pid, port) => ({ port }));
  });

  test('attach by port on ::1: the same, the listener found among the IPv6 sockets', async function () {
    this.timeout(120_000);
    await attachAndCheck('[::1]', '[::1]', (_pid, port) => ({ port })); // js-debug puts the address in a URL as is
  });

  test("attach by processId (js-debug's PID:PORT, as its process picker gives): the same", async function () {
    this.timeout(120_000);
    // js-debug's own resolver turns it into a port: the session's configuration names that port.
    await attachAndCheck('127.0.0.1', '127.0.0.1', (pid, port) => ({ processId: `${pid}:${port}` }));
  });
});
