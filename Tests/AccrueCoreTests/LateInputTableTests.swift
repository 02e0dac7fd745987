import AccrueCore
import AccruePrograms
import XCTest

/// Inputs that arrive late (an `at` before inputs already applied), as queues deliver them. They
/// are judged at their own `at`, never count a cap twice and never bring expired points back
/// (docs/PROGRAMS.md, "Late inputs").
final class LateInputTableTests: XCTestCase {
    func testJDPointsLateInputs() throws {
        let program = try preset("jd-points")
        let steps: [Step] = [
            // 2026-03-05 10:00 local.
            .ok(input("s-1", "member.signed_in", "alice", "2026-03-05T02:00:00Z"), 5),
            .ok(input("o-1", "order.completed", "alice", "2026-03-10T00:00:00Z",
                      #"{"order": "a-1", "amount": "100.00", "currency": "CNY"}"#), 100),
            // Late, the same local day as s-1: the day's sign-in was already awarded.
            .ok(input("s-2", "member.signed_in", "alice", "2026-03-05T05:00:00Z"), 0, .capReached, says: "at most once a day"),
            // Late, a day that had no sign-in: it earns under its own day's cap, once.
            .ok(input("s-3", "member.signed_in", "alice", "2026-03-04T05:00:00Z"), 5),
            .ok(input("s-4", "member.signed_in", "alice", "2026-03-04T06:00:00Z"), 0, .capReached),
            .member("alice", balance: 10, pending: 100),
            // A late order during Double 11 gets the campaign of its own time, and its pending
            // period counts from its own `at`: 2026-11-05 + 7 days is already past when it arrives.
            .at("2026-11-20T00:00:00Z"),
            .member("alice", balance: 110, pending: 0),
            .ok(input("o-2", "order.completed", "alice", "2026-11-05T00:00:00Z",
                      #"{"order": "a-2", "amount": "50.00", "currency": "CNY"}"#), 100),
            .member("alice", balance: 210, pending: 0),
            // A year and more later every lot has expired.
            .at("2027-12-01T00:00:00Z"),
            .member("alice", balance: 0, pending: 0),
            // A late order from before the expiries: its points become available and expire in
            // the same step. Nothing comes back to life.
            .ok(input("o-3", "order.completed", "alice", "2026-04-01T00:00:00Z",
                      #"{"order": "a-3", "amount": "70.00", "currency": "CNY"}"#), 70),
            .member("alice", balance: 0, pending: 0),
            // Refunding an order whose points expired unspent takes nothing more: not below zero.
            .ok(input("r-1", "order.refunded", "alice", "2027-12-02T00:00:00Z", #"{"order": "a-1", "amount": "100.00"}"#),
                0, .nothingToRecompute, says: "had already expired"),
            .member("alice", balance: 0, pending: 0, debt: 0),
            // Spending still cannot use expired points.
            .refused(input("p-1", "points.redeemed", "alice", "2027-12-03T00:00:00Z",
                           #"{"order": "c-1", "points": 100, "order_amount": "500.00"}"#), .insufficientPoints),
        ]
        let replay = runTable(program, steps, allowLate: true)
        let kinds = replay.entries.filter { $0.member == "alice" && $0.lot == replay.entries.first(where: { $0.input == "o-3" })?.lot }.map(\.kind)
        XCTAssertEqual(kinds, [.earnPending, .release, .expire], "the late order's lot is released and expires at once")
    }

    func testLevelsLateInputCountsInItsOwnMonth() throws {
        let program = try preset("aliexpress-levels")
        let steps: [Step] = [
            .ok(input("p-1", "post.published", "bob", "2026-01-10T00:00:00Z", #"{"post": "a"}"#), 2),
            .ok(input("p-2", "post.published", "bob", "2026-02-10T00:00:00Z", #"{"post": "b"}"#), 2),
            // Late posts in January fill January's cap of 10, not February's.
            .ok(input("p-3", "post.published", "bob", "2026-01-11T00:00:00Z", #"{"post": "c"}"#), 2),
            .ok(input("p-4", "post.published", "bob", "2026-01-12T00:00:00Z", #"{"post": "d"}"#), 2),
            .ok(input("p-5", "post.published", "bob", "2026-01-13T00:00:00Z", #"{"post": "e"}"#), 2),
            .ok(input("p-6", "post.published", "bob", "2026-01-14T00:00:00Z", #"{"post": "f"}"#), 2),
            .ok(input("p-7", "post.published", "bob", "2026-01-15T00:00:00Z", #"{"post": "g"}"#), 0, .capReached,
                says: "at most 10 level points a month; you have 10 this month"),
            .ok(input("p-8", "post.published", "bob", "2026-02-11T00:00:00Z", #"{"post": "h"}"#), 2),
            .member("bob", balance: 14),
            // A post more than 14 months late finds its month closed: it cannot be judged against a
            // cap whose counter is gone, so it earns nothing rather than risk counting twice.
            .at("2027-06-01T00:00:00Z"),
            .ok(input("p-9", "post.published", "bob", "2026-02-12T00:00:00Z", #"{"post": "i"}"#), 0, .capReached, says: "closed"),
            .member("bob", balance: 14),
        ]
        runTable(program, steps, allowLate: true)
    }
}
