import AccrueCore
import AccruePrograms
import XCTest

// jd-points (Asia/Shanghai, UTC+8, CNY) against PROGRAMS.md. Times in the rows are UTC; the local
// time is in the comments where a boundary depends on it.

/// An order.completed line in CNY; `extra` is more data fields, starting with a comma.
private func order(_ id: String, _ member: String, _ at: String, _ order: String, _ amount: String, _ extra: String = "") -> String {
    input(id, "order.completed", member, at, #"{"order": "\#(order)", "amount": "\#(amount)", "currency": "CNY"\#(extra)}"#)
}

private func refund(_ id: String, _ member: String, _ at: String, _ order: String, _ amount: String) -> String {
    input(id, "order.refunded", member, at, #"{"order": "\#(order)", "amount": "\#(amount)"}"#)
}

private func dispute(_ id: String, _ member: String, _ at: String, _ order: String) -> String {
    input(id, "order.disputed", member, at, #"{"order": "\#(order)"}"#)
}

private func redeem(_ id: String, _ member: String, _ at: String, _ order: String, _ points: Int64, _ orderAmount: String) -> String {
    input(id, "points.redeemed", member, at, #"{"order": "\#(order)", "points": \#(points), "order_amount": "\#(orderAmount)"}"#)
}

private func adjust(_ id: String, _ member: String, _ at: String, _ points: Int64) -> String {
    input(id, "points.adjusted", member, at, #"{"points": \#(points), "reason": "operator correction"}"#)
}

private func signIn(_ id: String, _ member: String, _ at: String) -> String {
    input(id, "member.signed_in", member, at)
}

private func review(_ id: String, _ member: String, _ at: String, _ order: String, _ product: String) -> String {
    input(id, "review.posted", member, at, #"{"order": "\#(order)", "product": "\#(product)"}"#)
}

private func claim(_ id: String, _ member: String, _ at: String, _ reward: String) -> String {
    input(id, "reward.claimed", member, at, #"{"reward": "\#(reward)"}"#)
}

final class JDPointsTableTests: XCTestCase {
    var program: Program!

    override func setUpWithError() throws {
        program = try preset("jd-points")
    }

    // MARK: Pending for exactly 7 x 24 h; work due at an input's `at` runs first

    static let pending: [Step] = [
        .ok(input("j-1", "member.joined", "alice", "2026-03-01T02:00:00Z"), 0, .noRule, says: "no points for joining"),
        .ok(order("o-1", "alice", "2026-03-01T02:00:00Z", "a-1", "120.50", #", "seller": "s-1", "category": "books""#), 120),
        .member("alice", balance: 0, pending: 120, held: 0, tier: "regular"),
        // 7 x 24 h minus 1 ms: still pending; the 7th day is not enough.
        .at("2026-03-08T01:59:59.999Z"),
        .member("alice", balance: 0, pending: 120),
        // Exactly 7 x 24 h: available.
        .at("2026-03-08T02:00:00Z"),
        .member("alice", balance: 120, pending: 0),
        .ok(order("o-2", "alice", "2026-03-10T00:00:00Z", "a-2", "80.00"), 80),
        .member("alice", balance: 120, pending: 80),
        // 1 ms before o-2 becomes available only 120 can pay ...
        .refused(redeem("r-1", "alice", "2026-03-16T23:59:59.999Z", "shop-1", 200, "10.00"), .insufficientPoints,
                 says: "you have 120 points available; 200 needed"),
        // ... at exactly 7 x 24 h the release runs before the redemption.
        .ok(redeem("r-2", "alice", "2026-03-17T00:00:00Z", "shop-1", 200, "10.00"), -200),
        .member("alice", balance: 0, pending: 0),
    ]

    func testPendingSevenDays() { runTable(program, Self.pending) }

    // MARK: Tiers: the threshold and one below, rounding, spending does not lower, 1 January

    static let tiers: [Step] = [
        .ok(order("o-1", "bob", "2026-03-01T03:00:00Z", "b-1", "994.00"), 994),
        .at("2026-03-08T03:00:00Z"),
        .member("bob", balance: 994, pending: 0, tier: "regular"),
        .ok(signIn("s-1", "bob", "2026-03-08T04:00:00Z"), 5),
        // 999: one below gold.
        .member("bob", balance: 999, tier: "regular"),
        // Adjustments count toward the tier: 1,000 is gold at once.
        .ok(adjust("a-1", "bob", "2026-03-08T05:00:00Z", 1), 1),
        .member("bob", balance: 1000, tier: "gold"),
        // Rounding: whole units first, then the multiplier, then one floor: floor(9 x 1.2) = 10.
        .ok(order("o-2", "bob", "2026-03-09T00:00:00Z", "b-2", "9.99"), 10),
        .ok(order("o-3", "bob", "2026-03-09T00:00:01Z", "b-3", "10.00"), 12),
        .ok(order("o-4", "bob", "2026-03-09T00:00:02Z", "b-4", "0.99"), 0, .zeroPoints, says: "earns none"),
        // Spending never lowers the tier.
        .ok(redeem("r-1", "bob", "2026-03-10T00:00:00Z", "shop-1", 500, "10.00"), -500),
        .member("bob", balance: 500, pending: 22, tier: "gold"),
        .at("2026-03-16T00:00:02Z"),
        .member("bob", balance: 522, pending: 0, tier: "gold"),
        // 1 January (local): last year's 1,022 keeps gold for 2027, even after the lots expire.
        .at("2026-12-31T15:59:59.999Z"),
        .member("bob", tier: "gold"),
        .at("2026-12-31T16:00:00Z"),
        .member("bob", balance: 522, tier: "gold"),
        .at("2027-06-01T00:00:00Z"),
        .member("bob", balance: 0, tier: "gold"),
        // 1 January 2028 local: 2027 earned nothing, back to regular.
        .at("2027-12-31T15:59:59.999Z"),
        .member("bob", tier: "gold"),
        .at("2027-12-31T16:00:00Z"),
        .member("bob", tier: "regular"),
        // Platinum at 5,000, diamond at 20,000, in one local year (2028).
        .ok(adjust("a-2", "cleo", "2028-01-05T00:00:00Z", 4999), 4999),
        .member("cleo", tier: "gold"),
        .ok(adjust("a-3", "cleo", "2028-01-05T00:00:01Z", 1), 1),
        .member("cleo", tier: "platinum"),
        .ok(order("o-5", "cleo", "2028-01-06T00:00:00Z", "c-1", "10.00"), 15),
        .ok(adjust("a-4", "cleo", "2028-01-06T00:00:01Z", 14999), 14999),
        .member("cleo", balance: 19999, pending: 15, tier: "platinum"),
        .at("2028-01-13T00:00:00Z"),
        .member("cleo", balance: 20014, pending: 0, tier: "diamond"),
        .ok(order("o-6", "cleo", "2028-01-14T00:00:00Z", "c-2", "10.99"), 20),
        // A negative adjustment counts against the tier total too: 20,014 - 15 = 19,999 is platinum.
        .ok(adjust("a-5", "cleo", "2028-01-14T00:00:01Z", -15), -15),
        .member("cleo", balance: 19999, pending: 20, tier: "platinum"),
        // An award counts in the local year it becomes available: ordered 2028-12-28 local, available
        // 2029-01-04 local, so 2028 stays at 995 and 2029 has 10.
        .ok(adjust("a-6", "drew", "2028-03-01T00:00:00Z", 995), 995),
        .ok(order("o-7", "drew", "2028-12-28T00:00:00Z", "dr-1", "10.00"), 10),
        .at("2029-01-04T00:00:00Z"),
        .member("drew", balance: 1005, pending: 0, tier: "regular"),
    ]

    func testTiersAndRounding() { runTable(program, Self.tiers) }

    /// The year start is due work: at exactly 00:00 local on 1 January it runs before an order.
    static let yearStart: [Step] = [
        .ok(adjust("a-1", "zed", "2025-06-01T00:00:00Z", 1000), 1000),
        .member("zed", tier: "gold"),
        .at("2025-12-31T16:00:00Z"),
        .member("zed", tier: "gold"),   // 2025's 1,000 keeps gold through 2026
        .ok(order("o-1", "zed", "2026-12-31T15:59:59.999Z", "z-1", "10.00"), 12),  // 2026-12-31 23:59:59.999 local: gold
        .ok(order("o-2", "zed", "2026-12-31T16:00:00Z", "z-2", "10.00"), 10),      // 2027-01-01 00:00 local: regular first
        .member("zed", pending: 22, tier: "regular"),
        // The year's first points: o-1 becomes available in 2027 and counts there.
        .at("2027-01-08T00:00:00Z"),
        .member("zed", balance: 22, pending: 0, tier: "regular"),   // the 2025 lot expired on 2026-06-01
    ]

    func testYearStartRunsBeforeInput() { runTable(program, Self.yearStart) }

    // MARK: The Asia/Shanghai day: sign-ins once a day, reviews 5 a day

    static let localDay: [Step] = [
        .ok(signIn("s-1", "carol", "2026-03-02T15:59:59Z"), 5),  // 03-02 23:59:59 local
        .ok(signIn("s-2", "carol", "2026-03-02T16:00:00Z"), 5),  // 03-03 00:00:00 local: a new day
        .ok(signIn("s-3", "carol", "2026-03-03T15:59:59Z"), 0, .capReached, says: "sign-ins earn at most once a day"),
        .ok(signIn("s-4", "carol", "2026-03-04T00:00:00+08:00"), 5),   // = 2026-03-03T16:00:00Z
        .ok(signIn("s-4b", "carol", "2026-03-04T23:59:59+08:00"), 0, .capReached),
        // Reviews on local 2026-03-06 (from 2026-03-05T16:00Z): 5 earn, the 6th does not.
        .ok(review("v-1", "carol", "2026-03-05T16:00:00Z", "x-1", "p-1"), 20),  // an order the engine never saw
        .ok(review("v-2", "carol", "2026-03-05T20:00:00Z", "x-1", "p-2"), 20),
        .ok(review("v-3", "carol", "2026-03-06T01:00:00Z", "x-1", "p-3"), 20),
        .ok(review("v-4", "carol", "2026-03-06T05:00:00Z", "x-1", "p-4"), 20),
        .ok(review("v-5", "carol", "2026-03-06T10:00:00Z", "x-1", "p-5"), 20),
        .ok(review("v-6", "carol", "2026-03-06T15:59:59Z", "x-1", "p-6"), 0, .capReached,
            says: "reviews earn at most 5 times a day; you have 5 today"),
        // The next local day the capped review earns; a review of the same (order, product) does not.
        .ok(review("v-7", "carol", "2026-03-06T16:00:00Z", "x-1", "p-6"), 20),
        .ok(review("v-8", "carol", "2026-03-06T16:00:01Z", "x-1", "p-1"), 0, .alreadyAwarded, says: "already earned"),
        .ok(review("v-9", "carol", "2026-03-06T16:00:02Z", "x-2", "p-1"), 20),
        .member("carol", balance: 15 + 7 * 20, pending: 0),
        // Inputs jd-points has no rule for: applied, 0 points, a reason.
        .ok(input("p-1", "post.published", "carol", "2026-03-07T00:00:00Z", #"{"post": "post-1"}"#), 0, .noRule,
            says: "gives no points for posts"),
        .ok(input("h-1", "share.posted", "carol", "2026-03-07T00:00:01Z"), 0, .noRule, says: "shares"),
        .ok(input("f-1", "referral.completed", "carol", "2026-03-07T00:00:02Z", #"{"referred": "dora"}"#), 0, .noRule),
        .ok(input("c-1", "campaign.joined", "carol", "2026-03-07T00:00:03Z", #"{"campaign": "spring"}"#), 0, .noRule),
        .member("carol", balance: 155),
    ]

    func testShanghaiDayCaps() { runTable(program, Self.localDay) }

    // MARK: Campaigns: inclusive local dates, categories, tier x campaign

    static let campaigns: [Step] = [
        // 618-electronics: 2026-06-01 to 2026-06-18 local, x3 on electronics only.
        .ok(order("o-1", "dan", "2026-05-31T15:59:59Z", "d-1", "10.00", #", "category": "electronics""#), 10),  // 05-31 local
        .ok(order("o-2", "dan", "2026-05-31T16:00:00Z", "d-2", "10.00", #", "category": "electronics""#), 30),  // 06-01 local
        .ok(order("o-3", "dan", "2026-06-18T15:59:59Z", "d-3", "10.00", #", "category": "electronics""#), 30),  // 06-18 local
        .ok(order("o-4", "dan", "2026-06-18T15:59:59Z", "d-4", "10.00", #", "category": "books""#), 10),
        .ok(order("o-5", "dan", "2026-06-18T15:59:59Z", "d-5", "10.00"), 10),
        .ok(order("o-6", "dan", "2026-06-18T16:00:00Z", "d-6", "10.00", #", "category": "electronics""#), 10),  // 06-19 local
        // double-11: 2026-11-01 to 2026-11-11 local, x2 on every order.
        .ok(order("o-7", "dan", "2026-10-31T15:59:59Z", "d-7", "10.00"), 10),
        .ok(order("o-8", "dan", "2026-10-31T16:00:00Z", "d-8", "10.00"), 20),
        // Tier and campaign multiply, one floor at the end: floor(10 x 1.2 x 2) = 24, floor(9 x 2.4) = 21.
        .ok(adjust("a-1", "erin", "2026-11-01T00:00:00Z", 1000), 1000),
        .member("erin", tier: "gold"),
        .ok(order("o-11", "erin", "2026-11-05T00:00:00Z", "e-1", "10.00"), 24),
        .ok(order("o-12", "erin", "2026-11-05T00:00:01Z", "e-2", "9.99"), 21),
        // Campaigns multiply order points only: a review on double-11 is 20.
        .ok(review("v-1", "erin", "2026-11-05T00:00:02Z", "e-1", "p-1"), 20),
        .member("erin", balance: 1020, pending: 45),
        .ok(order("o-9", "dan", "2026-11-11T15:59:59Z", "d-9", "10.00", #", "category": "electronics""#), 20),
        .ok(order("o-10", "dan", "2026-11-11T16:00:00Z", "d-10", "10.00"), 10),
        // A refund after double-11 is recomputed with the order's own x2: floor(5 x 2) = 10 taken back.
        .ok(refund("f-1", "dan", "2026-11-20T00:00:00Z", "d-8", "5.00"), -10),
        .at("2026-11-30T00:00:00Z"),
        .member("dan", balance: 150, pending: 0, tier: "regular"),
        .member("erin", balance: 1065, pending: 0, tier: "gold"),
    ]

    func testCampaigns() { runTable(program, Self.campaigns) }

    /// Highest campaign, not stacked: the preset's campaigns never overlap, so 618-electronics is
    /// moved onto double-11 here.
    func testOverlappingCampaignsDoNotStack() throws {
        let overlapping = try derivedPreset("jd-points", replacing: "from: 2026-06-01, to: 2026-06-18", with: "from: 2026-11-01, to: 2026-11-18")
        runTable(overlapping, [
            .ok(order("o-1", "dan", "2026-11-05T00:00:00Z", "d-1", "10.00", #", "category": "electronics""#), 30),  // x3, not x6
            .ok(order("o-2", "dan", "2026-11-05T00:00:01Z", "d-2", "10.00", #", "category": "books""#), 20),
            .ok(order("o-3", "dan", "2026-11-15T00:00:00Z", "d-3", "10.00", #", "category": "electronics""#), 30),
            .ok(order("o-4", "dan", "2026-11-15T00:00:01Z", "d-4", "10.00"), 10),
        ])
    }

    // MARK: What earns nothing: international, excluded seller, guests

    static let nothing: [Step] = [
        .ok(order("o-1", "fred", "2026-04-01T00:00:00Z", "f-1", "100.00", #", "international": true"#), 0, .international,
            says: "international orders earn no points"),
        .ok(order("o-2", "fred", "2026-04-01T00:00:01Z", "f-2", "100.00", #", "seller": "s-outlet""#), 0, .excludedSeller,
            says: "seller s-outlet"),
        .ok(order("o-3", "fred", "2026-04-01T00:00:02Z", "f-3", "100.00", #", "seller": "s-2", "international": false"#), 100),
        // Guests: a guest join makes every order earn nothing, until a later join says false.
        .ok(input("j-1", "member.joined", "gail", "2026-04-01T01:00:00Z", #"{"guest": true}"#), 0, .noRule),
        .ok(order("o-4", "gail", "2026-04-01T01:00:01Z", "g-1", "100.00"), 0, .guest, says: "guests earn no points"),
        .ok(signIn("s-1", "gail", "2026-04-01T01:00:02Z"), 0, .guest),
        .ok(review("v-1", "gail", "2026-04-01T01:00:03Z", "g-1", "p-1"), 0, .guest),
        .ok(input("j-2", "member.joined", "gail", "2026-04-02T00:00:00Z", #"{"guest": false}"#), 0, .noRule),
        .ok(order("o-5", "gail", "2026-04-02T00:00:01Z", "g-2", "100.00"), 100),
        // guest: true on one order: only that order earns nothing.
        .ok(order("o-6", "fred", "2026-04-02T00:00:02Z", "f-4", "100.00", #", "guest": true"#), 0, .guest, says: "guest orders earn no points"),
        .ok(order("o-7", "fred", "2026-04-02T00:00:03Z", "f-5", "1.00"), 1),
        .member("fred", balance: 0, pending: 101),
        .member("gail", balance: 0, pending: 100),
    ]

    func testWhatEarnsNothing() { runTable(program, Self.nothing) }

    // MARK: Participating sellers (a program where not every store takes part)

    static let participating: [Step] = [
        .ok(order("o-1", "pia", "2026-04-01T00:00:00Z", "p-1", "100.00", #", "seller": "s-1""#), 100),
        .ok(order("o-2", "pia", "2026-04-01T00:00:01Z", "p-2", "100.00", #", "seller": "s-3""#), 0, .sellerNotParticipating,
            says: "seller s-3 does not take part in JD Points: its orders earn no points"),
        .ok(order("o-3", "pia", "2026-04-01T00:00:02Z", "p-3", "100.00"), 0, .sellerNotParticipating, says: "this order names no seller"),
        // An excluded seller is refused as excluded, whatever the list of participants says.
        .ok(order("o-4", "pia", "2026-04-01T00:00:03Z", "p-4", "100.00", #", "seller": "s-outlet""#), 0, .excludedSeller),
        // What is not an order (a sign-in) earns as before.
        .ok(signIn("s-1", "pia", "2026-04-01T00:00:04Z"), 5),
        .member("pia", balance: 5, pending: 100),
    ]

    func testOnlyParticipatingSellersOrdersEarn() throws {
        let program = try derivedPreset("jd-points", replacing: "excluded_sellers: [s-outlet]",
                                        with: "excluded_sellers: [s-outlet]\nparticipating_sellers: [s-1, s-2]")
        XCTAssertEqual(program.participatingSellers, ["s-1", "s-2"])
        runTable(program, Self.participating)
        for (list, says) in [("[]", "lists no seller"), ("[s-1, s-outlet]", "\"s-outlet\" is also an excluded seller")] {
            XCTAssertThrowsError(try derivedPreset("jd-points", replacing: "excluded_sellers: [s-outlet]",
                                                   with: "excluded_sellers: [s-outlet]\nparticipating_sellers: \(list)")) { error in
                let problems = (error as? ProgramFileError)?.problems ?? []
                XCTAssertTrue(problems.contains { $0.field == "participating_sellers" && $0.message.contains(says) }, "\(problems)")
            }
        }
    }

    // MARK: Refunds

    static let refunds: [Step] = [
        .ok(order("o-1", "fay", "2026-04-01T00:00:00Z", "f-1", "100.00"), 100),
        // Refunds while pending cancel pending points; they add up.
        .ok(refund("f-r1", "fay", "2026-04-02T00:00:00Z", "f-1", "30.00"), -30),
        .member("fay", balance: 0, pending: 70),
        .ok(refund("f-r2", "fay", "2026-04-02T00:00:01Z", "f-1", "20.00"), -20),
        .member("fay", balance: 0, pending: 50),
        .refused(refund("f-r3", "fay", "2026-04-02T00:00:02Z", "f-1", "50.01"), .refundTooLarge, says: "more than the 50.00 CNY left"),
        .ok(refund("f-r4", "fay", "2026-04-02T00:00:03Z", "f-1", "0.50"), -1),  // 49.50 left: 49
        .ok(refund("f-r5", "fay", "2026-04-02T00:00:04Z", "f-1", "0.50"), 0, .nothingToRecompute, says: "unchanged"),  // 49.00: 49
        .at("2026-04-08T00:00:00Z"),
        .member("fay", balance: 49, pending: 0),
        // After release the available points are taken back.
        .ok(refund("f-r6", "fay", "2026-04-09T00:00:00Z", "f-1", "9.00"), -9),
        .member("fay", balance: 40, pending: 0),
        .ok(refund("f-r7", "fay", "2026-04-09T00:00:01Z", "f-1", "40.00"), -40),
        .refused(refund("f-r8", "fay", "2026-04-09T00:00:02Z", "f-1", "0.01"), .refundTooLarge),
        .member("fay", balance: 0, pending: 0),
        // Unknown, another member's, a number, a disputed order.
        .refused(refund("f-r9", "fay", "2026-04-10T00:00:00Z", "nope", "1.00"), .unknownOrder),
        .ok(order("o-2", "gus", "2026-04-10T00:00:00Z", "g-1", "10.00"), 10),
        .refused(refund("f-r10", "fay", "2026-04-10T00:00:01Z", "g-1", "1.00"), .orderOfAnotherMember),
        .refused(input("f-r11", "order.refunded", "gus", "2026-04-10T00:00:02Z", #"{"order": "g-1", "amount": 1}"#), .invalidMoney),
        .ok(dispute("g-d1", "gus", "2026-04-10T00:00:03Z", "g-1"), -10),
        .refused(refund("f-r12", "gus", "2026-04-10T00:00:04Z", "g-1", "1.00"), .orderDisputed),
        // Recomputed with the order's own multiplier: gold x1.2 at the order, platinum x1.5 at the refund.
        .ok(adjust("a-1", "hal", "2026-04-11T00:00:00Z", 1000), 1000),
        .ok(order("o-3", "hal", "2026-04-11T00:00:01Z", "h-1", "100.00"), 120),
        .ok(adjust("a-2", "hal", "2026-04-11T00:00:02Z", 4000), 4000),
        .member("hal", tier: "platinum"),
        .ok(order("o-4", "hal", "2026-04-11T00:00:03Z", "h-2", "100.00"), 150),
        .ok(refund("h-r1", "hal", "2026-04-12T00:00:00Z", "h-1", "50.00"), -60),  // 120 -> floor(50 x 1.2) = 60
        .ok(refund("h-r2", "hal", "2026-04-12T00:00:01Z", "h-1", "0.01"), -2),    // floor(49 x 1.2) = 58
        .member("hal", balance: 5000, pending: 208, tier: "platinum"),
    ]

    func testRefunds() { runTable(program, Self.refunds) }

    // MARK: Disputes

    static let disputes: [Step] = [
        // A dispute while pending cancels the pending points without touching the available ones.
        .ok(adjust("a-1", "ivy", "2026-04-01T00:00:00Z", 100), 100),
        .ok(order("o-1", "ivy", "2026-04-01T00:00:01Z", "i-1", "50.00"), 50),
        .ok(dispute("d-1", "ivy", "2026-04-02T00:00:00Z", "i-1"), -50),
        .member("ivy", balance: 100, pending: 0),
        .refused(dispute("d-2", "ivy", "2026-04-02T00:00:01Z", "i-1"), .orderDisputed, says: "under dispute"),
        .at("2026-04-09T00:00:00Z"),
        .member("ivy", balance: 100, pending: 0),
        // A reversal of points already spent goes below zero; the next points pay it off first.
        .ok(order("o-2", "jay", "2026-05-01T00:00:00Z", "j-1", "100.00"), 100),
        .at("2026-05-08T00:00:00Z"),
        .ok(redeem("r-1", "jay", "2026-05-08T00:00:01Z", "shop-1", 100, "10.00"), -100),
        .ok(dispute("d-3", "jay", "2026-05-08T00:00:02Z", "j-1"), -100),
        .member("jay", balance: -100, pending: 0, debt: 100),
        .refused(redeem("r-2", "jay", "2026-05-08T00:00:03Z", "shop-2", 100, "10.00"), .insufficientPoints),
        .ok(signIn("s-1", "jay", "2026-05-08T00:00:04Z"), 5),
        .member("jay", balance: -95, debt: 95),
        .ok(order("o-3", "jay", "2026-05-09T00:00:00Z", "j-2", "200.00"), 200),
        .member("jay", balance: -95, pending: 200),
        .at("2026-05-16T00:00:00Z"),
        .member("jay", balance: 105, pending: 0, debt: 0),
        // An operator's negative adjustment cannot go below zero.
        .refused(adjust("a-2", "jay", "2026-05-16T00:00:01Z", -106), .belowZero),
        .ok(adjust("a-3", "jay", "2026-05-16T00:00:02Z", -105), -105),
        // A reversal can lower the tier at once.
        .ok(adjust("a-4", "kim", "2026-06-01T00:00:00Z", 990), 990),
        .ok(order("o-4", "kim", "2026-06-01T00:00:01Z", "k-1", "10.00"), 10),
        .at("2026-06-08T00:00:01Z"),
        .member("kim", balance: 1000, tier: "gold"),
        .ok(dispute("d-4", "kim", "2026-06-09T00:00:00Z", "k-1"), -10),
        .member("kim", balance: 990, tier: "regular"),
        // A reversal takes the award's own points first, then the soonest-expiring others.
        .ok(order("o-5", "lou", "2026-07-01T00:00:00Z", "lu-1", "200.00"), 200),  // available 07-08, expires 2027-07-08
        .ok(adjust("a-5", "lou", "2026-07-09T00:00:00Z", 100), 100),               // expires 2027-07-09
        .ok(adjust("a-6", "lou", "2026-07-10T00:00:00Z", 100), 100),               // expires 2027-07-10
        .ok(redeem("r-3", "lou", "2026-07-10T00:00:01Z", "shop-3", 100, "10.00"), -100),  // from the order's lot
        .ok(dispute("d-5", "lou", "2026-07-11T00:00:00Z", "lu-1"), -200),          // 100 own, 100 from the 07-09 lot
        .member("lou", balance: 100, debt: 0),
        .at("2027-07-09T00:00:00Z"),
        .member("lou", balance: 100),
        .at("2027-07-10T00:00:00Z"),
        .member("lou", balance: 0),
    ]

    func testDisputes() { runTable(program, Self.disputes) }

    // MARK: Checkout

    static let checkout: [Step] = [
        .ok(adjust("a-1", "leo", "2026-05-01T00:00:00Z", 1000), 1000),
        .ok(order("o-1", "leo", "2026-05-01T00:00:01Z", "l-1", "50.00"), 60),  // gold already
        .refused(redeem("r-1", "leo", "2026-05-02T00:00:00Z", "c-1", 99, "10.00"), .belowMinimum, says: "at least 100 points"),
        .refused(redeem("r-2", "leo", "2026-05-02T00:00:01Z", "c-1", 150, "10.00"), .notMultiple, says: "multiples of 100"),
        .refused(redeem("r-3", "leo", "2026-05-02T00:00:02Z", "c-1", 0, "10.00"), .invalidField),
        // 50% of 10.00 CNY = 500 points, across all redemptions on the order.
        .ok(redeem("r-4", "leo", "2026-05-02T00:00:03Z", "c-1", 300, "10.00"), -300),
        .refused(redeem("r-5", "leo", "2026-05-02T00:00:04Z", "c-1", 300, "10.00"), .shareExceeded, says: "300 already used"),
        .ok(redeem("r-6", "leo", "2026-05-02T00:00:05Z", "c-1", 200, "10.00"), -200),
        .refused(redeem("r-7", "leo", "2026-05-02T00:00:06Z", "c-1", 100, "10.00"), .shareExceeded, says: "at most 50%"),
        // 50% of 1.99 is 99.5 points: not one multiple of 100; 2.00 allows exactly 100.
        .refused(redeem("r-8", "leo", "2026-05-02T00:00:07Z", "c-2", 100, "1.99"), .shareExceeded),
        .ok(redeem("r-9", "leo", "2026-05-02T00:00:08Z", "c-3", 100, "2.00"), -100),
        // Only available points pay: 400 available, 60 pending.
        .member("leo", balance: 400, pending: 60),
        .refused(redeem("r-10", "leo", "2026-05-02T00:00:09Z", "c-4", 500, "100.00"), .insufficientPoints,
                 says: "you have 400 points available; 500 needed"),
        .ok(redeem("r-11", "leo", "2026-05-02T00:00:10Z", "c-4", 400, "100.00"), -400),
        .refused(input("r-12", "points.redeemed", "leo", "2026-05-02T00:00:11Z", #"{"order": "c-5", "points": 100, "order_amount": 100}"#),
                 .invalidMoney),
        .refused(input("r-13", "points.redeemed", "leo", "2026-05-02T00:00:12Z",
                       #"{"order": "c-5", "points": 100, "order_amount": "100.00", "currency": "USD"}"#), .wrongCurrency),
        // jd points are not spent on services.
        .refused(input("b-1", "booking.requested", "leo", "2026-05-02T00:00:13Z", #"{"booking": "bk-1", "services": [{"service": "tour"}]}"#),
                 .notSpendable, says: "not on services"),
        .at("2026-05-08T00:00:01Z"),
        .member("leo", balance: 60, pending: 0, tier: "gold"),
    ]

    func testCheckout() { runTable(program, Self.checkout) }

    // MARK: Places beyond the shop: mobile recharge (min 100, 100%), travel (min 1,000, 20%), health (30%)

    static func pay(_ id: String, _ at: String, _ place: String, _ bill: String, _ points: Int64, _ amount: String) -> String {
        input(id, "points.redeemed", "tess", at, #"{"order": "\#(bill)", "points": \#(points), "order_amount": "\#(amount)", "place": "\#(place)"}"#)
    }

    static let places: [Step] = [
        .ok(adjust("a-1", "tess", "2026-05-01T00:00:00Z", 9000), 9000),
        // All of a 30.00 recharge: 3,000 points.
        .ok(pay("p-1", "2026-05-01T00:00:01Z", "mobile-recharge", "r-1", 3000, "30.00"), -3000),
        .refused(pay("p-2", "2026-05-01T00:00:02Z", "mobile-recharge", "r-2", 3100, "30.00"), .shareExceeded,
                 says: "at most 100% of a Mobile recharge bill"),
        // Travel: at least 1,000 points, at most 20% (50.00 -> 10.00 = 1,000 points).
        .refused(pay("p-3", "2026-05-01T00:00:03Z", "travel", "t-1", 500, "50.00"), .belowMinimum, says: "at least 1,000 points"),
        .refused(pay("p-4", "2026-05-01T00:00:04Z", "travel", "t-1", 1100, "50.00"), .shareExceeded, says: "at most 20% of a Travel booking bill"),
        .ok(pay("p-5", "2026-05-01T00:00:05Z", "travel", "t-1", 1000, "50.00"), -1000),
        .refused(pay("p-6", "2026-05-01T00:00:06Z", "travel", "t-1", 1000, "50.00"), .shareExceeded, says: "1,000 already used on this bill"),
        // Health takes the checkout's minimum (100) and multiple (100).
        .refused(pay("p-7", "2026-05-01T00:00:07Z", "health", "h-1", 150, "10.00"), .notMultiple),
        .refused(pay("p-8", "2026-05-01T00:00:08Z", "casino", "c-1", 100, "10.00"), .unknownPlace,
                 says: "JD Points has no place \"casino\"; points also pay at: Mobile recharge, Travel booking, Health services"),
        // A bill at a place and a shop order with the same id are counted apart (50% of 10.00 at checkout).
        .ok(redeem("p-9", "tess", "2026-05-01T00:00:09Z", "r-1", 500, "10.00"), -500),
        // The hold, capture and release flow works at places too.
        .ok(input("h-1", "checkout.held", "tess", "2026-05-01T00:00:10Z",
                  #"{"hold": "k-1", "order": "t-2", "points": 2000, "order_amount": "100.00", "place": "travel"}"#), -2000),
        .ok(input("h-2", "checkout.captured", "tess", "2026-05-01T00:00:11Z", #"{"hold": "k-1"}"#), 0,
            says: "the 2,000 points held for Travel booking bill t-2 are spent"),
        .member("tess", balance: 2500, held: 0),
        .check { replay in
            let quote = replay.engine.checkoutQuote(member: "tess", order: "t-3", orderAmount: 100_00, place: "travel")
            XCTAssertEqual(quote.points, 2000, "20% of 100.00 at 1 point per 0.01")
            XCTAssertEqual(quote.discount, "20.00")
            let unknown = replay.engine.checkoutQuote(member: "tess", order: "t-3", orderAmount: 100_00, place: "casino")
            XCTAssertEqual(unknown.code, .unknownPlace)
            XCTAssertEqual(unknown.points, 0)
            let spent = replay.entries.filter { $0.kind == .spend && $0.member == "tess" }.map(\.reason)
            XCTAssertTrue(spent.contains("3,000 points paid 30.00 CNY of Mobile recharge bill r-1"), "\(spent)")
        },
    ]

    func testPlacesBeyondTheShop() { runTable(program, Self.places) }

    // MARK: Transfers to a partner program (a window in November, Asia/Shanghai days)

    static let transferWindow = """
    transfers:
      - {id: miles, partner: JD Airlines miles, rate: {points: 100, units: 1}, minimum: 1000, daily_limit: 5000,
         from: 2026-11-01, to: 2026-11-30}
    campaign_policy: highest
    """

    static func send(_ id: String, _ member: String, _ at: String, _ points: Int64, _ transfer: String = "miles", _ extra: String = "") -> String {
        input(id, "points.transferred", member, at, #"{"transfer": "\#(transfer)", "points": \#(points)\#(extra)}"#)
    }

    static let transfers: [Step] = [
        .ok(adjust("a-1", "tom", "2026-10-20T00:00:00Z", 20000), 20000),
        .ok(adjust("a-2", "una", "2026-10-20T00:00:01Z", 900), 900),
        // 2026-10-31T16:00:00Z is 00:00 on 1 November in Shanghai.
        .refused(send("t-1", "tom", "2026-10-31T15:59:59.999Z", 1000), .transferClosed, says: "transfers to JD Airlines miles open on 2026-11-01"),
        .ok(send("t-2", "tom", "2026-10-31T16:00:00Z", 1000, "miles", #", "account": "JA-778""#), -1000,
            says: "1,000 points transferred to JD Airlines miles (account JA-778): 10 JD Airlines miles"),
        .refused(send("t-3", "tom", "2026-10-31T16:00:01Z", 900), .belowMinimum, says: "at least 1,000 points"),
        .refused(send("t-4", "tom", "2026-10-31T16:00:02Z", 1050), .notMultiple, says: "multiples of 100 (100 points = 1 JD Airlines miles)"),
        .refused(send("t-5", "tom", "2026-10-31T16:00:03Z", 1000, "hotel"), .unknownTransfer, says: "it has: miles"),
        .refused(send("t-6", "tom", "2026-10-31T16:00:04Z", 0), .invalidField),
        .ok(send("t-7", "tom", "2026-10-31T16:00:05Z", 4000), -4000),
        .refused(send("t-8", "tom", "2026-11-01T15:59:59Z", 1000), .transferLimitReached,
                 says: "at most 5,000 points a day can be transferred to JD Airlines miles; 5,000 transferred today"),
        // The next local day starts a new limit.
        .ok(send("t-9", "tom", "2026-11-01T16:00:00Z", 5000), -5000),
        .refused(send("t-10", "una", "2026-11-01T16:00:01Z", 1000), .insufficientPoints),
        // The window's last day is 30 November, local.
        .ok(send("t-11", "tom", "2026-11-30T15:59:59.999Z", 1000), -1000),
        .refused(send("t-12", "tom", "2026-11-30T16:00:00Z", 1000), .transferClosed, says: "closed after 2026-11-30"),
        .member("tom", balance: 9000),
    ]

    /// A claimed voucher can be given to another member (the reward says giftable); a draw entry
    /// cannot; points never move. The audit rebuilds both members' coupons from the entries.
    func testAClaimedVoucherIsGivenToAnotherMember() throws {
        var replay = Replay(program: program)
        replay.apply(line: Array(adjust("a-1", "gus", "2026-05-01T00:00:00Z", 2000).utf8))
        let voucher = try XCTUnwrap(replay.apply(line: Array(claim("c-1", "gus", "2026-05-01T00:00:01Z", "voucher-10").utf8))?.voucher)
        let entry = try XCTUnwrap(replay.apply(line: Array(claim("c-2", "gus", "2026-05-01T00:00:02Z", "lucky-draw").utf8))?.voucher)
        func gift(_ id: String, _ member: String, _ code: String, to: String) -> Outcome? {
            replay.apply(line: Array(input(id, "reward.gifted", member, "2026-05-02T00:00:00Z", #"{"code": "\#(code)", "to": "\#(to)"}"#).utf8))
        }
        XCTAssertEqual(gift("g-1", "gus", entry, to: "ivy")?.code, .notGiftable)
        XCTAssertEqual(gift("g-2", "gus", "JDV10-NOSUCHCODE", to: "ivy")?.code, .unknownCoupon)
        XCTAssertEqual(gift("g-3", "gus", voucher, to: "gus")?.code, .invalidField)
        let given = try XCTUnwrap(gift("g-4", "gus", voucher, to: "ivy"))
        XCTAssertEqual(given.status, .applied)
        XCTAssertEqual(given.points, 0)
        XCTAssertEqual(given.reason, "10 CNY voucher \(voucher) given to ivy")
        XCTAssertEqual(replay.engine.state.members["gus"]!.coupons.map(\.code), [entry])
        XCTAssertEqual(replay.engine.state.members["ivy"]!.coupons.map(\.code), [voucher])
        XCTAssertEqual(replay.engine.state.members["ivy"]!.coupons.first?.valueMinorUnits, 1000)
        XCTAssertEqual(replay.engine.state.members["ivy"]!.balance, 0, "points never move")
        XCTAssertEqual(replay.engine.state.members["gus"]!.balance, 2000 - 1000 - 50)
        // The voucher is ivy's now: gus cannot give it again; ivy can pass it on.
        XCTAssertEqual(gift("g-5", "gus", voucher, to: "kim")?.code, .unknownCoupon)
        XCTAssertEqual(gift("g-6", "ivy", voucher, to: "kim")?.status, .applied)
        XCTAssertEqual(Audit.compare(entries: replay.entries, state: replay.engine.state, program: program), [])
    }

    func testTransfersToAPartnerProgram() throws {
        let program = try derivedPreset("jd-points", replacing: "campaign_policy: highest", with: Self.transferWindow)
        runTable(program, Self.transfers)
        // Without a window, points are not transferable at all.
        runTable(self.program, [
            .ok(adjust("a-1", "tom", "2026-10-20T00:00:00Z", 2000), 2000),
            .refused(Self.send("t-1", "tom", "2026-11-02T00:00:00Z", 1000), .notTransferable, says: "JD Points points cannot be transferred"),
        ])
        let bad = [
            ("rate: {points: 100, units: 1}, ", "", "rate"),
            ("from: 2026-11-01, to: 2026-11-30", "from: 2026-11-30, to: 2026-11-01", "is before from"),
            ("minimum: 1000", "minimum: 1050", "must be a multiple"),
        ]
        for (old, new, says) in bad {
            let window = Self.transferWindow.replacingOccurrences(of: old, with: new)
            XCTAssertThrowsError(try derivedPreset("jd-points", replacing: "campaign_policy: highest", with: window), says) { error in
                let problems = (error as? ProgramFileError)?.problems ?? []
                XCTAssertTrue(problems.contains { $0.message.contains(says) || $0.field.contains(says) }, "\(says): \(problems)")
            }
        }
    }

    // MARK: Rewards store

    static let rewards: [Step] = [
        .ok(adjust("a-1", "mona", "2026-03-10T00:00:00Z", 7000), 7000),
        .ok(claim("c-1", "mona", "2026-03-10T00:00:01Z", "voucher-10"), -1000, voucher: "JDV10-"),
        .ok(claim("c-2", "mona", "2026-03-11T00:00:00Z", "voucher-10"), -1000, voucher: "JDV10-"),
        .ok(claim("c-3", "mona", "2026-03-12T00:00:00Z", "voucher-10"), -1000, voucher: "JDV10-"),
        .ok(claim("c-4", "mona", "2026-03-13T00:00:00Z", "voucher-10"), -1000, voucher: "JDV10-"),
        .ok(claim("c-5", "mona", "2026-03-14T00:00:00Z", "voucher-10"), -1000, voucher: "JDV10-"),
        // The 6th in the same local month is refused; 2026-03-31T16:00Z is 1 April local.
        .refused(claim("c-6", "mona", "2026-03-31T15:59:59Z", "voucher-10"), .rewardLimitReached, says: "at most 5 times a month"),
        .ok(claim("c-7", "mona", "2026-03-31T16:00:00Z", "voucher-10"), -1000, voucher: "JDV10-"),
        .ok(claim("c-8", "mona", "2026-04-01T00:00:00Z", "lucky-draw"), -50, voucher: "DRAW-"),
        .member("mona", balance: 950, coupons: Array(repeating: "voucher-10", count: 6) + ["lucky-draw"]),
        .refused(claim("c-9", "mona", "2026-04-01T00:00:01Z", "voucher-10"), .insufficientPoints, says: "you have 950 points available; 1,000 needed"),
        .refused(claim("c-10", "mona", "2026-04-01T00:00:02Z", "gift-card"), .unknownReward),
        .member("mona", balance: 950),
    ]

    func testRewards() { runTable(program, Self.rewards) }

    /// voucher-10 has 1,000 in stock: 200 members claim 5 each, the next claim is refused.
    func testVoucherStock() {
        var steps: [Step] = []
        for n in 0..<200 {
            steps.append(.ok(adjust("a-\(n)", "m\(n)", "2026-03-10T01:00:00Z", 5000), 5000))
            for k in 0..<5 {
                steps.append(.ok(claim("c-\(n)-\(k)", "m\(n)", "2026-03-10T01:00:00Z", "voucher-10"), -1000, voucher: "JDV10-"))
            }
        }
        steps.append(.ok(adjust("a-x", "last", "2026-03-10T02:00:00Z", 1000), 1000))
        steps.append(.refused(claim("c-x", "last", "2026-03-10T02:00:01Z", "voucher-10"), .outOfStock, says: "out of stock"))
        steps.append(.ok(claim("c-y", "last", "2026-03-10T02:00:02Z", "lucky-draw"), -50))
        steps.append(.member("last", balance: 950))
        runTable(program, steps)
    }

    // MARK: Expiry: 12 calendar months after available, soonest first, notice 30 days before

    static let expiry: [Step] = [
        .ok(adjust("a-1", "nina", "2026-03-02T02:00:00Z", 50), 50),   // expires 2027-03-02T02:00Z
        .ok(adjust("a-2", "nina", "2026-04-02T02:00:00Z", 60), 60),   // expires 2027-04-02T02:00Z
        // Spending takes the soonest-expiring lot first.
        .ok(claim("c-1", "nina", "2026-05-01T00:00:00Z", "lucky-draw"), -50),
        .ok(order("o-1", "nina", "2026-06-01T00:00:00Z", "n-1", "20.00"), 20),  // available 06-08, expires 2027-06-08
        .at("2027-03-02T02:00:00Z"),
        .member("nina", balance: 80),
        .at("2027-04-02T01:59:59.999Z"),
        .member("nina", balance: 80),
        .at("2027-04-02T02:00:00Z"),
        .member("nina", balance: 20),
        // 12 months after the order is not enough: after it became available.
        .at("2027-06-07T23:59:59.999Z"),
        .member("nina", balance: 20),
        .at("2027-06-08T00:00:00Z"),
        .member("nina", balance: 0),
        .check { replay in
            let notices = replay.entries.filter { $0.member == "nina" && $0.kind == .expiryNotice }.map(\.at.rfc3339)
            XCTAssertEqual(notices, ["2027-03-03T02:00:00Z", "2027-05-09T00:00:00Z"], "notices 30 days before expiry")
        },
        // 29 Feb (local) -> 28 Feb, same local time.
        // 2028-02-28T17:00Z is 2028-02-29 01:00 local: it expires 2029-02-28 01:00 local = 2029-02-27T17:00Z.
        .ok(adjust("a-4", "nico", "2028-02-28T17:00:00Z", 10), 10),
        .ok(adjust("a-3", "nina", "2028-02-29T02:00:00Z", 10), 10),
        .at("2029-02-27T16:59:59.999Z"),
        .member("nico", balance: 10),
        .at("2029-02-27T17:00:00Z"),
        .member("nico", balance: 0),
        .at("2029-02-28T01:59:59.999Z"),
        .member("nina", balance: 10),
        .at("2029-02-28T02:00:00Z"),
        .member("nina", balance: 0),
    ]

    func testExpiry() { runTable(program, Self.expiry) }

    // MARK: Duplicates, conflicts and malformed inputs; the rest of the log still applies

    static let malformed: [Step] = [
        .ok(order("d-1", "olly", "2026-03-01T10:00:00Z", "do-1", "20.00"), 20),
        .dup(order("d-1", "olly", "2026-03-01T10:00:00Z", "do-1", "20.00"), says: "already received; it was applied for 20 points"),
        // The same body with its keys in another order is the same input.
        .dup(#"{"data": {"currency": "CNY", "amount": "20.00", "order": "do-1"}, "at": "2026-03-01T10:00:00Z", "member": "olly", "type": "order.completed", "id": "d-1"}"#),
        .refused(order("d-1", "olly", "2026-03-01T10:00:00Z", "do-1", "30.00"), .conflict, says: "different input"),
        // The conflict did not replace the first input.
        .dup(order("d-1", "olly", "2026-03-01T10:00:00Z", "do-1", "20.00"), says: "applied for 20 points"),
        .refused(#"{"id": "m-0", "type": "member.signed_in", "at": "2026-03-01T10:00:30Z", "data": {}}"#, .invalidEnvelope, says: "member",
                 id: "m-0"),
        .refused(#"{"id": "m-00", "type": "member.signed_in", "member": "olly", "at": "2026-03-01T10:00:31Z"}"#, .invalidEnvelope, says: "data"),
        .member("olly", balance: 0, pending: 20),
        // A resent refused input is a duplicate whose reason names the first outcome.
        .refused(order("d-2", "olly", "2026-03-01T10:01:00Z", "do-2", "1.234"), .invalidMoney, says: "more than 2 decimals"),
        .dup(order("d-2", "olly", "2026-03-01T10:01:00Z", "do-2", "1.234"), says: "it was refused"),
        .refused(#"{"id": "m-1", "type": "order.completed""#, .malformedInput, says: "not valid JSON", id: .some(nil)),
        .refused("[1, 2]", .malformedInput, id: .some(nil)),
        .refused(#"{"type": "member.signed_in", "member": "olly", "at": "2026-03-01T10:02:00Z", "data": {}}"#, .invalidEnvelope,
                 says: "no \"id\"", id: .some(nil)),
        .refused(#"{"id": 7, "type": "member.signed_in", "member": "olly", "at": "2026-03-01T10:02:00Z", "data": {}}"#, .invalidEnvelope,
                 id: .some(nil)),
        .refused(input("m-2", "order.shipped", "olly", "2026-03-01T10:02:00Z"), .unknownType, says: "order.shipped"),
        .refused(#"{"id": "m-3", "type": "member.signed_in", "member": "olly", "at": "2026-03-01T10:02:00Z", "data": {}, "extra": 1}"#,
                 .unknownField, says: "extra"),
        .refused(order("m-4", "olly", "2026-03-01T10:02:00Z", "do-3", "20.00", #", "colour": "red""#), .unknownField, says: "colour"),
        .refused(input("m-5", "order.completed", "olly", "2026-03-01T10:02:00Z", #"{"order": "do-3", "currency": "CNY"}"#), .missingField,
                 says: "amount"),
        .refused(input("m-6", "order.completed", "olly", "2026-03-01T10:02:00Z", #"{"order": "do-3", "amount": 20.5, "currency": "CNY"}"#),
                 .invalidMoney, says: "decimal string"),
        .refused(input("m-7", "order.completed", "olly", "2026-03-01T10:02:00Z", #"{"order": "do-3", "amount": "20.50", "currency": "USD"}"#),
                 .wrongCurrency, says: "CNY"),
        .refused(order("m-8", "olly", "2026-03-01T10:02:00Z", "do-3", "-5.00"), .invalidMoney, says: "negative"),
        .refused(input("m-9", "member.signed_in", "olly", "2026-03-01T10:02:00"), .invalidEnvelope, says: "zone"),
        .refused(#"{"id": "m-10", "type": "member.signed_in", "member": "olly", "at": "2026-03-01T10:02:00Z", "data": []}"#, .invalidEnvelope),
        .refused(order("m-11", "olly", "2026-03-01T10:03:00Z", "do-1", "20.00"), .orderAlreadyCompleted),
        .refused(adjust("m-12", "olly", "2026-03-01T10:03:00Z", 0), .invalidField),
        // A valid envelope enrols its member even when the input is refused.
        .refused(input("m-13", "member.signed_in", "quinn", "2026-03-01T10:04:00Z", #"{"mood": "good"}"#), .unknownField),
        .member("quinn", balance: 0, pending: 0, tier: "regular"),
        // The rest of the log still applies.
        .ok(signIn("m-14", "olly", "2026-03-01T10:05:00Z"), 5),
        .ok(order("m-15", "olly", "2026-03-01T10:06:00Z", "do-3", "20.50"), 20),
        .at("2026-03-09T00:00:00Z"),
        .member("olly", balance: 45, pending: 0),
    ]

    func testDuplicatesAndMalformedInputs() { runTable(program, Self.malformed) }
}
