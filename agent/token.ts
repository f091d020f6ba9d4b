// The token a TCP client must send before it gets a capture: where the agent reads it from, and
// how a client's line is compared with it.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import { AgentError } from './errors.js';

const MAX_TOKEN_FILE_BYTES = 4096;

function tokenFileError(path: string, why: string): AgentError {
  return new AgentError('E_USAGE', `cannot use token file ${path}: ${why}`);
}

/**
 * The first line of a file only its owner can read. The agent runs as root: a symbolic link could
 * make it read any file, and a file others can read is a token others know, so both are refused.
 */
export function readTokenFile(path: string): string {
  let fd: number;
  try {
    fd = fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ELOOP') throw tokenFileError(path, 'it is a symbolic link; name the file itself');
    throw tokenFileError(path, err.message.replace(/^[A-Z]+: /, ''));
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw tokenFileError(path, 'not a regular file');
    if ((st.mode & 0o077) !== 0) {
      const mode = (st.mode & 0o777).toString(8).padStart(4, '0');
      throw tokenFileError(path, `mode ${mode} lets others read it; chmod 600 ${path}`);
    }
    if (st.size > MAX_TOKEN_FILE_BYTES) throw tokenFileError(path, `larger than ${MAX_TOKEN_FILE_BYTES} bytes`);
    const token = (fs.readFileSync(fd, 'utf8').split('\n')[0] ?? '').replace(/\r$/, '');
    if (token === '') throw tokenFileError(path, 'its first line is empty');
    return token;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Compares a client's line with the token as UTF-8 bytes (what a user types and a client sends),
 * in time that depends on neither content nor lengths: both are hashed to equal-size digests first.
 */
export function tokenMatches(sent: Uint8Array, token: string): boolean {
  const expected = Buffer.from(token, 'utf8');
  const a = crypto.createHash('sha256').update(sent).digest();
  const b = crypto.createHash('sha256').update(expected).digest();
  return crypto.timingSafeEqual(a, b) && sent.length === expected.length;
}
