// Pods in a capture: the one mapping from an interface name to (namespace, pod, iface)
// (packet/k8s-pod.ts), the merger writing names that map back, and a capture of two pods and one
// plain interface read into a store as a file is: the k8s.pod / k8s.namespace display-filter
// fields judged by the real filter worker, the table's Pod column, and the counters per pod.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { readCaptureInto } from '../../extension/editor/file-load.js';
import { tableRows } from '../../extension/panel/table-rows.js';
import { PacketStore } from '../../extension/store/packet-store.js';
import type { PacketView } from '../../extension/store/packet-view.js';
import { compileDisplayFilter, DisplayFilterError } from '../../packet/display-filter.js';
import { parsePodInterfaceName, podInterfaceName, podLabel } from '../../packet/k8s-pod.js';
import {
  encodeBlock,
  enhancedPacketSize,
  interfaceDescriptionSize,
  interfaceStatisticsSize,
  sectionHeaderSize,
  writeEnhancedPacket,
  writeInterfaceDescription,
  writeInterfaceStatistics,
  writeSectionHeader,
} from '../../packet/pcapng.js';
import { PcapngMerger } from '../../packet/pcapng-merge.js';
import { useFilterWorker } from './helpers/filter-worker.js';

describe('interface name → pod', () => {
  test('"namespace/pod:iface" names a pod; formatting and parsing agree', () => {
    assert.deepEqual(parsePodInterfaceName('default/web-7d9f-abcde:eth0'), {
      namespace: 'default',
      pod: 'web-7d9f-abcde',
      iface: 'eth0',
    });
    for (const p of [
      { namespace: 'kube-system', pod: 'coredns-5d78c9869d-xk2lp', iface: 'eth0' },
      { namespace: 'a', pod: 'b', iface: 'if0' }, // one character each; the merger's name for an unnamed interface
      { namespace: 'shop', pod: 'cart.v2-0', iface: 'net1' }, // a pod name may hold dots
      { namespace: 'n'.repeat(63), pod: 'p'.repeat(253), iface: 'veth1234abcd' }, // the longest Kubernetes allows
    ]) {
      assert.equal(podInterfaceName(p), `${p.namespace}/${p.pod}:${p.iface}`);
      assert.deepEqual(parsePodInterfaceName(podInterfaceName(p)), p);
    }
    assert.equal(podLabel({ namespace: 'default', pod: 'web-0' }), 'default/web-0');
  });

  test('any other name has no pod', () => {
    for (const name of [
      undefined,
      '',
      'eth0',
      'lo',
      'any',
      'default/web-0', // no interface
      'web-0:eth0', // no namespace
      '/web-0:eth0',
      'default/:eth0',
      'default/web-0:',
      'Default/web-0:eth0', // Kubernetes names are lowercase
      'default/Web-0:eth0',
      '-default/web-0:eth0', // must start and end alphanumeric
      'default/web-0-:eth0',
      'default/.web:eth0',
      'de.fault/web-0:eth0', // a namespace has no dots
      'a/b/c:eth0', // "/" in a pod name
      'default/web-0:eth0:1', // ":" in an interface name
      'default/web-0:eth/0',
      `${'n'.repeat(64)}/web-0:eth0`, // too long
      `default/${'p'.repeat(254)}:eth0`,
      `default/web-0:${'e'.repeat(65)}`,
    ])
      assert.equal(parsePodInterfaceName(name), undefined, String(name));
  });

  test('hostile names (markup, control characters, look-alikes) are never taken as pods', () => {
    for (const name of [
      '<script>alert(1)</script>/web-0:eth0',
      'default/<img src=x onerror=alert(1)>:eth0',
      'default/web-0&amp;:eth0',
      'default/"web":eth0',
      "default/web'0:eth0",
      'default/web\u0000:eth0',
      'default/web-0:eth0\n',
      'default/web-0\r\n:eth0',
      'default/web-0:eth\u001b[31m0',
      'default/web-0:eth 0',
      'default/web-0:eth0\u007f',
      'default/w\u0435b-0:eth0', // a Cyrillic "е"
      'default/web-0\u200b:eth0', // a zero-width space
      'default/web-0:\u202eeth0', // right-to-left override
      'default /web-0:eth0',
    ])
      assert.equal(parsePodInterfaceName(name), undefined, JSON.stringify(name));
  });
});

describe('display-filter fields k8s.pod and k8s.namespace', () => {
  test('they read the meta, not the tree, and a misspelling gets the field name', () => {
    for (const f of ['k8s.pod', 'k8s.pod == "web-0"', 'k8s.namespace contains "def"', 'not k8s.pod'])
      assert.equal(compileDisplayFilter(f).needsTree, false, f);
    assert.equal(compileDisplayFilter('k8s.pod and tcp').needsTree, true);
    for (const [typed, meant] of [
      ['k8s.pods == "web-0"', 'k8s.pod'],
      ['k8s.namspace == "default"', 'k8s.namespace'],
    ])
      assert.throws(
        () => compileDisplayFilter(typed!),
        (e: unknown) => e instanceof DisplayFilterError && e.hint === `Did you mean ${meant}?`,
        typed,
      );
    assert.throws(() => compileDisplayFilter('k8s.pod > 3 and k8s.pod == '), DisplayFilterError);
  });
});

// ---- a capture of two pods and one plain interface

const LINKTYPE_ETHERNET = 1;
const T0 = 1_700_000_000_000_000_000n;

/** A 60-byte frame whose last byte tags it. */
function frame(tag: number, size = 60): Uint8Array {
  const f = new Uint8Array(size);
  f[size - 1] = tag;
  return f;
}

function epb(interfaceId: number, t: bigint, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(enhancedPacketSize(data.length, 'in'));
  writeEnhancedPacket(out, 0, interfaceId, T0 + t, data, 0, data.length, data.length, 'in');
  return out;
}

/** An agent's stream: its section, one interface "eth0", a packet at each time. */
function agentStream(times: readonly bigint[], tag: number, size: number): Uint8Array {
  return Buffer.concat([
    encodeBlock(sectionHeaderSize, writeSectionHeader, { userAppl: 'pcap-agent' }),
    encodeBlock(interfaceDescriptionSize, writeInterfaceDescription, {
      linkType: LINKTYPE_ETHERNET,
      snaplen: 262144,
      name: 'eth0',
    }),
    ...times.map((t) => epb(0, t, frame(tag, size))),
  ]);
}

/**
 * The capture: kubectl-pcap's merger for two pods (default/web-0: 3 packets of 60 bytes;
 * shop/cart-7d9f-abcde: 2 of 100), then, in the same section, a plain interface "lo" (interface 2,
 * 1 packet) and the statistics of web-0's interface (4 dropped), as an agent writes them.
 */
function podCapture(): Uint8Array {
  const chunks: Uint8Array[] = [];
  // The wall clock at T0: only the packets' order releases them, never their age.
  const merger = new PcapngMerger((b) => void chunks.push(b), { userAppl: 'kubectl-pcap' }, { nowNs: () => T0 });
  const web = merger.addSource({ namespace: 'default', pod: 'web-0' });
  const cart = merger.addSource({ namespace: 'shop', pod: 'cart-7d9f-abcde' });
  merger.push(web, agentStream([10n, 30n, 50n], 1, 60));
  merger.push(cart, agentStream([20n, 40n], 2, 100));
  merger.end(web);
  merger.end(cart);
  chunks.push(
    encodeBlock(interfaceDescriptionSize, writeInterfaceDescription, {
      linkType: LINKTYPE_ETHERNET,
      snaplen: 262144,
      name: 'lo',
    }),
    epb(2, 60n, frame(3)),
    encodeBlock(interfaceStatisticsSize, writeInterfaceStatistics, {
      interfaceId: 0,
      timestampNs: T0 + 70n,
      ifDrop: 4,
    }),
  );
  return Buffer.concat(chunks);
}

const { view: filteredView } = useFilterWorker('k8s-pod');

async function* inPieces(bytes: Uint8Array, size = 50): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

/** The capture read as the editor reads a file, with a view filtered by the real worker. */
async function opened(): Promise<{ store: PacketStore; view: PacketView }> {
  const store = new PacketStore({ maxPackets: 1e6, maxBytes: 1e9, whenFull: 'stop' });
  await readCaptureInto(store, inPieces(podCapture()));
  const view = filteredView(store);
  return { store, view };
}

/** The numbers of the packets a display filter keeps, once the worker has judged them all. */
async function shown(view: PacketView, filter: string): Promise<number[]> {
  view.setFilter(filter);
  return [...(await view.shownNumbers())];
}

describe('a capture of two pods and a plain interface', () => {
  test('the merger names each pod interface so that it maps back to its pod', async () => {
    const { store } = await opened();
    assert.deepEqual(
      store.interfaces.map((i) => [i.name, i.pod]),
      [
        ['default/web-0:eth0', { namespace: 'default', pod: 'web-0', iface: 'eth0' }],
        ['shop/cart-7d9f-abcde:eth0', { namespace: 'shop', pod: 'cart-7d9f-abcde', iface: 'eth0' }],
        ['lo', undefined],
      ],
    );
  });

  test('k8s.pod and k8s.namespace select the packets of their pods; presence only for pods', async () => {
    const { store, view } = await opened();
    // Time order: web-0 (1), cart (2), web-0 (3), cart (4), web-0 (5), then lo (6).
    assert.equal(store.held, 6);
    const cases: [string, number[]][] = [
      ['k8s.pod == "web-0"', [1, 3, 5]],
      ['k8s.pod == "cart-7d9f-abcde"', [2, 4]],
      ['k8s.namespace == "default"', [1, 3, 5]],
      ['k8s.namespace == "shop"', [2, 4]],
      ['k8s.pod contains "web"', [1, 3, 5]],
      ['k8s.pod contains "-"', [1, 2, 3, 4, 5]],
      ['k8s.pod matches "^cart-[0-9a-f]+-"', [2, 4]],
      ['k8s.namespace in {"shop" "other"}', [2, 4]],
      ['k8s.pod', [1, 2, 3, 4, 5]],
      ['k8s.namespace', [1, 2, 3, 4, 5]],
      ['!k8s.pod', [6]],
      ['k8s.pod != "web-0"', [2, 4]], // a packet without a pod has no value to differ
      ['k8s.pod == "web-0" or frame.len == 60 and !k8s.pod', [1, 3, 5, 6]],
      ['k8s.pod == "web"', []],
      ['k8s.namespace == "lo"', []],
    ];
    for (const [filter, numbers] of cases) assert.deepEqual(await shown(view, filter), numbers, filter);
  });

  test('the table gives each packet of a pod its "namespace/pod", and none to the others', async () => {
    const { store, view } = await opened();
    const rows = tableRows(store, view, 0, 100);
    assert.deepEqual(
      rows.map((r) => [r.number, r.pod]),
      [
        [1, 'default/web-0'],
        [2, 'shop/cart-7d9f-abcde'],
        [3, 'default/web-0'],
        [4, 'shop/cart-7d9f-abcde'],
        [5, 'default/web-0'],
        [6, undefined],
      ],
    );
    assert.equal(Object.hasOwn(rows[5]!, 'pod'), false);
  });

  test('counters per pod: packets and bytes, and drops where the capture says them', async () => {
    const { store } = await opened();
    assert.deepEqual(store.podCounters(), [
      { pod: 'default/web-0', packets: 3, bytes: 180, drops: 4 },
      { pod: 'shop/cart-7d9f-abcde', packets: 2, bytes: 200 },
    ]);
  });

  test('a capture without pods has no pod counters (the panel then shows no Pod column)', () => {
    const store = new PacketStore({ maxPackets: 10, maxBytes: 1e6, whenFull: 'drop-oldest' });
    store.addInterface({ name: 'eth0', linkType: LINKTYPE_ETHERNET, snaplen: 262144 });
    store.addInterface({ name: '<b>ns</b>/x:eth0', linkType: LINKTYPE_ETHERNET, snaplen: 262144 });
    store.append({ interfaceId: 1, timestampNs: T0, data: frame(1), originalLength: 60 });
    assert.equal(store.podCounters(), undefined);
  });
});
