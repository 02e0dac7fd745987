import AccrueCore

/// The result of checking one program in a store.
public struct VerifyReport: Sendable {
    public var program: String
    public var members = 0, entries = 0, inputs = 0
    public var problems: [String] = []
}

/// Checks a program's ledger two ways: members rebuilt from the entries must equal the stored
/// state, and replaying the stored inputs through a fresh engine must give the same outcomes,
/// the same entries and the same state.
/// `programAt` gives the program as a given stored version of its file said; the replay switches to
/// it where the log says the live run did. Without it, every record is replayed under `program`.
public func verify(_ program: Program, store: any LedgerStore, programAt: ((Int) throws -> Program)? = nil) throws -> VerifyReport {
    var report = VerifyReport(program: program.id)
    let state = try store.loadState(program: program.id) ?? ProgramState()
    let entries = try store.entries(program: program.id)
    report.members = state.members.count
    report.entries = entries.count
    report.problems += Audit.compare(entries: entries, state: state, program: program)
    for (index, entry) in entries.enumerated() where index > 0 && entry.seq <= entries[index - 1].seq {
        report.problems.append("entry \(entry.seq) is out of order")
    }
    let log = try store.log(program: program.id)
    var engine = Engine(program: program)
    var replayed: [Entry] = []
    for record in log {
        switch record {
        case let .input(id, stored):
            report.inputs += 1
            let outcome = engine.handle(Input.decode(Array(stored.canonical.utf8)), prior: nil)
            if outcome != stored.outcome {
                report.problems.append("input \(id): replay gives \(outcome.status.rawValue) \(outcome.points), stored \(stored.outcome.status.rawValue) \(stored.outcome.points)")
            }
        case let .advance(time):
            engine.advance(to: time)
        case let .program(version):
            if let programAt {
                engine = Engine(program: try programAt(version), state: engine.state)
            }
        }
        replayed += engine.drain().entries
    }
    if let clock = state.clock { engine.advance(to: clock) }
    replayed += engine.drain().entries
    if replayed != entries {
        let firstDifference = zip(replayed, entries).first(where: { $0 != $1 })
        report.problems.append("replaying the inputs gives \(replayed.count) entries, the ledger has \(entries.count)"
                               + (firstDifference.map { "; first difference at seq \($0.1.seq): \($0.0.reason) vs \($0.1.reason)" } ?? ""))
    }
    if engine.state != state {
        let differing = Set(engine.state.members.keys).union(state.members.keys).filter { engine.state.members[$0] != state.members[$0] }
        report.problems.append("replaying the inputs gives a different state" + (differing.isEmpty ? "" : " for \(differing.sorted().prefix(5).joined(separator: ", "))"))
    }
    return report
}

