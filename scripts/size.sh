#!/usr/bin/env bash
# The size gate: builds libpushseal_ffi.so for aarch64 Linux with the
# mobile settings (scripts/mobile-profile.sh, the Android configuration of
# SQLCipher) for each configuration below, prints its stripped size, and
# fails if the default build (both protocols + fetch on receipt) is above
# the budget of 4 MB = 4,000,000 bytes (decimal, the stricter reading of
# "4 MB"; 4 MiB would allow 194,304 bytes more).
#
#   scripts/size.sh            every configuration
#   scripts/size.sh --quick    only the default one (the gated one)
#   scripts/size.sh --bloat    also the largest crates and functions of the
#                              default build (installs cargo-bloat)
#
# aarch64-unknown-linux-gnu stands in for aarch64-linux-android (no NDK
# here): same instruction set and the same Rust and C code; Android's
# binary differs by its libc stubs only. Installs the rustup target and
# Debian's gcc-aarch64-linux-gnu when missing.
#
# Time on the busy 2-core dev machine: the default configuration 375 s
# from a cold target dir (fat LTO, one codegen unit), 40-210 s when only
# some crates changed; each further configuration rebuilds the crates whose
# features change, then the LTO link (a few minutes). --quick for every CI
# run; the full list where a few more minutes do not matter.
set -euo pipefail
cd "$(dirname "$0")/.."

# name | cargo arguments for pushseal-ffi. A configuration whose features
# the crate does not have (yet) is skipped with a message.
CONFIGS=(
  "default (Rocket.Chat + Matrix + fetch)|"
  "Matrix only, with fetch|--no-default-features --features matrix,fetch"
  "offline: Rocket.Chat + Matrix, no fetch|--no-default-features --features rocketchat,matrix"
  "offline: Rocket.Chat only|--no-default-features --features rocketchat"
)
BUDGET=4000000 # bytes, 4 MB; applies to the first (default) configuration

target=aarch64-unknown-linux-gnu
quick=false
bloat=false
for arg in "$@"; do
  case "$arg" in
    --quick) quick=true ;;
    --bloat) bloat=true ;;
    *) echo "usage: scripts/size.sh [--quick] [--bloat]" >&2; exit 2 ;;
  esac
done

log() { printf '[size] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

command -v rustup >/dev/null || die "rustup is needed to add the $target target"
if ! command -v aarch64-linux-gnu-gcc >/dev/null; then
  command -v apt-get >/dev/null || die "install an aarch64 cross gcc (aarch64-linux-gnu-gcc)"
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    gcc-aarch64-linux-gnu libc6-dev-arm64-cross binutils-aarch64-linux-gnu
fi
rustup target list --installed | grep -qx "$target" || rustup target add "$target"

export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
export CC_aarch64_unknown_linux_gnu=aarch64-linux-gnu-gcc
export AR_aarch64_unknown_linux_gnu=aarch64-linux-gnu-ar
# shellcheck source=scripts/mobile-profile.sh
source scripts/mobile-profile.sh
out="${CARGO_TARGET_DIR:-target}/$target/release"

# The features pushseal-ffi declares, one a line.
ffi_features="$(cargo metadata --no-deps --format-version 1 | python3 -c '
import json, sys
for p in json.load(sys.stdin)["packages"]:
    if p["name"] == "pushseal-ffi":
        print("\n".join(p["features"]))')"

missing_features() { # cargo args -> the requested features pushseal-ffi lacks
  local args=($1) i want=()
  for ((i = 0; i < ${#args[@]}; i++)); do
    [[ "${args[i]}" == --features ]] && IFS=, read -ra want <<<"${args[i + 1]}"
  done
  for f in "${want[@]}"; do
    grep -qx "$f" <<<"$ffi_features" || printf '%s ' "$f"
  done
  if [[ " ${args[*]} " == *" --no-default-features "* ]] && ! grep -qx default <<<"$ffi_features"; then
    printf '(no default features to turn off) '
  fi
}

results=()
status=0
for i in "${!CONFIGS[@]}"; do
  $quick && ((i > 0)) && break
  name="${CONFIGS[i]%%|*}"
  args="${CONFIGS[i]#*|}"
  lacking="$(missing_features "$args")"
  if [[ -n "$lacking" ]]; then
    log "skipped \"$name\": pushseal-ffi has no feature $lacking(bindings/ffi/Cargo.toml)"
    results+=("$(printf '%-42s %s' "$name" "skipped (features not defined yet)")")
    continue
  fi
  # `cargo rustc --crate-type cdylib`, not `cargo build`: with the rlib in
  # the same build cargo leaves LTO out (scripts/mobile-profile.sh).
  log "building \"$name\": cargo rustc --release --target $target -p pushseal-ffi --lib --crate-type cdylib $args -- ${MOBILE_SO_LINK_ARGS[*]}"
  started=$(date +%s)
  # shellcheck disable=SC2086
  cargo rustc --quiet --release --target "$target" -p pushseal-ffi --lib --crate-type cdylib $args \
    -- "${MOBILE_SO_LINK_ARGS[@]}"
  stripped="$out/libpushseal_ffi.size-$i.so"
  aarch64-linux-gnu-strip -o "$stripped" "$out/libpushseal_ffi.so"
  bytes=$(stat -c %s "$stripped")
  line="$(printf '%-42s %10d bytes  %s MiB  (built in %d s)' "$name" "$bytes" \
    "$(awk -v b="$bytes" 'BEGIN { printf "%.2f", b / 1048576 }')" "$(($(date +%s) - started))")"
  if ((i == 0)); then
    if ((bytes > BUDGET)); then
      line+="  OVER the budget of $BUDGET bytes (4 MB)"
      status=1
    else
      line+="  within $BUDGET bytes (4 MB)"
    fi
    if $bloat; then
      command -v cargo-bloat >/dev/null || cargo install --locked cargo-bloat
      # cargo bloat runs `cargo build`, so its build has no LTO (see above):
      # its figures are larger than the gated library's, and show what the
      # compiler emitted before LTO dropped the unreachable parts.
      log "cargo bloat (no LTO): largest crates and functions of \"$name\""
      # shellcheck disable=SC2086
      cargo bloat --release --target "$target" -p pushseal-ffi --lib --crates -n 25 $args || true
      cargo bloat --release --target "$target" -p pushseal-ffi --lib -n 40 $args || true
    fi
  fi
  results+=("$line")
done

echo "libpushseal_ffi.so, $target, mobile settings, stripped:"
printf '  %s\n' "${results[@]}"
((status == 0)) || log "the default build is larger than 4 MB ($BUDGET bytes)"
exit "$status"
