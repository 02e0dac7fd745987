import AccrueCore
import AccrueStore
import Foundation
import XCTest

/// `verify` reads the log a range of revisions at a time and the entries a page at a time: the
/// same answers whatever the page, with log after the checkpoint or none, and entries no input
/// made are found beyond the last page.
extension StoreConformance {
    static func verifyReadsInPages(_ store: any LedgerStore, file: StaticString, line: UInt) throws {
        let program = try preset("jd-points")
        try store.register(StoredProgram(id: program.id, base: program.id, version: 1, source: "jd"))
        var generator = LogGenerator(seed: 12, program: program)
        let batches = batches(generator.log(900), of: 20)
        let ledger = try ProgramLedger(program: program, store: store, checkpointInterval: 1_000_000)
        for batch in batches[..<30] { _ = try ledger.ingest(lines: batch) }
        try ledger.checkpoint()
        for batch in batches[30...] { _ = try ledger.ingest(lines: batch) }
        let entries = try store.entries(program: program.id).count
        let inputs = try store.inputs(program: program.id).count
        XCTAssertGreaterThan(entries, 21, file: file, line: line)

        // Log after the checkpoint (read again and compared at its revision), then none after it.
        for round in ["log after the checkpoint", "checkpoint at the end"] {
            if round == "checkpoint at the end" { try ledger.checkpoint() }
            for page in [1, 7, 10_000] {
                let report = try verify(program, store: store, entriesPerPage: page)
                XCTAssertEqual(report.problems, [], "\(round), pages of \(page)", file: file, line: line)
                XCTAssertEqual(report.entries, entries, file: file, line: line)
                XCTAssertEqual(report.inputs, inputs, file: file, line: line)
                XCTAssertEqual(report.members, ledger.engine.state.members.count, file: file, line: line)
            }
        }

        // An entry no input made, after the last one: the state's next seq does not cover it.
        let seq = ledger.engine.state.nextSeq
        _ = try store.write(program: program.id) { tx in
            try tx.append(CommitBatch(inputs: [], entries: [Entry(seq: seq, member: "alice", at: Instant(rfc3339: "2030-01-01T00:00:00Z")!,
                                                                  kind: .adjust, points: 5, lot: seq, reason: "slipped in")]),
                          revision: ledger.revision)
        }
        XCTAssertEqual(try verify(program, store: store, entriesPerPage: 7).problems,
                       ["the ledger has entries from seq \(seq) on, beyond the state's last (\(seq - 1)), that no input made"], file: file, line: line)
    }
}
