// Runs inside code-server's real extension host (see test/vscode/run-exthost.ts), with the real
// `vscode` API, against the extension in this repo (extensionDevelopmentPath = the repo root).
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { suite, test } from 'mocha';
import * as vscode from 'vscode';

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
