// What packet/capture-abi.ts shares with bpf/capture.h, against the C compiler's reading of the
// header: the snaplen ceiling the agent's parser (agent/options.ts) and the C side both enforce.
// The record and map layouts are C on both sides now (bpf/ and native/core compile the same
// header), so only this constant crosses into TypeScript. No root needed: only `cc`.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { CAP_MAX_SNAPLEN } from '../../packet/capture-abi.js';

const HEADER = path.resolve(__dirname, '../../bpf/capture.h');

/** A constant of capture.h as the C compiler computes it. */
function cConstant(name: string): number {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'capture-abi-'));
  try {
    const exe = path.join(dir, 'abi');
    fs.writeFileSync(
      path.join(dir, 'abi.c'),
      `#include <stdio.h>\n#include "${HEADER}"\nint main(void) { printf("%llu", (unsigned long long)(${name})); return 0; }\n`,
    );
    execFileSync('cc', ['-std=c11', '-Wall', '-Werror', '-o', exe, path.join(dir, 'abi.c')], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    return Number(execFileSync(exe, { encoding: 'utf8' }));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test("CAP_MAX_SNAPLEN is bpf/capture.h's", () => {
  assert.equal(cConstant('CAP_MAX_SNAPLEN'), CAP_MAX_SNAPLEN);
});
