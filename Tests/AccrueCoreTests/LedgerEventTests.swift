import AccrueCore
import XCTest

/// Which webhook event each ledger entry becomes.
final class LedgerEventTests: XCTestCase {
    func entry(_ seq: Int64, _ kind: EntryKind, points: Int64 = 0, hold: String? = nil, input: String? = nil, code: String? = nil) -> Entry {
        Entry(seq: seq, member: "m", at: Instant(rfc3339: "2026-11-01T00:00:00Z")!, kind: kind, points: points, hold: hold,
              input: input, code: code, reason: "r")
    }

    func testEveryKindMapsToItsEventOrToNone() {
        let entries = [
            entry(1, .earn, points: 10), entry(2, .earnPending, points: 5), entry(3, .release, points: 5),
            entry(4, .expiryNotice, points: 5), entry(5, .expire, points: -5), entry(6, .spend, points: -3),
            entry(7, .reverse, points: -2), entry(8, .cancelPending, points: -1), entry(9, .adjust, points: 4),
            entry(10, .tierChange), entry(11, .coupon, code: "JDV10-1"),
            entry(12, .hold, points: -6, hold: "booking:b1", input: "i1"), entry(13, .capture, points: 6, hold: "booking:b1", input: "i2"),
            entry(14, .holdRelease, points: 6, hold: "booking:b2", input: "i3"), entry(15, .holdRelease, points: 6, hold: "booking:b3", input: "i4"),
            entry(16, .hold, points: -6, hold: "checkout:h1", input: "i5"), entry(17, .payDebt, points: -1), entry(18, .tierScheduled),
            entry(19, .couponGiven, code: "JDV10-1"), entry(20, .capture, points: 6, hold: "checkout:h1", input: "i6"),
            entry(21, .holdRelease, points: 6, hold: "checkout:h2", input: "i7"),
        ]
        let types = ["i3": "booking.cancelled", "i4": "booking.rejected"]
        let events = LedgerEvent.derive(from: entries, inputTypes: types)
        XCTAssertEqual(events.map(\.seq), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 19, 20])
        XCTAssertEqual(events.map(\.type), [
            "points.earned", "points.earned", "points.pending_released", "points.expiring", "points.expired", "points.spent",
            "points.reversed", "points.reversed", "points.adjusted", "tier.changed", "reward.issued",
            "booking.requested", "booking.confirmed", "booking.cancelled", "booking.rejected", "reward.gifted", "points.spent",
        ])
        XCTAssertEqual(events[16].data["hold"], .string("h1"), "a captured checkout hold is spent points")
        XCTAssertTrue(Set(events.map(\.type)).isSubset(of: Set(LedgerEvent.types)))
        XCTAssertEqual(events[10].data["code"], .string("JDV10-1"))
        XCTAssertEqual(events[11].data["booking"], .string("b1"))
        XCTAssertEqual(events[1].data["pending"], .bool(true))
        XCTAssertEqual(events[0].id(program: "jd-points"), "evt_jd-points_1")
        XCTAssertTrue(events[0].document(program: "jd-points").hasPrefix("{\"at\":\"2026-11-01T00:00:00Z\""))
    }
}
