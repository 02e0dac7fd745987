import AccrueCore
import XCTest

/// What the member view tells a shopper about their tier and their expiring points.
final class MemberViewTests: XCTestCase {
    func testCalendarYearTierProgressAndExpiringSoon() throws {
        let program = try preset("jd-points")
        var replay = Replay(program: program)
        replay.apply(line: Array(input("a-1", "points.adjusted", "amy", "2026-03-01T00:00:00Z", #"{"points": 1200, "reason": "test"}"#).utf8))
        replay.advance(to: Instant(rfc3339: "2027-02-15T00:00:00Z")!)
        let view = MemberView(member: replay.engine.state.members["amy"]!, program: program, now: Instant(rfc3339: "2027-02-15T00:00:00Z")!)
        let tier = try XCTUnwrap(view.tier)
        XCTAssertEqual(tier.tier, "gold", "gold through 2027 on 2026's 1,200")
        XCTAssertEqual(tier.counted, 0)
        XCTAssertEqual(tier.needed, 5_000, "platinum at 5,000 this year")
        XCTAssertEqual(tier.toKeep, 1_000, "1,000 this year keeps gold for 2028")
        XCTAssertEqual(view.balanceValue, "12.00 CNY")
        // 1,200 points expire on 2027-03-01 08:00 local: within the 30-day notice window.
        XCTAssertEqual(view.expiringSoon.map(\.points), [1_200])
        XCTAssertEqual(view.expiringSoon.first?.expiresAt, Instant(rfc3339: "2027-03-01T00:00:00Z"))
    }

    func testCountedLevelProgress() throws {
        let program = try preset("aliexpress-levels")
        var replay = Replay(program: program)
        replay.apply(line: Array(input("a-1", "points.adjusted", "bo", "2026-01-10T00:00:00Z", #"{"points": 150, "reason": "test"}"#).utf8))
        replay.advance(to: Instant(rfc3339: "2026-02-10T00:00:00Z")!)
        let now = Instant(rfc3339: "2026-02-10T00:00:00Z")!
        let tier = try XCTUnwrap(MemberView(member: replay.engine.state.members["bo"]!, program: program, now: now).tier)
        XCTAssertEqual(tier.tier, "gold")
        XCTAssertEqual(tier.counted, 150)
        XCTAssertEqual(tier.needed, 351)
        XCTAssertNil(tier.toKeep)
        XCTAssertEqual(tier.nextCount, Instant(rfc3339: "2026-03-01T00:00:00Z"))
        XCTAssertEqual(tier.nextEffective, Instant(rfc3339: "2026-03-08T00:00:00Z"))
    }

    /// A store program that gives notices: one notice 30 days before the whole balance would expire
    /// for inactivity, none again for the same expiry, and a new one after new activity.
    func testInactivityNoticeBeforeTheBalanceExpires() throws {
        let program = try derivedPreset("aliexpress-store", replacing: "  days: 180\n", with: "  days: 180\n  notice_days: 30\n")
        let replay = runTable(program, [
            .ok(input("o-1", "order.completed", "dee", "2026-01-01T00:00:00Z", #"{"order": "o-1", "amount": "50.00", "currency": "USD"}"#), 50),
            // 180 days after 1 January is 30 June; the notice is due 30 days before, on 31 May.
            .at("2026-05-30T23:59:59.999Z"),
            .check { replay in XCTAssertFalse(replay.entries.contains { $0.kind == .expiryNotice }) },
            .at("2026-05-31T00:00:00Z"),
            .check { replay in
                let notices = replay.entries.filter { $0.kind == .expiryNotice }
                XCTAssertEqual(notices.map(\.points), [50])
                XCTAssertEqual(notices.first?.expiresAt, Instant(rfc3339: "2026-06-30T00:00:00Z"))
            },
            .at("2026-06-29T23:59:59.999Z"),
            .member("dee", balance: 50),
            .at("2026-06-30T00:00:00Z"),
            .member("dee", balance: 0),
        ])
        XCTAssertEqual(replay.entries.filter { $0.kind == .expiryNotice }.count, 1)
        let view = MemberView(member: replay.engine.state.members["dee"]!, program: program, now: Instant(rfc3339: "2026-06-30T00:00:00Z")!)
        XCTAssertEqual(view.expiringSoon, [])
    }
}
