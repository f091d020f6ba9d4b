#!/usr/bin/env bash
# clang-format over the project's C and C++ (bpf/, native/src/, native/core/, native/agent/, C test
# helpers), with the .clang-format beside them. Files not yet added to git count too.
#   scripts/clang-format.sh          check: lists each file that is not formatted, exits 1 if any
#   scripts/clang-format.sh --write  formats them in place
set -euo pipefail
cd "$(dirname "$0")/.."
command -v clang-format >/dev/null || bash scripts/apt-install.sh clang-format
mapfile -t files < <(git ls-files --cached --others --exclude-standard 'bpf/*.c' 'bpf/*.h' 'native/src/*.cc' \
  'native/src/*.h' 'native/src/*.c' 'native/core/*.c' 'native/core/*.h' 'native/agent/*.c' 'native/agent/*.h' \
  'test/**/*.c' 'test/**/*.h' | while IFS= read -r f; do [ -f "$f" ] && echo "$f"; done)
# (--cached lists a file deleted in the work tree until the deletion is committed: skipped above.)
if [ "${1:-}" = --write ]; then
  clang-format -i "${files[@]}"
  exit 0
fi
clang-format --dry-run --Werror "${files[@]}"
