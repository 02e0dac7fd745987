import AccrueCore
import AccruePrograms
import XCTest

// Order points pending until the shop reports the order's state (jd-points with its 7 days
// replaced): the return window's close, or delivery plus 15 days; a dispute opened meanwhile keeps
// them pending until order.dispute_resolved. Rows in April 2026 (no campaign), times UTC.

private func order(_ id: String, _ member: String, _ at: String, _ order: String, _ amount: String) -> String {
    input(id, "order.completed", member, at, #"{"order": "\#(order)", "amount": "\#(amount)", "currency": "CNY"}"#)
}

private func state(_ id: String, _ type: String, _ member: String, _ at: String, _ order: String, _ extra: String = "") -> String {
    input(id, type, member, at, #"{"order": "\#(order)"\#(extra)}"#)
}

final class OrderStatePendingTableTests: XCTestCase {
    static let window = try! derivedPreset("jd-points", replacing: "pending_days: 7", with: "pending: {until: return_window_closed}")
    static let delivery = try! derivedPreset("jd-points", replacing: "pending_days: 7", with: "pending: {until: delivered, days: 15}")

    static let returnWindow: [Step] = [
        .ok(order("o-1", "bea", "2026-04-01T00:00:00Z", "b-1", "100.00"), 100),
        .member("bea", balance: 0, pending: 100),
        .check { replay in
            let line = MemberView(member: replay.engine.state.members["bea"]!, program: replay.engine.program, now: Instant(rfc3339: "2026-04-01T00:00:00Z")!).lots[0]
            XCTAssertNil(line.availableAt, "no time is known yet")
            XCTAssertEqual(line.waiting, "the order's return window closes")
        },
        // No time releases them.
        .at("2026-06-01T00:00:00Z"),
        .member("bea", balance: 0, pending: 100),
        .ok(state("w-1", "order.return_window_closed", "bea", "2026-06-01T00:00:01Z", "b-1"), 0,
            says: "the return window of order b-1 is closed: 100 pending points are now available"),
        .member("bea", balance: 100, pending: 0),
        .refused(state("w-2", "order.return_window_closed", "bea", "2026-06-01T00:00:02Z", "b-1"), .orderStateRepeated),
        .refused(state("w-3", "order.return_window_closed", "bea", "2026-06-01T00:00:03Z", "b-404"), .unknownOrder),
        .refused(state("w-4", "order.return_window_closed", "cal", "2026-06-01T00:00:04Z", "b-1"), .orderOfAnotherMember),
        .refused(state("r-0", "order.dispute_resolved", "bea", "2026-06-01T00:00:05Z", "b-1"), .noOpenDispute),
        // A dispute while pending: the points wait for its resolution; refunds wait too.
        .ok(order("o-2", "bea", "2026-06-02T00:00:00Z", "b-2", "100.00"), 100),
        .ok(state("d-1", "order.disputed", "bea", "2026-06-03T00:00:00Z", "b-2"), 0, .nothingToRecompute,
            says: "its 100 pending points wait for order.dispute_resolved"),
        .refused(input("f-1", "order.refunded", "bea", "2026-06-03T00:00:01Z", #"{"order": "b-2", "amount": "10.00"}"#), .orderDisputed),
        .refused(state("d-2", "order.disputed", "bea", "2026-06-03T00:00:02Z", "b-2"), .orderDisputed),
        .ok(state("w-5", "order.return_window_closed", "bea", "2026-06-04T00:00:00Z", "b-2"), 0, .nothingToRecompute,
            says: "wait for the dispute's resolution"),
        .member("bea", balance: 100, pending: 100),
        .refused(state("r-1", "order.dispute_resolved", "bea", "2026-06-05T00:00:00Z", "b-2", #", "refund": "100.01""#), .refundTooLarge),
        // Resolved with a refund of 40.00: 40 points cancelled; the window had closed, so the 60 left are available.
        .ok(state("r-2", "order.dispute_resolved", "bea", "2026-06-05T00:00:01Z", "b-2", #", "refund": "40.00""#), -40,
            says: "with a refund of 40.00 CNY: 40 points taken back; 60 pending points are now available"),
        .member("bea", balance: 160, pending: 0),
        // Resolved without a refund before the window closed: back to waiting for the window.
        .ok(order("o-3", "bea", "2026-06-06T00:00:00Z", "b-3", "50.00"), 50),
        .ok(state("d-3", "order.disputed", "bea", "2026-06-06T00:00:01Z", "b-3"), 0, .nothingToRecompute),
        .ok(state("r-3", "order.dispute_resolved", "bea", "2026-06-07T00:00:00Z", "b-3"), 0, says: "the dispute on order b-3 is resolved"),
        .member("bea", balance: 160, pending: 50),
        .ok(state("w-6", "order.return_window_closed", "bea", "2026-06-08T00:00:00Z", "b-3"), 0, says: "50 pending points are now available"),
        .member("bea", balance: 210, pending: 0),
        // A full refund in the resolution cancels everything pending.
        .ok(order("o-4", "bea", "2026-06-09T00:00:00Z", "b-4", "30.00"), 30),
        .ok(state("d-4", "order.disputed", "bea", "2026-06-09T00:00:01Z", "b-4"), 0, .nothingToRecompute),
        .ok(state("r-4", "order.dispute_resolved", "bea", "2026-06-10T00:00:00Z", "b-4", #", "refund": "30.00""#), -30),
        .member("bea", balance: 210, pending: 0),
        // Once the points are available, a dispute takes them back at once, as before.
        .ok(state("d-5", "order.disputed", "bea", "2026-06-11T00:00:00Z", "b-1"), -100),
        .member("bea", balance: 110, pending: 0),
    ]

    func testPendingUntilTheReturnWindowCloses() { runTable(Self.window, Self.returnWindow) }

    static let delivered: [Step] = [
        .ok(order("o-1", "dan", "2026-04-01T00:00:00Z", "d-1", "100.00"), 100),
        .ok(state("v-1", "order.delivered", "dan", "2026-04-03T06:00:00Z", "d-1"), 0, .nothingToRecompute,
            says: "100 pending points become available at 2026-04-18 14:00 Asia/Shanghai"),
        .refused(state("v-2", "order.delivered", "dan", "2026-04-03T06:00:01Z", "d-1"), .orderStateRepeated),
        .at("2026-04-18T05:59:59.999Z"),
        .member("dan", balance: 0, pending: 100),
        .at("2026-04-18T06:00:00Z"),
        .member("dan", balance: 100, pending: 0),
        // A dispute after delivery, before the 15 days are over: the release waits for the resolution.
        .ok(order("o-2", "dan", "2026-04-20T00:00:00Z", "d-2", "100.00"), 100),
        .ok(state("v-3", "order.delivered", "dan", "2026-04-21T00:00:00Z", "d-2"), 0, .nothingToRecompute),
        .ok(state("x-1", "order.disputed", "dan", "2026-04-22T00:00:00Z", "d-2"), 0, .nothingToRecompute),
        .at("2026-05-07T00:00:00Z"),
        .member("dan", balance: 100, pending: 100),
        // Resolved after the 15 days: available at once.
        .ok(state("x-2", "order.dispute_resolved", "dan", "2026-05-10T00:00:00Z", "d-2"), 0, says: "100 pending points are now available"),
        .member("dan", balance: 200, pending: 0),
        // Resolved within the 15 days: available at delivery plus 15 days.
        .ok(order("o-3", "dan", "2026-05-11T00:00:00Z", "d-3", "10.00"), 10),
        .ok(state("v-4", "order.delivered", "dan", "2026-05-12T00:00:00Z", "d-3"), 0, .nothingToRecompute),
        .ok(state("x-3", "order.disputed", "dan", "2026-05-13T00:00:00Z", "d-3"), 0, .nothingToRecompute),
        .ok(state("x-4", "order.dispute_resolved", "dan", "2026-05-14T00:00:00Z", "d-3"), 0),
        .at("2026-05-26T23:59:59.999Z"),
        .member("dan", balance: 200, pending: 10),
        .at("2026-05-27T00:00:00Z"),
        .member("dan", balance: 210, pending: 0),
        // Points counted toward the tier when they became available.
        .check { replay in
            XCTAssertEqual(replay.engine.state.members["dan"]!.qualifying[2026], 210)
        },
    ]

    func testPendingUntilDeliveryPlusDays() { runTable(Self.delivery, Self.delivered) }

    func testThePendingStateIsConfigured() {
        let bad = [
            ("pending: {until: shipped}", "is not an order state"),
            ("pending: {until: return_window_closed, days: 3}", "goes with until: delivered only"),
            ("pending_days: 7\n    pending: {until: delivered}", "not both"),
        ]
        for (line, says) in bad {
            XCTAssertThrowsError(try derivedPreset("jd-points", replacing: "pending_days: 7", with: line), line) { error in
                let problems = (error as? ProgramFileError)?.problems ?? []
                XCTAssertTrue(problems.contains { $0.message.contains(says) }, "\(line): \(problems)")
            }
        }
        XCTAssertThrowsError(try derivedPreset("jd-points", replacing: "    earn: {points: 20}",
                                               with: "    earn: {points: 20}\n    pending: {until: delivered}")) { error in
            let problems = (error as? ProgramFileError)?.problems ?? []
            XCTAssertTrue(problems.contains { $0.message.contains("only points of orders") }, "\(problems)")
        }
    }
}
