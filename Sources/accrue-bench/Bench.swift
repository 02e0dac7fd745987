import AccrueBench
import AccrueCore
import AccrueSQLite
import AccrueStore
import ArgumentParser
import Foundation

/// `accrue-bench`: generates a workload over the four presets and measures each step of Accrue
/// beside a baseline taken in the same run on the same machine (docs/PERFORMANCE.md).
@main
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "accrue-bench",
        abstract: "Measure replay, durable ingest, scheduled work and verify beside their baselines.")

    @Option(help: "Members in each program's population (activity is Zipf-skewed over them).")
    var members = 100_000

    @Option(help: "Inputs over the four programs together.")
    var inputs = 1_000_000

    @Option(help: "The workload's seed: the same seed gives the same logs.")
    var seed: UInt64 = 1

    @Option(help: "Inputs per transaction when ingesting (the accrue ingest default).")
    var batch = 1_000

    @Option(help: "Also write the results as Markdown to this file.")
    var markdown: String?

    @Option(help: "Work in this folder (logs, databases) instead of a new temporary one.")
    var folder: String?

    @Flag(help: "Keep the logs and databases afterwards (without it, only what the run made is removed).")
    var keep = false

    @Option(help: ArgumentHelp("Measure only the scheduled work at scale: jd-points orders making this many lots over --members members (and one aliexpress-levels order per member) ingested into SQLite, then the pending release, the expiry sweep with notices and the monthly level count.",
                               discussion: "accrue-bench --members 1000000 --lots 10000000 runs the sweep over 10M lots and the count over 1M members that docs/PERFORMANCE.md reports."))
    var lots: Int?

    @Option(help: ArgumentHelp("Also ingest into PostgreSQL beside pgbench, on this server (postgres://user@host:port/database); two throwaway databases are created on it and dropped.",
                               discussion: "scripts/bench starts a throwaway server and passes it here."))
    var postgres: String?

    func validate() throws {
        guard members > 0, inputs > 0, batch > 0 else { throw ValidationError("--members, --inputs and --batch must be positive") }
        if let lots {
            guard lots > 0 else { throw ValidationError("--lots must be positive") }
            guard postgres == nil else { throw ValidationError("--lots measures SQLite only; leave out --postgres") }
        }
    }

    func run() throws {
        let work = URL(fileURLWithPath: folder ?? NSTemporaryDirectory() + "accrue-bench-\(ProcessInfo.processInfo.processIdentifier)")
        // What the folder held before the run is never removed, nor the Markdown file: only what
        // the run made (a folder given with --folder may be any folder, even the current one).
        let before = (try? FileManager.default.contentsOfDirectory(atPath: work.path)).map(Set.init)
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer {
            if !keep {
                let report = markdown.map { URL(fileURLWithPath: $0).standardizedFileURL }
                let names = (try? FileManager.default.contentsOfDirectory(atPath: work.path)) ?? []
                for name in names where !(before?.contains(name) ?? false) && work.appendingPathComponent(name).standardizedFileURL != report {
                    removeFolder(work.appendingPathComponent(name))
                }
                // A folder the run created goes too, once nothing is left in it.
                if before == nil, (try? FileManager.default.contentsOfDirectory(atPath: work.path))?.isEmpty ?? false { removeFolder(work) }
            }
        }
        var target: PostgresTarget?
        if let postgres {
            guard let tools = PostgresTarget.findTools() else { throw ValidationError("--postgres needs pgbench and psql (Debian: apt-get install postgresql)") }
            target = PostgresTarget(server: postgres, tools: tools)
        }
        var report = Report(options: WorkloadOptions(members: members, inputs: inputs, seed: seed), batch: batch, postgres: target, lots: lots)
        say(report.header)
        if let lots {
            try report.runAtScale(in: work, members: members, lots: lots, seed: seed)
        } else {
            try report.run(in: work)
        }
        say("")
        say(report.table.text)
        if let notes = report.footnotes { say(notes) }
        if let markdown {
            try report.markdown.write(toFile: markdown, atomically: true, encoding: .utf8)
            say("\nwritten to \(markdown)")
        }
        if !report.problems.isEmpty {
            say("\nPROBLEMS:\n" + report.problems.joined(separator: "\n"))
            throw ExitCode(1)
        }
    }
}

/// One run of every step, its table and what it noticed on the way.
struct Report {
    let options: WorkloadOptions
    let batch: Int
    let postgres: PostgresTarget?
    var table = ResultTable()
    var details: [String] = []
    var problems: [String] = []
    var peakWasReset = true
    let started = Date()
    /// The run's folder (logs, databases).
    var folder = URL(fileURLWithPath: NSTemporaryDirectory())
    /// The machine and how busy it was when the run started.
    let machine = Report.describeMachine()

    /// The lots of a run of the scheduled work at scale (`--lots`), or nil for the full run.
    let lots: Int?

    init(options: WorkloadOptions, batch: Int, postgres: PostgresTarget?, lots: Int? = nil) {
        self.options = options
        self.batch = batch
        self.postgres = postgres
        self.lots = lots
    }

    static func describeMachine() -> String {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model = cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }?.split(separator: ":").last?
            .trimmingCharacters(in: .whitespaces) ?? "unknown CPU"
        let load = ((try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? "?").split(separator: " ").prefix(3).joined(separator: " ")
        let memory = ProcessInfo.processInfo.physicalMemory / 1_073_741_824
        return "\(model), \(ProcessInfo.processInfo.processorCount) cores, \(memory) GB; load average at start \(load)"
    }

    var header: String {
        """
        accrue-bench: \(lots.map { "scheduled work at scale, \(Format.count($0)) lots over \(Format.count(options.members)) members" } ?? "\(Format.count(options.inputs)) inputs, \(Format.count(options.members)) members per program"), seed \(options.seed), batch \(batch)
        \(ISO8601DateFormatter().string(from: started)) on \(machine)
        """
    }

    /// Says what happened, now and in the Markdown.
    mutating func note(_ line: String) {
        say(line)
        details.append(line)
    }

    mutating func row(_ step: String, accrue: String, baseline: String, ratio: String, _ costs: Cost...) {
        if costs.contains(where: { !$0.peakWasReset }) { peakWasReset = false }
        table.rows.append(ResultRow(step: step, accrue: accrue, baseline: baseline, ratio: ratio,
                                    peak: costs.map(\.peakText).joined(separator: " / ")))
    }

    mutating func run(in work: URL) throws {
        folder = work
        let (files, generation) = try measure { try Workload.write(options: options, to: work.appendingPathComponent("logs")) }
        let runs = try zip(Workload.programs, files).map { try ProgramRun($0, file: $1) }
        let logBytes = files.reduce(Int64(0)) { $0 + databaseBytes($1.path) }
        note("generated \(Format.megabytes(logBytes)) of logs in \(Format.seconds(generation.seconds)) (\(work.path)/logs)")

        // Replay in memory, beside parsing the same lines.
        let (replayed, replayCost) = try measure { try replayLogs(runs) }
        let (parsed, parseCost) = try measure { try parseLogs(runs) }
        let total = replayed.values.reduce(0) { $0 + $1.inputs }
        for run in runs { note("  \(run.program.id): \(replayed[run.program.id]!.summary)") }
        row("replay in memory, 1 core (inputs/s)", accrue: Format.rate(total, replayCost.seconds),
            baseline: Format.rate(parsed, parseCost.seconds) + " (JSON parse)",
            ratio: Format.share(Double(total) / replayCost.seconds, of: Double(parsed) / parseCost.seconds), replayCost, parseCost)

        // Durable ingest: the raw loops first, so that their peak memory is their own.
        let rawFull = work.appendingPathComponent("raw-full.sqlite").path
        let rawNormal = work.appendingPathComponent("raw-normal.sqlite").path
        let (rawFullCount, rawFullCost) = try measure { try rawIngest(runs, path: rawFull, synchronous: "FULL", batch: batch) }
        let (rawNormalCount, rawNormalCost) = try measure { try rawIngest(runs, path: rawNormal, synchronous: "NORMAL", batch: batch) }
        let database = work.appendingPathComponent("accrue.sqlite").path
        let store = try SQLiteStore(path: database)
        Memory.returnFreed()
        let residentBefore = Memory.kilobytes("VmRSS") ?? 0
        let ((opened, ingested), ingestCost) = try measure { try ingestLogs(runs, into: store, batch: batch) }
        var ledgers = opened
        let ingestRate = Double(total) / ingestCost.seconds
        row("durable ingest, WAL + synchronous FULL (inputs/s)", accrue: Format.rate(total, ingestCost.seconds),
            baseline: Format.rate(rawFullCount, rawFullCost.seconds) + " (raw GRDB, FULL)",
            ratio: Format.share(ingestRate, of: Double(rawFullCount) / rawFullCost.seconds), ingestCost, rawFullCost)
        row("durable ingest beside synchronous NORMAL", accrue: Format.rate(total, ingestCost.seconds),
            baseline: Format.rate(rawNormalCount, rawNormalCost.seconds) + " (raw GRDB, NORMAL)",
            ratio: Format.share(ingestRate, of: Double(rawNormalCount) / rawNormalCost.seconds), ingestCost, rawNormalCost)
        // The same rows again with no engine: what bounds ingest is writing them, and which of them.
        for memberIndexes in [true, false] {
            let rows = work.appendingPathComponent(memberIndexes ? "raw-own-rows.sqlite" : "raw-own-rows-no-member-indexes.sqlite").path
            let ((count, seconds), cost) = try measure {
                try rawOwnRows(from: database, programs: runs.map(\.program.id), path: rows, batch: batch, memberIndexes: memberIndexes)
            }
            row(memberIndexes ? "durable ingest beside its own rows written raw" : "... its rows without the two member indexes",
                accrue: Format.rate(total, ingestCost.seconds),
                baseline: Format.rate(total, seconds) + " (raw GRDB, FULL)",
                ratio: Format.share(ingestRate, of: Double(total) / seconds), ingestCost,
                Cost(seconds: seconds, peakKilobytes: cost.peakKilobytes, peakWasReset: cost.peakWasReset))
            if memberIndexes {
                note("wrote Accrue's \(Format.count(count)) stored inputs (duplicates are not stored) and their entries again, raw, in \(Format.seconds(seconds)) of write transactions")
            }
            // Copies of the log and entries, as big as them: not kept, even with --keep.
            removeDatabase(rows)
        }
        for run in runs where ingested[run.program.id] != replayed[run.program.id] {
            problems.append("\(run.program.id): ingest gave \(ingested[run.program.id]!.summary); replay \(replayed[run.program.id]!.summary)")
        }
        let perMillion = { (bytes: Int64) in Format.megabytes(bytes * 1_000_000 / Int64(max(1, total))) }
        row("database size per 1M inputs", accrue: perMillion(databaseBytes(database)),
            baseline: perMillion(databaseBytes(rawFull)) + " (raw GRDB)",
            ratio: Format.times(Double(databaseBytes(database)), Double(databaseBytes(rawFull))))
        let enrolled = ingested.values.reduce(0) { $0 + $1.members }
        let resident = Memory.kilobytes("VmRSS") ?? 0
        memoryPerMember(ingestCost, residentBefore: residentBefore, enrolled: enrolled)
        note("ingested \(Format.count(total)) inputs into \(Format.count(enrolled)) members over \(runs.count) programs; "
             + "resident before \(residentBefore / 1024) MB, after with every ledger open \(resident / 1024) MB; outcomes equal the replay's: \(problems.isEmpty ? "yes" : "NO")")

        if let postgres {
            try postgresIngest(runs, on: postgres, replayed: replayed, lineBytes: Int(logBytes) / max(1, total), in: work)
        } else {
            note("PostgreSQL: not measured (give --postgres URL, or run scripts/bench)")
        }

        // Opening the ledgers again, as a restarted server or an `accrue` command does: each
        // program's checkpoint read (every member, order and booking) and its schedule rebuilt.
        let digests = ledgers.mapValues { StateDigest($0.engine.state) }
        ledgers.removeAll()
        let (reopened, openCost) = try measure { try openLedgers(runs, store: store) }
        let (recordsRead, readCost) = try measure { try selectCheckpoints(path: database, programs: runs.map(\.program.id)) }
        let records = reopened.values.reduce(0) { $0 + StateDigest($1.engine.state).records }
        row("open the ledgers: checkpoints read (records/s)", accrue: Format.rate(records, openCost.seconds) + " in \(Format.seconds(openCost.seconds))",
            baseline: Format.rate(recordsRead, readCost.seconds) + " (GRDB SELECT)",
            ratio: Format.share(Double(records) / openCost.seconds, of: Double(recordsRead) / readCost.seconds), openCost, readCost)
        for (id, ledger) in reopened where StateDigest(ledger.engine.state) != digests[id] {
            problems.append("\(id): opened again, the state differs from the ingested one: \(StateDigest(ledger.engine.state)) against \(digests[id].map { "\($0)" } ?? "none")")
        }
        note("opened \(Format.count(records)) members, orders and bookings again; the same as ingested: \(problems.isEmpty ? "yes" : "NO")")
        ledgers = reopened

        try scheduledWork(ledgers)

        // Verify over the whole ledger, with no ledger left open.
        ledgers.removeAll()
        let ((checked, found), verifyCost) = try measure { try verifyLedgers(runs, store: store) }
        problems += found
        let (read, selectCost) = try measure { try selectLedger(path: database, programs: runs.map(\.program.id)) }
        row("verify (inputs + entries/s)", accrue: Format.rate(checked, verifyCost.seconds) + " in \(Format.seconds(verifyCost.seconds))",
            baseline: Format.rate(read, selectCost.seconds) + " (GRDB SELECT)",
            ratio: Format.share(Double(checked) / verifyCost.seconds, of: Double(read) / selectCost.seconds), verifyCost, selectCost)
        note("verify checked \(Format.count(checked)) inputs and entries: \(found.isEmpty ? "no problems" : "\(found.count) problems")")
    }

    /// What ingesting added to the process at its peak, per million members enrolled in any program.
    mutating func memoryPerMember(_ ingest: Cost, residentBefore: Int, enrolled: Int) {
        row("memory per 1M members (ingest's peak growth)",
            accrue: ingest.peakKilobytes.map { Format.megabytes(Int64($0 - residentBefore) * 1024 * 1_000_000 / Int64(max(1, enrolled))) } ?? "?",
            baseline: "", ratio: "")
    }

    /// Due work on the ingested state, each through `ProgramLedger.advance` (decided and committed),
    /// beside a plain loop doing the least arithmetic over the same members or lots.
    mutating func scheduledWork(_ ledgers: [String: ProgramLedger]) throws {
        if let jd = ledgers["jd-points"] {
            try pendingRelease(jd)
            if let tiers = jd.program.tiers {
                let newYear = Instant(rfc3339: "2027-01-01T00:00:00+08:00")!
                let year = jd.program.calendar.periodIndex(.year, of: newYear)
                try scheduled("year start, tiers (jd-points)", jd, to: newYear) { state in
                    "\(Format.count(yearStartTiers(state, tiers: tiers, year: year))) members change tier"
                }
            }
            try expirySweep(jd)
        }
        if let store = ledgers["store-1"], let clock = store.engine.state.clock, case let .inactivity(days, _) = store.program.expiry {
            let sweep = clock.adding(days: days + 1)
            try scheduled("inactivity expiry (store-1)", store, to: sweep) { state in
                let due = inactiveBalances(state, days: days, by: sweep)
                return "\(Format.count(due.members)) members, \(Format.count(due.points)) points expire"
            }
        }
        if let levels = ledgers["aliexpress-levels"] { try monthlyCount(levels) }
    }

    /// jd-points a week after its last input: the orders' pending points become available.
    mutating func pendingRelease(_ jd: ProgramLedger) throws {
        guard let clock = jd.engine.state.clock else { return }
        let released = clock.adding(days: 7)
        try scheduled("pending release (jd-points)", jd, to: released) { state in
            let due = duePendingLots(state, by: released)
            return "\(Format.count(due.lots)) lots, \(Format.count(due.points)) points due"
        }
    }

    /// jd-points to 31 December 2027: every lot's expiry notice and expiry, beside its rows raw.
    mutating func expirySweep(_ jd: ProgramLedger) throws {
        let sweep = Instant(rfc3339: "2027-12-31T00:00:00+08:00")!
        try scheduled("expiry sweep with notices (jd-points)", jd, to: sweep, rowsBaseline: "expiry sweep beside its rows written raw") { state in
            let due = expiringLots(state, by: sweep)
            return "\(Format.count(due.lots)) lots, \(Format.count(due.points)) points expire"
        }
    }

    /// aliexpress-levels to the next 1st: every member with qualifying points counted.
    mutating func monthlyCount(_ levels: ProgramLedger) throws {
        guard let count = levels.engine.state.nextCount, let tiers = levels.program.tiers,
              case let .rollingMonths(months, _) = tiers.basis else { return }
        let month = levels.program.calendar.monthIndex(of: count)
        try scheduled("monthly level count (aliexpress-levels)", levels, to: count) { state in
            "\(Format.count(countLevels(state, tiers: tiers, month: month, months: months))) members change level"
        }
    }

    /// Times the due work up to `time`, run as `accrue advance` runs it (steps of
    /// `ProgramLedger.advanceStepItems` scheduled items, each decided and committed on its own),
    /// and `baseline` over the state before it. With `rowsBaseline`, a second row beside the same
    /// entries written by a raw loop in the same steps.
    mutating func scheduled(_ step: String, _ ledger: ProgramLedger, to time: Instant, rowsBaseline: String? = nil,
                            baseline: (ProgramState) -> String) throws {
        // The state is read inside the closure and not kept, so the advance never copies it.
        let (found, bareCost) = measure { baseline(ledger.engine.state) }
        let members = ledger.engine.state.members.count
        let firstSeq = ledger.engine.state.nextSeq
        var kinds: [String: Int] = [:]
        var steps: [Int] = []
        // Only the steps are timed, not the benchmark's own tally of what they made.
        var seconds = 0.0
        var (_, cost) = try measure {
            while true {
                let start = ContinuousClock.now
                let (entries, done) = try ledger.advance(ClockStep(time: time, items: ProgramLedger.advanceStepItems))
                seconds += start.duration(to: .now).seconds
                for entry in entries { kinds[entry.kind.rawValue, default: 0] += 1 }
                steps.append(entries.count)
                if done { break }
            }
        }
        cost.seconds = seconds
        let made = kinds.sorted { $0.key < $1.key }.map { "\($0.key) \(Format.count($0.value))" }.joined(separator: ", ")
        let count = steps.reduce(0, +)
        note("  \(step) to \(time.rfc3339) over \(Format.count(members)) members: \(made.isEmpty ? "no entries" : made) "
             + "in \(steps.count) \(steps.count == 1 ? "step" : "steps"); the loop: \(found)")
        row(step, accrue: "\(Format.seconds(cost.seconds)), \(Format.count(count)) entries", baseline: Format.seconds(bareCost.seconds) + " (plain loop)",
            ratio: Format.times(cost.seconds, bareCost.seconds), cost, bareCost)
        if let rowsBaseline {
            // The same entries read back from the store and written with no engine, step by step:
            // what the store's part alone costs. The copy is deleted after, as big as the entries.
            // Then without the index by member: what the random inserts into it cost.
            for memberIndex in [true, false] {
                let path = folder.appendingPathComponent("raw-\(ledger.program.id)-entries.sqlite").path
                let ((rows, seconds), rawCost) = try measure {
                    try rawEntryRows(from: folder.appendingPathComponent("accrue.sqlite").path, program: ledger.program.id,
                                     after: firstSeq - 1, steps: steps, path: path, memberIndex: memberIndex)
                }
                removeDatabase(path)
                row(memberIndex ? rowsBaseline : "... its rows without the index by member", accrue: Format.seconds(cost.seconds),
                    baseline: "\(Format.seconds(seconds)) for \(Format.count(rows)) rows (raw GRDB, FULL)", ratio: Format.times(cost.seconds, seconds),
                    cost, Cost(seconds: seconds, peakKilobytes: rawCost.peakKilobytes, peakWasReset: rawCost.peakWasReset))
            }
        }
    }

    var footnotes: String? {
        var lines = ["ratio: Accrue's rate as a share of the baseline's, or x = how many times the baseline's time (or size) Accrue took."]
        if !peakWasReset { lines.append("* the kernel refused to reset the peak: the figure is the whole process's peak so far.") }
        return lines.joined(separator: "\n")
    }

    var markdown: String {
        """
        ### accrue-bench, \(lots.map { "scheduled work at scale, \(Format.count($0)) lots" } ?? "\(Format.count(options.inputs)) inputs"), \(Format.count(options.members)) members

        `accrue-bench --members \(options.members) \(lots.map { "--lots \($0)" } ?? "--inputs \(options.inputs)") --seed \(options.seed) --batch \(batch)\(postgres == nil ? "" : " --postgres ...")`, \(ISO8601DateFormatter().string(from: started)),
        \(machine).

        \(table.markdown)
        \(footnotes ?? "")

        ```
        \(details.joined(separator: "\n"))
        ```

        """
    }
}

/// Writes a line to standard output at once, so that progress shows while a long step runs.
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
