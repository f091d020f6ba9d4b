// The decoders judged by tshark: a generated pcapng of varied packets (every link type and
// protocol in scope, plus malformed and truncated ones) is read by tshark and by
// readCaptureFile + summarizePacket; Source, Destination, Protocol and Length must be equal on
// every row, and Info too once the differences listed in NORMALIZE are taken out.
//
// tshark runs one pass, per packet, as our decoders do: its options are in fixtures/tshark.ts.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { readCaptureFile } from '../../packet/capture-file.js';
import { summarizePacket } from '../../packet/decode/index.js';
import { NORMALIZE, agreementCapture, haveTshark, tsharkRows } from './fixtures/tshark.js';

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
      const want = { source: ts.source, destination: ts.destination, protocol: ts.protocol, length: ts.length };
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
