import AccrueCore
@testable import AccruePostgres
import AccrueStore
import Foundation
import XCTest

/// What only the PostgreSQL store has to show: several processes on one database, its schema
/// migrations, and failing fast and clearly on a bad address.
final class PostgresStoreTests: XCTestCase {
    /// Two stores (two `accrue serve` processes) write to one program at the same time through two
    /// ledgers: each commit waits for the program's row lock and catches up with the other's, so
    /// no input is lost or stored twice, and the log replays to the stored state.
    func testTwoProcessesWritingOneProgramAtOnceNeverLoseOrDoubleAnything() throws {
        let program = try preset("jd-points")
        let url = try TestPostgres.freshDatabase(cleanup: self)
        let setup = try PostgresStore(url: url)
        try setup.register(StoredProgram(id: program.id, base: program.id, version: 1, source: "test"))

        var generator = LogGenerator(seed: 11, program: program)
        let log = generator.log(400).map { Array($0.utf8) }
        let batches = stride(from: 0, to: log.count, by: 20).map { Array(log[$0..<min(log.count, $0 + 20)]) }
        let results = Locked<[Int: Result<[Outcome], any Error>]>([:])
        let started = DispatchGroup()
        started.enter()
        started.enter()
        DispatchQueue.concurrentPerform(iterations: 2) { writer in
            let result = Result<[Outcome], any Error> {
                // Each writer has its own store and connections, as a second process would; both
                // start ingesting once both are loaded.
                let ledger: ProgramLedger
                do {
                    ledger = try ProgramLedger(program: program, store: try PostgresStore(url: url), checkpointInterval: 97)
                    started.leave()
                } catch {
                    started.leave()
                    throw error
                }
                started.wait()
                var outcomes: [Outcome] = []
                for (index, batch) in batches.enumerated() where index % 2 == writer {
                    outcomes += try ledger.ingest(lines: batch)
                }
                return outcomes
            }
            results.update { $0[writer] = result }
        }
        let outcomes = try results.value.values.flatMap { try $0.get() }
        XCTAssertEqual(outcomes.count, log.count, "every line has an outcome")

        let store = try PostgresStore(url: url)
        let stored = try store.inputs(program: program.id)
        XCTAssertEqual(stored.count, Set(stored.map(\.id)).count, "no input is stored twice")
        let remembered = Set(outcomes.filter { $0.status != .duplicate && $0.code != .conflict }.compactMap(\.id))
        XCTAssertEqual(Set(stored.map(\.id)), remembered, "every input a writer took is stored")
        XCTAssertEqual(try store.tail(program: program.id, after: 0).revision, Int64(batches.count), "one revision per batch")

        // The stored log, in its order, replays to the stored state and entries.
        var replay = Replay(program: program)
        for (_, record) in stored { _ = replay.apply(line: Array(record.canonical.utf8)) }
        XCTAssertEqual(replay.outcomes, stored.map(\.record.outcome), "each stored outcome is the one its place in the log gives")
        XCTAssertTrue(try currentState(program, in: store) == replay.engine.state, "the stored state equals the replayed log's")
        XCTAssertTrue(try store.entries(program: program.id) == replay.entries, "the stored entries equal the replayed log's")
        XCTAssertEqual(try verify(program, store: store).problems, [])
        XCTAssertEqual(try store.summaryMismatches(program: program.id), [], "the report columns agree with the stored members")
    }

    /// Migrations run once: a second store on the database finds them done, and they are recorded.
    func testMigrationsAreRecordedAndRunOnce() throws {
        let url = try TestPostgres.freshDatabase(cleanup: self)
        let first = try PostgresStore(url: url)
        try first.register(StoredProgram(id: "p", base: "p", version: 1, source: "one"))
        let second = try PostgresStore(url: url)
        XCTAssertEqual(try second.program("p")?.source, "one", "reopening keeps the data")
        let versions = try second.pool.with { connection in
            try connection.run("SELECT version FROM schema_migrations ORDER BY version").rows.map { try $0.get("version", as: Int.self) }
        }
        XCTAssertEqual(versions, Schema.migrations.map(\.version))
        first.close()
        XCTAssertThrowsError(try first.programs(), "a closed store refuses to work")
        XCTAssertEqual(try second.programs().count, 1)
    }

    /// A database from before events were derived from entries: opening it drops the outbox table,
    /// and the events still waiting in it are derived again from their entries, with the same seq.
    func testAnOlderDatabasesOutboxGivesWayToItsEntries() throws {
        let url = try TestPostgres.freshDatabase(cleanup: self)
        let at = Instant(rfc3339: "2026-11-11T00:00:00Z")!
        let entries = [Entry(seq: 1, member: "ann", at: at, kind: .earn, points: 7, lot: 1, input: "i-1", rule: "r", reason: "7 points"),
                       Entry(seq: 2, member: "ann", at: at, kind: .adjust, points: -2, reason: "correction")]
        let first = try PostgresStore(url: url)
        try first.register(StoredProgram(id: "p", base: "jd-points", version: 1, source: "test"))
        _ = try first.write(program: "p") { tx in try tx.append(CommitBatch(inputs: [], entries: entries), revision: 0) }
        // As the previous schema left it: an outbox row beside each entry, the migration not run.
        try first.pool.with { connection in
            try connection.run("""
                CREATE TABLE events (program TEXT NOT NULL, seq BIGINT NOT NULL, type TEXT NOT NULL, member TEXT NOT NULL,
                                     at BIGINT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (program, seq))
                """)
            try connection.run("INSERT INTO events VALUES ('p', 1, 'points.earned', 'ann', 0, '{}'), ('p', 2, 'points.adjusted', 'ann', 0, '{}')")
            try connection.run("DELETE FROM schema_migrations WHERE version = 5")
        }
        first.close()
        let store = try PostgresStore(url: url)
        let left = try store.pool.with { try $0.run("SELECT to_regclass('events') IS NULL AS gone").rows.first?.get("gone", as: Bool.self) }
        XCTAssertEqual(left, true, "the outbox table is dropped")
        XCTAssertEqual(try store.events(program: "p", after: 0, limit: 10), LedgerEvent.derive(from: entries, inputTypes: [:]))
        XCTAssertEqual(try store.lastEventSeq(program: "p"), 2)
    }

    /// A read whose connection the server dropped is tried again on a new connection.
    func testALostConnectionIsReplaced() throws {
        let url = try TestPostgres.freshDatabase(cleanup: self)
        let store = try PostgresStore(url: url, connections: 1)
        try store.register(StoredProgram(id: "p", base: "p", version: 1, source: "one"))
        let database = String(URLComponents(string: url)!.path.dropFirst())
        try TestPostgres.maintenance(try TestPostgres.url(), "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '\(database)'")
        XCTAssertEqual(try store.program("p")?.source, "one")
        try store.register(StoredProgram(id: "p", base: "p", version: 1, source: "two"))
        XCTAssertEqual(try store.program("p")?.version, 2)
    }

    /// A bad URL is refused at once, and a server that is not there fails with its address in the
    /// message (not after a minute as an opaque error; how fast is the connect timeout's business).
    func testBadAddressesFailFastAndClearly() throws {
        _ = try TestPostgres.url()
        for bad in ["mysql://u@h/db", "postgres://h:5432/db", "postgres://u@h:5432", "postgres://u@h/db?sslmode=sometimes"] {
            XCTAssertThrowsError(try PostgresStore(url: bad), bad) { error in
                guard case .badURL = error as? PostgresStoreError else { return XCTFail("\(bad): \(error)") }
            }
        }
        XCTAssertThrowsError(try PostgresStore(url: "postgres://postgres@127.0.0.1:1/postgres")) { error in
            XCTAssertTrue("\(error)".contains("cannot connect to PostgreSQL at 127.0.0.1:1/postgres"), "\(error)")
        }
        var parts = URLComponents(string: try TestPostgres.url())!
        parts.path = "/accrue_no_such_database"
        XCTAssertThrowsError(try PostgresStore(url: parts.string!)) { error in
            XCTAssertTrue("\(error)".contains("accrue_no_such_database"), "the server's reason is kept: \(error)")
        }
    }
}

/// A value shared between threads behind a lock.
final class Locked<Value>: @unchecked Sendable {
    private var stored: Value
    private let lock = NSLock()

    init(_ value: Value) { stored = value }

    var value: Value { lock.withLock { stored } }

    func update(_ body: (inout Value) -> Void) { lock.withLock { body(&stored) } }
}
