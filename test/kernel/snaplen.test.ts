// Snap length and original length: -s cuts what is stored, never what is reported as the length on
// the wire; GSO super-packets (TCP on veth and on loopback, larger than the MTU) keep their true
// length, and tshark reads them cleanly.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type CaptureRun, captureMany, scratchDir } from './helpers/agent.js';
import { capinfos, fields, tsharkComplaints } from './helpers/judge.js';
import { createVethPair, type VethPair } from './helpers/netns.js';
import { tcpExchange, udpEcho } from './helpers/traffic.js';

const TCP_BYTES = 300_000;

describe('snap length and original length', () => {
  let pair: VethPair;
  let runs: Map<string, CaptureRun>;

  before(async () => {
    pair = await createVethPair({ tag: 'snap' });
    const { a, b } = pair;
    const onA = ['--netns', a.ns.name, '-i', a.dev, '-B', '4096'];
    runs = await captureMany(
      [
        { name: 'pcapng', args: [...onA, '-f', 'udp', '-s', '100'] },
        { name: 'pcap', args: [...onA, '-f', 'udp', '-s', '100', '--format', 'pcap'] },
        { name: 'gso-veth', args: [...onA, '-f', 'tcp', '-s', '200'] },
        { name: 'gso-lo', args: ['--netns', a.ns.name, '-i', 'lo', '-B', '4096', '-f', 'tcp', '-s', '200'] },
      ],
      async () => {
        await udpEcho(a.ns, b.ns, b.ip4, 7000, 3, 1000);
        await udpEcho(a.ns, b.ns, b.ip6, 7000, 2, 1000);
        await tcpExchange(a.ns, b.ns, b.ip4, 8000, TCP_BYTES, 1000);
        await tcpExchange(a.ns, a.ns, '127.0.0.1', 8001, TCP_BYTES, 1000);
      },
      scratchDir('snap'),
    );
  });

  after(() => pair?.destroy());

  for (const format of ['pcapng', 'pcap']) {
    test(`-s 100, ${format}: cap_len 100, frame.len the true length`, () => {
      const f = runs.get(format)!.file;
      assert.deepEqual(tsharkComplaints(f), []);
      const rows = fields(f, ['frame.cap_len', 'frame.len', 'ip.version', 'ipv6.version']);
      assert.deepEqual(
        rows.map(([cap, len]) => [cap, len]),
        [...Array(6).fill(['100', String(14 + 20 + 8 + 1000)]), ...Array(4).fill(['100', String(14 + 40 + 8 + 1000)])],
      );
      if (format === 'pcapng') assert.equal(capinfos(f).interfaces[0]!['Capture length'], '100');
    });
  }

  for (const [name, where] of [
    ['gso-veth', 'veth'],
    ['gso-lo', 'loopback'],
  ] as const) {
    test(`GSO on ${where}: super-packets keep their true length, tshark reads them cleanly`, () => {
      const f = runs.get(name)!.file;
      assert.deepEqual(tsharkComplaints(f), []);
      const rows = fields(f, ['frame.cap_len', 'frame.len', 'ip.len', 'tcp.len', 'tcp.dstport']).map((r) =>
        r.map(Number),
      );
      assert.ok(rows.length > 0);
      for (const [cap, len, ipLen] of rows) {
        assert.equal(len, 14 + ipLen!, 'frame.len is the Ethernet header plus the IP total length');
        assert.equal(cap, Math.min(200, len!));
      }
      const mtu = where === 'veth' ? 1500 : 65536;
      if (where === 'veth')
        assert.ok(
          rows.some(([, len]) => len! > 14 + mtu),
          'some packets are GSO super-packets larger than the MTU',
        );
      // The client's data, by sequence number (a loaded machine may retransmit a segment).
      const port = where === 'veth' ? 8000 : 8001;
      const data = fields(f, ['tcp.seq', 'tcp.len'], `tcp.dstport == ${port} && tcp.len > 0`).map((r) => r.map(Number));
      assert.equal(
        Math.max(...data.map(([seq, len]) => seq! + len!)) - 1,
        TCP_BYTES,
        'the client data reaches exactly the bytes sent',
      );
      assert.ok(data.reduce((n, [, len]) => n + len!, 0) >= TCP_BYTES);
    });
  }
});
