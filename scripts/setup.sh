#!/usr/bin/env bash
# Installs what a fresh machine lacks to build and test pushseal.
#   scripts/setup.sh          Rust build prerequisites only (enough for the demo)
#   scripts/setup.sh --all    plus the JVM/Maven and Swift toolchains for the binding tests
set -euo pipefail
cd "$(dirname "$0")/.."

want_all=false
[[ "${1:-}" == "--all" ]] && want_all=true

log() { printf '[setup] %s\n' "$*" >&2; }

log "checking what this machine lacks"
if ! command -v cargo >/dev/null 2>&1; then
  log "cargo is missing. Install Rust 1.89 or newer (https://rustup.rs), then run this again."
  exit 1
fi
# The workspace's rust-version; an older toolchain fails deep in the build.
rustc_version=$(rustc --version 2>/dev/null | sed -n 's/^rustc \([0-9]*\)\.\([0-9]*\).*/\1 \2/p')
if [[ -n $rustc_version ]]; then
  read -r major minor <<<"$rustc_version"
  if ((major == 1 && minor < 89)); then
    log "Rust $major.$minor is too old: pushseal needs 1.89 or newer (rustup update)."
    exit 1
  fi
fi

# Debian packages, installed only when missing so that repeated runs are fast.
missing=()
need_pkg() { dpkg -s "$1" >/dev/null 2>&1 || missing+=("$1"); }
if command -v dpkg >/dev/null 2>&1; then
  need_pkg pkg-config
  need_pkg python3       # the fake Rocket.Chat server used by the tests
  need_pkg openssl
  need_pkg sqlite3       # the store test proves plain sqlite3 cannot read a store
  if $want_all; then
    command -v javac >/dev/null 2>&1 || need_pkg openjdk-17-jdk-headless
    command -v mvn >/dev/null 2>&1 || need_pkg maven
  fi
  if ((${#missing[@]})); then
    log "installing: ${missing[*]}"
    SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
else
  log "not a Debian system: make sure pkg-config, python3 and openssl are installed"
fi

if $want_all && [[ -x scripts/swift-toolchain.sh ]]; then
  scripts/swift-toolchain.sh
fi
log "ready"
