// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "Accrue",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "accrue", targets: ["accrue"]),
        .executable(name: "accrue-bench", targets: ["accrue-bench"]),
        .library(name: "AccrueCore", targets: ["AccrueCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
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
            // SQLite's C API, which GRDB links: the hot inserts bind their values directly.
            .product(name: "GRDBSQLite", package: "GRDB.swift"),
        ]),
        // The PostgreSQL store (PostgresNIO), for several servers on one database.
        .target(name: "AccruePostgres", dependencies: [
            "AccrueCore", "AccrueStore",
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The HTTP service: routes, keys and member tokens, webhooks, reports. It knows the store
        // only through its protocols; the command line chooses SQLite or PostgreSQL.
        .target(name: "AccrueServer", dependencies: [
            "AccrueCore", "AccruePrograms", "AccrueStore",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "Yams", package: "Yams"),
        ], resources: [.copy("openapi.yaml")]),
        // The command-line tool.
        .executableTarget(name: "accrue", dependencies: [
            "AccrueCore", "AccruePrograms", "AccrueStore", "AccrueSQLite", "AccruePostgres", "AccrueServer",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // The benchmark's workload generator, shared by the benchmark and its test.
        .target(name: "AccrueBench", dependencies: ["AccrueCore"]),
        // The benchmark: each step beside a baseline measured in the same run (docs/PERFORMANCE.md).
        .executableTarget(name: "accrue-bench", dependencies: [
            "AccrueCore", "AccruePrograms", "AccrueStore", "AccrueSQLite", "AccruePostgres", "AccrueBench",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .testTarget(name: "AccrueCoreTests", dependencies: ["AccrueCore", "AccruePrograms", "AccrueBench"]),
        .testTarget(name: "AccrueIntegrationTests", dependencies: [
            "AccrueCore", "AccruePrograms", "AccrueStore", "AccrueSQLite", "AccruePostgres", "AccrueBench",
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        .testTarget(name: "AccrueServerTests", dependencies: [
            "AccrueCore", "AccruePrograms", "AccrueStore", "AccrueSQLite", "AccruePostgres", "AccrueServer", "AccrueBench",
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
    ]
)
