import AccrueBench
import AccrueCore
import AccruePrograms
import AccrueSQLite
import AccrueStore
import Foundation
import XCTest

/// An input whose outcome was reported is never lost: `accrue ingest` is killed with SIGKILL while
/// it writes, every outcome it had printed is in the database, verify passes, and ingesting the
/// whole log again finishes the work without doubling anything.
final class CrashTests: XCTestCase {
    func testKilledIngestLosesNoReportedOutcome() throws {
        let program = try preset("jd-points")
        let folder = temporaryFolder()
        defer { removeFolder(folder) }
        var generator = LogGenerator(seed: 404, program: program)
        let log = generator.log(6_000)
        let events = folder.appendingPathComponent("events.jsonl")
        try (log.joined(separator: "\n") + "\n").write(to: events, atomically: true, encoding: .utf8)
        let database = folder.appendingPathComponent("ledger.sqlite").path
        let binary = accrueBinary

        var reported: [String: Outcome] = [:]
        var kills = 0
        for round in 0..<3 {
            let process = Process()
            process.executableURL = binary
            process.arguments = ["ingest", "--database", database, "--program", "jd-points", "--batch", "25", "--outcomes", events.path]
            process.currentDirectoryURL = repositoryRoot
            let out = Pipe()
            process.standardOutput = out
            process.standardError = FileHandle.nullDevice
            try process.run()
            // Read answers until a few hundred have arrived, then kill the process mid-write.
            let wanted = 300 * (round + 1)
            var buffer = Data()
            var lines = 0
            while lines < wanted {
                let chunk = out.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                buffer.append(chunk)
                lines = buffer.reduce(0) { $1 == 0x0A ? $0 + 1 : $0 }
            }
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                kills += 1
            }
            process.waitUntilExit()
            buffer.append(out.fileHandleForReading.readDataToEndOfFile())
            for line in buffer.split(separator: 0x0A) {
                guard let outcome = try? JSONDecoder().decode(Outcome.self, from: Data(line)), let id = outcome.id,
                      outcome.status != .duplicate, outcome.code != .conflict else { continue }
                if reported[id] == nil { reported[id] = outcome }
            }
        }
        XCTAssertGreaterThan(kills, 0, "the ingest must have been killed at least once")
        XCTAssertGreaterThan(reported.count, 300)

        let store = try SQLiteStore(path: database)
        let stored = try store.inputRecords(program: program.id, ids: Array(reported.keys))
        for (id, outcome) in reported {
            XCTAssertEqual(stored[id]?.outcome, outcome, "reported outcome of \(id) is not in the database")
        }
        XCTAssertEqual(try verify(program, store: store).problems, [])

        // Finish the log: the result equals applying it once.
        let ledger = try ProgramLedger(program: program, store: store)
        _ = try ledger.ingest(lines: log.map { Array($0.utf8) })
        var whole = Replay(program: program)
        for line in log { whole.apply(line: Array(line.utf8)) }
        XCTAssertTrue(ledger.engine.state == whole.engine.state, "resumed after kills equals one clean run")
        XCTAssertTrue(try store.entries(program: program.id) == whole.entries)
    }
}
