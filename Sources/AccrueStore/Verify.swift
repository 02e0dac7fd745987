import AccrueCore
import Foundation

/// The result of checking one program in a store.
public struct VerifyReport: Sendable {
    public var program: String
    public var members = 0, entries = 0, inputs = 0
    public var problems: [String] = []
}

/// Checks a program's ledger three ways: members rebuilt from the entries must equal the state
/// (the latest checkpoint plus the log after it); replaying the whole log through a fresh engine
/// must give the recorded outcomes, the same entries and the same state; and the checkpoint must
/// equal the replayed state at its revision.
///
/// The state is loaded first; everything after compares with it at its revision and its next seq
/// (what other writers commit meanwhile is for the next verify). The log and the entries are read
/// a page at a time and folded as they come (into the replay, the rebuild and each side's digest of
/// the entries), so that verify holds two states (the stored one and the replay's) and a page,
/// never the whole log or every entry: it held them all, 16 GB at 10M inputs. The rebuild from the
/// entries and the replay run at once, on two cores where there are two.
///
/// `programAt` gives the program as a given stored version of its file said; the replay switches to
/// it where the log says the live run did. Without it, every record is replayed under `program`.
/// `entriesPerPage` is how many entries are read at a time.
public func verify(_ program: Program, store: any LedgerStore, programAt: ((Int) throws -> Program)? = nil,
                   entriesPerPage: Int = 10_000) throws -> VerifyReport {
    var report = VerifyReport(program: program.id)
    let ledger: ProgramLedger
    do {
        ledger = try ProgramLedger(program: program, store: store, programAt: programAt)
    } catch {
        // Any error, a replay mismatch or a stored record that does not decode, is damage to report;
        // what keeps the state from loading stops the replay too.
        report.problems = ["the state cannot be loaded: \(error)"]
        return report
    }
    let state = ledger.engine.state
    let at = StoredAt(revision: ledger.revision, nextSeq: state.nextSeq, checkpoint: ledger.loadedCheckpoint, entriesPerPage: max(1, entriesPerPage))
    // The replay's entries are compared with the stored ones by a digest of each side (their
    // count and an order-sensitive hash), so that each side reads what it needs once; only when
    // the digests differ is the log replayed again beside the stored entries, to say where.
    let (auditSide, replaySide) = bothAtOnce({ try auditEntries(program, store: store, state: state, at: at) },
                                             { try replayLog(program, store: store, programAt: programAt, state: state, at: at, against: nil) })
    let audit = try auditSide.get()
    var replay = try replaySide.get()
    report.members = state.members.count
    report.entries = audit.digest.count
    report.inputs = replay.inputs
    if replay.digest != audit.digest {
        let stored = StoredEntries(store: store, program: program.id, below: at.nextSeq, pageSize: at.entriesPerPage)
        replay = try replayLog(program, store: store, programAt: programAt, state: state, at: at, against: stored)
    }
    report.problems = audit.problems + replay.problems
    if replay.state != state {
        let differing = Set(replay.state.members.keys).union(state.members.keys).filter { replay.state.members[$0] != state.members[$0] }
        report.problems.append("replaying the log gives a different state" + (differing.isEmpty ? "" : " for \(differing.sorted().prefix(5).joined(separator: ", "))"))
    }
    return report
}

/// Where the stored state verify compares with stands: its log revision, its next seq, and the
/// checkpoint it was loaded from.
private struct StoredAt {
    var revision: Int64
    var nextSeq: Int64
    var checkpoint: (revision: Int64, programVersion: Int?)
    var entriesPerPage: Int
}

/// How many entries a side saw and a hash of them in order: two sides with equal digests saw the
/// same entries (but for a 64-bit collision). Both sides hash with the process's one seed.
struct EntryDigest: Equatable {
    private(set) var count = 0
    private var hasher = Hasher()
    private var value: Int?

    mutating func add(_ entry: Entry) {
        count += 1
        entry.hash(into: &hasher)
    }

    /// The digest once every entry is added.
    mutating func finish() {
        value = hasher.finalize()
    }

    static func == (lhs: EntryDigest, rhs: EntryDigest) -> Bool {
        lhs.count == rhs.count && lhs.value != nil && lhs.value == rhs.value
    }
}

/// A program's entries below a seq, read from the store a page at a time, in ledger order.
struct StoredEntries {
    let store: any LedgerStore
    let program: String
    let below: Int64
    let pageSize: Int
    private var page: [Entry] = []
    private var index = 0
    private var after: Int64 = 0
    private var lastPage = false

    init(store: any LedgerStore, program: String, below: Int64, pageSize: Int) {
        self.store = store
        self.program = program
        self.below = below
        self.pageSize = pageSize
    }

    mutating func next() throws -> Entry? {
        if index == page.count {
            guard !lastPage else { return nil }
            page = try store.entries(program: program, after: after, limit: pageSize)
            index = 0
            lastPage = page.count < pageSize
            if let last = page.last { after = last.seq }
        }
        guard index < page.count, page[index].seq < below else {
            lastPage = true
            page = []
            index = 0
            return nil
        }
        defer { index += 1 }
        return page[index]
    }
}

/// Members rebuilt from the stored entries, compared with the stored state.
private func auditEntries(_ program: Program, store: any LedgerStore, state: ProgramState, at: StoredAt) throws -> (digest: EntryDigest, problems: [String]) {
    var rebuilding = Audit.Rebuilding(initialTier: program.tiers?.levels.first?.id)
    var entries = StoredEntries(store: store, program: program.id, below: at.nextSeq, pageSize: at.entriesPerPage)
    var digest = EntryDigest()
    while let entry = try entries.next() {
        rebuilding.add(entry)
        digest.add(entry)
    }
    digest.finish()
    var problems = Audit.compare(rebuilt: rebuilding.members, state: state, program: program)
    // Entries from the state's next seq on are another writer's commit, or entries no input made:
    // the latter when the log has not moved since the state was loaded.
    if let beyond = try store.entries(program: program.id, after: at.nextSeq - 1, limit: 1).first,
       try store.revision(program: program.id) == at.revision {
        problems.append("the ledger has entries from seq \(beyond.seq) on, beyond the state's last (\(at.nextSeq - 1)), that no input made")
    }
    return (digest, problems)
}

/// The log up to the stored state's revision replayed through a fresh engine, a range of
/// revisions at a time: the state it gives, the digest of its entries, and where it differs from
/// the recorded outcomes and the checkpoint; with `stored`, also where its entries differ from
/// those, read alongside.
private func replayLog(_ program: Program, store: any LedgerStore, programAt: ((Int) throws -> Program)?, state: ProgramState, at: StoredAt,
                       against stored: StoredEntries?)
    throws -> (state: ProgramState, digest: EntryDigest, inputs: Int, problems: [String]) {
    var problems: [String] = []
    var inputs = 0
    var engine = Engine(program: program)
    // The checkpoint to compare: when no log follows it, it is the stored state itself (loaded from
    // it with nothing replayed on top); otherwise it is read again (a server's ledger between
    // checkpoints), and dropped once compared.
    var checkpoint: Checkpoint?
    if at.checkpoint.revision > 0 {
        if at.checkpoint.revision == at.revision {
            checkpoint = Checkpoint(state: state, revision: at.revision, programVersion: at.checkpoint.programVersion)
        } else if let stored = try store.load(program: program.id), stored.revision <= at.revision {
            checkpoint = stored
        }
    }
    // The program version the log is in, as its markers say.
    var logVersion: Int?
    func compareCheckpoint(at revision: Int64) {
        guard let expected = checkpoint, revision >= expected.revision else { return }
        checkpoint = nil
        if expected.programVersion != logVersion {
            problems.append("the checkpoint at revision \(expected.revision) is under program version \(expected.programVersion.map(String.init) ?? "none"), the log under \(logVersion.map(String.init) ?? "none")")
        }
        if engine.state != expected.state {
            let differing = Set(engine.state.members.keys).union(expected.state.members.keys)
                .filter { engine.state.members[$0] != expected.state.members[$0] }
            problems.append("the checkpoint at revision \(expected.revision) differs from the replayed log"
                            + (differing.isEmpty ? "" : " for \(differing.sorted().prefix(5).joined(separator: ", "))"))
        }
    }
    // The replayed entries into the digest, and against the stored ones as they come when asked.
    var digest = EntryDigest()
    var stored = stored
    var storedCount = 0
    var firstDifference: (replayed: Entry, stored: Entry)?
    func compare(_ entries: [Entry]) throws {
        for entry in entries {
            digest.add(entry)
            guard let other = try stored?.next() else { continue }
            storedCount += 1
            if firstDifference == nil, other != entry { firstDifference = (entry, other) }
        }
    }
    var after: Int64 = 0
    var span: Int64 = 16
    while after < at.revision {
        let last = min(at.revision, after + span)
        let page = try store.tail(program: program.id, after: after, through: last)
        for (revision, record) in page.records {
            compareCheckpoint(at: revision - 1)
            switch record {
            case let .input(id, stored):
                inputs += 1
                let outcome = engine.handle(Input.decode(Array(stored.canonical.utf8)), prior: nil)
                if outcome != stored.outcome {
                    problems.append("input \(id): replay gives \(outcome.status.rawValue) \(outcome.points), stored \(stored.outcome.status.rawValue) \(stored.outcome.points)")
                }
            case let .advance(step):
                engine.advance(step)
            case let .program(version):
                logVersion = version
                if let programAt {
                    engine = Engine(program: try programAt(version), state: engine.state)
                }
            }
            try compare(engine.drain().entries)
        }
        // About 20,000 records a page, whatever the size of the commits.
        let perRevision = max(1, page.records.count / Int(last - after))
        span = Int64(max(1, min(65_536, 20_000 / perRevision)))
        after = last
    }
    compareCheckpoint(at: at.revision)
    digest.finish()
    if stored != nil {
        while try stored?.next() != nil { storedCount += 1 }
    }
    if stored != nil, digest.count != storedCount || firstDifference != nil {
        problems.append("replaying the log gives \(digest.count) entries, the ledger has \(storedCount)"
                        + (firstDifference.map { "; first difference at seq \($0.stored.seq): \($0.replayed.reason) vs \($0.stored.reason)" } ?? ""))
    }
    return (engine.state, digest, inputs, problems)
}

/// Runs `first` and `second` at once when the machine has more than one core, and returns what
/// each gave or threw.
func bothAtOnce<A, B>(_ first: @escaping () throws -> A, _ second: @escaping () throws -> B) -> (Result<A, any Error>, Result<B, any Error>) {
    guard ProcessInfo.processInfo.activeProcessorCount > 1 else { return (Result { try first() }, Result { try second() }) }
    let jobs = TwoJobs(first, second)
    DispatchQueue.concurrentPerform(iterations: 2) { index in jobs.run(index) }
    return (jobs.firstResult!, jobs.secondResult!)
}

/// The two jobs of `bothAtOnce` and their results. Each thread runs one job and writes its own
/// result; both are read after both threads are done.
private final class TwoJobs<A, B>: @unchecked Sendable {
    private let first: () throws -> A
    private let second: () throws -> B
    var firstResult: Result<A, any Error>?
    var secondResult: Result<B, any Error>?

    init(_ first: @escaping () throws -> A, _ second: @escaping () throws -> B) {
        self.first = first
        self.second = second
    }

    func run(_ index: Int) {
        if index == 0 { firstResult = Result { try first() } } else { secondResult = Result { try second() } }
    }
}
