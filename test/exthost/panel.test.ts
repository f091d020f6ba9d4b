// The capture panel's host side in the real extension host, with the real agent capturing real
// traffic between two test namespaces (the local target sees them as "Local · netns NAME").
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { suite, suiteSetup, suiteTeardown, test } from 'mocha';
import * as vscode from 'vscode';
import type { PacketCaptureApi } from '../../extension/extension.js';
import type { CapturePanel } from '../../extension/panel/capture-panel.js';
import { naturalKey } from '../../extension/store/row-order.js';
import { agentLinks } from '../kernel/helpers/bpf.js';
import { createVethPair, type VethPair } from '../kernel/helpers/netns.js';
import { dns as dnsMessage, ETH, eth, ip4, ipv4, PROTO, pcapngFile, udp } from '../unit/fixtures/packets.js';
import { hierarchyLines, tsharkFrames, tsharkHierarchy } from '../unit/fixtures/tshark.js';
import { packetsIn } from './helpers/capture-files.js';
import { sendUdp } from './helpers/traffic.js';
import { until } from './helpers/until.js';
import { wiresharkStandIn } from './helpers/wireshark-stand-in.js';

const ID = 'ebpf-packet-capture.ebpf-packet-capture';

const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const PORT = 7000;

suite('capture panel: local target, real agent, real kernel', () => {
  let api: PacketCaptureApi;
  let pair: VethPair;
  let panel: CapturePanel;
  let target: string;
  const saved = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pcap-exthost-')), 'capture.pcapng');

  suiteSetup(async () => {
    api = (await vscode.extensions.getExtension<PacketCaptureApi>(ID)!.activate())!;
    pair = await createVethPair({ tag: 'x' });
    target = `local:netns:${pair.a.ns.name}`;
  });

  suiteTeardown(async () => {
    await panel?.stop();
    pair?.destroy();
    fs.rmSync(path.dirname(saved), { recursive: true, force: true });
  });

  test('"Start Capture…" opens the panel; a test namespace is a target with its own interfaces', async () => {
    await vscode.commands.executeCommand('packetCapture.startCapture');
    panel = await until('the live panel', () => api.manager.openPanels.find((p) => p.mode === 'live'));
    const ns = api.manager.targets().find((t) => t.info.id === target);
    assert.ok(
      ns,
      `no target ${target} among ${api.manager
        .targets()
        .map((t) => t.info.id)
        .join(', ')}`,
    );
    const interfaces = await ns.listInterfaces();
    const vA = interfaces.find((i) => i.name === 'vA');
    assert.ok(vA, `vA not in ${interfaces.map((i) => i.name).join(', ')}`);
    assert.deepEqual(
      vA.addresses.filter((a) => a.includes('.')),
      ['198.51.100.1/24'],
    );
  });

  test('a capture filter the agent cannot honour is refused before anything starts', async () => {
    await assert.rejects(panel.start({ target, interfaces: ['vA'], filter: 'tcp,abc' }), /abc/);
    assert.equal(panel.status, 'idle');
  });

  test('real packets fill the table: rows, columns, detail, display filter, follow, save', async () => {
    await panel.start({ target, interfaces: ['vA'], filter: `udp port ${PORT}` });
    assert.equal(panel.status, 'capturing');
    assert.equal(agentLinks(), 2, 'the ingress and egress hooks on vA');
    sendUdp(pair.a.ns.name, pair.b.ip4, PORT, 10, 20);
    sendUdp(pair.a.ns.name, pair.b.ip4, PORT, 10, 200);
    sendUdp(pair.a.ns.name, pair.b.ip4, PORT + 1, 5, 20); // not captured
    await until('20 packets', () => panel.store.held === 20);

    const rows = panel.rows(0, 100);
    assert.equal(rows.length, 20);
    for (const r of rows) {
      assert.equal(r.source, pair.a.ip4);
      assert.equal(r.destination, pair.b.ip4);
      assert.equal(r.protocol, 'UDP');
      assert.equal(r.direction, 'out');
    }
    assert.deepEqual(
      rows.map((r) => r.length),
      [...Array(10).fill(14 + 20 + 8 + 20), ...Array(10).fill(14 + 20 + 8 + 200)],
    );
    assert.deepEqual(
      rows.map((r) => r.number),
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    // packetCapture.processes (on by default): each packet names its sender, one process per burst.
    const sender = new RegExp(`^${path.basename(process.execPath).replace(/\W/g, '\\$&')} \\((\\d+)\\)$`);
    const pids = rows.map((r) => sender.exec(r.process ?? '')?.[1]);
    assert.ok(pids.every(Boolean), `every packet's process: ${rows.map((r) => r.process).join(', ')}`);
    assert.equal(new Set(pids.slice(0, 10)).size, 1, 'the first sender');
    assert.equal(new Set(pids.slice(10)).size, 1, 'the second sender');
    assert.notEqual(pids[0], pids[10], 'two senders, two processes');

    const detail = panel.detail(3);
    assert.deepEqual(
      detail.decoded.layers.slice(0, 4).map((l) => l.protocol),
      ['frame', 'eth', 'ip', 'udp'],
    );
    assert.equal(Buffer.from(detail.bytes, 'base64').length, 62);
    assert.equal(detail.interfaceName, 'vA');

    assert.deepEqual(panel.setDisplayFilter('frame.len > 100').mode, 'expression');
    await until('the display filter over everything held', () => !panel.view.filtering);
    assert.equal(panel.view.rows, 10);
    assert.equal(panel.rows(0, 1)[0]?.number, 11);
    assert.throws(() => panel.setDisplayFilter('ip.addr == '), /./);
    panel.setDisplayFilter('');
    assert.equal(panel.view.rows, 20);

    await api.manager.saveTo(panel, vscode.Uri.file(saved), 'pcapng');
    const fields = execFileSync(
      'tshark',
      ['-r', saved, '-T', 'fields', '-e', 'ip.src', '-e', 'ip.dst', '-e', 'udp.dstport', '-e', 'frame.len'],
      { encoding: 'utf8' },
    )
      .trim()
      .split('\n');
    assert.equal(fields.length, 20);
    assert.deepEqual(fields[0]?.split('\t'), [pair.a.ip4, pair.b.ip4, String(PORT), '62']);

    // The filter of the running capture changes in the kernel, without a restart.
    await assert.rejects(panel.live!.setFilter('udp port 70000'), /70000/);
    await panel.live!.setFilter(`udp port ${PORT + 1}`);
    sendUdp(pair.a.ns.name, pair.b.ip4, PORT, 4, 20); // no longer captured
    sendUdp(pair.a.ns.name, pair.b.ip4, PORT + 1, 3, 20);
    await until('3 more packets, of the new filter', () => panel.store.held === 23);
    await sleep(300);
    assert.equal(panel.store.held, 23);

    await panel.stop();
    assert.equal(panel.status, 'stopped');
    await until('no agent link left', () => agentLinks() === 0, 5000);
  });

  test('a saved capture opens read-only in the same table', async () => {
    await vscode.commands.executeCommand('vscode.openWith', vscode.Uri.file(saved), 'packetCapture.captureFile');
    const file = await until('the file panel', () =>
      api.manager.openPanels.find((p) => p.file?.fsPath === saved && p !== panel),
    );
    await until('its 20 packets', () => file.store.held === 20);
    assert.equal(file.rows(19, 1)[0]?.length, 14 + 20 + 8 + 200);
    file.webviewPanel?.dispose();
  });

  test('"Open in Wireshark" hands over a private file (0600 in a 0700 folder), removed when the panel closes', async () => {
    const fakeWireshark = wiresharkStandIn();
    const wireshark = vscode.workspace.getConfiguration('packetCapture');
    // A machine setting: from the extension host, a Global update of it lands in code-server's
    // Machine settings (the "remote" user settings), as the ssh tests' configFile does.
    await wireshark.update('wiresharkPath', fakeWireshark.program, vscode.ConfigurationTarget.Global);
    try {
      await until('the new wiresharkPath', () => api.manager.wiresharkPath === fakeWireshark.program);
      panel.webviewPanel?.reveal();
      await until('the stopped live panel to be the current one', () => api.manager.current === panel);
      // code-server shows this window in a browser: Wireshark would start on the extension's machine,
      // and the command says so first (answered here: a modal cannot be driven from the extension host).
      const asked: string[] = [];
      const prompts = api.manager.prompts;
      const answering = (answer: boolean) => {
        api.manager.prompts = {
          ...prompts,
          ask: async (message, _detail, ...actions) => {
            asked.push(message);
            return answer ? actions.find((a) => a === 'Continue') : undefined;
          },
        };
      };
      try {
        answering(false);
        await vscode.commands.executeCommand('packetCapture.openInWireshark');
        assert.equal(fakeWireshark.args(), undefined, 'Cancel: nothing started');
        answering(true);
        await vscode.commands.executeCommand('packetCapture.openInWireshark');
      } finally {
        api.manager.prompts = prompts;
      }
      assert.equal(asked.length, 2);
      for (const message of asked) {
        assert.ok(message.startsWith('Wireshark starts on '), message);
        assert.ok(
          message.endsWith(`${os.hostname()} (where this window's extension runs), not on this computer.`),
          message,
        );
      }
      const args = await until('the program to be run', fakeWireshark.args);
      assert.equal(args.length, 2, `arguments: ${args.join(' ')}`);
      assert.equal(args[0], '-r');
      const file = args[1]!;

      assert.equal(fs.statSync(file).mode & 0o777, 0o600, `${file} is readable by others`);
      assert.equal(fs.statSync(path.dirname(file)).mode & 0o777, 0o700, `${path.dirname(file)} is not private`);
      assert.equal(path.dirname(path.dirname(file)), os.tmpdir());
      assert.equal(packetsIn(file), panel.store.held, 'the whole capture');

      // Its packets were never saved: closing it as a person would asks Save / Don't Save (a VS Code
      // dialog, answered in the e2e tests); here it closes as "Revert and Close Editor" does.
      panel.webviewPanel?.reveal();
      await until('the live panel to be active', () => api.manager.current === panel);
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
      await until('the file to be removed with its panel', () => !fs.existsSync(file));
    } finally {
      await wireshark.update('wiresharkPath', undefined, vscode.ConfigurationTarget.Global);
      fakeWireshark.remove();
    }
  });
});

suite('capture files and "Save Capture As…"', () => {
  let api: PacketCaptureApi;
  let fixture: string;
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'pcap-exthost-files-'));

  suiteSetup(async () => {
    const ext = vscode.extensions.getExtension<PacketCaptureApi>(ID)!;
    api = (await ext.activate())!;
    fixture = path.join(ext.extensionPath, 'test', 'fixtures', 'tcpdump-tests', 'eapon1.pcap'); // 114 packets, 66 UDP
  });

  suiteTeardown(() => fs.rmSync(scratch, { recursive: true, force: true }));

  /** Opens `file` in the capture-file editor; its panel once the file is read. */
  async function openFile(file: string): Promise<CapturePanel> {
    await vscode.commands.executeCommand('vscode.openWith', vscode.Uri.file(file), 'packetCapture.captureFile');
    return until(`${path.basename(file)} read`, () =>
      api.manager.openPanels.find((p) => p.file?.fsPath === file && p.status !== 'idle'),
    );
  }

  test('a file that is not a capture says so in its editor; a damaged one keeps what it could read', async () => {
    const garbage = path.join(scratch, 'notes.pcap');
    fs.writeFileSync(garbage, 'These are my notes, not packets.\n');
    const notCapture = await openFile(garbage);
    assert.equal(notCapture.status, 'error');
    assert.equal(notCapture.message, 'notes.pcap is not a pcap or pcapng file.');
    notCapture.webviewPanel?.dispose();

    const bytes = fs.readFileSync(fixture);
    const cut = path.join(scratch, 'cut.pcap');
    fs.writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const damaged = await openFile(cut);
    assert.equal(damaged.status, 'error');
    assert.match(
      damaged.message ?? '',
      /^cut\.pcap is damaged at byte [\d,]+: .* The \d+ packets that could be read are shown\.$/,
    );
    assert.ok(damaged.store.held > 0);
    damaged.webviewPanel?.dispose();
  });

  test('"Save Capture As…" asks which packets, offers pcapng and pcap, and writes what was chosen', async () => {
    const panel = await openFile(fixture);
    assert.equal(panel.status, 'stopped');
    assert.equal(panel.message, undefined);
    panel.setDisplayFilter('udp');
    await until('the display filter over the file', () => !panel.view.filtering);
    await panel.receive({ type: 'request', id: 1, method: 'selectPacket', params: { number: 5 } });

    // The two questions are answered here (a QuickPick and a save dialog cannot be driven from the
    // extension host); what they were asked is recorded.
    const asked: { labels: string[]; filters?: Record<string, string[]> } = { labels: [] };
    const target = path.join(scratch, 'udp.pcap');
    const prompts = api.manager.savePrompts;
    api.manager.savePrompts = {
      pickScope: async (choices) => {
        asked.labels = choices.map((c) => c.label);
        return 'displayed';
      },
      saveUri: async (options) => {
        asked.filters = options.filters;
        return vscode.Uri.file(target);
      },
    };
    try {
      panel.webviewPanel?.reveal();
      await until('the file panel to be the current one', () => api.manager.current === panel);
      const count = await vscode.commands.executeCommand<number | undefined>('packetCapture.saveCaptureAs');
      assert.equal(count, 66);
    } finally {
      api.manager.savePrompts = prompts;
    }
    assert.deepEqual(asked.labels, ['All (114)', 'Displayed (66)', 'Selected (1)']);
    assert.deepEqual(Object.values(asked.filters ?? {}), [['pcapng'], ['pcap']]);
    assert.equal(packetsIn(target), 66);
    assert.match(
      execFileSync('capinfos', ['-t', target], { encoding: 'utf8' }),
      /File type:\s+Wireshark\/tcpdump\/\.\.\. - pcap/,
    );
    assert.equal(fs.statSync(target).mode & 0o777, 0o600);
    panel.webviewPanel?.dispose();
  });

  test('Mark Packet: Ctrl+M and the row menu mark, Next/Previous Mark step through them, frame.marked filters them, Save writes them', async () => {
    const panel = await openFile(fixture);
    panel.webviewPanel?.reveal();
    await until('the file panel to be the current one', () => api.manager.current === panel);
    const select = (number: number) =>
      panel.receive({ type: 'request', id: 1, method: 'selectPacket', params: { number } });

    await select(5);
    await vscode.commands.executeCommand('packetCapture.markPacket');
    await panel.receive({ type: 'request', id: 2, method: 'markPacket', params: { index: 9 } }); // the row menu, on packet 10
    await panel.receive({ type: 'request', id: 3, method: 'markPacket', params: { index: 20 } });
    await panel.receive({ type: 'request', id: 4, method: 'markPacket', params: { index: 20 } }); // unmarked again
    assert.deepEqual(panel.markedNumbers(), [5, 10]);

    await select(1);
    const stepped: (number | undefined)[] = [];
    for (const command of ['next', 'next', 'next', 'previous'] as const) {
      await vscode.commands.executeCommand(`packetCapture.${command}MarkedPacket`);
      stepped.push(panel.selectedNumber);
    }
    assert.deepEqual(stepped, [5, 10, 10, 5], 'no mark after 10: the selection stays');

    await panel.applyDisplayFilter('frame.marked');
    await until('the display filter', () => !panel.view.filtering);
    assert.deepEqual([...(await panel.view.shownNumbers())], [5, 10]);
    await panel.applyDisplayFilter('');

    const target = path.join(scratch, 'marked.pcapng');
    const prompts = api.manager.savePrompts;
    let labels: string[] = [];
    api.manager.savePrompts = {
      pickScope: async (choices) => {
        labels = choices.map((c) => c.label);
        return 'marked';
      },
      saveUri: async () => vscode.Uri.file(target),
    };
    try {
      assert.equal(await vscode.commands.executeCommand<number | undefined>('packetCapture.saveCaptureAs'), 2);
    } finally {
      api.manager.savePrompts = prompts;
    }
    assert.ok(labels.includes('Marked (2)'), labels.join(', '));
    // tshark reads packets 5 and 10 of the file in what was saved.
    const fields = (file: string, filter = '') =>
      execFileSync(
        'tshark',
        [
          '-n',
          '-r',
          file,
          ...(filter ? ['-Y', filter] : []),
          '-T',
          'fields',
          '-e',
          'frame.time_epoch',
          '-e',
          'frame.len',
          '-e',
          'frame.protocols',
        ],
        {
          encoding: 'utf8',
        },
      );
    assert.equal(fields(target), fields(fixture, 'frame.number == 5 || frame.number == 10'));

    await vscode.commands.executeCommand('packetCapture.unmarkAllPackets');
    assert.deepEqual(panel.markedNumbers(), []);
    panel.webviewPanel?.dispose();
  });

  test('Ignore Packet: Ctrl+D and the row menu ignore, the rows read <Ignored>, frame.ignored filters them, the Protocol Hierarchy counts them again, Ignore All Displayed, Unignore All', async () => {
    const panel = await openFile(fixture);
    panel.webviewPanel?.reveal();
    await until('the file panel to be the current one', () => api.manager.current === panel);
    await panel.receive({ type: 'request', id: 1, method: 'showProtocolHierarchy', params: {} });
    const tab = await until('the Protocol Hierarchy tab', () =>
      [...api.manager.hierarchyPanels].find((t) => t.capture === panel),
    );
    const ethFrames = () => tab.shown().rows.find((r) => r.protocol === 'eth')?.frames;
    await until('the hierarchy counted', () => ethFrames() === 114);

    await panel.receive({ type: 'request', id: 2, method: 'selectPacket', params: { number: 5 } });
    await vscode.commands.executeCommand('packetCapture.ignorePacket');
    await panel.receive({ type: 'request', id: 3, method: 'ignorePacket', params: { index: 9 } }); // the row menu, on packet 10
    assert.deepEqual(panel.store.ignoredList(), [5, 10]);
    const [five] = panel.rows(4, 1);
    assert.deepEqual(
      { info: five?.info, protocol: five?.protocol, ignored: five?.ignored },
      { info: '<Ignored>', protocol: '', ignored: true },
    );
    assert.equal(panel.rows(5, 1)[0]?.ignored, undefined);
    // The tab hears that every packet was dissected again: two frames are Ethernet no more.
    await until('the hierarchy counted again', () => ethFrames() === 112);

    await panel.applyDisplayFilter('frame.ignored');
    await until('the display filter', () => !panel.view.filtering);
    assert.deepEqual([...(await panel.view.shownNumbers())], [5, 10]);
    // A filter tshark judges (NetBIOS: not our decoders') leaves the ignored packets out too.
    await panel.applyDisplayFilter('nbns');
    await until('tshark to judge', () => !panel.view.filtering);
    assert.deepEqual(
      [...(await panel.view.shownNumbers())],
      tsharkFrames(fixture, 'nbns').filter((n) => n !== 5 && n !== 10),
    );

    // An ignored packet is UDP no more; then every UDP packet ignored: `udp` shows none, as in Wireshark.
    await panel.applyDisplayFilter('udp');
    await until('the display filter', () => !panel.view.filtering);
    const udp = await panel.view.shownNumbers();
    assert.deepEqual(
      [...udp],
      tsharkFrames(fixture, 'udp').filter((n) => n !== 5 && n !== 10),
    );
    await vscode.commands.executeCommand('packetCapture.ignoreAllDisplayed');
    await until('the display filter again', () => !panel.view.filtering);
    assert.equal((await panel.view.shownNumbers()).length, 0);
    assert.equal(panel.store.ignoredList().length, new Set([5, 10, ...udp]).size);

    await vscode.commands.executeCommand('packetCapture.unignoreAllPackets');
    await until('the display filter again', () => !panel.view.filtering);
    assert.deepEqual([...(await panel.view.shownNumbers())], tsharkFrames(fixture, 'udp'));
    assert.deepEqual(panel.store.ignoredList(), []);
    await panel.applyDisplayFilter('');
    await until('the hierarchy counted again', () => ethFrames() === 114);
    panel.webviewPanel?.dispose();
    await until('the tab closed with its capture', () => !api.manager.hierarchyPanels.has(tab));
  });

  test("a header's click sorts the rows (Length against tshark's frame.len), keeps each packet's delta, and back", async () => {
    const panel = await openFile(fixture);
    const sortRows = async (params: { column?: 'length' | 'source'; descending?: boolean }) => {
      await panel.receive({ type: 'request', id: 1, method: 'sortRows', params });
      await until('the rows sorted', () => !panel.counters().sorting);
    };
    const numbers = () => panel.rows(0, panel.view.rows).map((r) => r.number);
    const inPacketOrder = panel.rows(0, panel.view.rows);

    await sortRows({ column: 'length', descending: true });
    const lengths = execFileSync(
      'tshark',
      ['-n', '-r', fixture, '-T', 'fields', '-e', 'frame.number', '-e', 'frame.len'],
      {
        encoding: 'utf8',
      },
    )
      .trim()
      .split('\n')
      .map((line) => line.split('\t').map(Number) as [number, number]);
    const byLength = [...lengths].sort((a, b) => b[1] - a[1] || a[0] - b[0]).map(([n]) => n);
    assert.deepEqual(numbers(), byLength);
    assert.deepEqual(panel.view.sortOrder, { column: 'length', descending: true });
    // "Since the previous displayed packet" stays the packet's own, in packet order.
    const delta = new Map(inPacketOrder.map((r) => [r.number, r.delta]));
    for (const row of panel.rows(0, 20)) assert.equal(row.delta, delta.get(row.number));
    // Go to Packet finds a packet where the sort put it.
    assert.equal(await panel.view.rowOf(byLength[7]!), 7);

    // A display filter keeps the sort: its rows come in the same order.
    await panel.applyDisplayFilter('udp');
    await until('the display filter', () => !panel.view.filtering && !panel.counters().sorting);
    const udp = new Set(tsharkFrames(fixture, 'udp'));
    assert.deepEqual(
      numbers(),
      byLength.filter((n) => udp.has(n)),
    );
    await panel.applyDisplayFilter('');

    // Source: digit runs compare as numbers, ties stay in packet order.
    await sortRows({ column: 'source' });
    const bySource = [...inPacketOrder]
      .sort((a, b) => compareText(naturalKey(a.source), naturalKey(b.source)) || a.number - b.number)
      .map((r) => r.number);
    assert.deepEqual(numbers(), bySource);

    await sortRows({});
    assert.deepEqual(
      numbers(),
      inPacketOrder.map((r) => r.number),
    );
    assert.equal(panel.view.sortOrder, undefined);

    // From the keyboard: "Sort Packets…" offers each column either way, and packet order.
    panel.webviewPanel?.reveal();
    await until('the file panel to be the current one', () => api.manager.current === panel);
    const prompts = api.manager.prompts;
    let offered: string[] = [];
    api.manager.prompts = {
      ...prompts,
      pick: async (items) => {
        offered = items.map((i) => i.label);
        return items.find((i) => i.label === 'Length, descending');
      },
    };
    try {
      await vscode.commands.executeCommand('packetCapture.sortPackets');
    } finally {
      api.manager.prompts = prompts;
    }
    assert.equal(offered[0], 'Packet order');
    assert.ok(offered.includes('Info, ascending') && !offered.includes('Pod, ascending'), offered.join(', '));
    await until('the rows sorted', () => !panel.counters().sorting);
    assert.deepEqual(numbers(), byLength);
    await sortRows({});
    panel.webviewPanel?.dispose();
  });

  test('I/O Graph: packets and bytes per interval as tshark -z io,stat counts them, the display filter as a second series, a moment to its packet', async () => {
    const panel = await openFile(fixture);
    await panel.receive({ type: 'request', id: 1, method: 'showIoGraph', params: {} });
    const tab = await until('the I/O Graph tab', () => [...api.manager.ioGraphPanels].find((t) => t.capture === panel));
    await panel.receive({ type: 'request', id: 2, method: 'showIoGraph', params: {} });
    assert.equal([...api.manager.ioGraphPanels].filter((t) => t.capture === panel).length, 1, 'one tab per capture');
    const ioStat = (filter: string) =>
      execFileSync('tshark', ['-n', '-q', '-r', fixture, '-z', `io,stat,1,${filter}`], { encoding: 'utf8' })
        .split('\n')
        .flatMap((line) => {
          const m = /^\|\s*\d+\s*<>\s*(?:\d+|Dur)\s*\|\s*(\d+)\s*\|\s*(\d+)\s*\|$/.exec(line);
          return m ? [[Number(m[1]), Number(m[2])]] : [];
        });
    const trim = (values: number[]) => {
      let end = values.length;
      while (end > 0 && values[end - 1] === 0) end--;
      return values.slice(0, end);
    };

    let view = await tab.count();
    assert.equal(view.intervalMs, 1000, 'auto: at most 1000 intervals of the 107 s capture');
    assert.equal(view.auto, true);
    assert.deepEqual(trim(view.all), trim(ioStat('frame').map(([frames]) => frames!)));
    assert.equal(view.displayed, undefined);

    await panel.applyDisplayFilter('udp');
    view = await tab.count();
    assert.equal(view.displayed?.filter, 'udp');
    assert.deepEqual(trim(view.displayed!.values), trim(ioStat('udp').map(([frames]) => frames!)));

    await tab.receive({ type: 'choose', intervalMs: 1000, unit: 'bytes' });
    view = tab.shown();
    assert.deepEqual(trim(view.all), trim(ioStat('frame').map(([, bytes]) => bytes!)));
    // A message out of the contract changes nothing.
    await tab.receive({ type: 'choose', intervalMs: 7, unit: 'bytes' });
    assert.equal(tab.shown().intervalMs, 1000);

    // The first UDP packet from second 6 on, as tshark finds it.
    const [first] = tsharkFrames(fixture, 'udp && frame.time_relative >= 6');
    assert.equal(await tab.packetAt(6), first);
    await panel.applyDisplayFilter('');
    panel.webviewPanel?.dispose();
    await until('the tab closed with its capture', () => !api.manager.ioGraphPanels.has(tab));
  });

  test('Protocol Hierarchy: the protocols our decoders read, counted as tshark -z io,phs counts them; the display filter; a row applied', async () => {
    const panel = await openFile(fixture);
    await panel.receive({ type: 'request', id: 1, method: 'showProtocolHierarchy', params: {} });
    const tab = await until('the Protocol Hierarchy tab', () =>
      [...api.manager.hierarchyPanels].find((t) => t.capture === panel),
    );
    await vscode.commands.executeCommand('packetCapture.showProtocolHierarchy');
    assert.equal([...api.manager.hierarchyPanels].filter((t) => t.capture === panel).length, 1, 'one tab per capture');
    // eapon1.pcap's NetBIOS, DHCP, SSDP, IGMP and EAPOL are beyond our decoders (their packets end
    // in "data", or at UDP): the rows of Ethernet, IPv4, UDP and ARP are tshark's.
    let view = await tab.count();
    const read = ['eth', 'ip', 'udp', 'arp'];
    const ours = hierarchyLines(view.rows.filter((r) => read.includes(r.protocol)));
    assert.deepEqual(
      ours,
      tsharkHierarchy(fixture).filter((line) => read.includes(line.split(' ')[1]!)),
    );
    assert.equal(view.frames, 114);
    assert.equal(view.filter, '');

    await panel.applyDisplayFilter('udp');
    view = await tab.count();
    assert.equal(view.filter, 'udp');
    assert.equal(view.frames, 66);
    assert.deepEqual(
      hierarchyLines(view.rows.filter((r) => read.includes(r.protocol))),
      tsharkHierarchy(fixture, 'udp').filter((line) => read.includes(line.split(' ')[1]!)),
    );

    await panel.applyDisplayFilter('');
    view = await tab.count();
    await tab.receive({ type: 'apply', index: view.rows.findIndex((r) => r.protocol === 'arp') });
    assert.equal(panel.displayFilter, 'arp');
    await tab.receive({ type: 'apply', index: 999 }); // a row that is not there: refused, nothing changes
    assert.equal(panel.displayFilter, 'arp');
    await panel.applyDisplayFilter('');
    panel.webviewPanel?.dispose();
    await until('the tab closed with its capture', () => !api.manager.hierarchyPanels.has(tab));
  });

  test('Apply as Column: the field becomes a column (packetCapture.columns), its texts as tshark -T fields prints them, sortable, removable', async () => {
    const panel = await openFile(fixture);
    const columns = () => vscode.workspace.getConfiguration('packetCapture').get<{ field: string }[]>('columns');
    await panel.receive({ type: 'request', id: 1, method: 'applyAsColumn', params: { field: 'udp.length' } });
    await until('the column', () => panel.view.customColumns.length === 1);
    assert.deepEqual(columns(), [{ field: 'udp.length' }]);
    const lengths = execFileSync('tshark', ['-n', '-r', fixture, '-T', 'fields', '-e', 'udp.length'], {
      encoding: 'utf8',
    })
      .split('\n')
      .slice(0, -1);
    assert.deepEqual(
      panel.rows(0, panel.view.rows).map((r) => r.custom?.[0]),
      lengths,
    );
    // A name our decoders do not know is refused; the setting stays as it was.
    await panel.receive({ type: 'request', id: 2, method: 'applyAsColumn', params: { field: 'quic.version' } });
    assert.deepEqual(columns(), [{ field: 'udp.length' }]);

    await panel.receive({
      type: 'request',
      id: 3,
      method: 'sortRows',
      params: { column: 'custom0', descending: true },
    });
    await until('the rows sorted', () => !panel.counters().sorting);
    const sorted = panel.rows(0, panel.view.rows).map((r) => Number(r.custom?.[0] || -1));
    assert.deepEqual(
      sorted,
      [...sorted].sort((a, b) => b - a),
    );

    await panel.receive({ type: 'request', id: 4, method: 'removeColumn', params: { index: 0 } });
    await until('the column removed', () => panel.view.customColumns.length === 0);
    assert.equal(panel.view.sortOrder, undefined, 'the sort by it ends with it');
    panel.webviewPanel?.dispose();
  });

  test("column widths set in one capture are the workspace's: the next capture's table starts with them", async () => {
    const first = await openFile(fixture);
    const widths = { number: 64, time: 120, source: 230, destination: 210, protocol: 90, length: 70 };
    await first.receive({ type: 'request', id: 1, method: 'saveColumnWidths', params: { widths } });
    await first.receive({ type: 'request', id: 2, method: 'saveColumnWidths', params: { widths: { source: -5 } } }); // dropped
    assert.deepEqual(api.manager.settings().columnWidths, widths);
    first.webviewPanel?.dispose();
    const other = path.join(scratch, 'widths.pcap');
    fs.copyFileSync(fixture, other);
    const second = await openFile(other);
    // The page's first state, as the host wrote it into the page (escaped for an attribute).
    const attribute = /data-state="([^"]*)"/.exec(second.webviewPanel?.webview.html ?? '')?.[1] ?? '';
    const state = JSON.parse(attribute.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code))));
    assert.deepEqual(state.columnWidths, widths);
    second.webviewPanel?.dispose();
    await api.manager.saveColumnWidths({});
  });

  test('Decode As (packetCapture.decodeAs): the rows, the display filter and a saved file follow the rules', async function () {
    this.timeout(60_000);
    // A DNS query to UDP port 5300, which no decoder reads as DNS unless told.
    const ip = { src: ip4('198.18.0.1'), dst: ip4('198.18.0.2') };
    const query = dnsMessage({ id: 7, questions: [{ name: 'example.test', type: 1 }] });
    const datagram = udp({ sport: 40000, dport: 5300, ip }, query);
    const frame = eth({ type: ETH.ipv4 }, ipv4({ src: '198.18.0.1', dst: '198.18.0.2', proto: PROTO.udp }, datagram));
    const file = path.join(scratch, 'dns-on-5300.pcapng');
    fs.writeFileSync(file, pcapngFile([1], [{ data: frame }]));
    const panel = await openFile(file);
    const settings = vscode.workspace.getConfiguration('packetCapture');
    try {
      assert.equal(panel.rows(0, 1)[0]?.protocol, 'UDP');
      await settings.update('decodeAs', ['udp.port==5300,dns'], vscode.ConfigurationTarget.Global);
      await until('the row read anew', () => panel.rows(0, 1)[0]?.protocol === 'DNS');
      await panel.applyDisplayFilter('dns.qry.name == "example.test"');
      await until('the display filter', () => !panel.view.filtering);
      assert.equal(panel.view.rows, 1);
      const saved = path.join(scratch, 'dns-on-5300-saved.pcapng');
      assert.ok((await api.manager.saveTo(panel, vscode.Uri.file(saved), 'pcapng')) !== undefined);
      assert.match(execFileSync('capinfos', ['-k', saved], { encoding: 'utf8' }), /Decode As: udp\.port==5300,dns/);
    } finally {
      await settings.update('decodeAs', undefined, vscode.ConfigurationTarget.Global);
      panel.webviewPanel?.dispose();
    }
  });

  test("a display filter on a protocol our decoders do not know is judged by Wireshark's tshark", async function () {
    this.timeout(60_000);
    const resp = path.join(path.dirname(fixture), 'resp_1_benchmark.pcap');
    const panel = await openFile(resp);
    try {
      // As the filter bar asks (its request handler): the answer says who judged it.
      const applied = await panel.applyDisplayFilter('resp && tcp.len > 20');
      assert.equal(applied.mode, 'wireshark');
      await until('tshark to finish', () => !panel.view.filtering, 30_000);
      const rows = panel.rows(0, 1000).map((r) => r.number);
      assert.deepEqual(rows, tsharkFrames(resp, 'resp && tcp.len > 20'));

      // A name neither we nor Wireshark know (its field list says): refused, and the rows stay as they were.
      await assert.rejects(
        panel.applyDisplayFilter('resp.nosuchfield == 1'),
        /^Error: "resp\.nosuchfield" is neither a field nor a protocol name, ours or Wireshark's/,
      );
      assert.deepEqual(
        panel.rows(0, 1000).map((r) => r.number),
        rows,
      );

      // Without Wireshark: our own message, saying what installing it would add.
      const settings = vscode.workspace.getConfiguration('packetCapture');
      const nowhere = path.join(scratch, 'no-wireshark', 'wireshark');
      await settings.update('wiresharkPath', nowhere, vscode.ConfigurationTarget.Global);
      try {
        await until('the setting', () => api.manager.wiresharkPath === nowhere);
        await assert.rejects(
          panel.applyDisplayFilter('resp'),
          /"resp" is neither a field nor a protocol name .*Wireshark knows more protocols.*install it \(tshark\)/,
        );
      } finally {
        await settings.update('wiresharkPath', undefined, vscode.ConfigurationTarget.Global);
      }
    } finally {
      panel.webviewPanel?.dispose();
    }
  });
});
