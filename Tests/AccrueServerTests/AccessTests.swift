import AccrueCore
import AccrueServer
import Foundation
import Hummingbird
import HummingbirdTesting
import XCTest

/// Who may do what, for every route the router serves: each cross-program, cross-member, unscoped
/// or unauthenticated call is refused, and the refusal leaks nothing.
final class AccessTests: XCTestCase {
    static let publicRoutes: Set<String> = ["GET /health", "GET /ready", "GET /metrics", "GET /openapi.json"]

    /// A concrete path for a route: alice of jd-points, and ids that do not exist.
    static func path(_ route: String, program: String = "jd-points", member: String = "alice") -> String {
        route.replacingOccurrences(of: "{program}", with: program).replacingOccurrences(of: "{member}", with: member)
            .replacingOccurrences(of: "{input}", with: "in-1").replacingOccurrences(of: "{webhook}", with: "wh_0")
            .replacingOccurrences(of: "{key}", with: "key_0").replacingOccurrences(of: "{draw}", with: "nov-draw")
    }

    /// A body each route accepts, so that a refusal is about access, not the body.
    static func body(_ route: String) -> String? {
        switch route {
        case "POST /v1/programs": return "{\"id\":\"p-new\",\"preset\":\"jd-points\"}"
        case "PUT /v1/programs/{program}": return "{\"source\":\"id: x\"}"
        case "POST /v1/programs/{program}/inputs": return input("in-9", "member.signed_in", "alice", "2026-11-01T05:00:00Z")
        case "POST /v1/programs/{program}/batches": return "{\"inputs\":[\(input("in-8", "member.signed_in", "alice", "2026-11-01T05:00:00Z"))]}"
        case "POST /v1/programs/{program}/members/{member}/token": return "{\"ttl_seconds\":60}"
        case "POST /v1/programs/{program}/checkout/quote": return "{\"member\":\"alice\",\"order_amount\":\"10.00\"}"
        case "POST /v1/programs/{program}/bookings/quote": return "{\"services\":[]}"
        case "POST /v1/programs/{program}/webhooks": return "{\"url\":\"http://127.0.0.1:9/\"}"
        case "POST /v1/keys": return "{\"name\":\"k\",\"program\":\"jd-points\",\"scopes\":[\"admin\"]}"
        default: return nil
        }
    }

    /// A refusal must be a problem document and say nothing about the member.
    static func assertRefused(_ answer: Answer, _ status: Int, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(answer.status, status, "\(what): \(answer.text)", file: file, line: line)
        XCTAssertEqual(answer.contentType, "application/problem+json", what, file: file, line: line)
        XCTAssertFalse(answer.text.contains("1234"), "\(what) leaks the balance", file: file, line: line)
        guard case let .object(fields) = answer.json else { return XCTFail(what, file: file, line: line) }
        XCTAssertEqual(Set(fields.map(\.0)), ["type", "title", "status", "code", "detail"], what, file: file, line: line)
    }

    func testEveryRouteRefusesWhoMayNotUseIt() async throws {
        let harness = try Harness()
        defer { harness.remove() }
        // The pages (cookie sessions, HTML refusals) have their own test: PageAccessTests.
        let routes = harness.service.router().routes.filter { !AccrueService.isPage("\($0.path)") }
            .map { "\($0.method) \($0.path)" }.filter { !AccessTests.publicRoutes.contains($0) }
        XCTAssertGreaterThan(routes.count, 20)
        try await harness.application().test(.router) { client in
            let admin = harness.key
            try await client.call(.post, "/v1/programs/jd-points/inputs", bearer: admin,
                                  body: input("a1", "points.adjusted", "alice", "2026-11-01T01:00:00Z", "{\"points\":1234,\"reason\":\"seed\"}"))
            try await client.call(.post, "/v1/programs/jd-points/inputs", bearer: admin,
                                  body: input("b1", "member.signed_in", "bob", "2026-11-01T01:00:00Z"))
            let otherProgram = try await client.makeKey(admin, program: "aliexpress-store", scopes: ["admin"])
            let readOnly = try await client.makeKey(admin, program: "jd-points", scopes: ["members:read"])
            let writeOnly = try await client.makeKey(admin, program: "jd-points", scopes: ["inputs:write"])
            let bobToken = try await client.token(admin, program: "jd-points", member: "bob")
            let aliceToken = try await client.token(admin, program: "jd-points", member: "alice", seconds: 60)
            let storeToken = try await client.token(admin, program: "aliexpress-store", member: "alice")
            var tampered = Array(aliceToken)
            tampered[tampered.count - 3] = tampered[tampered.count - 3] == "A" ? "B" : "A"
            let (revoked, revokedID) = try await client.makeKeyAndID(admin, program: "jd-points", scopes: ["admin"])
            let keys = try await client.call(.get, "/v1/keys", bearer: admin)
            XCTAssertTrue(keys.text.contains(revokedID))
            XCTAssertFalse(keys.text.contains(revoked), "a key's text is never shown again")
            do { let answer = try await client.call(.delete, "/v1/keys/\(revokedID)", bearer: admin); XCTAssertEqual(answer.status, 204) }

            var checked = 0
            for route in routes {
                let parts = route.split(separator: " ", maxSplits: 1).map(String.init)
                let method = HTTPRequest.Method(rawValue: parts[0])!
                let path = AccessTests.path(parts[1])
                let body = AccessTests.body(route)
                func call(_ bearer: String?) async throws -> Answer { try await client.call(method, path, bearer: bearer, body: body) }

                AccessTests.assertRefused(try await call(nil), 401, "\(route) without a credential")
                AccessTests.assertRefused(try await call("ak_0123456789abcdef"), 401, "\(route) with an unknown key")
                AccessTests.assertRefused(try await call(revoked), 401, "\(route) with a revoked key")
                AccessTests.assertRefused(try await call(String(tampered)), 401, "\(route) with a tampered member token")
                checked += 4
                if parts[1].contains("{program}") {
                    AccessTests.assertRefused(try await call(otherProgram), 403, "\(route) with another program's key")
                    checked += 1
                }
                // Member tokens read only their own member: bob's token and a token of another
                // program get nothing of alice's, on every route.
                if !["GET /v1/me", "GET /v1/me/history", "GET /v1/programs/{program}/catalogue", "POST /v1/programs/{program}/bookings/quote",
                      "GET /v1/programs/{program}/draws/{draw}"].contains(route) {
                    AccessTests.assertRefused(try await call(bobToken), 403, "\(route) with another member's token")
                    AccessTests.assertRefused(try await call(storeToken), 403, "\(route) with another program's member token")
                    checked += 2
                }
                // A key without the scope a route needs.
                let needsWrite = route.hasPrefix("POST /v1/programs/{program}/inputs")
                let needsAdmin = route.contains("webhooks") || route.contains("/v1/keys") || route == "POST /v1/programs"
                    || route == "PUT /v1/programs/{program}" || route == "POST /v1/programs/{program}/retire"
                if needsWrite || needsAdmin {
                    AccessTests.assertRefused(try await call(readOnly), 403, "\(route) with a read-only key")
                    checked += 1
                }
                if route.contains("{member}") || route.contains("reports") || route.contains("{input}") || route.hasSuffix("/bookings") {
                    AccessTests.assertRefused(try await call(writeOnly), 403, "\(route) with a write-only key")
                    checked += 1
                }
            }
            XCTAssertGreaterThan(checked, 150)
            print("access: \(checked) refusals checked over \(routes.count) routes")

            // What each may do: its own member, its own program.
            do { let answer = try await client.call(.get, "/v1/me", bearer: aliceToken); XCTAssertEqual(answer.status, 200) }
            do { let answer = try await client.call(.get, "/v1/programs/jd-points/members/alice", bearer: aliceToken); XCTAssertEqual(answer.status, 200) }
            do { let answer = try await client.call(.get, "/v1/programs/jd-points/members/alice", bearer: readOnly); XCTAssertEqual(answer.status, 200) }
            let listed = try await client.call(.get, "/v1/programs", bearer: otherProgram)
            XCTAssertEqual(listed.status, 200)
            XCTAssertFalse(listed.text.contains("jd-points"), "a program's key lists only its program")
            // An expired token.
            harness.clock.advance(minutes: 2)
            AccessTests.assertRefused(try await client.call(.get, "/v1/me", bearer: aliceToken), 401, "an expired member token")
        }
    }

    /// The Bearer scheme's name in any case, one space, then the credential; anything else is no
    /// credential at all. A key seen recently is answered from memory by its text, and its
    /// revocation takes effect at once all the same.
    func testTheBearerSchemeAndARevokedKeyAlreadySeen() async throws {
        let harness = try Harness(start: "2026-11-01T00:00:05Z")
        defer { harness.remove() }
        try await harness.application().test(.router) { client in
            let admin = harness.key
            func raw(_ header: String) async throws -> Answer {
                try await client.execute(uri: "/v1/programs", method: .get, headers: [.authorization: header]) { response in
                    Answer(status: Int(response.status.code), text: String(buffer: response.body), contentType: response.headers[.contentType])
                }
            }
            for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
                let answer = try await raw("\(scheme) \(admin)")
                XCTAssertEqual(answer.status, 200, scheme)
            }
            for header in ["Bearer", "Bearer ", "Basic \(admin)", "Bearers \(admin)", "\(admin)", "Bear \(admin)"] {
                let answer = try await raw(header)
                XCTAssertEqual(answer.status, 401, header)
                XCTAssertEqual(answer.code, "unauthenticated", header)
            }
            // Two spaces: the credential begins with a space, which no key does.
            let twoSpaces = try await raw("Bearer  \(admin)")
            XCTAssertEqual(twoSpaces.code, "invalid_credential")

            let (key, id) = try await client.makeKeyAndID(admin, program: "jd-points", scopes: ["admin"])
            for _ in 0..<2 {
                let answer = try await client.call(.get, "/v1/programs/jd-points", bearer: key)
                XCTAssertEqual(answer.status, 200)
            }
            let revoked = try await client.call(.delete, "/v1/keys/\(id)", bearer: admin)
            XCTAssertEqual(revoked.status, 204)
            let refused = try await client.call(.get, "/v1/programs/jd-points", bearer: key)
            XCTAssertEqual(refused.status, 401)
            XCTAssertEqual(refused.code, "invalid_credential")
        }
    }
}
