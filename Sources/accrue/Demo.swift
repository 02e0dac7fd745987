import AccrueCore
import AccruePrograms
import AccrueSQLite
import AccrueStore
import ArgumentParser
import Foundation

struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Ingest the bundled sample logs into a fresh SQLite database and show what happened and why.")

    @Option(name: .long, help: "The folder of sample logs: NAME.jsonl runs preset NAME; NAME@ID.jsonl runs it as program ID.")
    var samples: String?

    @Option(name: .long, help: "The database to (re)create.")
    var database = "data/demo.sqlite"

    func run() throws {
        let folder = samples ?? Presets.folders.map { URL(fileURLWithPath: $0).deletingLastPathComponent().appendingPathComponent("samples").path }
            .first(where: { FileManager.default.fileExists(atPath: $0) }) ?? "samples"
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasSuffix(".jsonl") }.sorted()
        guard !files.isEmpty else {
            warn("accrue: no sample logs (*.jsonl) in \(folder)")
            throw ExitCode(2)
        }
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: database + suffix) }
        let store = try openStore(database)
        print("Accrue demo: \(files.count) sample logs from \(folder) into \(database) (SQLite, WAL, synchronous FULL)\n")
        for file in files {
            let name = String(file.dropLast(6))
            let parts = name.split(separator: "@", maxSplits: 1).map(String.init)
            let (program, version) = try registerProgram(parts[0], as: parts.count > 1 ? parts[1] : nil, in: store)
            let ledger = try openLedger(program, version: version, in: store)
            var tally = Tally()
            try ingestFile(folder + "/" + file, into: ledger, batch: 1_000) { tally.add($0) }
            try ledger.checkpoint()
            print("== \(program.name) (\(program.id)) from \(file)")
            print("   \(tally.summary)")
            let state = ledger.engine.state
            let now = state.clock ?? Instant(milliseconds: 0)
            for id in state.members.keys.sorted() {
                let view = MemberView(member: state.members[id]!, program: program, now: now)
                var line = "   \(id): \(formatPoints(view.balance)) \(program.points.name) available"
                if view.pending != 0 { line += ", \(formatPoints(view.pending)) pending" }
                if view.held != 0 { line += ", \(formatPoints(view.held)) held" }
                if let tier = view.tier { line += ", \(tier.tierName)" }
                if !view.coupons.isEmpty { line += ", \(view.coupons.count) coupons" }
                print(line)
            }
            let why = (tally.nothingEarned + tally.refusals).sorted { ($0.seq ?? 0) < ($1.seq ?? 0) }
            if !why.isEmpty {
                print("   why some inputs earned nothing or were refused:")
                for outcome in why.prefix(8) {
                    print("     \(outcome.id ?? "(no id)") \(outcome.type ?? ""): \(outcome.status == .refused ? "refused: " : "")\(outcome.reason ?? "")")
                }
            }
            let report = try verify(program, store: store)
            print("   verify: " + (report.problems.isEmpty ? "ok (ledger, state and replay agree)" : report.problems.joined(separator: "; ")))
            print("")
        }
        if let first = try store.programs().first, let member = try store.load(program: first.id)?.state.members.keys.sorted().first {
            print("Try: swift run accrue member --database \(database) --program \(first.id) \(member)")
            print("     swift run accrue replay --program \(first.base) --events \(folder)/\(files[0])")
            print("     swift run accrue verify --database \(database)")
        }
    }
}
