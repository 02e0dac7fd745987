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
/// `programAt` gives the program as a given stored version of its file said; the replay switches to
/// it where the log says the live run did. Without it, every record is replayed under `program`.
public func verify(_ program: Program, store: any LedgerStore, programAt: ((Int) throws -> Program)? = nil) throws -> VerifyReport {
    // The ledger as stored and a replay of the whole log are independent until they are compared:
    // they run at once, on two cores where there are two.
    let (storedSide, replaySide) = bothAtOnce({ try readStored(program, store: store, programAt: programAt) },
                                              { try replayLog(program, store: store, programAt: programAt) })
    let stored = try storedSide.get()
    var report = VerifyReport(program: program.id)
    guard let state = stored.state else {
        // What keeps the state from loading (a record that does not decode) stops the replay too.
        report.problems = stored.problems
        return report
    }
    let replay = try replaySide.get()
    report.members = state.members.count
    report.entries = stored.entries.count
    report.inputs = replay.inputs
    report.problems = stored.problems + replay.problems
    if replay.entries != stored.entries {
        let firstDifference = zip(replay.entries, stored.entries).first(where: { $0 != $1 })
        report.problems.append("replaying the log gives \(replay.entries.count) entries, the ledger has \(stored.entries.count)"
                               + (firstDifference.map { "; first difference at seq \($0.1.seq): \($0.0.reason) vs \($0.1.reason)" } ?? ""))
    }
    if replay.state != state {
        let differing = Set(replay.state.members.keys).union(state.members.keys).filter { replay.state.members[$0] != state.members[$0] }
        report.problems.append("replaying the log gives a different state" + (differing.isEmpty ? "" : " for \(differing.sorted().prefix(5).joined(separator: ", "))"))
    }
    return report
}

/// The ledger as stored: the state (the latest checkpoint plus the log after it), the entries,
/// and what comparing them found. No state when it cannot be loaded (the problem says why).
private func readStored(_ program: Program, store: any LedgerStore, programAt: ((Int) throws -> Program)?)
    throws -> (state: ProgramState?, entries: [Entry], problems: [String]) {
    let state: ProgramState
    do {
        state = try ProgramLedger(program: program, store: store, programAt: programAt).engine.state
    } catch {
        // Any error, a replay mismatch or a stored record that does not decode, is damage to report.
        return (nil, [], ["the state cannot be loaded: \(error)"])
    }
    let entries = try store.entries(program: program.id)
    var problems = Audit.compare(entries: entries, state: state, program: program)
    for (index, entry) in entries.enumerated() where index > 0 && entry.seq <= entries[index - 1].seq {
        problems.append("entry \(entry.seq) is out of order")
    }
    return (state, entries, problems)
}

/// The whole log replayed through a fresh engine: the entries and state it gives, and where it
/// differs from the recorded outcomes and from the checkpoint.
private func replayLog(_ program: Program, store: any LedgerStore, programAt: ((Int) throws -> Program)?)
    throws -> (state: ProgramState, entries: [Entry], inputs: Int, problems: [String]) {
    var problems: [String] = []
    var inputs = 0
    let checkpoint = try store.load(program: program.id)
    var engine = Engine(program: program)
    var replayed: [Entry] = []
    var checkpointChecked = checkpoint == nil || checkpoint!.revision == 0
    // The program version the log is in, as its markers say.
    var logVersion: Int?
    func compareCheckpoint(at revision: Int64) {
        guard !checkpointChecked, let checkpoint, revision >= checkpoint.revision else { return }
        checkpointChecked = true
        if checkpoint.programVersion != logVersion {
            problems.append("the checkpoint at revision \(checkpoint.revision) is under program version \(checkpoint.programVersion.map(String.init) ?? "none"), the log under \(logVersion.map(String.init) ?? "none")")
        }
        if engine.state != checkpoint.state {
            let differing = Set(engine.state.members.keys).union(checkpoint.state.members.keys)
                .filter { engine.state.members[$0] != checkpoint.state.members[$0] }
            problems.append("the checkpoint at revision \(checkpoint.revision) differs from the replayed log"
                            + (differing.isEmpty ? "" : " for \(differing.sorted().prefix(5).joined(separator: ", "))"))
        }
    }
    let tail = try store.tail(program: program.id, after: 0)
    for (revision, record) in tail.records {
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
        replayed += engine.drain().entries
    }
    compareCheckpoint(at: tail.revision)
    return (engine.state, replayed, inputs, problems)
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
