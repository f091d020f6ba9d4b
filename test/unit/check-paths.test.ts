// scripts/check-paths.ts: what counts as reaching outside the repository, and what does not.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';

import { checkRepository, checkText, escapesRoot } from '../../scripts/check-paths.js';

/** The reasons checkText gives for one line in `file`, with a fixed home folder for the test. */
const why = (file: string, line: string, home = '/home/alice') => checkText(file, line, home).map((p) => p.why);
const leadsOutside = (file: string, line: string) =>
  why(file, line).some((w) => /leads outside the repository/.test(w));

describe('check-paths', () => {
  it('flags the folders only the development machine has', () => {
    const offending: [file: string, line: string][] = [
      ['test/unit/corpus.test.ts', "const CORPUS = process.env.PCAP_CORPUS ?? '/work/shared/corpus/tcpdump-tests';"],
      ['test/bench/capture.bench.ts', '// /work/shared/docs/ebpf-notes.md), so every figure is set against a baseline'],
      ['scripts/release.sh', 'git clone . /tmp/fresh/repo'],
      ['README.md', 'the captures in shared/corpus/tcpdump-tests'],
      ['docs/x.md', 'see `shared/recipes/vscode-in-code-server/`'],
      ['scripts/x.sh', 'cp /root/.cache/thing dist/'],
      ['scripts/x.sh', 'cp /home/alice/notes.md docs/'],
    ];
    for (const [file, line] of offending) assert.notDeepEqual(why(file, line), [], `${file}: ${line}`);
  });

  it('flags relative paths that climb past the root, counted from the file', () => {
    const offending: [file: string, line: string][] = [
      ['.vscode-test.mjs', '// see ../shared/recipes/vscode-in-code-server'],
      ['test/README.md', 'registry and Debian have (see `../../corpus/`)'],
      ['test/unit/a.test.ts', "import x from '../../../elsewhere/x.js';"],
      ['scripts/a.sh', 'cd "$(dirname "$0")" && cd ../..'],
      ['README.md', '[notes](../notes.md)'],
      ['Makefile', 'cd ..'],
    ];
    for (const [file, line] of offending) assert.ok(leadsOutside(file, line), `${file}: ${line}`);
  });

  it('lets through paths inside the repository and the system paths the product uses', () => {
    const clean: [file: string, line: string][] = [
      ['test/unit/a.test.ts', "import { readCaptureFile } from '../../packet/capture-file.js';"],
      ['test/unit/fixtures/x.ts', "import { x } from '../../../packet/x.js';"],
      ['scripts/build.sh', 'cd "$(dirname "$0")/.."'],
      ['test/kernel/helpers/agent.ts', "export const REPO = path.resolve(__dirname, '../../..');"],
      // Bundled into dist/test/exthost/, where ../../.. is the root.
      ['test/exthost/index.ts', "const root = path.resolve(__dirname, '../../..');"],
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
    const problems = checkText('docs/a.md', 'fine\nsee /work/shared/docs/x.md\nfine\n[a](../../a.md)\n', '/home/alice');
    assert.deepEqual(
      problems.map((p) => [p.line, p.text]),
      [
        [2, 'see /work/shared/docs/x.md'],
        [2, 'see /work/shared/docs/x.md'],
        [4, '[a](../../a.md)'],
      ],
    );
  });

  it('escapesRoot counts from the folder of the file', () => {
    assert.equal(escapesRoot('a/b/c.ts', '../../x'), false);
    assert.equal(escapesRoot('a/b/c.ts', '../../../x'), true);
    assert.equal(escapesRoot('c.ts', '..'), true);
    assert.equal(escapesRoot('a/c.ts', '../a/../..'), true);
  });

  it('this repository passes', () => {
    assert.deepEqual(checkRepository(path.resolve(__dirname, '../..')), []);
  });
});
