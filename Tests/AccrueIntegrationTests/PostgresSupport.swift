@testable import AccruePostgres
import Foundation
import XCTest

/// The test PostgreSQL server: `ACCRUE_TEST_POSTGRES` (scripts/test starts a throwaway one and
/// sets it). Each store under test gets a database of its own, dropped when the test case ends.
enum TestPostgres {
    /// The server's URL. Without it the test fails, unless `ACCRUE_SKIP_POSTGRES=1` says to skip.
    static func url() throws -> String {
        let environment = ProcessInfo.processInfo.environment
        if let url = environment["ACCRUE_TEST_POSTGRES"], !url.isEmpty { return url }
        if environment["ACCRUE_SKIP_POSTGRES"] == "1" {
            throw XCTSkip("ACCRUE_SKIP_POSTGRES=1: the PostgreSQL store is not tested")
        }
        throw Missing()
    }

    /// Why a PostgreSQL test cannot run: thrown, it fails the test with this message.
    struct Missing: Error, CustomStringConvertible {
        var description: String {
            "ACCRUE_TEST_POSTGRES is not set: run the tests through scripts/test, which starts a throwaway PostgreSQL "
                + "(or set ACCRUE_TEST_POSTGRES=postgres://user@host:port/db yourself, or ACCRUE_SKIP_POSTGRES=1 to skip these tests)"
        }
    }

    /// Creates an empty database on the test server and returns its URL; `cleanup` drops it.
    static func freshDatabase(cleanup test: XCTestCase) throws -> String {
        let server = try url()
        let name = "accrue_t_\(UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: ""))"
        try maintenance(server, "CREATE DATABASE \(name)")
        test.addTeardownBlock {
            try? maintenance(server, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
        }
        var parts = URLComponents(string: server)!
        parts.path = "/\(name)"
        return parts.string!
    }

    /// Runs one statement on the server's own database, outside any store.
    static func maintenance(_ server: String, _ sql: String) throws {
        let pool = ConnectionPool(url: try PostgresURL(server), limit: 1)
        defer { pool.close() }
        _ = try pool.with { try $0.run(sql) }
    }
}
