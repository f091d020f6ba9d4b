// pcap-summary: rows compared with tshark's on the agreement capture, text and JSON layouts,
// exit statuses, streaming across chunks, a reader that goes away. Runs the module with a fake
// argv and streams; also the built bundle (dist/tools/pcap-summary.js) when it exists.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';

import { formatSeconds, run } from '../../packet/cli/pcap-summary.js';
import { encodeFileHeader, recordSize, writeRecord } from '../../packet/pcap.js';
import { mixPackets } from './fixtures/mix.js';
import { concat } from './fixtures/packets.js';
import { agreementCapture, haveTshark, TSHARK_OPTIONS, tsharkRows } from './fixtures/tshark.js';
import { Sink, summary } from './helpers/pcap-summary-run.js';

const BUNDLE = join(process.cwd(), 'dist/tools/pcap-summary.js');

describe('pcap-summary', () => {
  let dir: string;
  let file: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'pcap-summary-'));
    file = join(dir, 'agreement.pcapng');
    writeFileSync(file, agreementCapture());
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('rows agree with tshark -r -T fields (number, time, Source, Destination, Protocol, Length)', {
    skip: !haveTshark && 'no tshark',
  }, async () => {
    const { code, stdout, stderr } = await summary([file, '--json']);
    assert.equal(code, 0, stderr);
    assert.equal(stderr, '');
    const ours = stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const theirs = tsharkRows(file);
    assert.equal(ours.length, theirs.length);
    const times = spawnSync('tshark', ['-r', file, ...TSHARK_OPTIONS, '-T', 'fields', '-e', 'frame.time_relative'], {
      encoding: 'utf8',
    })
      .stdout.trim()
      .split('\n');
    ours.forEach((row, i) => {
      const t = theirs[i]!;
      assert.deepEqual(
        [row.number, row.source, row.destination, row.protocol, row.length],
        [t.number, t.source, t.destination, t.protocol, t.length],
        `row ${i + 1}`,
      );
      // tshark prints ns; we print µs (truncated).
      assert.equal(
        (row.time as number).toFixed(6),
        times[i]!.slice(0, times[i]!.indexOf('.') + 7),
        `row ${i + 1} time`,
      );
    });
  });

  it('text rows are laid out as tshark -r lays them out', async () => {
    const { code, stdout } = await summary([file]);
    assert.equal(code, 0);
    const lines = stdout.split('\n');
    assert.equal(
      lines[0],
      '    1 0.000000     10.1.0.1 → 10.1.0.2     TCP 74 40000 → 80 [SYN] Seq=7919 Win=64240 Len=0 MSS=1460 SACK_PERM TSval=1001 TSecr=0 WS=128',
    );
    assert.equal(
      lines[1],
      '    2 0.001000     10.1.0.2 → 10.1.0.1     TCP 74 80 → 40000 [SYN, ACK] Seq=104729 Ack=7920 Win=65160 Len=0 MSS=1460 SACK_PERM TSval=1001 TSecr=0 WS=128',
    );
    assert.ok(
      lines.some((l) =>
        /^ {3}\d\d 0\.\d{6} 02:00:00:00:00:01 → Broadcast {4}ARP 42 Who has 10\.1\.0\.2\? Tell 10\.1\.0\.1$/.test(l),
      ),
    );
    assert.ok(lines.some((l) => / 2001:db8::1 → 2001:db8::2 {2}ICMPv6 /.test(l)));
    assert.equal(lines.at(-1), '', 'ends with a newline');
  });

  it('formats the time as seconds with 6 decimals, truncated', () => {
    assert.deepEqual(
      [formatSeconds(0), formatSeconds(1_999), formatSeconds(1_234_567_890), formatSeconds(-5_000)],
      ['0.000000', '0.000001', '1.234567', '-0.000005'],
    );
  });

  it('JSON rows escape what packets carry', async () => {
    const { stdout } = await summary([file, '--json']);
    for (const l of stdout.trimEnd().split('\n')) JSON.parse(l);
    assert.ok(stdout.includes('"info":"Standard query 0x0000 PTR _http._tcp.local, \\"QM\\" question"'));
  });

  it('classic pcap, read in chunks (a 5 MB file streams through a 4 MiB buffer)', async () => {
    const frames = mixPackets(3)
      .filter((p) => (p.iface ?? 0) === 0)
      .map((p) => p.data);
    const records: Uint8Array[] = [encodeFileHeader({ snaplen: 65535, linkType: 1, nanosecond: false })];
    let n = 0;
    for (let size = 0; size < 5_000_000; n++) {
      const d = frames[n % frames.length]!;
      const r = new Uint8Array(recordSize(d.length));
      writeRecord(r, 0, 1_700_000_000_000_000_000n + BigInt(n) * 1_000_000n, d, 0, d.length, d.length, false);
      records.push(r);
      size += r.length;
    }
    const pcap = join(dir, 'big.pcap');
    writeFileSync(pcap, concat(...records));
    const { code, stdout, stderr } = await summary([pcap]);
    assert.equal(code, 0, stderr);
    const lines = stdout.trimEnd().split('\n');
    assert.equal(lines.length, n);
    assert.match(lines.at(-1)!, new RegExp(`^ *${n} ${((n - 1) / 1000).toFixed(6)} `));
  });

  it('exit statuses: 1 for a file that is not a capture, or missing; 2 for usage', async () => {
    const text = join(dir, 'notes.txt');
    writeFileSync(text, 'hello, this is not a capture\n');
    const bad = await summary([text]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /not a pcap or pcapng/);
    assert.equal(bad.stdout, '');
    const empty = join(dir, 'empty');
    writeFileSync(empty, '');
    assert.equal((await summary([empty])).code, 1);
    const missing = await summary([join(dir, 'nope.pcap')]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no such file/);
    assert.equal((await summary([])).code, 2);
    assert.equal((await summary(['--bogus', file])).code, 2);
    assert.equal((await summary([file, file])).code, 2);
    const help = await summary(['--help']);
    assert.deepEqual(
      [help.code, help.stdout],
      [0, 'usage: pcap-summary FILE|- [-Y FILTER] [-d RULE…] [--json] [--tshark PATH]\n'],
    );
  });

  it('a damaged file: the rows it has, notes on stderr, exit 0', async () => {
    const whole = agreementCapture();
    const cut = join(dir, 'cut.pcapng');
    writeFileSync(cut, whole.subarray(0, whole.length - 30));
    const { code, stdout, stderr } = await summary([cut]);
    assert.equal(code, 0);
    assert.ok(stdout.split('\n').length > 200);
    assert.match(stderr, /pcap-summary: .*cut\.pcapng: offset \d+: stream ends inside a pcapng block/);
  });

  it('a reader that goes away ends the run quietly', async () => {
    let written = 0;
    const closing = new Writable({
      write(_chunk, _enc, cb) {
        written++;
        cb(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
      },
    });
    closing.on('error', () => {});
    const big = join(dir, 'many.pcapng');
    writeFileSync(big, concat(...Array.from({ length: 50 }, () => agreementCapture())));
    const code = await run([big], { stdout: closing, stderr: new Sink() });
    assert.equal(code, 0);
    assert.ok(written >= 1);
  });

  it('the built bundle prints the same as the module', {
    skip: !existsSync(BUNDLE) && 'not built (npm run build)',
  }, async () => {
    const r = spawnSync(process.execPath, [BUNDLE, file], { encoding: 'utf8', maxBuffer: 64 << 20 });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, (await summary([file])).stdout);
    const bad = spawnSync(process.execPath, [BUNDLE, __filename], { encoding: 'utf8' });
    assert.equal(bad.status, 1);
    const usage = spawnSync(process.execPath, [BUNDLE], { encoding: 'utf8' });
    assert.equal(usage.status, 2);
    const head = spawnSync('sh', ['-c', `"${process.execPath}" "${BUNDLE}" "${file}" | head -1`], { encoding: 'utf8' });
    assert.equal(head.stderr, '', 'no EPIPE noise when the reader stops early');
  });
});
