import AccrueCore
import AccrueServer
import Foundation
import Hummingbird
import HummingbirdTesting
import XCTest

/// Every documented limit, at the limit and one past it.
final class LimitsTests: XCTestCase {
    func testLimitsAtAndOnePast() async throws {
        let harness = try Harness()
        defer { harness.remove() }
        try await harness.application().test(.router) { client in
            let key = harness.key
            func signIn(_ i: Int) -> String { input("s\(i)", "member.signed_in", "m\(i % 50)", "2026-11-01T05:00:00Z") }

            // Inputs per batch: 1000, then 1001.
            let full = "{\"inputs\":[\((0..<APILimits.maximumBatchInputs).map(signIn).joined(separator: ","))]}"
            let accepted = try await client.call(.post, "/v1/programs/jd-points/batches", bearer: key, body: full)
            XCTAssertEqual(accepted.status, 200)
            let over = "{\"inputs\":[\((0...APILimits.maximumBatchInputs).map(signIn).joined(separator: ","))]}"
            let refused = try await client.call(.post, "/v1/programs/jd-points/batches", bearer: key, body: over)
            XCTAssertEqual(refused.status, 422)
            XCTAssertEqual(refused.code, "batch_too_large")

            // A single input: 64 KiB, then one byte more (padding is white space after the object).
            let one = input("big", "member.signed_in", "alice", "2026-11-01T05:00:00Z")
            let atLimit = one + String(repeating: " ", count: Limits.maximumInputBytes - one.utf8.count)
            do { let answer = try await client.call(.post, "/v1/programs/jd-points/inputs", bearer: key, body: atLimit); XCTAssertEqual(answer.status, 200) }
            let past = try await client.call(.post, "/v1/programs/jd-points/inputs", bearer: key, body: atLimit + " ")
            XCTAssertEqual(past.status, 413)
            XCTAssertEqual(past.code, "body_too_large")

            // Any body: 1 MiB, then one byte more.
            let small = "{\"inputs\":[\(signIn(1))]}"
            let mebibyte = small + String(repeating: " ", count: APILimits.maximumBodyBytes - small.utf8.count)
            do { let answer = try await client.call(.post, "/v1/programs/jd-points/batches", bearer: key, body: mebibyte); XCTAssertEqual(answer.status, 200) }
            do { let answer = try await client.call(.post, "/v1/programs/jd-points/batches", bearer: key, body: mebibyte + " "); XCTAssertEqual(answer.status, 413) }

            // Page size: 200, then 201, and 0.
            let history = "/v1/programs/jd-points/members/m1/history"
            do { let answer = try await client.call(.get, history + "?limit=\(APILimits.maximumPageSize)", bearer: key); XCTAssertEqual(answer.status, 200) }
            do { let answer = try await client.call(.get, history + "?limit=\(APILimits.maximumPageSize + 1)", bearer: key); XCTAssertEqual(answer.code, "invalid_query") }
            do { let answer = try await client.call(.get, history + "?limit=0", bearer: key); XCTAssertEqual(answer.code, "invalid_query") }

            // Ids in paths: 200 characters, then 201.
            let longest = String(repeating: "m", count: APILimits.maximumIDLength)
            do { let answer = try await client.call(.get, "/v1/programs/jd-points/members/\(longest)", bearer: key); XCTAssertEqual(answer.code, "member_not_found") }
            do { let answer = try await client.call(.get, "/v1/programs/jd-points/members/\(longest)m", bearer: key); XCTAssertEqual(answer.code, "invalid_path") }

            // Token lifetimes: 86,400 seconds, then 86,401.
            let member = "/v1/programs/jd-points/members/alice/token"
            do { let answer = try await client.call(.post, member, bearer: key, body: "{\"ttl_seconds\":86400}"); XCTAssertEqual(answer.status, 201) }
            do { let answer = try await client.call(.post, member, bearer: key, body: "{\"ttl_seconds\":86401}"); XCTAssertEqual(answer.code, "invalid_field") }

            // Report windows: 366 days, then 367.
            let report = "/v1/programs/jd-points/reports/daily"
            do { let answer = try await client.call(.get, report + "?from=2025-01-01&to=2026-01-01", bearer: key); XCTAssertEqual(answer.status, 200) }
            do { let answer = try await client.call(.get, report + "?from=2024-12-31&to=2026-01-01", bearer: key); XCTAssertEqual(answer.code, "invalid_query") }

            // Webhook URLs: 2048 characters, then 2049.
            let base = "http://127.0.0.1:9/"
            let url = base + String(repeating: "a", count: APILimits.maximumURLLength - base.count)
            let hooks = "/v1/programs/jd-points/webhooks"
            do { let answer = try await client.call(.post, hooks, bearer: key, body: "{\"url\":\"\(url)\"}"); XCTAssertEqual(answer.status, 201) }
            do { let answer = try await client.call(.post, hooks, bearer: key, body: "{\"url\":\"\(url)a\"}"); XCTAssertEqual(answer.code, "invalid_field") }

            // Webhook URLs as the document's pattern says: http(s), a plain host, RFC 3986 paths.
            for bad in ["ftp://127.0.0.1/", "https://a.test*", "http://h/%0", "http://h/a b", "http://[::1]/", "https://"] {
                let answer = try await client.call(.post, hooks, bearer: key, body: JSON.object([("url", .string(bad))]).canonical)
                XCTAssertEqual(answer.code, "invalid_field", bad)
            }
            let good = try await client.call(.post, hooks, bearer: key, body: "{\"url\":\"https://shop.example:8443/hooks/a%20b?x=1\"}")
            XCTAssertEqual(good.status, 201, good.text)

            // Malformed bodies and unknown fields.
            do { let answer = try await client.call(.post, hooks, bearer: key, body: "{\"url\": "); XCTAssertEqual(answer.code, "malformed_body") }
            do { let answer = try await client.call(.post, hooks, bearer: key, body: "[1]"); XCTAssertEqual(answer.code, "malformed_body") }
            do { let answer = try await client.call(.post, hooks, bearer: key, body: "{\"url\":\"\(base)\",\"colour\":1}"); XCTAssertEqual(answer.code, "unknown_field") }
            do { let answer = try await client.call(.post, hooks, bearer: key, body: "{\"url\":\"\(base)\",\"url\":\"\(base)\"}"); XCTAssertEqual(answer.code, "malformed_body") }
            do { let answer = try await client.call(.get, "/v1/nowhere", bearer: key); XCTAssertEqual(answer.code, "no_such_route") }
        }
    }
}
