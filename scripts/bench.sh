#!/usr/bin/env bash
# Runs test/bench/$1.bench.ts as the extension runs its code: bundled by esbuild, as scripts/build.sh
# bundles the extension (a file-by-file transpile, as tsx runs tests, takes about twice as long on
# the decoders' hot paths). Packages stay in node_modules; the bundle goes to dist/bench.
set -euo pipefail
cd "$(dirname "$0")/.."
name=$1
npx --no-install esbuild "test/bench/$name.bench.ts" test/bench/store-memory.ts --bundle --platform=node \
  --target=node18 --format=cjs --packages=external --outdir=dist/bench --log-level=warning
exec node "dist/bench/$name.bench.js"
