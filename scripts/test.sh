#!/usr/bin/env bash
# Sets up, then runs every test layer, or the ones named: `npm test -- unit`, `-- kernel e2e`, …
#   unit     test/unit/**/*.test.ts          plain Node, fast
#   kernel   test/kernel/**/*.test.ts        as root, against the real kernel, judged by tshark/capinfos
#   ssh      test/ssh/**/*.test.ts           as root, the SSH target against a real sshd in a namespace
#   cluster  test/cluster/**/*.test.ts       as root, Kubernetes targets on a real single-node cluster
#                                            (scripts/test-cluster.sh; its first build takes ~17 min)
#   exthost  test/exthost/**/*.test.ts       mocha inside real VS Code's extension host (code-server),
#                                            run by test/vscode/run-exthost.ts
#   webview  test/webview/**/*.test.ts       the panel in plain chromium against a scripted fake host
#   e2e      test/e2e/**/*.e2e.ts            Playwright + chromium driving real VS Code like a person
# Every layer is node:test files (run-exthost.ts turns each mocha result into a node:test subtest),
# so one `node --test` run covers all layers. Its results also go to test-results/tests.tap, from
# which scripts/test-summary.ts names each skipped test with why, and prints the closing line
# `N passed, N failed[, N skipped]` (on CI a skip fails, but for what this machine kind cannot run).
# exthost and e2e first install code-server, Node 24 and chromium (scripts/vscode-setup.sh, once).
set -euo pipefail
cd "$(dirname "$0")/.."

layers=("${@:-unit kernel ssh cluster webview exthost e2e}")
read -r -a layers <<<"${layers[*]}"
vscode=0
for layer in "${layers[@]}"; do
  case "$layer" in
    unit) ;;
    kernel | ssh | cluster)
      if [ "$(id -u)" -ne 0 ]; then
        echo "$layer tests need root (eBPF, network namespaces, test users): run as root, e.g. sudo npm test" >&2
        exit 1
      fi ;;
    webview | exthost | e2e) vscode=1 ;;
    *) echo "unknown test layer '$layer' (unit, kernel, ssh, cluster, webview, exthost, e2e)" >&2; exit 1 ;;
  esac
done

bash scripts/setup.sh
if [ "$vscode" = 1 ]; then
  bash scripts/vscode-setup.sh
fi

files=()
for layer in "${layers[@]}"; do
  case "$layer" in
    unit | kernel | ssh | cluster | webview) pattern='*.test.ts'; dir=test/$layer ;;
    exthost) pattern='run-exthost.ts'; dir=test/vscode ;; # it runs test/exthost/**/*.test.ts
    e2e) pattern='*.e2e.ts'; dir=test/e2e
         bash scripts/vscode-package.sh >/dev/null ;;      # the UI tests install the packaged .vsix
  esac
  [ -d "$dir" ] || continue
  while IFS= read -r f; do files+=("$f"); done < <(find "$dir" -name "$pattern" | sort)
done
[ ${#files[@]} -gt 0 ] || { echo "no test files found for: ${layers[*]}" >&2; exit 1; }

mkdir -p test-results
# One file at a time: kernel tests measure exact packet counts, and code-server + chromium are
# heavy; all of it shares the machine's 2 cores.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
status=0
node --import tsx --test --test-concurrency=1 \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination=test-results/tests.tap \
  "${files[@]}" || status=$?
# Every skip with its reason, then one closing line: `N passed, N failed[, N skipped]`.
node --import tsx scripts/test-summary.ts test-results/tests.tap || status=1
exit "$status"
