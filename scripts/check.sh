#!/usr/bin/env bash
# Fast checks before any test layer: types, lint and format (TypeScript, JSON, CSS by Biome; C by
# clang-format), and that the repository stands on its own. Seconds, not minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x node_modules/.bin/tsc ] || npm ci --no-audit --no-fund --loglevel=error

echo "==> types (tsc)" >&2
node_modules/.bin/tsc --noEmit -p .
echo "==> lint and format (biome)" >&2
node_modules/.bin/biome check --error-on-warnings .
echo "==> C format (clang-format)" >&2
bash scripts/clang-format.sh
echo "==> third-party notices" >&2
# They quote the copyright files of the Debian packages the addon links statically.
bash scripts/apt-install.sh libpcap-dev libbpf-dev libelf-dev zlib1g-dev
node --import tsx scripts/third-party-notices.ts --check
echo "==> the repository stands on its own (paths)" >&2
node --import tsx scripts/check-paths.ts
