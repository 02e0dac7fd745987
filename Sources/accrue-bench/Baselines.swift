import AccrueCore
import AccrueSQLite
import Foundation
import GRDB

// The baselines: the least any engine must do for each step, measured on the same data in the
// same run, so that a ratio says how far Accrue is from the bare cost on this machine today.

/// Parses every line with `JSONReader.parse` and nothing else; returns how many were JSON.
func parseLogs(_ runs: [ProgramRun]) throws -> Int {
    var parsed = 0
    for run in runs {
        try forEachLine(in: run.file) { line in
            if (try? JSONReader.parse(line)) != nil { parsed += 1 }
        }
    }
    return parsed
}

/// The string value of `"key":"` in a line as the workload writes it (compact, no escapes in ids),
/// found by a byte scan: the raw baseline does no JSON decoding.
func stringField(_ key: String, in line: [UInt8]) -> String {
    let pattern = Array("\"\(key)\":\"".utf8)
    guard line.count > pattern.count else { return "" }
    var index = 0
    while index + pattern.count <= line.count {
        if line[index] == pattern[0], Array(line[index..<index + pattern.count]) == pattern {
            let start = index + pattern.count
            var end = start
            while end < line.count, line[end] != 0x22 { end += 1 }
            return String(decoding: line[start..<end], as: UTF8.self)
        }
        index += 1
    }
    return ""
}

/// The raw GRDB loop: per input one insert into an inputs-like table (unique by program and id),
/// one ledger entry and one balance upsert, `batch` inputs per transaction, WAL at the given
/// `synchronous` level. No rules, no state, no decoding. Returns the inputs written.
func rawIngest(_ runs: [ProgramRun], path: String, synchronous: String, batch: Int) throws -> Int {
    var configuration = Configuration()
    configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = \(synchronous)") }
    let pool = try DatabasePool(path: path, configuration: configuration)
    try pool.write { db in
        try db.execute(sql: """
            CREATE TABLE inputs (
                position INTEGER PRIMARY KEY AUTOINCREMENT,
                program TEXT NOT NULL, id TEXT NOT NULL, member TEXT NOT NULL, body TEXT NOT NULL,
                UNIQUE (program, id)
            );
            CREATE TABLE entries (
                program TEXT NOT NULL, seq INTEGER NOT NULL, member TEXT NOT NULL, points INTEGER NOT NULL,
                PRIMARY KEY (program, seq)
            ) WITHOUT ROWID;
            CREATE TABLE balances (
                program TEXT NOT NULL, member TEXT NOT NULL, balance INTEGER NOT NULL,
                PRIMARY KEY (program, member)
            ) WITHOUT ROWID;
            """)
    }
    var written = 0
    for run in runs {
        let program = run.program.id
        var seq: Int64 = 0
        var lines: [[UInt8]] = []
        func flush() throws {
            guard !lines.isEmpty else { return }
            try pool.write { db in
                let insertInput = try db.cachedStatement(sql: "INSERT OR IGNORE INTO inputs (program, id, member, body) VALUES (?, ?, ?, ?)")
                let insertEntry = try db.cachedStatement(sql: "INSERT INTO entries (program, seq, member, points) VALUES (?, ?, ?, ?)")
                let upsertBalance = try db.cachedStatement(sql: """
                    INSERT INTO balances (program, member, balance) VALUES (?, ?, ?)
                    ON CONFLICT (program, member) DO UPDATE SET balance = balance + excluded.balance
                    """)
                for line in lines {
                    let member = stringField("member", in: line)
                    seq += 1
                    try insertInput.execute(arguments: [program, stringField("id", in: line), member, String(decoding: line, as: UTF8.self)])
                    try insertEntry.execute(arguments: [program, seq, member, 1])
                    try upsertBalance.execute(arguments: [program, member, 1])
                }
            }
            written += lines.count
            lines.removeAll(keepingCapacity: true)
        }
        try forEachLine(in: run.file) { line in
            lines.append(line)
            if lines.count == batch { try flush() }
        }
        try flush()
    }
    return written
}

/// The Accrue database opened read-only, for the plain-SELECT baselines.
func readOnlyQueue(_ path: String) throws -> DatabaseQueue {
    var configuration = Configuration()
    configuration.readonly = true
    return try DatabaseQueue(path: path, configuration: configuration)
}

/// The baseline of opening the ledgers: the checkpoint records' texts read with plain GRDB
/// SELECTs (every generation, none decoded). Returns the records read.
func selectCheckpoints(path: String, programs: [String]) throws -> Int {
    try readOnlyQueue(path).read { db in
        var rows = 0
        var checksum = 0
        for program in programs {
            for table in ["members", "orders", "bookings"] {
                let states = try String.fetchCursor(db, sql: "SELECT state FROM \(table) WHERE program = ?", arguments: [program])
                while let state = try states.next() {
                    checksum &+= state.utf8.count
                    rows += 1
                }
            }
        }
        return checksum == Int.min ? 0 : rows
    }
}

/// Reads every input and entry row of the Accrue database with plain SELECTs and touches each
/// column `verify` needs; returns the rows read.
func selectLedger(path: String, programs: [String]) throws -> Int {
    try readOnlyQueue(path).read { db in
        var rows = 0
        var checksum = 0
        for program in programs {
            let inputs = try Row.fetchCursor(db, sql: "SELECT revision, kind, id, canonical, outcome FROM inputs WHERE program = ? ORDER BY position",
                                             arguments: [program])
            while let row = try inputs.next() {
                let canonical: String = row["canonical"]
                let outcome: String = row["outcome"]
                checksum &+= canonical.utf8.count &+ outcome.utf8.count &+ Int(row["revision"] as Int64)
                rows += 1
            }
            let entries = try Row.fetchCursor(db, sql: "SELECT * FROM entries WHERE program = ? ORDER BY seq", arguments: [program])
            while let row = try entries.next() {
                let reason: String = row["reason"]
                checksum &+= Int(row["points"] as Int64) &+ reason.utf8.count
                rows += 1
            }
        }
        return checksum == Int.min ? 0 : rows
    }
}

// MARK: - Scheduled work: the bare arithmetic over the same members and lots

/// Pending points that become available by `time`: how many lots, and their points.
func duePendingLots(_ state: ProgramState, by time: Instant) -> (lots: Int, points: Int64) {
    var lots = 0
    var points: Int64 = 0
    for member in state.members.values {
        for lot in member.lots where lot.pending && lot.availableAt <= time {
            lots += 1
            points += lot.remaining
        }
    }
    return (lots, points)
}

/// Available lots that expire by `time`: how many, and the points left in them.
func expiringLots(_ state: ProgramState, by time: Instant) -> (lots: Int, points: Int64) {
    var lots = 0
    var points: Int64 = 0
    for member in state.members.values {
        for lot in member.lots where !lot.pending {
            if let expiresAt = lot.expiresAt, expiresAt <= time {
                lots += 1
                points += lot.remaining
            }
        }
    }
    return (lots, points)
}

/// Members whose balance expires for inactivity by `time`, and their points.
func inactiveBalances(_ state: ProgramState, days: Int64, by time: Instant) -> (members: Int, points: Int64) {
    var members = 0
    var points: Int64 = 0
    for member in state.members.values {
        guard let last = member.lastActivity, last.adding(days: days) <= time else { continue }
        members += 1
        for lot in member.lots where !lot.pending { points += lot.remaining }
    }
    return (members, points)
}

/// The level each member's qualifying points over the `months` before `month` reach: how many
/// members would change level.
func countLevels(_ state: ProgramState, tiers: Tiers, month: Int64, months: Int64) -> Int {
    var changes = 0
    for member in state.members.values {
        var total: Int64 = 0
        for (index, points) in member.qualifying where index >= month - months && index < month { total += points }
        if tiers.levels[tiers.level(for: total)].id != member.tier { changes += 1 }
    }
    return changes
}

/// The tier each member's points of this year and last year give at the start of `year`: how
/// many members would change tier.
func yearStartTiers(_ state: ProgramState, tiers: Tiers, year: Int64) -> Int {
    var changes = 0
    for member in state.members.values {
        let target = max(tiers.level(for: member.qualifying[year - 1] ?? 0), tiers.level(for: member.qualifying[year] ?? 0))
        if tiers.levels[target].id != member.tier { changes += 1 }
    }
    return changes
}

/// Entries of a program after `seq`, read back from Accrue's database and written again by a
/// raw loop into a new database made by the store's migrations (the same table and indexes),
/// `steps` entries a transaction (the step sizes of the advance that made them), at WAL and
/// synchronous FULL, bound as the store binds them (`DirectWrite`). Only the write transactions
/// are timed: each step's rows are read before its transaction. With `memberIndex: false` the
/// index by member (which a member's history reads due work through) is dropped first, to show
/// what it costs. Returns the rows and seconds.
func rawEntryRows(from source: String, program: String, after seq: Int64, steps: [Int], path: String,
                  memberIndex: Bool) throws -> (rows: Int, seconds: Double) {
    let target = try rawStoreDatabase(path)
    if !memberIndex { try target.writeWithoutTransaction { db in try db.execute(sql: "DROP INDEX entries_by_member") } }
    let columns = rawEntryColumns
    var written = 0
    var seconds = 0.0
    try readOnlyQueue(source).read { db in
        let entries = try Row.fetchCursor(db, sql: "SELECT \(columns) FROM entries WHERE program = ? AND seq > ? ORDER BY seq", arguments: [program, seq])
        for size in steps where size > 0 {
            var rows: [[DatabaseValue]] = []
            rows.reserveCapacity(size)
            while rows.count < size, let row = try entries.next() { rows.append(Array(row.databaseValues)) }
            let start = ContinuousClock.now
            try target.write { db in try insertRaw(db, into: "entries", columns: columns, rows) }
            seconds += start.duration(to: .now).seconds
            written += rows.count
        }
    }
    return (written, seconds)
}

/// A new database made by the store's migrations (its tables and indexes), written at WAL and
/// synchronous FULL, its log copied back every 10,000 pages as the store's writer does.
func rawStoreDatabase(_ path: String) throws -> DatabasePool {
    var configuration = Configuration()
    configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
    let target = try DatabasePool(path: path, configuration: configuration)
    try SQLiteStore.migrator.migrate(target)
    try target.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_autocheckpoint = 10000") }
    return target
}

/// Every column of the store's entries, as the raw loops copy them.
let rawEntryColumns = "program, seq, member, at, kind, points, lot, hold, input, rule, expires_at, available_at, tier, code, reason, currency, own"

/// Inserts rows of values into `columns` of `table`, bound as the store binds its own rows (`DirectWrite`).
func insertRaw(_ db: Database, into table: String, columns: String, _ rows: [[DatabaseValue]]) throws {
    let marks = Array(repeating: "?", count: columns.split(separator: ",").count).joined(separator: ", ")
    var insert = try DirectWrite(db, sql: "INSERT INTO \(table) (\(columns)) VALUES (\(marks))")
    for row in rows {
        for value in row { try insert.bind(value) }
        try insert.run()
    }
}

// MARK: - Durable ingest: Accrue's own rows, written with no engine

/// Accrue's own log and entry rows, read back from its database after the ingest and written
/// again by a raw GRDB loop into a new database made by the store's migrations (the same tables
/// and indexes), in the ingest's batches of inputs (each with the entries up to its last input),
/// one transaction each at WAL and synchronous FULL, the values bound as the store binds them
/// (`DirectWrite`): what storing exactly those rows costs with no engine, no decoding and no
/// checkpoints. With `memberIndexes: false` the two indexes by
/// member (`inputs_by_member`, `entries_by_member`, which the member history reads) are dropped
/// first, to show what they cost. Only the write transactions are timed: the rows are read a few
/// batches ahead, outside them. Returns the inputs written and the seconds their writes took.
func rawOwnRows(from source: String, programs: [String], path: String, batch: Int, memberIndexes: Bool) throws -> (inputs: Int, seconds: Double) {
    let target = try rawStoreDatabase(path)
    if !memberIndexes {
        try target.writeWithoutTransaction { db in try db.execute(sql: "DROP INDEX inputs_by_member; DROP INDEX entries_by_member") }
    }
    let inputColumns = "program, kind, revision, id, member, seq, status, points, canonical, outcome, last_seq"
    let entryColumns = rawEntryColumns
    var written = 0
    var seconds = 0.0
    /// Batches read ahead of their writes: enough that reading is a small share of the loop.
    let ahead = 20
    try readOnlyQueue(source).read { db in
        for program in programs {
            let inputs = try Row.fetchCursor(db, sql: "SELECT \(inputColumns) FROM inputs WHERE program = ? AND kind = 'input' ORDER BY position",
                                             arguments: [program])
            let entries = try Row.fetchCursor(db, sql: "SELECT \(entryColumns) FROM entries WHERE program = ? ORDER BY seq", arguments: [program])
            var nextEntry = try entries.next().map { Array($0.databaseValues) }
            var finished = false
            /// The next batch of inputs and the entries up to its last one (all the rest after
            /// the last input); nil when the program's rows are all read.
            func nextBatch() throws -> (inputs: [[DatabaseValue]], entries: [[DatabaseValue]])? {
                guard !finished else { return nil }
                var rows: [[DatabaseValue]] = []
                var last: Int64 = 0
                while rows.count < batch, let row = try inputs.next() {
                    let values = Array(row.databaseValues)
                    if let seq = Int64.fromDatabaseValue(values[5]) { last = max(last, seq) }
                    rows.append(values)
                }
                if rows.count < batch { finished = true; last = .max }
                var made: [[DatabaseValue]] = []
                while let entry = nextEntry, let seq = Int64.fromDatabaseValue(entry[1]), seq <= last {
                    made.append(entry)
                    nextEntry = try entries.next().map { Array($0.databaseValues) }
                }
                return rows.isEmpty && made.isEmpty ? nil : (rows, made)
            }
            while true {
                var batches: [(inputs: [[DatabaseValue]], entries: [[DatabaseValue]])] = []
                while batches.count < ahead, let next = try nextBatch() { batches.append(next) }
                guard !batches.isEmpty else { break }
                for (rows, made) in batches {
                    let start = ContinuousClock.now
                    try target.write { db in
                        try insertRaw(db, into: "inputs", columns: inputColumns, rows)
                        try insertRaw(db, into: "entries", columns: entryColumns, made)
                    }
                    seconds += start.duration(to: .now).seconds
                    written += rows.count
                }
            }
        }
    }
    return (written, seconds)
}
