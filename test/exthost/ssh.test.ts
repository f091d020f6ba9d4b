// An SSH host as a capture target, in the real extension host: the host from the SSH config
// (packetCapture.ssh.configFile) appears among the targets, the agent is deployed over SFTP, and a
// capture on the remote host's interface fills the panel's table over the SSH channel. The remote
// host is a real sshd in a network namespace (test/ssh/helpers/sshd.ts).
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { suite, suiteSetup, suiteTeardown, test } from 'mocha';
import * as vscode from 'vscode';
import type { PacketCaptureApi } from '../../extension/extension.js';
import type { CapturePanel } from '../../extension/panel/capture-panel.js';
import { remoteAgentProcesses, sendUdp } from '../ssh/helpers/remote.js';
import { type SshFixture, startSshFixture } from '../ssh/helpers/sshd.js';
import { until } from './helpers/until.js';

const ID = 'ebpf-packet-capture.ebpf-packet-capture';
const PORT = 5555;
const ECHO_PORT = 5556;

/** A UDP echo server on the remote host (python3, bounded in count and time), ready once bound. */
function udpEchoOnHost(
  fixture: SshFixture,
  port: number,
  count: number,
): { pid: number; ready: Promise<void>; kill(): void } {
  const code = [
    'import socket, sys',
    's = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)',
    `s.bind(("${fixture.address}", ${port}))`,
    's.settimeout(60)',
    'print("ready", flush=True)',
    `for _ in range(${count}):`,
    '    data, peer = s.recvfrom(2048)',
    '    s.sendto(data, peer)',
  ].join('\n');
  const child = spawn('ip', ['netns', 'exec', fixture.remote.name, 'python3', '-c', code], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`the echo server exited (${code}) before it was ready`)));
  });
  return { pid: child.pid!, ready, kill: () => child.kill('SIGKILL') };
}

suite('SSH target: real sshd, real agent on the "remote" host', () => {
  let api: PacketCaptureApi;
  let fixture: SshFixture;
  let panel: CapturePanel;
  const target = 'ssh:pcap-remote';

  suiteSetup(async function () {
    this.timeout(120_000);
    api = (await vscode.extensions.getExtension<PacketCaptureApi>(ID)!.activate())!;
    fixture = await startSshFixture();
    fixture.trustHostKeys();
    await vscode.workspace
      .getConfiguration('packetCapture.ssh')
      .update('configFile', fixture.configFile, vscode.ConfigurationTarget.Global);
  });

  suiteTeardown(async function () {
    this.timeout(60_000);
    await panel?.stop();
    await vscode.workspace
      .getConfiguration('packetCapture.ssh')
      .update('configFile', undefined, vscode.ConfigurationTarget.Global);
    await fixture?.stop();
  });

  test('the Host entries of the SSH config are targets; wildcard-free ones only', () => {
    const ids = api.manager.targets().map((t) => t.info.id);
    for (const alias of ['pcap-remote', 'pcap-remote-plain', 'pcap-remote-jump', 'pcap-jump'])
      assert.ok(ids.includes(`ssh:${alias}`), `ssh:${alias} in ${ids.join(', ')}`);
    assert.ok(!ids.some((id) => id.includes('*')));
  });

  test("the remote host's interfaces, after deploying the agent over SFTP", async function () {
    this.timeout(120_000);
    const ssh = api.manager.targets().find((t) => t.info.id === target)!;
    const names = (await ssh.listInterfaces()).map((i) => i.name);
    assert.ok(names.includes(fixture.remoteDev), names.join(', '));
    assert.ok(!names.includes(fixture.localDev));
  });

  test('a capture over SSH fills the table; Stop ends the agent on the host', async function () {
    this.timeout(120_000);
    await vscode.commands.executeCommand('packetCapture.startCapture');
    panel = await until('the live panel', () => api.manager.openPanels.find((p) => p.mode === 'live'), 30_000);
    await panel.start({ target, interfaces: [fixture.remoteDev], filter: `udp port ${PORT}` });
    assert.equal(panel.status, 'capturing');
    await sendUdp(fixture.address, PORT, 20);
    await until('20 rows', () => panel.counters().rows >= 20, 30_000);
    const rows = panel.rows(0, 100);
    assert.equal(rows.length, 20);
    for (const row of rows) {
      assert.equal(row.source, '198.51.100.1');
      assert.equal(row.destination, fixture.address);
      assert.equal(row.protocol, 'UDP');
    }
    assert.ok(remoteAgentProcesses(fixture).length > 0, 'the agent runs on the remote host');
    await panel.stop();
    assert.equal(panel.status, 'stopped');
    await until('the agent to be gone from the host', () => remoteAgentProcesses(fixture).length === 0, 10_000);
  });

  test("each packet names its process on the remote host (the host's kernel attributes it)", async function () {
    this.timeout(120_000);
    const echo = udpEchoOnHost(fixture, ECHO_PORT, 10);
    try {
      await echo.ready;
      panel = await api.manager.newLivePanel(); // beside the previous test's, unsaved
      await panel.start({ target, interfaces: [fixture.remoteDev], filter: `udp port ${ECHO_PORT}` });
      await sendUdp(fixture.address, ECHO_PORT, 10);
      await until('10 datagrams and their echoes', () => panel.counters().rows >= 20, 30_000);
      await panel.stop();
      const rows = panel.rows(0, 100);
      assert.equal(rows.length, 20);
      // Both directions belong to the echo server's socket on the host: the datagrams it receives
      // (found by the kernel's socket lookup) and the echoes it sends.
      const shown = new RegExp(`^python3[\\d.]* \\(${echo.pid}\\)$`);
      for (const row of rows) assert.match(row.process ?? '', shown, `packet ${row.number}`);
    } finally {
      echo.kill();
    }
  });

  test('the new commands are registered', async () => {
    const commands = await vscode.commands.getCommands(true);
    for (const c of [
      'packetCapture.addSshHost',
      'packetCapture.connectPcapOverTcp',
      'packetCapture.removeAgentFromHost',
    ])
      assert.ok(commands.includes(c), c);
  });
});
