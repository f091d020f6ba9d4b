#!/usr/bin/env bash
# Installs what building and testing need (Debian packages, npm packages), then builds.
# Idempotent: a second run installs nothing and only rebuilds.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  clang clang-format llvm libbpf-dev libelf-dev zlib1g-dev libpcap-dev linux-libc-dev build-essential dpkg-dev python3  # bpf + addon
  bpftool iproute2 iptables ethtool iperf3 tcpdump tshark strace libcap2-bin                         # tests + bench
  openssh-server openssh-client sudo tcsh fish                                                                # SSH target tests
  postgresql redis-server mosquitto mosquitto-clients   # real services the Wireshark-depth tests capture (not started by apt)
)

bash scripts/apt-install.sh "${APT_PACKAGES[@]}"

# The arm64 static agent: Debian's cross compiler and arm64 static libraries, and qemu-user to run
# it in the tests (about 30 s to install).
ARM64_PACKAGES=(crossbuild-essential-arm64 libbpf-dev:arm64 libelf-dev:arm64 zlib1g-dev:arm64 qemu-user)
if ! dpkg --print-foreign-architectures | grep -x arm64 >/dev/null; then
  echo "==> dpkg --add-architecture arm64" >&2
  if [ "$(id -u)" -eq 0 ]; then dpkg --add-architecture arm64; else sudo dpkg --add-architecture arm64; fi
fi
bash scripts/apt-install.sh "${ARM64_PACKAGES[@]}"

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "==> npm ci" >&2
  npm ci --no-audit --no-fund --loglevel=error
fi

bash scripts/build.sh
