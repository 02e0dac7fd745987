import AccrueBench
import AccrueCore
import AccruePrograms
@testable import AccruePostgres
import AccrueSQLite
import AccrueStore
import Foundation
import XCTest

/// A review of the storage layer: checkpoints at every interval boundary, several ledgers and
/// processes on one database, program-version switches around checkpoints, failures inside a
/// transaction, and what `verify` notices.
final class StoreReviewTests: XCTestCase {
    // MARK: - Helpers

    enum Operation {
        case ingest([[UInt8]])
        case advance(days: Int64)
        case reopen
    }

    /// A random mix of batches, clock steps (so later inputs arrive late) and reopenings.
    func operations(seed: UInt64, program: AccrueCore.Program, count: Int) -> [Operation] {
        var generator = LogGenerator(seed: seed, program: program)
        var random = SeededRandom(seed: seed &+ 1000)
        return (0..<count).map { _ in
            switch random.next() % 8 {
            case 0: return .advance(days: Int64(random.next() % 40))
            case 1: return .reopen
            default: return .ingest(generator.log(1 + Int(random.next() % 4)).map { Array($0.utf8) })
            }
        }
    }

    func sqliteStore(_ folder: URL, _ program: AccrueCore.Program, source: String = "test") throws -> SQLiteStore {
        let store = try SQLiteStore(path: folder.appendingPathComponent("ledger.sqlite").path)
        try store.register(StoredProgram(id: program.id, base: program.id, version: 1, source: source))
        return store
    }

    // MARK: - Checkpoint interval boundaries

    /// With a checkpoint after every one, two or five inputs, clock steps and late inputs among
    /// them, and the ledger reopened now and then: every checkpoint equals the state at its
    /// revision, and everything equals one ledger that never checkpoints.
    func testSmallCheckpointIntervalsKeepEveryCheckpointEqualToTheState() throws {
        for name in RandomLogTests.presets {
            let program = try preset(name)
            for interval in [1, 2, 5] {
                let folder = temporaryFolder()
                defer { removeFolder(folder) }
                let store = try sqliteStore(folder, program)
                var ledger = try ProgramLedger(program: program, store: store, checkpointInterval: interval)
                let referenceStore = InMemoryStore()
                try referenceStore.register(StoredProgram(id: program.id, base: program.id, version: 1, source: "test"))
                let reference = try ProgramLedger(program: program, store: referenceStore)
                for (step, operation) in operations(seed: UInt64(interval * 7 + name.count), program: program, count: 80).enumerated() {
                    let label = "\(name) interval \(interval) step \(step)"
                    switch operation {
                    case let .ingest(lines):
                        XCTAssertEqual(try ledger.ingest(lines: lines), try reference.ingest(lines: lines), label)
                    case let .advance(days):
                        let to = (reference.engine.state.clock ?? Instant(rfc3339: "2026-01-01T00:00:00Z")!).adding(days: days)
                        try ledger.advance(to: to)
                        try reference.advance(to: to)
                    case .reopen:
                        let reopened = try ProgramLedger(program: program, store: store, checkpointInterval: interval)
                        XCTAssertTrue(reopened.engine.state == ledger.engine.state, "reopened: " + label)
                        ledger = reopened
                    }
                    let checkpoint = try XCTUnwrap(try store.load(program: program.id))
                    if checkpoint.revision == ledger.revision, checkpoint.revision > 0 {
                        XCTAssertTrue(checkpoint.state == ledger.engine.state, "checkpoint differs: " + label)
                        if checkpoint.state != ledger.engine.state { return }
                    }
                    XCTAssertTrue(ledger.engine.state == reference.engine.state, "state differs: " + label)
                    if ledger.engine.state != reference.engine.state { return }
                }
                XCTAssertTrue(try currentState(program, in: store) == reference.engine.state, "\(name) \(interval)")
                XCTAssertEqual(try store.entries(program: program.id), try referenceStore.entries(program: program.id), "\(name) \(interval)")
                XCTAssertEqual(try verify(program, store: store).problems, [], "\(name) \(interval)")
            }
        }
    }

    // MARK: - Checkpoints written off the writers' path

    /// With checkpoints taken at commits and written later (as a server does): written at once,
    /// after more commits, after a checkpoint written inside a commit overtook them, or failing.
    /// Loading from the store always gives the live state, no checkpoint ever goes back to an
    /// older revision, and `verify` passes.
    func testCheckpointsWrittenOffThePathNeverLoseAChange() throws {
        for name in ["jd-points", "aliexpress-levels", "cj-rewards"] {
            let program = try preset(name)
            let folder = temporaryFolder()
            defer { removeFolder(folder) }
            let store = try sqliteStore(folder, program)
            try checkpointsWrittenOffThePath(program, store) { try store.writeCheckpoint(program: program.id, $0, stepBytes: 1) }
            // Every record has one generation left: each checkpoint dropped those it replaced.
            try sqlite(folder.appendingPathComponent("ledger.sqlite").path, """
                for table, key in (('members', 'member'), ('orders', 'order_id'), ('bookings', 'booking')):
                    left = db.execute(f'SELECT count(*) FROM (SELECT 1 FROM {table} GROUP BY program, {key} HAVING count(*) > 1)').fetchone()[0]
                    assert left == 0, (table, left)
                """)
        }
    }

    /// The same on PostgreSQL, which writes a checkpoint taken off the path in steps too.
    func testCheckpointsWrittenOffThePathNeverLoseAChangeOnPostgres() throws {
        for name in ["jd-points", "aliexpress-levels", "cj-rewards"] {
            let program = try preset(name)
            let store = try PostgresStore(url: try TestPostgres.freshDatabase(cleanup: self), connections: 2)
            defer { store.close() }
            try store.register(StoredProgram(id: program.id, base: program.id, version: 1, source: "test"))
            try checkpointsWrittenOffThePath(program, store) { try store.writeCheckpoint(program: program.id, $0, stepBytes: 1) }
            for (table, key) in [("members", "member"), ("orders", "order_id"), ("bookings", "booking")] {
                let left = try store.pool.with { connection in
                    try connection.run("SELECT count(*) AS n FROM (SELECT 1 FROM \(table) GROUP BY program, \(key) HAVING count(*) > 1) AS t")
                        .rows.first?.get("n", as: Int64.self)
                }
                XCTAssertEqual(left, 0, "\(name): \(table) keeps older generations")
            }
        }
    }

    /// Random operations on `store` with checkpoints taken at commits and each written at once
    /// (whole, or in steps of one record with `inSmallSteps`), later, overtaken or failing; the
    /// store is loaded after every operation and compared with the live state.
    func checkpointsWrittenOffThePath(_ program: AccrueCore.Program, _ store: any LedgerStore,
                                      inSmallSteps: (CheckpointRows) throws -> Bool) throws {
        let name = program.id
        let ledger = try ProgramLedger(program: program, store: store, checkpointInterval: 7)
        ledger.deferCheckpoints = true
        var random = SeededRandom(seed: UInt64(name.count))
        var waiting: [PendingCheckpoint] = []
        var outcomes = (written: 0, late: 0, failed: 0, overtaken: 0)
        var lastRevision: Int64 = 0
        for (step, operation) in operations(seed: 41, program: program, count: 150).enumerated() {
            let label = "\(name) step \(step)"
            switch operation {
            case let .ingest(lines): _ = try ledger.ingest(lines: lines)
            case let .advance(days): try ledger.advance(to: (ledger.engine.state.clock ?? Instant(rfc3339: "2026-01-01T00:00:00Z")!).adding(days: days))
            case .reopen:
                // A checkpoint written inside a commit, with others still on their way.
                try ledger.checkpoint()
                outcomes.overtaken += waiting.count
            }
            if let taken = ledger.takeReadyCheckpoint() { waiting.append(taken) }
            // Each waiting checkpoint is written now, later, or fails.
            var still: [PendingCheckpoint] = []
            for pending in waiting {
                let written: Bool
                switch random.next() % 4 {
                case 0:
                    still.append(pending)
                    continue
                case 1:
                    ledger.finishCheckpoint(pending.id, written: false)
                    outcomes.failed += 1
                    continue
                case 2: written = try inSmallSteps(CheckpointRows(pending))
                default: written = try store.writeCheckpoint(program: program.id, CheckpointRows(pending))
                }
                ledger.finishCheckpoint(pending.id, written: written)
                if written { outcomes.written += 1 } else { outcomes.late += 1 }
            }
            waiting = still
            let stored = try XCTUnwrap(try store.load(program: program.id))
            XCTAssertGreaterThanOrEqual(stored.revision, lastRevision, "a checkpoint went back: " + label)
            lastRevision = stored.revision
            let loaded = try ProgramLedger(program: program, store: store)
            XCTAssertTrue(loaded.engine.state == ledger.engine.state, "loaded state differs: " + label)
            if loaded.engine.state != ledger.engine.state { return }
        }
        for pending in waiting { ledger.finishCheckpoint(pending.id, written: try store.writeCheckpoint(program: program.id, CheckpointRows(pending))) }
        try ledger.checkpoint()
        let stored = try XCTUnwrap(try store.load(program: program.id))
        XCTAssertEqual(stored.revision, ledger.revision)
        XCTAssertTrue(stored.state == ledger.engine.state, name)
        XCTAssertEqual(try verify(program, store: store).problems, [], name)
        XCTAssertGreaterThan(outcomes.written, 3, "\(name): \(outcomes)")
        XCTAssertGreaterThan(outcomes.failed, 0, "\(name): \(outcomes)")
    }

    /// SQLite writes a checkpoint's records in steps under their generation before the header
    /// moves: records of a generation after the header (a checkpoint cut short by a crash) are
    /// never read. (That older generations are dropped is checked by the off-path test above.)
    func testRecordsOfACheckpointCutShortAreNeverRead() throws {
        let program = try preset("jd-points")
        let folder = temporaryFolder()
        defer { removeFolder(folder) }
        let database = folder.appendingPathComponent("ledger.sqlite").path
        try cutShortRecordsAreNeverRead(program, try sqliteStore(folder, program), tamper: {
            try sqlite(database, """
                db.execute('''INSERT INTO members SELECT program, member, generation + 1000000, balance + 1, pending, held, tier, replace(state, '"debt":0', '"debt":7') FROM members''')
                db.execute('''INSERT INTO orders SELECT program, order_id, generation + 1000000, member, replace(state, '"refunded":0', '"refunded":5') FROM orders''')
                """)
            return try SQLiteStore(path: database)
        })
    }

    /// The same on PostgreSQL.
    func testRecordsOfACheckpointCutShortAreNeverReadOnPostgres() throws {
        let program = try preset("jd-points")
        let store = try PostgresStore(url: try TestPostgres.freshDatabase(cleanup: self), connections: 2)
        defer { store.close() }
        try store.register(StoredProgram(id: program.id, base: program.id, version: 1, source: "test"))
        try cutShortRecordsAreNeverRead(program, store, tamper: {
            try store.pool.with { connection in
                try connection.run("""
                    INSERT INTO members SELECT program, member, balance + 1, pending, held, tier, replace(state, '"debt":0', '"debt":7'),
                        generation + 1000000 FROM members
                    """)
                try connection.run("""
                    INSERT INTO orders SELECT program, order_id, member, replace(state, '"refunded":0', '"refunded":5'), generation + 1000000 FROM orders
                    """)
            }
            return store
        })
    }

    /// Checkpoints a ledger on `store`, lets `tamper` add records of a later generation with wrong
    /// states (as a checkpoint cut short could leave) and give the store to read with, and checks
    /// that loads and `verify` ignore them, before and after a later checkpoint.
    func cutShortRecordsAreNeverRead(_ program: AccrueCore.Program, _ store: any LedgerStore,
                                     tamper: () throws -> any LedgerStore) throws {
        let ledger = try ProgramLedger(program: program, store: store)
        var generator = LogGenerator(seed: 12, program: program)
        _ = try ledger.ingest(lines: generator.log(150).map { Array($0.utf8) })
        try ledger.checkpoint()
        let reopened = try tamper()
        let loaded = try XCTUnwrap(try reopened.load(program: program.id))
        XCTAssertTrue(loaded.state == ledger.engine.state, "the later generation is not read")
        XCTAssertEqual(try verify(program, store: reopened).problems, [])
        // A checkpoint after more inputs loads as its own state, the later generation still ignored.
        let again = try ProgramLedger(program: program, store: reopened)
        _ = try again.ingest(lines: generator.log(40).map { Array($0.utf8) })
        try again.checkpoint()
        XCTAssertTrue(try XCTUnwrap(try reopened.load(program: program.id)).state == again.engine.state)
        XCTAssertEqual(try verify(program, store: reopened).problems, [])
    }

    // MARK: - Two ledgers on one database

    /// Two ledgers on one SQLite file, both checkpointing often, take turns (each is stale every
    /// other turn): the stored checkpoint and the state loaded from it always equal one ledger
    /// doing everything, and no member row goes back to an older state.
    func testTwoLedgersCheckpointingInTurnsNeverLeaveAStaleCheckpoint() throws {
        for name in RandomLogTests.presets {
            let program = try preset(name)
            let folder = temporaryFolder()
            defer { removeFolder(folder) }
            let path = folder.appendingPathComponent("ledger.sqlite").path
            _ = try sqliteStore(folder, program)
            var ledgers = [try ProgramLedger(program: program, store: try SQLiteStore(path: path), checkpointInterval: 1),
                           try ProgramLedger(program: program, store: try SQLiteStore(path: path), checkpointInterval: 3)]
            let referenceStore = InMemoryStore()
            try referenceStore.register(StoredProgram(id: program.id, base: program.id, version: 1, source: "test"))
            let reference = try ProgramLedger(program: program, store: referenceStore)
            let reader = try SQLiteStore(path: path)
            var random = SeededRandom(seed: 5)
            for (step, operation) in operations(seed: 77, program: program, count: 90).enumerated() {
                let turn = Int(random.next() % 2)
                let label = "\(name) step \(step) ledger \(turn)"
                switch operation {
                case let .ingest(lines):
                    XCTAssertEqual(try ledgers[turn].ingest(lines: lines), try reference.ingest(lines: lines), label)
                case let .advance(days):
                    let to = (reference.engine.state.clock ?? Instant(rfc3339: "2026-01-01T00:00:00Z")!).adding(days: days)
                    try ledgers[turn].advance(to: to)
                    try reference.advance(to: to)
                case .reopen:
                    try ledgers[1 - turn].checkpoint()
                    ledgers[turn] = try ProgramLedger(program: program, store: try SQLiteStore(path: path), checkpointInterval: turn == 0 ? 1 : 3)
                }
                let checkpoint = try XCTUnwrap(try reader.load(program: program.id))
                if checkpoint.revision == ledgers[turn].revision, checkpoint.revision > 0 {
                    XCTAssertTrue(checkpoint.state == reference.engine.state, "checkpoint differs: " + label)
                    if checkpoint.state != reference.engine.state { return }
                }
                XCTAssertTrue(try currentState(program, in: reader) == reference.engine.state, "loaded state differs: " + label)
            }
            XCTAssertEqual(try reader.entries(program: program.id), try referenceStore.entries(program: program.id), name)
            XCTAssertEqual(try verify(program, store: reader).problems, [], name)
        }
    }

    /// One input id sent to two ledgers (two processes) on one database: the second one answers
    /// it as a duplicate, or as a conflict when the body differs, and nothing is applied twice.
    func testTheSameInputIdSentToTwoLedgersIsAppliedOnce() throws {
        let program = try preset("jd-points")
        let folder = temporaryFolder()
        defer { removeFolder(folder) }
        let path = folder.appendingPathComponent("ledger.sqlite").path
        _ = try sqliteStore(folder, program)
        let first = try ProgramLedger(program: program, store: try SQLiteStore(path: path), checkpointInterval: 1)
        let second = try ProgramLedger(program: program, store: try SQLiteStore(path: path), checkpointInterval: 1)
        let order = Array(#"{"id":"x-1","type":"order.completed","member":"amy","at":"2026-03-01T10:00:00Z","data":{"order":"o-1","amount":"100.00","currency":"CNY"}}"#.utf8)
        let other = Array(#"{"id":"x-1","type":"order.completed","member":"amy","at":"2026-03-01T10:00:00Z","data":{"order":"o-1","amount":"900.00","currency":"CNY"}}"#.utf8)
        let applied = try first.ingest(lines: [order])
        XCTAssertEqual(applied.first?.status, .applied)
        XCTAssertEqual(try second.ingest(lines: [order]).first?.status, .duplicate)
        XCTAssertEqual(try second.ingest(lines: [other]).first?.code, .conflict)
        XCTAssertEqual(try first.ingest(lines: [other, order]).map(\.status), [.refused, .duplicate])
        XCTAssertEqual(try SQLiteStore(path: path).inputs(program: program.id).count, 1)
        XCTAssertTrue(first.engine.state == second.engine.state)
        XCTAssertEqual(try verify(program, store: try SQLiteStore(path: path)).problems, [])
    }

    // MARK: - Program versions around checkpoints

    /// Two ledgers under two versions of the program file share a database (a long `accrue ingest`
    /// under the old file while another process ingests under the new one). The old-file ledger
    /// writes the last checkpoint after the new-file ledger's commit; the new-file ledger then
    /// carries on. The checkpoint must say which version the log was in at its revision, so that
    /// a later load replays what follows under the version it was decided under.
    func testACheckpointByALedgerOnAnOlderFileKeepsTheLogsVersion() throws {
        let text = try String(contentsOfFile: repositoryRoot.appendingPathComponent("programs/jd-points.yaml").path, encoding: .utf8)
        let newer = signInsWorthSeven(text)
        XCTAssertNotEqual(text, newer)
        let v1 = try ProgramFile.parse(text, file: "v1"), v2 = try ProgramFile.parse(newer, file: "v2")
        let versions = [1: v1, 2: v2]
        let folder = temporaryFolder()
        defer { removeFolder(folder) }
        let store = try sqliteStore(folder, v1, source: text)
        func signIn(_ day: Int) -> [UInt8] {
            Array(#"{"id":"s-\#(day)","type":"member.signed_in","member":"amy","at":"2026-03-\#(day < 10 ? "0" : "")\#(day)T02:00:00Z","data":{}}"#.utf8)
        }
        let old = try ProgramLedger(program: v1, store: store, programAt: { versions[$0]! })
        _ = try old.ingest(lines: [signIn(1)])
        try store.register(StoredProgram(id: "jd-points", base: "jd-points", version: 1, source: newer))
        let new = try ProgramLedger(program: v2, store: store, programAt: { versions[$0]! })
        _ = try new.ingest(lines: [signIn(2)])
        try old.checkpoint() // the old ingest finishes: its closing checkpoint
        _ = try new.ingest(lines: [signIn(3)])
        XCTAssertEqual(new.engine.state.members["amy"]?.balance, 5 + 7 + 7)

        XCTAssertEqual(try store.load(program: "jd-points")?.programVersion, 2, "the log was under version 2 at the checkpoint")
        XCTAssertNoThrow(try ProgramLedger(program: v2, store: store, programAt: { versions[$0]! }), "the database can still be opened")
        XCTAssertEqual(try verify(v2, store: store, programAt: { versions[$0]! }).problems, [])
    }

    /// A program-version switch right after a checkpoint and right before one: each load replays
    /// each part under its own version.
    func testVersionSwitchesBeforeAndAfterCheckpoints() throws {
        let text = try String(contentsOfFile: repositoryRoot.appendingPathComponent("programs/jd-points.yaml").path, encoding: .utf8)
        let newer = signInsWorthSeven(text)
        let v1 = try ProgramFile.parse(text, file: "v1"), v2 = try ProgramFile.parse(newer, file: "v2")
        let versions = [1: v1, 2: v2, 3: v1]
        let store = InMemoryStore()
        try store.register(StoredProgram(id: "jd-points", base: "jd-points", version: 1, source: text))
        func signIn(_ day: Int) -> [UInt8] {
            Array(#"{"id":"s-\#(day)","type":"member.signed_in","member":"amy","at":"2026-03-\#(day < 10 ? "0" : "")\#(day)T02:00:00Z","data":{}}"#.utf8)
        }
        let a = try ProgramLedger(program: v1, store: store, checkpointInterval: 2, programAt: { versions[$0]! })
        _ = try a.ingest(lines: [signIn(1)])
        _ = try a.ingest(lines: [signIn(2)]) // checkpoint at revision 2 under version 1
        try store.register(StoredProgram(id: "jd-points", base: "jd-points", version: 1, source: newer))
        let b = try ProgramLedger(program: v2, store: store, checkpointInterval: 1, programAt: { versions[$0]! })
        _ = try b.ingest(lines: [signIn(3)]) // version 2 right after a checkpoint, checkpointed at once
        try b.advance(to: Instant(rfc3339: "2026-03-04T00:00:00Z")!)
        try store.register(StoredProgram(id: "jd-points", base: "jd-points", version: 1, source: text))
        let c = try ProgramLedger(program: v1, store: store, checkpointInterval: 100, programAt: { versions[$0]! })
        _ = try c.ingest(lines: [signIn(4)])
        _ = try b.ingest(lines: [signIn(5)])
        _ = try a.ingest(lines: [signIn(6)])
        let expected = 5 + 5 + 7 + 5 + 7 + 5
        for ledger in [a, b, c] {
            let loaded = try ProgramLedger(program: ledger.program, store: store, programAt: { versions[$0]! })
            XCTAssertEqual(loaded.engine.state.members["amy"]?.balance, Int64(expected))
        }
        try c.checkpoint()
        XCTAssertEqual(try ProgramLedger(program: v1, store: store, programAt: { versions[$0]! }).engine.state.members["amy"]?.balance, Int64(expected))
        XCTAssertEqual(try verify(v1, store: store, programAt: { versions[$0]! }).problems, [])
    }

    /// The program version a ledger logs is the version of the file it decides under. A second
    /// process may register another text between `register` and opening the ledger (that is what
    /// `accrue ingest` does in two steps); the ledger then logs its decisions under the other
    /// process's version, and a later load replays them under the wrong file.
    func testALedgerLogsTheVersionOfItsOwnFile() throws {
        let text = try String(contentsOfFile: repositoryRoot.appendingPathComponent("programs/jd-points.yaml").path, encoding: .utf8)
        let newer = signInsWorthSeven(text)
        let v1 = try ProgramFile.parse(text, file: "v1"), v2 = try ProgramFile.parse(newer, file: "v2")
        let versions = [1: v1, 2: v2]
        let store = InMemoryStore()
        try store.register(StoredProgram(id: "jd-points", base: "jd-points", version: 1, source: text))
        // Another process registers its newer file meanwhile.
        try store.register(StoredProgram(id: "jd-points", base: "jd-points", version: 1, source: newer))
        let old = try ProgramLedger(program: v1, store: store, programVersion: 1, programAt: { versions[$0]! })
        _ = try old.ingest(lines: [Array(#"{"id":"s-1","type":"member.signed_in","member":"amy","at":"2026-03-01T02:00:00Z","data":{}}"#.utf8)])
        XCTAssertEqual(old.engine.state.members["amy"]?.balance, 5)
        XCTAssertEqual(try store.log(program: "jd-points").first, .program(version: 1))
        XCTAssertNoThrow(try ProgramLedger(program: v2, store: store, programAt: { versions[$0]! }))
    }

    // MARK: - Failures inside a transaction

    /// A store that fails on demand: a checkpoint inside a write (a full disk, say), and loads.
    final class FlakyStore: LedgerStore, @unchecked Sendable {
        struct Failure: Error {}
        let inner = InMemoryStore()
        var failCheckpoints = 0
        var failLoads = 0
        /// Loads asked for (a ledger's opening and each reload after a failed write).
        var loads = 0

        struct Tx: LedgerWriteTransaction {
            let inner: any LedgerWriteTransaction
            let store: FlakyStore
            func tail(after revision: Int64) throws -> LogTail { try inner.tail(after: revision) }
            func inputRecords(ids: [String]) throws -> [String: InputRecord] { try inner.inputRecords(ids: ids) }
            func append(_ batch: CommitBatch, revision: Int64) throws -> Int64 { try inner.append(batch, revision: revision) }
            func checkpoint(_ rows: CheckpointRows) throws -> Bool {
                if store.failCheckpoints > 0 { store.failCheckpoints -= 1; throw Failure() }
                return try inner.checkpoint(rows)
            }
        }

        func register(_ program: StoredProgram) throws { try inner.register(program) }
        func create(_ program: StoredProgram) throws -> Bool { try inner.create(program) }
        func program(_ id: String) throws -> StoredProgram? { try inner.program(id) }
        func program(_ id: String, version: Int) throws -> StoredProgram? { try inner.program(id, version: version) }
        func programs() throws -> [StoredProgram] { try inner.programs() }
        func load(program: String) throws -> Checkpoint? {
            loads += 1
            if failLoads > 0 { failLoads -= 1; throw Failure() }
            return try inner.load(program: program)
        }
        func tail(program: String, after revision: Int64, through last: Int64) throws -> LogTail { try inner.tail(program: program, after: revision, through: last) }
        func write<T>(program: String, _ body: (any LedgerWriteTransaction) throws -> T) throws -> T {
            try inner.write(program: program) { tx in try body(Tx(inner: tx, store: self)) }
        }
        func inputRecords(program: String, ids: [String]) throws -> [String: InputRecord] { try inner.inputRecords(program: program, ids: ids) }
        func entries(program: String) throws -> [Entry] { try inner.entries(program: program) }
        func entries(program: String, member: String) throws -> [Entry] { try inner.entries(program: program, member: member) }
        func entries(program: String, input: String) throws -> [Entry] { try inner.entries(program: program, input: input) }
        func entries(program: String, after seq: Int64, limit: Int) throws -> [Entry] { try inner.entries(program: program, after: seq, limit: limit) }
        func history(program: String, member: String, limit: Int, beforeSeq: Int64?) throws -> [HistoryLine] {
            try inner.history(program: program, member: member, limit: limit, beforeSeq: beforeSeq)
        }
    }

    /// A pipelined ingest writes its checkpoints on a thread of their own once their batches have
    /// committed: when one fails, the batches stand and are answered as one transaction
    /// each would answer them, the records of the failed checkpoint count as changed again, and
    /// the checkpoint written at the end holds everything (a fresh ledger loads the same state).
    func testPipelinedIngestSurvivesCheckpointsThatFailOffTheCommits() throws {
        let program = try preset("jd-points")
        var generator = LogGenerator(seed: 12, program: program)
        let lines = generator.log(1_200).map { Array($0.utf8) }
        let batches = stride(from: 0, to: lines.count, by: 50).map { Array(lines[$0..<min($0 + 50, lines.count)]) }
        let serialStore = InMemoryStore()
        try serialStore.register(StoredProgram(id: program.id, base: program.id, version: 1, source: "test"))
        let serial = try ProgramLedger(program: program, store: serialStore)
        let expected = try batches.map { try serial.ingest(lines: $0) }

        let store = FlakyStore()
        try store.register(StoredProgram(id: program.id, base: program.id, version: 1, source: "test"))
        // The first checkpoint taken is certain to be written (the ingest waits for it), so it fails.
        store.failCheckpoints = 1
        let ledger = try ProgramLedger(program: program, store: store, checkpointInterval: 100)
        let loads = store.loads
        var answered: [[Outcome]] = []
        try ledger.ingest { submit in
            for batch in batches { try submit(batch) }
        } durable: { answered.append($0) }
        XCTAssertEqual(answered, expected)
        XCTAssertEqual(store.failCheckpoints, 0, "the first checkpoint failed")
        XCTAssertEqual(store.loads, loads, "no commit failed with it, so nothing was reloaded")
        XCTAssertTrue(ledger.engine.state == serial.engine.state)
        try ledger.checkpoint()
        XCTAssertEqual(try store.load(program: program.id)?.revision, ledger.revision)
        XCTAssertTrue(try ProgramLedger(program: program, store: store).engine.state == serial.engine.state, "the last checkpoint holds every change")
        XCTAssertEqual(try verify(program, store: store).problems, [])
    }

    /// A write that fails at its checkpoint (after appending) leaves nothing; the ledger's state
    /// equals the store's afterwards, also when the reload after the failure failed too; sending
    /// the batch again applies it once.
    func testALedgerAgreesWithTheStoreAfterAFailureInsideATransaction() throws {
        for name in RandomLogTests.presets {
            let program = try preset(name)
            let store = FlakyStore()
            try store.register(StoredProgram(id: program.id, base: program.id, version: 1, source: "test"))
            let ledger = try ProgramLedger(program: program, store: store, checkpointInterval: 3)
            var replay = Replay(program: program)
            var generator = LogGenerator(seed: 8, program: program)
            var random = SeededRandom(seed: 9)
            for step in 0..<60 {
                let lines = generator.log(1 + Int(random.next() % 3)).map { Array($0.utf8) }
                if random.next() % 3 == 0 {
                    store.failCheckpoints = 1
                    let reloadFails = random.next() % 2 == 0
                    store.failLoads = reloadFails ? 1 : 0
                    // A checkpoint only happens at the interval: if this batch does not reach it, it commits.
                    do {
                        _ = try ledger.ingest(lines: lines)
                        store.failCheckpoints = 0
                        store.failLoads = 0
                        for line in lines { replay.apply(line: line) }
                    } catch {
                        XCTAssertTrue(error is FlakyStore.Failure, "\(error)")
                        store.failCheckpoints = 0
                        if !reloadFails {
                            XCTAssertTrue(ledger.engine.state == (try currentState(program, in: store)), "\(name) step \(step): after a failed write")
                        }
                        store.failLoads = 0
                    }
                    continue
                }
                let outcomes = try ledger.ingest(lines: lines)
                var expected: [Outcome] = []
                for line in lines { expected.append(replay.apply(line: line)!) }
                XCTAssertEqual(outcomes, expected, "\(name) step \(step)")
                XCTAssertTrue(ledger.engine.state == replay.engine.state, "\(name) step \(step)")
                if ledger.engine.state != replay.engine.state { return }
            }
            XCTAssertTrue(try currentState(program, in: store) == ledger.engine.state, name)
            XCTAssertEqual(try verify(program, store: store).problems, [], name)
        }
    }

    // MARK: - The log filter

    /// A commit that writes entries but no log row still raises the revision: `tail(after:)`
    /// reports the new revision with no records, and a ledger catching up moves to it.
    func testTailAfterACommitWithoutLogRows() throws {
        let program = try preset("cj-rewards")
        let folder = temporaryFolder()
        defer { removeFolder(folder) }
        for store in [try sqliteStore(folder, program), InMemoryStore()] as [any LedgerStore] {
            if store is InMemoryStore { try store.register(StoredProgram(id: program.id, base: program.id, version: 1, source: "test")) }
            let ledger = try ProgramLedger(program: program, store: store)
            _ = try ledger.ingest(lines: [Array(#"{"id":"e-1","type":"member.joined","member":"ivan","at":"2026-04-01T00:00:00Z","data":{}}"#.utf8)])
            let entry = Entry(seq: 900, member: "ivan", at: Instant(rfc3339: "2026-04-02T00:00:00Z")!, kind: .expiryNotice, points: 0, reason: "notice")
            let revision = try store.write(program: program.id) { tx in try tx.append(CommitBatch(inputs: [], entries: [entry]), revision: 1) }
            XCTAssertEqual(revision, 2)
            let tail = try store.tail(program: program.id, after: 1)
            XCTAssertEqual(tail.revision, 2)
            XCTAssertTrue(tail.records.isEmpty)
            XCTAssertEqual(try store.tail(program: program.id, after: 0).records.count, try store.log(program: program.id).count)
            _ = try ledger.ingest(lines: [Array(#"{"id":"e-2","type":"member.signed_in","member":"ivan","at":"2026-04-03T00:00:00Z","data":{}}"#.utf8)])
            XCTAssertEqual(ledger.revision, 3)
        }
    }

    // MARK: - Verify

    func sqlite(_ database: String, _ script: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", "import sqlite3, json\ndb = sqlite3.connect('\(database)')\n" + script + "\ndb.commit()\n"]
        try process.run()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
    }

    /// A checkpoint tampered with in the database, in a member, an order or the header, is
    /// reported by verify, whether or not log follows the checkpoint.
    func testVerifyReportsATamperedCheckpoint() throws {
        let program = try preset("jd-points")
        var generator = LogGenerator(seed: 4, program: program)
        let log = generator.log(120).map { Array($0.utf8) }
        let tampers = [
            // A member row that no log touches after the checkpoint.
            "row = db.execute(\"SELECT member, state FROM members ORDER BY member LIMIT 1\").fetchone(); s = json.loads(row[1]); s['lots'] = s.get('lots', [])[1:] if s.get('lots') else s['lots']; s['debt'] = s.get('debt', 0) + 3\ndb.execute(\"UPDATE members SET state=? WHERE member=?\", (json.dumps(s), row[0]))",
            // An order.
            "row = db.execute(\"SELECT order_id, state FROM orders ORDER BY order_id LIMIT 1\").fetchone(); s = json.loads(row[1]); s['refunded'] = s.get('refunded', 0) + 100\ndb.execute(\"UPDATE orders SET state=? WHERE order_id=?\", (json.dumps(s), row[0]))",
            // A member that does not exist.
            "db.execute(\"INSERT INTO members SELECT program, 'zed', generation, balance, pending, held, tier, replace(state, '\\\"id\\\":\\\"' || member || '\\\"', '\\\"id\\\":\\\"zed\\\"') FROM members ORDER BY member LIMIT 1\")",
            // The header.
            "row = db.execute(\"SELECT header FROM programs\").fetchone(); s = json.loads(row[0]); s['nextLot'] = s['nextLot'] + 5\ndb.execute(\"UPDATE programs SET header=?\", (json.dumps(s),))",
        ]
        for (index, tamper) in tampers.enumerated() {
            for logAfter in [false, true] {
                let folder = temporaryFolder()
                defer { removeFolder(folder) }
                let store = try sqliteStore(folder, program)
                let ledger = try ProgramLedger(program: program, store: store)
                _ = try ledger.ingest(lines: Array(log[..<100]))
                try ledger.checkpoint()
                if logAfter { _ = try ledger.ingest(lines: [Array(#"{"id":"late-1","type":"member.signed_in","member":"zoe","at":"2027-01-01T00:00:00Z","data":{}}"#.utf8)]) }
                XCTAssertEqual(try verify(program, store: store).problems, [])
                try sqlite(folder.appendingPathComponent("ledger.sqlite").path, tamper)
                let reopened = try SQLiteStore(path: folder.appendingPathComponent("ledger.sqlite").path)
                let report = try verify(program, store: reopened)
                XCTAssertFalse(report.problems.isEmpty, "tamper \(index), log after: \(logAfter)")
            }
        }
    }

    /// Entries changed or removed in the database are reported, whichever page of verify's reading
    /// they fall in: against the replay (the first difference, or the counts) and against the state.
    func testVerifyReportsTamperedEntriesOnAnyPage() throws {
        let program = try preset("jd-points")
        var generator = LogGenerator(seed: 6, program: program)
        let log = generator.log(300).map { Array($0.utf8) }
        for (tamper, says) in [("UPDATE entries SET points = points + 1 WHERE seq = (SELECT seq FROM entries WHERE kind = 'earn' ORDER BY seq LIMIT 1 OFFSET 20)", "first difference at seq"),
                               ("DELETE FROM entries WHERE seq = (SELECT seq FROM entries ORDER BY seq LIMIT 1 OFFSET 30)", "entries, the ledger has")] {
            let folder = temporaryFolder()
            defer { removeFolder(folder) }
            let store = try sqliteStore(folder, program)
            let ledger = try ProgramLedger(program: program, store: store)
            for start in stride(from: 0, to: log.count, by: 25) { _ = try ledger.ingest(lines: Array(log[start..<min(start + 25, log.count)])) }
            try ledger.checkpoint()
            XCTAssertEqual(try verify(program, store: store, entriesPerPage: 8).problems, [])
            try sqlite(folder.appendingPathComponent("ledger.sqlite").path, "db.execute(\"\(tamper)\")")
            let reopened = try SQLiteStore(path: folder.appendingPathComponent("ledger.sqlite").path)
            for page in [8, 10_000] {
                let problems = try verify(program, store: reopened, entriesPerPage: page).problems
                XCTAssertTrue(problems.contains { $0.contains(says) }, "\(tamper), pages of \(page): \(problems)")
                XCTAssertTrue(problems.contains { $0.contains("lots differ") }, "the rebuild disagrees with the state too: \(problems)")
            }
        }
    }

    // MARK: - Two processes

    func run(_ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = accrueBinary
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        let err = Pipe()
        process.standardError = err
        try process.run()
        return process
    }

    /// Two `accrue ingest` processes on one database file at once, one transaction per input so
    /// that they contend for the lock all the time, on a new file and on an existing one: both
    /// finish, every input is applied once, and verify agrees.
    func testTwoIngestProcessesInParallelOnOneFile() throws {
        let folder = temporaryFolder()
        defer { removeFolder(folder) }
        func file(_ prefix: String, _ count: Int) throws -> String {
            let path = folder.appendingPathComponent("\(prefix).jsonl").path
            let lines = (0..<count).map { index in
                #"{"id":"\#(prefix)-\#(index)","type":"member.signed_in","member":"m\#(index % 7)","at":"2026-0\#(1 + index % 9)-1\#(index % 10)T0\#(index % 10):00:00Z","data":{}}"#
            }
            try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        // Rounds 0 to 7 each start a new file; round 8 goes on with the file of round 7.
        for round in 0..<9 {
            let database = folder.appendingPathComponent("accrue-\(min(round, 7)).sqlite").path
            let a = try file("a\(round)", 60), b = try file("b\(round)", 60)
            let first = try run(["ingest", "--database", database, "--program", "jd-points", "--batch", "1", a])
            let second = try run(["ingest", "--database", database, "--program", "jd-points", "--batch", "1", b])
            first.waitUntilExit()
            second.waitUntilExit()
            let errors = [first, second].map { String(decoding: ($0.standardError as! Pipe).fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) }
            XCTAssertEqual(first.terminationStatus, 0, "round \(round): " + errors[0])
            XCTAssertEqual(second.terminationStatus, 0, "round \(round): " + errors[1])
        }
        for round in 0..<8 {
            let database = "accrue-\(round).sqlite"
            let store = try SQLiteStore(path: folder.appendingPathComponent(database).path)
            let program = try preset("jd-points")
            XCTAssertEqual(try store.inputs(program: program.id).count, round == 7 ? 240 : 120, database)
            XCTAssertEqual(try verify(program, store: store).problems, [], database)
        }
    }

    /// Two threads (two processes, in the CLI) open the same new file at once: both stores open.
    func testTwoStoresOpeningOneNewFileAtOnce() throws {
        let folder = temporaryFolder()
        defer { removeFolder(folder) }
        for round in 0..<20 {
            let path = folder.appendingPathComponent("new-\(round).sqlite").path
            final class Failures: @unchecked Sendable {
                let lock = NSLock()
                var errors: [String] = []
                func add(_ error: Error) { lock.lock(); errors.append("\(error)"); lock.unlock() }
            }
            let failures = Failures()
            DispatchQueue.concurrentPerform(iterations: 2) { _ in
                do { _ = try SQLiteStore(path: path) } catch { failures.add(error) }
            }
            XCTAssertEqual(failures.errors, [], "round \(round)")
        }
    }

    /// A checkpoint that names another program version than the log was in at its revision (what
    /// a ledger on an older file used to write) loads while no log follows it, but breaks the next
    /// load after more log: verify reports it at once. An unreadable checkpoint is reported as a
    /// problem, like any other damage, rather than stopping verify.
    func testVerifyReportsACheckpointUnderTheWrongVersionOrUnreadable() throws {
        let text = try String(contentsOfFile: repositoryRoot.appendingPathComponent("programs/jd-points.yaml").path, encoding: .utf8)
        let newer = signInsWorthSeven(text)
        let v1 = try ProgramFile.parse(text, file: "v1"), v2 = try ProgramFile.parse(newer, file: "v2")
        let versions = [1: v1, 2: v2]
        for tamper in ["db.execute(\"UPDATE programs SET checkpoint_version = 1\")",
                       "db.execute(\"UPDATE members SET state = 'not json'\")"] {
            let folder = temporaryFolder()
            defer { removeFolder(folder) }
            let store = try sqliteStore(folder, v1, source: text)
            _ = try ProgramLedger(program: v1, store: store, programAt: { versions[$0]! })
                .ingest(lines: [Array(#"{"id":"s-1","type":"member.signed_in","member":"amy","at":"2026-03-01T02:00:00Z","data":{}}"#.utf8)])
            try store.register(StoredProgram(id: "jd-points", base: "jd-points", version: 1, source: newer))
            let ledger = try ProgramLedger(program: v2, store: store, programAt: { versions[$0]! })
            _ = try ledger.ingest(lines: [Array(#"{"id":"s-2","type":"member.signed_in","member":"amy","at":"2026-03-02T02:00:00Z","data":{}}"#.utf8)])
            try ledger.checkpoint()
            XCTAssertEqual(try verify(v2, store: store, programAt: { versions[$0]! }).problems, [])
            try sqlite(folder.appendingPathComponent("ledger.sqlite").path, tamper)
            let reopened = try SQLiteStore(path: folder.appendingPathComponent("ledger.sqlite").path)
            var report: VerifyReport?
            XCTAssertNoThrow(report = try verify(v2, store: reopened, programAt: { versions[$0]! }), tamper)
            XCTAssertFalse(report?.problems.isEmpty ?? true, tamper)
        }
    }
}
