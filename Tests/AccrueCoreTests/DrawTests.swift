import AccrueCore
import AccruePrograms
import XCTest

// Lucky draws on jd-points with a November draw added: 50 points an entry, at most 5 per member,
// 2 prizes of one kind and 1 of another, the seed committed before the draw opens.

private func adjust(_ id: String, _ member: String, _ at: String, _ points: Int64) -> String {
    input(id, "points.adjusted", member, at, #"{"points": \#(points), "reason": "load"}"#)
}

private func enter(_ id: String, _ member: String, _ at: String, _ entries: Int = 1, draw: String = "nov") -> String {
    input(id, "draw.entered", member, at, #"{"draw": "\#(draw)", "entries": \#(entries)}"#)
}

final class DrawTests: XCTestCase {
    func testSHA256MatchesThePublishedVectors() {
        XCTAssertEqual(SHA256Hash.hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256Hash.hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(SHA256Hash.hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        XCTAssertEqual(SHA256Hash.hex(String(repeating: "a", count: 1_000_000)),
                       "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        // 55, 56 and 64 bytes: the padding's edge cases.
        XCTAssertEqual(SHA256Hash.hex(String(repeating: "a", count: 55)), "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318")
        XCTAssertEqual(SHA256Hash.hex(String(repeating: "a", count: 56)), "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a")
        XCTAssertEqual(SHA256Hash.hex(String(repeating: "a", count: 64)), "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb")
    }

    func testWinnersAreReproducibleDistinctAndStopWhenTicketsRunOut() {
        let first = Engine.drawWinners(tickets: 10, seed: "s3cret", slots: 3)
        XCTAssertEqual(first, Engine.drawWinners(tickets: 10, seed: "s3cret", slots: 3), "the same seed, the same winners")
        XCTAssertEqual(Set(first.compactMap { $0 }).count, 3, "a ticket wins once")
        XCTAssertTrue(first.allSatisfy { ($0 ?? 0) >= 1 && ($0 ?? 0) <= 10 })
        XCTAssertNotEqual(first, Engine.drawWinners(tickets: 10, seed: "s3cret!", slots: 3))
        XCTAssertEqual(Engine.drawWinners(tickets: 2, seed: "x", slots: 4).compactMap { $0 }.sorted(), [1, 2])
        XCTAssertEqual(Engine.drawWinners(tickets: 2, seed: "x", slots: 4).suffix(2), [nil, nil])
        XCTAssertEqual(Engine.drawWinners(tickets: 0, seed: "x", slots: 2), [nil, nil])
    }

    static let seed = "november-seed-7f3a"
    static let block = """
    draws:
      - id: nov
        name: November lucky draw
        entry_cost: 50
        entries_per_member: 5
        opens: 2026-11-01T00:00:00+08:00
        closes: 2026-11-20T00:00:00+08:00
        draw_at: 2026-11-21T12:00:00+08:00
        prizes:
          - {id: phone, name: Phone, count: 1, value: "3000.00", code_prefix: PHONE}
          - {id: voucher, name: 50 CNY voucher, count: 2, value: "50.00"}
    campaign_policy: highest
    """

    func testADrawFromCommitmentToWinners() throws {
        let program = try derivedPreset("jd-points", replacing: "campaign_policy: highest", with: Self.block)
        let hash = SHA256Hash.hex(Self.seed)
        func commit(_ id: String, _ at: String, _ hash: String) -> String {
            input(id, "draw.committed", "ops", at, #"{"draw": "nov", "hash": "\#(hash)"}"#)
        }
        func reveal(_ id: String, _ at: String, _ seed: String) -> String {
            input(id, "draw.revealed", "ops", at, #"{"draw": "nov", "seed": "\#(seed)"}"#)
        }
        let replay = runTable(program, [
            .ok(adjust("a-1", "amy", "2026-10-20T00:00:00Z", 1000), 1000),
            .ok(adjust("a-2", "ben", "2026-10-20T00:00:01Z", 1000), 1000),
            .ok(adjust("a-3", "cat", "2026-10-20T00:00:02Z", 60), 60),
            .refused(enter("e-0", "amy", "2026-10-25T00:00:00Z"), .drawNotCommitted, says: "until its seed is committed"),
            .refused(commit("c-0", "2026-10-25T00:00:01Z", "abc"), .invalidField, says: "64 hex digits"),
            .refused(input("c-1", "draw.committed", "ops", "2026-10-25T00:00:02Z", #"{"draw": "dec", "hash": "\#(hash)"}"#), .unknownDraw),
            .ok(commit("c-2", "2026-10-25T00:00:03Z", hash), 0, says: "committed to the seed whose SHA-256 is \(hash)"),
            .refused(commit("c-3", "2026-10-25T00:00:04Z", String(repeating: "0", count: 64)), .drawAlreadyCommitted),
            // Opens at 00:00 on 1 November in Shanghai (16:00 UTC the day before).
            .refused(enter("e-1", "amy", "2026-10-31T15:59:59Z"), .drawClosed, says: "opens at 2026-11-01 00:00"),
            .ok(enter("e-2", "amy", "2026-10-31T16:00:00Z", 3), -150, says: "tickets 1-3 in November lucky draw"),
            .ok(enter("e-3", "ben", "2026-11-02T00:00:00Z"), -50, says: "ticket 4"),
            .refused(enter("e-4", "amy", "2026-11-02T00:00:01Z", 3), .drawEntryLimit, says: "at most 5 entries per member; you have 3"),
            .ok(enter("e-5", "amy", "2026-11-02T00:00:02Z", 2), -100),
            .refused(enter("e-6", "cat", "2026-11-02T00:00:03Z", 2), .insufficientPoints),
            .ok(enter("e-7", "cat", "2026-11-02T00:00:04Z"), -50),
            .refused(enter("e-8", "ben", "2026-11-19T16:00:00Z"), .drawClosed, says: "closed at 2026-11-20 00:00"),
            // Sent after the close with a time inside the window: refused, the list is closed.
            .refused(enter("e-9", "ben", "2026-11-10T00:00:00Z"), .drawClosed),
            // Tickets' points are held until the draw, not spent.
            .member("amy", balance: 750, held: 250),
            .member("cat", balance: 10, held: 50),
            .refused(reveal("r-1", "2026-11-21T03:59:59Z", Self.seed), .drawNotDue),
            .refused(reveal("r-2", "2026-11-21T04:00:00Z", "a guess"), .seedMismatch, says: "not the committed \(hash)"),
            .ok(reveal("r-3", "2026-11-21T04:00:01Z", Self.seed), 0, says: "drawn from 7 tickets: 3 of 3 prizes awarded"),
            .refused(reveal("r-4", "2026-11-21T04:00:02Z", Self.seed), .drawAlreadyDrawn),
            .refused(input("x-1", "draw.cancelled", "ops", "2026-11-21T04:00:03Z", #"{"draw": "nov", "reason": "too late"}"#), .drawAlreadyDrawn,
                     says: "cannot be cancelled"),
            // Drawn: the held points are spent.
            .member("amy", balance: 750, held: 0),
            .member("ben", balance: 950, held: 0),
            .member("cat", balance: 10, held: 0),
        ], allowLate: true)
        let captures = replay.entries.filter { $0.kind == .capture && $0.input == "r-3" }
        XCTAssertEqual(captures.map(\.points).reduce(0, +), 350, "every ticket's points are spent at the draw")
        let events = LedgerEvent.derive(from: replay.entries, inputTypes: [:])
        XCTAssertEqual(events.filter { $0.type == "draw.entered" }.count, 4)
        XCTAssertEqual(events.filter { $0.type == "points.spent" }.count, captures.count)
        let record = try XCTUnwrap(replay.engine.state.draws?["nov"])
        XCTAssertEqual(record.tickets, ["amy", "amy", "amy", "ben", "amy", "amy", "cat"])
        XCTAssertEqual(record.winners, Engine.drawWinners(tickets: 7, seed: Self.seed, slots: 3))
        // Each winner holds the prize of its slot; the operator who sent the commitment is no member.
        var expected: [String: [String]] = [:]
        for (slot, ticket) in record.winners!.enumerated() {
            expected[record.tickets[ticket! - 1], default: []].append(slot == 0 ? "nov:phone" : "nov:voucher")
        }
        for (member, prizes) in expected {
            XCTAssertEqual(replay.engine.state.members[member]!.coupons.map(\.reward).sorted(), prizes.sorted(), member)
        }
        XCTAssertNil(replay.engine.state.members["ops"])
    }

    func testACancelledDrawReturnsEveryTicketsPoints() throws {
        let program = try derivedPreset("jd-points", replacing: "campaign_policy: highest", with: Self.block)
        let hash = SHA256Hash.hex(Self.seed)
        func cancel(_ id: String, _ at: String, draw: String = "nov", reason: String = "the phone was not delivered") -> String {
            input(id, "draw.cancelled", "ops", at, #"{"draw": "\#(draw)", "reason": "\#(reason)"}"#)
        }
        let replay = runTable(program, [
            .ok(adjust("a-1", "amy", "2026-10-20T00:00:00Z", 1000), 1000),
            .ok(adjust("a-2", "ben", "2026-10-20T00:00:01Z", 100), 100),
            .ok(input("c-1", "draw.committed", "ops", "2026-10-25T00:00:00Z", #"{"draw": "nov", "hash": "\#(hash)"}"#), 0),
            .ok(enter("e-1", "amy", "2026-11-02T00:00:00Z", 3), -150),
            .ok(enter("e-2", "ben", "2026-11-02T00:00:01Z", 2), -100),
            .member("amy", balance: 850, held: 150),
            .member("ben", balance: 0, held: 100),
            .refused(cancel("x-0", "2026-11-03T00:00:00Z", draw: "dec"), .unknownDraw),
            .refused(input("x-1", "draw.cancelled", "ops", "2026-11-03T00:00:01Z", #"{"draw": "nov"}"#), .missingField),
            .ok(cancel("x-2", "2026-11-03T00:00:02Z"), 0, says: "250 points returned to 2 members"),
            .member("amy", balance: 1000, held: 0),
            .member("ben", balance: 100, held: 0),
            .refused(cancel("x-3", "2026-11-03T00:00:03Z"), .drawCancelled, says: "already cancelled"),
            .refused(enter("e-3", "amy", "2026-11-03T00:00:04Z"), .drawCancelled, says: "the phone was not delivered"),
            .refused(input("r-1", "draw.revealed", "ops", "2026-11-21T04:00:00Z", #"{"draw": "nov", "seed": "\#(Self.seed)"}"#), .drawCancelled),
        ])
        let releases = replay.entries.filter { $0.kind == .holdRelease }
        XCTAssertEqual(releases.map(\.points).reduce(0, +), 250)
        XCTAssertTrue(releases.allSatisfy { $0.reason.contains("November lucky draw cancelled (the phone was not delivered)") })
        let events = LedgerEvent.derive(from: replay.entries, inputTypes: [:])
        XCTAssertEqual(events.filter { $0.type == "draw.cancelled" }.map(\.member).sorted(), ["amy", "ben"])
        XCTAssertEqual(replay.engine.state.draws?["nov"]?.cancelled, "the phone was not delivered")
        XCTAssertTrue(replay.engine.state.members["amy"]!.coupons.isEmpty)
    }
}
