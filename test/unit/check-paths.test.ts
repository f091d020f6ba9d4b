// scripts/check-paths.ts: what counts as reaching outside the repository, and what does not.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';

import { checkRepository, checkText, escapesRoot } from '../../scripts/check-paths.js';

/** The reasons checkText gives for one line in `file`, with a fixed home folder for the test. */
const why = (file: string, line: string, home = '/home/alice') => checkText(file, line, home).map((p) => p.why);
const leadsOutside = (file: string, line: string) =>
  why(file, line).some((w) => /leads outside the repository/.test(w));

// The texts that must be flagged are assembled here, so that this file does not itself name a
// folder outside the repository (the repository's own check reads it too).
const joined = (...names: string[]) => names.join('/');
/** `..` n times, as a path: climbs n folders. */
const up = (n: number) => joined(...Array<string>(n).fill('..'));
const WORK_SHARED = joined('', 'work', 'shared');

describe('check-paths', () => {
  it('flags the folders only the development machine has', () => {
    const offending: [file: string, line: string][] = [
      ['test/unit/corpus.test.ts', `const CORPUS = process.env.PCAP_CORPUS ?? '${WORK_SHARED}/corpus/tcpdump-tests';`],
      [
        'test/bench/capture.bench.ts',
        `// ${WORK_SHARED}/docs/ebpf-notes.md), so every figure is set against a baseline`,
      ],
      ['scripts/release.sh', `git clone . ${joined('', 'tmp', 'fresh', 'repo')}`],
      ['README.md', `the captures in ${joined('shared', 'corpus', 'tcpdump-tests')}`],
      ['docs/x.md', `see \`${joined('shared', 'recipes', 'vscode-in-code-server')}/\``],
      ['scripts/x.sh', `cp ${joined('', 'root', '.cache', 'thing')} dist/`],
      ['scripts/x.sh', 'cp /home/alice/notes.md docs/'],
    ];
    for (const [file, line] of offending) assert.notDeepEqual(why(file, line), [], `${file}: ${line}`);
  });

  it('flags relative paths that climb past the root, counted from the file', () => {
    const offending: [file: string, line: string][] = [
      ['.vscode-test.mjs', `// see ${up(1)}/elsewhere/recipes/vscode-in-code-server`],
      ['test/README.md', `registry and Debian have (see \`${up(2)}/corpus/\`)`],
      ['test/unit/a.test.ts', `import x from '${up(3)}/elsewhere/x.js';`],
      ['scripts/a.sh', `cd "$(dirname "$0")" && cd ${up(2)}`],
      ['README.md', `[notes](${up(1)}/notes.md)`],
      ['Makefile', `cd ${up(1)}`],
    ];
    for (const [file, line] of offending) assert.ok(leadsOutside(file, line), `${file}: ${line}`);
  });

  it('lets through paths inside the repository and the system paths the product uses', () => {
    const clean: [file: string, line: string][] = [
      ['test/unit/a.test.ts', "import { readCaptureFile } from '../../packet/capture-file.js';"],
      ['test/unit/fixtures/x.ts', `import { x } from '${up(3)}/packet/x.js';`],
      ['scripts/build.sh', 'cd "$(dirname "$0")/.."'],
      ['test/kernel/helpers/agent.ts', `export const REPO = path.resolve(__dirname, '${up(3)}');`],
      // Bundled into dist/test/exthost/, where three folders up is the root.
      ['test/exthost/index.ts', `const root = path.resolve(__dirname, '${up(3)}');`],
      ['extension/ssh/agent-deploy.ts', '// under ~/.cache/ebpf-packet-capture/agent-VERSION'],
      ['agent/options.ts', "const NETNS = '/run/netns/'; // or /proc/PID/ns/net, /sys/class/net"],
      ['webview/a.ts', 'const all = [...rows, ...more]; for (let i = 0; i < 10; i++) x..y;'],
      ['README.md', 'and so on… (see test/README.md)'],
      ['test/unit/ssh-remote.test.ts', "'home=/home/dev',"],
      ['docs/architecture.md', 'a shared/ folder of the webview, packet/shared/ types'],
    ];
    for (const [file, line] of clean) assert.deepEqual(why(file, line), [], `${file}: ${line}`);
  });

  it('reads each occurrence with its line number', () => {
    const problems = checkText(
      'docs/a.md',
      `fine\nsee ${WORK_SHARED}/docs/x.md\nfine\n[a](${up(2)}/a.md)\n`,
      '/home/alice',
    );
    assert.deepEqual(
      problems.map((p) => [p.line, p.text]),
      [
        [2, `see ${WORK_SHARED}/docs/x.md`],
        [2, `see ${WORK_SHARED}/docs/x.md`],
        [4, `[a](${up(2)}/a.md)`],
      ],
    );
  });

  it('escapesRoot counts from the folder of the file', () => {
    assert.equal(escapesRoot('a/b/c.ts', `${up(2)}/x`), false);
    assert.equal(escapesRoot('a/b/c.ts', `${up(3)}/x`), true);
    assert.equal(escapesRoot('c.ts', up(1)), true);
    assert.equal(escapesRoot('a/c.ts', joined('..', 'a', up(2))), true);
  });

  it('this repository passes', () => {
    assert.deepEqual(checkRepository(path.resolve(__dirname, '../..')), []);
  });
});
