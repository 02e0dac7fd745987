import AccrueBench
import AccrueCore
import AccruePrograms
import AccrueSQLite
import AccrueStore
import Foundation

/// One program of the run: its workload slot, the parsed program, its file text and its log.
struct ProgramRun {
    let workload: WorkloadProgram
    let program: Program
    let source: String
    let file: URL

    init(_ workload: WorkloadProgram, file: URL) throws {
        guard let path = Presets.path(of: workload.preset) else { throw BenchError("no preset \(workload.preset)") }
        let program = try ProgramFile.load(path: path)
        self.workload = workload
        self.program = program.id == workload.id ? program : program.instance(id: workload.id)
        source = try String(contentsOfFile: path, encoding: .utf8)
        self.file = file
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Calls `body` with each non-blank line of a JSON-lines file, read a megabyte at a time, so that
/// the log itself never sits whole in memory.
func forEachLine(in url: URL, _ body: ([UInt8]) throws -> Void) throws {
    let handle = try FileHandle(forReadingFrom: url)
    defer { try? handle.close() }
    var carry: [UInt8] = []
    while let data = try handle.read(upToCount: 1 << 20), !data.isEmpty {
        let bytes = [UInt8](data)
        var start = 0
        for index in bytes.indices where bytes[index] == 0x0A {
            var line = carry
            line.append(contentsOf: bytes[start..<index])
            carry.removeAll()
            if !line.isEmpty { try body(line) }
            start = index + 1
        }
        carry.append(contentsOf: bytes[start...])
    }
    if !carry.isEmpty { try body(carry) }
}

/// What a run of the engine over the logs gave: outcomes by status and reason, entries, members.
struct OutcomeTally: Equatable {
    var applied = 0, refused = 0, duplicate = 0
    var entries = 0, members = 0, lots = 0
    /// Outcomes that took a place in the ledger's sequence (every input naming a member, but duplicates).
    var sequenced = 0
    var refusals: [ReasonCode: Int] = [:]

    var inputs: Int { applied + refused + duplicate }

    mutating func add(_ outcome: Outcome) {
        if outcome.seq != nil { sequenced += 1 }
        switch outcome.status {
        case .applied: applied += 1
        case .refused:
            refused += 1
            if let code = outcome.code { refusals[code, default: 0] += 1 }
        case .duplicate: duplicate += 1
        }
    }

    mutating func add(state: ProgramState) {
        members += state.members.count
        lots += state.members.values.reduce(0) { $0 + $1.lots.count }
    }

    func percent(_ part: Int) -> String { String(format: "%.1f%%", 100 * Double(part) / Double(max(1, inputs))) }

    var summary: String {
        let reasons = refusals.sorted { $0.value > $1.value }.prefix(4).map { "\($0.key.rawValue) \(Format.count($0.value))" }.joined(separator: ", ")
        return "\(Format.count(inputs)) inputs: applied \(percent(applied)), refused \(percent(refused))"
            + (reasons.isEmpty ? "" : " (\(reasons))") + ", duplicate \(percent(duplicate)); "
            + "\(Format.count(entries)) entries, \(Format.count(members)) members, \(Format.count(lots)) lots"
    }
}

// MARK: - Accrue's steps

/// Replays each log in memory exactly as `accrue replay` does (decode, due work, decide), one core.
func replayLogs(_ runs: [ProgramRun]) throws -> [String: OutcomeTally] {
    var tallies: [String: OutcomeTally] = [:]
    for run in runs {
        var replay = Replay(program: run.program, keepsEntries: false)
        var tally = OutcomeTally()
        var latest: Instant?
        try forEachLine(in: run.file) { line in
            guard let outcome = replay.apply(line: line) else { return }
            tally.add(outcome)
            if let at = outcome.at, outcome.status != .duplicate { latest = max(latest ?? at, at) }
        }
        if let latest { replay.advance(to: latest) }
        tally.entries = replay.entryCount
        tally.add(state: replay.engine.state)
        tallies[run.program.id] = tally
    }
    return tallies
}

/// Ingests each log durably through `ProgramLedger.ingest`, `batch` lines per transaction, and
/// writes a checkpoint at the end, as `accrue ingest` does. Returns the open ledgers.
func ingestLogs(_ runs: [ProgramRun], into store: any LedgerStore, batch: Int) throws -> ([String: ProgramLedger], [String: OutcomeTally]) {
    var ledgers: [String: ProgramLedger] = [:]
    var tallies: [String: OutcomeTally] = [:]
    for run in runs {
        try store.register(StoredProgram(id: run.program.id, base: run.workload.preset, version: run.program.version, source: run.source))
        let ledger = try ProgramLedger(program: run.program, store: store)
        var tally = OutcomeTally()
        // Each batch is decided while the one before it commits, as `accrue ingest` does.
        try ledger.ingest { submit in
            var lines: [[UInt8]] = []
            lines.reserveCapacity(batch)
            try forEachLine(in: run.file) { line in
                lines.append(line)
                if lines.count == batch {
                    try submit(lines)
                    lines.removeAll(keepingCapacity: true)
                }
            }
            try submit(lines)
        } durable: { outcomes in
            for outcome in outcomes { tally.add(outcome) }
        }
        try ledger.checkpoint()
        tally.entries = Int(ledger.engine.state.nextSeq - 1) - tally.sequenced
        tally.add(state: ledger.engine.state)
        ledgers[run.program.id] = ledger
        tallies[run.program.id] = tally
    }
    return (ledgers, tallies)
}

/// Opens every program's ledger from the store: its checkpoint loaded, the log after it replayed.
func openLedgers(_ runs: [ProgramRun], store: any LedgerStore) throws -> [String: ProgramLedger] {
    var ledgers: [String: ProgramLedger] = [:]
    for run in runs { ledgers[run.program.id] = try ProgramLedger(program: run.program, store: store) }
    return ledgers
}

/// A state's size and sums: enough to tell a state opened from a store from the one that was
/// stored, without keeping both in memory.
struct StateDigest: Equatable, CustomStringConvertible {
    var members = 0, orders = 0, bookings = 0, lots = 0
    var balance: Int64 = 0, pending: Int64 = 0, held: Int64 = 0, nextSeq: Int64 = 0

    init(_ state: ProgramState) {
        members = state.members.count
        orders = state.orders.count
        bookings = state.bookings.count
        nextSeq = state.nextSeq
        for member in state.members.values {
            lots += member.lots.count
            balance += member.balance
            pending += member.pending
            held += member.held
        }
    }

    var records: Int { members + orders + bookings }
    var description: String {
        "\(members) members, \(orders) orders, \(bookings) bookings, \(lots) lots, balance \(balance), pending \(pending), held \(held), next seq \(nextSeq)"
    }
}

/// Checks every program's ledger with `verify`; returns inputs and entries checked, and problems.
func verifyLedgers(_ runs: [ProgramRun], store: SQLiteStore) throws -> (rows: Int, problems: [String]) {
    var rows = 0
    var problems: [String] = []
    for run in runs {
        let report = try verify(run.program, store: store)
        rows += report.inputs + report.entries
        problems += report.problems.map { "\(run.program.id): \($0)" }
    }
    return (rows, problems)
}

/// The size on disk of a SQLite database with its write-ahead log.
func databaseBytes(_ path: String) -> Int64 {
    fileBytes(path) + fileBytes(path + "-wal")
}

func fileBytes(_ path: String) -> Int64 {
    (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value ?? 0
}

/// Removes a SQLite database with its write-ahead log and shared-memory files.
func removeDatabase(_ path: String) {
    for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
}

/// The database's size, and its write-ahead log's file apart.
func databaseFiles(_ path: String) -> String {
    "\(Format.megabytes(databaseBytes(path))), of which the log's file \(Format.megabytes(fileBytes(path + "-wal")))"
}
