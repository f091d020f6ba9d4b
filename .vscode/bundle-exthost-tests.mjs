// Bundles the extension-host tests for the "Extension Tests" launch configuration (desktop VS
// Code), the way test/vscode/run-exthost.ts bundles them before running them in code-server:
// test/exthost/index.ts and each test/exthost/**/*.test.ts into dist/test/exthost/, with the
// `files` and `mocha` options of .vscode-test.mjs. Run from the repository root.
import { build } from 'esbuild';
import config from '../.vscode-test.mjs';

await build({
  entryPoints: ['test/exthost/index.ts', 'test/exthost/**/*.test.ts'],
  outdir: 'dist/test/exthost',
  outbase: 'test/exthost',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  external: ['vscode', 'mocha'],
  define: { __EXTHOST_FILES__: JSON.stringify(config.files), __MOCHA_OPTIONS__: JSON.stringify(config.mocha) },
  logLevel: 'info',
});
