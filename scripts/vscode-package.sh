#!/usr/bin/env bash
# Packages the built extension (run scripts/build.sh first) into dist/ebpf-packet-capture.vsix and
# prints that path on stdout. What goes in is decided by .vscodeignore, an allow-list (`**` out, then
# `!dist/extension/**`, `!bin/**`, … back in).
#
# vsce walks every file under the folder it packages and matches each against every pattern, which
# takes ~20 s here (.cache/vscode alone holds 12k files). So the paths named by .vscodeignore's `!`
# lines are hard-linked (or copied) into a staging folder, with package.json and .vscodeignore, and
# vsce packages that: ~2 s. .vscodeignore stays the one list to edit.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=$PWD/dist/ebpf-packet-capture.vsix
# The local target runs the static agent of this machine's architecture (extension/targets/local.ts).
case $(uname -m) in aarch64 | arm64) agent_arch=arm64 ;; *) agent_arch=x64 ;; esac
[ -f dist/extension/extension.js ] && [ -f dist/agent/pcap_capture.node ] && [ -x "dist/agent/linux-$agent_arch/pcap-agent" ] \
  || { echo "vscode-package: build first (bash scripts/build.sh)" >&2; exit 1; }

stage=$(mktemp -d)
log=$(mktemp)
trap 'rm -rf "$stage" "$log"' EXIT
cp package.json .vscodeignore "$stage/"
# `!dist/extension/**` -> dist/extension; `!README.md` -> README.md; globs in the middle are not used.
sed -n 's#^!\(.*\)$#\1#p' .vscodeignore | sed 's#/\*\*$##' | while IFS= read -r p; do
  [ -e "$p" ] || continue
  mkdir -p "$stage/$(dirname "$p")"
  cp -al "$p" "$stage/$p" 2>/dev/null || cp -a "$p" "$stage/$p"
done

# --no-dependencies: the bundles are self-contained (esbuild), node_modules stays out.
# --allow-missing-repository / --skip-license: no repository URL or LICENSE file yet; vsce would
# otherwise stop and ask (and, with no terminal, fail). --no-rewrite-relative-links: without a
# repository URL vsce refuses README links to repo files (test/README.md) instead of leaving them.
if ! (cd "$stage" && "$root/node_modules/.bin/vsce" package --no-dependencies --allow-missing-repository \
      --skip-license --no-rewrite-relative-links --out "$out" </dev/null >"$log" 2>&1); then
  cat "$log" >&2
  echo "vscode-package: vsce failed" >&2
  exit 1
fi
grep -i 'warn' "$log" >&2 || true
echo "dist/ebpf-packet-capture.vsix"
