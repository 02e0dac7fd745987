import AccrueCore

/// A program as a store keeps it: its file's text, and the instance id it runs under.
public struct StoredProgram: Sendable, Equatable {
    /// The id the program runs under in this database (`store-123`).
    public var id: String
    /// The id in the program file (`aliexpress-store`); equal to `id` unless the program is an instance.
    public var base: String
    public var version: Int
    public var source: String

    public init(id: String, base: String, version: Int, source: String) {
        self.id = id
        self.base = base
        self.version = version
        self.source = source
    }
}

/// One record of a program's log, in the order it was applied: an input, or a step of the clock
/// (due work run up to a time without an input). Replaying the log reproduces the state exactly.
public enum LogRecord: Sendable, Equatable {
    case input(id: String, record: InputRecord)
    case advance(to: Instant)
    /// From here on the records were applied under this version of the program file.
    case program(version: Int)
}

/// The inputs of one batch and the changes they made, written in one transaction.
public struct CommitBatch: Sendable {
    /// Inputs to remember under their id, with their first outcome.
    public var inputs: [(id: String, record: InputRecord)]
    /// The time due work was run up to after the inputs, when the batch is a clock step.
    public var advancedTo: Instant?
    /// The version of the program file the batch was decided under; the store logs a change of
    /// version before the batch's records, so a replay switches program where the live run did.
    public var programVersion: Int?
    public var changes: Engine.Changes

    public init(inputs: [(id: String, record: InputRecord)], advancedTo: Instant? = nil, programVersion: Int? = nil,
                changes: Engine.Changes) {
        self.inputs = inputs
        self.advancedTo = advancedTo
        self.programVersion = programVersion
        self.changes = changes
    }
}

/// One line of a member's history: an input and its outcome, or due work (a release, an expiry).
public struct HistoryLine: Sendable, Codable, Equatable {
    public var seq: Int64
    public var at: Instant
    /// The input type, or the entry kind for due work.
    public var what: String
    public var input: String?
    public var status: OutcomeStatus?
    public var points: Int64
    public var reason: String?

    public init(seq: Int64, at: Instant, what: String, input: String?, status: OutcomeStatus?, points: Int64, reason: String?) {
        self.seq = seq
        self.at = at
        self.what = what
        self.input = input
        self.status = status
        self.points = points
        self.reason = reason
    }
}

/// A program's state with the revision it was read at: a commit names the revision it builds on,
/// so two writers can never both build on the same state.
public struct LoadedState: Sendable {
    public var state: ProgramState
    public var revision: Int64

    public init(state: ProgramState, revision: Int64) {
        self.state = state
        self.revision = revision
    }
}

/// Why a store refused a write.
public enum StoreError: Error, Equatable, CustomStringConvertible {
    /// Another writer committed since this state was read; reload and decide again.
    case staleRevision(program: String, expected: Int64)
    /// The program is not registered in this store.
    case unknownProgram(String)

    public var description: String {
        switch self {
        case let .staleRevision(program, expected):
            return "program \(program) changed since revision \(expected) was read (another writer?)"
        case let .unknownProgram(program):
            return "program \(program) is not registered in this database"
        }
    }
}

/// The storage port. Every implementation passes the same conformance suite.
public protocol LedgerStore: AnyObject, Sendable {
    /// Records a program's file, as a new version when its text changed.
    func register(_ program: StoredProgram) throws
    func program(_ id: String) throws -> StoredProgram?
    /// One recorded version of a program's file.
    func program(_ id: String, version: Int) throws -> StoredProgram?
    func programs() throws -> [StoredProgram]
    /// The whole state of a program and its revision (0 and an empty state before the first commit),
    /// read in one transaction; nil when the program is not registered.
    func load(program: String) throws -> LoadedState?
    /// What the store remembers of these input ids.
    func inputRecords(program: String, ids: [String]) throws -> [String: InputRecord]
    /// Writes a batch atomically and durably on top of `revision`, returning the new revision; when
    /// this returns, the batch survives a crash. Throws `StoreError.staleRevision` when another
    /// writer committed since, and writes nothing.
    func commit(program: String, batch: CommitBatch, revision: Int64) throws -> Int64
    /// Every entry of a program in ledger order.
    func entries(program: String) throws -> [Entry]
    /// One member's entries in ledger order.
    func entries(program: String, member: String) throws -> [Entry]
    /// A program's log: every remembered input and every clock step, in the order applied.
    func log(program: String) throws -> [LogRecord]
    /// A member's history, newest first.
    func history(program: String, member: String, limit: Int, beforeSeq: Int64?) throws -> [HistoryLine]
}

extension LedgerStore {
    /// Every remembered input of a program in the order it was applied.
    public func inputs(program: String) throws -> [(id: String, record: InputRecord)] {
        try log(program: program).compactMap { record in
            if case let .input(id, input) = record { return (id, input) }
            return nil
        }
    }

    /// The whole state of a program, or nil when it is not registered.
    public func loadState(program: String) throws -> ProgramState? { try load(program: program)?.state }
}
