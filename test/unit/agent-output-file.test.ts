// `-w FILE` as root: never through a symbolic link, never over an existing file unless told, mode
// 0600, owned by the user who ran sudo. Real files in a scratch directory (chown needs root).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { AgentError } from '../../agent/errors.js';
import { openCaptureFile, sudoOwner } from '../../agent/output-file.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-output-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const isRoot = process.getuid?.() === 0;

function write(file: string, options: Parameters<typeof openCaptureFile>[1], text = 'capture'): void {
  const fd = openCaptureFile(file, options);
  fs.writeSync(fd, text);
  fs.closeSync(fd);
}

function refuses(fn: () => unknown, says: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof AgentError && e.code === 'E_OUTPUT' && says.test(e.message));
}

test('a new file is 0600 whatever the umask, and owned by SUDO_UID:SUDO_GID', {
  skip: !isRoot && 'needs root (chown)',
}, () => {
  const file = path.join(dir, 'new.pcapng');
  const previous = process.umask(0o022);
  try {
    write(file, { overwrite: false, owner: sudoOwner({ SUDO_UID: '65534', SUDO_GID: '65533' }) });
  } finally {
    process.umask(previous);
  }
  const st = fs.statSync(file);
  assert.equal(st.mode & 0o777, 0o600);
  assert.deepEqual([st.uid, st.gid], [65534, 65533]);
});

test('sudoOwner: only when running as root, and only numeric ids', () => {
  assert.deepEqual(sudoOwner({ SUDO_UID: '1000', SUDO_GID: '1000' }, 0), { uid: 1000, gid: 1000 });
  assert.equal(sudoOwner({ SUDO_UID: '1000', SUDO_GID: '1000' }, 1000), undefined);
  assert.equal(sudoOwner({}, 0), undefined);
  assert.equal(sudoOwner({ SUDO_UID: '1000' }, 0), undefined);
  assert.equal(sudoOwner({ SUDO_UID: 'x', SUDO_GID: '1' }, 0), undefined);
});

test('a symbolic link is never followed, dangling or not, even with --overwrite', () => {
  const target = path.join(dir, 'victim');
  fs.writeFileSync(target, 'precious');
  const link = path.join(dir, 'link.pcapng');
  fs.symlinkSync(target, link);
  const dangling = path.join(dir, 'dangling.pcapng');
  fs.symlinkSync(path.join(dir, 'would-be-created'), dangling);
  for (const overwrite of [false, true]) {
    refuses(() => write(link, { overwrite }), /cannot write .*link\.pcapng: it is a symbolic link/);
    refuses(() => write(dangling, { overwrite }), /it is a symbolic link/);
  }
  assert.equal(fs.readFileSync(target, 'utf8'), 'precious');
  assert.ok(!fs.existsSync(path.join(dir, 'would-be-created')));
});

test('an existing file is replaced only with --overwrite, and is then 0600', () => {
  const file = path.join(dir, 'old.pcapng');
  fs.writeFileSync(file, 'an older capture, longer than the new one');
  fs.chmodSync(file, 0o644);
  refuses(() => write(file, { overwrite: false }), /the file exists; add --overwrite to replace it/);
  assert.equal(fs.readFileSync(file, 'utf8'), 'an older capture, longer than the new one');
  write(file, { overwrite: true }, 'new');
  assert.equal(fs.readFileSync(file, 'utf8'), 'new');
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
});

test('devices are written as they are; directories and missing folders are clear errors', () => {
  write('/dev/null', { overwrite: false });
  assert.equal(fs.statSync('/dev/null').mode & 0o777, 0o666, '/dev/null keeps its mode');
  refuses(() => write(dir, { overwrite: false }), /it is a directory/);
  refuses(() => write(path.join(dir, 'nope', 'x.pcapng'), { overwrite: false }), /no such file or directory$/);
});
