import AccrueBench
import AccrueCore
import AccruePostgres
import AccrueSQLite
import AccrueStore
import Foundation
import GRDB
import XCTest

/// The contract every `LedgerStore` keeps, run on each implementation.
enum StoreConformance {
    static func run(_ makeStore: () throws -> any LedgerStore, file: StaticString = #filePath, line: UInt = #line) throws {
        try programsAreVersioned(try makeStore(), file: file, line: line)
        try commitsRoundTripAndRefuseStaleRevisions(try makeStore(), file: file, line: line)
        try historyIsNewestFirstAndPages(try makeStore(), file: file, line: line)
        try entriesPageAndEventsPassOverEntriesThatMakeNone(try makeStore(), file: file, line: line)
        try pipelinedIngest(makeStore, file: file, line: line)
        try verifyReadsInPages(try makeStore(), file: file, line: line)
        try membersReadAsTheWholeLedgerSays(try makeStore(), file: file, line: line)
    }

    /// Random logs over every preset and the two-currency example, in one store: each member's
    /// entries and history, read through the store's indexes, are what the whole ledger says of
    /// that member (entries of the member's own inputs, due work, entries others' inputs made such
    /// as a draw's reveal).
    static func membersReadAsTheWholeLedgerSays(_ store: any LedgerStore, file: StaticString = #filePath, line: UInt = #line) throws {
        for program in try presetsAndTheCoinsExample() {
            try store.register(StoredProgram(id: program.id, base: program.id, version: 1, source: program.id))
            let ledger = try ProgramLedger(program: program, store: store)
            var generator = LogGenerator(seed: 21, program: program)
            let log = generator.log(500).map { Array($0.utf8) }
            for start in stride(from: 0, to: log.count, by: 100) { _ = try ledger.ingest(lines: Array(log[start..<min(log.count, start + 100)])) }
            try ledger.advance(to: Instant(rfc3339: "2029-01-01T00:00:00Z")!)
            try membersAgree(program, store, file: file, line: line)
        }
    }

    /// Each member's entries and history pages against the whole ledger's.
    static func membersAgree(_ program: Program, _ store: any LedgerStore, file: StaticString = #filePath, line: UInt = #line) throws {
        let all = try store.entries(program: program.id)
        let records = try store.log(program: program.id)
        let members = Set(all.map(\.member)).sorted()
        XCTAssertGreaterThan(members.count, 3, file: file, line: line)
        // Each input's entries, read by the input: its own member's and others' (a draw's reveal).
        var inputs = 0
        for case let .input(id, record) in records {
            let made = all.filter { $0.input == id }
            XCTAssertEqual(try store.entries(program: program.id, input: id), made, "\(program.id): \(id)'s entries", file: file, line: line)
            if !made.isEmpty, record.outcome.status == .applied { inputs += 1 }
        }
        XCTAssertGreaterThan(inputs, 10, file: file, line: line)
        XCTAssertEqual(try store.entries(program: program.id, input: "no such input"), [], file: file, line: line)
        for member in members {
            XCTAssertEqual(try store.entries(program: program.id, member: member), all.filter { $0.member == member },
                           "\(program.id): \(member)'s entries", file: file, line: line)
            for limit in [4, 10_000] {
                let expected = HistoryLine.merge(log: records, entries: all, member: member, limit: limit, beforeSeq: nil)
                XCTAssertEqual(try store.history(program: program.id, member: member, limit: limit, beforeSeq: nil), expected,
                               "\(program.id): \(member)'s history, \(limit) lines", file: file, line: line)
                guard let last = expected.last, limit == 4 else { continue }
                XCTAssertEqual(try store.history(program: program.id, member: member, limit: limit, beforeSeq: last.seq),
                               HistoryLine.merge(log: records, entries: all, member: member, limit: limit, beforeSeq: last.seq),
                               "\(program.id): \(member)'s second page", file: file, line: line)
            }
        }
    }

    static func programsAreVersioned(_ store: any LedgerStore, file: StaticString, line: UInt) throws {
        XCTAssertNil(try store.program("p"), file: file, line: line)
        XCTAssertNil(try store.load(program: "p"), "an unknown program has no state", file: file, line: line)
        try store.register(StoredProgram(id: "p", base: "p", version: 1, source: "one"))
        try store.register(StoredProgram(id: "p", base: "p", version: 1, source: "one"))
        XCTAssertEqual(try store.program("p")?.version, 1, file: file, line: line)
        try store.register(StoredProgram(id: "p", base: "p", version: 1, source: "two"))
        XCTAssertEqual(try store.program("p"), StoredProgram(id: "p", base: "p", version: 2, source: "two"), file: file, line: line)
        XCTAssertEqual(try store.program("p", version: 1)?.source, "one", "earlier versions are kept", file: file, line: line)
        XCTAssertNil(try store.program("p", version: 3), file: file, line: line)
        try store.register(StoredProgram(id: "store-9", base: "aliexpress-store", version: 1, source: "s"))
        XCTAssertEqual(try store.programs().map(\.id), ["p", "store-9"], file: file, line: line)
        // Creating is for new ids only: a taken id is refused and left as it was.
        XCTAssertFalse(try store.create(StoredProgram(id: "p", base: "p", version: 1, source: "three")), file: file, line: line)
        XCTAssertEqual(try store.program("p")?.source, "two", file: file, line: line)
        XCTAssertTrue(try store.create(StoredProgram(id: "new", base: "jd-points", version: 1, source: "n")), file: file, line: line)
        XCTAssertEqual(try store.program("new"), StoredProgram(id: "new", base: "jd-points", version: 1, source: "n"), file: file, line: line)
        XCTAssertEqual(try store.program("new", version: 1)?.source, "n", file: file, line: line)
        XCTAssertEqual(try store.programs().map(\.id), ["new", "p", "store-9"], file: file, line: line)
        let fresh = try XCTUnwrap(try store.load(program: "store-9"), file: file, line: line)
        XCTAssertEqual(fresh.revision, 0, file: file, line: line)
        XCTAssertTrue(fresh.state == ProgramState(), file: file, line: line)
    }

    static func commitsRoundTripAndRefuseStaleRevisions(_ store: any LedgerStore, file: StaticString, line: UInt) throws {
        let program = try preset("cj-rewards")
        try store.register(StoredProgram(id: program.id, base: program.id, version: 1, source: "cj"))
        var generator = LogGenerator(seed: 8, program: program)
        let log = generator.log(700).map { Array($0.utf8) }
        let ledger = try ProgramLedger(program: program, store: store)
        let outcomes = try ledger.ingest(lines: Array(log[..<650]))
        try ledger.advance(to: Instant(rfc3339: "2029-01-01T00:00:00Z")!)
        let last = try ledger.ingest(lines: Array(log[650...]))
        let lastStored = last.filter { $0.status != .duplicate && $0.code != .conflict && $0.id != nil }.count
        XCTAssertEqual(try store.tail(program: program.id, after: 0).revision, 3, file: file, line: line)
        XCTAssertEqual(try store.revision(program: program.id), 3, "the revision alone", file: file, line: line)
        XCTAssertEqual(try store.revision(program: "no-such-program"), 0, file: file, line: line)
        XCTAssertEqual(try store.tail(program: program.id, after: 2).records.count, lastStored, "the records of the last commit", file: file, line: line)
        XCTAssertTrue(try currentState(program, in: store) == ledger.engine.state, "the log replays to the state", file: file, line: line)
        try ledger.checkpoint()
        XCTAssertEqual(try store.load(program: program.id)?.revision, 3, file: file, line: line)
        XCTAssertTrue(try store.load(program: program.id)?.state == ledger.engine.state, "the checkpoint round-trips", file: file, line: line)

        let records = try store.log(program: program.id)
        XCTAssertEqual(records.first, .program(version: 1), "the log says which program version decided it", file: file, line: line)
        XCTAssertEqual(records.filter { if case .advance = $0 { return true } else { return false } }, [.advance(ClockStep(time: Instant(rfc3339: "2029-01-01T00:00:00Z")!))],
                       file: file, line: line)
        let firstOutcomes = records.compactMap { record -> Outcome? in
            if case let .input(_, stored) = record { return stored.outcome }
            return nil
        }
        XCTAssertEqual(Array(firstOutcomes.prefix(outcomes.filter { $0.status != .duplicate && $0.code != .conflict && $0.id != nil }.count)),
                       outcomes.filter { $0.status != .duplicate && $0.code != .conflict && $0.id != nil }, file: file, line: line)

        // Look-ups of many ids at once, present and absent.
        let ids = (0..<1_200).map { "e-\($0)" } + ["nobody"]
        let found = try store.inputRecords(program: program.id, ids: ids)
        XCTAssertEqual(found.count, Set(firstOutcomes.compactMap(\.id)).intersection(ids).count, file: file, line: line)
        XCTAssertNil(found["nobody"], file: file, line: line)

        // Entries come back in ledger order and agree with the state.
        let entries = try store.entries(program: program.id)
        XCTAssertEqual(entries.map(\.seq), entries.map(\.seq).sorted(), file: file, line: line)
        XCTAssertEqual(try verify(program, store: store).problems, [], file: file, line: line)

        // A write that fails writes nothing; appending on a revision that is not current is refused.
        let before = (try store.log(program: program.id).count, entries.count)
        var engine = Engine(program: program, state: ledger.engine.state)
        _ = engine.handle(Input.decode(Array(#"{"id":"late-1","type":"points.adjusted","member":"zed","at":"2029-02-01T00:00:00Z","data":{"points":5,"reason":"x"}}"#.utf8)), prior: nil)
        let batch = CommitBatch(inputs: [], entries: engine.drain().entries)
        struct Boom: Error {}
        XCTAssertThrowsError(try store.write(program: program.id) { tx -> Void in
            _ = try tx.append(batch, revision: 3)
            throw Boom()
        }, file: file, line: line)
        XCTAssertThrowsError(try store.write(program: program.id) { tx in try tx.append(batch, revision: 1) }, file: file, line: line) {
            XCTAssertEqual($0 as? StoreError, .staleRevision(program: program.id, expected: 1), file: file, line: line)
        }
        XCTAssertEqual(try store.log(program: program.id).count, before.0, file: file, line: line)
        XCTAssertEqual(try store.entries(program: program.id).count, before.1, file: file, line: line)
        XCTAssertNil(try currentState(program, in: store).members["zed"], file: file, line: line)
    }

    static func historyIsNewestFirstAndPages(_ store: any LedgerStore, file: StaticString, line: UInt) throws {
        let program = try preset("jd-points")
        try store.register(StoredProgram(id: program.id, base: program.id, version: 1, source: "jd"))
        let ledger = try ProgramLedger(program: program, store: store)
        var lines: [[UInt8]] = []
        for day in 1...20 {
            let at = "2026-03-\(day < 10 ? "0" : "")\(day)T02:00:00Z"
            lines.append(Array(#"{"id":"s-\#(day)","type":"member.signed_in","member":"ann","at":"\#(at)","data":{}}"#.utf8))
            lines.append(Array(#"{"id":"o-\#(day)","type":"order.completed","member":"ann","at":"\#(at)","data":{"order":"o-\#(day)","amount":"10.00","currency":"CNY"}}"#.utf8))
        }
        lines.append(Array(#"{"id":"p-1","type":"post.published","member":"ann","at":"2026-03-21T00:00:00Z","data":{"post":"x"}}"#.utf8))
        _ = try ledger.ingest(lines: lines)
        let page = try store.history(program: program.id, member: "ann", limit: 10, beforeSeq: nil)
        XCTAssertEqual(page.count, 10, file: file, line: line)
        XCTAssertEqual(page.map(\.seq), page.map(\.seq).sorted(by: >), "newest first", file: file, line: line)
        XCTAssertEqual(page.first?.what, "post.published", file: file, line: line)
        XCTAssertEqual(page.first?.reason, "JD Points gives no points for posts", file: file, line: line)
        XCTAssertTrue(page.contains { $0.what == "release" && ($0.reason ?? "").contains("now available") }, "due work has its own lines", file: file, line: line)
        XCTAssertTrue(page.allSatisfy { !($0.reason ?? "").isEmpty }, "every line has a reason", file: file, line: line)
        let next = try store.history(program: program.id, member: "ann", limit: 10, beforeSeq: page.last!.seq)
        XCTAssertEqual(next.count, 10, file: file, line: line)
        XCTAssertLessThan(next.first!.seq, page.last!.seq, file: file, line: line)
        XCTAssertEqual(try store.history(program: program.id, member: "nobody", limit: 10, beforeSeq: nil), [], file: file, line: line)
    }
}

extension StoreConformance {
    /// The entries are the webhook outbox: read in pages after a seq, and events derived from them
    /// across pages, passing over entries that make no event (debts paid, scheduled tier checks).
    static func entriesPageAndEventsPassOverEntriesThatMakeNone(_ store: any LedgerStore, file: StaticString, line: UInt) throws {
        try store.register(StoredProgram(id: "p", base: "jd-points", version: 1, source: "test"))
        let at = Instant(rfc3339: "2026-11-11T00:00:00Z")!
        // 600 entries that make no event (more than two of the store's pages), then two that do.
        var entries = (1...600).map { Entry(seq: Int64($0), member: "m-\($0 % 7)", at: at, kind: .payDebt, points: 1, reason: "debt paid") }
        entries.append(Entry(seq: 601, member: "ann", at: at, kind: .adjust, points: 5, reason: "goodwill"))
        entries.append(Entry(seq: 602, member: "bo", at: at, kind: .earn, points: 7, lot: 602, input: "i-1", rule: "r", reason: "7 points"))
        _ = try store.write(program: "p") { tx in try tx.append(CommitBatch(inputs: [], entries: entries), revision: 0) }

        XCTAssertEqual(try store.entries(program: "p", after: 0, limit: 3).map(\.seq), [1, 2, 3], file: file, line: line)
        XCTAssertEqual(try store.entries(program: "p", after: 599, limit: 10), Array(entries.suffix(3)), file: file, line: line)
        XCTAssertEqual(try store.entries(program: "p", after: 602, limit: 10), [], file: file, line: line)
        XCTAssertEqual(try store.entries(program: "nobody", after: 0, limit: 10), [], file: file, line: line)

        let events = LedgerEvent.derive(from: entries, inputTypes: [:])
        XCTAssertEqual(events.map(\.seq), [601, 602], file: file, line: line)
        XCTAssertEqual(try store.events(program: "p", after: 0, limit: 1), Array(events.prefix(1)), file: file, line: line)
        XCTAssertEqual(try store.events(program: "p", after: 0, limit: 100), events, file: file, line: line)
        XCTAssertEqual(try store.events(program: "p", after: 601, limit: 100), Array(events.suffix(1)), file: file, line: line)
        XCTAssertEqual(try store.events(program: "p", after: 602, limit: 100), [], file: file, line: line)
    }
}

final class StoreConformanceTests: XCTestCase {
    func testInMemoryStore() throws {
        try StoreConformance.run { InMemoryStore() }
    }

    func testSQLiteStore() throws {
        let folder = temporaryFolder()
        defer { removeFolder(folder) }
        var count = 0
        try StoreConformance.run {
            count += 1
            return try SQLiteStore(path: folder.appendingPathComponent("store-\(count).sqlite").path)
        }
    }

    /// SQLite's index by member leaves out the entries of a member's own inputs, which reads find
    /// through the input (`last_seq`); rows stored before that (migration 0006: `own` and
    /// `last_seq` NULL) are all in the index, and a member's entries and history read the same
    /// from either kind of row, and from a mix. The history's queries use the index.
    func testSQLiteFindsAMembersEntriesThroughTheInputsAndThroughTheIndex() throws {
        let folder = temporaryFolder()
        defer { removeFolder(folder) }
        let path = folder.appendingPathComponent("members.sqlite").path
        let store = try SQLiteStore(path: path)
        try StoreConformance.membersReadAsTheWholeLedgerSays(store)
        let programs = try presetsAndTheCoinsExample()
        let database = try DatabaseQueue(path: path)
        let indexed = { (program: String) in
            try database.read { db in
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM entries INDEXED BY entries_by_member WHERE program = ? AND own IS NOT 1",
                                 arguments: [program]) ?? 0
            }
        }
        let jd = try XCTUnwrap(programs.first { $0.id == "jd-points" })
        let total = try store.entries(program: jd.id).count
        XCTAssertLessThan(try indexed(jd.id), total / 2, "most entries are an input's own, outside the index")
        let plan = try database.read { db in
            try Row.fetchAll(db, sql: """
                EXPLAIN QUERY PLAN SELECT seq FROM entries WHERE program = ? AND member = ? AND own IS NOT 1 AND input IS NULL AND seq < ?
                ORDER BY seq DESC LIMIT ?
                """, arguments: ["jd-points", "alice", Int64.max, 10]).map { $0["detail"] as String }.joined(separator: "; ")
        }
        XCTAssertTrue(plan.contains("USING INDEX entries_by_member"), plan)
        // The inputs' own entries are found by the entries' key, from the inputs by member.
        let ownPlan = try database.read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + SQLiteStore.ownEntries(of: SQLiteStore.memberInputs + " AND seq < ? ORDER BY seq DESC LIMIT ?"),
                             arguments: ["jd-points", "alice", Int64.max, 10]).map { $0["detail"] as String }.joined(separator: "; ")
        }
        XCTAssertTrue(ownPlan.contains("USING INDEX inputs_by_member") && ownPlan.contains("SEARCH e USING PRIMARY KEY"), ownPlan)

        // Rows as a store before the migration wrote them (an input and its entries are written
        // in one commit): the older inputs of every program first, then all of them.
        try database.write { db in
            try db.execute(sql: "UPDATE inputs SET last_seq = NULL WHERE seq < 200")
            try db.execute(sql: """
                UPDATE entries SET own = NULL
                WHERE own = 1 AND EXISTS (SELECT 1 FROM inputs i WHERE i.program = entries.program AND i.id = entries.input AND i.last_seq IS NULL)
                """)
        }
        for program in programs { try StoreConformance.membersAgree(program, store) }
        try database.write { db in
            try db.execute(sql: "UPDATE entries SET own = NULL")
            try db.execute(sql: "UPDATE inputs SET last_seq = NULL")
        }
        XCTAssertEqual(try indexed(jd.id), total)
        for program in programs { try StoreConformance.membersAgree(program, store) }
    }

    func testPostgresStore() throws {
        try StoreConformance.run { try PostgresStore(url: try TestPostgres.freshDatabase(cleanup: self)) }
    }
}
