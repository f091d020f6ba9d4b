// Runs inside code-server's real extension host (see test/vscode/run-exthost.ts), with the real
// `vscode` API, against the extension in this repo (extensionDevelopmentPath = the repo root).
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { suite, test } from 'mocha';
import * as vscode from 'vscode';
import type { CommandPrompts } from '../../extension/capture-manager.js';
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
    // As the local target runs it: the static agent built for this machine.
    const agent = path.join(extension().extensionPath, 'dist', 'agent', `linux-${process.arch}`, 'pcap-agent');
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(agent, ['interfaces', '--json'], (error, out, err) =>
        error ? reject(new Error(`${error.message}\n${err}`)) : resolve(out),
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

/** Answers the commands' QuickPicks with `answer`, recording what was offered, for the length of `run`. */
async function answeringPicks<R>(
  api: PacketCaptureApi,
  answer: (labels: string[]) => string | undefined,
  run: () => Thenable<R>,
): Promise<{ result: R; asked: { title?: string; labels: string[] }[] }> {
  const prompts = api.manager.prompts;
  const asked: { title?: string; labels: string[] }[] = [];
  const pick: CommandPrompts['pick'] = async (items, options) => {
    const labels = items.map((i) => i.label);
    asked.push({ title: options.title, labels });
    const label = answer(labels);
    return items.find((i) => i.label === label);
  };
  api.manager.prompts = { ...prompts, pick };
  try {
    return { result: await run(), asked };
  } finally {
    api.manager.prompts = prompts;
  }
}

suite('List Interfaces and Remove SSH Host', () => {
  test('"List Interfaces": picking an interface opens the capture panel with it chosen, ready to Start', async () => {
    const api = (await extension().activate()) as PacketCaptureApi;
    const { asked } = await answeringPicks(
      api,
      () => 'lo',
      () => vscode.commands.executeCommand('packetCapture.listInterfaces'),
    );
    assert.equal(asked.length, 1);
    assert.equal(asked[0]?.title, 'Packet Capture: interfaces on this machine');
    assert.ok(asked[0]?.labels.includes('lo'), `lo among ${asked[0]?.labels.join(', ')}`);
    const panel = await until('the live panel', () => api.manager.openPanels.find((p) => p.mode === 'live'));
    assert.deepEqual(
      { target: panel.chosen?.target, interfaces: panel.chosen?.interfaces },
      { target: 'local', interfaces: ['lo'] },
    );
    // Ctrl+F reaches the page (the filter bar's text search) only while the webview has no find widget.
    assert.notEqual(panel.webviewPanel?.options.enableFindWidget, true);
    panel.webviewPanel?.dispose();
    await panel.onDidDispose;
  });

  test('"Remove SSH Host…" offers only the hosts added by hand, and removes the one chosen', async () => {
    const api = (await extension().activate()) as PacketCaptureApi;
    const ssh = api.manager.ssh;
    for (const t of ssh.list().filter((t) => t.info.removable)) await ssh.forget(t.info.id); // none added yet
    const ids = () => api.manager.targets().map((t) => t.info.id);

    // None added: the command says so (an information message) without asking anything.
    const none = await answeringPicks(
      api,
      () => undefined,
      () => vscode.commands.executeCommand<string | undefined>('packetCapture.removeSshHost'),
    );
    assert.equal(none.result, undefined);
    assert.deepEqual(none.asked, []);

    // A host of the SSH config, and one added with Add SSH Host…
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'pcap-exthost-sshconfig-'));
    const configFile = path.join(scratch, 'config');
    fs.writeFileSync(configFile, 'Host from-the-config\n  HostName 127.0.0.1\n');
    const settings = vscode.workspace.getConfiguration('packetCapture.ssh');
    await settings.update('configFile', configFile, vscode.ConfigurationTarget.Global);
    try {
      await until('the SSH config host among the targets', () => ids().includes('ssh:from-the-config'));
      const added = await ssh.remember('tester@removable.example.test:2222');
      assert.ok(added);
      const id = added.info.id;
      const listed = api.manager.targets().find((t) => t.info.id === id);
      assert.equal(listed?.info.removable, true, 'an added host is removable');
      assert.equal(
        api.manager.targets().find((t) => t.info.id === 'ssh:from-the-config')?.info.removable,
        undefined,
        'a host of the SSH config is not',
      );
      await assert.rejects(api.manager.removeSshHost('ssh:from-the-config'), /was not added with "Add SSH Host…"/);

      const removal = await answeringPicks(
        api,
        (labels) => labels[0],
        () => vscode.commands.executeCommand<string | undefined>('packetCapture.removeSshHost'),
      );
      assert.deepEqual(removal.asked, [{ title: 'Packet Capture: Remove SSH Host', labels: [added.info.label] }]);
      assert.equal(removal.result, id);
      assert.ok(!ids().includes(id), `${id} still in ${ids().join(', ')}`);
      assert.ok(ids().includes('ssh:from-the-config'));
    } finally {
      await settings.update('configFile', undefined, vscode.ConfigurationTarget.Global);
      fs.rmSync(scratch, { recursive: true, force: true });
    }
  });
});
