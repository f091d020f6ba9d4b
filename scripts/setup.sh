#!/usr/bin/env bash
# Installs what building and testing need (Debian packages, npm packages), then builds.
# Idempotent: a second run installs nothing and only rebuilds.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  clang clang-format llvm libbpf-dev libelf-dev zlib1g-dev libpcap-dev linux-libc-dev build-essential dpkg-dev python3  # bpf + addon
  bpftool iproute2 ethtool iperf3 tcpdump tshark strace                                              # tests + bench
  openssh-server openssh-client sudo tcsh fish                                                                # SSH target tests
)

bash scripts/apt-install.sh "${APT_PACKAGES[@]}"

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "==> npm ci" >&2
  npm ci --no-audit --no-fund --loglevel=error
fi

bash scripts/build.sh
