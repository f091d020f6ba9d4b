// npm test's closing line and skip list, read from the TAP that a real node:test run writes.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { closingLine, summarizeTap } from '../../scripts/test-summary.js';

const scratch = mkdtempSync(path.join(tmpdir(), 'test-summary-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

// Without NODE_TEST_CONTEXT, which this runner sets: a child that sees it reports to its parent
// in the runner's own binary protocol instead of TAP.
const { NODE_TEST_CONTEXT: _, ...ownEnv } = process.env;
let files = 0;

/** Runs `source` as a node:test file and returns the TAP it reports. */
function tapOf(source: string): string {
  const file = path.join(scratch, `t${files++}.mjs`);
  writeFileSync(file, source);
  return spawnSync(process.execPath, ['--test', '--test-reporter=tap', file], { encoding: 'utf8', env: ownEnv }).stdout;
}

const SAMPLE = `
import { test, describe } from 'node:test';
test('passes', () => {});
test('fails', () => { throw new Error('no'); });
test('skipped # with a hash', { skip: 'tshark is not installed' }, () => {});
describe('suite', () => {
  test('nested pass', () => {});
  test('nested skip', { skip: 'not on this machine kind: no arm64 kernel' }, () => {});
});
`;

test('counts passes, failures and skips with their reasons, nested ones too', () => {
  const summary = summarizeTap(tapOf(SAMPLE));
  assert.equal(summary.failed, 1);
  assert.deepEqual(summary.skipped, [
    { name: 'skipped # with a hash', reason: 'tshark is not installed' },
    { name: 'nested skip', reason: 'not on this machine kind: no arm64 kernel' },
  ]);
  assert.equal(closingLine(summary, 0), `${summary.passed} passed, 1 failed, 2 skipped`);
});

test('the closing line has no skipped part when nothing skipped', () => {
  const summary = summarizeTap(tapOf(`import { test } from 'node:test'; test('a', () => {}); test('b', () => {});`));
  assert.equal(closingLine(summary, 0), '2 passed, 0 failed');
});

test('a skip that fails on CI moves from skipped to failed', () => {
  const summary = summarizeTap(tapOf(SAMPLE));
  assert.equal(closingLine(summary, 1), `${summary.passed} passed, 2 failed, 1 skipped`);
});

test('a run that did not finish is an error, not zero tests', () => {
  assert.throws(() => summarizeTap('TAP version 13\nok 1 - a\n'), /did not finish/);
});

test('the CLI fails a CI run on a skip that setup could cure, and names it', () => {
  const tapFile = path.join(scratch, 'ci.tap');
  writeFileSync(tapFile, tapOf(SAMPLE.replace("throw new Error('no');", '')));
  const script = path.join(__dirname, '../../scripts/test-summary.ts');
  const run = (ci: string) =>
    spawnSync(process.execPath, ['--import', 'tsx', script, tapFile], {
      encoding: 'utf8',
      env: { ...ownEnv, CI: ci },
    });
  const onCi = run('true');
  assert.equal(onCi.status, 1);
  assert.match(onCi.stdout, /FAILED \(skipped on CI\): skipped # with a hash: tshark is not installed/);
  assert.match(onCi.stdout, /^skipped: nested skip: not on this machine kind: no arm64 kernel$/m);
  assert.match(onCi.stdout, /^\d+ passed, 1 failed, 1 skipped$/m);
  const local = run('');
  assert.equal(local.status, 0);
  assert.match(local.stdout, /^\d+ passed, 0 failed, 2 skipped$/m);
});
