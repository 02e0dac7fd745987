import AccrueCore
import AccruePrograms
import XCTest

// aliexpress-levels (UTC, USD) against PROGRAMS.md: level points are never spent; they decide the
// level, counted at 00:00 on the 1st for the 12 months just ended, effective 00:00 on the 8th.

private func order(_ id: String, _ member: String, _ at: String, _ order: String, _ amount: String, _ extra: String = "") -> String {
    input(id, "order.completed", member, at, #"{"order": "\#(order)", "amount": "\#(amount)", "currency": "USD"\#(extra)}"#)
}

private func refund(_ id: String, _ member: String, _ at: String, _ order: String, _ amount: String) -> String {
    input(id, "order.refunded", member, at, #"{"order": "\#(order)", "amount": "\#(amount)"}"#)
}

private func review(_ id: String, _ member: String, _ at: String, _ order: String, _ product: String) -> String {
    input(id, "review.posted", member, at, #"{"order": "\#(order)", "product": "\#(product)"}"#)
}

private func post(_ id: String, _ member: String, _ at: String, _ post: String) -> String {
    input(id, "post.published", member, at, #"{"post": "\#(post)"}"#)
}

private func campaign(_ id: String, _ member: String, _ at: String, _ campaign: String) -> String {
    input(id, "campaign.joined", member, at, #"{"campaign": "\#(campaign)"}"#)
}

private func adjust(_ id: String, _ member: String, _ at: String, _ points: Int64) -> String {
    input(id, "points.adjusted", member, at, #"{"points": \#(points), "reason": "operator correction"}"#)
}

private func join(_ id: String, _ member: String, _ at: String, birthday: String) -> String {
    input(id, "member.joined", member, at, #"{"birthday": "\#(birthday)"}"#)
}

final class AliExpressLevelsTableTests: XCTestCase {
    var program: Program!

    override func setUpWithError() throws {
        program = try preset("aliexpress-levels")
    }

    // MARK: Orders: 1 per whole 2.00 up to 5, plus a daily-order bonus of at most 5 a day

    static let orders: [Step] = [
        .ok(order("o-1", "lee", "2026-03-02T10:00:00Z", "l-1", "1.99"), 0, .minimumAmount, says: "orders under 2.00 USD earn no level points"),
        .ok(order("o-2", "lee", "2026-03-02T10:00:01Z", "l-2", "2.00"), 2),
        .ok(order("o-3", "lee", "2026-03-02T10:00:02Z", "l-3", "3.99"), 2),
        .ok(order("o-4", "lee", "2026-03-02T10:00:03Z", "l-4", "100.00"), 6),   // at most 5, plus the bonus
        .ok(order("o-5", "lee", "2026-03-02T10:00:04Z", "l-5", "9.99"), 5),
        .ok(order("o-6", "lee", "2026-03-02T10:00:05Z", "l-6", "4.00"), 3),     // the 5th bonus point today
        .ok(order("o-7", "lee", "2026-03-02T23:59:59Z", "l-7", "10.00"), 5, .capReached,
            says: "at most 5 level points a day; you have 5 today"),
        .ok(order("o-8", "lee", "2026-03-03T00:00:00Z", "l-8", "2.00"), 2),     // a new day
        .member("lee", balance: 25, pending: 0, held: 0, tier: "silver"),
        // A reversal gives no room back: o-8's bonus is reversed, yet the 5 a day stay used.
        .ok(order("o-8b", "lee", "2026-03-03T00:00:01Z", "l-8b", "2.00"), 2),
        .ok(order("o-8c", "lee", "2026-03-03T00:00:02Z", "l-8c", "2.00"), 2),
        .ok(order("o-8d", "lee", "2026-03-03T00:00:03Z", "l-8d", "2.00"), 2),
        .ok(order("o-8e", "lee", "2026-03-03T00:00:04Z", "l-8e", "2.00"), 2),
        .ok(input("d-0", "order.disputed", "lee", "2026-03-03T00:00:05Z", #"{"order": "l-8e"}"#), -2),
        .ok(order("o-8f", "lee", "2026-03-03T00:00:06Z", "l-8f", "2.00"), 1, .capReached),
        // Refunds: recomputed with the per-order cap of the order's time; they add up.
        .ok(refund("f-1", "lee", "2026-03-03T01:00:00Z", "l-4", "90.00"), 0, .nothingToRecompute),  // 10.00 still earns 5
        .ok(refund("f-2", "lee", "2026-03-03T01:00:01Z", "l-4", "2.00"), -1),                       // 8.00: 4
        .ok(refund("f-3", "lee", "2026-03-03T01:00:02Z", "l-4", "6.01"), -5),                       // 1.99: no points, no bonus
        .refused(refund("f-4", "lee", "2026-03-03T01:00:03Z", "l-4", "2.00"), .refundTooLarge),
        // Balance is all level points earned, net of reversals.
        .member("lee", balance: 26),
        // Reviews: only a known own undisputed order with at least 2.00 left after refunds.
        .ok(review("v-1", "lee", "2026-03-04T00:00:00Z", "never-seen", "p-1"), 0, .orderNotKnown, says: "not one"),
        .ok(review("v-2", "lee", "2026-03-04T00:00:01Z", "l-2", "p-1"), 1),
        .ok(review("v-3", "lee", "2026-03-04T00:00:02Z", "l-2", "p-1"), 0, .alreadyAwarded),
        .ok(review("v-4", "lee", "2026-03-04T00:00:03Z", "l-2", "p-2"), 1),
        .ok(review("v-5", "lee", "2026-03-04T00:00:04Z", "l-1", "p-1"), 0, .minimumAmount, says: "at least 2.00 USD after refunds"),
        .ok(review("v-6", "lee", "2026-03-04T00:00:05Z", "l-4", "p-1"), 0, .minimumAmount, says: "1.99 USD"),
        .ok(order("o-9", "lee", "2026-03-04T00:00:06Z", "l-9", "5.00"), 3),
        .ok(refund("f-5", "lee", "2026-03-04T00:00:07Z", "l-9", "3.00"), -1),     // exactly 2.00 left
        .ok(review("v-7", "lee", "2026-03-04T00:00:08Z", "l-9", "p-1"), 1),
        .ok(order("o-10", "lee", "2026-03-04T00:00:09Z", "l-10", "5.00"), 3),
        .ok(input("d-1", "order.disputed", "lee", "2026-03-04T00:00:10Z", #"{"order": "l-10"}"#), -3),
        .ok(review("v-8", "lee", "2026-03-04T00:00:11Z", "l-10", "p-1"), 0, .orderDisputed),
        .ok(order("o-11", "max", "2026-03-04T00:00:12Z", "m-1", "5.00"), 3),
        .ok(review("v-9", "lee", "2026-03-04T00:00:13Z", "m-1", "p-1"), 0, .orderNotKnown),  // another member's order
        .member("lee", balance: 31),
        // Level points are never spendable.
        .refused(input("r-1", "points.redeemed", "lee", "2026-03-05T00:00:00Z", #"{"order": "x", "points": 10, "order_amount": "100.00"}"#),
                 .notSpendable, says: "level points cannot be spent"),
        .refused(input("r-2", "reward.claimed", "lee", "2026-03-05T00:00:01Z", #"{"reward": "voucher-10"}"#), .notSpendable,
                 says: "cannot be spent"),
        .refused(input("r-3", "booking.requested", "lee", "2026-03-05T00:00:02Z", #"{"booking": "b-1", "services": [{"service": "tour"}]}"#),
                 .notSpendable),
        .member("lee", balance: 31),
        // No rule; guests.
        .ok(input("h-1", "share.posted", "lee", "2026-03-05T00:00:03Z"), 0, .noRule, says: "no level points for shares"),
        .ok(input("j-1", "member.joined", "gia", "2026-03-05T00:00:04Z", #"{"guest": true}"#), 0, .noRule),
        .ok(order("o-12", "gia", "2026-03-05T00:00:05Z", "g-1", "10.00"), 0, .guest, says: "guests earn no level points"),
        .ok(input("s-1", "member.signed_in", "gia", "2026-03-05T00:00:06Z"), 0, .guest),
        .ok(order("o-13", "lee", "2026-03-05T00:00:07Z", "l-11", "10.00", #", "guest": true"#), 0, .guest),
        .refused(order("o-14", "lee", "2026-03-05T00:00:08Z", "l-12", "10.00", #", "international": "no""#), .invalidField),
        .refused(input("o-15", "order.completed", "lee", "2026-03-05T00:00:09Z", #"{"order": "l-12", "amount": "10.00", "currency": "EUR"}"#),
                 .wrongCurrency),
        .dup(order("o-2", "lee", "2026-03-02T10:00:01Z", "l-2", "2.00"), says: "it was applied for 2 points"),
        .refused(order("o-2", "lee", "2026-03-02T10:00:01Z", "l-2", "2.01"), .conflict),
        .member("lee", balance: 31),
        .member("gia", balance: 0),
    ]

    func testOrdersReviewsAndSpending() { runTable(program, Self.orders) }

    // MARK: Sign-ins 1 a day and 10 a month; posts and campaigns 2 each, 10 a month

    static let monthly: [Step] = [
        .ok(input("s-1", "member.signed_in", "sam", "2026-01-01T12:00:00Z"), 1),
        .ok(input("s-2", "member.signed_in", "sam", "2026-01-01T23:59:59Z"), 0, .capReached, says: "at most once a day"),
        .ok(input("s-3", "member.signed_in", "sam", "2026-01-02T00:00:00Z"), 1),
        .ok(input("s-4", "member.signed_in", "sam", "2026-01-03T12:00:00Z"), 1),
        .ok(input("s-5", "member.signed_in", "sam", "2026-01-04T12:00:00Z"), 1),
        .ok(input("s-6", "member.signed_in", "sam", "2026-01-05T12:00:00Z"), 1),
        .ok(input("s-7", "member.signed_in", "sam", "2026-01-06T12:00:00Z"), 1),
        .ok(input("s-8", "member.signed_in", "sam", "2026-01-07T12:00:00Z"), 1),
        .ok(input("s-9", "member.signed_in", "sam", "2026-01-08T12:00:00Z"), 1),
        .ok(input("s-10", "member.signed_in", "sam", "2026-01-09T12:00:00Z"), 1),
        .ok(input("s-11", "member.signed_in", "sam", "2026-01-10T12:00:00Z"), 1),   // the 10th this month
        .ok(input("s-12", "member.signed_in", "sam", "2026-01-11T12:00:00Z"), 0, .capReached,
            says: "sign-ins earn at most 10 level points a month; you have 10 this month"),
        .ok(input("s-13", "member.signed_in", "sam", "2026-01-31T23:59:59Z"), 0, .capReached),
        .ok(input("s-14", "member.signed_in", "sam", "2026-02-01T00:00:00Z"), 1),
        .member("sam", balance: 11),
        // Posts: 2 each, at most 10 points a month, once per post id.
        .ok(post("p-1", "pam", "2026-03-01T00:00:00Z", "post-1"), 2),
        .ok(post("p-2", "pam", "2026-03-02T00:00:00Z", "post-2"), 2),
        .ok(post("p-3", "pam", "2026-03-03T00:00:00Z", "post-3"), 2),
        .ok(post("p-4", "pam", "2026-03-04T00:00:00Z", "post-4"), 2),
        .ok(post("p-5", "pam", "2026-03-05T00:00:00Z", "post-4"), 0, .alreadyAwarded),
        .ok(post("p-6", "pam", "2026-03-06T00:00:00Z", "post-5"), 2),
        .ok(post("p-7", "pam", "2026-03-31T23:59:59Z", "post-6"), 0, .capReached,
            says: "posts earn at most 10 level points a month; you have 10 this month"),
        .ok(post("p-8", "pam", "2026-04-01T00:00:00Z", "post-6"), 2),   // stopped by the cap, earns later
        .ok(post("p-9", "pam", "2026-04-01T00:00:01Z", "post-1"), 0, .alreadyAwarded),
        // Campaign entries: 2 each, at most 10 a month, once per campaign.
        .ok(campaign("c-1", "pam", "2026-04-02T00:00:00Z", "spring"), 2),
        .ok(campaign("c-2", "pam", "2026-04-02T00:00:01Z", "spring"), 0, .alreadyAwarded),
        .ok(campaign("c-3", "pam", "2026-04-02T00:00:02Z", "lottery-1"), 2),
        .ok(campaign("c-4", "pam", "2026-04-02T00:00:03Z", "lottery-2"), 2),
        .ok(campaign("c-5", "pam", "2026-04-02T00:00:04Z", "lottery-3"), 2),
        .ok(campaign("c-6", "pam", "2026-04-02T00:00:05Z", "lottery-4"), 2),
        .ok(campaign("c-7", "pam", "2026-04-30T23:59:59Z", "lottery-5"), 0, .capReached, says: "at most 10 level points a month"),
        .ok(campaign("c-8", "pam", "2026-05-01T00:00:00Z", "lottery-5"), 2),
        .member("pam", balance: 10 + 2 + 12),
    ]

    func testMonthlyCaps() { runTable(program, Self.monthly) }

    /// A points cap awards what room is left: a post worth 2 with 1 point of room earns 1. The
    /// preset's posts are 2 points under a cap of 10, so the room is always even; the cap is 9 here.
    func testPostWithOnePointOfRoom() throws {
        let odd = try derivedPreset("aliexpress-levels",
                                    replacing: "once_per: [post]\n    caps:\n      - {per: month, points: 10}",
                                    with: "once_per: [post]\n    caps:\n      - {per: month, points: 9}")
        runTable(odd, [
            .ok(post("p-1", "pam", "2026-03-01T00:00:00Z", "post-1"), 2),
            .ok(post("p-2", "pam", "2026-03-02T00:00:00Z", "post-2"), 2),
            .ok(post("p-3", "pam", "2026-03-03T00:00:00Z", "post-3"), 2),
            .ok(post("p-4", "pam", "2026-03-04T00:00:00Z", "post-4"), 2),
            .ok(post("p-5", "pam", "2026-03-05T00:00:00Z", "post-5"), 1, .capReached, says: "you have 8 this month"),
            .ok(post("p-6", "pam", "2026-03-06T00:00:00Z", "post-6"), 0, .capReached, says: "you have 9 this month"),
            .member("pam", balance: 9),
        ])
    }

    // MARK: Levels: count on the 1st, effective on the 8th, coupons for increases

    static let levels: [Step] = [
        .ok(adjust("a-1", "mia", "2026-01-10T00:00:00Z", 99), 99),
        .ok(adjust("a-2", "lena", "2026-01-10T00:00:01Z", 100), 100),   // one below gold
        .ok(adjust("a-3", "nora", "2026-01-10T00:00:02Z", 501), 501),   // silver straight to platinum
        .ok(order("o-1", "mia", "2026-01-20T00:00:00Z", "m-1", "2.00"), 2),  // 101: gold
        .ok(adjust("a-4", "olga", "2026-01-31T23:59:59.999Z", 100), 100),
        .member("mia", tier: "silver", nextTier: .some(nil)),
        // The count at 00:00 on the 1st runs before an input at that time: this point counts in February.
        .ok(adjust("a-5", "olga", "2026-02-01T00:00:00Z", 1), 1),
        .member("mia", tier: "silver", nextTier: "gold", nextTierAt: "2026-02-08T00:00:00Z"),
        .member("nora", tier: "silver", nextTier: "platinum", nextTierAt: "2026-02-08T00:00:00Z"),
        .member("lena", tier: "silver", nextTier: .some(nil)),
        .member("olga", tier: "silver", nextTier: .some(nil)),
        .ok(adjust("a-6", "pia", "2026-02-03T00:00:00Z", 600), 600),   // joins after the count
        .at("2026-02-07T23:59:59.999Z"),
        .member("mia", tier: "silver", coupons: []),
        .at("2026-02-08T00:00:00Z"),
        .member("mia", balance: 101, tier: "gold", coupons: ["level-up-gold"], nextTier: .some(nil)),
        .check { replay in
            let coupon = replay.engine.state.members["mia"]!.coupons.first
            XCTAssertEqual(coupon?.issuedAt, Instant(rfc3339: "2026-02-08T00:00:00Z"), "issued when the level takes effect")
            XCTAssertEqual(coupon?.valueMinorUnits, 200)
        },
        .member("lena", tier: "silver", coupons: []),
        .member("nora", tier: "platinum", coupons: ["level-up-platinum"]),
        .member("olga", tier: "silver", coupons: []),
        .member("pia", tier: "silver", coupons: []),   // new members are silver until their first evaluation
        .at("2026-03-01T00:00:00Z"),
        .member("olga", tier: "silver", nextTier: "gold", nextTierAt: "2026-03-08T00:00:00Z"),
        .member("pia", tier: "silver", nextTier: "platinum"),
        .at("2026-03-08T00:00:00Z"),
        .member("olga", tier: "gold", coupons: ["level-up-gold"]),
        .member("pia", tier: "platinum", coupons: ["level-up-platinum"]),
        .member("mia", tier: "gold", coupons: ["level-up-gold"]),
        // January 2026 counts until the count of 2027-01-01 (January to December 2026) ...
        .at("2027-01-08T00:00:00Z"),
        .member("mia", tier: "gold"),
        // ... and leaves the window at the count of 2027-02-01, effective on the 8th.
        .at("2027-02-01T00:00:00Z"),
        .member("mia", tier: "gold", nextTier: "silver", nextTierAt: "2027-02-08T00:00:00Z"),
        .at("2027-02-07T23:59:59.999Z"),
        .member("mia", tier: "gold"),
        .at("2027-02-08T00:00:00Z"),
        .member("mia", balance: 101, tier: "silver", coupons: ["level-up-gold"]),   // no coupon going down
        .member("olga", tier: "silver"),
        .member("nora", tier: "silver"),
        .member("pia", tier: "platinum"),   // February 2026 is still in the window
        // A new increase issues a new coupon.
        .ok(adjust("a-7", "mia", "2027-02-10T00:00:00Z", 101), 101),
        .at("2027-03-08T00:00:00Z"),
        .member("mia", balance: 202, tier: "gold", coupons: ["level-up-gold", "level-up-gold"]),
        .member("pia", balance: 600, tier: "silver"),
        // Diamond at 1,001 and elite at 1,501; silver to elite issues the elite coupon only.
        .ok(adjust("a-8", "quin", "2027-03-10T00:00:00Z", 1000), 1000),
        .ok(adjust("a-9", "rita", "2027-03-10T00:00:01Z", 1001), 1001),
        .ok(adjust("a-10", "stan", "2027-03-10T00:00:02Z", 1501), 1501),
        .at("2027-04-08T00:00:00Z"),
        .member("quin", tier: "platinum", coupons: ["level-up-platinum"]),
        .member("rita", tier: "diamond", coupons: ["level-up-diamond"]),
        .member("stan", tier: "elite", coupons: ["level-up-elite"]),
        .check { replay in
            let values = replay.engine.state.members["stan"]!.coupons.map(\.valueMinorUnits)
            XCTAssertEqual(values, [1000], "the elite coupon is worth 10.00 USD")
            let gold = replay.engine.state.members["olga"]!.coupons.map(\.valueMinorUnits)
            XCTAssertEqual(gold, [200], "the gold coupon is worth 2.00 USD")
        },
    ]

    /// The preset without its anniversary coupons, for tables about something else that run for years.
    static let anniversaryBlock = """
    # A coupon on each anniversary of joining (00:00 on the date the member joined), by level.
    anniversary:
      id: anniversary-coupon
      name: Anniversary coupon
      by_level: {silver: "1.00", gold: "2.00", platinum: "3.00", diamond: "4.00", elite: "5.00"}

    """

    func testLevels() throws { runTable(try derivedPreset("aliexpress-levels", replacing: Self.anniversaryBlock, with: ""), Self.levels) }

    // MARK: Birthday coupon: 00:00 on the birthday, 29 Feb -> 28 Feb, once a calendar year

    static let birthdays: [Step] = [
        .ok(join("j-1", "bea", "2026-03-01T10:00:00Z", birthday: "1990-05-17"), 0, .noRule),
        .ok(join("j-2", "cid", "2026-03-01T10:00:01Z", birthday: "2000-02-29"), 0, .noRule),
        .refused(join("j-3", "dot", "2026-03-01T10:00:02Z", birthday: "1990-02-30"), .invalidField),
        .at("2026-05-16T23:59:59.999Z"),
        .member("bea", coupons: []),
        .at("2026-05-17T00:00:00Z"),
        .member("bea", coupons: ["birthday-coupon"]),
        // A changed birthday later in the same year gives no second coupon that year.
        .ok(join("j-4", "bea", "2026-05-17T12:00:00Z", birthday: "1990-05-18"), 0, .noRule),
        .at("2026-05-18T00:00:00Z"),
        .member("bea", coupons: ["birthday-coupon"]),
        .at("2027-02-27T23:59:59.999Z"),
        .member("cid", coupons: []),
        .at("2027-02-28T00:00:00Z"),
        .member("cid", coupons: ["birthday-coupon"]),
        // (Both joined on 2026-03-01: their first anniversary coupon comes on 2027-03-01.)
        .at("2027-05-18T00:00:00Z"),
        .member("bea", coupons: ["birthday-coupon", "anniversary-coupon", "birthday-coupon"]),
        .at("2028-02-28T00:00:00Z"),
        .member("cid", coupons: ["birthday-coupon", "anniversary-coupon"]),
        .at("2028-02-29T00:00:00Z"),
        .member("cid", balance: 0, coupons: ["birthday-coupon", "anniversary-coupon", "birthday-coupon"]),
        .check { replay in
            XCTAssertEqual(replay.engine.state.members["cid"]!.coupons.map(\.valueMinorUnits), [300, 100, 300],
                           "3.00 USD each birthday, 1.00 for a Silver anniversary")
        },
    ]

    func testBirthdayCoupons() { runTable(program, Self.birthdays) }

    // MARK: Anniversary coupon: 00:00 on the date of joining, each year, sized by the level then

    static let anniversaries: [Step] = [
        // ann first appears on 2026-03-15 (UTC): her anniversaries are on 15 March.
        .ok(order("o-1", "ann", "2026-03-15T18:00:00Z", "a-1", "10.00"), 6),
        // leo joined the shop on 29 February 2024, before the program ran here.
        .ok(input("j-1", "member.joined", "leo", "2026-03-16T00:00:00Z", #"{"since": "2024-02-29"}"#), 0, .noRule),
        .refused(input("j-2", "member.joined", "max", "2026-03-16T00:00:01Z", #"{"since": "2024-02-30"}"#), .invalidField,
                 says: "\"since\" must be a date"),
        // ann reaches Gold (101 level points counted on 1 April, effective on the 8th).
        .ok(order("o-2", "ann", "2026-03-20T00:00:00Z", "a-2", "2.00"), 2),
        .ok(input("a-1", "points.adjusted", "ann", "2026-03-21T00:00:00Z", #"{"points": 100, "reason": "migration"}"#), 100),
        .at("2026-04-08T00:00:00Z"),
        .member("ann", tier: "gold", coupons: ["level-up-gold"]),
        // leo's next anniversary: 28 February 2027 (no 29th), a Silver coupon.
        .at("2027-02-27T23:59:59.999Z"),
        .member("leo", coupons: []),
        .at("2027-02-28T00:00:00Z"),
        .member("leo", coupons: ["anniversary-coupon"]),
        .at("2027-03-14T23:59:59.999Z"),
        .member("ann", coupons: ["level-up-gold"]),
        .at("2027-03-15T00:00:00Z"),
        .check { replay in
            let ann = replay.engine.state.members["ann"]!
            XCTAssertEqual(ann.coupons.last?.reward, "anniversary-coupon")
            XCTAssertEqual(ann.coupons.last?.name, "Anniversary coupon (1 year, Gold)")
            XCTAssertEqual(ann.coupons.last?.valueMinorUnits, 200, "2.00 USD at Gold")
            XCTAssertEqual(replay.engine.state.members["leo"]!.coupons.map(\.valueMinorUnits), [100], "1.00 USD at Silver")
            XCTAssertEqual(replay.engine.state.members["leo"]!.coupons.first?.name, "Anniversary coupon (3 years, Silver)")
        },
        // One a year: a leap year gives leo his own date back.
        .at("2028-02-29T00:00:00Z"),
        .member("leo", coupons: ["anniversary-coupon", "anniversary-coupon"]),
    ]

    func testAnniversaryCoupons() { runTable(program, Self.anniversaries) }

    func testAnniversaryCouponsAreConfigured() throws {
        let byLevel = #"by_level: {silver: "1.00", gold: "2.00", platinum: "3.00", diamond: "4.00", elite: "5.00"}"#
        let bad = [
            ("", "give either value"),
            (#"value: "1.00""# + "\n  " + byLevel, "give either value"),
            (#"by_level: {bronze: "1.00"}"#, "bronze"),
            (#"by_level: {silver: "-1"}"#, "must be an amount"),
        ]
        for (line, says) in bad {
            XCTAssertThrowsError(try derivedPreset("aliexpress-levels", replacing: byLevel, with: line), line) { error in
                let problems = (error as? ProgramFileError)?.problems ?? []
                XCTAssertTrue(problems.contains { $0.message.contains(says) || $0.field.contains(says) }, "\(line): \(problems)")
            }
        }
    }
}
