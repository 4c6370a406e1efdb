#!/usr/bin/env bash
# Packages pushseal for iOS: PushsealFFI.xcframework (the static library for
# devices and simulators, with the C header and module map), a zip of it with
# its SwiftPM checksum, and a Swift package that wraps it with the generated
# and hand-written Swift. See docs/packaging.md.
#
#   scripts/package-xcframework.sh [OUT_DIR]     (default: target/ios)
#   scripts/package-xcframework.sh --check       only check the prerequisites
#
# Needs macOS with Xcode (not only the Command Line Tools: the iOS and
# simulator SDKs), and rustup. Without them it stops before building or
# deleting anything, names every missing piece, and exits with status 3.
# This project's machines run Linux: there only that early stop is tested
# (scripts/check-samples.sh); treat the first run on a Mac as the test of
# the rest.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd -P)"
check_only=false
[[ "${1:-}" == --check ]] && { check_only=true; shift; }
out="${1:-target/ios}"
[[ "$out" == /* ]] || out="$repo/$out"

log() { printf '[package-xcframework] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Every prerequisite is checked before anything is built or deleted.
missing=()
if [[ "$(uname -s)" != Darwin ]]; then
  missing+=("macOS: XCFrameworks are made by Xcode, which runs only there (this is $(uname -s))")
else
  if ! command -v xcodebuild >/dev/null || ! xcodebuild -version >/dev/null 2>&1; then
    missing+=("Xcode: install it from the App Store, then sudo xcode-select -s /Applications/Xcode.app")
  else
    for sdk in iphoneos iphonesimulator; do
      xcrun --sdk "$sdk" --show-sdk-path >/dev/null 2>&1 \
        || missing+=("the $sdk SDK: xcode-select -p must point at Xcode, not the Command Line Tools")
    done
  fi
  for tool in lipo swift ditto; do
    command -v "$tool" >/dev/null || missing+=("$tool (comes with Xcode)")
  done
fi
command -v cargo >/dev/null || missing+=("cargo (Rust, https://rustup.rs)")
command -v rustup >/dev/null || missing+=("rustup, to add the iOS targets")
if ((${#missing[@]})); then
  log "cannot package for iOS on this machine; missing:"
  for m in "${missing[@]}"; do log "  - $m"; done
  log "nothing was built or deleted. Without a Mac, scripts/check-samples.sh --ios"
  log "still compiles and tests the sample extension and the Swift bindings (docs/packaging.md)."
  exit 3
fi
if $check_only; then
  log "all prerequisites found ($(xcodebuild -version | head -n 1))"
  exit 0
fi

# shellcheck source=scripts/mobile-profile.sh
source scripts/mobile-profile.sh
# The oldest iOS the library supports; the Swift package says the same.
export IPHONEOS_DEPLOYMENT_TARGET="${IPHONEOS_DEPLOYMENT_TARGET:-15.0}"

device=aarch64-apple-ios
simulators=(aarch64-apple-ios-sim x86_64-apple-ios)
rustup target add "$device" "${simulators[@]}"

for target in "$device" "${simulators[@]}"; do
  # cargo rustc: LTO happens only without the rlib (scripts/mobile-profile.sh)
  log "cargo rustc --release --target $target --crate-type staticlib"
  cargo rustc -p pushseal-ffi --lib --release --target "$target" --crate-type staticlib
done

# Bindings from a host build: the interface does not depend on the target.
log "generating the Swift bindings"
scripts/generate-bindings.sh --release

rm -rf "$out"
mkdir -p "$out/include" "$out/sim"
cp bindings/swift/Sources/pushseal_ffiFFI/pushseal_ffiFFI.h "$out/include/"
cp bindings/swift/Sources/pushseal_ffiFFI/pushseal_contract.h "$out/include/"
# No `link` line, unlike the development package's module map: Xcode links
# the XCFramework's library itself.
cat >"$out/include/module.modulemap" <<'MAP'
module pushseal_ffiFFI {
    header "pushseal_ffiFFI.h"
    header "pushseal_contract.h"
    export *
}
MAP

# One library per platform: the two simulator architectures share a slice.
lipo -create \
  "target/aarch64-apple-ios-sim/release/libpushseal_ffi.a" \
  "target/x86_64-apple-ios/release/libpushseal_ffi.a" \
  -output "$out/sim/libpushseal_ffi.a"

log "xcodebuild -create-xcframework"
xcodebuild -create-xcframework \
  -library "target/$device/release/libpushseal_ffi.a" -headers "$out/include" \
  -library "$out/sim/libpushseal_ffi.a" -headers "$out/include" \
  -output "$out/PushsealFFI.xcframework"

(cd "$out" && ditto -c -k --sequesterRsrc --keepParent PushsealFFI.xcframework PushsealFFI.xcframework.zip)
checksum="$(swift package compute-checksum "$out/PushsealFFI.xcframework.zip")"
printf '%s\n' "$checksum" >"$out/PushsealFFI.xcframework.zip.checksum"

# A Swift package for apps: the XCFramework as a binary target plus the Swift
# sources. For a release, upload the zip and replace `path:` with
# `url: "<where the zip is>", checksum: "<the checksum above>"`.
pkg="$out/Pushseal"
mkdir -p "$pkg/Sources/Pushseal"
cp bindings/swift/Sources/Pushseal/*.swift "$pkg/Sources/Pushseal/"
cp bindings/swift/Sources/Pushseal/Generated/Bindings.swift "$pkg/Sources/Pushseal/"
cp -R "$out/PushsealFFI.xcframework" "$pkg/"
cat >"$pkg/Package.swift" <<'SWIFT'
// swift-tools-version:5.9
import PackageDescription

let package = Package(
    name: "Pushseal",
    platforms: [.iOS(.v15)],
    products: [.library(name: "Pushseal", targets: ["Pushseal"])],
    targets: [
        // Named after the C module inside the XCFramework.
        .binaryTarget(name: "pushseal_ffiFFI", path: "PushsealFFI.xcframework"),
        .target(
            name: "Pushseal",
            dependencies: ["pushseal_ffiFFI"],
            // SQLCipher on Apple platforms uses CommonCrypto and SecRandom.
            linkerSettings: [.linkedFramework("Security")]
        ),
    ]
)
SWIFT

log "done: $out/PushsealFFI.xcframework, $out/PushsealFFI.xcframework.zip (checksum $checksum), $pkg"
ls -l "target/$device/release/libpushseal_ffi.a" "$out/sim/libpushseal_ffi.a" >&2
