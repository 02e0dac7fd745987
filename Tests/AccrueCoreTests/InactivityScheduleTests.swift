@testable import AccrueCore
import XCTest

/// Activity moves a member's inactivity deadline without piling up scheduled work.
final class InactivityScheduleTests: XCTestCase {
    func testManyActivitiesKeepOneItemOfEachKindAndExpireOnTime() throws {
        let program = try preset("aliexpress-store")
        guard case let .inactivity(days, _) = program.expiry else { return XCTFail("aliexpress-store expires by inactivity") }
        var engine = Engine(program: program)
        var at = Instant(rfc3339: "2026-01-01T00:00:00Z")!
        for i in 0..<1_000 {
            let line = input("a\(i)", "points.adjusted", "ann", at.rfc3339, #"{"points": 1, "reason": "test"}"#)
            XCTAssertEqual(engine.handle(bytes: Array(line.utf8), prior: { _ in nil }).status, .applied)
            at = Instant(milliseconds: at.milliseconds + 3_600_000)
        }
        XCTAssertLessThanOrEqual(engine.schedule.count, 2, "one inactivity item and one notice, not two per activity")
        let last = try XCTUnwrap(engine.state.members["ann"]?.lastActivity)
        engine.advance(to: Instant(milliseconds: last.adding(days: days).milliseconds - 1))
        XCTAssertEqual(engine.state.members["ann"]?.balance, 1_000, "not a moment early")
        engine.advance(to: last.adding(days: days))
        XCTAssertEqual(engine.state.members["ann"]?.balance, 0, "expired at the deadline of the last activity")
    }
}
