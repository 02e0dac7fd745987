import AccrueBench
import Foundation
import XCTest

/// `accrue-bench`, the benchmark the README names, run as a newcomer would: the built binary at a
/// tiny size (the figures are not checked, only that every step ran and agreed), and the folder it
/// is given left as it found it.
final class BenchCommandTests: XCTestCase {
    var binary: URL { accrueBinary.deletingLastPathComponent().appendingPathComponent("accrue-bench") }

    func bench(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        try process.run()
        let output = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }

    func testEveryStepRunsAndAgreesAndTheFolderKeepsWhatItHeld() throws {
        let folder = temporaryFolder()
        addTeardownBlock { removeFolder(folder) }
        try "mine".write(to: folder.appendingPathComponent("notes.txt"), atomically: true, encoding: .utf8)
        let markdown = folder.appendingPathComponent("results.md")
        let run = try bench(["--inputs", "2000", "--members", "200", "--folder", folder.path, "--markdown", markdown.path])
        XCTAssertEqual(run.status, 0, run.output)
        for step in ["replay in memory", "durable ingest, WAL + synchronous FULL", "durable ingest beside its own rows written raw",
                     "database size per 1M inputs", "open the ledgers", "pending release (jd-points)", "expiry sweep with notices (jd-points)",
                     "expiry sweep beside its rows written raw", "... its rows without the index by member", "monthly level count", "verify"] {
            XCTAssertTrue(run.output.split(separator: "\n").contains { $0.hasPrefix(step) && $0.contains("|") }, "no row for \(step):\n\(run.output)")
        }
        XCTAssertTrue(run.output.contains("outcomes equal the replay's: yes"), run.output)
        XCTAssertTrue(run.output.contains("the same as ingested: yes"), run.output)
        XCTAssertTrue(run.output.contains(": no problems"), run.output)
        XCTAssertTrue(try String(contentsOf: markdown, encoding: .utf8).contains("`accrue-bench --members 200 --inputs 2000"))
        // Without --keep the run removes what it made, and only that.
        XCTAssertEqual(Set(try FileManager.default.contentsOfDirectory(atPath: folder.path)), ["notes.txt", "results.md"])
        XCTAssertEqual(try String(contentsOf: folder.appendingPathComponent("notes.txt"), encoding: .utf8), "mine")
    }

    func testTheScheduledWorkAtScaleRunsBesideItsRowsAndKeepKeeps() throws {
        let folder = temporaryFolder()
        addTeardownBlock { removeFolder(folder) }
        let run = try bench(["--lots", "3000", "--members", "300", "--folder", folder.path, "--keep"])
        XCTAssertEqual(run.status, 0, run.output)
        XCTAssertTrue(run.output.contains("expire 3,000, expiry_notice 3,000 in 1 step"), run.output)
        XCTAssertTrue(run.output.contains("expiry sweep beside its rows written raw") && run.output.contains("for 6,000 rows"), run.output)
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder.appendingPathComponent("accrue.sqlite").path), "--keep keeps the database")
    }
}
