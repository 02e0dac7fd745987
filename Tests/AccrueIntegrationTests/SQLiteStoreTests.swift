import AccrueBench
import AccrueCore
import AccruePrograms
@testable import AccrueSQLite
import AccrueStore
import Foundation
import GRDB
import XCTest

final class SQLiteStoreTests: XCTestCase {
    /// A database file in a fresh folder (removed after the test) with `program` registered in it.
    func registeredDatabase(_ program: Program, logPages: Int = LogCopier.writerPages,
                            keptBytes: Int = LogCopier.keptBytes) throws -> (path: String, store: SQLiteStore) {
        let folder = temporaryFolder()
        addTeardownBlock { removeFolder(folder) }
        let path = folder.appendingPathComponent("ledger.sqlite").path
        let store = try SQLiteStore(path: path, logPages: logPages, keptBytes: keptBytes)
        try store.register(StoredProgram(id: program.id, base: program.id, version: 1, source: "test"))
        return (path, store)
    }

    /// Two writers on one database (two `accrue ingest` processes, say) never build on the same
    /// state: the second one's commit is refused as stale, it reloads and decides again, and the
    /// result equals one writer applying the batches in the order they committed.
    func testTwoWritersOnOneDatabaseNeverLoseOrDoubleAnything() throws {
        let program = try preset("jd-points")
        let (path, _) = try registeredDatabase(program)

        var generator = LogGenerator(seed: 11, program: program)
        let log = generator.log(240).map { Array($0.utf8) }
        let first = try ProgramLedger(program: program, store: try SQLiteStore(path: path))
        let second = try ProgramLedger(program: program, store: try SQLiteStore(path: path))
        var committed: [[UInt8]] = []
        for (index, start) in stride(from: 0, to: log.count, by: 20).enumerated() {
            let batch = Array(log[start..<min(log.count, start + 20)])
            // Each writer's state is stale every other batch: the other one committed meanwhile.
            _ = try (index % 2 == 0 ? first : second).ingest(lines: batch)
            committed += batch
        }
        var whole = Replay(program: program)
        for line in committed { whole.apply(line: line) }
        let store = try SQLiteStore(path: path)
        XCTAssertTrue(try currentState(program, in: store) == whole.engine.state, "the stored state equals one writer's")
        XCTAssertTrue(try store.entries(program: program.id) == whole.entries, "the stored entries equal one writer's")
        XCTAssertEqual(try verify(program, store: store).problems, [])
        XCTAssertEqual(try store.tail(program: program.id, after: 0).revision, Int64(log.count / 20))
    }

    /// The store's copier copies the write-ahead log into the database file after the commits,
    /// while the store stays open, and the log does not grow without end: its frames are copied
    /// and the next writes start it again from its beginning. In WAL mode the database file grows
    /// only when the log is copied into it.
    func testTheLogIsCopiedIntoTheDatabaseFileAndStartedAgain() throws {
        let program = try preset("jd-points")
        let (path, store) = try registeredDatabase(program, logPages: 1_000)
        func fileSize() throws -> Int { try XCTUnwrap(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) }
        let before = try fileSize()
        var generator = LogGenerator(seed: 3, program: program)
        let log = generator.log(3000).map { Array($0.utf8) }
        let ledger = try ProgramLedger(program: program, store: store, checkpointInterval: 10_000_000)
        for start in stride(from: 0, to: log.count, by: 100) { _ = try ledger.ingest(lines: Array(log[start..<min(log.count, start + 100)])) }
        // The copier runs a little after the last commit: wait for it (at most ten seconds).
        var size = try fileSize()
        for _ in 0..<200 where size < before + 1_000_000 {
            Thread.sleep(forTimeInterval: 0.05)
            size = try fileSize()
        }
        XCTAssertGreaterThan(size, before + 1_000_000, "3,000 inputs copied into the database file: \(before) -> \(size) bytes")
        // Many more commits, one after the other with no pause: the log is started again from its
        // beginning, so its file stays within a few times the writer's automatic checkpoint (1,000
        // pages here, 4 MB) and does not hold every commit's pages (35 MB here).
        var moreGenerator = LogGenerator(seed: 4, program: program, start: "2026-06-01T00:00:00Z")
        let moreLog = moreGenerator.log(12_000).map { Array($0.utf8) }
        for start in stride(from: 0, to: moreLog.count, by: 50) { _ = try ledger.ingest(lines: Array(moreLog[start..<min(moreLog.count, start + 50)])) }
        let logSize = try XCTUnwrap(try FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int)
        XCTAssertLessThan(logSize, 16_000_000, "the log file (\(logSize) bytes) is started again, not grown with every commit")
        // What was copied reads back as committed, from a new connection.
        XCTAssertEqual(try SQLiteStore(path: path).inputs(program: program.id).count, try store.inputs(program: program.id).count)
        XCTAssertEqual(try verify(program, store: store).problems, [])
    }

    /// A log grown by a burst while it could not be copied (a reader kept an old snapshot, as a
    /// long report or a backup does) is cut back to the kept size once it is copied and started
    /// again: SQLite reuses the file from its beginning but would otherwise keep its whole size.
    func testALogGrownByABurstIsCutBackWhenItStartsAgain() throws {
        let program = try preset("jd-points")
        let kept = 512 * 1024
        let (path, store) = try registeredDatabase(program, logPages: 100, keptBytes: kept)
        func logSize() -> Int { (try? FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int) ?? 0 }
        let ledger = try ProgramLedger(program: program, store: store, checkpointInterval: 10_000_000)
        var generator = LogGenerator(seed: 5, program: program)
        // A reader holds its snapshot while 2,000 inputs commit: no copy can pass it.
        let reader = try DatabaseQueue(path: path)
        let (holding, release, done) = (DispatchSemaphore(value: 0), DispatchSemaphore(value: 0), DispatchGroup())
        DispatchQueue.global().async(group: done) {
            try? reader.read { db in
                _ = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM inputs")
                holding.signal()
                release.wait()
            }
        }
        holding.wait()
        let burst = generator.log(2_000).map { Array($0.utf8) }
        for start in stride(from: 0, to: burst.count, by: 100) { _ = try ledger.ingest(lines: Array(burst[start..<min(burst.count, start + 100)])) }
        let grown = logSize()
        XCTAssertGreaterThan(grown, 4 * kept, "the burst grew the log")
        release.signal()
        done.wait()
        // Small commits go on; the copier copies the log and a later commit starts it again.
        var size = grown
        for _ in 0..<200 where size > kept {
            _ = try ledger.ingest(lines: generator.log(5).map { Array($0.utf8) })
            Thread.sleep(forTimeInterval: 0.05)
            size = logSize()
        }
        XCTAssertLessThanOrEqual(size, kept, "the log's file is cut back from \(grown) bytes")
        XCTAssertEqual(try verify(program, store: store).problems, [])
    }

    /// After `copyWholeLog` (a server does it when it stops) the database file alone holds every
    /// commit: a copy of that one file, without the log beside it, reads back everything.
    func testAfterTheWholeLogIsCopiedTheDatabaseFileAloneHoldsEverything() throws {
        let program = try preset("cj-rewards")
        let (path, store) = try registeredDatabase(program)
        var generator = LogGenerator(seed: 8, program: program)
        let ledger = try ProgramLedger(program: program, store: store)
        _ = try ledger.ingest(lines: generator.log(200).map { Array($0.utf8) })
        let stored = try store.inputs(program: program.id).count
        XCTAssertGreaterThan(stored, 150)
        try store.copyWholeLog()
        XCTAssertEqual((try? FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int) ?? 0, 0, "the log is empty")
        let alone = path + "-alone.sqlite"
        try FileManager.default.copyItem(atPath: path, toPath: alone)
        let copy = try SQLiteStore(path: alone)
        XCTAssertEqual(try copy.inputs(program: program.id).count, stored)
        XCTAssertEqual(try verify(program, store: copy).problems, [])
    }

    /// A write transaction is all or nothing: when its body fails after appending, nothing of it
    /// is in the database, and the ledger that tried reloads to the stored state.
    func testAFailedWriteLeavesNothing() throws {
        let program = try preset("cj-rewards")
        let (_, store) = try registeredDatabase(program)
        struct Boom: Error {}
        var engine = Engine(program: program)
        let line = #"{"id":"e-1","type":"order.completed","member":"ivan","at":"2026-04-01T00:00:00Z","data":{"order":"o-1","amount":"120.00","currency":"USD"}}"#
        let decoded = Input.decode(Array(line.utf8))
        let outcome = engine.handle(decoded, prior: nil)
        let batch = CommitBatch(inputs: [("e-1", InputRecord(canonical: decoded.canonical!, outcome: outcome))], entries: engine.drain().entries)
        XCTAssertThrowsError(try store.write(program: program.id) { tx -> Void in
            XCTAssertEqual(try tx.append(batch, revision: 0), 1)
            throw Boom()
        })
        XCTAssertEqual(try store.tail(program: program.id, after: 0).revision, 0)
        XCTAssertEqual(try store.entries(program: program.id).count, 0)
        XCTAssertEqual(try store.inputs(program: program.id).count, 0)
        // Appending on a revision that is not current is refused.
        XCTAssertThrowsError(try store.write(program: program.id) { tx in try tx.append(batch, revision: 7) }) { error in
            XCTAssertEqual(error as? StoreError, .staleRevision(program: program.id, expected: 7))
        }
        XCTAssertThrowsError(try store.write(program: "nobody") { _ in }) { error in
            XCTAssertEqual(error as? StoreError, .unknownProgram("nobody"))
        }
    }

    /// A commit's inputs, entries and events are bound through SQLite's C API (`DirectWrite`):
    /// every kind of value reads back as written (absent values as absent, empty and non-ASCII
    /// text, the extremes of Int64), and a row SQLite refuses fails the whole commit with
    /// SQLite's own error.
    func testRowsBoundDirectlyReadBackExactlyAndARefusedRowFailsTheCommit() throws {
        let program = try preset("jd-points")
        let (_, store) = try registeredDatabase(program)
        let at = Instant(rfc3339: "2026-11-23T10:00:00Z")!
        var outcome = Outcome(id: "ün-1", status: .applied, points: Int64.max, reason: "", member: "мария", type: "order.completed", at: at)
        outcome.seq = 1
        let entries = [
            Entry(seq: 2, member: "мария", at: at, kind: .earn, points: Int64.max, lot: Int64.min, hold: "", input: "ün-1", rule: "order-points",
                  expiresAt: Instant(milliseconds: Int64.max), availableAt: at, tier: "gold", code: "", reason: "", currency: "coins"),
            Entry(seq: 3, member: "m", at: at, kind: .expire, points: -1, reason: "1 point expired 🎁"),
        ]
        let batch = CommitBatch(inputs: [("ün-1", InputRecord(canonical: #"{"id":"ün-1"}"#, outcome: outcome))], entries: entries)
        XCTAssertEqual(try store.write(program: program.id) { tx in try tx.append(batch, revision: 0) }, 1)
        XCTAssertEqual(try store.entries(program: program.id), entries)
        let inputs = try store.inputs(program: program.id)
        XCTAssertEqual(inputs.map(\.id), ["ün-1"])
        XCTAssertEqual(inputs.first?.record, InputRecord(canonical: #"{"id":"ün-1"}"#, outcome: outcome))
        // The entries are the outbox: their events read back as derived from them.
        XCTAssertEqual(try store.events(program: program.id, after: 0, limit: 10), LedgerEvent.derive(from: entries, inputTypes: [:]))

        // The same input id again: the unique index refuses the row, and nothing of the commit stays.
        let again = CommitBatch(inputs: [("fresh", InputRecord(canonical: "{}", outcome: Outcome(id: "fresh", status: .applied))),
                                         ("ün-1", InputRecord(canonical: "{}", outcome: Outcome(id: "ün-1", status: .applied)))],
                                entries: [Entry(seq: 4, member: "m", at: at, kind: .earn, points: 1, reason: "1 point")])
        XCTAssertThrowsError(try store.write(program: program.id) { tx in try tx.append(again, revision: 1) }) { error in
            XCTAssertTrue("\(error)".contains("UNIQUE constraint failed: inputs.program, inputs.id"), "\(error)")
        }
        XCTAssertEqual(try store.inputs(program: program.id).map(\.id), ["ün-1"])
        XCTAssertEqual(try store.entries(program: program.id), entries)
        XCTAssertEqual(try store.tail(program: program.id, after: 0).revision, 1)
    }

    /// What a commit wrote is there after the database is closed and opened again, and a program
    /// file registered again with other text becomes a new version.
    func testReopenKeepsEverythingAndVersionsPrograms() throws {
        let program = try preset("aliexpress-levels")
        let folder = temporaryFolder()
        defer { removeFolder(folder) }
        let path = folder.appendingPathComponent("ledger.sqlite").path
        var generator = LogGenerator(seed: 3, program: program)
        let log = generator.log(120).map { Array($0.utf8) }
        var outcomes: [Outcome] = []
        do {
            let store = try SQLiteStore(path: path)
            try store.register(StoredProgram(id: program.id, base: program.id, version: 1, source: "text one"))
            outcomes = try ProgramLedger(program: program, store: store).ingest(lines: log)
        }
        let store = try SQLiteStore(path: path)
        let reopened = try ProgramLedger(program: program, store: store)
        var replay = Replay(program: program)
        for line in log { replay.apply(line: line) }
        XCTAssertEqual(outcomes, replay.outcomes)
        XCTAssertTrue(reopened.engine.state == replay.engine.state)
        try store.register(StoredProgram(id: program.id, base: program.id, version: 1, source: "text one"))
        XCTAssertEqual(try store.program(program.id)?.version, 1, "the same text is the same version")
        try store.register(StoredProgram(id: program.id, base: program.id, version: 1, source: "text two"))
        XCTAssertEqual(try store.program(program.id)?.version, 2)
        XCTAssertEqual(try store.program(program.id)?.source, "text two")
    }

    /// A database from before events were derived from entries: opening it drops the outbox table,
    /// and the events still waiting in it are derived again from their entries, with the same seq
    /// (so the same id a receiver deduplicates by).
    func testAnOlderDatabasesOutboxGivesWayToItsEntries() throws {
        let folder = temporaryFolder()
        defer { removeFolder(folder) }
        let path = folder.appendingPathComponent("ledger.sqlite").path
        let at = Instant(rfc3339: "2026-11-11T00:00:00Z")!
        let entries = [Entry(seq: 1, member: "ann", at: at, kind: .earn, points: 7, lot: 1, input: "i-1", rule: "r", reason: "7 points"),
                       Entry(seq: 2, member: "ann", at: at, kind: .adjust, points: -2, reason: "correction")]
        do {
            let store = try SQLiteStore(path: path)
            try store.register(StoredProgram(id: "p", base: "jd-points", version: 1, source: "test"))
            _ = try store.write(program: "p") { tx in try tx.append(CommitBatch(inputs: [], entries: entries), revision: 0) }
            // As the previous schema left it: an outbox row beside each entry, the migration not run.
            try store.pool.write { db in
                try db.execute(sql: """
                    CREATE TABLE events (program TEXT NOT NULL, seq INTEGER NOT NULL, type TEXT NOT NULL, member TEXT NOT NULL,
                                         at INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (program, seq)) WITHOUT ROWID;
                    INSERT INTO events VALUES ('p', 1, 'points.earned', 'ann', 0, '{}'), ('p', 2, 'points.adjusted', 'ann', 0, '{}');
                    DELETE FROM grdb_migrations WHERE identifier = '0005-events-from-entries';
                    """)
            }
        }
        let store = try SQLiteStore(path: path)
        XCTAssertFalse(try store.pool.read { try $0.tableExists("events") }, "the outbox table is dropped")
        XCTAssertEqual(try store.events(program: "p", after: 0, limit: 10), LedgerEvent.derive(from: entries, inputTypes: [:]))
        XCTAssertEqual(try store.events(program: "p", after: 0, limit: 10).map(\.seq), [1, 2])
        XCTAssertEqual(try store.lastEventSeq(program: "p"), 2)
    }

    /// Clock steps are part of the log: a log with inputs, steps of the clock between them and
    /// late inputs replays to exactly the stored state, for every preset.
    func testClockStepsAreLoggedAndReplayedExactly() throws {
        for name in RandomLogTests.presets {
            let program = try preset(name)
            let (_, store) = try registeredDatabase(program)
            let ledger = try ProgramLedger(program: program, store: store)
            var generator = LogGenerator(seed: 17, program: program)
            var steps = 0
            for _ in 0..<30 {
                _ = try ledger.ingest(lines: generator.log(8).map { Array($0.utf8) })
                // Run the clock ahead of the inputs, so that the next ones arrive late.
                let ahead = Instant(milliseconds: (ledger.engine.state.clock ?? Instant(milliseconds: 0)).milliseconds + 9 * Instant.millisecondsPerDay)
                try ledger.advance(to: ahead)
                steps += 1
            }
            let log = try store.log(program: program.id)
            XCTAssertEqual(log.filter { if case .advance = $0 { return true } else { return false } }.count, steps)
            XCTAssertEqual(try verify(program, store: store).problems, [], name)
        }
    }

    /// A program file changed between two ingests: the log records the version each record was
    /// decided under, and verify replays each part under its own version.
    func testAChangedProgramFileIsReplayedUnderTheVersionOfEachRecord() throws {
        let path = repositoryRoot.appendingPathComponent("programs/jd-points.yaml").path
        let first = try String(contentsOfFile: path, encoding: .utf8)
        let second = signInsWorthSeven(first)
        XCTAssertNotEqual(first, second)
        let v1 = try ProgramFile.parse(first, file: "v1"), v2 = try ProgramFile.parse(second, file: "v2")
        let folder = temporaryFolder()
        defer { removeFolder(folder) }
        let store = try SQLiteStore(path: folder.appendingPathComponent("ledger.sqlite").path)
        func signIn(_ day: Int) -> [UInt8] {
            Array(#"{"id":"s-\#(day)","type":"member.signed_in","member":"amy","at":"2026-03-\#(day < 10 ? "0" : "")\#(day)T02:00:00Z","data":{}}"#.utf8)
        }
        try store.register(StoredProgram(id: "jd-points", base: "jd-points", version: 1, source: first))
        _ = try ProgramLedger(program: v1, store: store).ingest(lines: (1...3).map(signIn))
        try store.register(StoredProgram(id: "jd-points", base: "jd-points", version: 1, source: second))
        XCTAssertEqual(try store.program("jd-points")?.version, 2)
        let versions = [1: v1, 2: v2]
        // Opening the log under the new file alone cannot replay what the old one decided.
        XCTAssertThrowsError(try ProgramLedger(program: v2, store: store)) { error in
            XCTAssertEqual(error as? StoreError, .replayMismatch(program: "jd-points", input: "s-1"))
        }
        let ledger = try ProgramLedger(program: v2, store: store, programAt: { versions[$0]! })
        _ = try ledger.ingest(lines: (4...6).map(signIn))
        XCTAssertEqual(ledger.engine.state.members["amy"]?.balance, 3 * 5 + 3 * 7)
        try ledger.checkpoint()
        XCTAssertEqual(try currentState(v2, in: store).members["amy"]?.balance, 3 * 5 + 3 * 7, "after a checkpoint nothing old is replayed")

        let markers = try store.log(program: "jd-points").compactMap { record -> Int? in
            if case let .program(version) = record { return version }
            return nil
        }
        XCTAssertEqual(markers, [1, 2])
        XCTAssertEqual(try verify(v2, store: store, programAt: { versions[$0]! }).problems, [])
        // Replaying everything under the latest file gives other outcomes: the markers matter.
        XCTAssertFalse(try verify(v2, store: store).problems.isEmpty)
        XCTAssertEqual(try store.program("jd-points", version: 1)?.source, first)
    }
}
