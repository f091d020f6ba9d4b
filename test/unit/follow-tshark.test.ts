// Follow Stream (packet/decode/follow.ts) judged by tshark: for every TCP and UDP stream of every
// capture of tcpdump's corpus, read as the panel reads a file (into its store), the content in
// both directions equals `tshark -z follow,tcp|udp,raw,N`: the same peers, the same chunks in the
// same order, retransmissions and missing bytes handled alike. Real exchanges with loss are
// compared in test/kernel/tcp-analysis-loss.test.ts.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import type { FollowProtocol } from '../../packet/decode/follow.js';
import { corpusStores } from './fixtures/corpus-stores.js';
import { followArgs, oursAsTshark, parseTsharkFollow } from './fixtures/follow.js';
import { haveTshark, TSHARK_NO_REASSEMBLY } from './fixtures/tshark.js';

/**
 * Packets carrying another packet after their TCP or UDP header (tunnels, OpenFlow's packet-in, LWAPP's 802.11 frames):
 * tshark's follow reads the addresses when the whole packet is dissected, so the inner packet's,
 * and our decoders open few of these carriers.
 */
const CARRIES_A_PACKET = /:(tcp|udp):.*:(eth|wlan|ip|ipv6|arp)(:|$)/;

interface StreamSet {
  /** Each stream's packets, "tcp 3" → frame numbers. */
  packets: Map<string, number[]>;
  /** Streams with a packet that carries another packet. */
  carriers: Set<string>;
}

function add(set: StreamSet, key: string, frame: number, carrier: boolean): void {
  const list = set.packets.get(key) ?? [];
  list.push(frame);
  set.packets.set(key, list);
  if (carrier) set.carriers.add(key);
}

describe('Follow Stream against tshark', { skip: !haveTshark && 'tshark not installed' }, () => {
  it('tcpdump corpus: every TCP and UDP stream numbered alike is followed to the same bytes', () => {
    let compared = 0;
    let withContent = 0;
    const renumbered: string[] = [];
    const mismatches: string[] = [];
    for (const { path, name, store } of corpusStores()) {
      const ours: StreamSet = { packets: new Map(), carriers: new Set() };
      for (let n = store.firstNumber; n <= store.lastNumber; n++) {
        const s = store.streamOf(n);
        if (s) add(ours, `${s.protocol} ${s.stream}`, n, false);
      }
      if (ours.packets.size === 0) continue;
      const keys = [...ours.packets.keys()];
      const r = spawnSync(
        'tshark',
        [
          '-r',
          path,
          '-n',
          ...TSHARK_NO_REASSEMBLY,
          '-T',
          'fields',
          '-e',
          'frame.number',
          '-e',
          'tcp.stream',
          '-e',
          'udp.stream',
          '-e',
          'frame.protocols',
          ...followArgs(keys),
        ],
        { encoding: 'utf8', maxBuffer: 1 << 28 },
      );
      assert.equal(r.status, 0, `${path}: ${r.stderr}`);
      const [fields, follows] = parseTsharkFollow(r.stdout);
      const theirs: StreamSet = { packets: new Map(), carriers: new Set() };
      for (const line of fields) {
        const [frame, tcp, udp, protocols] = line.split('\t');
        const carrier = CARRIES_A_PACKET.test(protocols ?? '');
        // A packet in two streams of one protocol (an ICMP error's quote): counted in the first.
        const first = (list: string | undefined) => list?.split(',')[0];
        for (const [protocol, list] of [
          ['tcp', tcp],
          ['udp', udp],
        ] as const) {
          const stream = first(list);
          if (stream) add(theirs, `${protocol} ${stream}`, Number(frame), carrier);
        }
      }
      for (const key of keys) {
        if (theirs.carriers.has(key)) continue;
        if (JSON.stringify(theirs.packets.get(key)) !== JSON.stringify(ours.packets.get(key))) {
          renumbered.push(`${name} ${key}`);
          continue;
        }
        const [protocol, stream] = key.split(' ') as [FollowProtocol, string];
        const followed = oursAsTshark(store.follow(protocol, Number(stream)));
        const expected = follows.get(key);
        compared++;
        if (followed.chunks.length > 0) withContent++;
        // A stream whose every packet tshark stopped reading before the tap names no peers.
        const same =
          JSON.stringify(expected?.chunks) === JSON.stringify(followed.chunks) &&
          (followed.chunks.length === 0 || JSON.stringify(expected?.nodes) === JSON.stringify(followed.nodes));
        if (!same)
          mismatches.push(
            `${name} ${key}:\n  tshark ${JSON.stringify(expected).slice(0, 300)}\n  ours   ${JSON.stringify(followed).slice(0, 300)}`,
          );
      }
    }
    assert.deepEqual(mismatches, []);
    // Streams numbered differently are those behind links our decoders do not open (PPP's MPLS).
    assert.ok(renumbered.length <= 5, `streams numbered differently from tshark: ${renumbered.join(', ')}`);
    assert.ok(compared >= 230 && withContent >= 200, `compared ${compared} streams, ${withContent} with content`);
  });
});
