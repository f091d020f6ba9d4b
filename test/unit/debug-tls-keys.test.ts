import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import {
  decryptionSecretsBlock,
  isKeyLogLine,
  KeyLog,
  MAX_KEY_LOG_LINE,
  takeKeyLogLines,
} from '../../extension/debug/tls-keys.js';

const RANDOM = 'a1'.repeat(32);
const TLS13 = `CLIENT_HANDSHAKE_TRAFFIC_SECRET ${RANDOM} ${'0f'.repeat(32)}`;
const TLS12 = `CLIENT_RANDOM ${'B2'.repeat(32)} ${'c3'.repeat(48)}`;

const scratch = fs.mkdtempSync(path.join(tmpdir(), 'debug-tls-keys-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

test('key log lines: the NSS labels with hex of the right lengths, nothing else', () => {
  for (const good of [
    TLS13,
    TLS12,
    `SERVER_TRAFFIC_SECRET_0 ${RANDOM} ${'ab'.repeat(48)}`, // SHA-384 suite
    `RSA ${'01'.repeat(8)} ${'02'.repeat(48)}`,
  ])
    assert.ok(isKeyLogLine(good), good);
  for (const bad of [
    '',
    '# a comment',
    `CLIENT_RANDOM ${RANDOM}`,
    `CLIENT_RANDOM ${RANDOM} ${'c3'.repeat(48)} extra`,
    `CLIENT_RANDOM  ${RANDOM} ${'c3'.repeat(48)}`,
    `CLIENT_RANDOM ${'a1'.repeat(31)} ${'c3'.repeat(48)}`,
    `CLIENT_RANDOM ${RANDOM} ${'c3'.repeat(47)}`,
    `CLIENT_RANDOM ${RANDOM.replace('a', 'g')} ${'c3'.repeat(48)}`,
    `client_random ${RANDOM} ${'c3'.repeat(48)}`,
    `__proto__ ${RANDOM} ${'c3'.repeat(48)}`,
    `CLIENT_RANDOM ${RANDOM} ${'c3'.repeat(48)}\u0000`,
    `CLIENT_RANDOM ${RANDOM} <script>${'c3'.repeat(44)}</script>`,
    `CLIENT_TRAFFIC_SECRET_0 ${RANDOM} ${'0f'.repeat(100_000)}`,
  ])
    assert.equal(isKeyLogLine(bad), false, bad.slice(0, 80));
});

test('lines are taken as they end; an unended remainder waits, and one longer than any line is dropped', () => {
  let r = takeKeyLogLines('', `${TLS12}\ngarbage\r\n${TLS13.slice(0, 50)}`);
  assert.deepEqual(r.lines, [TLS12]);
  r = takeKeyLogLines(r.rest, `${TLS13.slice(50)}\r\n`);
  assert.deepEqual(r.lines, [TLS13]);
  assert.equal(r.rest, '');
  r = takeKeyLogLines('', 'x'.repeat(MAX_KEY_LOG_LINE + 1));
  assert.equal(r.rest, '');
});

test('a key log: a private folder and file, read as written, removed with everything in it', () => {
  const log = KeyLog.create(scratch);
  after(() => log.remove()); // also when the test fails: its watcher would keep the process alive
  assert.equal(fs.statSync(log.folder).mode & 0o777, 0o700);
  assert.equal(fs.statSync(log.file).mode & 0o777, 0o600);
  fs.appendFileSync(log.file, `${TLS12}\nnot a key\n${TLS13.slice(0, 20)}`);
  log.read();
  assert.deepEqual(log.keys, [TLS12]);
  fs.appendFileSync(log.file, `${TLS13.slice(20)}\n${TLS12}\n`); // the rest of a line; a repeat
  log.read();
  assert.deepEqual(log.keys, [TLS12, TLS13]);
  assert.deepEqual([...log.clientRandoms()].sort(), ['b2'.repeat(32), RANDOM].sort());
  log.remove();
  assert.equal(fs.existsSync(log.folder), false);
  assert.deepEqual(log.keys, [TLS12, TLS13]); // kept for the file saved later
});

test('a symlink put in place of the key log is not followed', () => {
  const log = KeyLog.create(scratch);
  try {
    const secret = path.join(scratch, 'elsewhere.txt');
    fs.writeFileSync(secret, `${TLS12}\n`);
    fs.rmSync(log.file);
    fs.symlinkSync(secret, log.file);
    log.read();
    assert.deepEqual(log.keys, []);
  } finally {
    log.remove(); // its watcher too, also when the test fails
  }
});

test('the Decryption Secrets Block is the one editcap --inject-secrets writes', () => {
  // A pcapng with one packet, given the same secrets by editcap: its DSB is our oracle.
  const plain = path.join(scratch, 'plain.pcapng');
  const keys = path.join(scratch, 'keys.txt');
  const injected = path.join(scratch, 'injected.pcapng');
  execFileSync('bash', [
    '-c',
    `printf '0000 00 00 00 00 00 00 00 00 00 00 00 00 08 00\\n' | text2pcap -q -n - "$1"`,
    '_',
    plain,
  ]);
  fs.writeFileSync(keys, `${TLS12}\n${TLS13}\n`);
  execFileSync('editcap', ['--inject-secrets', `tls,${keys}`, plain, injected], { stdio: 'pipe' });
  const ours = Buffer.from(decryptionSecretsBlock([TLS12, TLS13]));
  const theirs = fs.readFileSync(injected);
  assert.ok(theirs.includes(ours), 'editcap wrote a different DSB');
  assert.equal(ours.readUInt32LE(0), 0x0000000a);
  assert.equal(ours.readUInt32LE(8), 0x544c534b);
});
