import AccrueCore
import AccruePrograms
import XCTest

// docs/examples/points-and-coins.yaml (UTC, USD): points from orders (1 per 1.00, 100 = 1.00 USD,
// at least 100 and at most 20% of an order, 12 months) and coins from a daily check-in streak
// (10, 15, ... up to 40; 100 = 1.00 USD, at most 10% of an order; they expire as the month after
// the one they were earned in ends). Each currency has its own lots, balance, share and expiry.

private func checkIn(_ id: String, _ at: String) -> String { input(id, "member.signed_in", "amy", at) }

private func coins(_ replay: Replay, _ member: String = "amy") -> Wallet {
    replay.engine.state.members[member]?.wallet("coins") ?? Wallet()
}

let pointsAndCoins: Program = {
    try! ProgramFile.load(path: repositoryRoot.appendingPathComponent("docs/examples/points-and-coins.yaml").path)
}()

final class CurrenciesTableTests: XCTestCase {
    func testTwoCurrenciesEarnSpendHoldAndExpireEachOnItsOwn() throws {
        let replay = runTable(pointsAndCoins, [
            .ok(checkIn("s-1", "2026-11-01T08:00:00Z"), 0),
            .ok(input("o-1", "order.completed", "amy", "2026-11-01T10:00:00Z", #"{"order": "o-1", "amount": "120.00", "currency": "USD"}"#), 120),
            .ok(checkIn("s-2", "2026-11-02T08:00:00Z"), 0),
            .ok(checkIn("s-3", "2026-11-03T08:00:00Z"), 0),
            .ok(checkIn("s-4", "2026-11-04T08:00:00Z"), 0),
            .ok(checkIn("s-5", "2026-11-05T08:00:00Z"), 0),
            .member("amy", balance: 120),
            .check { XCTAssertEqual(coins($0).balance, 100, "10 + 15 + 20 + 25 + 30 coins") },
            // Coins pay at most 10% of an order (50.00 allows 500 coins), points 20% (1,000 points),
            // each under its own share on the same order.
            .ok(input("r-1", "points.redeemed", "amy", "2026-11-06T00:00:00Z",
                      #"{"order": "o-2", "points": 60, "order_amount": "50.00", "points_currency": "coins"}"#), -60),
            .refused(input("r-2", "points.redeemed", "amy", "2026-11-06T00:00:01Z",
                           #"{"order": "o-2", "points": 41, "order_amount": "50.00", "points_currency": "coins"}"#), .insufficientPoints,
                     says: "you have 40 coins available; 41 needed"),
            .refused(input("r-3", "points.redeemed", "amy", "2026-11-06T00:00:02Z", #"{"order": "o-2", "points": 99, "order_amount": "50.00"}"#),
                     .belowMinimum, says: "at least 100 points"),
            .ok(input("r-4", "points.redeemed", "amy", "2026-11-06T00:00:03Z",
                      #"{"order": "o-2", "points": 100, "order_amount": "50.00", "points_currency": "points"}"#), -100),
            .refused(input("r-5", "points.redeemed", "amy", "2026-11-06T00:00:04Z",
                           #"{"order": "o-3", "points": 1, "order_amount": "0.09", "points_currency": "coins"}"#), .shareExceeded,
                     says: "coins can pay at most 10% of an order: 0 coins on 0.09 USD"),
            .refused(input("r-6", "points.redeemed", "amy", "2026-11-06T00:00:05Z",
                           #"{"order": "o-2", "points": 10, "order_amount": "50.00", "points_currency": "gems"}"#), .unknownCurrency,
                     says: "keeps no currency \"gems\" (it keeps: points, coins)"),
            .member("amy", balance: 20),
            .check { XCTAssertEqual(coins($0).balance, 40) },
            // A hold in coins; hold ids are one namespace across currencies; the capture finds it.
            .ok(input("h-1", "checkout.held", "amy", "2026-11-07T00:00:00Z",
                      #"{"hold": "H1", "order": "o-4", "points": 30, "order_amount": "100.00", "points_currency": "coins"}"#), -30),
            .refused(input("h-2", "checkout.held", "amy", "2026-11-07T00:00:01Z",
                           #"{"hold": "H1", "order": "o-5", "points": 100, "order_amount": "100.00"}"#), .holdExists),
            .member("amy", balance: 20, held: 0),
            .check { XCTAssertEqual(coins($0).held, 30); XCTAssertEqual(coins($0).balance, 10) },
            .ok(input("h-3", "checkout.captured", "amy", "2026-11-07T00:05:00Z", #"{"hold": "H1"}"#), 0, says: "the 30 coins held for order o-4 are spent"),
            .check { XCTAssertEqual(coins($0).held, 0); XCTAssertEqual(coins($0).balance, 10) },
            // A hold left alone is released by itself after the currency's 30 minutes, into coins.
            .ok(input("h-4", "checkout.held", "amy", "2026-11-07T01:00:00Z",
                      #"{"hold": "H2", "order": "o-6", "points": 10, "order_amount": "100.00", "points_currency": "coins"}"#), -10),
            .at("2026-11-07T01:30:00Z"),
            .check { XCTAssertEqual(coins($0).balance, 10); XCTAssertEqual(coins($0).held, 0) },
            // Operators correct coins as they correct points.
            .ok(input("a-1", "points.adjusted", "amy", "2026-11-08T00:00:00Z", #"{"points": 500, "reason": "goodwill", "points_currency": "coins"}"#), 500),
            .refused(input("a-2", "points.adjusted", "amy", "2026-11-08T00:00:01Z", #"{"points": -511, "reason": "oops", "points_currency": "coins"}"#),
                     .belowZero, says: "(510 available)"),
            .member("amy", balance: 20),
            .check { XCTAssertEqual(coins($0).balance, 510) },
            // November's coins expire as December ends; the points stay (12 months).
            .at("2026-12-31T23:59:59.999Z"),
            .check { XCTAssertEqual(coins($0).balance, 510) },
            .at("2027-01-01T00:00:00Z"),
            .member("amy", balance: 20),
            .check { XCTAssertEqual(coins($0).balance, 0) },
        ])
        let outcomes = Dictionary(uniqueKeysWithValues: replay.outcomes.compactMap { o in o.id.map { ($0, o) } })
        XCTAssertEqual(outcomes["s-1"]?.currencies, ["coins": 10], "a check-in earns coins, not points")
        XCTAssertEqual(outcomes["s-5"]?.currencies, ["coins": 30])
        XCTAssertEqual(outcomes["s-1"]?.rules?.first?.currency, "coins")
        XCTAssertEqual(outcomes["r-1"]?.currency, "coins")
        XCTAssertNil(outcomes["r-4"]?.currency, "points_currency naming the points' own code is the points")
        XCTAssertEqual(outcomes["a-1"]?.currency, "coins")
        // Every entry says its currency, and the history reads in its own words.
        let coinEntries = replay.entries.filter { $0.currency == "coins" }
        XCTAssertTrue(coinEntries.contains { $0.kind == .earn && $0.reason.contains("check-in coins") })
        XCTAssertTrue(coinEntries.contains { $0.kind == .expiryNotice && $0.reason.contains("coins expire at 2027-01-01 00:00") })
        XCTAssertEqual(coinEntries.filter { $0.kind == .expire }.map(\.points).reduce(0, +), -510)
        XCTAssertFalse(replay.entries.contains { $0.currency == nil && $0.kind == .expire }, "the points do not expire")
        let events = LedgerEvent.derive(from: coinEntries, inputTypes: [:])
        XCTAssertTrue(events.allSatisfy { $0.data["currency"] == .string("coins") })
    }

    func testViewsAndQuotesShowEachCurrencyOnItsOwn() throws {
        var replay = Replay(program: pointsAndCoins)
        for (index, line) in [
            input("o-1", "order.completed", "amy", "2026-11-01T10:00:00Z", #"{"order": "o-1", "amount": "500.00", "currency": "USD"}"#),
            checkIn("s-1", "2026-11-01T11:00:00Z"),
            checkIn("s-2", "2026-11-02T11:00:00Z"),
        ].enumerated() {
            XCTAssertEqual(replay.apply(line: Array(line.utf8))?.status, .applied, "line \(index)")
        }
        let now = Instant(rfc3339: "2026-12-26T00:00:00Z")!
        let view = MemberView(member: replay.engine.state.members["amy"]!, program: pointsAndCoins, now: now)
        XCTAssertEqual(view.balance, 500)
        XCTAssertEqual(view.balanceValue, "5.00 USD")
        let coinLine = try XCTUnwrap(view.currencies?.first)
        XCTAssertEqual(coinLine.currency, "coins")
        XCTAssertEqual(coinLine.balance, 25)
        XCTAssertEqual(coinLine.balanceValue, "0.25 USD")
        XCTAssertEqual(coinLine.expiringSoon.map(\.points), [10, 15], "within the coins' 7 days of notice")
        XCTAssertTrue(view.expiringSoon.isEmpty, "the points expire in November 2027")
        // 200.00 allows 2,000 coins (10%) but amy has 25; points allow 4,000 (20%), amy has 500.
        let coinQuote = replay.engine.checkoutQuote(member: "amy", order: "o-9", orderAmount: 200_00, currency: "coins")
        XCTAssertEqual(coinQuote.points, 25)
        XCTAssertEqual(coinQuote.orderMaximum, 2_000)
        XCTAssertEqual(coinQuote.pointsCurrency, "coins")
        let pointQuote = replay.engine.checkoutQuote(member: "amy", order: "o-9", orderAmount: 200_00, currency: nil)
        XCTAssertEqual(pointQuote.points, 500)
        XCTAssertEqual(pointQuote.orderMaximum, 4_000)
        XCTAssertEqual(pointQuote.pointsCurrency, "points")
        // `accrue replay`'s summary of a member lists each currency too.
        let summary = MemberSummary(replay.engine.state.members["amy"]!, program: pointsAndCoins)
        XCTAssertEqual(summary.balance, 500)
        XCTAssertEqual(summary.currencies.map(\.currency), ["coins"])
        XCTAssertEqual(summary.currencies.first?.balance, 25)
        XCTAssertEqual(summary.currencies.first?.lots.map(\.points), [10, 15])
        // A program with one currency has no `currencies` in its views.
        XCTAssertNil(MemberView(member: MemberState(id: "x", joinedAt: now), program: try preset("jd-points"), now: now).currencies)
    }

    func testProgramFilesRefuseCurrenciesThatCannotWork() throws {
        let base = try String(contentsOf: repositoryRoot.appendingPathComponent("docs/examples/points-and-coins.yaml"), encoding: .utf8)
        let cases: [(String, String, String)] = [
            ("    currency: coins\n    label: check-ins", "    currency: gems\n    label: check-ins", "\"gems\" is not one of the program's currencies (coins)"),
            ("  - id: order-points\n    on: order.completed\n", "  - id: order-points\n    on: order.completed\n    currency: coins\n", "not on orders"),
            ("    spend: [checkout]\n    value: {points: 100, money: \"1.00\"}   # 100 coins", "    spend: [checkout, rewards]\n    value: {points: 100, money: \"1.00\"}   # 100 coins",
             "another currency can be spent at checkout only, not on rewards"),
            ("      model: end_of_month\n      months_after: 1 ", "      model: inactivity\n      days: 30 ", "not by inactivity"),
            ("  - code: coins", "  - code: points", "the currency code id \"points\" is used twice"),
        ]
        for (old, new, message) in cases {
            XCTAssertTrue(base.contains(old), old)
            let text = base.replacingOccurrences(of: old, with: new)
            XCTAssertThrowsError(try ProgramFile.parse(text, file: "coins.yaml"), message) { error in
                let problems = (error as? ProgramFileError)?.problems.map(\.message) ?? []
                XCTAssertTrue(problems.contains { $0.contains(message) }, "\(message) not in \(problems)")
            }
        }
    }
}
