import Foundation
import AccrueCore
import AccrueStore
import PostgresNIO

/// The shared store: PostgreSQL through PostgresNIO, for several `accrue serve` processes on one
/// database. A write takes its program's row lock (`SELECT ... FOR UPDATE`), so writers of one
/// program take turns whichever process they run in; writers of different programs do not wait
/// for each other. Reads that take several statements run in one REPEATABLE READ snapshot.
///
/// The store's methods are synchronous: they wait on PostgresNIO's futures, so they must not be
/// called on the store's own event loop (nor block a Swift-concurrency thread for long).
public final class PostgresStore: LedgerStore, ServiceStore, @unchecked Sendable {
    let pool: ConnectionPool

    /// Connects to `url` (`postgres://user:password@host:port/database`, optionally
    /// `?sslmode=disable|prefer|require|verify-full`) and brings the schema up to date. Fails within
    /// about ten seconds when the server cannot be reached.
    public init(url: String, connections: Int = 8) throws {
        pool = ConnectionPool(url: try PostgresURL(url), limit: max(1, connections))
        do {
            try pool.with { try Schema.migrate($0) }
        } catch {
            pool.close()
            throw error
        }
    }

    /// Closes the connections and stops the store's event loop; later calls fail.
    public func close() {
        pool.close()
    }

    deinit {
        pool.close()
    }

    // MARK: Reading

    /// Runs `body` on a pooled connection; a read that failed because the connection was lost is
    /// tried once more on a new one.
    func read<T>(_ body: (Connection) throws -> T) throws -> T {
        try pool.with(retryIfLost: true, body)
    }

    /// Runs several reads in one consistent snapshot.
    func snapshot<T>(_ body: (Connection) throws -> T) throws -> T {
        try read { connection in
            try connection.transaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY") { try body(connection) }
        }
    }

    // MARK: Programs

    public func create(_ program: StoredProgram) throws -> Bool {
        var binds = Binds()
        binds.add(program.id)
        binds.add(program.version)
        binds.add(program.source)
        binds.add(program.base)
        let values = binds.values
        return try pool.with { connection in
            try connection.transaction {
                // Two creating at once: the second waits for the first's insert and inserts nothing.
                let inserted = try connection.run("""
                    INSERT INTO programs (id, version, source, base) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING RETURNING id
                    """, values).rows
                guard !inserted.isEmpty else { return false }
                try connection.run("INSERT INTO program_versions (id, version, source) VALUES ($1, $2, $3)", values)
                return true
            }
        }
    }

    public func register(_ program: StoredProgram) throws {
        /// The program's id, a version, its text and base, as $1 to $4.
        func binds(_ version: Int) -> PostgresBindings {
            var binds = Binds()
            binds.add(program.id)
            binds.add(version)
            binds.add(program.source)
            binds.add(program.base)
            return binds.values
        }
        try pool.with { connection in
            try connection.transaction {
                var version = program.version
                // A new program: when two register it at once, one waits for the other's insert
                // and then finds the row there.
                let inserted = try connection.run("""
                    INSERT INTO programs (id, version, source, base) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING RETURNING id
                    """, binds(version)).rows
                if inserted.isEmpty {
                    // A known one: its row lock orders registrations with each other and with writers.
                    guard let existing = try connection.run("SELECT source, version FROM programs WHERE id = $1 FOR UPDATE", binds(version)).rows.first,
                          try existing.get("source", as: String.self) != program.source else { return }
                    version = max(try existing.get("version", as: Int.self) + 1, program.version)
                    try connection.run("UPDATE programs SET version = $2, source = $3, base = $4 WHERE id = $1", binds(version))
                }
                try connection.run("INSERT INTO program_versions (id, version, source) VALUES ($1, $2, $3)", binds(version))
            }
        }
    }

    public func program(_ id: String) throws -> StoredProgram? {
        var binds = Binds()
        binds.add(id)
        return try read { try $0.run("SELECT id, base, version, source FROM programs WHERE id = $1", binds.values).rows.first.map(PostgresStore.storedProgram) }
    }

    public func program(_ id: String, version: Int) throws -> StoredProgram? {
        var binds = Binds()
        binds.add(id)
        binds.add(version)
        return try read {
            try $0.run("""
                SELECT v.id, p.base, v.version, v.source FROM program_versions v JOIN programs p ON p.id = v.id WHERE v.id = $1 AND v.version = $2
                """, binds.values).rows.first.map(PostgresStore.storedProgram)
        }
    }

    public func programs() throws -> [StoredProgram] {
        try read { try $0.run("SELECT id, base, version, source FROM programs ORDER BY id").rows.map(PostgresStore.storedProgram) }
    }

    static func storedProgram(_ row: PostgresRandomAccessRow) throws -> StoredProgram {
        StoredProgram(id: try row.get("id"), base: try row.get("base"), version: try row.get("version"), source: try row.get("source"))
    }

    // MARK: State and log

    public func load(program: String) throws -> Checkpoint? {
        var binds = Binds()
        binds.add(program)
        return try snapshot { connection -> Checkpoint? in
            guard let row = try connection.run("SELECT header, checkpoint_revision, checkpoint_version FROM programs WHERE id = $1",
                                               binds.values).rows.first else { return nil }
            let revision: Int64 = try row.get("checkpoint_revision")
            let version: Int? = try row.get("checkpoint_version")
            guard let header: String = try row.get("header") else {
                return Checkpoint(state: ProgramState(), revision: revision, programVersion: version)
            }
            var state = try StoredJSON.decode(ProgramState.self, header)
            // Each record's newest generation not after the header: a checkpoint cut short, or
            // still being written, left newer ones.
            var generation = Binds()
            generation.add(program)
            generation.add(revision)
            let members = try connection.run("""
                SELECT DISTINCT ON (member) state FROM members WHERE program = $1 AND generation <= $2 ORDER BY member, generation DESC
                """, generation.values).rows
            state.members.reserveCapacity(state.members.count + members.count)
            let memberTexts = try members.map { row -> String in try row.get("state") }
            for member in try StoredJSON.decodeAll(memberTexts, { try StoredJSON.decode(MemberState.self, $0) }) {
                state.members[member.id] = member
            }
            let orders = try connection.run("""
                SELECT DISTINCT ON (order_id) state FROM orders WHERE program = $1 AND generation <= $2 ORDER BY order_id, generation DESC
                """, generation.values).rows
            state.orders.reserveCapacity(state.orders.count + orders.count)
            let orderTexts = try orders.map { row -> String in try row.get("state") }
            for order in try StoredJSON.decodeAll(orderTexts, { try StoredJSON.decode(OrderRecord.self, $0) }) {
                state.orders[order.id] = order
            }
            for row in try connection.run("""
                SELECT DISTINCT ON (booking) state FROM bookings WHERE program = $1 AND generation <= $2 ORDER BY booking, generation DESC
                """, generation.values).rows {
                let booking = try StoredJSON.decode(Booking.self, try row.get("state"))
                state.bookings[booking.id] = booking
            }
            return Checkpoint(state: state, revision: revision, programVersion: version)
        }
    }

    public func revision(program: String) throws -> Int64 {
        var binds = Binds()
        binds.add(program)
        return try pool.with(retryIfLost: true) { connection in
            try connection.run("SELECT revision FROM programs WHERE id = $1", binds.values).rows.first?.get("revision", as: Int64.self) ?? 0
        }
    }

    public func tail(program: String, after revision: Int64, through last: Int64) throws -> LogTail {
        try snapshot { try PostgresStore.tail($0, program: program, after: revision, through: last) }
    }

    /// The log after `revision` and the current revision, read on one connection (in a snapshot or
    /// a write transaction, so the two agree).
    static func tail(_ connection: Connection, program: String, after revision: Int64, through last: Int64 = .max) throws -> LogTail {
        var binds = Binds()
        binds.add(program)
        let current = try connection.run("SELECT revision FROM programs WHERE id = $1", binds.values).rows.first?.get("revision", as: Int64.self) ?? 0
        // Nobody committed since: nothing to read (what a single server finds at every commit).
        guard current > revision else { return LogTail(records: [], revision: current) }
        binds.add(revision)
        binds.add(last)
        let rows = try connection.run("""
            SELECT revision, kind, id, canonical, outcome FROM inputs WHERE program = $1 AND revision > $2 AND revision <= $3 ORDER BY revision, ord
            """, binds.values).rows
        let records = try rows.map { row -> (revision: Int64, record: LogRecord) in
            let canonical: String = try row.get("canonical")
            let record: LogRecord
            switch try row.get("kind", as: String.self) {
            case "program":
                guard let version = Int(canonical) else { throw PostgresStoreError.corrupt("a program marker without a version") }
                record = .program(version: version)
            case "advance":
                guard let step = ClockStep(text: canonical) else { throw PostgresStoreError.corrupt("a clock step without a time") }
                record = .advance(step)
            default:
                record = .input(id: try row.get("id"), record: InputRecord(canonical: canonical, outcome: try StoredJSON.decode(Outcome.self, try row.get("outcome"))))
            }
            return (try row.get("revision"), record)
        }
        return LogTail(records: records, revision: current)
    }

    public func inputRecords(program: String, ids: [String]) throws -> [String: InputRecord] {
        try read { try PostgresStore.inputRecords($0, program: program, ids: ids) }
    }

    static func inputRecords(_ connection: Connection, program: String, ids: [String]) throws -> [String: InputRecord] {
        guard !ids.isEmpty else { return [:] }
        var binds = Binds()
        binds.add(program)
        binds.add(ids)
        var result: [String: InputRecord] = [:]
        for row in try connection.run("SELECT id, canonical, outcome FROM inputs WHERE program = $1 AND kind = 'input' AND id = ANY($2)",
                                      binds.values).rows {
            result[try row.get("id")] = try inputRecord(row)
        }
        return result
    }

    static func inputRecord(_ row: PostgresRandomAccessRow) throws -> InputRecord {
        InputRecord(canonical: try row.get("canonical"), outcome: try StoredJSON.decode(Outcome.self, try row.get("outcome")))
    }

    // MARK: Writing

    /// One transaction on one connection, holding the program's row lock from the start: no other
    /// writer, in this process or another, commits to the program until it ends.
    public func write<T>(program: String, _ body: (any LedgerWriteTransaction) throws -> T) throws -> T {
        try locked(program) { try body($0) }
    }

    /// A transaction holding the program's row lock, which every writer of the program takes.
    private func locked<T>(_ program: String, _ body: (Transaction) throws -> T) throws -> T {
        try pool.with { connection in
            try connection.transaction {
                var binds = Binds()
                binds.add(program)
                guard !(try connection.run("SELECT id FROM programs WHERE id = $1 FOR UPDATE", binds.values).rows.isEmpty) else {
                    throw StoreError.unknownProgram(program)
                }
                return try body(Transaction(connection: connection, program: program))
            }
        }
    }

    /// Records in transactions of at most this many bytes of state (`CheckpointStep`).
    public static let checkpointStepBytes = 256 * 1024

    /// A checkpoint taken earlier, written in steps that do not take the program's lock, so that
    /// commits go ahead meanwhile: the records under the checkpoint's generation, then the header
    /// moved in a short locked transaction, then the older generations dropped. False when a later
    /// checkpoint was stored first. As in SQLite, only the header's commit waits for the disk
    /// (the steps run with `synchronous_commit` off): the steps write records no load reads before
    /// the header moves, or drop records no load reads after, and the header's commit flushes the
    /// write-ahead log up to itself, with every step before it.
    public func writeCheckpoint(program: String, _ rows: CheckpointRows) throws -> Bool {
        try writeCheckpoint(program: program, rows, stepBytes: Self.checkpointStepBytes)
    }

    /// The same in steps of at most `stepBytes` of state (tests take small steps to have many).
    public func writeCheckpoint(program: String, _ rows: CheckpointRows, stepBytes: Int) throws -> Bool {
        try rows.writeInSteps(of: stepBytes, records: { step in
            try unsynced { connection -> Bool in
                var binds = Binds()
                binds.add(program)
                binds.add(rows.revision)
                // Not past the checkpoint stored: its records would be read as soon as written.
                guard try !connection.run("SELECT 1 FROM programs WHERE id = $1 AND checkpoint_revision <= $2", binds.values).rows.isEmpty else {
                    return false
                }
                try PostgresStore.writeRecords(connection, program: program, rows, step: step)
                return true
            }
        }, header: {
            try locked(program) { try $0.moveHeader(rows) }
        }, drop: { step in
            try unsynced { connection in try PostgresStore.dropOlderGenerations(connection, program: program, rows, step: step) }
        })
    }

    /// A transaction whose commit does not wait for the write-ahead log to reach the disk.
    private func unsynced<T>(_ body: (Connection) throws -> T) throws -> T {
        try pool.with { connection in
            try connection.transaction {
                try connection.run("SET LOCAL synchronous_commit = off")
                return try body(connection)
            }
        }
    }

    // MARK: Entries and history

    /// The columns an entry is read from, in `entry(_:)`'s terms.
    static let entryColumns = "seq, member, at, kind, points, lot, hold, input, rule, expires_at, available_at, tier, code, reason, currency"
    /// The same columns of a table named by an alias (`e.seq, e.member, ...`).
    static func entryColumns(_ alias: String) -> String {
        entryColumns.split(separator: ", ").map { alias + $0 }.joined(separator: ", ")
    }

    public func entries(program: String) throws -> [Entry] {
        var binds = Binds()
        binds.add(program)
        return try read { try $0.run("SELECT \(PostgresStore.entryColumns) FROM entries WHERE program = $1 ORDER BY seq", binds.values).rows.map(PostgresStore.entry) }
    }

    public func entries(program: String, after seq: Int64, limit: Int) throws -> [Entry] {
        var binds = Binds()
        binds.add(program)
        binds.add(seq)
        binds.add(limit)
        return try read {
            try $0.run("SELECT \(PostgresStore.entryColumns) FROM entries WHERE program = $1 AND seq > $2 ORDER BY seq LIMIT $3",
                       binds.values).rows.map(PostgresStore.entry)
        }
    }

    public func entries(program: String, member: String) throws -> [Entry] {
        var binds = Binds()
        binds.add(program)
        binds.add(member)
        return try read {
            try $0.run("SELECT \(PostgresStore.entryColumns) FROM entries WHERE program = $1 AND member = $2 ORDER BY seq",
                       binds.values).rows.map(PostgresStore.entry)
        }
    }

    public func entries(program: String, input: String) throws -> [Entry] {
        var binds = Binds()
        binds.add(program)
        binds.add(input)
        // Its entries follow its seq and come before the next input's (the next in the log's key
        // order that has a seq): one range of the entries' key, in one round trip.
        return try read {
            try $0.run("""
                SELECT \(PostgresStore.entryColumns("e.")) FROM inputs i
                JOIN entries e ON e.program = i.program AND e.seq > i.seq AND e.seq < COALESCE((
                    SELECT n.seq FROM inputs n WHERE n.program = i.program AND (n.revision, n.ord) > (i.revision, i.ord) AND n.seq IS NOT NULL
                    ORDER BY n.revision, n.ord LIMIT 1), 9223372036854775807)
                WHERE i.program = $1 AND i.id = $2 AND i.kind = 'input' AND e.input = $2
                ORDER BY e.seq
                """, binds.values).rows.map(PostgresStore.entry)
        }
    }

    static func entry(_ row: PostgresRandomAccessRow) throws -> Entry {
        Entry(seq: try row.get("seq"), member: try row.get("member"), at: Instant(milliseconds: try row.get("at")),
              kind: EntryKind(rawValue: try row.get("kind")) ?? .expiryNotice, points: try row.get("points"),
              lot: try row.get("lot"), hold: try row.get("hold"), input: try row.get("input"), rule: try row.get("rule"),
              expiresAt: (try row.get("expires_at", as: Int64?.self)).map(Instant.init(milliseconds:)),
              availableAt: (try row.get("available_at", as: Int64?.self)).map(Instant.init(milliseconds:)),
              tier: try row.get("tier"), code: try row.get("code"), reason: try row.get("reason"), currency: try row.get("currency"))
    }

    public func history(program: String, member: String, limit: Int, beforeSeq: Int64?) throws -> [HistoryLine] {
        var binds = Binds()
        binds.add(program)
        binds.add(member)
        binds.add(beforeSeq ?? Int64.max)
        binds.add(limit)
        return try snapshot { connection in
            // The newest inputs and the newest due work, each at most `limit`, plus the entries
            // that explain those inputs; the shared merge orders and cuts them.
            let inputRows = try connection.run("""
                SELECT id, canonical, outcome FROM inputs WHERE program = $1 AND kind = 'input' AND member = $2 AND seq < $3
                ORDER BY seq DESC LIMIT $4
                """, binds.values).rows
            let log = try inputRows.map { LogRecord.input(id: try $0.get("id"), record: try PostgresStore.inputRecord($0)) }
            var entries = try connection.run("""
                SELECT \(PostgresStore.entryColumns) FROM entries WHERE program = $1 AND member = $2 AND input IS NULL AND seq < $3
                ORDER BY seq DESC LIMIT $4
                """, binds.values).rows.map(PostgresStore.entry)
            // And the newest entries for this member made by others' inputs (a draw's reveal).
            entries += try connection.run("""
                SELECT \(PostgresStore.entryColumns("e.")) FROM entries e JOIN inputs i ON i.program = e.program AND i.id = e.input
                WHERE e.program = $1 AND e.member = $2 AND e.seq < $3 AND i.member IS DISTINCT FROM e.member ORDER BY e.seq DESC LIMIT $4
                """, binds.values).rows.map(PostgresStore.entry)
            var explaining = Binds()
            explaining.add(program)
            explaining.add(member)
            explaining.add(try inputRows.map { try $0.get("id", as: String.self) })
            entries += try connection.run("SELECT \(PostgresStore.entryColumns) FROM entries WHERE program = $1 AND member = $2 AND input = ANY($3)",
                                          explaining.values).rows.map(PostgresStore.entry)
            entries.sort { $0.seq < $1.seq }
            return HistoryLine.merge(log: log, entries: entries, member: member, limit: limit, beforeSeq: beforeSeq)
        }
    }

    /// Members whose report columns (balance, pending, held, tier) disagree with the state stored
    /// beside them: reports read the columns, so `verify` checks them.
    public func summaryMismatches(program: String) throws -> [String] {
        var binds = Binds()
        binds.add(program)
        return try read { connection in
            try connection.run("""
                SELECT DISTINCT ON (m.member) m.member, m.balance, m.pending, m.held, m.tier, m.state
                FROM members m JOIN programs p ON p.id = m.program
                WHERE m.program = $1 AND m.generation <= p.checkpoint_revision ORDER BY m.member, m.generation DESC
                """, binds.values).rows.compactMap { row -> String? in
                let member = try StoredJSON.decode(MemberState.self, try row.get("state"))
                let columns: (Int64, Int64, Int64, String?) = (try row.get("balance"), try row.get("pending"), try row.get("held"), try row.get("tier"))
                guard columns != (member.balance, member.pending, member.held, member.tier) else { return nil }
                return "\(program)/\(member.id): the report columns say balance \(columns.0), pending \(columns.1), held \(columns.2), tier \(columns.3 ?? "none"); the stored state says \(member.balance), \(member.pending), \(member.held), \(member.tier ?? "none")"
            }
        }
    }
}

extension PostgresStore {
    /// Creates an empty database on the server `serverURL` names and returns the URL of the new
    /// database (for tests and first set-up; the server's own database is used to run it).
    public static func createDatabase(_ name: String, on serverURL: String) throws -> String {
        guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }), !name.isEmpty, name.count <= 63 else {
            throw PostgresStoreError.badURL("a database name is 1 to 63 letters, digits and _")
        }
        try runMaintenance(serverURL, "CREATE DATABASE \(name)")
        guard var parts = URLComponents(string: serverURL) else { throw PostgresStoreError.badURL("not a URL") }
        parts.path = "/\(name)"
        return parts.string!
    }

    /// Drops a database made by `createDatabase`, closing its connections.
    public static func dropDatabase(_ name: String, on serverURL: String) throws {
        try runMaintenance(serverURL, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    }

    static func runMaintenance(_ server: String, _ sql: String) throws {
        let pool = ConnectionPool(url: try PostgresURL(server), limit: 1)
        defer { pool.close() }
        _ = try pool.with { try $0.run(sql) }
    }
}
