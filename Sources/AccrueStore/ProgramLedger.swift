import AccrueCore

/// One program's engine kept in step with a store: load the state, decide with the core, write the
/// outcomes and entries of a whole batch in one transaction. Replay runs the same `Engine`.
public final class ProgramLedger {
    public let program: Program
    public let store: any LedgerStore
    public private(set) var engine: Engine

    /// Loads the program's state from the store, or starts an empty one.
    public init(program: Program, store: any LedgerStore) throws {
        self.program = program
        self.store = store
        engine = Engine(program: program, state: try store.loadState(program: program.id) ?? ProgramState())
    }

    /// Applies a batch of input lines and commits them together. Outcomes are returned only after
    /// the batch is durable; when the commit fails, the engine is reloaded from the store and the
    /// error is thrown, so nothing half-applied survives.
    public func ingest(lines: [[UInt8]]) throws -> [Outcome] {
        let decoded = lines.map { Input.decode($0) }
        let ids = Array(Set(decoded.compactMap(\.id)))
        var known = try store.inputRecords(program: program.id, ids: ids)
        var remembered: [(id: String, record: InputRecord)] = []
        var outcomes: [Outcome] = []
        outcomes.reserveCapacity(lines.count)
        for input in decoded {
            let outcome = engine.handle(input, prior: input.id.flatMap { known[$0] })
            if let id = input.id, let canonical = input.canonical, known[id] == nil, outcome.code != .conflict {
                let record = InputRecord(canonical: canonical, outcome: outcome)
                known[id] = record
                remembered.append((id, record))
            }
            outcomes.append(outcome)
        }
        try commit(inputs: remembered)
        return outcomes
    }

    /// Runs due work up to `time` and commits what it did.
    public func advance(to time: Instant) throws {
        engine.advance(to: time)
        try commit(inputs: [])
    }

    private func commit(inputs: [(id: String, record: InputRecord)]) throws {
        let changes = engine.drain()
        do {
            try store.commit(program: program.id, batch: CommitBatch(inputs: inputs, changes: changes))
        } catch {
            engine = Engine(program: program, state: (try? store.loadState(program: program.id)) ?? ProgramState())
            throw error
        }
    }
}
