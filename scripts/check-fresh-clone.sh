#!/usr/bin/env bash
# Proves the repository stands on its own: clones it into an empty temporary folder (nothing
# beside it, nothing above it of ours), installs with `npm ci`, and runs the unit tests that read
# the repository's own data (tcpdump's captures in test/fixtures/) and the path check there. Fails
# if any test fails or skips. Run by hand before a release note; not part of `npm test`.
#
#   bash scripts/check-fresh-clone.sh [REV]    REV: what to clone (default HEAD: what is committed,
#                                              not the work tree's uncommitted changes)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
rev="$(git -C "$repo" rev-parse --verify "${1:-HEAD}^{commit}")"
TESTS=(test/unit/corpus.test.ts test/unit/decode-corpus.test.ts test/unit/decode-fields.test.ts test/unit/check-paths.test.ts)

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
clone="$scratch/repo"
echo "==> git clone $rev into $clone" >&2
# --no-local: copy the objects as a remote clone would, no hard links into this repository.
git clone --quiet --no-local --no-checkout "$repo" "$clone"
git -C "$clone" -c advice.detachedHead=false checkout --quiet "$rev"

cd "$clone"
echo "==> npm ci" >&2
npm ci --no-audit --no-fund --loglevel=error

echo "==> ${TESTS[*]}" >&2
tap="$scratch/tests.tap"
: >"$tap" # node writes nothing when it cannot start the tests
status=0
node --import tsx --test --test-concurrency=1 \
  --test-reporter=spec --test-reporter-destination=stderr \
  --test-reporter=tap --test-reporter-destination="$tap" "${TESTS[@]}" || status=$?

count() { awk -v k="# $1" '$1 " " $2 == k { n = $3 } END { print n + 0 }' "$tap"; }
tests=$(count tests) failed=$(count fail) cancelled=$(count cancelled)
# A skipped suite is not in the "# skipped" count, so count every test or suite TAP marks SKIP/TODO.
skipped=$(grep -cE '^ *(not )?ok [0-9]+ .*# (SKIP|TODO)' "$tap" || true)
if [ "$status" -ne 0 ] || [ "$failed" -ne 0 ] || [ "$cancelled" -ne 0 ]; then
  echo "check-fresh-clone: in a fresh clone, $failed of $tests tests failed ($cancelled cancelled): see above" >&2
  exit 1
fi
if [ "$skipped" -ne 0 ]; then
  echo "check-fresh-clone: in a fresh clone, $skipped tests or suites skipped (or are todo); every one must run:" >&2
  grep -E '^ *(not )?ok [0-9]+ .*# (SKIP|TODO)' "$tap" >&2
  exit 1
fi
if [ "$tests" -eq 0 ]; then
  echo "check-fresh-clone: no test ran" >&2
  exit 1
fi
echo "check-fresh-clone: $tests tests passed in a fresh clone of $rev, none skipped" >&2
