// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "Accrue",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "accrue", targets: ["accrue"]),
        .library(name: "AccrueCore", targets: ["AccrueCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // The domain and the pure state machine. Imports nothing of ours and does no I/O.
        .target(name: "AccrueCore"),
        // Program files: YAML decoding and validation with file/line/field errors.
        .target(name: "AccruePrograms", dependencies: [
            "AccrueCore",
            .product(name: "Yams", package: "Yams"),
        ]),
        // The store protocol, the in-memory store and the engine that drives Core against a store.
        .target(name: "AccrueStore", dependencies: ["AccrueCore"]),
        // The embedded SQLite store (GRDB, WAL).
        .target(name: "AccrueSQLite", dependencies: [
            "AccrueCore", "AccrueStore",
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        // The command-line tool.
        .executableTarget(name: "accrue", dependencies: [
            "AccrueCore", "AccruePrograms", "AccrueStore", "AccrueSQLite",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .testTarget(name: "AccrueCoreTests", dependencies: ["AccrueCore", "AccruePrograms"]),
        .testTarget(name: "AccrueIntegrationTests", dependencies: [
            "AccrueCore", "AccruePrograms", "AccrueStore", "AccrueSQLite",
        ]),
    ]
)
