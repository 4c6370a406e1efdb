#!/usr/bin/env bash
# Builds pushseal for aarch64 Linux with Android's SQLCipher configuration
# (SQLCipher on pushseal's RustCrypto provider, sqlcipher-provider/, the
# same on Linux and Android; no OpenSSL) and runs `cargo test -p pushseal`
# on it under qemu-aarch64 on an x86_64 Debian machine:
#   1. libpushseal_ffi.so for aarch64-unknown-linux-gnu, release, mobile
#      profile (scripts/mobile-profile.sh); its stripped size is printed
#   2. cargo test -p pushseal for aarch64, run by qemu-aarch64-static
#
# Installs what it needs: the rustup target, Debian's gcc-aarch64-linux-gnu,
# libc6-dev-arm64-cross and qemu-user-static, and a binfmt_misc handler for
# aarch64 ELF files (so that tests which start child processes, e.g. the
# store's two-process tests, run those under qemu too). Registering the
# handler needs root and a writable /proc/sys/fs/binfmt_misc; it is global
# to the machine's kernel and stays until reboot or
# `echo -1 > /proc/sys/fs/binfmt_misc/qemu-aarch64`.
#
#   scripts/test-aarch64.sh [-- TEST_ARGS...]   (passed to cargo test, e.g. -- --skip store_processes)
#   scripts/test-aarch64.sh --quick             the subset every CI run takes
#
# --quick skips the release library (scripts/size.sh builds and gates it)
# and the binfmt handler, and runs only the suites that exercise what
# differs on aarch64 without starting aarch64 child processes: the unit
# tests, both protocols' vectors (AES, RSA, Megolm), SQLCipher on the
# RustCrypto provider (including a store written by the old OpenSSL build)
# and rustls/ring fetches against the fake servers.
#
# Expect about 20 minutes on two busy cores from a cold cache: with OpenSSL
# still built in, the first run here took 12 min for the release library,
# 8 min for the test build and 634 s for the emulated tests (118 passed);
# without OpenSSL both builds are shorter. Too slow for every CI run; the
# README names it. scripts/size.sh is the size gate.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd -P)"
target=aarch64-unknown-linux-gnu
sysroot=/usr/aarch64-linux-gnu

log() { printf '[test-aarch64] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
step() { printf '\n==> %s\n' "$*"; }

[[ "$(uname -m)" == x86_64 ]] || die "written for an x86_64 host (this is $(uname -m))"
command -v rustup >/dev/null || die "rustup is needed to add the $target target"
quick=false
if [[ "${1:-}" == --quick ]]; then
  quick=true
  shift
fi
QUICK_SUITES=(--lib --test vectors --test matrix_vectors --test matrix_push --test store_compat
  --test store_matrix --test store_accounts --test net_fetch --test matrix_fetch)

command -v dpkg >/dev/null || die "written for Debian: install an aarch64 cross gcc and qemu-user-static yourself"

step "tools: Debian packages, rustup target"
missing=()
for pkg in gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user-static; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if ((${#missing[@]})); then
  log "installing: ${missing[*]}"
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
rustup target add "$target"
qemu="$(command -v qemu-aarch64-static)" || die "qemu-aarch64-static not found after installing qemu-user-static"

if ! $quick; then
  step "binfmt_misc handler for aarch64 ELF"
  binfmt=/proc/sys/fs/binfmt_misc
  if [[ ! -e "$binfmt/register" ]]; then
    mount -t binfmt_misc binfmt_misc "$binfmt" 2>/dev/null \
      || die "cannot mount binfmt_misc at $binfmt (needs root, and a container allowed to)"
  fi
  if [[ -e "$binfmt/qemu-aarch64" ]] && grep -q '^enabled' "$binfmt/qemu-aarch64"; then
    log "already registered: $(grep '^interpreter' "$binfmt/qemu-aarch64")"
  else
    # The ELF header of an aarch64 executable (machine 0xb7); F opens the
    # interpreter now, so it also works for processes in other mount namespaces.
    magic='\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00'
    mask='\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff'
    printf ':qemu-aarch64:M::%s:%s:%s:F\n' "$magic" "$mask" "$qemu" >"$binfmt/register" \
      || die "cannot register the handler in $binfmt (needs root)"
    log "registered $qemu for aarch64 ELF files"
  fi
fi

# The cross toolchain for cargo and for the C parts (SQLCipher, ring); qemu
# finds the aarch64 loader and libc in the sysroot.
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER="$qemu -L $sysroot"
export CC_aarch64_unknown_linux_gnu=aarch64-linux-gnu-gcc
export AR_aarch64_unknown_linux_gnu=aarch64-linux-gnu-ar
export QEMU_LD_PREFIX="$sysroot"

if $quick; then
  step "cargo test -p pushseal for $target under qemu-aarch64 (quick subset)"
  started=$(date +%s)
  cargo test --target "$target" -p pushseal "${QUICK_SUITES[@]}" "$@"
  log "tests done in $(($(date +%s) - started)) s"
  exit 0
fi

step "libpushseal_ffi.so for $target (release, mobile profile)"
started=$(date +%s)
(
  # shellcheck source=scripts/mobile-profile.sh
  source scripts/mobile-profile.sh
  # cargo rustc: LTO happens only without the rlib (scripts/mobile-profile.sh)
  cargo rustc --release --target "$target" -p pushseal-ffi --lib --crate-type cdylib \
    -- "${MOBILE_SO_LINK_ARGS[@]}"
)
tdir="${CARGO_TARGET_DIR:-target}"
lib="$tdir/$target/release/libpushseal_ffi.so"
[[ -f "$lib" ]] || die "no library at $lib"
aarch64-linux-gnu-strip -o "$tdir/$target/release/libpushseal_ffi.stripped.so" "$lib"
file "$lib" 2>/dev/null || true
printf 'size: %s %d bytes (stripped: %d bytes), built in %d s\n' "$lib" "$(stat -c %s "$lib")" \
  "$(stat -c %s "$tdir/$target/release/libpushseal_ffi.stripped.so")" "$(($(date +%s) - started))"

step "cargo test -p pushseal for $target under qemu-aarch64"
started=$(date +%s)
cargo test --target "$target" -p pushseal "$@"
log "tests done in $(($(date +%s) - started)) s"
log "library: $repo/$lib"
