// Extension-host test configuration. VS Code itself cannot be downloaded here, so these tests run
// inside code-server's real extension host (see ../shared/recipes/vscode-in-code-server), not
// through @vscode/test-electron; the runner reads this file for what to load.
export default {
  extensionDevelopmentPath: '.',
  files: 'dist/test/exthost/**/*.test.js',
  mocha: { ui: 'tdd', timeout: 30000 },
};
