import AccrueCore

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
    var report = VerifyReport(program: program.id)
    let state: ProgramState
    do {
        state = try ProgramLedger(program: program, store: store, programAt: programAt).engine.state
    } catch {
        // Any error, a replay mismatch or a stored record that does not decode, is damage to report.
        report.problems.append("the state cannot be loaded: \(error)")
        return report
    }
    let entries = try store.entries(program: program.id)
    report.members = state.members.count
    report.entries = entries.count
    report.problems += Audit.compare(entries: entries, state: state, program: program)
    for (index, entry) in entries.enumerated() where index > 0 && entry.seq <= entries[index - 1].seq {
        report.problems.append("entry \(entry.seq) is out of order")
    }

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
            report.problems.append("the checkpoint at revision \(checkpoint.revision) is under program version \(checkpoint.programVersion.map(String.init) ?? "none"), the log under \(logVersion.map(String.init) ?? "none")")
        }
        if engine.state != checkpoint.state {
            let differing = Set(engine.state.members.keys).union(checkpoint.state.members.keys)
                .filter { engine.state.members[$0] != checkpoint.state.members[$0] }
            report.problems.append("the checkpoint at revision \(checkpoint.revision) differs from the replayed log"
                                   + (differing.isEmpty ? "" : " for \(differing.sorted().prefix(5).joined(separator: ", "))"))
        }
    }
    let tail = try store.tail(program: program.id, after: 0)
    for (revision, record) in tail.records {
        compareCheckpoint(at: revision - 1)
        switch record {
        case let .input(id, stored):
            report.inputs += 1
            let outcome = engine.handle(Input.decode(Array(stored.canonical.utf8)), prior: nil)
            if outcome != stored.outcome {
                report.problems.append("input \(id): replay gives \(outcome.status.rawValue) \(outcome.points), stored \(stored.outcome.status.rawValue) \(stored.outcome.points)")
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
    if replayed != entries {
        let firstDifference = zip(replayed, entries).first(where: { $0 != $1 })
        report.problems.append("replaying the log gives \(replayed.count) entries, the ledger has \(entries.count)"
                               + (firstDifference.map { "; first difference at seq \($0.1.seq): \($0.0.reason) vs \($0.1.reason)" } ?? ""))
    }
    if engine.state != state {
        let differing = Set(engine.state.members.keys).union(state.members.keys).filter { engine.state.members[$0] != state.members[$0] }
        report.problems.append("replaying the log gives a different state" + (differing.isEmpty ? "" : " for \(differing.sorted().prefix(5).joined(separator: ", "))"))
    }
    return report
}
