#!/usr/bin/env bash
# Installs the Debian packages named that are not installed yet (with sudo when not root).
# Used by setup.sh and vscode-setup.sh.
set -euo pipefail
missing=()
for p in "$@"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep 'install ok installed' >/dev/null || missing+=("$p")
done
[ ${#missing[@]} -gt 0 ] || exit 0
echo "==> apt-get install ${missing[*]}" >&2
sudo_=""
[ "$(id -u)" -eq 0 ] || sudo_="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo_ apt-get -o DPkg::Lock::Timeout=600 update -qq
$sudo_ apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
