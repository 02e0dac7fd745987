import AccrueCore
import XCTest

/// The checkout quote answers "how many points can pay for this order" with the same rules a
/// redemption is judged by; redeeming what it offers always succeeds.
final class CheckoutQuoteTests: XCTestCase {
    func testQuoteFollowsThePolicyAndRedeemingItSucceeds() throws {
        let program = try preset("jd-points")
        var replay = Replay(program: program)
        replay.apply(line: Array(input("a-1", "points.adjusted", "amy", "2026-03-01T00:00:00Z", #"{"points": 2550, "reason": "test"}"#).utf8))
        // 50% of 120.50 CNY is 60.25 CNY = 6,025 points, in multiples of 100: 6,000; amy has 2,550: 2,500.
        var quote = replay.engine.checkoutQuote(member: "amy", order: "c-1", orderAmount: 12_050)
        XCTAssertEqual(quote.orderMaximum, 6_000)
        XCTAssertEqual(quote.points, 2_500)
        XCTAssertEqual(quote.discount, "25.00")
        XCTAssertEqual(quote.code, .insufficientPoints)
        let redeemed = replay.apply(line: Array(input("r-1", "points.redeemed", "amy", "2026-03-02T00:00:00Z",
                                                     #"{"order": "c-1", "points": 2500, "order_amount": "120.50"}"#).utf8))
        XCTAssertEqual(redeemed?.points, -2_500)
        // Nothing left but 50 points: below the minimum of 100.
        quote = replay.engine.checkoutQuote(member: "amy", order: "c-1", orderAmount: 12_050)
        XCTAssertEqual(quote.points, 0)
        XCTAssertEqual(quote.alreadyRedeemed, 2_500)
        XCTAssertEqual(quote.code, .belowMinimum)
        // An order too small for the minimum share.
        quote = replay.engine.checkoutQuote(member: "amy", order: nil, orderAmount: 150)
        XCTAssertEqual(quote.orderMaximum, 0)
        XCTAssertEqual(quote.code, .belowMinimum)
        // Another amount for an order already redeemed on.
        XCTAssertEqual(replay.engine.checkoutQuote(member: "amy", order: "c-1", orderAmount: 20_000).code, .orderAmountChanged)
        // An unknown member has nothing to pay with; points that cannot pay at checkout say why.
        XCTAssertEqual(replay.engine.checkoutQuote(member: "nobody", order: nil, orderAmount: 10_000).available, 0)
        let levels = Replay(program: try preset("aliexpress-levels"))
        XCTAssertEqual(levels.engine.checkoutQuote(member: "amy", order: nil, orderAmount: 10_000).code, .notSpendable)
    }
}
