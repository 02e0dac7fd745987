import AccrueCore
import AccrueStore
import Foundation
import GRDB

/// The embedded store: SQLite through GRDB, in WAL mode with synchronous FULL, so that a commit
/// that returned survives a crash or a power cut.
public final class SQLiteStore: LedgerStore, @unchecked Sendable {
    public let path: String
    let pool: DatabasePool
    /// Copies the write-ahead log into the database file off the writers' path (`LogCopier`).
    private let copier: LogCopier

    /// Copies the whole write-ahead log into the database file and empties it, waiting up to five
    /// seconds for readers and writers to finish: after it, the database file alone holds
    /// everything committed. A server calls it when it stops (with the log copier's connection,
    /// the last connection to close is not always one that removes the log).
    public func copyWholeLog() throws {
        try copier.copyAll()
    }

    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    public convenience init(path: String) throws {
        try self.init(path: path, logPages: LogCopier.writerPages)
    }

    /// The same, with the writer's automatic checkpoint at `logPages` pages of write-ahead log and
    /// its file cut back to `keptBytes` when the log starts again (tests take less of both, to see
    /// the log started again sooner).
    init(path: String, logPages: Int, keptBytes: Int = LogCopier.keptBytes) throws {
        self.path = path
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        configuration.busyMode = .timeout(10)
        // Two processes may open a new file at once (two `accrue ingest`): while one turns on WAL
        // or runs the migrations, the other finds the file locked, or the tables made after it
        // read which migrations had run. It waits and opens again; by then the file is set up.
        let deadline = Date().addingTimeInterval(10)
        while true {
            do {
                let pool = try DatabasePool(path: path, configuration: configuration)
                try SQLiteStore.migrator.migrate(pool)
                let copier = try LogCopier(path: path)
                try pool.writeWithoutTransaction { db in
                    // The writer copies only what the copier has not: rarely, and little.
                    try db.execute(sql: "PRAGMA wal_autocheckpoint = \(logPages)")
                    try db.execute(sql: "PRAGMA journal_size_limit = \(keptBytes)")
                    db.add(transactionObserver: copier, extent: .databaseLifetime)
                }
                self.pool = pool
                self.copier = copier
                return
            } catch let error as DatabaseError where Date() < deadline && SQLiteStore.isOpeningRace(error) {
                Thread.sleep(forTimeInterval: Double.random(in: 0.01...0.05))
            }
        }
    }

    /// An error another connection setting up the same new file at the same time can cause.
    static func isOpeningRace(_ error: DatabaseError) -> Bool {
        switch error.resultCode {
        case .SQLITE_BUSY, .SQLITE_LOCKED: return true
        case .SQLITE_ERROR:
            // The other connection ran a migration between this one's check and its own run.
            return error.message.map { $0.contains("already exists") || $0.contains("duplicate column name") || $0.contains("no such table") } ?? false
        case .SQLITE_CONSTRAINT:
            // ... and recorded it first.
            return error.message?.contains("grdb_migrations") ?? false
        default: return false
        }
    }

    /// Numbered, append-only migrations.
    package static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("0001-ledger") { db in
            try db.execute(sql: """
                CREATE TABLE programs (
                    id TEXT PRIMARY KEY NOT NULL,
                    base TEXT NOT NULL,
                    version INTEGER NOT NULL,
                    source TEXT NOT NULL,
                    revision INTEGER NOT NULL DEFAULT 0,
                    log_version INTEGER,
                    checkpoint_revision INTEGER NOT NULL DEFAULT 0,
                    checkpoint_version INTEGER,
                    header TEXT
                );
                CREATE TABLE program_versions (
                    id TEXT NOT NULL,
                    version INTEGER NOT NULL,
                    source TEXT NOT NULL,
                    PRIMARY KEY (id, version)
                ) WITHOUT ROWID;
                CREATE TABLE members (
                    program TEXT NOT NULL,
                    member TEXT NOT NULL,
                    balance INTEGER NOT NULL,
                    pending INTEGER NOT NULL,
                    held INTEGER NOT NULL,
                    tier TEXT,
                    state TEXT NOT NULL,
                    PRIMARY KEY (program, member)
                ) WITHOUT ROWID;
                CREATE TABLE orders (
                    program TEXT NOT NULL,
                    order_id TEXT NOT NULL,
                    member TEXT NOT NULL,
                    state TEXT NOT NULL,
                    PRIMARY KEY (program, order_id)
                ) WITHOUT ROWID;
                CREATE TABLE bookings (
                    program TEXT NOT NULL,
                    booking TEXT NOT NULL,
                    member TEXT NOT NULL,
                    status TEXT NOT NULL,
                    state TEXT NOT NULL,
                    PRIMARY KEY (program, booking)
                ) WITHOUT ROWID;
                CREATE TABLE inputs (
                    position INTEGER PRIMARY KEY AUTOINCREMENT,
                    program TEXT NOT NULL,
                    kind TEXT NOT NULL DEFAULT 'input' CHECK (kind IN ('input', 'advance', 'program')),
                    revision INTEGER NOT NULL,
                    id TEXT NOT NULL,
                    member TEXT,
                    seq INTEGER,
                    status TEXT NOT NULL,
                    points INTEGER NOT NULL,
                    canonical TEXT NOT NULL,
                    outcome TEXT NOT NULL,
                    UNIQUE (program, id)
                );
                CREATE INDEX inputs_by_member ON inputs (program, member, seq);
                CREATE INDEX inputs_by_revision ON inputs (program, revision);
                CREATE TABLE entries (
                    program TEXT NOT NULL,
                    seq INTEGER NOT NULL,
                    member TEXT NOT NULL,
                    at INTEGER NOT NULL,
                    kind TEXT NOT NULL,
                    points INTEGER NOT NULL,
                    lot INTEGER,
                    hold TEXT,
                    input TEXT,
                    rule TEXT,
                    expires_at INTEGER,
                    available_at INTEGER,
                    tier TEXT,
                    code TEXT,
                    reason TEXT NOT NULL,
                    PRIMARY KEY (program, seq)
                ) WITHOUT ROWID;
                CREATE INDEX entries_by_member ON entries (program, member, seq);
                """)
        }
        migrator.registerMigration("0002-service") { db in
            try db.execute(sql: """
                ALTER TABLE programs ADD COLUMN retired INTEGER NOT NULL DEFAULT 0;
                CREATE INDEX entries_by_time ON entries (program, at);
                CREATE TABLE events (
                    program TEXT NOT NULL,
                    seq INTEGER NOT NULL,
                    type TEXT NOT NULL,
                    member TEXT NOT NULL,
                    at INTEGER NOT NULL,
                    data TEXT NOT NULL,
                    PRIMARY KEY (program, seq)
                ) WITHOUT ROWID;
                CREATE TABLE settings (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL) WITHOUT ROWID;
                CREATE TABLE api_keys (
                    id TEXT PRIMARY KEY NOT NULL,
                    program TEXT,
                    scopes TEXT NOT NULL,
                    name TEXT NOT NULL,
                    hash TEXT NOT NULL UNIQUE,
                    created_at INTEGER NOT NULL,
                    revoked_at INTEGER
                );
                CREATE TABLE webhooks (
                    id TEXT PRIMARY KEY NOT NULL,
                    program TEXT NOT NULL,
                    url TEXT NOT NULL,
                    secret TEXT NOT NULL,
                    events TEXT NOT NULL,
                    created_at INTEGER NOT NULL,
                    cursor INTEGER NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    next_attempt_at INTEGER,
                    last_error TEXT,
                    delivered INTEGER NOT NULL DEFAULT 0,
                    lease_owner TEXT,
                    lease_until INTEGER
                );
                CREATE INDEX webhooks_by_program ON webhooks (program);
                """)
        }
        migrator.registerMigration("0003-entry-currencies") { db in
            try db.execute(sql: "ALTER TABLE entries ADD COLUMN currency TEXT")
        }
        // Checkpoint records by generation (the revision of the checkpoint that wrote them), so a
        // checkpoint can write its records in short transactions before one moves the header: a
        // load takes each record's newest generation not after the header's revision.
        migrator.registerMigration("0004-checkpoint-generations") { db in
            try db.execute(sql: """
                CREATE TABLE members_by_generation (
                    program TEXT NOT NULL,
                    member TEXT NOT NULL,
                    generation INTEGER NOT NULL,
                    balance INTEGER NOT NULL,
                    pending INTEGER NOT NULL,
                    held INTEGER NOT NULL,
                    tier TEXT,
                    state TEXT NOT NULL,
                    PRIMARY KEY (program, member, generation)
                ) WITHOUT ROWID;
                INSERT INTO members_by_generation SELECT program, member, 0, balance, pending, held, tier, state FROM members;
                DROP TABLE members;
                ALTER TABLE members_by_generation RENAME TO members;
                CREATE TABLE orders_by_generation (
                    program TEXT NOT NULL,
                    order_id TEXT NOT NULL,
                    generation INTEGER NOT NULL,
                    member TEXT NOT NULL,
                    state TEXT NOT NULL,
                    PRIMARY KEY (program, order_id, generation)
                ) WITHOUT ROWID;
                INSERT INTO orders_by_generation SELECT program, order_id, 0, member, state FROM orders;
                DROP TABLE orders;
                ALTER TABLE orders_by_generation RENAME TO orders;
                CREATE TABLE bookings_by_generation (
                    program TEXT NOT NULL,
                    booking TEXT NOT NULL,
                    generation INTEGER NOT NULL,
                    member TEXT NOT NULL,
                    status TEXT NOT NULL,
                    state TEXT NOT NULL,
                    PRIMARY KEY (program, booking, generation)
                ) WITHOUT ROWID;
                INSERT INTO bookings_by_generation SELECT program, booking, 0, member, status, state FROM bookings;
                DROP TABLE bookings;
                ALTER TABLE bookings_by_generation RENAME TO bookings;
                """)
        }
        // Webhook events are derived from the entries at delivery: the outbox table, a second row
        // beside every entry, goes. Events not yet delivered are derived again from their entries,
        // with the same seq and id.
        migrator.registerMigration("0005-events-from-entries") { db in
            try db.execute(sql: "DROP TABLE events")
        }
        // The index by member no longer holds an input's entries for its own member (most entries):
        // a member's history finds those through the input, by the range of seqs its entries
        // took (`last_seq`), and the index keeps due work, others' inputs' entries and the rows
        // written before this migration (`own` NULL). Every entry in the index was a random
        // insert that rewrote a page of the log at each commit: at a million inputs, Accrue's own
        // rows wrote at 36.7k inputs/s with it and 70.6k/s with neither index by member.
        migrator.registerMigration("0006-member-index-without-own-entries") { db in
            try db.execute(sql: """
                ALTER TABLE inputs ADD COLUMN last_seq INTEGER;
                ALTER TABLE entries ADD COLUMN own INTEGER;
                DROP INDEX entries_by_member;
                CREATE INDEX entries_by_member ON entries (program, member, seq) WHERE own IS NOT 1;
                """)
        }
        return migrator
    }

    public func register(_ program: StoredProgram) throws {
        try pool.write { db in
            let existing = try Row.fetchOne(db, sql: "SELECT source, version FROM programs WHERE id = ?", arguments: [program.id])
            if let existing {
                let source: String = existing["source"]
                guard source != program.source else { return }
                let version: Int = existing["version"]
                let next = max(version + 1, program.version)
                try db.execute(sql: "UPDATE programs SET source = ?, base = ?, version = ? WHERE id = ?",
                               arguments: [program.source, program.base, next, program.id])
                try db.execute(sql: "INSERT INTO program_versions (id, version, source) VALUES (?, ?, ?)",
                               arguments: [program.id, next, program.source])
            } else {
                try db.execute(sql: "INSERT INTO programs (id, base, version, source) VALUES (?, ?, ?, ?)",
                               arguments: [program.id, program.base, program.version, program.source])
                try db.execute(sql: "INSERT INTO program_versions (id, version, source) VALUES (?, ?, ?)",
                               arguments: [program.id, program.version, program.source])
            }
        }
    }

    public func create(_ program: StoredProgram) throws -> Bool {
        // One writer at a time: the check and the insert are one transaction.
        try pool.write { db in
            guard try Row.fetchOne(db, sql: "SELECT 1 FROM programs WHERE id = ?", arguments: [program.id]) == nil else { return false }
            try db.execute(sql: "INSERT INTO programs (id, base, version, source) VALUES (?, ?, ?, ?)",
                           arguments: [program.id, program.base, program.version, program.source])
            try db.execute(sql: "INSERT INTO program_versions (id, version, source) VALUES (?, ?, ?)",
                           arguments: [program.id, program.version, program.source])
            return true
        }
    }

    public func program(_ id: String) throws -> StoredProgram? {
        try pool.read { db in
            try Row.fetchOne(db, sql: "SELECT id, base, version, source FROM programs WHERE id = ?", arguments: [id]).map(SQLiteStore.storedProgram)
        }
    }

    public func program(_ id: String, version: Int) throws -> StoredProgram? {
        try pool.read { db in
            try Row.fetchOne(db, sql: """
                SELECT v.id, p.base, v.version, v.source FROM program_versions v JOIN programs p ON p.id = v.id WHERE v.id = ? AND v.version = ?
                """, arguments: [id, version]).map(SQLiteStore.storedProgram)
        }
    }

    public func programs() throws -> [StoredProgram] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT id, base, version, source FROM programs ORDER BY id").map(SQLiteStore.storedProgram)
        }
    }

    static func storedProgram(_ row: Row) -> StoredProgram {
        StoredProgram(id: row["id"], base: row["base"], version: row["version"], source: row["source"])
    }

    public func load(program: String) throws -> Checkpoint? {
        try pool.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT header, checkpoint_revision, checkpoint_version FROM programs WHERE id = ?",
                                             arguments: [program]) else { return nil }
            let revision: Int64 = row["checkpoint_revision"]
            let version: Int? = row["checkpoint_version"]
            guard let header: String = row["header"] else { return Checkpoint(state: ProgramState(), revision: revision, programVersion: version) }
            var state = try StoredJSON.decode(ProgramState.self, header)
            // Each record's newest generation not after the checkpoint (generations in order: the
            // last one read for a key stands).
            let members = try String.fetchAll(db, sql: "SELECT state FROM members WHERE program = ? AND generation <= ? ORDER BY member, generation",
                                              arguments: [program, revision])
            state.members.reserveCapacity(state.members.count + members.count)
            for member in try StoredJSON.decodeAll(members, { try StoredJSON.decode(MemberState.self, $0) }) {
                state.members[member.id] = member
            }
            let orders = try String.fetchAll(db, sql: "SELECT state FROM orders WHERE program = ? AND generation <= ? ORDER BY order_id, generation",
                                             arguments: [program, revision])
            state.orders.reserveCapacity(state.orders.count + orders.count)
            for order in try StoredJSON.decodeAll(orders, { try StoredJSON.decode(OrderRecord.self, $0) }) {
                state.orders[order.id] = order
            }
            for text in try String.fetchAll(db, sql: "SELECT state FROM bookings WHERE program = ? AND generation <= ? ORDER BY booking, generation",
                                            arguments: [program, revision]) {
                let booking = try StoredJSON.decode(Booking.self, text)
                state.bookings[booking.id] = booking
            }
            return Checkpoint(state: state, revision: revision, programVersion: version)
        }
    }

    public func revision(program: String) throws -> Int64 {
        // Asked before every read the server answers: the statement is compiled once per connection.
        try pool.read { db in
            try Int64.fetchOne(db.cachedStatement(sql: "SELECT revision FROM programs WHERE id = ?"), arguments: [program]) ?? 0
        }
    }

    public func tail(program: String, after revision: Int64, through last: Int64) throws -> LogTail {
        try pool.read { db in try SQLiteStore.tail(db, program: program, after: revision, through: last) }
    }

    static func tail(_ db: Database, program: String, after revision: Int64, through last: Int64 = .max) throws -> LogTail {
        // Statements cached: every commit and every group of reads asks, and compiling them was
        // a tenth of a server's commit.
        let current = try Int64.fetchOne(db.cachedStatement(sql: "SELECT revision FROM programs WHERE id = ?"), arguments: [program]) ?? 0
        // Nobody committed since: nothing to read (what a single server finds at every commit).
        guard current > revision else { return LogTail(records: [], revision: current) }
        let rows = try Row.fetchAll(db.cachedStatement(sql: """
            SELECT revision, kind, id, canonical, outcome FROM inputs WHERE program = ? AND revision > ? AND revision <= ? ORDER BY position
            """), arguments: [program, revision, last])
        // Columns by position (revision, kind, id, canonical, outcome), as entries are read.
        let records = try rows.map { row -> (revision: Int64, record: LogRecord) in
            let kind: String = row[1]
            let record: LogRecord
            switch kind {
            case "program":
                guard let version = Int(row[3] as String) else {
                    throw DatabaseError(resultCode: .SQLITE_CORRUPT, message: "a program marker without a version")
                }
                record = .program(version: version)
            case "advance":
                guard let step = ClockStep(text: row[3]) else {
                    throw DatabaseError(resultCode: .SQLITE_CORRUPT, message: "a clock step without a time")
                }
                record = .advance(step)
            default:
                record = .input(id: row[2], record: InputRecord(canonical: row[3], outcome: try StoredJSON.decode(Outcome.self, row[4])))
            }
            return (row[0], record)
        }
        return LogTail(records: records, revision: current)
    }

    public func inputRecords(program: String, ids: [String]) throws -> [String: InputRecord] {
        try pool.read { db in try SQLiteStore.inputRecords(db, program: program, ids: ids) }
    }

    static func inputRecords(_ db: Database, program: String, ids: [String]) throws -> [String: InputRecord] {
        var result: [String: InputRecord] = [:]
        // SQLite allows a limited number of bound parameters: look up in slices.
        for start in stride(from: 0, to: ids.count, by: 500) {
            let slice = Array(ids[start..<min(ids.count, start + 500)])
            let marks = Array(repeating: "?", count: slice.count).joined(separator: ",")
            // Cached by the number of ids (a server's groups repeat the same few sizes).
            let rows = try Row.fetchAll(db.cachedStatement(sql: "SELECT id, canonical, outcome FROM inputs WHERE program = ? AND kind = 'input' AND id IN (\(marks))"),
                                        arguments: StatementArguments([program] + slice))
            for row in rows {
                result[row["id"]] = InputRecord(canonical: row["canonical"], outcome: try StoredJSON.decode(Outcome.self, row["outcome"]))
            }
        }
        return result
    }

    /// Takes SQLite's write lock at the start (BEGIN IMMEDIATE), so that no other process can commit
    /// between what this writer reads and what it writes.
    public func write<T>(program: String, _ body: (any LedgerWriteTransaction) throws -> T) throws -> T {
        try pool.writeWithoutTransaction { db in
            var result: T?
            try db.inTransaction(.immediate) {
                guard try Bool.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM programs WHERE id = ?"), arguments: [program]) == true else {
                    throw StoreError.unknownProgram(program)
                }
                result = try body(Transaction(db: db, program: program))
                return .commit
            }
            return result!
        }
    }

    /// One write transaction on one program.
    struct Transaction: LedgerWriteTransaction {
        let db: Database
        let program: String

        func tail(after revision: Int64) throws -> LogTail { try SQLiteStore.tail(db, program: program, after: revision) }

        func inputRecords(ids: [String]) throws -> [String: InputRecord] { try SQLiteStore.inputRecords(db, program: program, ids: ids) }

        func append(_ batch: CommitBatch, revision: Int64) throws -> Int64 {
            let next = revision + 1
            try db.cachedStatement(sql: "UPDATE programs SET revision = ? WHERE id = ? AND revision = ?").execute(arguments: [next, program, revision])
            guard db.changesCount == 1 else { throw StoreError.staleRevision(program: program, expected: revision) }
            if let version = batch.programVersion,
               try Int.fetchOne(db.cachedStatement(sql: "SELECT log_version FROM programs WHERE id = ?"), arguments: [program]) != version {
                // A change of program version is logged before the records decided under it.
                try db.execute(sql: """
                    INSERT INTO inputs (program, kind, revision, id, status, points, canonical, outcome)
                    VALUES (?, 'program', ?, ?, 'applied', 0, ?, '{}')
                    """, arguments: [program, next, "\u{1}program:\(next)", String(version)])
                try db.execute(sql: "UPDATE programs SET log_version = ? WHERE id = ?", arguments: [version, program])
            }
            // Each input's entries follow it in the ledger's order: the last one's seq is stored
            // with the input, and its entries for its own member stay out of the index by member.
            var members: [String: String] = [:]
            members.reserveCapacity(batch.inputs.count)
            for (id, record) in batch.inputs { members[id] = record.outcome.member }
            var lastSeq: [String: Int64] = [:]
            for entry in batch.entries { if let input = entry.input { lastSeq[input] = max(lastSeq[input] ?? entry.seq, entry.seq) } }
            var insertInput = try DirectWrite(db, sql: """
                INSERT INTO inputs (program, kind, revision, id, member, seq, status, points, canonical, outcome, last_seq)
                VALUES (?, 'input', ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for (id, record) in batch.inputs {
                try insertInput.bind(program)
                try insertInput.bind(next)
                try insertInput.bind(id)
                try insertInput.bind(record.outcome.member)
                try insertInput.bind(record.outcome.seq)
                try insertInput.bind(record.outcome.status.rawValue)
                try insertInput.bind(record.outcome.points)
                try insertInput.bind(record.canonical)
                try insertInput.bind(try StoredJSON.encode(record.outcome))
                try insertInput.bind(lastSeq[id] ?? record.outcome.seq)
                try insertInput.run()
            }
            if let step = batch.advancedTo {
                // A clock step is part of the log; its id starts with a control character, which
                // an input's id never has, so the two cannot clash.
                try db.execute(sql: """
                    INSERT INTO inputs (program, kind, revision, id, status, points, canonical, outcome)
                    VALUES (?, 'advance', ?, ?, 'applied', 0, ?, '{}')
                    """, arguments: [program, next, "\u{1}advance:\(next)", step.text])
            }
            var insertEntry = try DirectWrite(db, sql: """
                INSERT INTO entries (program, seq, member, at, kind, points, lot, hold, input, rule, expires_at, available_at, tier, code, reason, currency, own)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for entry in batch.entries {
                try insertEntry.bind(program)
                try insertEntry.bind(entry.seq)
                try insertEntry.bind(entry.member)
                try insertEntry.bind(entry.at.milliseconds)
                try insertEntry.bind(entry.kind.rawValue)
                try insertEntry.bind(entry.points)
                try insertEntry.bind(entry.lot)
                try insertEntry.bind(entry.hold)
                try insertEntry.bind(entry.input)
                try insertEntry.bind(entry.rule)
                try insertEntry.bind(entry.expiresAt?.milliseconds)
                try insertEntry.bind(entry.availableAt?.milliseconds)
                try insertEntry.bind(entry.tier)
                try insertEntry.bind(entry.code)
                try insertEntry.bind(entry.reason)
                try insertEntry.bind(entry.currency)
                let own = entry.input.flatMap { members[$0] } == entry.member
                try insertEntry.bind(own ? 1 : nil)
                try insertEntry.run()
            }
            return next
        }

        func checkpoint(_ rows: CheckpointRows) throws -> Bool {
            guard try SQLiteStore.checkpointMayMove(db, program: program, to: rows.revision) else { return false }
            // In one transaction, but encoded a step at a time.
            _ = try rows.forEachStep(bytes: SQLiteStore.checkpointStepBytes) { step in
                try SQLiteStore.writeRecords(db, program: program, rows, step: step)
                return true
            }
            try SQLiteStore.moveHeader(db, program: program, rows)
            try SQLiteStore.dropOlderGenerations(db, program: program, rows, step: nil)
            return true
        }
    }

    // MARK: Checkpoints by generation

    /// Whether a checkpoint of `revision` may be written: not beyond the log (that is an error), and
    /// not older than the checkpoint stored (then nothing is written).
    static func checkpointMayMove(_ db: Database, program: String, to revision: Int64) throws -> Bool {
        let row = try Row.fetchOne(db, sql: "SELECT revision, checkpoint_revision FROM programs WHERE id = ?", arguments: [program])
        guard let row, revision <= row["revision"] as Int64 else { throw StoreError.staleRevision(program: program, expected: revision) }
        return revision >= row["checkpoint_revision"] as Int64
    }

    /// Writes one step of a checkpoint's records under the generation of its revision. Loads
    /// ignore them until the header moves to that revision; a record of generation g is its state
    /// at revision g, so records of a checkpoint that never moved the header are never wrong, only
    /// unused.
    static func writeRecords(_ db: Database, program: String, _ rows: CheckpointRows, step: CheckpointStep) throws {
        let generation = rows.revision
        var upsertMember = try DirectWrite(db, sql: """
            INSERT INTO members (program, member, generation, balance, pending, held, tier, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (program, member, generation) DO UPDATE SET balance = excluded.balance, pending = excluded.pending,
                held = excluded.held, tier = excluded.tier, state = excluded.state
            """)
        for index in step.members {
            let member = rows.members[index]
            try upsertMember.bind(program)
            try upsertMember.bind(member.id)
            try upsertMember.bind(generation)
            try upsertMember.bind(member.balance)
            try upsertMember.bind(member.pending)
            try upsertMember.bind(member.held)
            try upsertMember.bind(member.tier)
            try upsertMember.bind(step.state(at: index))
            try upsertMember.run()
        }
        var upsertOrder = try DirectWrite(db, sql: """
            INSERT INTO orders (program, order_id, generation, member, state) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (program, order_id, generation) DO UPDATE SET state = excluded.state
            """)
        for index in step.orders {
            let order = rows.orders[index]
            try upsertOrder.bind(program)
            try upsertOrder.bind(order.id)
            try upsertOrder.bind(generation)
            try upsertOrder.bind(order.member)
            try upsertOrder.bind(step.state(at: index))
            try upsertOrder.run()
        }
        let upsertBooking = try db.cachedStatement(sql: """
            INSERT INTO bookings (program, booking, generation, member, status, state) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (program, booking, generation) DO UPDATE SET status = excluded.status, state = excluded.state
            """)
        for index in step.bookings {
            let booking = rows.bookings[index]
            try upsertBooking.execute(arguments: [program, booking.id, generation, booking.member, booking.status.rawValue, step.state(at: index)])
        }
    }

    static func moveHeader(_ db: Database, program: String, _ rows: CheckpointRows) throws {
        try db.execute(sql: "UPDATE programs SET header = ?, checkpoint_revision = ?, checkpoint_version = ? WHERE id = ?",
                       arguments: [rows.header, rows.revision, rows.checkpoint.programVersion, program])
    }

    /// Deletes the older generations of the records a checkpoint wrote: once the header is at (or
    /// past) its revision, no load reads them.
    static func dropOlderGenerations(_ db: Database, program: String, _ rows: CheckpointRows, step: CheckpointStep?) throws {
        let step = step ?? CheckpointStep(all: rows)
        let generation = rows.revision
        func drop(_ sql: String, ids: some Sequence<String>) throws {
            var statement = try DirectWrite(db, sql: sql)
            for id in ids {
                try statement.bind(program)
                try statement.bind(id)
                try statement.bind(generation)
                try statement.run()
            }
        }
        try drop("DELETE FROM members WHERE program = ? AND member = ? AND generation < ?", ids: step.members.lazy.map { rows.members[$0].id })
        try drop("DELETE FROM orders WHERE program = ? AND order_id = ? AND generation < ?", ids: step.orders.lazy.map { rows.orders[$0].id })
        try drop("DELETE FROM bookings WHERE program = ? AND booking = ? AND generation < ?", ids: step.bookings.lazy.map { rows.bookings[$0].id })
    }

    /// Records in transactions of at most this many bytes of state (and at most 64 members,
    /// 256 orders or bookings), between which commits of inputs go ahead.
    public static let checkpointStepBytes = 128 * 1024

    /// A checkpoint taken earlier, written in steps so that no transaction holds the writer for
    /// long: the records in transactions of `checkpointStepBytes` (`CheckpointStep`), then one moving the header,
    /// then the older generations dropped in steps. False when a later checkpoint was stored first.
    ///
    /// Every step's commit waits for the disk, like any other (synchronous FULL). The steps before
    /// the header write records no load reads until it moves, and those after it drop records no
    /// load reads any more, so they need not be durable by themselves; but a step left unsynced
    /// leaves its frames for the next commit to sync, and the steps of a checkpoint of thousands
    /// of members left tens of megabytes to the header's commit or to a commit of inputs (one
    /// sync of 100-270 ms, the requests of that commit waiting for it). Synced, each step syncs
    /// its own 128 KB.
    public func writeCheckpoint(program: String, _ rows: CheckpointRows) throws -> Bool {
        try writeCheckpoint(program: program, rows, stepBytes: Self.checkpointStepBytes)
    }

    /// The same in steps of at most `stepBytes` of state (tests take small steps to have many).
    public func writeCheckpoint(program: String, _ rows: CheckpointRows, stepBytes: Int) throws -> Bool {
        try rows.writeInSteps(of: stepBytes, records: { step in
            try pool.write { db -> Bool in
                guard try Self.checkpointMayMove(db, program: program, to: rows.revision) else { return false }
                try Self.writeRecords(db, program: program, rows, step: step)
                return true
            }
        }, header: {
            try pool.write { db -> Bool in
                guard try Self.checkpointMayMove(db, program: program, to: rows.revision) else { return false }
                try Self.moveHeader(db, program: program, rows)
                return true
            }
        }, drop: { step in
            try pool.write { db in try Self.dropOlderGenerations(db, program: program, rows, step: step) }
        })
    }

    /// Members whose report columns (balance, pending, held, tier) disagree with the state stored
    /// beside them: reports read the columns, so `verify` checks them.
    public func summaryMismatches(program: String) throws -> [String] {
        try pool.read { db in
            let header = try Int64.fetchOne(db, sql: "SELECT checkpoint_revision FROM programs WHERE id = ?", arguments: [program]) ?? 0
            // The rows a load reads: each member's newest generation not after the checkpoint.
            var newest: [String: Row] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT member, balance, pending, held, tier, state FROM members WHERE program = ? AND generation <= ? ORDER BY member, generation
                """, arguments: [program, header]) {
                newest[row["member"]] = row
            }
            return try newest.keys.sorted().map { newest[$0]! }.compactMap { row -> String? in
                let member = try StoredJSON.decode(MemberState.self, row["state"])
                let columns: (Int64, Int64, Int64, String?) = (row["balance"], row["pending"], row["held"], row["tier"])
                guard columns != (member.balance, member.pending, member.held, member.tier) else { return nil }
                return "\(program)/\(member.id): the report columns say balance \(columns.0), pending \(columns.1), held \(columns.2), tier \(columns.3 ?? "none"); the stored state says \(member.balance), \(member.pending), \(member.held), \(member.tier ?? "none")"
            }
        }
    }

    public func entries(program: String) throws -> [Entry] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT \(SQLiteStore.entryColumns()) FROM entries WHERE program = ? ORDER BY seq", arguments: [program]).map(SQLiteStore.entry)
        }
    }

    public func entries(program: String, after seq: Int64, limit: Int) throws -> [Entry] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT \(SQLiteStore.entryColumns()) FROM entries WHERE program = ? AND seq > ? ORDER BY seq LIMIT ?",
                             arguments: [program, seq, limit]).map(SQLiteStore.entry)
        }
    }

    public func entries(program: String, member: String) throws -> [Entry] {
        try pool.read { db in
            // What the index by member holds, and the member's inputs' own entries.
            try Row.fetchAll(db, sql: """
                SELECT \(SQLiteStore.entryColumns()) FROM entries WHERE program = ? AND member = ? AND own IS NOT 1
                UNION ALL \(SQLiteStore.ownEntries(of: SQLiteStore.memberInputs))
                ORDER BY 1
                """, arguments: [program, member, program, member]).map(SQLiteStore.entry)
        }
    }

    public func entries(program: String, input: String) throws -> [Entry] {
        try pool.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT position, seq, last_seq FROM inputs WHERE program = ? AND id = ? AND kind = 'input'",
                                             arguments: [program, input]),
                  let seq = row["seq"] as Int64? else { return [] }
            // Up to the last entry it made, stored with it; for an input stored before migration
            // 0006, up to the next of the program's inputs in the log's order.
            let end: Int64
            if let last = row["last_seq"] as Int64? {
                end = last
            } else {
                let next = try Int64.fetchOne(db, sql: """
                    SELECT seq FROM inputs WHERE position > ? AND program = ? AND seq IS NOT NULL ORDER BY position LIMIT 1
                    """, arguments: [row["position"] as Int64, program])
                end = next.map { $0 - 1 } ?? Int64.max
            }
            return try Row.fetchAll(db, sql: """
                SELECT \(SQLiteStore.entryColumns()) FROM entries WHERE program = ? AND seq > ? AND seq <= ? AND input = ? ORDER BY seq
                """, arguments: [program, seq, end, input]).map(SQLiteStore.entry)
        }
    }

    /// A member's inputs as `ownEntries(of:)` takes them (arguments: program, member).
    package static let memberInputs = "SELECT program, id, seq, last_seq FROM inputs WHERE program = ? AND kind = 'input' AND member = ?"

    /// The entries that the inputs `inputs` selects (program, id, seq, last_seq) made for their own
    /// member: each input's entries follow it, up to its `last_seq`, and stay out of the index by
    /// member (`own` = 1). Inputs stored before migration 0006 (`last_seq` NULL) give none here:
    /// their entries are all in the index.
    package static func ownEntries(of inputs: String) -> String {
        """
        SELECT \(entryColumns("e.")) FROM (\(inputs)) i
        JOIN entries e ON e.program = i.program AND e.seq > i.seq AND e.seq <= i.last_seq
        WHERE e.own = 1 AND e.input = i.id
        """
    }

    /// The entries' columns, in the order `entry(_:)` reads them by position: GRDB finds a column
    /// by name without regard to case, lowercasing the name on every read (a tenth of verify's time).
    static func entryColumns(_ prefix: String = "") -> String {
        ["seq", "member", "at", "kind", "points", "lot", "hold", "input", "rule", "expires_at", "available_at", "tier", "code", "reason", "currency"]
            .map { prefix + $0 }.joined(separator: ", ")
    }

    /// An entry from a row of `entryColumns()`.
    static func entry(_ row: Row) -> Entry {
        Entry(seq: row[0], member: row[1], at: Instant(milliseconds: row[2]), kind: EntryKind(rawValue: row[3]) ?? .expiryNotice,
              points: row[4], lot: row[5], hold: row[6], input: row[7], rule: row[8],
              expiresAt: (row[9] as Int64?).map(Instant.init(milliseconds:)),
              availableAt: (row[10] as Int64?).map(Instant.init(milliseconds:)),
              tier: row[11], code: row[12], reason: row[13], currency: row[14])
    }

    public func history(program: String, member: String, limit: Int, beforeSeq: Int64?) throws -> [HistoryLine] {
        let before = beforeSeq ?? Int64.max
        return try pool.read { db in
            // The newest inputs and the newest due work, each at most `limit`, plus the entries
            // that explain those inputs; the shared merge orders and cuts them.
            let inputRows = try Row.fetchAll(db, sql: """
                SELECT id, canonical, outcome, last_seq FROM inputs WHERE program = ? AND kind = 'input' AND member = ? AND seq < ?
                ORDER BY seq DESC LIMIT ?
                """, arguments: [program, member, before, limit])
            let log = try inputRows.map { row in
                LogRecord.input(id: row["id"], record: InputRecord(canonical: row["canonical"], outcome: try StoredJSON.decode(Outcome.self, row["outcome"])))
            }
            // (`own IS NOT 1` names the index by member's own condition, so that it is used.)
            var entries = try Row.fetchAll(db, sql: """
                SELECT \(SQLiteStore.entryColumns()) FROM entries WHERE program = ? AND member = ? AND own IS NOT 1 AND input IS NULL AND seq < ?
                ORDER BY seq DESC LIMIT ?
                """, arguments: [program, member, before, limit]).map(SQLiteStore.entry)
            // And the newest entries for this member made by others' inputs (a draw's reveal).
            entries += try Row.fetchAll(db, sql: """
                SELECT \(SQLiteStore.entryColumns("e.")) FROM entries e JOIN inputs i ON i.program = e.program AND i.id = e.input
                WHERE e.program = ? AND e.member = ? AND e.own IS NOT 1 AND e.seq < ? AND i.member IS NOT e.member ORDER BY e.seq DESC LIMIT ?
                """, arguments: [program, member, before, limit]).map(SQLiteStore.entry)
            // The same inputs' own entries, in one query; for inputs stored before the store kept
            // `last_seq`, through the index by member.
            entries += try Row.fetchAll(db, sql: SQLiteStore.ownEntries(of: SQLiteStore.memberInputs + " AND seq < ? ORDER BY seq DESC LIMIT ?"),
                                        arguments: [program, member, before, limit]).map(SQLiteStore.entry)
            let ids = inputRows.filter { ($0["last_seq"] as Int64?) == nil }.map { $0["id"] as String }
            for start in stride(from: 0, to: ids.count, by: 500) {
                let slice = Array(ids[start..<min(ids.count, start + 500)])
                let marks = Array(repeating: "?", count: slice.count).joined(separator: ",")
                entries += try Row.fetchAll(db, sql: "SELECT \(SQLiteStore.entryColumns()) FROM entries WHERE program = ? AND member = ? AND own IS NOT 1 AND input IN (\(marks)) ORDER BY seq",
                                            arguments: StatementArguments([program, member] + slice)).map(SQLiteStore.entry)
            }
            entries.sort { $0.seq < $1.seq }
            return HistoryLine.merge(log: log, entries: entries, member: member, limit: limit, beforeSeq: beforeSeq)
        }
    }
}
