#!/usr/bin/env bash
# Type-checks the Android-only Rust code (bindings/ffi/src/android.rs, the
# platform verifier's Android path, SQLCipher's Android build) with
#   cargo check -p pushseal-ffi --target aarch64-linux-android
# on a machine without the Android NDK. The C parts (SQLCipher, ring) still
# have to compile for the target, so zig's clang (PyPI `ziglang`) stands in
# for the NDK's, behind wrappers named like the NDK's compiler, targeting
# aarch64 Linux with musl's headers. Nothing is linked: linking a real
# Android .so needs the NDK (scripts/package-aar.sh).
#
#   scripts/check-android.sh
#
# Installs what it needs: the rustup target, and ziglang into a venv under
# ${XDG_CACHE_HOME:-~/.cache}/pushseal/ziglang. On the busy 2-core dev
# machine: installing ziglang took ~4 min once (a ~50 MB wheel); the check
# itself 105 s from a target dir without Android artefacts (most of it
# SQLCipher's and ring's C), ~1 s warm. Fast enough for every CI run.
set -euo pipefail
cd "$(dirname "$0")/.."
target=aarch64-linux-android
api=24

log() { printf '[check-android] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

command -v rustup >/dev/null || die "rustup is needed to add the $target target"
rustup target list --installed | grep -qx "$target" || rustup target add "$target"

cache="${XDG_CACHE_HOME:-$HOME/.cache}/pushseal"
venv="$cache/ziglang"
if ! "$venv/bin/python" -m ziglang version >/dev/null 2>&1; then
  log "installing ziglang (zig's clang) into $venv"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet ziglang
fi
log "zig $("$venv/bin/python" -m ziglang version)"

# The wrappers: named as the NDK names its compiler, they drop the target
# the cc crate passes and compile for aarch64 Linux/musl instead.
bin="$cache/android-zig-bin"
mkdir -p "$bin"
cat >"$bin/$target$api-clang" <<EOF
#!/usr/bin/env bash
args=()
skip=false
for a in "\$@"; do
  if \$skip; then skip=false; continue; fi
  case "\$a" in
    --target=*|-target=*) ;;
    -target|--target) skip=true ;;
    *) args+=("\$a") ;;
  esac
done
exec "$venv/bin/python" -m ziglang cc -target aarch64-linux-musl "\${args[@]}"
EOF
cat >"$bin/llvm-ar" <<EOF
#!/usr/bin/env bash
exec "$venv/bin/python" -m ziglang ar "\$@"
EOF
chmod +x "$bin/$target$api-clang" "$bin/llvm-ar"

export CC_aarch64_linux_android="$bin/$target$api-clang"
export AR_aarch64_linux_android="$bin/llvm-ar"

started=$(date +%s)
cargo check -p pushseal-ffi --target "$target" "$@"
log "cargo check for $target done in $(($(date +%s) - started)) s"
