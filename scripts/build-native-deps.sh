#!/usr/bin/env bash
# Build position-independent static libpcap, libbpf, libelf (elfutils) and zlib from
# Debian bookworm's source packages, for linking into the native addon and the capture core.
#
# Outputs (relative to the repo root):
#   native/deps/lib/{libpcap.a,libbpf.a,libelf.a,libz.a}
#   native/deps/include/{pcap.h,pcap/*.h,bpf/*.h,libelf.h,gelf.h,nlist.h,elf.h,zlib.h,zconf.h}
#   native/deps/link-flags   what native/binding.gyp links with, one argument a line
#   native/deps/linux-arm64/{lib/libpcap.a,include/pcap.h,include/pcap/*.h}
#                            libpcap for the arm64 static agent (scripts/build-agent.sh arm64), built
#                            with Debian's cross compiler (aarch64-linux-gnu-gcc, which setup.sh
#                            installs); Debian's arm64 packages serve its other libraries
# Scratch (sources, objects, logs) lives under native/deps/ too (gitignored).
#
# Each source package is taken at the newest version apt knows that the archive
# actually serves: a version listed in the index but not downloadable (a 404 on
# a mirror) is skipped with a note, and the next older one is tried. When no
# version of a package can be had, the addon links dynamically against Debian's
# libpcap/libbpf/libelf/zlib packages instead, with one warning: setup goes on.
#
# Idempotent: a stamp file records the versions taken, the newest versions apt
# knew then, and this script's hash; when they match, the script exits at once.
#
# Usage: scripts/build-native-deps.sh [--force]
#   --force   rebuild even if the stamp says the outputs are up to date
# Env: JOBS (make parallelism, default 2)
#      NATIVE_DEPS=dynamic  skip the source builds and link against Debian's shared libraries
set -euo pipefail

SCRIPT_PATH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"
REPO_ROOT="$(cd "$(dirname "$SCRIPT_PATH")/.." && pwd)"
DEPS="$REPO_ROOT/native/deps"
SRC="$DEPS/src"          # apt-get source downloads + unpacked trees
BUILD="$DEPS/build"      # out-of-tree objects, staging area, link test
LOGS="$DEPS/logs"
STAMP="$DEPS/.build-stamp"
JOBS="${JOBS:-2}"
PKGS=(libpcap libbpf elfutils zlib)

OUTPUTS=(
  linux-arm64/lib/libpcap.a linux-arm64/include/pcap/pcap.h
  lib/libpcap.a lib/libbpf.a lib/libelf.a lib/libz.a
  include/pcap.h include/pcap/pcap.h include/pcap/bpf.h include/pcap/dlt.h
  include/bpf/bpf.h include/bpf/libbpf.h include/bpf/btf.h
  include/bpf/libbpf_common.h include/bpf/libbpf_legacy.h
  include/bpf/libbpf_version.h include/bpf/bpf_helpers.h
  include/libelf.h include/gelf.h include/nlist.h include/elf.h
  include/zlib.h include/zconf.h
)

FORCE=0
case "${1:-}" in
  --force) FORCE=1 ;;
  "") ;;
  -h|--help) sed -n '2,16p' "$SCRIPT_PATH" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "usage: $0 [--force]" >&2; exit 2 ;;
esac

say() { echo "build-native-deps: $*" >&2; }
die() { echo "build-native-deps: ERROR: $*" >&2; exit 1; }

# run STEP CMD...: run CMD with output appended to $LOGS/STEP.log; on failure
# show the log's tail and name the step.
run() {
  local step="$1"; shift
  local log="$LOGS/$step.log"
  { printf '\n$ (cd %q &&' "$PWD"; printf ' %q' "$@"; printf ')\n'; } >>"$log"
  if ! "$@" >>"$log" 2>&1; then
    echo "build-native-deps: ERROR: step '$step' failed: $*" >&2
    echo "----- last 40 lines of $log -----" >&2
    tail -n 40 "$log" >&2
    echo "-----" >&2
    exit 1
  fi
}

# Every version of source package $1 that apt knows (needs deb-src lists), newest first.
known_versions() {
  local v sorted=() i
  while read -r v; do
    [[ -z "$v" ]] && continue
    # Insertion by Debian's own ordering (epochs, ~, revisions): a handful of versions at most.
    for ((i = ${#sorted[@]}; i > 0; i--)); do
      dpkg --compare-versions "$v" gt "${sorted[i - 1]}" || break
      sorted[i]="${sorted[i - 1]}"
    done
    sorted[i]="$v"
  done < <(apt-cache showsrc --only-source "$1" 2>/dev/null | awk '/^Version:/{print $2}' | sort -u)
  printf '%s\n' "${sorted[@]}"
}

# The newest version apt knows of each source package: "newest.name=version" lines, nothing for
# a package apt doesn't know. A new entry here (a security update) means a rebuild.
newest_versions() {
  local name v
  for name in "${PKGS[@]}"; do
    # Not `| head -n 1`: under pipefail, head leaving early can end known_versions with SIGPIPE.
    v="$(known_versions "$name")"
    v="${v%%$'\n'*}"
    [[ -n "$v" ]] && echo "newest.$name=$v"
  done
  return 0
}

script_hash() { sha256sum "$SCRIPT_PATH" | cut -d' ' -f1; }

outputs_present() {
  local f
  for f in "${OUTPUTS[@]}"; do [[ -s "$DEPS/$f" ]] || return 1; done
}

# Up to date = stamp + outputs exist, the stamp's script hash and link mode match, and the newest
# versions apt knows are those it knew at the build (if apt knows; without deb-src lists, e.g. on a
# machine whose lists were cleared, trust the stamp).
up_to_date() {
  [[ -f "$STAMP" && -s "$DEPS/link-flags" ]] || return 1
  grep -qx "script=$(script_hash)" "$STAMP" || return 1
  grep -qx "mode=${NATIVE_DEPS:-static}" "$STAMP" || return 1
  grep -qx "link=static" "$STAMP" && { outputs_present || return 1; }
  local cur; cur="$(newest_versions)"
  if [[ "$(wc -l <<<"$cur")" -eq "${#PKGS[@]}" ]]; then
    [[ "$cur" == "$(grep '^newest\.' "$STAMP")" ]] || return 1
  fi
  return 0
}

describe_stamp() { grep -E '^(link|libpcap|libbpf|elfutils|zlib)=' "$STAMP" | paste -sd' '; }

if [[ $FORCE -eq 0 ]] && up_to_date; then
  say "native deps up to date ($(describe_stamp))"
  exit 0
fi

mkdir -p "$DEPS"
exec 9>"$DEPS/.lock"
flock 9   # serialise concurrent runs; re-check once we hold the lock
if [[ $FORCE -eq 0 ]] && up_to_date; then say "native deps up to date ($(describe_stamp))"; exit 0; fi

SUDO=()
if [[ $EUID -ne 0 ]]; then
  command -v sudo >/dev/null || die "need root (or sudo) for apt-get"
  SUDO=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
APT=("${SUDO[@]}" apt-get -o DPkg::Lock::Timeout=600 -o Acquire::Retries=3)

rm -f "$STAMP"
rm -rf "$LOGS" "$BUILD"
mkdir -p "$SRC" "$BUILD" "$LOGS"
START=$SECONDS

# Link against Debian's shared libpcap, libbpf, libelf and zlib (setup installed their -dev
# packages). The addon then needs libpcap0.8, libbpf1, libelf1 and zlib1g wherever it runs, an SSH
# host included.
link_dynamically() {
  rm -rf "${DEPS:?}/lib" "${DEPS:?}/include"
  printf '%s\n' -lpcap -lbpf -lelf -lz >"$DEPS/link-flags"
  { echo "link=dynamic"; echo "mode=${NATIVE_DEPS:-static}"; newest_versions; echo "script=$(script_hash)"; } >"$STAMP"
}
if [[ "${NATIVE_DEPS:-static}" == dynamic ]]; then
  link_dynamically
  say "NATIVE_DEPS=dynamic: the addon links against Debian's shared libpcap, libbpf, libelf and zlib"
  exit 0
fi

# --- 1. deb-src for bookworm -------------------------------------------------
SRC_LIST=/etc/apt/sources.list.d/debian-src.sources
have_debsrc() {
  grep -Eqs '^[[:space:]]*deb-src[[:space:]]' /etc/apt/sources.list /etc/apt/sources.list.d/*.list && return 0
  grep -Eqs '^Types:.*\bdeb-src\b' /etc/apt/sources.list.d/*.sources
}
if ! have_debsrc; then
  say "adding deb-src entries ($SRC_LIST)..."
  if [[ -f /etc/apt/sources.list.d/debian.sources ]]; then
    sed -E 's/^Types:.*/Types: deb-src/' /etc/apt/sources.list.d/debian.sources
  else
    printf '%s\n' 'Types: deb-src' 'URIs: http://deb.debian.org/debian' \
      'Suites: bookworm bookworm-updates' 'Components: main' \
      'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg' '' \
      'Types: deb-src' 'URIs: http://deb.debian.org/debian-security' \
      'Suites: bookworm-security' 'Components: main' \
      'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg'
  fi | "${SUDO[@]}" tee "$SRC_LIST" >/dev/null
fi

say "apt-get update..."
run apt-update "${APT[@]}" update

# --- 2. build prerequisites --------------------------------------------------
# build-essential: gcc/g++/make/libc6-dev. dpkg-dev: apt-get source unpacking
# (brings patch, bzip2, xz-utils). flex, bison: libpcap's tarball ships only
# grammar.y.in and scanner.l, not the generated parser. crossbuild-essential-arm64: the
# arm64 libpcap (needs no arm64 foreign architecture). Nothing else is needed:
# elfutils' configure runs without maintainer mode (no autotools/gawk/gettext),
# and libbpf builds with NO_PKG_CONFIG against our own headers.
say "installing build prerequisites (build-essential dpkg-dev flex bison crossbuild-essential-arm64)..."
run apt-install "${APT[@]}" install -y --no-install-recommends build-essential dpkg-dev flex bison \
  crossbuild-essential-arm64

# --- 3. sources ----------------------------------------------------------------
# fetch_source NAME: download and unpack the newest version of NAME the archive serves; prints
# "NAME=VERSION", or nothing when no known version downloads.
fetch_source() {
  local name="$1" v log="$LOGS/apt-source-$1.log"
  while read -r v; do
    [[ -z "$v" ]] && continue
    { printf '\n$ apt-get source --only-source %s=%s\n' "$name" "$v"; } >>"$log"
    if "${APT[@]}" -o APT::Sandbox::User=root source --only-source "$name=$v" >>"$log" 2>&1; then
      echo "$name=$v"
      return 0
    fi
    say "source $name $v is listed but could not be downloaded ($(grep -oE "[0-9]{3} +[A-Z][A-Za-z]+( [A-Z][a-z]+)*" "$log" | tail -n 1 || true)); trying an older version"
  done < <(known_versions "$name")
  return 0
}

upstream() { local v="${1#*:}"; echo "${v%-*}"; }   # strip epoch and Debian revision

cd "$SRC"
# Fresh unpack every build (keeps downloaded files; apt skips re-downloading them).
find "$SRC" -mindepth 1 -maxdepth 1 -type d -exec rm -rf {} +
VERSIONS=""
for name in "${PKGS[@]}"; do
  taken="$(fetch_source "$name")"
  if [[ -z "$taken" ]]; then
    link_dynamically
    echo "build-native-deps: WARNING: no source version of $name that apt knows could be downloaded" \
      "(see $LOGS/apt-source-$name.log); the addon links dynamically against Debian's libpcap, libbpf," \
      "libelf and zlib instead, and needs libpcap0.8, libbpf1, libelf1 and zlib1g wherever it runs" >&2
    exit 0
  fi
  say "taking source $taken"
  VERSIONS+="$taken"$'\n'
done
VERSIONS="${VERSIONS%$'\n'}"
ver() { sed -n "s/^$1=//p" <<<"$VERSIONS"; }
srcdir() {
  local d
  d="$SRC/$1-$(upstream "$2")"
  [[ -d "$d" ]] || die "expected unpacked source at $d"
  echo "$d"
}
ZLIB_DIR="$(srcdir zlib "$(ver zlib)")"
ELF_DIR="$(srcdir elfutils "$(ver elfutils)")"
BPF_DIR="$(srcdir libbpf "$(ver libbpf)")"
PCAP_DIR="$(srcdir libpcap "$(ver libpcap)")"

STAGE="$BUILD/stage"
mkdir -p "$STAGE/lib" "$STAGE/include"

# --- 4. zlib -------------------------------------------------------------------
say "building zlib $(ver zlib)..."
cd "$ZLIB_DIR"
run zlib env CFLAGS="-O2 -fPIC" ./configure --static --prefix="$STAGE"
run zlib make -j"$JOBS" libz.a
cp libz.a "$STAGE/lib/"
cp zlib.h zconf.h "$STAGE/include/"

# --- 5. libelf (elfutils) ------------------------------------------------------
# Only libelf/ is built. Its libelf.a gets -fPIC from CFLAGS; libelf_pic.a is
# not what we want (built with -DSHARED, i.e. with .symver directives meant for
# libelf.so's version script). libelf.a needs nothing from lib/libeu.a.
# -Wno-error: Debian's disable_werror.patch edits config/eu.am, but the
# shipped Makefile.in files still carry -Werror (we don't rerun automake).
say "building libelf (elfutils $(ver elfutils))..."
cd "$ELF_DIR"
run elfutils env CFLAGS="-O2 -fPIC -Wno-error" CPPFLAGS="-I$STAGE/include" LDFLAGS="-L$STAGE/lib" \
  ./configure --prefix="$STAGE" \
    --disable-debuginfod --disable-libdebuginfod \
    --without-bzlib --without-lzma --without-zstd \
    --disable-nls --disable-dependency-tracking --disable-silent-rules
run elfutils make -j"$JOBS" -C libelf libelf.a
cp libelf/libelf.a "$STAGE/lib/"
cp libelf/libelf.h libelf/gelf.h libelf/nlist.h libelf/elf.h "$STAGE/include/"

# --- 6. libbpf -----------------------------------------------------------------
say "building libbpf $(ver libbpf)..."
cd "$BPF_DIR/src"
BPF_MAKE=(make BUILD_STATIC_ONLY=1 NO_PKG_CONFIG=1 OBJDIR="$BUILD/libbpf"
          EXTRA_CFLAGS="-fPIC -I$STAGE/include")
mkdir -p "$BUILD/libbpf"
run libbpf "${BPF_MAKE[@]}" -j"$JOBS"
run libbpf "${BPF_MAKE[@]}" INCLUDEDIR="$STAGE/include" install_headers
cp "$BUILD/libbpf/libbpf.a" "$STAGE/lib/"

# --- 7. libpcap ----------------------------------------------------------------
# Only what pcap_compile and the AF_PACKET capture need: no USB/netmap/Bluetooth/D-Bus/RDMA/
# remote/vendor capture modules, and no libnl (so nothing beyond libc to link). The flags are
# given explicitly (not left to detection) so the result is the same on every machine.
PCAP_CONFIGURE=(--disable-shared --disable-usb --disable-netmap --disable-bluetooth --disable-dbus
  --disable-rdma --without-libnl --disable-remote --without-dpdk --without-dag
  --without-septel --without-snf --without-turbocap)

# arm64 first, in a copy of the pristine tree (configure writes into the tree it runs in).
# --with-pcap=linux: no run-time probing, which a cross build cannot do.
say "building libpcap $(ver libpcap) for arm64..."
PCAP_ARM64_DIR="$BUILD/libpcap-arm64"
cp -a "$PCAP_DIR" "$PCAP_ARM64_DIR"
cd "$PCAP_ARM64_DIR"
run libpcap-arm64 env CFLAGS="-O2" ./configure --host=aarch64-linux-gnu CC=aarch64-linux-gnu-gcc \
  --with-pcap=linux --prefix="$STAGE/linux-arm64" "${PCAP_CONFIGURE[@]}"
run libpcap-arm64 make -j"$JOBS" libpcap.a
mkdir -p "$STAGE/linux-arm64/lib" "$STAGE/linux-arm64/include/pcap"
cp libpcap.a "$STAGE/linux-arm64/lib/"
cp pcap.h "$STAGE/linux-arm64/include/"
cp pcap/*.h "$STAGE/linux-arm64/include/pcap/"
[[ "$(readelf -h "$STAGE/linux-arm64/lib/libpcap.a" | awk '/Machine:/ && !seen++ {print $2}')" == AArch64 ]] \
  || die "the arm64 libpcap.a is not AArch64 code"

say "building libpcap $(ver libpcap)..."
cd "$PCAP_DIR"
run libpcap env CFLAGS="-O2 -fPIC" ./configure --prefix="$STAGE" "${PCAP_CONFIGURE[@]}"
run libpcap make -j"$JOBS" libpcap.a
cp libpcap.a "$STAGE/lib/"
mkdir -p "$STAGE/include/pcap"
cp pcap.h "$STAGE/include/"
cp pcap/*.h "$STAGE/include/pcap/"

# --- 8. checks -----------------------------------------------------------------
say "checking..."
hdr_ver="$(awk '/#define LIBBPF_(MAJOR|MINOR)_VERSION/{printf "%s%s", sep, $3; sep="."}' \
  "$STAGE/include/bpf/libbpf_version.h")"
[[ "$(upstream "$(ver libbpf)")" == "$hdr_ver".* ]] \
  || die "libbpf_version.h says $hdr_ver, Debian source is $(ver libbpf)"
# Two files: <pcap/bpf.h> and <linux/bpf.h> (via libbpf.h) each define their own struct bpf_insn.
cat >"$BUILD/linktest-bpf.c" <<'EOF'
#include <bpf/libbpf.h>
#include <libelf.h>
#include <zlib.h>
int linktest_pcap(const char *expr);
int linktest(const char *p) {
  struct bpf_object *o = bpf_object__open_file(p, NULL);
  if (o) bpf_object__close(o);
  return linktest_pcap(p) + (int)(elf_version(EV_CURRENT) + crc32(0L, (const unsigned char *)p, 1));
}
EOF
cat >"$BUILD/linktest-pcap.c" <<'EOF'
#include <pcap/pcap.h>
int linktest_pcap(const char *expr) {
  pcap_t *dead = pcap_open_dead(DLT_EN10MB, 262144);
  struct bpf_program prog;
  int compiled = pcap_compile(dead, &prog, expr, 1, PCAP_NETMASK_UNKNOWN);
  if (compiled == 0) pcap_freecode(&prog);
  pcap_close(dead);
  return compiled;
}
EOF
run linktest cc -shared -fPIC -O2 -I"$STAGE/include" "$BUILD/linktest-bpf.c" "$BUILD/linktest-pcap.c" \
  -o "$BUILD/linktest.so" -Wl,--no-undefined \
  "$STAGE/lib/libpcap.a" "$STAGE/lib/libbpf.a" "$STAGE/lib/libelf.a" "$STAGE/lib/libz.a"
needed="$(readelf -d "$BUILD/linktest.so" | grep NEEDED || true)"
if grep -Eq 'lib(pcap|bpf|elf|z)\.so' <<<"$needed"; then
  echo "$needed" >&2
  die "link test: result still depends on a shared libpcap/libbpf/libelf/libz"
fi

# --- 9. install into native/deps and stamp -------------------------------------
rm -rf "${DEPS:?}/lib" "${DEPS:?}/include" "${DEPS:?}/linux-arm64"
mv "$STAGE/lib" "$STAGE/include" "$STAGE/linux-arm64" "$DEPS/"
outputs_present || die "some expected outputs are missing under $DEPS"
printf '%s\n' "$DEPS/lib/libpcap.a" "$DEPS/lib/libbpf.a" "$DEPS/lib/libelf.a" "$DEPS/lib/libz.a" >"$DEPS/link-flags"
{ echo "link=static"; echo "mode=${NATIVE_DEPS:-static}"; echo "$VERSIONS"; newest_versions; echo "script=$(script_hash)"; } >"$STAMP"
say "done in $((SECONDS - START))s: $DEPS/lib/{libpcap.a,libbpf.a,libelf.a,libz.a}, $DEPS/include" \
  "(libpcap $(upstream "$(ver libpcap)"), libbpf $(upstream "$(ver libbpf)"))"
