// The decoders judged by tshark: a generated pcapng of varied packets (every link type and
// protocol in scope, plus malformed and truncated ones) is read by tshark and by
// readCaptureFile + summarizePacket; Source, Destination, Protocol and Length must be equal on
// every row, and Info too once the differences listed in NORMALIZE are taken out.
//
// tshark runs one pass, per packet, as our decoders do: its options are in fixtures/tshark.ts.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { readCaptureFile } from '../../packet/capture-file.js';
import { summarizePacket } from '../../packet/decode/index.js';
import { arp, ETH, eth, pcapngFile } from './fixtures/packets.js';
import { agreementCapture, haveTshark, NORMALIZE, tsharkRows } from './fixtures/tshark.js';

describe('agreement with tshark', { skip: !haveTshark && 'tshark not installed' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'decode-tshark-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('Source, Destination, Protocol, Length and Info on every row', (t) => {
    const bytes = agreementCapture();
    const file = join(dir, 'agreement.pcapng');
    writeFileSync(file, bytes);
    const theirs = tsharkRows(file);
    const { reader, packets } = readCaptureFile(bytes);
    assert.deepEqual(reader.errors, []);
    assert.equal(theirs.length, packets.length);
    const columnDiffs: string[] = [];
    const infoDiffs: string[] = [];
    const used = new Map<string, number>();
    packets.forEach((p, i) => {
      const s = summarizePacket(reader.interfaces[p.interfaceId]!.linkType, p.data, p.originalLength);
      const ts = theirs[i]!;
      const mine = { source: s.source, destination: s.destination, protocol: s.protocol, length: p.originalLength };
      const want = {
        source: ts.source,
        destination: ts.destination,
        protocol: ts.protocol,
        length: ts.length,
      };
      if (JSON.stringify(mine) !== JSON.stringify(want))
        columnDiffs.push(`#${i + 1}: tshark ${JSON.stringify(want)} ours ${JSON.stringify(mine)}`);
      let a = ts.info;
      let b = s.info;
      for (const n of NORMALIZE) {
        const a2 = n.tshark(a, ts.protocol);
        const b2 = n.ours(b, s.protocol);
        if ((a2 !== a || b2 !== b) && ts.info !== s.info) used.set(n.name, (used.get(n.name) ?? 0) + 1);
        a = a2;
        b = b2;
      }
      if (a !== b)
        infoDiffs.push(`#${i + 1} ${ts.protocol}: tshark ${JSON.stringify(ts.info)} ours ${JSON.stringify(s.info)}`);
    });
    t.diagnostic(
      `${packets.length} rows; rows whose Info needed a normalization: ${[...used].map(([k, v]) => `${k} ×${v}`).join(', ') || 'none'}`,
    );
    assert.deepEqual(columnDiffs, [], 'Source/Destination/Protocol/Length');
    assert.deepEqual(infoDiffs, [], 'Info');
  });
});

describe('well-known link-layer addresses, named as tshark names them', {
  skip: !haveTshark && 'tshark not installed',
}, () => {
  const dir = mkdtempSync(join(tmpdir(), 'decode-tshark-names-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('Source and Destination of frames without a network layer', () => {
    // Unicast sources are locally administered (02:…): no vendor name, which we do not show.
    const destinations = [
      'ff:ff:ff:ff:ff:ff', // ARP requests
      '01:80:c2:00:00:0e', // LLDP
      '01:80:c2:00:00:03', // LLDP to the nearest non-TPMR bridge, EAPOL
      '01:80:c2:00:00:00', // STP
      '01:80:c2:00:00:02', // LACP
      '01:80:c2:00:00:4f',
      '01:80:c2:00:00:31',
      '01:00:0c:cc:cc:cc', // CDP
      '01:00:0c:cc:cc:cd', // PVST+
      '01:00:0c:00:00:12',
      '01:00:5e:00:00:fb',
      '01:00:5e:7f:12:34',
      '01:00:5e:80:00:01',
      '33:33:00:00:00:00',
      '33:33:00:00:00:01',
      '33:33:ff:00:00:02',
      '33:33:00:01:00:02',
      'ff:ff:ff:ff:ff:fe',
      '02:00:00:00:00:02',
    ];
    const frames = destinations.map((dst, i) => ({
      data:
        i === 0
          ? eth(
              { src: '02:00:00:00:00:01', dst, type: ETH.arp },
              arp({ op: 1, sha: '02:00:00:00:00:01', spa: '10.0.0.1', tha: '00:00:00:00:00:00', tpa: '10.0.0.2' }),
            )
          : eth({ src: '02:00:00:00:00:01', dst, type: 0x1234 }, new Uint8Array(46)),
    }));
    // The same addresses as sources too: Wireshark names a column whatever side it is on.
    frames.push(
      ...destinations.map((src) => ({
        data: eth({ src, dst: '02:00:00:00:00:01', type: 0x1234 }, new Uint8Array(46)),
      })),
    );
    const bytes = pcapngFile([1], frames);
    const file = join(dir, 'names.pcapng');
    writeFileSync(file, bytes);
    const r = spawnSync(
      'tshark',
      ['-r', file, '-N', 'm', '-T', 'fields', '-e', '_ws.col.Source', '-e', '_ws.col.Destination'],
      {
        encoding: 'utf8',
      },
    );
    assert.equal(r.status, 0, r.stderr);
    const theirs = r.stdout.trimEnd().split('\n');
    const { packets } = readCaptureFile(bytes);
    const ours = packets.map((p) => {
      const s = summarizePacket(1, p.data, p.originalLength);
      return `${s.source}\t${s.destination}`;
    });
    assert.deepEqual(ours, theirs);
    assert.equal(ours[0], '02:00:00:00:00:01\tBroadcast');
  });
});
