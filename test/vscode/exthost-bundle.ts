// The extension-host tests as VS Code loads them: test/exthost/index.ts and each
// test/exthost/**/*.test.ts bundled by esbuild into dist/test/exthost/ (vscode and mocha stay
// external), with the `files` and `mocha` options of .vscode-test.mjs. Used by run-exthost.ts
// (code-server) and, run as a script, by the "Extension Tests" launch configuration (desktop VS
// Code, with source maps): node --import tsx test/vscode/exthost-bundle.ts
import { rmSync } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { ROOT } from './code-server.js';
import { glob } from './glob.js';

export interface ExthostConfig {
  extensionDevelopmentPath: string;
  files: string;
  mocha: Record<string, unknown>;
}

const SOURCES = 'test/exthost/**/*.test.ts';
export const EXTHOST_BUNDLE_DIR = path.join(ROOT, 'dist', 'test', 'exthost');

export async function loadConfig(): Promise<ExthostConfig> {
  const mod = (await import(pathToFileURL(path.join(ROOT, '.vscode-test.mjs')).href)) as { default: ExthostConfig };
  // EXTHOST_FILES (a glob such as dist/test/exthost/panel.test.js) runs some of the files only.
  return { ...mod.default, files: process.env.EXTHOST_FILES || mod.default.files };
}

/** Bundles the entry and every test file into dist/test/exthost/ (cleaned first); returns the test files. */
export async function buildExthostTests(
  config: ExthostConfig,
  options: { sourcemap?: boolean } = {},
): Promise<string[]> {
  const tests = glob(SOURCES, ROOT);
  rmSync(EXTHOST_BUNDLE_DIR, { recursive: true, force: true });
  await build({
    entryPoints: ['test/exthost/index.ts', ...tests].map((f) => path.join(ROOT, f)),
    outdir: EXTHOST_BUNDLE_DIR,
    outbase: path.join(ROOT, 'test', 'exthost'),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: options.sourcemap,
    external: ['vscode', 'mocha'],
    define: { __EXTHOST_FILES__: JSON.stringify(config.files), __MOCHA_OPTIONS__: JSON.stringify(config.mocha) },
    logLevel: 'warning',
  });
  return tests;
}

if (require.main === module) {
  void loadConfig().then(async (config) => {
    const tests = await buildExthostTests(config, { sourcemap: true });
    console.log(`bundled ${tests.length} extension-host test files into ${path.relative(ROOT, EXTHOST_BUNDLE_DIR)}/`);
  });
}
