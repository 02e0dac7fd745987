import AccrueCore

/// One program's engine kept in step with a store: load the state, decide with the core, write the
/// outcomes and entries of a whole batch in one transaction. Replay runs the same `Engine`.
public final class ProgramLedger {
    public let program: Program
    public let store: any LedgerStore
    public private(set) var engine: Engine
    /// The store revision the engine's state was read at or last committed as.
    public private(set) var revision: Int64
    /// The stored version of the program file this ledger decides under.
    public let programVersion: Int?
    /// How often a batch is decided again after another writer committed first.
    static let attempts = 5

    /// Loads the program's state from the store, or starts an empty one.
    public init(program: Program, store: any LedgerStore) throws {
        self.program = program
        self.store = store
        programVersion = try store.program(program.id)?.version
        guard let loaded = try store.load(program: program.id) else { throw StoreError.unknownProgram(program.id) }
        engine = Engine(program: program, state: loaded.state)
        revision = loaded.revision
    }

    /// Applies a batch of input lines and commits them together. Outcomes are returned only after
    /// the batch is durable. When another writer committed first, the state is reloaded and the
    /// batch decided again on top of it; on any other failure the engine is reloaded from the store
    /// and the error is thrown, so nothing half-applied survives.
    public func ingest(lines: [[UInt8]]) throws -> [Outcome] {
        let decoded = lines.map { Input.decode($0) }
        for attempt in 1...ProgramLedger.attempts {
            do {
                return try apply(decoded)
            } catch StoreError.staleRevision where attempt < ProgramLedger.attempts {
                try reload()
            }
        }
        throw StoreError.staleRevision(program: program.id, expected: revision)
    }

    private func apply(_ decoded: [DecodedInput]) throws -> [Outcome] {
        let ids = Array(Set(decoded.compactMap(\.id)))
        var known = try store.inputRecords(program: program.id, ids: ids)
        var remembered: [(id: String, record: InputRecord)] = []
        var outcomes: [Outcome] = []
        outcomes.reserveCapacity(decoded.count)
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
        for attempt in 1...ProgramLedger.attempts {
            do {
                engine.advance(to: time)
                try commit(inputs: [], advancedTo: time)
                return
            } catch StoreError.staleRevision where attempt < ProgramLedger.attempts {
                try reload()
            }
        }
    }

    private func reload() throws {
        guard let loaded = try store.load(program: program.id) else { throw StoreError.unknownProgram(program.id) }
        engine = Engine(program: program, state: loaded.state)
        revision = loaded.revision
    }

    private func commit(inputs: [(id: String, record: InputRecord)], advancedTo: Instant? = nil) throws {
        let changes = engine.drain()
        do {
            let batch = CommitBatch(inputs: inputs, advancedTo: advancedTo, programVersion: programVersion, changes: changes)
            revision = try store.commit(program: program.id, batch: batch, revision: revision)
        } catch {
            try? reload()
            throw error
        }
    }
}
