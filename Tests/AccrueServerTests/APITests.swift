import AccrueCore
import AccruePrograms
import AccrueServer
import AccrueSQLite
import AccrueStore
import Foundation
import Hummingbird
import HummingbirdTesting
import XCTest

/// The API through the real router, on real SQLite files.
final class APITests: XCTestCase {
    func testInputsAreAnsweredOnceDurableAndResentInputsGetTheirFirstOutcome() async throws {
        let harness = try Harness()
        defer { harness.remove() }
        try await harness.application().test(.router) { client in
            let key = harness.key
            let order = input("o1", "order.completed", "alice", "2026-11-01T02:00:00Z",
                              "{\"order\":\"A1\",\"amount\":\"899.00\",\"currency\":\"CNY\"}")
            let first = try await client.call(.post, "/v1/programs/jd-points/inputs", bearer: key, body: order)
            XCTAssertEqual(first.status, 200, first.text)
            XCTAssertEqual(string(first["status"]), "applied")
            XCTAssertEqual(number(first["points"]), 1798, "1 point per yuan, doubled by the 11.11 campaign")
            XCTAssertEqual(first["replayed"], .bool(false))

            let again = try await client.call(.post, "/v1/programs/jd-points/inputs", bearer: key, body: order)
            XCTAssertEqual(again.status, 200)
            XCTAssertEqual(string(again["status"]), "applied", "a resent input gets its first outcome")
            XCTAssertEqual(number(again["points"]), 1798)
            XCTAssertEqual(again["replayed"], .bool(true))

            // The same id with another body: refused, the first stands.
            let other = order.replacingOccurrences(of: "899.00", with: "10.00")
            let conflict = try await client.call(.post, "/v1/programs/jd-points/inputs", bearer: key, body: other)
            XCTAssertEqual(conflict.status, 409, conflict.text)
            XCTAssertEqual(conflict.code, "conflict")
            XCTAssertEqual(conflict.contentType, "application/problem+json")

            // A refusal carries the reason code and the recorded outcome.
            let wrongCurrency = try await client.call(.post, "/v1/programs/jd-points/inputs", bearer: key,
                body: input("o2", "order.completed", "alice", "2026-11-01T03:00:00Z", "{\"order\":\"A2\",\"amount\":\"5.00\",\"currency\":\"USD\"}"))
            XCTAssertEqual(wrongCurrency.status, 422)
            XCTAssertEqual(wrongCurrency.code, "wrong_currency")
            XCTAssertEqual(string(wrongCurrency["outcome"]?["status"]), "refused")

            let malformed = try await client.call(.post, "/v1/programs/jd-points/inputs", bearer: key, body: "{\"id\": ")
            XCTAssertEqual(malformed.status, 400)
            XCTAssertEqual(malformed.code, "malformed_input")
            let unknownType = try await client.call(.post, "/v1/programs/jd-points/inputs", bearer: key,
                                                    body: input("o3", "order.teleported", "alice", "2026-11-01T03:00:00Z"))
            XCTAssertEqual(unknownType.status, 422)
            XCTAssertEqual(unknownType.code, "unknown_type")
            let negative = try await client.call(.post, "/v1/programs/jd-points/inputs", bearer: key,
                body: input("o4", "order.completed", "alice", "2026-11-01T03:00:00Z", "{\"order\":\"A4\",\"amount\":\"-5.00\",\"currency\":\"CNY\"}"))
            XCTAssertEqual(negative.status, 422)
            XCTAssertEqual(negative.code, "invalid_money")
            let form = try await client.call(.post, "/v1/programs/jd-points/inputs", bearer: key, body: order, contentType: "text/plain")
            XCTAssertEqual(form.status, 415)

            // A batch answers each input in order, refusals included, in one commit.
            let batch = "{\"inputs\":[\(order),\(input("r1", "review.posted", "alice", "2026-11-02T00:00:00Z", "{\"order\":\"A1\",\"product\":\"p1\"}")),\(input("bad", "order.completed", "bob", "2026-11-02T00:00:00Z", "{}"))]}"
            let answer = try await client.call(.post, "/v1/programs/jd-points/batches", bearer: key, body: batch)
            XCTAssertEqual(answer.status, 200, answer.text)
            guard case let .array(outcomes)? = answer["outcomes"] else { return XCTFail(answer.text) }
            XCTAssertEqual(outcomes.map { string($0["status"]) }, ["applied", "applied", "refused"])
            XCTAssertEqual(outcomes[0]["replayed"], .bool(true))
            XCTAssertEqual(string(outcomes[2]["code"]), "missing_field")

            // Why: the rules and the ledger entries of an input.
            let why = try await client.call(.get, "/v1/programs/jd-points/inputs/o1", bearer: key)
            XCTAssertEqual(why.status, 200, why.text)
            XCTAssertEqual(string(why["outcome"]?["rules"].flatMap { if case let .array(r) = $0 { return r.first } else { return nil } }?["rule"]), "order-points")
            let unknownInput = try await client.call(.get, "/v1/programs/jd-points/inputs/nope", bearer: key)
            XCTAssertEqual(unknownInput.code, "input_not_found")

            // The member: the order's points pending until the 7 days pass; the review's available.
            let member = try await client.call(.get, "/v1/programs/jd-points/members/alice", bearer: key)
            XCTAssertEqual(member.status, 200, member.text)
            XCTAssertEqual(number(member["pending"]), 1798)
            XCTAssertEqual(number(member["balance"]), 20)
            let history = try await client.call(.get, "/v1/programs/jd-points/members/alice/history?limit=2", bearer: key)
            XCTAssertEqual(history.status, 200)
            guard case let .array(lines)? = history["lines"] else { return XCTFail(history.text) }
            XCTAssertEqual(lines.count, 2)
            XCTAssertNotNil(number(history["next_before"]))
            let unknown = try await client.call(.get, "/v1/programs/jd-points/members/nobody", bearer: key)
            XCTAssertEqual(unknown.status, 404)
            XCTAssertEqual(unknown.code, "member_not_found")
        }
        // Durable: a new service on the same file answers the same.
        let reopened = try AccrueService(store: try SQLiteStore(path: harness.folder.appendingPathComponent("accrue.sqlite").path),
                                         configuration: harness.service.configuration)
        try await Application(router: reopened.router()).test(.router) { client in
            let member = try await client.call(.get, "/v1/programs/jd-points/members/alice", bearer: harness.key)
            XCTAssertEqual(number(member["pending"]), 1798)
        }
    }

    /// A backlog of due work (a flash sale's pending points all becoming available a week later)
    /// is committed in steps, each its own `advance` in the log, so that inputs are committed
    /// between them; every member gets the points as one advance would give them.
    func testABacklogOfDueWorkIsCommittedInSteps() async throws {
        let harness = try Harness()
        defer { harness.remove() }
        try await harness.application().test(.router) { client in
            let key = harness.key
            let orders = 1_200
            for first in stride(from: 0, to: orders, by: 400) {
                // All at one instant, so their pending points come due at one instant too.
                let lines = (first..<(first + 400)).map { i in
                    input("o\(i)", "order.completed", "m\(i % 300)", "2026-11-02T00:00:00Z", "{\"order\":\"O\(i)\",\"amount\":\"100.00\",\"currency\":\"CNY\"}")
                }
                let answer = try await client.call(.post, "/v1/programs/jd-points/batches", bearer: key,
                                                   body: "{\"inputs\":[\(lines.joined(separator: ","))]}")
                XCTAssertEqual(answer.status, 200, answer.text)
            }
            var member = try await client.call(.get, "/v1/programs/jd-points/members/m7", bearer: key)
            let pending = try XCTUnwrap(number(member["pending"]))
            XCTAssertGreaterThan(pending, 0, member.text)
            XCTAssertEqual(number(member["balance"]), 0)

            harness.clock.set("2026-12-01T00:00:00Z")
            await harness.service.runDueWork()
            member = try await client.call(.get, "/v1/programs/jd-points/members/m7", bearer: key)
            XCTAssertEqual(number(member["pending"]), 0, member.text)
            XCTAssertEqual(number(member["balance"]), pending, "every pending point became available")
            let advances = try harness.store.tail(program: "jd-points", after: 0).records.filter {
                if case .advance = $0.record { return true }
                return false
            }
            XCTAssertGreaterThanOrEqual(advances.count, orders / AccrueService.dueWorkStepItems,
                                        "1,200 releases in steps of \(AccrueService.dueWorkStepItems): \(advances.count) advances")
            // A replay of the log, steps and all, gives the same entries and state.
            let program = try XCTUnwrap(try harness.store.program("jd-points"))
            XCTAssertEqual(try verify(try ProgramFile.parse(program.source, file: "jd-points"), store: harness.store).problems, [])
        }
    }

    func testCheckoutQuoteHoldCaptureAndAHoldReleasedByItself() async throws {
        let harness = try Harness()
        defer { harness.remove() }
        try await harness.application().test(.router) { client in
            let key = harness.key
            let path = "/v1/programs/jd-points/inputs"
            try await client.call(.post, path, bearer: key, body: input("a1", "points.adjusted", "alice", "2026-11-01T01:00:00Z",
                                                                         "{\"points\":5000,\"reason\":\"welcome\"}"))
            let quote = try await client.call(.post, "/v1/programs/jd-points/checkout/quote", bearer: key,
                                              body: "{\"member\":\"alice\",\"order_amount\":\"60.00\",\"order\":\"C1\"}")
            XCTAssertEqual(quote.status, 200, quote.text)
            XCTAssertEqual(number(quote["points"]), 3000, "at most half of a 60.00 order: 3,000 points")
            XCTAssertEqual(string(quote["discount"]), "30.00")

            let held = try await client.call(.post, path, bearer: key, body: input("h1", "checkout.held", "alice", "2026-11-01T01:05:00Z",
                "{\"hold\":\"H1\",\"order\":\"C1\",\"points\":3000,\"order_amount\":\"60.00\"}"))
            XCTAssertEqual(held.status, 200, held.text)
            var member = try await client.call(.get, "/v1/programs/jd-points/members/alice", bearer: key)
            XCTAssertEqual(number(member["held"]), 3000)
            XCTAssertEqual(number(member["balance"]), 2000)
            let over = try await client.call(.post, path, bearer: key, body: input("h2", "checkout.held", "alice", "2026-11-01T01:06:00Z",
                "{\"hold\":\"H2\",\"order\":\"C1\",\"points\":100,\"order_amount\":\"60.00\"}"))
            XCTAssertEqual(over.status, 422)
            XCTAssertEqual(over.code, "share_exceeded")
            let captured = try await client.call(.post, path, bearer: key, body: input("c1", "checkout.captured", "alice", "2026-11-01T01:10:00Z", "{\"hold\":\"H1\"}"))
            XCTAssertEqual(captured.status, 200, captured.text)
            let twice = try await client.call(.post, path, bearer: key, body: input("c2", "checkout.captured", "alice", "2026-11-01T01:11:00Z", "{\"hold\":\"H1\"}"))
            XCTAssertEqual(twice.code, "unknown_hold", "a hold is captured once")

            // A hold nobody captures is released by itself after the program's 30 minutes.
            try await client.call(.post, path, bearer: key, body: input("h3", "checkout.held", "alice", "2026-11-01T02:00:00Z",
                "{\"hold\":\"H3\",\"order\":\"C2\",\"points\":1000,\"order_amount\":\"20.00\"}"))
            member = try await client.call(.get, "/v1/programs/jd-points/members/alice", bearer: key)
            XCTAssertEqual(number(member["held"]), 1000)
            harness.clock.set("2026-11-01T02:31:00Z")
            await harness.service.runDueWork()
            member = try await client.call(.get, "/v1/programs/jd-points/members/alice", bearer: key)
            XCTAssertEqual(number(member["held"]), 0, member.text)
            XCTAssertEqual(number(member["balance"]), 2000)
        }
    }

    func testBookingsCatalogueAndReports() async throws {
        let harness = try Harness()
        defer { harness.remove() }
        try await harness.application().test(.router) { client in
            let key = harness.key
            let catalogue = try await client.call(.get, "/v1/programs/cj-rewards/catalogue", bearer: key)
            XCTAssertEqual(catalogue.status, 200, catalogue.text)
            guard case let .array(services)? = catalogue["services"] else { return XCTFail(catalogue.text) }
            XCTAssertEqual(services.compactMap { string($0["id"]) }, ["airport-pickup", "hotel", "food", "translation", "tour"])
            // cj-rewards: a pickup costs 2, a hotel night 3.
            let quote = try await client.call(.post, "/v1/programs/cj-rewards/bookings/quote", bearer: key,
                                              body: #"{"services":[{"service":"airport-pickup","airport":"HGH"},{"service":"hotel","nights":2}]}"#)
            XCTAssertEqual(quote.status, 200, quote.text)
            XCTAssertEqual(number(quote["points"]), 8)
            let farAirport = try await client.call(.post, "/v1/programs/cj-rewards/bookings/quote", bearer: key,
                                                   body: #"{"services":[{"service":"airport-pickup","airport":"SZX"}]}"#)
            XCTAssertEqual(farAirport.code, "airport_not_allowed")
            let unknown = try await client.call(.post, "/v1/programs/cj-rewards/bookings/quote", bearer: key, body: "{\"services\":[{\"service\":\"moon\"}]}")
            XCTAssertEqual(unknown.status, 422)
            XCTAssertEqual(unknown.code, "unknown_service")

            try await client.call(.post, "/v1/programs/jd-points/inputs", bearer: key, body: input("a1", "points.adjusted", "alice", "2026-11-01T01:00:00Z",
                                                                                                  "{\"points\":1234,\"reason\":\"welcome\"}"))
            let liability = try await client.call(.get, "/v1/programs/jd-points/reports/liability", bearer: key)
            XCTAssertEqual(liability.status, 200, liability.text)
            XCTAssertEqual(number(liability["available"]), 1234)
            XCTAssertEqual(string(liability["available_value"]), "12.34", "100 JD points are 1.00 CNY")
            let daily = try await client.call(.get, "/v1/programs/jd-points/reports/daily?from=2026-10-31&to=2026-11-02", bearer: key)
            XCTAssertEqual(daily.status, 200, daily.text)
            guard case let .array(days)? = daily["days"] else { return XCTFail(daily.text) }
            XCTAssertEqual(days.count, 3)
            XCTAssertEqual(number(days[1]["adjusted"]), 1234, "09:00 in Shanghai on 1 November")
            let backwards = try await client.call(.get, "/v1/programs/jd-points/reports/daily?from=2026-11-02&to=2026-11-01", bearer: key)
            XCTAssertEqual(backwards.status, 400)
        }
    }

    func testProgramsOpenChangeAndRetire() async throws {
        let harness = try Harness()
        defer { harness.remove() }
        try await harness.application().test(.router) { client in
            let key = harness.key
            let created = try await client.call(.post, "/v1/programs", bearer: key, body: "{\"id\":\"store-123\",\"preset\":\"aliexpress-store\",\"name\":\"Store 123 points\"}")
            XCTAssertEqual(created.status, 201, created.text)
            XCTAssertEqual(string(created["base"]), "aliexpress-store")
            XCTAssertEqual(string(created["name"]), "Store 123 points")
            let again = try await client.call(.post, "/v1/programs", bearer: key, body: "{\"id\":\"store-123\",\"preset\":\"aliexpress-store\"}")
            XCTAssertEqual(again.code, "program_exists")
            let bad = try await client.call(.post, "/v1/programs", bearer: key, body: "{\"id\":\"x\",\"source\":\"id: x\\nname: X\\nfoo: 1\\n\"}")
            XCTAssertEqual(bad.status, 422)
            XCTAssertEqual(bad.code, "invalid_program")
            XCTAssertNotNil(bad["problems"])
            let noPreset = try await client.call(.post, "/v1/programs", bearer: key, body: "{\"id\":\"y\",\"preset\":\"../etc/passwd\"}")
            XCTAssertEqual(noPreset.code, "unknown_preset")

            let earn = input("s1", "order.completed", "ann", "2026-11-01T00:00:00Z", "{\"order\":\"S1\",\"amount\":\"10.00\",\"currency\":\"USD\"}")
            let first = try await client.call(.post, "/v1/programs/store-123/inputs", bearer: key, body: earn)
            XCTAssertEqual(first.status, 200, first.text)

            // A changed file is a new version; what was decided stays as it was.
            guard let source = string(created["source"]) else { return XCTFail() }
            let renamed = source.replacingOccurrences(of: "name: \"Store 123 points\"", with: "name: \"Store 123 rewards\"")
            XCTAssertNotEqual(renamed, source)
            let changed = try await client.call(.put, "/v1/programs/store-123", bearer: key,
                                                body: JSON.object([("source", .string(renamed))]).canonical)
            XCTAssertEqual(changed.status, 200, changed.text)
            XCTAssertEqual(number(changed["version"]), 2)
            XCTAssertEqual(string(changed["name"]), "Store 123 rewards")

            let retired = try await client.call(.post, "/v1/programs/store-123/retire", bearer: key)
            XCTAssertEqual(retired["retired"], .bool(true))
            let refused = try await client.call(.post, "/v1/programs/store-123/inputs", bearer: key,
                                                body: input("s2", "member.signed_in", "ann", "2026-11-02T00:00:00Z"))
            XCTAssertEqual(refused.status, 409)
            XCTAssertEqual(refused.code, "program_retired")
            let member = try await client.call(.get, "/v1/programs/store-123/members/ann", bearer: key)
            XCTAssertEqual(member.status, 200, "a retired program's members stay readable")
        }
    }

    func testTheDocumentListsExactlyTheRoutesServed() throws {
        let harness = try Harness()
        defer { harness.remove() }
        // The pages for people (/me, /console, /assets) are HTML, documented in docs/API.md.
        let served = Set(harness.service.router().routes.map { "\($0.method) \($0.path)" }
            .filter { !AccrueService.isPage(String($0.split(separator: " ")[1])) })
        XCTAssertFalse(served.isEmpty)
        XCTAssertEqual(served, OpenAPIDocument.operations, "openapi.yaml and the router must list the same routes")
        let json = try JSONReader.parse(OpenAPIDocument.json)
        XCTAssertEqual(json["openapi"], .string("3.1.0"))
    }
}
