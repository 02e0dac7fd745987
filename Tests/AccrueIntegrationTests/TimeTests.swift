import AccrueBench
import AccrueCore
import AccruePrograms
import AccrueSQLite
import AccrueStore
import Foundation
import XCTest

/// Time on real SQLite files: a clock moved forward by a year in one step, an input exactly on an
/// expiry instant, a month-end boundary in a zone without daylight saving, and late inputs. Each
/// ends with `verify`: the ledger, the state and a replay agree.
final class TimeTests: XCTestCase {
    func ledger(_ program: Program, in folder: URL, _ name: String) throws -> (SQLiteStore, ProgramLedger) {
        let store = try SQLiteStore(path: folder.appendingPathComponent("\(name).sqlite").path)
        try store.register(StoredProgram(id: program.id, base: program.id, version: 1, source: "test"))
        return (store, try ProgramLedger(program: program, store: store))
    }

    /// Due work over a year run in one step gives exactly the entries and the state of the same
    /// year run day by day (releases, expiry and its notices, the tier's fall on 1 January, the
    /// monthly counts and the 8th, birthdays), for every preset, after a random log with late and
    /// repeated inputs.
    func testAYearInOneStepEqualsTheSameYearDayByDay() throws {
        for name in ["jd-points", "aliexpress-store", "aliexpress-levels", "cj-rewards", "aliexpress-coins"] {
            let program = try preset(name)
            let folder = temporaryFolder()
            defer { removeFolder(folder) }
            var generator = LogGenerator(seed: 7, program: program)
            let log = generator.log(300).map { Array($0.utf8) }
            let (jumpStore, jump) = try ledger(program, in: folder, "jump")
            let (stepStore, step) = try ledger(program, in: folder, "step")
            _ = try jump.ingest(lines: log)
            _ = try step.ingest(lines: log)
            let start = try XCTUnwrap(jump.engine.state.clock)
            let end = start.adding(days: 366)
            let entries = try jump.advance(to: end)
            var stepped: [Entry] = []
            var day = start
            while day < end {
                day = min(end, day.adding(days: 1))
                stepped += try step.advance(to: day)
            }
            if name != "cj-rewards" {  // CJ's points never expire and it has no levels: nothing falls due
                XCTAssertFalse(entries.isEmpty, "\(name): a year of due work did something")
            }
            XCTAssertEqual(entries, stepped, "\(name): one step and 366 steps make the same entries")
            XCTAssertTrue(jump.engine.state == step.engine.state, "\(name): and the same state")
            XCTAssertEqual(try verify(program, store: jumpStore).problems, [], name)
            XCTAssertEqual(try verify(program, store: stepStore).problems, [], name)
        }
    }

    /// Due work up to an input's time runs before the input: points expiring at exactly that
    /// instant are gone when it is applied; a millisecond earlier they can still be spent.
    func testAnInputExactlyOnAnExpiryInstantFindsThePointsExpired() throws {
        let program = try preset("jd-points")
        let folder = temporaryFolder()
        defer { removeFolder(folder) }
        let earn = "{\"id\":\"o-1\",\"type\":\"order.completed\",\"member\":\"alice\",\"at\":\"2026-01-05T02:00:00Z\",\"data\":{\"order\":\"o-1\",\"amount\":\"400.00\",\"currency\":\"CNY\"}}"
        // Pending 7 days, then 12 months: the lot expires at 2027-01-12T02:00:00Z.
        func redeem(_ at: String) -> String {
            "{\"id\":\"r-1\",\"type\":\"points.redeemed\",\"member\":\"alice\",\"at\":\"\(at)\",\"data\":{\"order\":\"o-9\",\"points\":100,\"order_amount\":\"10.00\"}}"
        }
        let (earlyStore, early) = try ledger(program, in: folder, "early")
        _ = try early.ingest(lines: [Array(earn.utf8)])
        try early.advance(to: Instant(rfc3339: "2026-01-13T00:00:00Z")!)
        let lot = try XCTUnwrap(early.engine.state.members["alice"]?.lots.first)
        XCTAssertEqual(lot.expiresAt, Instant(rfc3339: "2027-01-12T02:00:00Z"))
        let before = try early.ingest(lines: [Array(redeem("2027-01-12T01:59:59.999Z").utf8)])
        XCTAssertEqual(before[0].status, .applied, before[0].reason ?? "")
        XCTAssertEqual(before[0].points, -100)

        let (onStore, on) = try ledger(program, in: folder, "on")
        _ = try on.ingest(lines: [Array(earn.utf8)])
        let exactly = try on.ingest(lines: [Array(redeem("2027-01-12T02:00:00Z").utf8)])
        XCTAssertEqual(exactly[0].status, .refused)
        XCTAssertEqual(exactly[0].code, .insufficientPoints)
        XCTAssertEqual(on.engine.state.members["alice"]?.balance, 0)
        let expired = try onStore.entries(program: program.id, member: "alice").filter { $0.kind == .expire }
        XCTAssertEqual(expired.map(\.at), [Instant(rfc3339: "2027-01-12T02:00:00Z")!])
        XCTAssertEqual(try verify(program, store: earlyStore).problems, [])
        XCTAssertEqual(try verify(program, store: onStore).problems, [])
    }

    /// Asia/Shanghai has no daylight saving: local midnight is 16:00 UTC all year. The last
    /// millisecond of November and the first of December are different days (and months) for the
    /// once-a-day sign-in; two sign-ins on the same side of midnight are not.
    func testAMonthEndInAZoneWithoutDaylightSaving() throws {
        let program = try preset("jd-points")
        let folder = temporaryFolder()
        defer { removeFolder(folder) }
        let (store, ledger) = try ledger(program, in: folder, "month-end")
        func signIn(_ id: String, _ at: String) -> [UInt8] {
            Array("{\"id\":\"\(id)\",\"type\":\"member.signed_in\",\"member\":\"alice\",\"at\":\"\(at)\",\"data\":{}}".utf8)
        }
        let outcomes = try ledger.ingest(lines: [
            signIn("s-1", "2026-11-30T15:59:59.998Z"),
            signIn("s-2", "2026-11-30T15:59:59.999Z"),
            signIn("s-3", "2026-11-30T16:00:00.000Z"),
            signIn("s-4", "2026-11-30T16:00:00.001Z"),
        ])
        XCTAssertEqual(outcomes.map(\.points), [5, 0, 5, 0])
        XCTAssertEqual(outcomes[1].code, .capReached)
        XCTAssertEqual(program.calendar.date(of: Instant(rfc3339: "2026-11-30T16:00:00Z")!).description, "2026-12-01")
        XCTAssertEqual(try verify(program, store: store).problems, [])
    }

    /// An input that arrives late (its time before the member's last input) is applied at its own
    /// time for its day's caps, never moves the program's clock back, and leaves a ledger that verifies.
    func testALateInputCountsInItsOwnDayAndTheLedgerVerifies() throws {
        let program = try preset("jd-points")
        let folder = temporaryFolder()
        defer { removeFolder(folder) }
        let (store, ledger) = try ledger(program, in: folder, "late")
        func signIn(_ id: String, _ at: String) -> [UInt8] {
            Array("{\"id\":\"\(id)\",\"type\":\"member.signed_in\",\"member\":\"alice\",\"at\":\"\(at)\",\"data\":{}}".utf8)
        }
        let outcomes = try ledger.ingest(lines: [
            signIn("s-1", "2026-11-20T02:00:00Z"),
            signIn("s-2", "2026-11-18T02:00:00Z"),  // two days late: its own day has no sign-in yet
            signIn("s-3", "2026-11-20T03:00:00Z"),  // the same day as s-1
        ])
        XCTAssertEqual(outcomes.map(\.points), [5, 5, 0])
        XCTAssertEqual(ledger.engine.state.clock, Instant(rfc3339: "2026-11-20T03:00:00Z"))
        XCTAssertEqual(try verify(program, store: store).problems, [])
    }
}
