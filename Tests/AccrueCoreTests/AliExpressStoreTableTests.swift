import AccrueCore
import AccruePrograms
import XCTest

// aliexpress-store (UTC, USD), one program per store, against PROGRAMS.md.

private func order(_ id: String, _ member: String, _ at: String, _ order: String, _ amount: String, _ extra: String = "") -> String {
    input(id, "order.completed", member, at, #"{"order": "\#(order)", "amount": "\#(amount)", "currency": "USD"\#(extra)}"#)
}

private func redeem(_ id: String, _ member: String, _ at: String, _ order: String, _ points: Int64, _ orderAmount: String) -> String {
    input(id, "points.redeemed", member, at, #"{"order": "\#(order)", "points": \#(points), "order_amount": "\#(orderAmount)"}"#)
}

private func share(_ id: String, _ member: String, _ at: String) -> String {
    input(id, "share.posted", member, at)
}

private func review(_ id: String, _ member: String, _ at: String, _ order: String, _ product: String) -> String {
    input(id, "review.posted", member, at, #"{"order": "\#(order)", "product": "\#(product)"}"#)
}

private func referral(_ id: String, _ member: String, _ at: String, _ friend: String) -> String {
    input(id, "referral.completed", member, at, #"{"referred": "\#(friend)"}"#)
}

private func adjust(_ id: String, _ member: String, _ at: String, _ points: Int64) -> String {
    input(id, "points.adjusted", member, at, #"{"points": \#(points), "reason": "operator correction"}"#)
}

final class AliExpressStoreTableTests: XCTestCase {
    var program: Program!

    override func setUpWithError() throws {
        program = try preset("aliexpress-store").instance(id: "store-123")
    }

    // MARK: Earning

    static let earning: [Step] = [
        // 1 point per whole 1.00 USD, available at once.
        .ok(order("o-1", "ann", "2026-03-01T10:00:00Z", "a-1", "12.99"), 12),
        .ok(order("o-2", "ann", "2026-03-01T10:00:01Z", "a-2", "0.99"), 0, .zeroPoints, says: "earns none"),
        .member("ann", balance: 12, pending: 0, held: 0),
        // Reviews: 10, once per (order, product), even for an order the engine never saw.
        .ok(review("v-1", "ann", "2026-03-01T11:00:00Z", "a-1", "p-1"), 10),
        .ok(review("v-2", "ann", "2026-03-01T11:00:01Z", "old-order", "p-1"), 10),
        .ok(review("v-3", "ann", "2026-03-01T11:00:02Z", "a-1", "p-1"), 0, .alreadyAwarded, says: "already earned"),
        // Shares: 2, at most 5 a month (count cap: all or nothing).
        .ok(share("h-1", "ann", "2026-03-02T00:00:00Z"), 2),
        .ok(share("h-2", "ann", "2026-03-03T00:00:00Z"), 2),
        .ok(share("h-3", "ann", "2026-03-04T00:00:00Z"), 2),
        .ok(share("h-4", "ann", "2026-03-05T00:00:00Z"), 2),
        .ok(share("h-5", "ann", "2026-03-06T00:00:00Z"), 2),
        .ok(share("h-6", "ann", "2026-03-31T23:59:59Z"), 0, .capReached, says: "shares earn at most 5 times a month; you have 5 this month"),
        .ok(share("h-7", "ann", "2026-04-01T00:00:00Z"), 2),
        // Referrals: 50, once per referred friend.
        .ok(referral("f-1", "ann", "2026-04-02T00:00:00Z", "ben"), 50),
        .ok(referral("f-2", "ann", "2026-04-02T00:00:01Z", "ben"), 0, .alreadyAwarded),
        .ok(referral("f-3", "ann", "2026-04-02T00:00:02Z", "cal"), 50),
        // No rule: applied, 0 points, a reason.
        .ok(input("s-1", "member.signed_in", "ann", "2026-04-03T00:00:00Z"), 0, .noRule, says: "no points for sign-ins"),
        .ok(input("p-1", "post.published", "ann", "2026-04-03T00:00:01Z", #"{"post": "x"}"#), 0, .noRule),
        .member("ann", balance: 12 + 20 + 12 + 100, pending: 0),
        // Guests earn nothing; a guest: true order earns nothing.
        .ok(input("j-1", "member.joined", "gwen", "2026-04-03T00:00:02Z", #"{"guest": true}"#), 0, .noRule),
        .ok(order("o-3", "gwen", "2026-04-03T00:00:03Z", "g-1", "50.00"), 0, .guest, says: "guests earn no points"),
        .ok(review("v-4", "gwen", "2026-04-03T00:00:04Z", "g-1", "p-1"), 0, .guest),
        .ok(share("h-8", "gwen", "2026-04-03T00:00:05Z"), 0, .guest),
        .ok(order("o-4", "ann", "2026-04-03T00:00:06Z", "a-3", "50.00", #", "guest": true"#), 0, .guest, says: "guest orders"),
        .member("gwen", balance: 0),
        // Wrong currency, malformed money.
        .refused(input("o-5", "order.completed", "ann", "2026-04-04T00:00:00Z", #"{"order": "a-4", "amount": "5.00", "currency": "CNY"}"#),
                 .wrongCurrency, says: "USD"),
        .refused(input("o-6", "order.completed", "ann", "2026-04-04T00:00:01Z", #"{"order": "a-4", "amount": 5, "currency": "USD"}"#),
                 .invalidMoney),
        .refused(order("o-7", "ann", "2026-04-04T00:00:02Z", "a-4", "5.001"), .invalidMoney),
        .ok(order("o-8", "ann", "2026-04-04T00:00:03Z", "a-4", "5.00"), 5),
        // Whole and one-decimal amounts are decimal strings too; an empty or grouped one is not.
        .ok(order("o-10", "ann", "2026-04-04T00:00:05Z", "a-5", "12"), 12),
        .ok(order("o-11", "ann", "2026-04-04T00:00:06Z", "a-6", "7.5"), 7),
        .refused(order("o-12", "ann", "2026-04-04T00:00:07Z", "a-7", ""), .invalidMoney),
        .refused(order("o-13", "ann", "2026-04-04T00:00:08Z", "a-7", "1,000.00"), .invalidMoney),
        .dup(order("o-8", "ann", "2026-04-04T00:00:03Z", "a-4", "5.00"), says: "already received"),
        .refused(order("o-8", "ann", "2026-04-04T00:00:03Z", "a-4", "6.00"), .conflict),
        .refused(input("o-9", "order.paid", "uma", "2026-04-04T00:00:09Z"), .unknownType),
        // An unknown type is not a valid envelope: it enrols no one.
        .check { replay in XCTAssertNil(replay.engine.state.members["uma"], "an invalid envelope enrols no member") },
        .member("ann", balance: 168),
    ]

    func testEarning() { runTable(program, Self.earning) }

    // MARK: black-friday x2, inclusive UTC dates

    static let blackFriday: [Step] = [
        .ok(order("o-1", "bf", "2026-11-26T23:59:59Z", "b-1", "10.00"), 10),
        .ok(order("o-2", "bf", "2026-11-27T00:00:00Z", "b-2", "10.00"), 20),
        // Campaigns multiply order points only.
        .ok(review("v-1", "bf", "2026-11-28T00:00:00Z", "b-2", "p-1"), 10),
        .ok(order("o-3", "bf", "2026-11-30T23:59:59Z", "b-3", "10.99"), 20),
        .ok(order("o-4", "bf", "2026-12-01T00:00:00Z", "b-4", "10.00"), 10),
        .member("bf", balance: 70),
    ]

    func testBlackFriday() { runTable(program, Self.blackFriday) }

    // MARK: Checkout: at least 200, at most 20% over all redemptions on an order, available only

    static let checkout: [Step] = [
        .ok(order("o-1", "cid", "2026-05-01T00:00:00Z", "c-1", "1000.00"), 1000),
        .refused(redeem("r-1", "cid", "2026-05-02T00:00:00Z", "x-1", 199, "100.00"), .belowMinimum, says: "at least 200 points"),
        // 20% of 20.00 USD = 4.00 = 400 points; no multiple rule.
        .ok(redeem("r-2", "cid", "2026-05-02T00:00:01Z", "x-1", 250, "20.00"), -250),
        .refused(redeem("r-3", "cid", "2026-05-02T00:00:02Z", "x-1", 200, "20.00"), .shareExceeded, says: "250 already used"),
        .refused(redeem("r-4", "cid", "2026-05-02T00:00:03Z", "x-1", 150, "20.00"), .belowMinimum),
        .ok(redeem("r-5", "cid", "2026-05-02T00:00:04Z", "x-2", 200, "10.00"), -200),   // exactly 20%
        .refused(redeem("r-6", "cid", "2026-05-02T00:00:05Z", "x-3", 200, "9.99"), .shareExceeded, says: "at most 20%"),
        .member("cid", balance: 550),
        .refused(redeem("r-7", "cid", "2026-05-02T00:00:06Z", "x-4", 600, "100.00"), .insufficientPoints,
                 says: "you have 550 points available; 600 needed"),
        .ok(redeem("r-8", "cid", "2026-05-02T00:00:07Z", "x-4", 550, "100.00"), -550),
        .member("cid", balance: 0),
        // Store points are spent only at checkout.
        .refused(input("w-1", "reward.claimed", "cid", "2026-05-03T00:00:00Z", #"{"reward": "voucher-10"}"#), .notSpendable,
                 says: "only at checkout"),
        .refused(input("b-1", "booking.requested", "cid", "2026-05-03T00:00:01Z", #"{"booking": "bk-1", "services": [{"service": "tour"}]}"#),
                 .notSpendable),
    ]

    func testCheckout() { runTable(program, Self.checkout) }

    /// Points of one store can never be spent in another: the same member has separate balances.
    func testStoresAreSeparate() throws {
        let other = try preset("aliexpress-store").instance(id: "store-456")
        XCTAssertEqual(program.id, "store-123")
        XCTAssertEqual(other.id, "store-456")
        runTable(program, [
            .ok(order("o-1", "dee", "2026-05-01T00:00:00Z", "d-1", "500.00"), 500),
            .member("dee", balance: 500),
        ])
        runTable(other, [
            .ok(order("o-2", "dee", "2026-05-01T00:00:01Z", "d-2", "10.00"), 10),
            .refused(redeem("r-1", "dee", "2026-05-02T00:00:00Z", "x-1", 200, "1000.00"), .insufficientPoints,
                     says: "you have 10 points available"),
            .member("dee", balance: 10),
        ])
    }

    // MARK: Inactivity: the whole balance expires exactly 180 x 24 h after the last activity

    static let inactivity: [Step] = [
        .ok(order("o-1", "una", "2026-01-01T00:00:00Z", "u-1", "100.00"), 100),
        .ok(order("o-2", "vic", "2026-01-01T00:00:00Z", "v-1", "100.00"), 100),   // expiry 2026-06-30T00:00Z
        .ok(order("o-4", "wes", "2026-01-01T00:00:00Z", "w-1", "500.00"), 500),
        .ok(order("o-5", "xia", "2026-01-01T00:00:00Z", "x-1", "50.00"), 50),
        .ok(order("o-6", "zoe", "2026-01-01T00:00:00Z", "z-1", "50.00"), 50),        // expiry 2026-06-30T00:00Z
        // A share stopped by the cap earns 0 and is not activity.
        .ok(share("h-2", "yara", "2026-01-05T00:00:00Z"), 2),
        .ok(share("h-3", "yara", "2026-01-06T00:00:00Z"), 2),
        .ok(share("h-4", "yara", "2026-01-07T00:00:00Z"), 2),
        .ok(share("h-5", "yara", "2026-01-08T00:00:00Z"), 2),
        .ok(share("h-6", "yara", "2026-01-09T00:00:00Z"), 2),   // expiry 2026-07-08T00:00Z
        .ok(share("h-7", "yara", "2026-01-31T00:00:00Z"), 0, .capReached),
        .ok(review("v-1", "una", "2026-02-01T00:00:00Z", "u-1", "p-1"), 10),
        // Spending is activity (expiry 2026-07-31T00:00Z) ...
        .ok(redeem("r-2", "wes", "2026-02-01T00:00:00Z", "x-2", 200, "1000.00"), -200),
        // ... and so is an operator's adjustment.
        .ok(adjust("a-1", "xia", "2026-02-01T00:00:00Z", -1), -1),
        // A refund's reversal is not activity.
        .ok(input("f-1", "order.refunded", "zoe", "2026-02-15T00:00:00Z", #"{"order": "z-1", "amount": "10.00"}"#), -10),
        .ok(share("h-1", "una", "2026-03-01T00:00:00Z"), 2),   // una's last activity: expiry 2026-08-28T00:00Z
        // Inputs that earn nothing or are refused are not activity.
        .ok(review("v-2", "una", "2026-04-01T00:00:00Z", "u-1", "p-1"), 0, .alreadyAwarded),
        .ok(input("s-1", "member.signed_in", "una", "2026-04-02T00:00:00Z"), 0, .noRule),
        .refused(redeem("r-1", "una", "2026-04-03T00:00:00Z", "x-1", 199, "100.00"), .belowMinimum),
        .at("2026-06-29T23:59:59.999Z"),
        .member("vic", balance: 100),
        .member("zoe", balance: 40),
        // Work due exactly at an input's at runs first: the old balance expires, then the order earns.
        .ok(order("o-3", "vic", "2026-06-30T00:00:00Z", "v-2", "5.00"), 5),
        .member("vic", balance: 5),
        .member("zoe", balance: 0),
        .member("wes", balance: 300),
        .member("xia", balance: 49),
        .member("yara", balance: 10),
        .at("2026-07-07T23:59:59.999Z"),
        .member("yara", balance: 10),
        .at("2026-07-08T00:00:00Z"),
        .member("yara", balance: 0),
        .at("2026-07-30T23:59:59.999Z"),
        .member("wes", balance: 300),
        .member("xia", balance: 49),
        .at("2026-07-31T00:00:00Z"),
        .member("wes", balance: 0),
        .member("xia", balance: 0),
        // Earning again starts a new balance.
        .ok(share("h-8", "yara", "2026-08-01T00:00:00Z"), 2),
        .member("yara", balance: 2),
        .at("2026-08-27T23:59:59.999Z"),
        .member("una", balance: 112),
        .at("2026-08-28T00:00:00Z"),
        .member("una", balance: 0),
        .member("vic", balance: 5),
    ]

    func testInactivityExpiry() { runTable(program, Self.inactivity) }
}
