import AccrueBench
import AccrueCore
import AccrueSQLite
import AccrueStore
import Foundation

// Scheduled work at the sizes the performance issue names (the expiry sweep over 10M lots, the
// monthly level count over 1M members), which the mixed workload reaches only with tens of
// millions of inputs. Two plain logs are ingested durably, as `accrue ingest` would, and the due
// work then runs on the store they made, beside the same plain loops and raw rows as in the full
// run. The logs: `ScaleWorkload` (AccrueBench).

extension Report {
    /// The scheduled work at scale: both logs ingested into one SQLite database, then the pending
    /// release, the expiry sweep with notices (beside its rows written raw) and the monthly level
    /// count, each committed through `ProgramLedger.advance`.
    mutating func runAtScale(in work: URL, members: Int, lots: Int, seed: UInt64) throws {
        folder = work
        let (files, generation) = try measure { try ScaleWorkload.write(members: members, lots: lots, seed: seed, to: work.appendingPathComponent("logs")) }
        let byID = Dictionary(uniqueKeysWithValues: Workload.programs.map { ($0.id, $0) })
        let runs = try [ProgramRun(byID["jd-points"]!, file: files[0]), ProgramRun(byID["aliexpress-levels"]!, file: files[1])]
        note("generated \(Format.count(lots)) jd-points orders over \(Format.count(members)) members and \(Format.count(members)) aliexpress-levels orders "
             + "in \(Format.seconds(generation.seconds)) (\(work.path)/logs)")

        let database = work.appendingPathComponent("accrue.sqlite").path
        let store = try SQLiteStore(path: database)
        let residentBefore = Memory.kilobytes("VmRSS") ?? 0
        let ((ledgers, tallies), ingestCost) = try measure { try ingestLogs(runs, into: store, batch: batch) }
        let total = tallies.values.reduce(0) { $0 + $1.inputs }
        for run in runs { note("  \(run.program.id): \(tallies[run.program.id]!.summary)") }
        let enrolled = tallies.values.reduce(0) { $0 + $1.members }
        row("durable ingest of the logs (inputs/s)", accrue: Format.rate(total, ingestCost.seconds) + " in \(Format.seconds(ingestCost.seconds))",
            baseline: "", ratio: "", ingestCost)
        memoryPerMember(ingestCost, residentBefore: residentBefore, enrolled: enrolled)
        note("database after ingest: \(databaseFiles(database))")

        if let jd = ledgers["jd-points"] {
            try pendingRelease(jd)
            try expirySweep(jd)
        }
        // Every member earned, so the count evaluates every member's last 12 months.
        if let levels = ledgers["aliexpress-levels"] { try monthlyCount(levels) }
        note("database at the end: \(databaseFiles(database))")
    }
}
