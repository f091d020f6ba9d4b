// Runs inside code-server's real extension host (see test/vscode/run-exthost.ts), with the real
// `vscode` API, against the extension in this repo (extensionDevelopmentPath = the repo root).
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { suite, test } from 'mocha';
import * as vscode from 'vscode';
import type { PacketCaptureApi } from '../../extension/extension.js';
import { until } from './helpers/until.js';

const ID = 'ebpf-packet-capture.ebpf-packet-capture';
const ROOT = path.resolve(__dirname, '../../..'); // dist/test/exthost -> the repo

function extension(): vscode.Extension<unknown> {
  const ext = vscode.extensions.getExtension(ID);
  assert.ok(ext, `extension ${ID} not found`);
  return ext;
}

suite('extension: activation and commands', () => {
  test('activates, from this checkout', async () => {
    const ext = extension();
    await ext.activate();
    assert.equal(ext.isActive, true);
    assert.equal(ext.extensionPath, ROOT, 'the development folder, not some installed copy');
  });

  test('registers packetCapture.listInterfaces', async () => {
    const commands = await vscode.commands.getCommands(true);
    assert.ok(commands.includes('packetCapture.listInterfaces'), 'packetCapture.listInterfaces not registered');
    const contributed = (
      extension().packageJSON as { contributes: { commands: { command: string; title: string; category: string }[] } }
    ).contributes.commands.find((c) => c.command === 'packetCapture.listInterfaces');
    assert.deepEqual(contributed && `${contributed.category}: ${contributed.title}`, 'Packet Capture: List Interfaces');
  });

  test("the bundled agent lists this machine's interfaces, lo among them", async () => {
    // As the extension runs it: the extension host's own runtime (Node 24 under code-server).
    const agent = path.join(extension().extensionPath, 'dist', 'agent', 'pcap-agent.js');
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(
        process.execPath,
        [agent, 'interfaces', '--json'],
        { env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } },
        (error, out, err) => (error ? reject(new Error(`${error.message}\n${err}`)) : resolve(out)),
      ),
    );
    const interfaces = JSON.parse(stdout) as { name: string; loopback: boolean; up: boolean }[];
    const lo = interfaces.find((i) => i.name === 'lo');
    assert.ok(lo, `no lo in ${interfaces.map((i) => i.name).join(', ')}`);
    assert.equal(lo.loopback, true);
    assert.equal(lo.up, true);
  });
});

/** The workspace's .vscode/settings.json, as a cloned repository would bring it. */
function workspaceSettingsFile(): string {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the exthost tests run with a workspace folder open');
  return path.join(folder.uri.fsPath, '.vscode', 'settings.json');
}

/** Writes `settings` as the workspace's settings; returns how to put back what was there. */
function writeWorkspaceSettings(settings: Record<string, unknown>): () => void {
  const file = workspaceSettingsFile();
  const before = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
  const createdFolder = !fs.existsSync(path.dirname(file));
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(settings, null, 2));
  return () => {
    if (before !== undefined) fs.writeFileSync(file, before);
    else if (createdFolder) fs.rmSync(path.dirname(file), { recursive: true, force: true });
    else fs.rmSync(file, { force: true });
  };
}

suite('settings: what a workspace may not choose', () => {
  const snaplen = () => vscode.workspace.getConfiguration('packetCapture').get<number>('snaplen');

  test("a workspace's packetCapture.wiresharkPath does not choose the program Open in Wireshark runs", async () => {
    const api = (await extension().activate()) as PacketCaptureApi;
    const planted = '/tmp/planted-by-a-cloned-repo/wireshark';
    const restore = writeWorkspaceSettings({ 'packetCapture.wiresharkPath': planted, 'packetCapture.snaplen': 4242 });
    try {
      // snaplen is an ordinary (window) setting from the same file: once it reads 4242, VS Code has
      // read the workspace's settings, so wiresharkPath had its chance to be taken from there too.
      await until('the workspace settings file to be read', () => snaplen() === 4242);
      assert.notEqual(api.manager.wiresharkPath, planted, "the workspace's wiresharkPath was taken");
    } finally {
      restore();
      // Later tests capture with the default snaplen: wait until the workspace's value is gone.
      await until('the workspace settings to be forgotten', () => snaplen() !== 4242);
    }
  });
});
