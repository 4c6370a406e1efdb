#!/usr/bin/env bash
# Packages pushseal for iOS: PushsealFFI.xcframework (the static library for
# devices and simulators, with the C header and module map), a zip of it with
# its SwiftPM checksum, and a Swift package that wraps it with the generated
# and hand-written Swift. See docs/packaging.md.
#
#   scripts/package-xcframework.sh [OUT_DIR]     (default: target/ios)
#
# Needs macOS with Xcode (xcodebuild, lipo, swift) and rustup. It cannot run
# on Linux, and was written without a Mac to try it on: treat the first run
# on one as its test.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd -P)"
out="${1:-target/ios}"
[[ "$out" == /* ]] || out="$repo/$out"

log() { printf '[package-xcframework] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

[[ "$(uname -s)" == Darwin ]] || die "needs macOS with Xcode (xcodebuild, lipo)"
for tool in xcodebuild lipo swift cargo; do
  command -v "$tool" >/dev/null || die "$tool not found"
done

# shellcheck source=scripts/mobile-profile.sh
source scripts/mobile-profile.sh
# The oldest iOS the library supports; the Swift package says the same.
export IPHONEOS_DEPLOYMENT_TARGET="${IPHONEOS_DEPLOYMENT_TARGET:-15.0}"

device=aarch64-apple-ios
simulators=(aarch64-apple-ios-sim x86_64-apple-ios)
if command -v rustup >/dev/null; then
  rustup target add "$device" "${simulators[@]}"
fi

for target in "$device" "${simulators[@]}"; do
  log "cargo build --release --target $target"
  cargo build -p pushseal-ffi --release --target "$target"
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
