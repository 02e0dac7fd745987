import AccrueCore
import AccrueServer
import Foundation
import HummingbirdTesting
import XCTest

/// Lucky draws the server runs itself: it makes and keeps the seed, commits its hash, and reveals it
/// on the first tick after the draw time; a cancelled draw is never revealed and returns the points.
final class DrawServerTests: XCTestCase {
    static let draws = """
    draws:
      - id: nov
        name: November lucky draw
        entry_cost: 50
        opens: 2026-11-01T00:00:00+08:00
        closes: 2026-11-20T00:00:00+08:00
        draw_at: 2026-11-21T12:00:00+08:00
        prizes:
          - {id: phone, name: Phone, count: 1, value: "3000.00"}
          - {id: voucher, name: 50 CNY voucher, count: 2, value: "50.00"}
      - id: dec
        name: December lucky draw
        entry_cost: 20
        opens: 2026-11-01T00:00:00+08:00
        closes: 2026-12-20T00:00:00+08:00
        draw_at: 2026-12-21T12:00:00+08:00
        prizes:
          - {id: cup, name: Cup, count: 1}
    campaign_policy: highest
    """

    func testTheServerKeepsTheSeedCommitsItAndRevealsItAtTheDrawTime() async throws {
        let harness = try Harness(start: "2026-10-20T00:00:00Z")
        defer { harness.remove() }
        let source = try String(contentsOf: repositoryRoot.appendingPathComponent("programs/jd-points.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "campaign_policy: highest", with: Self.draws)
        try await harness.application().test(.router) { client in
            let key = harness.key
            let made = try await client.call(.post, "/v1/programs", bearer: key,
                                             body: String(decoding: try JSONEncoder().encode(["id": "lucky", "source": source]), as: UTF8.self))
            XCTAssertEqual(made.status, 201, made.text)
            let reader = try await client.makeKey(key, program: "lucky", scopes: ["members:read"])
            let forbidden = try await client.call(.post, "/v1/programs/lucky/draws/nov/commit", bearer: reader)
            XCTAssertEqual(forbidden.status, 403, "committing a draw needs inputs:write")
            let unknown = try await client.call(.post, "/v1/programs/lucky/draws/easter/commit", bearer: key)
            XCTAssertEqual(unknown.status, 404)
            XCTAssertEqual(unknown.code, "draw_not_found")

            let commit = try await client.call(.post, "/v1/programs/lucky/draws/nov/commit", bearer: key)
            XCTAssertEqual(commit.status, 200, commit.text)
            let commitment = try XCTUnwrap(string(commit["commitment"]))
            XCTAssertEqual(commitment.count, 64)
            XCTAssertEqual(commit["replayed"], .bool(false))
            harness.clock.set("2026-10-20T00:05:00Z")
            let again = try await client.call(.post, "/v1/programs/lucky/draws/nov/commit", bearer: key)
            XCTAssertEqual(string(again["commitment"]), commitment, "a retry commits the same seed")
            XCTAssertEqual(again["replayed"], .bool(true))
            let decCommit = try await client.call(.post, "/v1/programs/lucky/draws/dec/commit", bearer: key)
            XCTAssertEqual(decCommit.status, 200, decCommit.text)

            let path = "/v1/programs/lucky/inputs"
            for (index, member) in ["amy", "ben", "cat", "dan"].enumerated() {
                try await client.call(.post, path, bearer: key, body: input("a-\(member)", "points.adjusted", member, "2026-10-20T00:00:0\(index)Z",
                                                                           #"{"points": 500, "reason": "draw test"}"#))
            }
            harness.clock.set("2026-11-05T00:00:00Z")
            for (index, member) in ["amy", "ben", "cat", "dan"].enumerated() {
                for draw in ["nov", "dec"] {
                    let entered = try await client.call(.post, path, bearer: key, body: input("e-\(draw)-\(member)", "draw.entered", member,
                        "2026-11-05T00:00:0\(index)Z", #"{"draw": "\#(draw)", "entries": \#(index + 1)}"#))
                    XCTAssertEqual(entered.status, 200, entered.text)
                }
            }
            // Too late to commit once entries are open.
            harness.clock.set("2026-11-06T00:00:00Z")
            var record = try await client.call(.get, "/v1/programs/lucky/draws/nov", bearer: key)
            XCTAssertEqual(string(record["commitment"]), commitment)
            XCTAssertEqual(record["seed"], .null, "the seed stays secret until the draw")
            XCTAssertEqual(record["automatic_reveal"], .bool(true))
            XCTAssertFalse(record.text.contains("\"seed\":\"") , record.text)

            // The operator cancels December's draw: every ticket's points go back, and it is never drawn.
            let cancelled = try await client.call(.post, path, bearer: key, body: input("x-dec", "draw.cancelled", "ops", "2026-11-06T00:00:00Z",
                                                                                          #"{"draw": "dec", "reason": "the cups did not arrive"}"#))
            XCTAssertEqual(cancelled.status, 200, cancelled.text)
            var dan = try await client.call(.get, "/v1/programs/lucky/members/dan", bearer: key)
            XCTAssertEqual(number(dan["held"]), 200, "dan's 4 November tickets are held until the draw; December's 80 points came back")
            XCTAssertEqual(number(dan["balance"]), 300)

            // Nothing is drawn before the draw time.
            harness.clock.set("2026-11-21T03:59:00Z")
            await harness.service.runDueWork()
            record = try await client.call(.get, "/v1/programs/lucky/draws/nov", bearer: key)
            XCTAssertEqual(record["seed"], .null)

            harness.clock.set("2026-11-21T04:00:30Z")
            await harness.service.runDueWork()
            record = try await client.call(.get, "/v1/programs/lucky/draws/nov", bearer: key)
            let seed = try XCTUnwrap(string(record["seed"]), record.text)
            XCTAssertEqual(SHA256Hash.hex(seed), commitment, "the revealed seed is the committed one")
            guard case let .array(tickets)? = record["tickets"], case let .array(winners)? = record["winners"] else { return XCTFail(record.text) }
            XCTAssertEqual(tickets.count, 10)
            let expected = Engine.drawWinners(tickets: 10, seed: seed, slots: 3)
            XCTAssertEqual(winners.map { number($0["ticket"]).map(Int.init) }, expected)
            let why = try await client.call(.get, "/v1/programs/lucky/inputs/draw.revealed:nov", bearer: key)
            XCTAssertEqual(why.status, 200, "the reveal is an input like any other: \(why.text)")
            guard case let .array(made)? = why["entries"] else { return XCTFail(why.text) }
            XCTAssertEqual(Set(made.compactMap { string($0["input"]) }), ["draw.revealed:nov"], why.text)
            XCTAssertGreaterThan(Set(made.compactMap { string($0["member"]) }).count, 1, "the reveal's entries for every ticket holder: \(why.text)")
            XCTAssertTrue(made.contains { string($0["kind"]) == "capture" && string($0["member"]) == "dan" }, why.text)
            dan = try await client.call(.get, "/v1/programs/lucky/members/dan", bearer: key)
            XCTAssertEqual(number(dan["held"]), 0, "drawn: the held points are spent")
            XCTAssertEqual(number(dan["balance"]), 300)

            // A second tick does not draw again; the cancelled draw is never revealed.
            harness.clock.set("2026-12-22T00:00:00Z")
            await harness.service.runDueWork()
            let dec = try await client.call(.get, "/v1/programs/lucky/draws/dec", bearer: key)
            XCTAssertEqual(dec["seed"], .null, dec.text)
            XCTAssertEqual(string(dec["cancelled"]), "the cups did not arrive")
            let late = try await client.call(.post, "/v1/programs/lucky/draws/dec/commit", bearer: key)
            XCTAssertEqual(late.status, 200, "asked again, the server answers the first commitment: \(late.text)")
            XCTAssertEqual(late["replayed"], .bool(true))
            // A draw committed too late is refused with the engine's reason.
            let other = try await client.call(.put, "/v1/programs/lucky", bearer: key, body: String(decoding: try JSONEncoder().encode(["source":
                source.replacingOccurrences(of: "  - id: dec", with: "  - {id: jan, name: January draw, entry_cost: 5, opens: 2026-12-01T00:00:00Z, closes: 2026-12-30T00:00:00Z, draw_at: 2026-12-31T00:00:00Z, prizes: [{id: pen, name: Pen, count: 1}]}\n  - id: dec")
                    .replacingOccurrences(of: "version: 2", with: "version: 3")]), as: UTF8.self))
            XCTAssertEqual(other.status, 200, other.text)
            let tooLate = try await client.call(.post, "/v1/programs/lucky/draws/jan/commit", bearer: key)
            XCTAssertEqual(tooLate.status, 422, tooLate.text)
            XCTAssertEqual(tooLate.code, "draw_closed")
        }
    }
}
