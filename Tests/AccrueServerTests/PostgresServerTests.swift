import AccrueCore
import AccruePostgres
import AccrueServer
import AccrueStore
import Foundation
import Hummingbird
import HummingbirdTesting
import XCTest

/// The same service on PostgreSQL, and two services sharing one database as two servers would.
/// A fresh database on the test server (scripts/test starts one), dropped after the test.
func testDatabase(_ test: XCTestCase) throws -> String {
        let environment = ProcessInfo.processInfo.environment
        guard let server = environment["ACCRUE_TEST_POSTGRES"], !server.isEmpty else {
            if environment["ACCRUE_SKIP_POSTGRES"] == "1" { throw XCTSkip("ACCRUE_SKIP_POSTGRES=1") }
            throw NSError(domain: "accrue", code: 1, userInfo: [NSLocalizedDescriptionKey:
                "ACCRUE_TEST_POSTGRES is not set: run the tests through scripts/test, which starts a throwaway PostgreSQL"])
        }
        let name = "accrue_s_" + UUID().uuidString.prefix(8).lowercased()
        let url = try PostgresStore.createDatabase(name, on: server)
        test.addTeardownBlock { try? PostgresStore.dropDatabase(name, on: server) }
        return url
}

final class PostgresServerTests: XCTestCase {
    func testTwoServersOnOneDatabaseShareOneLedger() async throws {
        let url = try testDatabase(self)
        let first = try Harness(store: try PostgresStore(url: url))
        defer { first.remove() }
        // A second server process on the same database: its own store, its own service.
        let second = try AccrueService(store: try PostgresStore(url: url), configuration: first.service.configuration)
        try await first.application().test(.router) { a in
            try await Application(router: second.router()).test(.router) { b in
                let key = first.key
                let order = input("o1", "order.completed", "alice", "2026-11-01T02:00:00Z",
                                  "{\"order\":\"A1\",\"amount\":\"100.00\",\"currency\":\"CNY\"}")
                let answer = try await a.call(.post, "/v1/programs/jd-points/inputs", bearer: key, body: order)
                XCTAssertEqual(answer.status, 200, answer.text)
                XCTAssertEqual(number(answer["points"]), 200, "doubled by the 11.11 campaign")
                // The same input sent to the other server is a replay, not a second award.
                let again = try await b.call(.post, "/v1/programs/jd-points/inputs", bearer: key, body: order)
                XCTAssertEqual(again["replayed"], .bool(true), again.text)
                // Both servers write; each reads what the other committed.
                try await b.call(.post, "/v1/programs/jd-points/inputs", bearer: key,
                                 body: input("r1", "review.posted", "alice", "2026-11-01T03:00:00Z", "{\"order\":\"A1\",\"product\":\"p\"}"))
                for client in [a, b] {
                    let member = try await client.call(.get, "/v1/programs/jd-points/members/alice", bearer: key)
                    XCTAssertEqual(number(member["pending"]), 200, member.text)
                    XCTAssertEqual(number(member["balance"]), 20, member.text)
                }
                // A program opened on one server is served by the other after its clock's sync.
                let created = try await a.call(.post, "/v1/programs", bearer: key, body: "{\"id\":\"store-9\",\"preset\":\"aliexpress-store\"}")
                XCTAssertEqual(created.status, 201, created.text)
                await second.runDueWork()
                try await second.syncPrograms()
                let member = try await b.call(.post, "/v1/programs/store-9/inputs", bearer: key,
                                              body: input("s1", "member.signed_in", "ann", "2026-11-01T03:00:00Z"))
                XCTAssertEqual(member.status, 200, member.text)
            }
        }
    }
}
