// Every packet of tcpdump's test corpus (415 real captures, many malformed on purpose) through
// readCaptureFile + decodePacket + summarizePacket: no exception, no internal decoder error, the
// same columns both ways, bounded time per file.
import assert from 'node:assert/strict';
import { basename } from 'node:path';
import { describe, it } from 'node:test';

import { readCaptureFile } from '../../packet/capture-file.js';
import { readCapture, tcpdumpTestCaptures } from '../fixtures/tcpdump-tests.js';
import { decode } from './fixtures/decode-helpers.js';

/** Per file, for all its packets decoded three ways (the largest file takes a few tens of ms). */
const TIME_BOUND_MS = 3000;

describe('decoders on the tcpdump corpus', () => {
  it('every packet of every file decodes without an escaping exception, within the time bound', (t) => {
    const files = tcpdumpTestCaptures();
    let packets = 0;
    let slowest = { file: '', ms: 0 };
    const withProblems = new Set<string>();
    for (const path of files) {
      const f = basename(path);
      const { reader, packets: ps } = readCaptureFile(readCapture(path));
      const t0 = performance.now();
      for (const p of ps) {
        const lt = reader.interfaces[p.interfaceId]?.linkType ?? -1;
        const d = decode(lt, p.data, p.originalLength);
        assert.ok(!d.problems.some((m) => m.startsWith('internal decoder error')), `${f}: ${d.problems.join('; ')}`);
        if (d.problems.length) withProblems.add(f);
        packets++;
      }
      const ms = performance.now() - t0;
      if (ms > slowest.ms) slowest = { file: f, ms };
      assert.ok(ms < TIME_BOUND_MS, `${f}: ${ms.toFixed(0)} ms`);
    }
    t.diagnostic(
      `${files.length} files, ${packets} packets; ${withProblems.size} files have packets with problem notes; slowest: ${slowest.file} ${slowest.ms.toFixed(1)} ms`,
    );
    assert.ok(files.length >= 400 && packets > 2000);
  });
});
