// swift-tools-version:6.0
// A check package for the sample extension, for Linux CI
// (scripts/check-samples.sh): it compiles the real
// NotificationService/NotificationService.swift in Swift 6 language mode
// (complete concurrency checking) against the Pushseal bindings and small
// stand-ins for the Apple frameworks it uses (Stubs/, each says what it
// replaces), and XCTest drives it with real vectors and the real library.
// Apps do not use this package: they add NotificationService.swift to their
// extension target (README.md).
import PackageDescription

let package = Package(
    name: "NotificationServiceCheck",
    dependencies: [.package(path: "../bindings/swift")],
    targets: [
        .target(name: "UserNotifications", path: "Stubs/UserNotifications"),
        .target(name: "Security", path: "Stubs/Security"),
        .target(name: "AppGroupContainer", path: "Stubs/AppGroupContainer"),
        .target(
            name: "NotificationService",
            dependencies: [
                "UserNotifications", "Security", "AppGroupContainer",
                .product(name: "Pushseal", package: "swift"),
            ],
            path: "NotificationService",
            // On iOS, containerURL(forSecurityApplicationGroupIdentifier:)
            // comes with Foundation; here the stand-in module is imported
            // implicitly so that the sample compiles unchanged.
            swiftSettings: [.unsafeFlags(["-Xfrontend", "-import-module", "-Xfrontend", "AppGroupContainer"])]
        ),
        .testTarget(
            name: "NotificationServiceTests",
            dependencies: ["NotificationService", "UserNotifications", "Security", "AppGroupContainer",
                           .product(name: "Pushseal", package: "swift")],
            path: "Tests/NotificationServiceTests"
        ),
    ],
    swiftLanguageModes: [.v6]
)
