#!/usr/bin/env bash
# npm start: sets up and builds everything, packages the extension, and serves real VS Code
# (code-server) with it installed on http://127.0.0.1:${PORT:-8080}/, a workspace folder open
# (.cache/workspace/, whose README.md says what to try). Foreground: Ctrl-C stops it all.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/vscode-setup.sh
bash scripts/vscode-package.sh >/dev/null
exec node --import tsx scripts/start-vscode.ts
