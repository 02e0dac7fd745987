import AccrueCore
import AccruePrograms
import XCTest

/// Checkout holds: points reserved for an order, then captured when it is paid or released when
/// it is not; a hold not captured within the program's `hold_minutes` (30 in the presets) is
/// released by itself. Holds count toward the order's maximum share like redemptions.
final class CheckoutHoldTableTests: XCTestCase {
    func testHoldCaptureReleaseAndTimeout() throws {
        let program = try preset("jd-points")
        func hold(_ id: String, _ at: String, _ hold: String, _ order: String, _ points: Int64, _ amount: String) -> String {
            input(id, "checkout.held", "amy", at, #"{"hold": "\#(hold)", "order": "\#(order)", "points": \#(points), "order_amount": "\#(amount)"}"#)
        }
        let steps: [Step] = [
            .ok(input("a-1", "points.adjusted", "amy", "2026-03-01T00:00:00Z", #"{"points": 1000, "reason": "test"}"#), 1_000),
            // 50% of 20.00 CNY is 1,000 points; a hold of 500 leaves 500 for the same order.
            .ok(hold("h-1", "2026-03-02T00:00:00Z", "h-1", "c-1", 500, "20.00"), -500),
            .member("amy", balance: 500, held: 500),
            .refused(input("r-1", "points.redeemed", "amy", "2026-03-02T00:01:00Z", #"{"order": "c-1", "points": 600, "order_amount": "20.00"}"#),
                     .shareExceeded, says: "500 already used on this order"),
            .refused(hold("h-1b", "2026-03-02T00:02:00Z", "h-1", "c-9", 100, "20.00"), .holdExists),
            .ok(input("c-1", "checkout.captured", "amy", "2026-03-02T00:03:00Z", #"{"hold": "h-1"}"#), 0, says: "are spent"),
            .member("amy", balance: 500, held: 0),
            .refused(input("c-2", "checkout.captured", "amy", "2026-03-02T00:04:00Z", #"{"hold": "h-1"}"#), .unknownHold),
            .refused(input("c-3", "checkout.released", "bob", "2026-03-02T00:04:00Z", #"{"hold": "h-1"}"#), .unknownHold),
            // Captured points count toward the order's share like a redemption.
            .refused(input("r-2", "points.redeemed", "amy", "2026-03-02T00:05:00Z", #"{"order": "c-1", "points": 600, "order_amount": "20.00"}"#),
                     .shareExceeded),
            // Released: the points go back to the lots they came from.
            .ok(hold("h-2", "2026-03-03T00:00:00Z", "h-2", "c-2", 300, "100.00"), -300),
            .ok(input("l-2", "checkout.released", "amy", "2026-03-03T00:10:00Z", #"{"hold": "h-2"}"#), 300),
            .member("amy", balance: 500, held: 0),
            // Not captured within 30 minutes: released by itself, exactly at 30 x 60 s.
            .ok(hold("h-3", "2026-03-04T00:00:00Z", "h-3", "c-3", 200, "100.00"), -200),
            .at("2026-03-04T00:29:59.999Z"),
            .member("amy", balance: 300, held: 200),
            .at("2026-03-04T00:30:00Z"),
            .member("amy", balance: 500, held: 0),
            .refused(input("c-4", "checkout.captured", "amy", "2026-03-04T00:30:00Z", #"{"hold": "h-3"}"#), .unknownHold),
            // A hold needs the points now and follows the policy.
            .refused(hold("h-4", "2026-03-05T00:00:00Z", "h-4", "c-4", 600, "1000.00"), .insufficientPoints),
            .refused(hold("h-5", "2026-03-05T00:00:00Z", "h-5", "c-5", 150, "1000.00"), .notMultiple),
        ]
        let replay = runTable(program, steps)
        let released = replay.entries.filter { $0.kind == .holdRelease && $0.input == nil }
        XCTAssertEqual(released.map(\.points), [200])
        XCTAssertTrue(released.first?.reason.contains("not captured after 30 minutes") ?? false)
    }

    func testLevelPointsCannotBeHeld() throws {
        runTable(try preset("aliexpress-levels"), [
            .refused(input("h-1", "checkout.held", "amy", "2026-03-02T00:00:00Z",
                           #"{"hold": "h-1", "order": "c-1", "points": 5, "order_amount": "20.00"}"#), .notSpendable),
        ])
    }
}
