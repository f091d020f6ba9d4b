// Capture files the extension writes hold the packets' secrets: "Save Capture As…" files and the
// files handed to Wireshark are readable by their owner only, and the Wireshark hand-off files live
// in a private folder, are created exclusively (a planted symlink is never followed) and are removed.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { writeCaptureFile } from '../../extension/capture/capture-writer.js';
import { TempCaptures } from '../../extension/capture/temp-captures.js';
import { PacketStore } from '../../extension/store/packet-store.js';

const scratch = fs.mkdtempSync(join(tmpdir(), 'ext-capture-files-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

/** A store holding `n` small Ethernet frames. */
function storeWith(n: number): PacketStore {
  const store = new PacketStore({ maxPackets: 1e6, maxBytes: 1e9, whenFull: 'drop-oldest' });
  store.addInterface({ name: 'eth0', linkType: 1, snaplen: 262144 });
  for (let i = 0; i < n; i++)
    store.append({
      interfaceId: 0,
      timestampNs: BigInt(i) * 1000n,
      data: new Uint8Array(60).fill(i),
      originalLength: 60,
    });
  return store;
}

const mode = (p: string) => fs.statSync(p).mode & 0o777;
const tsharkCount = (file: string) =>
  execFileSync('tshark', ['-r', file, '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8' }).trim().split('\n')
    .length;

test('a saved capture is 0600, also when it overwrites an existing 0644 file', async () => {
  const fresh = join(scratch, 'fresh.pcapng');
  assert.equal(await writeCaptureFile(storeWith(3), fresh, 'pcapng'), 3);
  assert.equal(mode(fresh), 0o600);
  assert.equal(tsharkCount(fresh), 3);

  const existing = join(scratch, 'existing.pcap');
  fs.writeFileSync(existing, 'old', { mode: 0o644 });
  fs.chmodSync(existing, 0o644);
  await writeCaptureFile(storeWith(2), existing, 'pcap');
  assert.equal(mode(existing), 0o600);
  assert.equal(tsharkCount(existing), 2);
});

test('an exclusive write refuses an existing name and never follows a symlink', async () => {
  const target = join(scratch, 'victim.txt');
  fs.writeFileSync(target, 'untouched');
  const link = join(scratch, 'planted.pcapng');
  fs.symlinkSync(target, link);
  await assert.rejects(writeCaptureFile(storeWith(1), link, 'pcapng', { exclusive: true }), /cannot write .*EEXIST/);
  assert.equal(fs.readFileSync(target, 'utf8'), 'untouched');
});

test('Wireshark hand-off files: a private 0700 folder, 0600 files, removed with their capture and on dispose', async () => {
  const temp = new TempCaptures(scratch);
  const panelA = {};
  const panelB = {};
  const a1 = await temp.write(panelA, storeWith(4));
  const a2 = await temp.write(panelA, storeWith(1));
  const b1 = await temp.write(panelB, storeWith(2));
  const folder = dirname(a1);
  assert.notEqual(folder, scratch, 'never straight into the shared temp folder');
  assert.equal(dirname(b1), folder);
  assert.equal(mode(folder), 0o700);
  for (const f of [a1, a2, b1]) assert.equal(mode(f), 0o600);
  assert.notEqual(a1, a2);
  assert.equal(tsharkCount(a1), 4);

  temp.release(panelA);
  assert.equal(fs.existsSync(a1), false);
  assert.equal(fs.existsSync(a2), false);
  assert.equal(fs.existsSync(b1), true, "another capture's file stays while that capture is open");

  temp.dispose();
  assert.equal(fs.existsSync(folder), false);
});
