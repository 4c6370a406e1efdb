#!/usr/bin/env bash
# Makes a Swift 6 toolchain (compiler, SwiftPM, Foundation, XCTest) available.
#
#   scripts/swift-toolchain.sh
#
# With a native `swift` on PATH (macOS, or a Linux box with swift.org's
# toolchain) this only prints its version. Otherwise it builds, once, a
# Debian trixie chroot holding trixie's `swiftlang` package: Debian bookworm has
# no Swift package and swift.org's tarballs cannot be downloaded here, while
# deb.debian.org can. Run scripts/swift.sh to use it. See docs/swift-on-linux.md.
#
# Environment:
#   PUSHSEAL_SWIFT_CHROOT        where the chroot lives (default /var/cache/pushseal/swift-trixie)
#   PUSHSEAL_SWIFT_USE_CHROOT=1  build/use the chroot even when a native swift exists
#   PUSHSEAL_DEBIAN_MIRROR       Debian mirror (default http://deb.debian.org/debian)
set -euo pipefail

log() { printf '[swift-toolchain] %s\n' "$*" >&2; }

# First, before anything bash-4-only: macOS runs this with its bash 3.2.
if [[ "${PUSHSEAL_SWIFT_USE_CHROOT:-0}" != 1 ]] && command -v swift >/dev/null 2>&1; then
  log "using native swift at $(command -v swift)"
  swift --version
  exit 0
fi

readonly SUITE=trixie
# swiftlang only Depends on gcc, whose libc headers are merely recommended;
# without libc6-dev every swift invocation warns "libc not found for
# 'x86_64-pc-linux-gnu'; C stdlib may be unavailable", and the Glibc module and
# C headers of system-library targets (our FFI header) need /usr/include.
# libstdc++-14-dev: C++ headers, for packages that turn on C++ interop
# (14 = trixie's gcc); small, and saves a puzzling failure later.
# tzdata: Foundation's TimeZone reads /usr/share/zoneinfo, absent in minbase.
# ca-certificates: the Rust core verifies TLS against the system store
# (rustls-platform-verifier), so tests that talk TLS need one inside the chroot.
# python3: the Swift binding tests start the fake Rocket.Chat server
# (tests/fake-server) themselves, as the Rust and Kotlin tests do.
readonly PACKAGES=(swiftlang libc6-dev libstdc++-14-dev tzdata ca-certificates python3)
readonly MARKER_NAME=.pushseal-swift-ready

root="${PUSHSEAL_SWIFT_CHROOT:-/var/cache/pushseal/swift-trixie}"
root="${root%/}"
mirror="${PUSHSEAL_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
lock="$root.lock"
marker="$root/$MARKER_NAME"

die() { log "error: $*"; exit 1; }
now() { date +%s; }

export DEBIAN_FRONTEND=noninteractive
# A CI run has no stdin; apt/dpkg must never stop to ask anything.
exec </dev/null

# Private mount and PID namespaces: the kernel drops the mounts made inside
# when the command ends, and --kill-child takes every process with it when
# this script dies, even by SIGKILL. Without the PID namespace a killed setup
# left dpkg (which apt starts in a session of its own) writing into a
# directory the next run was deleting.
readonly ISOLATE=(unshare --mount --pid --fork --kill-child --propagation private --)

# Runs a command in the chroot at $1 with /proc and /dev mounted.
in_chroot() {
  local dir="$1"; shift
  # shellcheck disable=SC2016  # expanded by the inner shell, on purpose
  "${ISOLATE[@]}" /bin/sh -euc '
    dir="$1"; shift
    mount -t proc proc "$dir/proc"
    mount --rbind /dev "$dir/dev"
    exec chroot "$dir" /usr/bin/env -i \
      PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
      HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
  ' in_chroot "$dir" "$@"
}

# rm -rf that cannot escape into a bind mount (e.g. a repository some earlier,
# killed run had mounted there): only possible if the mount namespace trick
# above was bypassed, but deleting someone's work tree is too costly to risk.
remove_tree() {
  local dir="$1"
  [[ -e "$dir" ]] || return 0
  if grep -qF " $dir/" /proc/self/mountinfo; then
    die "$dir still has mounts inside (see /proc/self/mountinfo); unmount them and rerun"
  fi
  rm -rf --one-file-system -- "$dir"
}

missing_packages() {
  local dir="$1" p out=()
  for p in "${PACKAGES[@]}"; do
    # shellcheck disable=SC2016  # a dpkg-query format, not a shell expansion
    chroot "$dir" dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' \
      || out+=("$p")
  done
  if ((${#out[@]})); then printf '%s\n' "${out[@]}"; fi
}

install_packages() {
  local dir="$1"; shift
  # Refresh DNS: the chroot may be older than the host's current resolver.
  cp -L /etc/resolv.conf "$dir/etc/resolv.conf"
  # dpkg's chatter goes to a log, shown only on failure, to keep CI logs short.
  local apt_log="$dir.apt.log"
  if ! { in_chroot "$dir" apt-get update -qq && in_chroot "$dir" apt-get install -y -qq --no-install-recommends "$@"; } >"$apt_log" 2>&1; then
    tail -n 40 "$apt_log" >&2
    rm -f "$apt_log"
    die "apt-get failed in the chroot"
  fi
  rm -f "$apt_log"
  # Package lists and .debs are ~100 MB and useless once installed.
  in_chroot "$dir" apt-get clean
  rm -rf "$dir"/var/lib/apt/lists/*
}

write_marker() {
  local dir="$1" version
  # Also proves the toolchain runs. Captured whole: `| head -n1` would SIGPIPE
  # swift and, under pipefail, fail the setup.
  version="$(in_chroot "$dir" swift --version 2>&1)" || { log "$version"; die "swift does not run in the chroot"; }
  version="${version%%$'\n'*}"
  printf 'suite=%s\npackages=%s\nswift=%s\ncreated=%s\n' \
    "$SUITE" "${PACKAGES[*]}" "$version" "$(date -u +%FT%TZ)" >"$dir/$MARKER_NAME"
  log "swift in chroot: $version"
}

[[ "$(uname -s)" == Linux ]] || die "no swift on PATH; install Xcode or the Swift toolchain"
[[ $(id -u) -eq 0 ]] || die "building/using the chroot needs root (try: sudo $0)"

start=$(now)
ready() { [[ -f "$marker" ]] && [[ -z "$(missing_packages "$root")" ]]; }
report_ready() {
  log "chroot ready at $root ($(sed -n 's/^swift=//p' "$marker")) in $(($(now) - start))s"
}

# The common case needs no lock: running swift.sh jobs hold it shared, and a
# setup that only confirms the cache must not queue behind them.
if ready; then report_ready; exit 0; fi

mkdir -p "$(dirname "$root")"
exec 9>"$lock"
if ! flock -n 9; then
  log "another setup or a swift.sh run holds $lock; waiting"
  flock 9
fi

if [[ -f "$marker" ]]; then
  mapfile -t missing < <(missing_packages "$root")
  if ((${#missing[@]})); then
    log "adding to existing chroot: ${missing[*]}"
    install_packages "$root" "${missing[@]}"
    write_marker "$root"
  fi
  report_ready
  exit 0
fi

# Only a complete chroot is ever renamed to $root, so anything here without the
# marker, and any *.partial.* directory, is debris of an interrupted run (we
# hold the lock, so no other setup is still working on it).
for stale in "$root" "$root".partial.*; do
  [[ -e "$stale" ]] || continue
  log "removing incomplete chroot $stale"
  remove_tree "$stale"
done

command -v unshare >/dev/null 2>&1 || die "unshare (util-linux) is missing"
if ! command -v debootstrap >/dev/null 2>&1; then
  command -v apt-get >/dev/null 2>&1 || die "debootstrap is missing and there is no apt-get to install it"
  log "installing debootstrap on the host"
  t=$(now)
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
  log "debootstrap installed in $(($(now) - t))s"
fi

work="$(mktemp -d "$root.partial.XXXXXX")"
# A failed build is removed right away; a killed one is removed by the next run.
trap 'rc=$?; if ((rc)); then log "setup failed; removing $work"; remove_tree "$work" || true; fi' EXIT
chmod 755 "$work"

log "debootstrap $SUITE (minbase) into $work from $mirror"
t=$(now)
# debootstrap mounts /proc etc. into the target itself; isolated, neither
# those mounts nor its processes can outlive it.
if ! "${ISOLATE[@]}" debootstrap --variant=minbase "$SUITE" "$work" "$mirror" >"$work.log" 2>&1; then
  tail -n 30 "$work.log" >&2
  rm -f "$work.log"
  die "debootstrap failed"
fi
rm -f "$work.log"
log "debootstrap done in $(($(now) - t))s"

# Services have no business starting inside a build chroot.
printf '#!/bin/sh\nexit 101\n' >"$work/usr/sbin/policy-rc.d"
chmod 755 "$work/usr/sbin/policy-rc.d"

log "installing ${PACKAGES[*]}"
t=$(now)
install_packages "$work" "${PACKAGES[@]}"
log "packages installed in $(($(now) - t))s"

write_marker "$work"
mv -T "$work" "$root"
trap - EXIT
log "chroot ready at $root in $(($(now) - start))s ($(du -sh --one-file-system "$root" | cut -f1))"
