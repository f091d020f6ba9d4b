#!/usr/bin/env bash
# One build: the BPF object (clang; build-agent.sh embeds it in the agent), the filter-validation
# addon (node-gyp, libpcap static), the static pcap-agent for x64 and arm64 (scripts/build-agent.sh),
# and the extension, webview and tools (esbuild).
# Output in dist/.
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

mkdir -p dist/agent
# One build at a time: node-gyp rebuilds native/build/ in place.
exec 9>dist/.build.lock
flock 9
arch=$(uname -m)
case "$arch" in x86_64) target_arch=x86 ;; aarch64) target_arch=arm64 ;; *) target_arch=$arch ;; esac

step "bpf: capture.bpf.o"
clang -O2 -g -Wall -Werror -target bpf -D__TARGET_ARCH_"$target_arch" \
  -I/usr/include/"$(gcc -dumpmachine)" -Ibpf -c bpf/capture.bpf.c -o dist/agent/capture.bpf.o

step "native: static libpcap, libbpf, libelf, zlib"
bash scripts/build-native-deps.sh

step "native: pcap_capture.node"
(cd native && npx --no-install node-gyp rebuild --nodedir=/usr --silent >/dev/null) \
  || { echo "native addon build failed; rerun: (cd native && npx node-gyp rebuild --nodedir=/usr)" >&2; exit 1; }
# Replace, never overwrite in place: a running agent has the old file mapped.
cp native/build/Release/pcap_capture.node dist/agent/.pcap_capture.node.tmp
mv dist/agent/.pcap_capture.node.tmp dist/agent/pcap_capture.node

step "native: static pcap-agent"
bash scripts/build-agent.sh x64
bash scripts/build-agent.sh arm64

# What the Node agent's bundle left in an older checkout's dist/ would otherwise be packaged.
rm -f dist/agent/pcap-agent.js

step "esbuild: extension"
# ssh2 tries optional native speed-ups (cpu-features, sshcrypto.node) and falls back to plain JS.
npx --no-install esbuild extension/extension.ts --bundle --platform=node --target=node18 --format=cjs \
  --external:vscode --external:cpu-features --external:'*.node' --outfile=dist/extension/extension.js --log-level=warning
npx --no-install esbuild extension/store/filter-worker.ts --bundle --platform=node --target=node18 --format=cjs \
  --outfile=dist/extension/filter-worker.js --log-level=warning

step "esbuild: webview"
npx --no-install esbuild webview/main.ts --bundle --platform=browser --target=es2022 --format=esm --outfile=dist/webview/panel.js --log-level=warning
cp webview/page.css webview/panel.css dist/webview/
npx --no-install esbuild webview/follow.ts --bundle --platform=browser --target=es2022 --format=esm --outfile=dist/webview/follow.js --log-level=warning
cp webview/follow.css dist/webview/
npx --no-install esbuild webview/statistics.ts --bundle --platform=browser --target=es2022 --format=esm --outfile=dist/webview/statistics.js --log-level=warning
cp webview/statistics.css dist/webview/statistics.css
npx --no-install esbuild webview/hierarchy.ts --bundle --platform=browser --target=es2022 --format=esm --outfile=dist/webview/hierarchy.js --log-level=warning
cat webview/statistics.css webview/hierarchy.css > dist/webview/hierarchy.css
npx --no-install esbuild webview/io-graph.ts --bundle --platform=browser --target=es2022 --format=esm --outfile=dist/webview/io-graph.js --log-level=warning
# uPlot's own stylesheet (MIT, bundled in the page like its script), then ours over it.
cat node_modules/uplot/dist/uPlot.min.css webview/io-graph.css > dist/webview/io-graph.css
# The dev page (the panel against a scripted fake host, for a plain browser): not shipped.
npx --no-install esbuild webview/dev/dev-main.ts --bundle --platform=browser --target=es2022 --format=esm --outfile=dist/webview-dev/dev.js --log-level=warning
cp webview/page.css webview/panel.css webview/dev/index.html webview/dev/theme.css dist/webview-dev/

step "esbuild: pcap-summary"
npx --no-install esbuild packet/cli/pcap-summary.ts --bundle --platform=node --target=node18 --format=cjs --outfile=dist/tools/pcap-summary.js --log-level=warning


step "esbuild: kubectl-pcap"
npx --no-install esbuild extension/kubernetes/kubectl-pcap.ts --bundle --platform=node --target=node18 --format=cjs --outfile=dist/tools/kubectl-pcap.js --log-level=warning
