#!/usr/bin/env bash
# Builds the pushseal-ffi library and generates its Kotlin and Swift bindings
# with uniffi-bindgen in library mode. Generated code is never committed
# (docs/bindings.md); it lands in:
#   target/bindings/kotlin/org/pushseal/pushseal_ffi.kt   (compiled by bindings/kotlin)
#   target/bindings/kotlin-android/org/pushseal/pushseal_ffi.kt   (Android's cleaner; for the AAR)
#   bindings/swift/Sources/Pushseal/Generated/Bindings.swift   (gitignored)
#   bindings/swift/Sources/pushseal_ffiFFI/pushseal_ffiFFI.h   (gitignored)
#
#   scripts/generate-bindings.sh [--release] [--library PATH]
#
#   --release       build and read target/release instead of target/debug
#   --library PATH  generate from this already-built library; build nothing
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd -P)"

profile=debug
library=""
while (($#)); do
  case "$1" in
    --release) profile=release; shift ;;
    --library) library="$2"; shift 2 ;;
    *) echo "usage: $0 [--release] [--library PATH]" >&2; exit 2 ;;
  esac
done

log() { printf '[generate-bindings] %s\n' "$*" >&2; }

if [[ -z "$library" ]]; then
  flags=(); [[ "$profile" == release ]] && flags=(--release)
  log "cargo build -p pushseal-ffi ${flags[*]}"
  cargo build -p pushseal-ffi "${flags[@]}"
  case "$(uname -s)" in
    Darwin) library="target/$profile/libpushseal_ffi.dylib" ;;
    *) library="target/$profile/libpushseal_ffi.so" ;;
  esac
fi
[[ -f "$library" ]] || { log "no library at $library"; exit 1; }

# The generator comes from the same pinned uniffi as the library.
cargo build -q -p pushseal-uniffi-bindgen
bindgen="target/debug/uniffi-bindgen"

out="target/bindings"
rm -rf "$out/kotlin" "$out/swift"
rm -rf "$out/kotlin-android"
"$bindgen" generate --library "$library" --language kotlin --out-dir "$out/kotlin" --no-format
"$bindgen" generate --library "$library" --language kotlin --out-dir "$out/kotlin-android" --no-format \
  --config bindings/ffi/uniffi-android.toml
"$bindgen" generate --library "$library" --language swift --out-dir "$out/swift" --no-format

swift_pkg="bindings/swift/Sources"
mkdir -p "$swift_pkg/Pushseal/Generated" "$swift_pkg/pushseal_ffiFFI"
cp "$out/swift/Pushseal.swift" "$swift_pkg/Pushseal/Generated/Bindings.swift"
cp "$out/swift/pushseal_ffiFFI.h" "$swift_pkg/pushseal_ffiFFI/pushseal_ffiFFI.h"
log "generated from $library:"
log "  $out/kotlin/org/pushseal/pushseal_ffi.kt"
log "  $swift_pkg/Pushseal/Generated/Bindings.swift, $swift_pkg/pushseal_ffiFFI/pushseal_ffiFFI.h"
log "library directory for tests: $repo/$(dirname "$library")"
