import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { encodePackets, fileHeader, writeCaptureFile } from '../../extension/capture/capture-writer.js';
import { MarkerTimeline, markerComments } from '../../extension/debug/markers.js';
import { decryptionSecretsBlock } from '../../extension/debug/tls-keys.js';
import { PacketStore } from '../../extension/store/packet-store.js';
import { StoreIngest } from '../../extension/store/store-ingest.js';
import { CaptureFileReader } from '../../packet/capture-file.js';
import { loopbackUdpFrame } from './fixtures/packets.js';

const scratch = fs.mkdtempSync(path.join(tmpdir(), 'debug-pcapng-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

const T0 = 1_800_000_000_000_000_000n;
const MS = 1_000_000n;
const KEY = `CLIENT_RANDOM ${'b2'.repeat(32)} ${'c3'.repeat(48)}`;

const udp = loopbackUdpFrame;

test('a saved pcapng carries the secrets before the first packet and the markers as comments; tshark agrees', () => {
  const store = new PacketStore({ maxPackets: 1e6, maxBytes: 1e9, whenFull: 'drop-oldest' });
  store.addInterface({ name: 'lo', linkType: 1, snaplen: 65535 });
  for (let i = 0; i < 6; i++)
    store.append({ interfaceId: 0, timestampNs: T0 + BigInt(i) * MS, data: udp(i), originalLength: 60 });
  const timeline = new MarkerTimeline();
  timeline.add({
    timestampNs: T0 + 2n * MS,
    kind: 'paused',
    reason: 'breakpoint',
    source: { path: '/a/b.ts', line: 7 },
  });
  timeline.add({ timestampNs: T0 + 4n * MS + 100n, kind: 'continued' });
  const comments = markerComments(timeline, {
    firstNumber: store.firstNumber,
    lastNumber: store.lastNumber,
    timeOf: (n) => store.packet(n)?.timestampNs,
  });
  const file = path.join(scratch, 'marked.pcapng');
  return writeCaptureFile(store, file, 'pcapng', {
    extras: { leadingBlocks: () => [decryptionSecretsBlock([KEY])], commentFor: (p) => comments.get(p.number) },
  }).then((count) => {
    assert.equal(count, 6);
    const out = execFileSync(
      'tshark',
      ['-r', file, '-T', 'fields', '-E', 'separator=|', '-e', 'frame.number', '-e', 'frame.comment'],
      {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    );
    const rows = out
      .trim()
      .split('\n')
      .map((l) => l.split('|'));
    // Six frames, numbered as the capture's packets: the markers took no number.
    assert.deepEqual(
      rows.map((r) => r[0]),
      ['1', '2', '3', '4', '5', '6'],
    );
    assert.match(rows[2]![1]!, /^Debugger: ⏸ paused at b\.ts:7 \(breakpoint\) at /);
    assert.match(rows[4]![1]!, /^Debugger: ▶ continued at /);
    assert.deepEqual(
      rows.filter((r) => r[1]).map((r) => r[0]),
      ['3', '5'],
    );
    // The DSB comes before the first packet: editcap counts what it discards.
    const bytes = fs.readFileSync(file);
    const dsbAt = bytes.indexOf(Buffer.from(decryptionSecretsBlock([KEY])));
    const firstEpb = bytes.indexOf(Buffer.from([6, 0, 0, 0]), dsbAt);
    assert.ok(dsbAt > 0 && dsbAt < firstEpb, 'the DSB precedes the first packet');
    const stripped = path.join(scratch, 'stripped.pcapng');
    execFileSync('editcap', ['--discard-all-secrets', file, stripped], { stdio: 'pipe' });
    assert.equal(fs.statSync(file).size - fs.statSync(stripped).size, decryptionSecretsBlock([KEY]).length);
  });
});

test("a file's decryption secrets are read with its packets and written again before them", async () => {
  const store = new PacketStore({ maxPackets: 1e6, maxBytes: 1e9, whenFull: 'drop-oldest' });
  store.addInterface({ name: 'lo', linkType: 1, snaplen: 65535 });
  for (let i = 0; i < 3; i++)
    store.append({ interfaceId: 0, timestampNs: T0 + BigInt(i) * MS, data: udp(i), originalLength: 60 });
  const first = path.join(scratch, 'keys-first.pcapng');
  await writeCaptureFile(store, first, 'pcapng', { extras: { leadingBlocks: () => [decryptionSecretsBlock([KEY])] } });

  // Read as a file is opened (in chunks), then saved with nothing else to add.
  const reread = new PacketStore({ maxPackets: 1e6, maxBytes: 1e9, whenFull: 'drop-oldest' });
  const ingest = new StoreIngest(reread);
  const bytes = fs.readFileSync(first);
  for (let at = 0; at < bytes.length; at += 7) ingest.push(bytes.subarray(at, at + 7));
  ingest.end();
  assert.equal(reread.held, 3);
  assert.deepEqual(
    reread.secrets.map((s) => Buffer.from(s.data).toString('latin1')),
    [`${KEY}\n`],
  );
  const second = path.join(scratch, 'keys-second.pcapng');
  await writeCaptureFile(reread, second, 'pcapng');
  const again = fs.readFileSync(second);
  const dsbAt = again.indexOf(Buffer.from(decryptionSecretsBlock([KEY])));
  assert.ok(dsbAt > 0 && dsbAt < again.indexOf(Buffer.from([6, 0, 0, 0]), dsbAt), 'the DSB precedes the first packet');
  const stripped = path.join(scratch, 'keys-stripped.pcapng');
  execFileSync('editcap', ['--discard-all-secrets', second, stripped], { stdio: 'pipe' });
  assert.equal(again.length - fs.statSync(stripped).size, decryptionSecretsBlock([KEY]).length, 'editcap finds it');
});

test('a Decryption Secrets Block that claims more than it holds is reported and skipped; the packets stay', () => {
  const store = new PacketStore({ maxPackets: 1e6, maxBytes: 1e9, whenFull: 'drop-oldest' });
  store.addInterface({ name: 'lo', linkType: 1, snaplen: 65535 });
  store.append({ interfaceId: 0, timestampNs: T0, data: udp(0), originalLength: 60 });
  const header = Buffer.from(fileHeader(store, 'pcapng'));
  const lying = Buffer.from(decryptionSecretsBlock([KEY]));
  lying.writeUInt32LE(lying.length, 12); // secrets length: the whole block, more than is inside it
  const packet = Buffer.concat([...encodePackets(store, 'pcapng', 1, 1)]);
  const reader = new CaptureFileReader();
  const packets = reader.push(Buffer.concat([header, lying, packet]));
  reader.end();
  assert.equal(packets.length, 1);
  assert.deepEqual(reader.secrets, []);
  assert.match(
    reader.errors.join('\n'),
    /Decryption Secrets Block says \d+ bytes of secrets in a \d+-byte block; skipped/,
  );
});
