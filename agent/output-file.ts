// The capture file of `-w FILE`. The agent runs as root, usually through sudo, in directories users
// can write to: it must not follow a link planted there, must not replace a file by surprise, and
// must leave a file that only the user who ran sudo can read.
import * as fs from 'node:fs';
import { AgentError } from './errors.js';

export interface Owner {
  uid: number;
  gid: number;
}

const CAPTURE_FILE_MODE = 0o600;

/** The user who ran sudo (SUDO_UID/SUDO_GID), when we run as root on their behalf. */
export function sudoOwner(env: NodeJS.ProcessEnv, uid = process.getuid?.()): Owner | undefined {
  if (uid !== 0) return undefined;
  const ids = [env.SUDO_UID, env.SUDO_GID];
  if (!ids.every((id) => id !== undefined && /^\d+$/.test(id))) return undefined;
  return { uid: Number(env.SUDO_UID), gid: Number(env.SUDO_GID) };
}

function outputError(path: string, why: string): AgentError {
  return new AgentError('E_OUTPUT', `cannot write ${path}: ${why}`);
}

function reason(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (err.code === 'ELOOP') return 'it is a symbolic link; name the file itself';
  return err.message.replace(/^[A-Z]+: /, '').replace(/, open '.*'$/, '');
}

/**
 * Opens the capture file. A new file is created 0600 (O_EXCL: never through a link, never racing
 * another creator) and given to `owner`. An existing regular file is replaced only when
 * `overwrite` says so, never through a link (O_NOFOLLOW), and is made 0600 too. A device or a
 * FIFO (/dev/null, a named pipe) is written as it is.
 */
export function openCaptureFile(path: string, options: { overwrite: boolean; owner?: Owner }): number {
  const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = fs.constants;
  try {
    const fd = fs.openSync(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, CAPTURE_FILE_MODE);
    if (options.owner) fs.fchownSync(fd, options.owner.uid, options.owner.gid);
    return fd;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw outputError(path, reason(e));
  }
  const existing = fs.lstatSync(path);
  if (existing.isSymbolicLink()) throw outputError(path, 'it is a symbolic link; name the file itself');
  if (existing.isDirectory()) throw outputError(path, 'it is a directory');
  if (existing.isFile() && !options.overwrite) {
    throw outputError(path, 'the file exists; add --overwrite to replace it');
  }
  let fd: number;
  try {
    fd = fs.openSync(path, O_WRONLY | O_NOFOLLOW);
  } catch (e) {
    throw outputError(path, reason(e));
  }
  // What was opened decides (the path may have changed since lstat).
  if (fs.fstatSync(fd).isFile()) {
    if (!options.overwrite) {
      fs.closeSync(fd);
      throw outputError(path, 'the file exists; add --overwrite to replace it');
    }
    fs.ftruncateSync(fd, 0);
    fs.fchmodSync(fd, CAPTURE_FILE_MODE);
  }
  return fd;
}
