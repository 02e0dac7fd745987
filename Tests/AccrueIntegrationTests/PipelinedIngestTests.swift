import AccrueCore
import AccrueStore
import Foundation
import XCTest

/// `ProgramLedger.ingest(batches:durable:)` decides each batch while the one before it commits on
/// another thread. What it stores and answers must be what one transaction per batch, one after
/// the other, stores and answers: on every store, with resent inputs across batches, checkpoints
/// due between them, another writer committing in between, and a caller that stops.
extension StoreConformance {
    static func pipelinedIngest(_ makeStore: () throws -> any LedgerStore, file: StaticString, line: UInt) throws {
        try pipelineMatchesOneBatchAtATime(try makeStore(), try makeStore(), file: file, line: line)
        try pipelineDecidesAgainAfterAnotherWriter(try makeStore(), try makeStore(), file: file, line: line)
        try pipelineStoppedByItsCaller(try makeStore(), file: file, line: line)
    }

    static func batches(_ lines: [String], of size: Int) -> [[[UInt8]]] {
        stride(from: 0, to: lines.count, by: size).map { lines[$0..<min($0 + size, lines.count)].map { Array($0.utf8) } }
    }

    /// A log with resent inputs (many of them in the batch after the first): the same outcomes,
    /// log, entries and checkpoints as batches committed one at a time.
    static func pipelineMatchesOneBatchAtATime(_ store: any LedgerStore, _ serialStore: any LedgerStore, file: StaticString, line: UInt) throws {
        let program = try preset("jd-points")
        for target in [store, serialStore] { try target.register(StoredProgram(id: program.id, base: program.id, version: 1, source: "jd")) }
        var generator = LogGenerator(seed: 31, program: program)
        let batches = batches(generator.log(900), of: 40)

        let serial = try ProgramLedger(program: program, store: serialStore, checkpointInterval: 100)
        let expected = try batches.map { try serial.ingest(lines: $0) }

        let ledger = try ProgramLedger(program: program, store: store, checkpointInterval: 100)
        var answered: [[Outcome]] = []
        try ledger.ingest { submit in
            for batch in batches { try submit(batch) }
            try submit([])
        } durable: { answered.append($0) }

        XCTAssertEqual(answered, expected, "the same outcomes, batch by batch", file: file, line: line)
        XCTAssertTrue(answered.joined().contains { $0.status == .duplicate }, "the log resends inputs", file: file, line: line)
        XCTAssertEqual(ledger.revision, serial.revision, file: file, line: line)
        XCTAssertEqual(try store.revision(program: program.id), ledger.revision, file: file, line: line)
        XCTAssertEqual(try store.log(program: program.id), try serialStore.log(program: program.id), "the same log", file: file, line: line)
        XCTAssertEqual(try store.entries(program: program.id), try serialStore.entries(program: program.id), "the same entries", file: file, line: line)
        let checkpoint = try XCTUnwrap(try store.load(program: program.id), file: file, line: line)
        XCTAssertGreaterThan(checkpoint.revision, 0, "checkpoints were due between batches", file: file, line: line)
        // Checkpoints are written off the commits and paced, so at revisions of their own; each
        // is the state at its revision (verify replays the log to it and compares).
        XCTAssertLessThanOrEqual(checkpoint.revision, ledger.revision, file: file, line: line)
        XCTAssertEqual(try verify(program, store: store).problems, [], file: file, line: line)
        XCTAssertTrue(try currentState(program, in: store) == ledger.engine.state, "checkpoint and log give the state", file: file, line: line)
        XCTAssertTrue(ledger.engine.state == serial.engine.state, file: file, line: line)

        // The ledger goes on serving after the pipeline: one more batch, one transaction.
        let more = try ledger.ingest(lines: batches[0])
        XCTAssertTrue(more.allSatisfy { $0.status == .duplicate || $0.id == nil || $0.code == .conflict }, file: file, line: line)
    }

    /// Another writer commits between two batches: the batch decided before its commit is decided
    /// again after it (here: the other writer sent the same input first, so it is a duplicate).
    static func pipelineDecidesAgainAfterAnotherWriter(_ store: any LedgerStore, _ serialStore: any LedgerStore, file: StaticString, line: UInt) throws {
        let program = try preset("jd-points")
        for target in [store, serialStore] { try target.register(StoredProgram(id: program.id, base: program.id, version: 1, source: "jd")) }
        func signIn(_ id: String, _ member: String, _ day: Int) -> [UInt8] {
            Array("{\"id\":\"\(id)\",\"type\":\"member.signed_in\",\"member\":\"\(member)\",\"at\":\"2026-03-\(day < 10 ? "0" : "")\(day)T08:00:00Z\",\"data\":{}}".utf8)
        }
        let first = [signIn("s-1", "ann", 1), signIn("s-2", "bo", 1)]
        let other = [signIn("s-3", "ann", 2), signIn("o-1", "cy", 2)]
        let second = [signIn("s-3", "ann", 2), signIn("s-4", "bo", 2)]
        let third = [signIn("s-5", "ann", 3)]

        let serial = try ProgramLedger(program: program, store: serialStore)
        let expected = try [first, other, second, third].map { try serial.ingest(lines: $0) }

        let ledger = try ProgramLedger(program: program, store: store)
        let otherWriter = try ProgramLedger(program: program, store: store)
        var answered: [[Outcome]] = []
        var otherAnswered: [Outcome] = []
        try ledger.ingest { submit in
            for batch in [first, second, third] { try submit(batch) }
        } durable: { outcomes in
            answered.append(outcomes)
            // Called once the first batch is durable and the second decided, before that commits.
            if answered.count == 1 { otherAnswered = try otherWriter.ingest(lines: other) }
        }

        XCTAssertEqual(otherAnswered, expected[1], file: file, line: line)
        XCTAssertEqual(answered, [expected[0], expected[2], expected[3]], "decided after the other writer's commit", file: file, line: line)
        XCTAssertEqual(answered[1].first?.status, .duplicate, "s-3 was the other writer's first", file: file, line: line)
        XCTAssertEqual(try store.log(program: program.id), try serialStore.log(program: program.id), file: file, line: line)
        XCTAssertEqual(try store.entries(program: program.id), try serialStore.entries(program: program.id), file: file, line: line)
        XCTAssertTrue(ledger.engine.state == serial.engine.state, file: file, line: line)
    }

    /// The caller stops (its `durable` throws on the second batch): the batches it was handed are
    /// committed, the one decided after them is not, and the ledger holds the stored state.
    static func pipelineStoppedByItsCaller(_ store: any LedgerStore, file: StaticString, line: UInt) throws {
        struct Stop: Error {}
        let program = try preset("cj-rewards")
        try store.register(StoredProgram(id: program.id, base: program.id, version: 1, source: "cj"))
        var generator = LogGenerator(seed: 5, program: program)
        let batches = batches(generator.log(120), of: 30)
        let ledger = try ProgramLedger(program: program, store: store)
        var answered = 0
        XCTAssertThrowsError(try ledger.ingest { submit in
            for batch in batches { try submit(batch) }
        } durable: { _ in
            answered += 1
            if answered == 2 { throw Stop() }
        }, file: file, line: line) { XCTAssertTrue($0 is Stop, file: file, line: line) }
        XCTAssertEqual(answered, 2, "nothing is handed over after the caller stopped", file: file, line: line)
        XCTAssertEqual(try store.revision(program: program.id), 2, "the two batches handed over are committed, the third is not", file: file, line: line)
        XCTAssertEqual(ledger.revision, 2, file: file, line: line)
        XCTAssertTrue(ledger.engine.state == (try currentState(program, in: store)), "the third batch's decisions are gone", file: file, line: line)
        // The rest goes in afterwards as if nothing had happened.
        let rest = try batches[2...].map { try ledger.ingest(lines: $0) }
        XCTAssertFalse(rest.joined().isEmpty, file: file, line: line)
        XCTAssertEqual(try store.revision(program: program.id), 4, file: file, line: line)
    }
}
