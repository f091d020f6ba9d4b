// Extension-host tests: runs test/exthost/**/*.test.ts (mocha, `tdd` UI) inside code-server's real
// extension host, with the real `vscode` API, against the extension in this repo.
//
// How: (1) esbuild bundles test/exthost/index.ts and every test/exthost/**/*.test.ts, one bundle
// each, into dist/test/exthost/ (vscode and mocha stay external); (2) code-server starts with
// `--vscode-option enable-smoke-test-driver`; (3) chromium opens the workbench with a `payload`
// naming extensionDevelopmentPath (the repo root: package.json's main is dist/extension/extension.js)
// and extensionTestsPath (dist/test/exthost/index.js); (4) VS Code runs the tests and calls
// window.codeAutomationExit(code), which this runner exposes with Playwright; (5) each mocha result
// (test-results/exthost-results.json) becomes a node:test subtest here, so the layer counts in the
// same `node --test` summary as the others. What to load and the mocha options: .vscode-test.mjs.
//
// A new test is a new file test/exthost/<name>.test.ts; nothing else to edit.
// Run alone: node --import tsx --test test/vscode/run-exthost.ts   (after npm run build and
// bash scripts/vscode-setup.sh). The extension host's console (mocha's spec report, console.log in
// tests) is printed line by line; the whole workbench log is in test-results/exthost-workbench.log
// (VERBOSE=1 prints all of it).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import * as util from 'node:util';
import type { ExthostResult } from '../exthost/index.js';
import { ROOT, remoteUri, startCodeServer } from './code-server.js';
import { buildExthostTests, EXTHOST_BUNDLE_DIR, loadConfig } from './exthost-bundle.js';
import { launchBrowser } from './workbench.js';

const RESULTS = path.join(ROOT, 'test-results', 'exthost-results.json');
/** Everything the workbench logged (the extension host's console included), kept after each run. */
const WORKBENCH_LOG = path.join(ROOT, 'test-results', 'exthost-workbench.log');
/** Workbench messages that are expected here (no internet, no GitHub sign-in) and only add noise. */
const NOISE =
  /ENOTFOUND|authentication provider|^(Resolv|Creating a socket|Updating additional builtin|Creation of workbench contribution|Canceled)|^\s*$/;

interface ExthostRun {
  code: number | 'timeout';
  results: ExthostResult[];
  loadError?: string;
  seconds: number;
}

async function runExthostTests({
  timeoutMs = +(process.env.EXTHOST_TIMEOUT_MS ?? 300_000),
  log = (s: string): void => {
    process.stderr.write(`${s}\n`);
  },
} = {}): Promise<ExthostRun> {
  const t0 = Date.now();
  const config = await loadConfig();
  const devPath = path.resolve(ROOT, config.extensionDevelopmentPath);
  const main = path.join(devPath, 'dist', 'extension', 'extension.js');
  if (!existsSync(main)) throw new Error(`${main} missing: run npm run build`);
  await buildExthostTests(config);
  rmSync(RESULTS, { force: true });
  mkdirSync(path.dirname(RESULTS), { recursive: true });

  const workbenchLog: string[] = [];
  const folder = mkdtempSync(path.join(tmpdir(), 'pcap-exthost-workspace-'));
  const server = await startCodeServer({ smokeTestDriver: true });
  let code: number | 'timeout' = 'timeout';
  try {
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      let exit!: (c: number) => void;
      const exited = new Promise<number>((resolve) => {
        exit = resolve;
      });
      await page.exposeFunction('codeAutomationLog', (_type: string, args: unknown[]) => {
        const text = util.format(...args);
        workbenchLog.push(`[${((Date.now() - t0) / 1000).toFixed(1)}s] ${text}`);
        const first = text.split('\n')[0] ?? '';
        if (process.env.VERBOSE) log(`[exthost] ${text}`);
        else if (!/^\[/.test(first) && !NOISE.test(first)) log(`[exthost] ${first}`); // drops "[Component] …"
      });
      await page.exposeFunction('codeAutomationExit', (c: number) => exit(c));
      const payload: [string, string][] = [
        ['extensionDevelopmentPath', remoteUri(devPath)],
        ['extensionTestsPath', remoteUri(path.join(EXTHOST_BUNDLE_DIR, 'index.js'))],
      ];
      await page.goto(server.workbenchUrl(folder, payload));
      let timer: NodeJS.Timeout | undefined;
      code = await Promise.race([
        exited,
        new Promise<'timeout'>((r) => {
          timer = setTimeout(() => r('timeout'), timeoutMs);
        }),
      ]);
      clearTimeout(timer);
    } finally {
      await browser.close();
    }
  } finally {
    await server.stop();
    rmSync(folder, { recursive: true, force: true });
    writeFileSync(WORKBENCH_LOG, `${workbenchLog.join('\n')}\n`);
  }
  const saved = existsSync(RESULTS)
    ? (JSON.parse(readFileSync(RESULTS, 'utf8')) as { results: ExthostResult[]; loadError?: string })
    : { results: [] };
  return { code, results: saved.results, loadError: saved.loadError, seconds: (Date.now() - t0) / 1000 };
}

test('extension host (code-server): test/exthost/**/*.test.ts', { timeout: 600_000 }, async (t) => {
  const run = await runExthostTests({ log: (s) => t.diagnostic(s) });
  t.diagnostic(`codeAutomationExit(${run.code}) after ${run.seconds.toFixed(1)} s`);
  for (const r of run.results) {
    await t.test(r.title, { skip: r.state === 'pending' }, () => {
      if (r.state === 'failed') {
        const e = new Error(r.error);
        e.stack = r.stack ?? r.error;
        throw e;
      }
    });
  }
  if (run.loadError) throw new Error(`extension-host tests did not load:\n${run.loadError}`);
  if (run.code !== 0 && !run.results.some((r) => r.state === 'failed')) {
    throw new Error(
      run.code === 'timeout'
        ? 'extension-host tests timed out (EXTHOST_TIMEOUT_MS)'
        : `extension host exited with ${run.code}`,
    );
  }
  if (run.results.length === 0) throw new Error('no extension-host test ran');
});
