// Packets' processes: the one reader (and writer) of ptcpdump-style pcapng comments
// (packet/process-comment.ts), hostile comments, the pcapng writer and reader keeping each packet's
// comments (judged by tshark's frame.comment), and a capture of attributed and unattributed
// packets read into a store as a file is: the proc.*, container.* and k8s.* display-filter fields
// judged by the real filter worker, the Process column's rows, the detail, Save As and the pod
// merger keeping the comments, pcap-summary printing the process.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { encodePackets, fileHeader } from '../../extension/capture/capture-writer.js';
import { readCaptureInto } from '../../extension/editor/file-load.js';
import { captureContents, packetDetail, tableRows } from '../../extension/panel/table-rows.js';
import { PacketStore, SEGMENT_PACKETS } from '../../extension/store/packet-store.js';
import type { PacketView } from '../../extension/store/packet-view.js';
import { CaptureFileReader } from '../../packet/capture-file.js';
import { run as pcapSummary } from '../../packet/cli/pcap-summary.js';
import { compileDisplayFilter } from '../../packet/display-filter.js';
import {
  encodeBlock,
  enhancedPacketSize,
  interfaceDescriptionSize,
  MAX_PACKET_COMMENTS,
  sectionHeaderSize,
  writeEnhancedPacket,
  writeInterfaceDescription,
  writeSectionHeader,
} from '../../packet/pcapng.js';
import { PcapngMerger } from '../../packet/pcapng-merge.js';
import {
  formatProcessComments,
  MAX_COMMAND,
  MAX_COMMENTS,
  PID_MAX,
  type ProcessInfo,
  parseProcessComments,
  processLabel,
  processName,
} from '../../packet/process-comment.js';
import { ETH, eth, ipv4, PROTO, udp } from './fixtures/packets.js';
import { rng } from './fixtures/rng.js';
import { haveTshark } from './fixtures/tshark.js';
import { useFilterWorker } from './helpers/filter-worker.js';

const CONTAINER = '3f2a9c0d5e6b7a8f'.repeat(4);
/** curl in a pod's container, as ptcpdump's six comments name it. */
const CURL: ProcessInfo = {
  pid: 4242,
  cmd: '/usr/bin/curl',
  args: 'curl -s http://198.18.0.2/',
  tid: 4243,
  threadName: 'curl-io',
  uid: 1000,
  ppid: 4000,
  parentCmd: '/bin/bash',
  containerId: 'a'.repeat(64),
  containerName: 'shop-cart',
  podName: 'cart-7d9f-abcde',
  podNamespace: 'shop',
};

describe('process comments → process', () => {
  test('the agent’s one comment: PID, Cmd, Args (and ContainerId in a container, the pod’s names in a pod)', () => {
    assert.deepEqual(parseProcessComments(['PID: 1234\nCmd: /usr/bin/node\nArgs: node server.js']), {
      pid: 1234,
      cmd: '/usr/bin/node',
      args: 'node server.js',
    });
    assert.deepEqual(
      parseProcessComments([`PID: 1234\nCmd: /usr/bin/node\nArgs: node server.js\nContainerId: ${CONTAINER}`]),
      { pid: 1234, cmd: '/usr/bin/node', args: 'node server.js', containerId: CONTAINER },
    );
    const inPod = `ContainerName: web\nContainerId: ${CONTAINER}\nPodName: web-0\nPodNamespace: shop\nPodUID: 9fab5bed-6841-41e7-af14-acce3711ba67`;
    assert.deepEqual(parseProcessComments([`PID: 1234\nCmd: /usr/bin/node\nArgs: node server.js\n${inPod}`]), {
      pid: 1234,
      cmd: '/usr/bin/node',
      args: 'node server.js',
      containerId: CONTAINER,
      containerName: 'web',
      podName: 'web-0',
      podNamespace: 'shop',
    });
  });

  test('ptcpdump’s form: one comment per context, with the lines we do not use', () => {
    const comments = [
      'PID: 4242\nCmd: /usr/bin/curl\nArgs: curl -s http://198.18.0.2/',
      'ThreadId: 4243\nThreadName: curl-io',
      'UserId: 1000\nGroupId: 1000',
      'ParentPID: 4000\nParentCmd: /bin/bash\nParentArgs: bash -l',
      `ContainerName: shop-cart\nContainerId: ${CONTAINER}\nContainerImage: shop/cart:1.2\nContainerLabels: {"a":"b"}`,
      'PodName: cart-7d9f-abcde\nPodNamespace: shop\nPodUID: 0c8f\nPodLabels: app=cart\nPodAnnotations: ',
    ];
    const want: ProcessInfo = { ...CURL, containerId: CONTAINER };
    assert.deepEqual(parseProcessComments(comments), want);
    // In any order, and with CRLF line ends.
    assert.deepEqual(parseProcessComments([...comments].reverse().map((c) => c.replaceAll('\n', '\r\n'))), want);
    // What formatProcessComments writes reads back the same.
    assert.deepEqual(parseProcessComments(formatProcessComments(want)), want);
    assert.equal(processName(want), 'curl');
    assert.equal(processLabel(want), 'curl (4242)');
  });

  test('no "PID:" line, no process; names from the command line when Cmd is empty', () => {
    for (const comments of [
      undefined,
      [],
      ['checked by Alice: retransmission here'],
      [`ContainerName: web\nContainerId: ${CONTAINER}`], // a container without a process
      ['Cmd: /usr/bin/node\nArgs: node'],
    ])
      assert.equal(parseProcessComments(comments), undefined, JSON.stringify(comments));
    const unnamed = parseProcessComments(['PID: 9\nCmd: \nArgs: /opt/app/bin/server --port 1']);
    assert.deepEqual(unnamed, { pid: 9, cmd: '', args: '/opt/app/bin/server --port 1' });
    assert.equal(processLabel(unnamed!), 'server (9)');
    assert.equal(processLabel(parseProcessComments(['PID: 9'])!), 'PID 9');
    // A user's comment next to the process's changes nothing.
    assert.equal(parseProcessComments(['a note', 'PID: 5\nCmd: /bin/sh\nArgs: sh'])?.pid, 5);
  });

  test('numbers: plain decimals within the kernel’s ranges, or nothing', () => {
    for (const pid of [
      '-1',
      '0',
      `${PID_MAX + 1}`,
      '99999999999',
      '18446744073709551617',
      '1e3',
      '+5',
      ' 7',
      '7 ',
      '0x10',
      '012',
      '12abc',
      '1.5',
      '',
      '٣', // an Arabic-Indic digit
    ])
      assert.equal(parseProcessComments([`PID: ${pid}\nCmd: /bin/x`]), undefined, JSON.stringify(pid));
    assert.equal(parseProcessComments([`PID: ${PID_MAX}`])?.pid, PID_MAX);
    const odd = parseProcessComments([
      'PID: 10\nCmd: /bin/x\nArgs: x',
      'ThreadId: -3\nThreadName: t',
      'UserId: 4294967295', // (uid_t)-1: no user
      'ParentPID: 0\nParentCmd: /sbin/init',
    ]);
    assert.deepEqual(odd, { pid: 10, cmd: '/bin/x', args: 'x', threadName: 't', parentCmd: '/sbin/init' });
    assert.equal(parseProcessComments(['PID: 10', 'UserId: 0'])?.uid, 0, 'root is a user');
  });

  test('hostile comments: bounded, control and direction characters replaced, markup kept as text', () => {
    const huge = parseProcessComments([`PID: 1\nCmd: /${'a'.repeat(1 << 20)}\nArgs: ${'b '.repeat(1 << 20)}`]);
    assert.ok(huge);
    assert.equal(huge.cmd.length, MAX_COMMAND);
    assert.ok(huge.cmd.endsWith('…'));
    assert.equal(huge.args.length, MAX_COMMAND);

    const nasty = parseProcessComments([
      'PID: 66\nCmd: /tmp/\u001b[31mred\u0000\nArgs: sh -c "<img src=x onerror=alert(1)>"\t&amp;\u202eevil\u0085',
      'ThreadName: x\u0007y',
    ]);
    assert.deepEqual(nasty, {
      pid: 66,
      cmd: '/tmp/\uFFFD[31mred\uFFFD',
      // Markup is data: it stays exactly as written, for the panel to show as text.
      args: 'sh -c "<img src=x onerror=alert(1)>" &amp;\uFFFDevil\uFFFD',
      threadName: 'x\uFFFDy',
    });

    // The first of a key wins: a later comment cannot change the PID.
    assert.equal(parseProcessComments(['PID: 1\nCmd: /a', 'PID: 2\nCmd: /b'])?.pid, 1);
    // Comments beyond MAX_COMMENTS and lines beyond the bound are not read.
    const many = [...Array.from({ length: MAX_COMMENTS }, () => 'note'), 'PID: 3'];
    assert.equal(parseProcessComments(many), undefined);
    assert.equal(parseProcessComments([`${'x: y\n'.repeat(40)}PID: 3`]), undefined);
    // Not strings (a caller that passes JSON it did not check).
    assert.equal(parseProcessComments([7, null, {}] as unknown as string[]), undefined);

    for (const id of ['<b>x</b>', 'abc def', '', 'a'.repeat(129), '-abc', 'ab\u0000cd', 'ab\u202ecd'])
      assert.equal(parseProcessComments([`PID: 1\nContainerId: ${id}`])?.containerId, undefined, id);
    // A pod only whole, and only with names Kubernetes accepts.
    for (const pod of [
      'PodName: web-0',
      'PodNamespace: default',
      'PodName: <script>\nPodNamespace: default',
      'PodName: web-0\nPodNamespace: De fault',
      'PodName: Web-0\nPodNamespace: default',
    ]) {
      const p = parseProcessComments(['PID: 1', pod]);
      assert.equal(p?.podName, undefined, pod);
      assert.equal(p?.podNamespace, undefined, pod);
    }
  });

  test('random comments built from the keys: never a throw, every value bounded and clean', () => {
    const random = rng(0x70c);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
    const KEYS = ['PID', 'Cmd', 'Args', 'ThreadId', 'ThreadName', 'UserId', 'ParentPID', 'ParentCmd', 'ContainerId'];
    const PIECES = ['1', '0', '-', '9999999999', ':', ' ', '\n', '\r', '\u0000', '\u202e', '<b>', 'é', '\ud800', 'x'];
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the characters no value may carry
    const UNSAFE = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
    let parsed = 0;
    for (let round = 0; round < 3000; round++) {
      // Half of them start with a good PID line, so that the other lines get read.
      const head = random() < 0.5 ? [`PID: ${1 + Math.floor(random() * PID_MAX)}`] : [];
      const comments = Array.from({ length: 1 + Math.floor(random() * 4) }, () =>
        Array.from({ length: 1 + Math.floor(random() * 6) }, () => {
          const value = Array.from({ length: Math.floor(random() * 8) }, () => pick(PIECES)).join('');
          return `${pick(KEYS)}: ${value}`;
        }).join('\n'),
      );
      const p = parseProcessComments([...head, ...comments]);
      if (!p) continue;
      parsed++;
      assert.ok(Number.isInteger(p.pid) && p.pid >= 1 && p.pid <= PID_MAX, JSON.stringify(comments));
      for (const text of [p.cmd, p.args, p.threadName ?? '', p.parentCmd ?? '', p.containerId ?? ''])
        assert.ok(!UNSAFE.test(text) && text.length <= MAX_COMMAND, JSON.stringify(comments));
    }
    assert.ok(parsed > 1000, `${parsed} of the random comments named a process`);
  });

  test('process fields compile as display filters, read from the meta', () => {
    const p: ProcessInfo = { pid: 1234, cmd: '/usr/bin/node', args: 'node server.js', containerId: CONTAINER };
    const meta = { number: 1, length: 60, process: p };
    const empty = { summary: { source: '', destination: '', protocol: '', info: '' }, layers: [], problems: [] };
    for (const [f, want] of [
      ['proc.pid', true],
      ['proc.pid == 1234', true],
      ['proc.pid in {1 1234}', true],
      ['proc.pid >= 2000', false],
      ['proc.name == "node"', true],
      ['proc.cmdline contains "server"', true],
      [`container.id == "${CONTAINER}"`, true],
      ['proc.tid', false],
    ] as const) {
      const compiled = compileDisplayFilter(f);
      assert.equal(compiled.needsTree, false, f);
      assert.equal(compiled.needsProcess, true, f);
      assert.equal(compiled.match(empty, meta), want, f);
    }
    assert.equal(compileDisplayFilter('k8s.pod').needsProcess, true);
    assert.equal(compileDisplayFilter('udp').needsProcess, false);
    assert.equal(compileDisplayFilter('proc.name == "node"').match(empty, { number: 1, length: 60 }), false);
  });
});

// ---- pcapng: the writer's comments, the reader's, tshark's

const T0 = 1_700_000_000_000_000_000n;

/** The bytes of one EPB with `comments`, written into a buffer of exactly enhancedPacketSize. */
function epbWith(interfaceId: number, t: bigint, data: Uint8Array, comments?: readonly string[]): Uint8Array {
  const out = new Uint8Array(enhancedPacketSize(data.length, 'out', undefined, comments));
  const end = writeEnhancedPacket(
    out,
    0,
    interfaceId,
    T0 + t,
    data,
    0,
    data.length,
    data.length,
    'out',
    undefined,
    comments,
  );
  assert.equal(end, out.length, 'enhancedPacketSize is the size written');
  return out;
}

function section(...interfaces: string[]): Uint8Array[] {
  return [
    encodeBlock(sectionHeaderSize, writeSectionHeader, { userAppl: 'process tests' }),
    ...interfaces.map((name) =>
      encodeBlock(interfaceDescriptionSize, writeInterfaceDescription, { linkType: 1, snaplen: 262144, name }),
    ),
  ];
}

function readAll(bytes: Uint8Array): CaptureFileReader & { all: ReturnType<CaptureFileReader['push']> } {
  const reader = new CaptureFileReader();
  const all = [...reader.push(bytes), ...reader.end()];
  return Object.assign(reader, { all });
}

/** tshark's frame.comment of each packet, its comments split again (newlines come out as "\n"). */
function tsharkComments(file: string): string[][] {
  const r = spawnSync('tshark', ['-r', file, '-T', 'fields', '-e', 'frame.comment', '-E', 'aggregator=\x1e'], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout
    .replace(/\n$/, '')
    .split('\n')
    .map((line) => (line === '' ? [] : line.split('\x1e').map((c) => c.replaceAll('\\n', '\n'))));
}

function udpFrame(sport: number, dport: number, payload = 'x'): Uint8Array {
  const data = new TextEncoder().encode(payload);
  return eth(
    { src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02', type: ETH.ipv4 },
    ipv4({ src: '198.18.0.1', dst: '198.18.0.2', proto: PROTO.udp }, udp({ sport, dport }, data)),
  );
}

function arpFrame(): Uint8Array {
  const f = new Uint8Array(42);
  f.set([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x08, 0x06]);
  f.set([0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 1, 198, 18, 0, 1, 0, 0, 0, 0, 0, 0, 198, 18, 0, 2], 14);
  return f;
}

describe('pcapng comments', () => {
  test('the writer writes each comment as an opt_comment, the reader gives them back in order', () => {
    const comments = ['PID: 1\nCmd: /bin/ä\nArgs: 😀 x', 'lone \ud800 surrogate', '', 'ThreadId: 2\nThreadName: t'];
    const bytes = Buffer.concat([
      ...section('eth0'),
      epbWith(0, 1n, udpFrame(1, 2), comments),
      epbWith(0, 2n, udpFrame(1, 2)),
    ]);
    const { all, errors } = readAll(bytes);
    assert.deepEqual(errors, []);
    assert.deepEqual(all[0]!.comments, [...comments.slice(0, 1), 'lone \ufffd surrogate', '', comments[3]]);
    assert.equal(all[0]!.direction, 'out', 'the flags still follow the comments');
    assert.equal(all[1]!.comments, undefined);
    assert.throws(() => epbWith(0, 1n, udpFrame(1, 2), ['é'.repeat(40000)]), RangeError);
  });

  test(`a packet's comments are kept up to ${MAX_PACKET_COMMENTS}, the rest noted and ignored`, () => {
    const comments = Array.from({ length: MAX_PACKET_COMMENTS + 8 }, (_, i) => `c${i}`);
    const { all, errors } = readAll(Buffer.concat([...section('eth0'), epbWith(0, 1n, udpFrame(1, 2), comments)]));
    assert.deepEqual(all[0]!.comments, comments.slice(0, MAX_PACKET_COMMENTS));
    assert.equal(errors.length, 1);
    assert.match(errors[0]!, /40 comments on one packet; those past 32 ignored/);
  });
});

// ---- a capture of attributed and unattributed packets

const NODE = 'PID: 1234\nCmd: /usr/bin/node\nArgs: node server.js';

/** Each packet's interface, frame and comments: 1 node (the agent's one comment), 2 an ARP the
 *  kernel sent (none), 3 curl in a pod's container (ptcpdump's six comments), 4 a process whose
 *  comment names another pod than its interface's, 5 a user's note only, 6 node again, in a
 *  container. Interface 1 belongs to the pod default/web-0. */
const PACKETS: { iface: number; frame: Uint8Array; comments?: string[] }[] = [
  { iface: 0, frame: udpFrame(40000, 53), comments: [NODE] },
  { iface: 0, frame: arpFrame() },
  { iface: 0, frame: udpFrame(40001, 80), comments: formatProcessComments(CURL) },
  {
    iface: 1,
    frame: udpFrame(40002, 8080),
    comments: ['PID: 77\nCmd: /app/web\nArgs: /app/web', 'PodName: other-pod\nPodNamespace: other'],
  },
  { iface: 0, frame: udpFrame(40003, 9), comments: ['checked by Alice'] },
  {
    iface: 0,
    frame: udpFrame(40004, 53),
    comments: [`PID: 1234\nCmd: /usr/bin/node\nArgs: node worker.js\nContainerId: ${CONTAINER}`],
  },
];

function processCapture(): Uint8Array {
  return Buffer.concat([
    ...section('eth0', 'default/web-0:eth0'),
    ...PACKETS.map((p, i) => epbWith(p.iface, BigInt(i), p.frame, p.comments)),
  ]);
}

const { view: filteredView } = useFilterWorker('process-comment');

async function* inPieces(bytes: Uint8Array, size = 50): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

async function opened(bytes = processCapture()): Promise<{ store: PacketStore; view: PacketView }> {
  const store = new PacketStore({ maxPackets: 1e6, maxBytes: 1e9, whenFull: 'stop' });
  await readCaptureInto(store, inPieces(bytes));
  return { store, view: filteredView(store) };
}

async function shown(view: PacketView, filter: string): Promise<number[]> {
  view.setFilter(filter);
  return [...(await view.shownNumbers())];
}

describe('a capture that names processes', () => {
  let dir: string;
  let file: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'process-comment-'));
    file = join(dir, 'processes.pcapng');
    writeFileSync(file, processCapture());
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('tshark reads the comments the writer wrote, as our reader does', {
    skip: !haveTshark && 'tshark is not installed',
  }, () => {
    const theirs = tsharkComments(file);
    assert.deepEqual(
      theirs,
      PACKETS.map((p) => p.comments ?? []),
    );
    assert.deepEqual(
      readAll(processCapture()).all.map((p) => p.comments ?? []),
      theirs,
    );
  });

  test('proc.*, container.* and k8s.* select packets by their process; the interface’s pod wins', async () => {
    const { store, view } = await opened();
    assert.equal(store.held, 6);
    const cases: [string, number[]][] = [
      ['proc.pid', [1, 3, 4, 6]],
      ['!proc.pid', [2, 5]],
      ['proc.pid == 1234', [1, 6]],
      ['proc.pid != 1234', [3, 4]], // packets without a process have no PID to differ
      ['proc.pid in {4242 77}', [3, 4]],
      ['proc.pid > 1000', [1, 3, 6]],
      ['proc.name == "node"', [1, 6]],
      ['proc.name == "curl"', [3]],
      ['proc.name in {"web" "curl"}', [3, 4]],
      ['proc.cmdline contains "worker"', [6]],
      ['proc.cmdline == "node server.js"', [1]],
      ['proc.cmdline matches "^curl -s"', [3]],
      ['proc.exe == "/usr/bin/node"', [1, 6]],
      ['proc.tid == 4243', [3]],
      ['proc.uid == 1000', [3]],
      ['proc.ppid == 4000 and proc.parent == "/bin/bash"', [3]],
      ['proc.thread == "curl-io"', [3]],
      ['container.id', [3, 6]],
      [`container.id == "${CONTAINER}"`, [6]],
      ['container.id contains "3f2a"', [6]],
      ['container.name == "shop-cart"', [3]],
      // One field, two sources: the interface's name, else the process's comment.
      ['k8s.pod', [3, 4]],
      ['k8s.pod == "cart-7d9f-abcde"', [3]],
      ['k8s.namespace == "shop"', [3]],
      ['k8s.pod == "web-0"', [4]],
      ['k8s.pod == "other-pod"', []],
      ['proc.pid and udp.dstport == 53', [1, 6]],
      ['!proc.pid and arp', [2]],
    ];
    for (const [filter, numbers] of cases) assert.deepEqual(await shown(view, filter), numbers, filter);
  });

  test('the table’s Process column: "name (pid)" for attributed packets, nothing for the others', async () => {
    const { store, view } = await opened();
    assert.equal(store.hasProcesses, true);
    assert.deepEqual(captureContents(store).processes, true, 'the counters tell the panel to show the column');
    const rows = tableRows(store, view, 0, 100);
    assert.deepEqual(
      rows.map((r) => r.process),
      ['node (1234)', undefined, 'curl (4242)', 'web (77)', undefined, 'node (1234)'],
    );
    assert.equal(Object.hasOwn(rows[1]!, 'process'), false);
    // One Pod column, two sources: the interface's name wins over the process's comment.
    assert.deepEqual(
      rows.map((r) => r.pod),
      [undefined, undefined, 'shop/cart-7d9f-abcde', 'default/web-0', undefined, undefined],
    );
  });

  test('a node’s capture (no pod interfaces): a pod named by a process’s comment brings the Pod column', async () => {
    const node = (comments: string[][]) =>
      Buffer.concat([...section('eth0'), ...comments.map((c, i) => epbWith(0, BigInt(i), udpFrame(1, 2), c))]);
    const withPod = (await opened(node([[NODE], [], formatProcessComments(CURL)]))).store;
    assert.equal(withPod.hasProcessPods, true);
    assert.deepEqual(captureContents(withPod), { pods: [], processes: true }, 'a Pod column, no counters');
    const withoutPod = (await opened(node([[NODE], []]))).store;
    assert.deepEqual(captureContents(withoutPod), { processes: true });
  });

  test('the detail: the process, or null for a packet without one', async () => {
    const { store } = await opened();
    assert.deepEqual(packetDetail(store, 3)?.process, CURL);
    assert.equal(packetDetail(store, 2)?.process, null);
    assert.equal(packetDetail(store, 5)?.process, null);
    assert.equal(packetDetail(store, 99), undefined);
  });

  test('a capture without processes: no Process column, no process in the detail', async () => {
    const plain = Buffer.concat([
      ...section('eth0'),
      epbWith(0, 0n, udpFrame(1, 2)),
      epbWith(0, 1n, udpFrame(1, 2), ['checked by Alice', 'PID: -1']),
    ]);
    const { store, view } = await opened(plain);
    assert.equal(store.hasProcesses, false);
    assert.deepEqual(captureContents(store), {});
    assert.ok(tableRows(store, view, 0, 10).every((r) => !Object.hasOwn(r, 'process')));
    assert.equal(Object.hasOwn(packetDetail(store, 1)!, 'process'), false);
    assert.equal(Object.hasOwn(packetDetail(store, 2)!, 'process'), false);
  });

  test('Save As writes every packet’s comments back (tshark reads them)', async () => {
    const { store } = await opened();
    const saved = Buffer.concat([fileHeader(store, 'pcapng'), ...encodePackets(store, 'pcapng', 1, 6)]);
    assert.deepEqual(
      readAll(saved).all.map((p) => p.comments ?? []),
      PACKETS.map((p) => p.comments ?? []),
    );
    if (!haveTshark) return;
    const out = join(dir, 'saved.pcapng');
    writeFileSync(out, saved);
    assert.deepEqual(
      tsharkComments(out),
      PACKETS.map((p) => p.comments ?? []),
    );
  });

  test('comments count toward the store’s bytes and leave with their segment', () => {
    const store = new PacketStore({ maxPackets: SEGMENT_PACKETS, maxBytes: 1e9, whenFull: 'drop-oldest' });
    store.addInterface({ name: 'eth0', linkType: 1, snaplen: 0 });
    const data = udpFrame(1, 2);
    const each = data.length + 2 + new TextEncoder().encode(NODE).length;
    for (let t = 0n; t <= BigInt(SEGMENT_PACKETS); t++)
      store.append({ interfaceId: 0, timestampNs: T0 + t, data, originalLength: data.length, comments: [NODE] });
    assert.equal(store.evicted, SEGMENT_PACKETS);
    assert.equal(store.bytes, each, 'the one packet of the second segment, its comment included');
    assert.deepEqual(store.packet(SEGMENT_PACKETS + 1)?.comments, [NODE]);
    assert.deepEqual(store.packet(SEGMENT_PACKETS + 1)?.data, data, 'the bytes end where the comments begin');
  });

  test('kubectl-pcap’s merger keeps each packet’s comments', () => {
    const chunks: Uint8Array[] = [];
    const merger = new PcapngMerger((b) => void chunks.push(b), { userAppl: 'kubectl-pcap' }, { nowNs: () => T0 });
    const web = merger.addSource({ namespace: 'default', pod: 'web-0' });
    merger.push(web, processCapture());
    merger.end(web);
    assert.deepEqual(
      readAll(Buffer.concat(chunks)).all.map((p) => p.comments ?? []),
      PACKETS.map((p) => p.comments ?? []),
    );
  });

  test('pcap-summary ends an attributed packet’s row with its process', async () => {
    const text = await summary([file]);
    const lines = text.trimEnd().split('\n');
    assert.equal(lines.length, 6);
    assert.ok(lines[0]!.endsWith('  [node (1234)]'), lines[0]);
    assert.ok(lines[2]!.endsWith('  [curl (4242)]'), lines[2]);
    assert.ok(!lines[1]!.includes('['), lines[1]);
    assert.ok(!lines[4]!.includes('['), lines[4]);
    const json = (await summary([file, '--json']))
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { process?: ProcessInfo & { name: string } });
    assert.deepEqual(json[2]!.process, { ...CURL, name: 'curl' });
    assert.deepEqual(json[0]!.process, { pid: 1234, cmd: '/usr/bin/node', args: 'node server.js', name: 'node' });
    assert.equal(json[1]!.process, undefined);
  });
});

async function summary(args: string[]): Promise<string> {
  const chunks: Buffer[] = [];
  const sink = (into: Buffer[]) =>
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        into.push(chunk);
        cb();
      },
    });
  const errors: Buffer[] = [];
  const code = await pcapSummary(args, { stdout: sink(chunks), stderr: sink(errors) });
  assert.equal(code, 0, Buffer.concat(errors).toString());
  return Buffer.concat(chunks).toString('utf8');
}
