import AccrueCore
import AccruePrograms
import AccrueServer
import AccrueSQLite
import AccrueStore
import ArgumentParser
import Foundation

/// A database a command works on: a SQLite file, or PostgreSQL.
typealias Database = any LedgerStore & ServiceStore

/// Opens the database a command names: a `postgres://` URL, or a SQLite file (creating its folder
/// when needed).
func openStore(_ path: String) throws -> Database {
    if path.hasPrefix("postgres://") || path.hasPrefix("postgresql://") { return try openPostgres(path) }
    let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
    try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    do {
        return try SQLiteStore(path: path)
    } catch {
        warn("accrue: cannot open the database \(path): \(error)")
        throw ExitCode(2)
    }
}

/// The options naming a database and a program in it, shared by the commands that read one.
struct StoredProgramOptions: ParsableArguments {
    @Option(name: .long, help: "The SQLite database file, or a postgres:// URL.")
    var database: String

    @Option(name: .long, help: "The program's id in the database.")
    var program: String

    /// Opens the database and parses the program's stored file.
    func open() throws -> (Database, Program) {
        let store = try openStore(database)
        return (store, try storedProgram(program, in: store))
    }

    /// Opens the database and the program's ledger: its state now (checkpoint plus log).
    func openLedger() throws -> (Database, ProgramLedger) {
        let store = try openStore(database)
        // The program and its version from one read: another process may register a new version.
        let (program, version) = try storedProgramAndVersion(program, in: store)
        return (store, try accrue.openLedger(program, version: version, in: store))
    }
}

/// A program's ledger in a store, able to replay log written under earlier versions of its file.
/// `version` is the stored version `program` was read from.
func openLedger(_ program: Program, version: Int, in store: Database) throws -> ProgramLedger {
    try StoredPrograms.openLedger(program, version: version, store: store)
}

/// Loads a program by name or path and records it in the store (a new version when its file
/// changed). Returns the program and the stored version of its text.
func registerProgram(_ nameOrPath: String, as instance: String?, in store: Database) throws -> (Program, Int) {
    let (program, base, source) = try readProgram(nameOrPath, as: instance)
    // Another process may register another text of the same program between the two steps: the
    // version read back must be this text's, or this ledger would log its decisions under another.
    for _ in 0..<5 {
        try store.register(StoredProgram(id: program.id, base: base, version: program.version, source: source))
        if let stored = try store.program(program.id), stored.source == source { return (program, stored.version) }
    }
    warn("accrue: the program \(program.id) keeps changing in the database while it is being registered")
    throw ExitCode(2)
}

/// The program a database holds under `id`, parsed from the file text it stored.
func storedProgram(_ id: String, in store: Database) throws -> Program {
    try storedProgramAndVersion(id, in: store).0
}

/// The program a database holds under `id` and the version of the text it was parsed from.
func storedProgramAndVersion(_ id: String, in store: Database) throws -> (Program, Int) {
    guard let stored = try store.program(id) else {
        let known = (try? store.programs().map(\.id)) ?? []
        warn("accrue: the database has no program \(id)" + (known.isEmpty ? "" : " (it has: \(known.joined(separator: ", ")))"))
        throw ExitCode(2)
    }
    return (try parseStored(stored), stored.version)
}

/// A stored program parsed; a file that no longer reads is a clear message and exit status 2.
func parseStored(_ stored: StoredProgram) throws -> Program {
    do {
        return try StoredPrograms.parse(stored)
    } catch let error as ProgramFileError {
        warn(error.description)
        throw ExitCode(2)
    }
}

/// Streams a JSON-lines file into a ledger, `batch` inputs per transaction; blank lines are not
/// inputs. `onOutcome` sees each outcome once its batch is durable, `afterBatch` runs after each.
func ingestFile(_ path: String, into ledger: ProgramLedger, batch: Int, onOutcome: (Outcome) -> Void,
                afterBatch: () -> Void = {}) throws {
    var reader = try LineReader(path: path)
    // The next batch is decided while the one before it commits (`ProgramLedger.ingest(batches:)`).
    try ledger.ingest { submit in
        var chunk: [[UInt8]] = []
        chunk.reserveCapacity(batch)
        while let line = reader.next() {
            if isBlank(line[...]) { continue }
            chunk.append(line)
            if chunk.count == batch {
                try submit(chunk)
                chunk.removeAll(keepingCapacity: true)
            }
        }
        try submit(chunk)
    } durable: { outcomes in
        for outcome in outcomes { onOutcome(outcome) }
        afterBatch()
    }
}

func isBlank(_ line: ArraySlice<UInt8>) -> Bool {
    line.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }
}

/// Counts of what a run of inputs did.
struct Tally {
    var read = 0, applied = 0, refused = 0, duplicates = 0
    var earned: Int64 = 0, spent: Int64 = 0
    var refusals: [Outcome] = []
    var nothingEarned: [Outcome] = []

    mutating func add(_ outcome: Outcome) {
        read += 1
        switch outcome.status {
        case .applied:
            applied += 1
            if outcome.points > 0 { earned += outcome.points } else { spent -= outcome.points }
            if outcome.points == 0, outcome.code != nil, nothingEarned.count < 100 { nothingEarned.append(outcome) }
        case .refused:
            refused += 1
            if refusals.count < 100 { refusals.append(outcome) }
        case .duplicate:
            duplicates += 1
        }
    }

    var summary: String {
        "\(read) inputs: \(applied) applied, \(refused) refused, \(duplicates) duplicates; \(formatPoints(earned)) points added, \(formatPoints(spent)) taken"
    }
}

struct Ingest: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply inputs durably to a database: each batch is one transaction, answered only once it is on disk.")

    @Option(name: .long, help: "The SQLite database file (created when missing), or a postgres:// URL.")
    var database: String

    @Option(name: .long, help: "A preset name or the path of a program file.")
    var program: String

    @Option(name: .long, help: "Run the program under another id (a store's own program, such as store-123).")
    var `as`: String?

    @Option(name: .long, help: "Inputs per transaction.")
    var batch: Int = 1_000

    @Flag(name: .long, help: "Print every outcome as a JSON line.")
    var outcomes = false

    @Argument(help: "JSON-lines files of inputs, or - for standard input.")
    var files: [String]

    func validate() throws {
        guard (1...100_000).contains(batch) else { throw ValidationError("--batch must be between 1 and 100000") }
    }

    func run() throws {
        let store = try openStore(database)
        let (program, version) = try registerProgram(program, as: `as`, in: store)
        let ledger = try openLedger(program, version: version, in: store)
        var tally = Tally()
        for file in files {
            try ingestFile(file, into: ledger, batch: batch) { outcome in
                tally.add(outcome)
                if outcomes { printJSON(outcome.json(compactInstants: false)) }
            } afterBatch: {
                // Outcomes are answers: they leave the process as soon as their batch is durable.
                if outcomes { fflush(nil) }
            }
        }
        try ledger.checkpoint()
        let out = outcomes ? warn : { print($0) }
        out("\(program.id): \(tally.summary)")
        for outcome in tally.refusals.prefix(20) {
            out("  refused \(outcome.id ?? "(no id)"): \(outcome.reason ?? "")")
        }
        if tally.refused > 20 { out("  ... and \(tally.refused - 20) more refusals (--outcomes prints them all)") }
    }
}

struct Advance: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a program's due work (pending points, expiry, tier counts) up to a time, durably.")

    @OptionGroup var stored: StoredProgramOptions

    @Option(name: .long, help: "The time to run up to, such as 2027-03-10T00:00:00Z.")
    var to: String

    @Option(name: .long, help: ArgumentHelp("Scheduled items per transaction.",
                                            discussion: "Each step is committed on its own, so a year-end sweep over millions of lots never holds all its entries in memory or in one transaction; the steps make exactly the entries one advance would."))
    var stepItems = ProgramLedger.advanceStepItems

    func validate() throws {
        guard stepItems > 0 else { throw ValidationError("--step-items must be positive") }
    }

    func run() throws {
        let (_, ledger) = try stored.openLedger()
        let time = try parseTime(to)!
        var entries = 0, steps = 0
        while true {
            let step = try ledger.advance(ClockStep(time: time, items: stepItems))
            entries += step.entries.count
            steps += 1
            if step.done { break }
        }
        try ledger.checkpoint()
        print("\(ledger.program.id): advanced to \(time.rfc3339): \(entries) entries in \(steps) \(steps == 1 ? "step" : "steps")")
    }
}
