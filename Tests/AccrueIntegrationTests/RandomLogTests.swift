import AccrueBench
import AccrueCore
import AccruePrograms
import AccrueSQLite
import AccrueStore
import Foundation
import XCTest

/// Randomized logs over the presets: the ledger always agrees with the state, replay equals
/// durable ingest, ingesting twice equals once, and a log cut anywhere and resumed equals the whole.
final class RandomLogTests: XCTestCase {
    static let presets = ["jd-points", "aliexpress-store", "aliexpress-levels", "cj-rewards", "aliexpress-coins"]
    static let seeds: [UInt64] = [1, 2, 3]
    static let length = 400

    /// The presets, and JD Points with order points pending until the order's state (the return
    /// window's close, or delivery plus 3 days) instead of 7 days, and a transfer window to a
    /// partner open through the spring, and two lucky draws.
    func programs() throws -> [AccrueCore.Program] {
        let presets = try RandomLogTests.presets.map { name in
            let program = try preset(name)
            return name == "aliexpress-store" ? program.instance(id: "store-7") : program
        }
        let jd = try String(contentsOfFile: repositoryRoot.appendingPathComponent("programs/jd-points.yaml").path, encoding: .utf8)
        let states = try ["pending: {until: return_window_closed}", "pending: {until: delivered, days: 3}"].enumerated().map { index, line in
            let window = """
            transfers:
              - {id: miles, partner: miles, rate: {points: 100, units: 1}, minimum: 1000, daily_limit: 3000, from: 2026-02-01, to: 2026-06-30}
            draws:
              - {id: spring, name: Spring draw, entry_cost: 30, entries_per_member: 8, opens: 2026-03-01T00:00:00Z, closes: 2026-04-20T00:00:00Z,
                 draw_at: 2026-04-21T00:00:00Z, prizes: [{id: phone, name: Phone, count: 1}, {id: cup, name: Cup, count: 3}]}
              - {id: summer, name: Summer draw, entry_cost: 10, opens: 2026-06-01T00:00:00Z, closes: 2026-08-01T00:00:00Z,
                 draw_at: 2026-08-01T00:00:00Z, prizes: [{id: bag, name: Bag, count: 2}]}
            campaign_policy: highest
            """
            let text = jd.replacingOccurrences(of: "pending_days: 7", with: line).replacingOccurrences(of: "campaign_policy: highest", with: window)
            return try ProgramFile.parse(text, file: "jd-state-\(index)").instance(id: "jd-state-\(index)")
        }
        // Points and coins in one program: every spend names its currency now and then.
        let coins = try ProgramFile.load(path: repositoryRoot.appendingPathComponent("docs/examples/points-and-coins.yaml").path)
        return presets + states + [coins]
    }

    func testLedgerAgreesWithStateAfterEveryInput() throws {
        for program in try programs() {
            for seed in RandomLogTests.seeds {
                var generator = LogGenerator(seed: seed, program: program)
                var replay = Replay(program: program)
                var statuses: [OutcomeStatus: Int] = [:]
                for (index, line) in generator.log(RandomLogTests.length).enumerated() {
                    let outcome = try XCTUnwrap(replay.apply(line: Array(line.utf8)))
                    statuses[outcome.status, default: 0] += 1
                    let problems = Audit.compare(entries: replay.entries, state: replay.engine.state, program: program)
                    XCTAssertEqual(problems, [], "\(program.id) seed \(seed) after line \(index): \(line)")
                    if !problems.isEmpty { return }
                    for member in replay.engine.state.members.values {
                        XCTAssertTrue(member.balance >= 0 || member.debt > 0, "\(program.id): \(member.id) is negative without a reversal")
                        XCTAssertGreaterThanOrEqual(member.held, 0)
                    }
                }
                // The generator must exercise every status, or the test proves little.
                if ProcessInfo.processInfo.environment["ACCRUE_TEST_DEBUG"] != nil {
                    let kinds = Dictionary(grouping: replay.entries, by: \.kind).mapValues(\.count)
                    let codes = Dictionary(grouping: replay.outcomes.compactMap(\.code), by: { $0 }).mapValues(\.count)
                    print("\(program.id) seed \(seed): \(statuses) entries \(kinds.sorted { $0.key.rawValue < $1.key.rawValue }) codes \(codes.sorted { $0.key.rawValue < $1.key.rawValue }) tiers \(replay.engine.state.members.values.map { $0.tier ?? "-" })")
                }
                XCTAssertGreaterThan(statuses[.applied] ?? 0, 50, "\(program.id) seed \(seed)")
                XCTAssertGreaterThan(statuses[.refused] ?? 0, 5, "\(program.id) seed \(seed)")
                XCTAssertGreaterThan(statuses[.duplicate] ?? 0, 2, "\(program.id) seed \(seed)")
            }
        }
    }

    /// `accrue replay` keeps no entries (it prints outcomes and members); it must decide exactly
    /// as a replay that keeps them, and count the same entries.
    func testAReplayThatKeepsNoEntriesDecidesTheSame() throws {
        for program in try programs() {
            var generator = LogGenerator(seed: 7, program: program)
            let text = Array(generator.log(RandomLogTests.length).joined(separator: "\n").utf8)
            let until = Instant(milliseconds: 1_830_000_000_000)
            let keeping = Replay.run(program: program, text: text, until: until)
            let counting = Replay.run(program: program, text: text, until: until, keepsEntries: false)
            XCTAssertGreaterThan(keeping.entries.count, RandomLogTests.length / 4, "\(program.id): the log makes entries")
            XCTAssertEqual(keeping.entryCount, keeping.entries.count, program.id)
            XCTAssertEqual(counting.entryCount, keeping.entries.count, "\(program.id): the same entries made")
            XCTAssertEqual(counting.entries, [], program.id)
            XCTAssertEqual(counting.document().json.canonicalBytes, keeping.document().json.canonicalBytes, "\(program.id): the same document")
            XCTAssertEqual(Audit.compare(entries: keeping.entries, state: counting.engine.state, program: program), [], program.id)
        }
    }

    func testReplayEqualsIngestAndTwiceEqualsOnce() throws {
        for program in try programs() {
            let folder = temporaryFolder()
            defer { removeFolder(folder) }
            var generator = LogGenerator(seed: 42, program: program)
            let log = generator.log(RandomLogTests.length)
            var replay = Replay(program: program)
            for line in log { replay.apply(line: Array(line.utf8)) }

            let store = try SQLiteStore(path: folder.appendingPathComponent("ledger.sqlite").path)
            try store.register(StoredProgram(id: program.id, base: program.id, version: 1, source: "test"))
            let ledger = try ProgramLedger(program: program, store: store)
            var outcomes: [Outcome] = []
            var random = SeededRandom(seed: 7)
            var start = 0
            while start < log.count {
                // Batches of random sizes: one input, a few, many.
                let size = [1, 3, 17, 60][Int(random.next() % 4)]
                let batch = log[start..<min(log.count, start + size)].map { Array($0.utf8) }
                outcomes += try ledger.ingest(lines: batch)
                start += size
            }
            XCTAssertEqual(outcomes, replay.outcomes, program.id)
            XCTAssertTrue(ledger.engine.state == replay.engine.state, "states differ: " + program.id)
            XCTAssertTrue(try currentState(program, in: store) == replay.engine.state, "\(program.id): the state loaded from the log")
            try ledger.checkpoint()
            XCTAssertTrue(try store.load(program: program.id)?.state == replay.engine.state, "\(program.id): the checkpoint")
            XCTAssertEqual(try store.entries(program: program.id), replay.entries, "\(program.id): the stored entries")
            XCTAssertEqual(try verify(program, store: store).problems, [], program.id)

            // Ingesting the same log again changes nothing: every line is a duplicate or, for an id
            // reused with another body, a conflict; nothing else.
            let entriesBefore = try store.entries(program: program.id).count
            let again = try ledger.ingest(lines: log.map { Array($0.utf8) })
            for (line, outcome) in zip(log, again) {
                XCTAssertTrue(outcome.status == .duplicate || outcome.code == .conflict || outcome.id == nil,
                              "\(program.id): \(line) gave \(outcome.status) \(outcome.reason ?? "")")
            }
            XCTAssertEqual(try store.entries(program: program.id).count, entriesBefore)
            XCTAssertTrue(try currentState(program, in: store).members == replay.engine.state.members)
        }
    }

    func testCutAnywhereAndResumedEqualsWhole() throws {
        for program in try programs() {
            var generator = LogGenerator(seed: 99, program: program)
            let log = generator.log(200)
            var whole = Replay(program: program)
            for line in log { whole.apply(line: Array(line.utf8)) }
            for cut in [1, 57, 128, 199] {
                let folder = temporaryFolder()
                defer { removeFolder(folder) }
                let path = folder.appendingPathComponent("ledger.sqlite").path
                do {
                    let store = try SQLiteStore(path: path)
                    try store.register(StoredProgram(id: program.id, base: program.id, version: 1, source: "test"))
                    let ledger = try ProgramLedger(program: program, store: store)
                    _ = try ledger.ingest(lines: log[..<cut].map { Array($0.utf8) })
                }
                // A new process: reopen the file and carry on where the log was cut.
                let store = try SQLiteStore(path: path)
                let ledger = try ProgramLedger(program: program, store: store)
                var outcomes = try store.inputs(program: program.id).map(\.record.outcome)
                outcomes += try ledger.ingest(lines: log[cut...].map { Array($0.utf8) }).filter { $0.status != .duplicate && $0.code != .conflict && $0.id != nil }
                XCTAssertTrue(ledger.engine.state == whole.engine.state, "states differ: " + "\(program.id) cut at \(cut)")
                XCTAssertEqual(try store.entries(program: program.id), whole.entries, "\(program.id) cut at \(cut)")
                let firsts = whole.outcomes.filter { $0.status != .duplicate && $0.code != .conflict && $0.id != nil }
                XCTAssertEqual(outcomes, firsts, "\(program.id) cut at \(cut)")
            }
        }
    }
}
