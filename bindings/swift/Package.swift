// swift-tools-version:5.9
// pushseal's Swift bindings for local development and the Linux/macOS tests:
// the uniffi-generated Swift and C header (copied in by
// scripts/generate-bindings.sh, not in git), a system-library module for the
// header, and the hand-written layer. It links libpushseal_ffi from the cargo
// build; apps use the XCFramework instead (docs/packaging.md).
import Foundation
import PackageDescription

// scripts/test-bindings.sh sets PUSHSEAL_LIB_DIR; the default is the
// repository's debug build.
let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
let libDir = ProcessInfo.processInfo.environment["PUSHSEAL_LIB_DIR"]
    ?? here.appendingPathComponent("../../target/debug").standardizedFileURL.path

let package = Package(
    name: "Pushseal",
    platforms: [.macOS(.v12), .iOS(.v15)],
    products: [.library(name: "Pushseal", targets: ["Pushseal"])],
    targets: [
        .systemLibrary(name: "pushseal_ffiFFI", path: "Sources/pushseal_ffiFFI"),
        .target(
            name: "Pushseal",
            dependencies: ["pushseal_ffiFFI"],
            path: "Sources/Pushseal",
            linkerSettings: [.unsafeFlags(["-L", libDir, "-Xlinker", "-rpath", "-Xlinker", libDir])]
        ),
        .testTarget(name: "PushsealTests", dependencies: ["Pushseal"], path: "Tests/PushsealTests"),
    ]
)
