import AccrueCore
import AccruePrograms
import XCTest

// cj-rewards (UTC, USD) against PROGRAMS.md: 1 point per whole 50.00 of cumulative counted spend,
// spent only on services booked with booking.requested; no expiry.

private func order(_ id: String, _ member: String, _ at: String, _ order: String, _ amount: String, _ extra: String = "") -> String {
    input(id, "order.completed", member, at, #"{"order": "\#(order)", "amount": "\#(amount)", "currency": "USD"\#(extra)}"#)
}

private func refund(_ id: String, _ member: String, _ at: String, _ order: String, _ amount: String) -> String {
    input(id, "order.refunded", member, at, #"{"order": "\#(order)", "amount": "\#(amount)"}"#)
}

private func dispute(_ id: String, _ member: String, _ at: String, _ order: String) -> String {
    input(id, "order.disputed", member, at, #"{"order": "\#(order)"}"#)
}

/// A booking.requested line; `services` is the JSON text of the list.
private func book(_ id: String, _ member: String, _ at: String, _ booking: String, _ services: String) -> String {
    input(id, "booking.requested", member, at, #"{"booking": "\#(booking)", "services": \#(services)}"#)
}

private func settle(_ id: String, _ type: String, _ member: String, _ at: String, _ booking: String) -> String {
    input(id, "booking.\(type)", member, at, #"{"booking": "\#(booking)"}"#)
}

final class CJRewardsTableTests: XCTestCase {
    var program: Program!

    override func setUpWithError() throws {
        program = try preset("cj-rewards")
    }

    // MARK: Cumulative spend

    static let cumulative: [Step] = [
        .ok(order("o-1", "kai", "2026-03-01T00:00:00Z", "k-1", "30.00"), 0, .zeroPoints, says: "20.00 USD more to the next"),
        .ok(order("o-2", "kai", "2026-03-01T00:00:01Z", "k-2", "30.00"), 1),       // two orders of 30.00: 1 point
        .ok(order("o-3", "kai", "2026-03-01T00:00:02Z", "k-3", "40.00"), 1),       // 100.00
        .ok(order("o-4", "kai", "2026-03-01T00:00:03Z", "k-4", "49.99"), 0, .zeroPoints, says: "0.01 USD more"),  // 149.99
        .member("kai", balance: 2, pending: 0),
        // Refunds leave the cumulative spend; the outcome is the difference.
        .ok(refund("f-1", "kai", "2026-03-02T00:00:00Z", "k-2", "10.00"), 0, .nothingToRecompute),   // 139.99: still 2
        .refused(refund("f-2", "kai", "2026-03-02T00:00:01Z", "k-2", "20.01"), .refundTooLarge, says: "20.00 USD left"),
        .ok(refund("f-3", "kai", "2026-03-02T00:00:02Z", "k-2", "20.00"), 0, .nothingToRecompute),   // 119.99
        .ok(refund("f-4", "kai", "2026-03-02T00:00:03Z", "k-4", "20.00"), -1),                       // 99.99: 1
        .member("kai", balance: 1),
        // Disputes too: the disputed order's remaining amount leaves the spend.
        .ok(dispute("d-1", "kai", "2026-03-03T00:00:00Z", "k-3"), 0, .nothingToRecompute),  // 59.99: still 1
        .ok(dispute("d-2", "kai", "2026-03-03T00:00:01Z", "k-1"), -1),                      // 29.99: 0
        .member("kai", balance: 0),
        .refused(refund("f-5", "kai", "2026-03-03T00:00:02Z", "k-1", "1.00"), .orderDisputed),
        .refused(dispute("d-3", "kai", "2026-03-03T00:00:03Z", "k-1"), .orderDisputed),
        .ok(order("o-5", "kai", "2026-03-04T00:00:00Z", "k-5", "20.01"), 1),       // 50.00
        // A guest order earns nothing and does not count in the spend.
        .ok(order("o-6", "kai", "2026-03-04T00:00:01Z", "k-6", "100.00", #", "guest": true"#), 0, .guest),
        .ok(order("o-7", "kai", "2026-03-04T00:00:02Z", "k-7", "49.99"), 0, .zeroPoints),   // 99.99
        .ok(refund("f-6", "kai", "2026-03-04T00:00:03Z", "k-6", "10.00"), 0, .nothingToRecompute),
        .member("kai", balance: 1),
        // Money and envelope errors.
        .refused(input("o-8", "order.completed", "kai", "2026-03-05T00:00:00Z", #"{"order": "k-8", "amount": "50.00", "currency": "CNY"}"#),
                 .wrongCurrency),
        .refused(input("o-9", "order.completed", "kai", "2026-03-05T00:00:01Z", #"{"order": "k-8", "amount": 50, "currency": "USD"}"#),
                 .invalidMoney),
        .refused(order("o-10", "kai", "2026-03-05T00:00:02Z", "k-7", "50.00"), .orderAlreadyCompleted),
        .refused(refund("f-7", "kai", "2026-03-05T00:00:03Z", "nope", "1.00"), .unknownOrder),
        .ok(order("o-11", "lin", "2026-03-05T00:00:04Z", "n-1", "10.00"), 0, .zeroPoints),
        .refused(refund("f-8", "kai", "2026-03-05T00:00:05Z", "n-1", "1.00"), .orderOfAnotherMember),
        .dup(order("o-7", "kai", "2026-03-04T00:00:02Z", "k-7", "49.99"), says: "already received"),
        .refused(order("o-7", "kai", "2026-03-04T00:00:02Z", "k-7", "49.98"), .conflict),
        .ok(order("o-12", "kai", "2026-03-05T00:00:06Z", "k-9", "0.01"), 1),       // 100.00
        .member("kai", balance: 2),
        // No rule for the rest; no expiry.
        .ok(input("s-1", "member.signed_in", "kai", "2026-03-06T00:00:00Z"), 0, .noRule, says: "no reward points for sign-ins"),
        .ok(input("v-1", "review.posted", "kai", "2026-03-06T00:00:01Z", #"{"order": "k-9", "product": "p-1"}"#), 0, .noRule),
        .at("2031-03-06T00:00:00Z"),
        .member("kai", balance: 2),
        // A reversal of points already spent goes below zero; the next points pay it off.
        .ok(order("o-13", "rex", "2031-03-07T00:00:00Z", "r-1", "100.00"), 2),
        .ok(book("b-1", "rex", "2031-03-07T00:00:01Z", "rb-1", #"[{"service": "airport-pickup", "airport": "HGH"}]"#), -2, quote: 2),
        .ok(settle("b-2", "confirmed", "rex", "2031-03-07T00:00:02Z", "rb-1"), 0),
        .ok(dispute("d-4", "rex", "2031-03-08T00:00:00Z", "r-1"), -2),
        .member("rex", balance: -2, held: 0, debt: 2),
        .ok(order("o-14", "rex", "2031-03-08T00:00:01Z", "r-2", "50.00"), 1),
        .member("rex", balance: -1, debt: 1),
        .ok(order("o-15", "rex", "2031-03-08T00:00:02Z", "r-3", "50.00"), 1),
        .member("rex", balance: 0, debt: 0),
        // A dispute while the points are held goes below zero; cancelling the booking pays it off.
        .ok(order("o-16", "sue", "2031-03-09T00:00:00Z", "u-1", "100.00"), 2),
        .ok(book("b-3", "sue", "2031-03-09T00:00:01Z", "sb-1", #"[{"service": "airport-pickup", "airport": "SHA"}]"#), -2, quote: 2),
        .ok(dispute("d-5", "sue", "2031-03-09T00:00:02Z", "u-1"), -2),
        .member("sue", balance: -2, held: 2, debt: 2),
        .ok(settle("b-4", "cancelled", "sue", "2031-03-09T00:00:03Z", "sb-1"), 2),
        .member("sue", balance: 0, held: 0, debt: 0),
    ]

    func testCumulativeSpend() { runTable(program, Self.cumulative) }

    // MARK: Bookings: quote, hold, confirm / reject / cancel

    static let bookings: [Step] = [
        .ok(order("o-1", "pat", "2026-03-01T00:00:00Z", "p-1", "1000.00"), 20),
        // Pickup and hotel together: 2 + 3 x 2.
        .ok(book("b-1", "pat", "2026-03-02T00:00:00Z", "pb-1", #"[{"service": "airport-pickup", "airport": "HGH"}, {"service": "hotel", "nights": 2}]"#),
            -8, quote: 8),
        .member("pat", balance: 12, held: 8),
        .refused(book("b-2", "pat", "2026-03-02T00:00:01Z", "pb-2", #"[{"service": "airport-pickup", "airport": "PVG"}]"#), .airportNotAllowed,
                 says: "PVG is not one"),
        .refused(book("b-3", "pat", "2026-03-02T00:00:02Z", "pb-3", #"[{"service": "hotel", "nights": 0}]"#), .invalidField, says: "at least 1"),
        .refused(book("b-4", "pat", "2026-03-02T00:00:03Z", "pb-4", #"[{"service": "hotel", "nights": -1}]"#), .invalidField),
        .refused(book("b-5", "pat", "2026-03-02T00:00:04Z", "pb-5", #"[{"service": "airport-pickup"}]"#), .missingField, says: "airport"),
        // Any services combined; a missing count is 1: 1 + 2 x 2 + 3.
        .ok(book("b-6", "pat", "2026-03-02T00:00:05Z", "pb-6", #"[{"service": "food"}, {"service": "translation", "days": 2}, {"service": "tour"}]"#),
            -8, quote: 8),
        .member("pat", balance: 4, held: 16),
        // The quote must fit in the available balance.
        .refused(book("b-7", "pat", "2026-03-02T00:00:06Z", "pb-7", #"[{"service": "hotel", "nights": 2}]"#), .insufficientPoints,
                 says: "you have 4 reward points available; 6 needed"),
        .refused(book("b-8", "pat", "2026-03-02T00:00:07Z", "pb-8", #"[{"service": "spa"}]"#), .unknownService),
        .refused(book("b-9", "pat", "2026-03-02T00:00:08Z", "pb-9", #"[{"service": "tour", "nights": 1}]"#), .unknownField),
        .refused(book("b-10", "pat", "2026-03-02T00:00:09Z", "pb-9", "[]"), .invalidField),
        .refused(book("b-11", "pat", "2026-03-02T00:00:10Z", "pb-1", #"[{"service": "tour"}]"#), .bookingExists),
        // Confirmation: the held points are spent, outcome 0.
        .ok(settle("c-1", "confirmed", "pat", "2026-03-03T00:00:00Z", "pb-1"), 0),
        .member("pat", balance: 4, held: 8),
        .refused(settle("c-2", "confirmed", "pat", "2026-03-03T00:00:01Z", "pb-1"), .bookingNotHeld),
        .refused(settle("c-3", "cancelled", "pat", "2026-03-03T00:00:02Z", "pb-1"), .bookingNotHeld),
        // Only the booking's member may cancel; a cancellation releases the quote.
        .refused(settle("c-4", "cancelled", "quinn", "2026-03-03T00:00:03Z", "pb-6"), .bookingOfAnotherMember),
        .ok(settle("c-5", "cancelled", "pat", "2026-03-03T00:00:04Z", "pb-6"), 8),
        .member("pat", balance: 12, held: 0),
        .refused(settle("c-6", "cancelled", "pat", "2026-03-03T00:00:05Z", "pb-6"), .bookingNotHeld),
        .refused(settle("c-7", "cancelled", "pat", "2026-03-03T00:00:06Z", "nope"), .unknownBooking),
        // Rejection releases the quote too.
        .ok(book("b-12", "pat", "2026-03-04T00:00:00Z", "pb-12", #"[{"service": "hotel", "nights": 1}]"#), -3, quote: 3),
        .ok(settle("c-8", "rejected", "pat", "2026-03-04T00:00:01Z", "pb-12"), 3),
        .ok(book("b-13", "pat", "2026-03-04T00:00:02Z", "pb-13", #"[{"service": "hotel"}]"#), -3, quote: 3),
        .ok(book("b-14", "pat", "2026-03-04T00:00:03Z", "pb-14", #"[{"service": "food", "meals": 3}]"#), -3, quote: 3),
        .ok(book("b-15", "pat", "2026-03-04T00:00:04Z", "pb-15", #"[{"service": "airport-pickup", "airport": "NGB"}]"#), -2, quote: 2),
        .ok(book("b-16", "pat", "2026-03-04T00:00:05Z", "pb-16", #"[{"service": "airport-pickup", "airport": "SHA"}]"#), -2, quote: 2),
        .member("pat", balance: 2, held: 10),
        // A quote of exactly the balance fits; then nothing is left.
        .ok(book("b-17", "pat", "2026-03-04T00:00:06Z", "pb-17", #"[{"service": "translation"}]"#), -2, quote: 2),
        .refused(book("b-18", "pat", "2026-03-04T00:00:07Z", "pb-18", #"[{"service": "food"}]"#), .insufficientPoints),
        .member("pat", balance: 0, held: 12),
        // CJ points are not spent at checkout or on rewards.
        .refused(input("r-1", "points.redeemed", "pat", "2026-03-05T00:00:00Z", #"{"order": "x", "points": 1, "order_amount": "100.00"}"#),
                 .notSpendable, says: "only on services"),
        .refused(input("r-2", "reward.claimed", "pat", "2026-03-05T00:00:01Z", #"{"reward": "voucher-10"}"#), .notSpendable),
        .ok(settle("c-9", "rejected", "pat", "2026-03-05T00:00:02Z", "pb-13"), 3),
        .ok(settle("c-10", "cancelled", "pat", "2026-03-05T00:00:03Z", "pb-14"), 3),
        .ok(settle("c-11", "confirmed", "pat", "2026-03-05T00:00:04Z", "pb-15"), 0),
        .member("pat", balance: 6, held: 4),
    ]

    func testBookings() { runTable(program, Self.bookings) }
}
