import AccrueBench
import AccrueCore
import XCTest

/// Due work run in steps (as the server commits it, a few hundred items a transaction) makes
/// exactly the entries and the state that one advance over the same time makes, and so does a log
/// of such steps replayed from a store.
final class DueWorkStepTests: XCTestCase {
    func testStepsMakeWhatOneAdvanceMakes() throws {
        let options = WorkloadOptions(members: 200, inputs: 6_000, seed: 11)
        var steppedPrograms = 0
        for slot in Workload.programs {
            let file = try preset(slot.preset)
            var replay = Replay(program: file.id == slot.id ? file : file.instance(id: slot.id))
            for line in Workload.lines(slot, options: options) { replay.apply(line: Array(line.utf8)) }
            var whole = replay.engine
            _ = whole.drain()
            var stepped = whole
            // Two years on: every pending lot is released and every lot expires, with its notices.
            let end = Instant(milliseconds: Workload.end.milliseconds + 730 * 86_400_000)
            whole.advance(to: end)
            var steps = 0
            var stepEntries: [Entry] = []
            var done = false
            while !done {
                let clock = try XCTUnwrap(stepped.state.clock)
                done = stepped.advance(ClockStep(time: end, items: 7))
                stepEntries += stepped.drain().entries
                steps += 1
                let after = try XCTUnwrap(stepped.state.clock)
                XCTAssertGreaterThanOrEqual(after, clock, "the clock never goes back")
                XCTAssertLessThanOrEqual(after, end, "nor past the step's time")
                if done { XCTAssertEqual(after, end) }
            }
            let wholeEntries = whole.drain().entries
            if wholeEntries.count > 100 {
                steppedPrograms += 1
                XCTAssertGreaterThan(steps, 10, "\(slot.id): it is run in many steps")
            }
            XCTAssertEqual(stepEntries, wholeEntries, slot.id)
            XCTAssertEqual(stepped.state, whole.state, slot.id)
        }
        XCTAssertGreaterThanOrEqual(steppedPrograms, 2, "the workload's programs have due work to step through")
    }

    func testAStepStopsAfterItsItemsAndTheRestRunsNext() throws {
        var engine = Engine(program: try preset("jd-points"))
        // Thirty orders at the same instant: their pending points all come due at one instant.
        for i in 0..<30 {
            let line = #"{"id":"o\#(i)","type":"order.completed","member":"m\#(i)","at":"2026-03-01T00:00:00Z","data":{"order":"o\#(i)","amount":"10.00","currency":"CNY"}}"#
            XCTAssertEqual(engine.handle(bytes: Array(line.utf8), prior: { _ in nil }).status, .applied, line)
        }
        _ = engine.drain()
        let due = try XCTUnwrap(engine.nextDue)
        let later = Instant(milliseconds: due.milliseconds + 86_400_000)
        XCTAssertFalse(engine.advance(ClockStep(time: later, items: 10)))
        XCTAssertEqual(engine.drain().entries.filter { $0.kind == .release }.count, 10, "ten of the thirty releases")
        XCTAssertEqual(engine.state.clock, Instant(milliseconds: due.milliseconds - 1), "the clock stops just before the items left")
        // A late input (dated before the clock) runs its own due work, not the step's rest.
        let late = #"{"id":"late","type":"order.completed","member":"m0","at":"2026-03-01T00:00:00Z","data":{"order":"late","amount":"10.00","currency":"CNY"}}"#
        XCTAssertEqual(engine.handle(bytes: Array(late.utf8), prior: { _ in nil }).status, .applied)
        XCTAssertEqual(engine.drain().entries.filter { $0.kind == .release }.count, 0, "the rest waits for the next step")
        XCTAssertFalse(engine.advance(ClockStep(time: later, items: 10)))
        XCTAssertFalse(engine.advance(ClockStep(time: later, items: 10)), "the late order's release is due too")
        XCTAssertTrue(engine.advance(ClockStep(time: later, items: 10)), "the last one: nothing else is due")
        XCTAssertEqual(engine.state.clock, later)
        XCTAssertTrue(engine.advance(ClockStep(time: later, items: 10)), "nothing due: done at once")
    }

    func testAStepIsLoggedAsTextAndReadBack() {
        let time = Instant(rfc3339: "2026-11-30T10:00:00Z")!
        XCTAssertEqual(ClockStep(time: time).text, "2026-11-30T10:00:00Z", "a step without a limit is stored as before")
        XCTAssertEqual(ClockStep(time: time, items: 500).text, "2026-11-30T10:00:00Z due=500")
        // Steps logged before limits counted only current work read back as they were counted.
        XCTAssertEqual(ClockStep(text: "2026-11-30T10:00:00Z items=500"), ClockStep(time: time, items: 500, countsStaleItems: true))
        for step in [ClockStep(time: time), ClockStep(time: time, items: 500), ClockStep(time: time, items: 500, countsStaleItems: true)] {
            XCTAssertEqual(ClockStep(text: step.text), step)
        }
        for bad in ["", "2026-11-30T10:00:00Z items=0", "2026-11-30T10:00:00Z items=", "2026-11-30T10:00:00Z x=5", "2026-11-30T10:00:00Z items=5 more",
                    "2026-11-30T10:00:00Z due=0", "2026-11-30T10:00:00Z due=-3", "2026-11-30T10:00:00Z due"] {
            XCTAssertNil(ClockStep(text: bad), bad)
        }
    }

    /// A step ends in the same place whether the engine's queue was built as the log ran (stale
    /// items left in it: lots spent, deadlines moved) or rebuilt from the state, as after a load.
    /// A server that restarted, or a second server catching up with the log, replays the steps
    /// the first one logged: each must do there what it did live.
    func testStepsEndInTheSamePlaceWithAQueueRebuiltFromTheState() throws {
        let options = WorkloadOptions(members: 200, inputs: 6_000, seed: 5)
        var differedBefore = 0
        for slot in Workload.programs {
            let file = try preset(slot.preset)
            let program = file.id == slot.id ? file : file.instance(id: slot.id)
            var replay = Replay(program: program)
            for line in Workload.lines(slot, options: options) { replay.apply(line: Array(line.utf8)) }
            var live = replay.engine
            _ = live.drain()
            let end = Instant(milliseconds: Workload.end.milliseconds + 730 * 86_400_000)
            for countsStaleItems in [false, true] {
                var built = live
                var loaded = Engine(program: program, state: live.state)
                var differs = false
                var done = false
                while !done {
                    let step = ClockStep(time: end, items: 7, countsStaleItems: countsStaleItems)
                    done = built.advance(step)
                    let other = loaded.advance(step)
                    let (builtEntries, loadedEntries) = (built.drain().entries, loaded.drain().entries)
                    if countsStaleItems {
                        if other != done || builtEntries != loadedEntries || built.state != loaded.state { differs = true }
                        if other != done { break }
                    } else {
                        XCTAssertEqual(other, done, "\(slot.id): both end the step, or neither")
                        XCTAssertEqual(loadedEntries, builtEntries, "\(slot.id): the same entries in each step")
                        XCTAssertEqual(loaded.state, built.state, "\(slot.id): the same state after each step")
                        if other != done || loaded.state != built.state { return }
                    }
                }
                if countsStaleItems && differs { differedBefore += 1 }
            }
        }
        // The old count (every item taken, stale ones too) is what broke this: it shows here.
        XCTAssertGreaterThan(differedBefore, 0, "counting stale items ends steps in different places")
    }
}
