// The extensionTestsPath entry: VS Code's extension host loads dist/test/exthost/index.js (bundled
// from this file by test/vscode/run-exthost.ts) and awaits run(). It runs every file that matches
// `files` in .vscode-test.mjs (dist/test/exthost/**/*.test.js, one bundle per
// test/exthost/**/*.test.ts) with mocha and the `mocha` options there, and writes each result to
// test-results/exthost-results.json for the runner. mocha itself is not bundled: the test files and
// this entry share node_modules/mocha, so `import { suite, test } from 'mocha'` works in test files.
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';
import { glob } from '../vscode/glob.js';

declare const __EXTHOST_FILES__: string;
declare const __MOCHA_OPTIONS__: Mocha.MochaOptions;

export interface ExthostResult {
  title: string;
  state: 'passed' | 'failed' | 'pending';
  durationMs?: number;
  error?: string;
  stack?: string;
}

export function run(): Promise<void> {
  const root = path.resolve(__dirname, '../../..'); // dist/test/exthost -> the repo
  const files = glob(__EXTHOST_FILES__, root);
  const mocha = new Mocha({ color: false, reporter: 'spec', ...__MOCHA_OPTIONS__ });
  for (const f of files) mocha.addFile(path.join(root, f));
  const resultsFile = path.join(root, 'test-results', 'exthost-results.json');
  const results: ExthostResult[] = [];
  const save = (extra: object = {}) => {
    mkdirSync(path.dirname(resultsFile), { recursive: true });
    writeFileSync(resultsFile, JSON.stringify({ files, results, ...extra }, null, 2));
  };
  return new Promise((resolve, reject) => {
    try {
      const runner = mocha.run((failures) => {
        save({ failures });
        if (failures) reject(new Error(`${failures} extension-host test(s) failed`));
        else if (files.length === 0) reject(new Error(`no test files match ${__EXTHOST_FILES__}`));
        else resolve();
      });
      runner.on('pass', (t) => results.push({ title: t.fullTitle(), state: 'passed', durationMs: t.duration }));
      runner.on('pending', (t) => results.push({ title: t.fullTitle(), state: 'pending' }));
      runner.on('fail', (t, err: Error) =>
        results.push({ title: t.fullTitle(), state: 'failed', error: String(err?.message ?? err), stack: err?.stack }),
      );
    } catch (e) {
      save({ loadError: String((e as Error).stack ?? e) });
      reject(e as Error);
    }
  });
}
