#!/usr/bin/env bash
# Sets up, then runs every test: unit tests, and (as root) kernel tests against the real kernel,
# judged by tshark and capinfos. `npm test -- unit` or `-- kernel` runs one layer.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

layers=("${@:-unit kernel}")
read -r -a layers <<<"${layers[*]}"
files=()
for layer in "${layers[@]}"; do
  if [ "$layer" = kernel ] && [ "$(id -u)" -ne 0 ]; then
    echo "kernel tests need root (eBPF, network namespaces): run as root, e.g. sudo npm test" >&2
    exit 1
  fi
  while IFS= read -r f; do files+=("$f"); done < <(find "test/$layer" -name '*.test.ts' | sort)
done
[ ${#files[@]} -gt 0 ] || { echo "no test files found for: ${layers[*]}" >&2; exit 1; }

# One file at a time: kernel tests measure exact packet counts and share the machine's 2 cores.
exec node --import tsx --test --test-concurrency=1 --test-reporter=spec "${files[@]}"
