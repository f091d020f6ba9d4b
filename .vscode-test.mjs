// Extension-host test configuration. VS Code itself cannot be downloaded here, so these tests run
// inside code-server's real extension host (see test/README.md, "VS Code, here"), not through
// @vscode/test-electron. test/vscode/run-exthost.ts reads this file: it bundles each
// test/exthost/**/*.test.ts to dist/test/exthost/ and opens the workbench with this
// extensionDevelopmentPath; test/exthost/index.ts runs the `files` with these `mocha` options.
export default {
  extensionDevelopmentPath: '.',
  files: 'dist/test/exthost/**/*.test.js',
  mocha: { ui: 'tdd', timeout: 30000 },
};
