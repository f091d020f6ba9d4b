// pcap-summary -Y: the rows a display filter matches, numbered as in the file, the same frames as
// `tshark -r FILE -Y FILTER` gives. Filters our decoders can evaluate run in our engine; filters
// naming a protocol they do not know (RESP, QUIC, MQTT…) go to tshark, for a file and for standard
// input. Wireshark's own message for a filter it refuses; a missing tshark said plainly; tshark's
// output checked (a stand-in printing garbage, only in this test, is refused).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { TsharkMatches } from '../../packet/tshark-filter.js';
import { tsharkFrames } from './fixtures/tshark.js';
import { rowNumbers, summary } from './helpers/pcap-summary-run.js';

const CORPUS = join(process.cwd(), 'test/fixtures/tcpdump-tests');
const RESP = join(CORPUS, 'resp_1_benchmark.pcap');
const QUIC = join(CORPUS, 'quic_handshake.pcap');
const BUNDLE = join(process.cwd(), 'dist/tools/pcap-summary.js');

describe('pcap-summary -Y', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'pcap-summary-filter-'));
  after(() => rmSync(scratch, { recursive: true, force: true }));

  // Fields our engine knows, fields only Wireshark knows, and the two mixed.
  const cases: [string, string][] = [
    [RESP, 'tcp.len > 100'],
    [RESP, 'tcp.dstport == 6379 && tcp.flags.push == 1'],
    [RESP, 'resp'],
    [RESP, 'resp && tcp.len > 100'],
    [RESP, 'resp.array.length >= 100 || tcp.flags.fin == 1'],
    [QUIC, 'udp'],
    [QUIC, 'quic'],
    [QUIC, 'quic.long.packet_type == 0'],
  ];
  for (const [file, filter] of cases) {
    it(`${filter} on ${file.split('/').pop()}: the frames tshark -Y matches`, async () => {
      const theirs = tsharkFrames(file, filter);
      assert.ok(theirs.length > 0, 'a case that matches something');
      const { code, stdout, stderr } = await summary([file, '-Y', filter]);
      assert.equal(code, 0, stderr);
      assert.deepEqual(rowNumbers(stdout), theirs);
    });
  }

  it("the rows are the ones without -Y, the file's numbering and times kept; JSON too", async () => {
    const all = (await summary([RESP])).stdout.split('\n');
    const resp = (await summary([RESP, '-Y', 'resp'])).stdout.trimEnd().split('\n');
    assert.deepEqual(
      resp,
      tsharkFrames(RESP, 'resp').map((n) => all[n - 1]),
    );
    const json = (await summary([RESP, '-Y', 'resp', '--json'])).stdout
      .trimEnd()
      .split('\n')
      .map((l) => (JSON.parse(l) as { number: number }).number);
    assert.deepEqual(json, tsharkFrames(RESP, 'resp'));
  });

  it('standard input: the rows tshark matches as the stream is read, nothing left behind', () => {
    const before = spawnSync('sh', ['-c', 'ls -d /tmp/pcap-summary-* 2>/dev/null | wc -l'], { encoding: 'utf8' });
    for (const filter of ['resp', 'tcp.len > 100']) {
      const r = spawnSync(process.execPath, [BUNDLE, '-', '-Y', filter], {
        input: readFileSync(RESP),
        encoding: 'utf8',
        maxBuffer: 64 << 20,
      });
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(rowNumbers(r.stdout), tsharkFrames(RESP, filter), filter);
    }
    const after = spawnSync('sh', ['-c', 'ls -d /tmp/pcap-summary-* 2>/dev/null | wc -l'], { encoding: 'utf8' });
    assert.equal(after.stdout, before.stdout, 'the spool folder is removed');
  });

  it("a filter Wireshark refuses: Wireshark's message, with our hint for a capture filter; exit 2", async () => {
    const unknown = await summary([RESP, '-Y', 'resp.nosuchfield == 1']);
    assert.equal(unknown.code, 2);
    assert.equal(unknown.stdout, '');
    // tshark's own first "tshark:" line, word for word.
    const own = spawnSync('tshark', ['-n', '-r', RESP, '-Y', 'resp.nosuchfield == 1'], { encoding: 'utf8' });
    const message = own.stderr.split('\n').find((l) => l.startsWith('tshark: '));
    assert.ok(message, own.stderr);
    assert.equal(unknown.stderr, `pcap-summary: -Y: ${message}\n`);
    const capture = await summary([RESP, '-Y', 'port 6379']);
    assert.equal(capture.code, 2);
    assert.match(
      capture.stderr,
      /This is a capture filter; as a display filter: tcp\.port == 6379 \|\| udp\.port == 6379/,
    );
    // A filter our engine finds malformed never reaches tshark: our message.
    const malformed = await summary([RESP, '-Y', 'tcp.port ==']);
    assert.equal(malformed.code, 2);
    assert.match(malformed.stderr, /^pcap-summary: -Y: unexpected end of filter/);
  });

  it('-Y and --tshark need a value', async () => {
    for (const option of ['-Y', '--tshark']) {
      const r = await summary([RESP, option]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, new RegExp(`^pcap-summary: ${option} needs a value\\nusage: `));
    }
  });

  it('no tshark: the filter needing it says so, with how to fix it; our filters still run', async () => {
    const missing = join(scratch, 'no-such-tshark');
    const r = await summary([RESP, '-Y', 'resp', '--tshark', missing]);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.match(
      r.stderr,
      /resp names a field or protocol this tool does not decode, and Wireshark's tshark was not found/,
    );
    const ours = await summary([RESP, '-Y', 'tcp.len > 100', '--tshark', missing]);
    assert.equal(ours.code, 0, ours.stderr);
    assert.deepEqual(rowNumbers(ours.stdout), tsharkFrames(RESP, 'tcp.len > 100'));
  });

  it("tshark's output is checked: anything but increasing frame numbers ends the reading with an error", async () => {
    const standIns: [string, string][] = [
      ['garbage', 'printf "1\\n<b>x</b>\\n"'],
      ['decreasing', 'printf "5\\n3\\n"'],
      ['endless line', 'head -c 100000 /dev/zero | tr "\\\\0" 7'],
    ];
    for (const [name, printed] of standIns) {
      const standIn = join(scratch, `tshark-${name.replace(' ', '-')}`);
      writeFileSync(standIn, `#!/bin/sh\n${printed}\n`);
      chmodSync(standIn, 0o700);
      const matches = new TsharkMatches(standIn, { file: RESP }, 'resp');
      const seen: number[] = [];
      await assert.rejects(
        (async () => {
          for (let n = await matches.next(); n !== undefined; n = await matches.next()) seen.push(n);
        })(),
        /tshark printed .* where a frame number greater than \d+ belongs/,
        name,
      );
      assert.ok(seen.length <= 1, `${name}: ${seen.join(',')}`);
    }
  });
});
