import AccrueCore
import AccruePrograms
import XCTest

// aliexpress-coins (UTC, USD): a daily check-in streak of 10, 15, ... up to 40 coins, back to 10
// after a missed day; 100 coins = 1.00 USD covering at most 10% of an order; coins expire as the
// month after the one they were earned in ends.

private func checkIn(_ id: String, _ member: String, _ at: String) -> String {
    input(id, "member.signed_in", member, at)
}

final class CoinsTableTests: XCTestCase {
    let program = try! preset("aliexpress-coins")

    static let streak: [Step] = [
        .ok(checkIn("s-1", "kai", "2026-11-01T08:00:00Z"), 10),
        .ok(checkIn("s-2", "kai", "2026-11-01T23:59:59Z"), 0, .alreadyAwarded, says: "today's is counted (day 1 of your streak)"),
        .ok(checkIn("s-3", "kai", "2026-11-02T00:00:00Z"), 15),
        .ok(checkIn("s-4", "kai", "2026-11-03T12:00:00Z"), 20),
        .ok(checkIn("s-5", "kai", "2026-11-04T12:00:00Z"), 25),
        .ok(checkIn("s-6", "kai", "2026-11-05T12:00:00Z"), 30),
        .ok(checkIn("s-7", "kai", "2026-11-06T12:00:00Z"), 35),
        .ok(checkIn("s-8", "kai", "2026-11-07T12:00:00Z"), 40),
        .ok(checkIn("s-9", "kai", "2026-11-08T12:00:00Z"), 40),   // at most 40
        // 9 November missed: back to 10.
        .ok(checkIn("s-10", "kai", "2026-11-10T12:00:00Z"), 10),
        .ok(checkIn("s-11", "kai", "2026-11-11T12:00:00Z"), 15),
        .member("kai", balance: 240),
        // 100 coins = 1.00 USD, at most 10% of an order: 20.00 USD allows 200 coins.
        .refused(input("r-1", "points.redeemed", "kai", "2026-11-12T00:00:00Z", #"{"order": "o-1", "points": 201, "order_amount": "20.00"}"#),
                 .shareExceeded, says: "at most 10% of an order: 200 coins on 20.00 USD"),
        .ok(input("r-2", "points.redeemed", "kai", "2026-11-12T00:00:01Z", #"{"order": "o-1", "points": 200, "order_amount": "20.00"}"#), -200),
        .member("kai", balance: 40),
        // Coins earned in November expire as December ends (00:00 on 1 January, UTC).
        .ok(checkIn("s-12", "kai", "2026-12-01T12:00:00Z"), 10),
        .at("2026-12-31T23:59:59.999Z"),
        .member("kai", balance: 50),
        .at("2027-01-01T00:00:00Z"),
        .member("kai", balance: 10),   // December's 10 last until the end of January
        .at("2027-02-01T00:00:00Z"),
        .member("kai", balance: 0),
    ]

    func testCheckInStreakCheckoutAndMonthEndExpiry() { runTable(program, Self.streak) }

    func testTheStreakAndTheExpiryAreConfigured() {
        XCTAssertThrowsError(try derivedPreset("aliexpress-coins", replacing: "earn: {points: 10, streak_step: 5, max: 40}",
                                               with: "earn: {points: 10, streak_step: 5}")) { error in
            XCTAssertTrue(((error as? ProgramFileError)?.problems ?? []).contains { $0.message.contains("a streak needs max") })
        }
        XCTAssertThrowsError(try derivedPreset("aliexpress-coins", replacing: "months_after: 1", with: "months_after: -1")) { error in
            XCTAssertTrue(((error as? ProgramFileError)?.problems ?? []).contains { $0.field == "expiry.months_after" })
        }
        // A notice 7 days before the month's end.
        var replay = Replay(program: program)
        replay.apply(line: Array(checkIn("s-1", "kai", "2026-11-15T12:00:00Z").utf8))
        replay.advance(to: Instant(rfc3339: "2026-12-25T00:00:00Z")!)
        let notices = replay.entries.filter { $0.kind == .expiryNotice }
        XCTAssertEqual(notices.map(\.at), [Instant(rfc3339: "2026-12-25T00:00:00Z")!])
        XCTAssertEqual(notices.first?.reason, "10 coins expire at 2027-01-01 00:00 UTC unless spent")
    }
}
