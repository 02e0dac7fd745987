import AccrueCore
import Synchronization

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

/// One record of a program's log, in the order it was applied: an input, a step of the clock (due
/// work run up to a time without an input), or a change of program-file version. Replaying the log
/// from an empty state, or from a checkpoint, reproduces the state exactly.
public enum LogRecord: Sendable, Equatable {
    case input(id: String, record: InputRecord)
    case advance(ClockStep)
    /// From here on the records were applied under this version of the program file.
    case program(version: Int)
}

/// Log records after some revision, each with the revision of the commit that wrote it, and the
/// program's current revision.
public struct LogTail: Sendable {
    public var records: [(revision: Int64, record: LogRecord)]
    public var revision: Int64

    public init(records: [(revision: Int64, record: LogRecord)], revision: Int64) {
        self.records = records
        self.revision = revision
    }
}

/// A program's state exactly as it was at one revision of its log.
public struct Checkpoint: Sendable {
    public var state: ProgramState
    public var revision: Int64
    /// The program-file version in effect at that revision (nil before any commit).
    public var programVersion: Int?

    public init(state: ProgramState, revision: Int64, programVersion: Int?) {
        self.state = state
        self.revision = revision
        self.programVersion = programVersion
    }
}

/// What one commit appends to a program's log.
public struct CommitBatch: Sendable {
    /// Inputs to remember under their id, with their first outcome.
    public var inputs: [(id: String, record: InputRecord)]
    /// The step of due work run after the inputs, when the batch is a clock step.
    public var advancedTo: ClockStep?
    /// The version of the program file the batch was decided under; the store logs a change of
    /// version before the batch's records, so a replay switches program where the live run did.
    public var programVersion: Int?
    /// The entries, which are also the webhook outbox (events are derived from them at delivery).
    public var entries: [Entry]

    public init(inputs: [(id: String, record: InputRecord)], advancedTo: ClockStep? = nil, programVersion: Int? = nil, entries: [Entry]) {
        self.inputs = inputs
        self.advancedTo = advancedTo
        self.programVersion = programVersion
        self.entries = entries
    }

    public var isEmpty: Bool { inputs.isEmpty && advancedTo == nil && entries.isEmpty }
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
    /// When `points` are in another of the program's currencies: its code.
    public var currency: String?
    /// What the input earned in the program's other currencies, by code.
    public var currencies: [String: Int64]?

    public init(seq: Int64, at: Instant, what: String, input: String?, status: OutcomeStatus?, points: Int64, reason: String?,
                currency: String? = nil, currencies: [String: Int64]? = nil) {
        self.currency = currency
        self.currencies = currencies
        self.seq = seq
        self.at = at
        self.what = what
        self.input = input
        self.status = status
        self.points = points
        self.reason = reason
    }
}

/// Why a store refused a write or a ledger could not load.
public enum StoreError: Error, Equatable, CustomStringConvertible {
    /// The log moved on from the revision a write was decided on (a second writer without the lock).
    case staleRevision(program: String, expected: Int64)
    /// The program is not registered in this store.
    case unknownProgram(String)
    /// Replaying the log did not give the outcome it recorded: the program file changed without a
    /// new version, or the data is damaged.
    case replayMismatch(program: String, input: String)

    public var description: String {
        switch self {
        case let .staleRevision(program, expected):
            return "program \(program) changed since revision \(expected) was read"
        case let .unknownProgram(program):
            return "program \(program) is not registered in this database"
        case let .replayMismatch(program, input):
            return "replaying \(program)'s log gives another outcome for input \(input) than the one recorded"
        }
    }
}

/// What a writer may do inside one transaction that holds its program's write lock: no other
/// writer can commit to the program until it ends, and everything in it commits or none of it.
public protocol LedgerWriteTransaction {
    /// The log records committed after `revision`, and the current revision.
    func tail(after revision: Int64) throws -> LogTail
    /// What the store remembers of these input ids.
    func inputRecords(ids: [String]) throws -> [String: InputRecord]
    /// Appends a batch on top of `revision` (which must be current) and returns the new revision.
    func append(_ batch: CommitBatch, revision: Int64) throws -> Int64
    /// Records the state at the rows' revision (the current one, or an earlier one when the
    /// checkpoint was taken off the writers' path): the header and the members, orders and bookings
    /// that changed since the previous checkpoint. Returns false, writing nothing, when the store
    /// already holds a checkpoint of a later revision.
    func checkpoint(_ rows: CheckpointRows) throws -> Bool
}

/// A checkpoint ready to write: the header state and the changed members, orders and bookings, as
/// values in order of their ids. The records are encoded step by step as they are written
/// (`forEachStep`), so that a checkpoint of many records (a year-end sweep touches every member)
/// never holds all their texts at once: encoding them all first was an eighth of ingest's peak
/// memory. A server encodes each step off the writers' path, before the step's transaction.
public struct CheckpointRows: Sendable {
    public let checkpoint: Checkpoint
    public let members: SortedRecords<MemberState>
    public let orders: SortedRecords<OrderRecord>
    public let bookings: SortedRecords<Booking>
    public let header: String
    /// Time spent encoding records so far, for a server's metrics (steps are encoded as they are
    /// written, so the write's time includes it).
    public let encoding = EncodingTime()

    /// Puts the records in order of their ids (taking a checkpoint leaves them in any order, so
    /// that the writers' queue never sorts) and encodes the header.
    public init(_ checkpoint: Checkpoint, members: [MemberState], orders: [OrderRecord], bookings: [Booking]) throws {
        self.checkpoint = checkpoint
        self.members = SortedRecords(members)
        self.orders = SortedRecords(orders)
        self.bookings = SortedRecords(bookings)
        header = try StoredJSON.encode(checkpoint.state)
    }

    public var revision: Int64 { checkpoint.revision }

    /// A checkpoint taken off the writers' path.
    public init(_ pending: PendingCheckpoint) throws {
        try self.init(pending.checkpoint, members: pending.members, orders: pending.orders, bookings: pending.bookings)
    }

    /// Runs `body` on the records in steps of at most `bytes` of encoded state (one record at
    /// least) and at most 64 members or 256 orders or bookings, each step encoded when it is
    /// reached; once with an empty step when there is nothing, so that a header's transaction
    /// still checks the revision first. Stops, answering false, when `body` does.
    public func forEachStep(bytes: Int, _ body: (CheckpointStep) throws -> Bool) throws -> Bool {
        var any = false
        func chunks<Record>(_ records: SortedRecords<Record>, most: Int, encode: (Record) throws -> String,
                            step: (Range<Int>, [String]) -> CheckpointStep) throws -> Bool {
            for chunk in stride(from: 0, to: records.count, by: most) {
                let range = chunk..<min(chunk + most, records.count)
                let started = ContinuousClock.now
                let states = try records[range].map(encode)
                encoding.add(started.duration(to: .now))
                var start = 0, size = 0
                for (index, state) in states.enumerated() {
                    if index > start, size + state.utf8.count > bytes {
                        any = true
                        guard try body(step(range.lowerBound + start..<range.lowerBound + index, Array(states[start..<index]))) else { return false }
                        start = index
                        size = 0
                    }
                    size += state.utf8.count
                }
                any = true
                guard try body(step(range.lowerBound + start..<range.upperBound, Array(states[start...]))) else { return false }
            }
            return true
        }
        guard try chunks(members, most: 64, encode: StoredJSON.encode, step: { CheckpointStep(members: $0, states: $1) }),
              try chunks(orders, most: 256, encode: StoredJSON.encode, step: { CheckpointStep(orders: $0, states: $1) }),
              try chunks(bookings, most: 256, encode: StoredJSON.encode, step: { CheckpointStep(bookings: $0, states: $1) }) else { return false }
        return any ? true : try body(CheckpointStep())
    }
}

/// Records in order of their ids, without a sorted copy of them: the records as taken, and their
/// places sorted. (A checkpoint's sorted copies were a tenth of ingest's peak memory.)
public struct SortedRecords<Record: Keyed & Sendable>: RandomAccessCollection, Sendable {
    private let records: [Record]
    private let order: [Int]

    public init(_ records: [Record]) {
        self.records = records
        order = records.indices.sorted { records[$0].id < records[$1].id }
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { order.count }
    public subscript(position: Int) -> Record { records[order[position]] }
}

/// The storage port. Every implementation passes the same conformance suite.
///
/// A store keeps each program's log (inputs with their first outcome, clock steps, program
/// versions), its ledger entries, and checkpoints of its state. The state now is the latest
/// checkpoint plus the log after it, replayed by the same engine that decided it.
public protocol LedgerStore: AnyObject, Sendable {
    /// Records a program's file, as a new version when its text changed.
    func register(_ program: StoredProgram) throws
    /// Records a program that must be new: false, with nothing written, when the id is taken (two
    /// servers creating one program at once: exactly one succeeds).
    func create(_ program: StoredProgram) throws -> Bool
    func program(_ id: String) throws -> StoredProgram?
    /// One recorded version of a program's file.
    func program(_ id: String, version: Int) throws -> StoredProgram?
    func programs() throws -> [StoredProgram]
    /// The latest checkpoint (an empty state at revision 0 before the first), or nil when the
    /// program is not registered.
    func load(program: String) throws -> Checkpoint?
    /// The log records committed after `revision` and at or before `last`, and the current
    /// revision: a reader of a long log (verify) takes it a range of revisions at a time.
    func tail(program: String, after revision: Int64, through last: Int64) throws -> LogTail
    /// The program's current log revision (0 before any commit or for an unknown program): one
    /// cheap read, so that a reader only fetches the log when something was committed.
    func revision(program: String) throws -> Int64
    /// Runs `body` in one transaction holding the program's write lock; durable when it returns.
    func write<T>(program: String, _ body: (any LedgerWriteTransaction) throws -> T) throws -> T
    /// What the store remembers of these input ids.
    func inputRecords(program: String, ids: [String]) throws -> [String: InputRecord]
    /// Every entry of a program in ledger order.
    func entries(program: String) throws -> [Entry]
    /// One member's entries in ledger order.
    func entries(program: String, member: String) throws -> [Entry]
    /// The entries one input made, for any member (a draw's reveal spends and rewards many), in
    /// ledger order: what "why" shows beside the input's outcome. They follow the input's own seq
    /// and come before the next input's, so a store reads that range, not the member's entries.
    func entries(program: String, input: String) throws -> [Entry]
    /// Up to `limit` entries of a program after `seq`, in ledger order: the webhook outbox's page.
    func entries(program: String, after seq: Int64, limit: Int) throws -> [Entry]
    /// A member's history, newest first.
    func history(program: String, member: String, limit: Int, beforeSeq: Int64?) throws -> [HistoryLine]
    /// Members whose report columns (balance, pending, held, tier) disagree with the state stored
    /// beside them, one sentence each; `verify` checks them.
    func summaryMismatches(program: String) throws -> [String]
    /// Writes a checkpoint taken at an earlier commit, outside any commit: in one write transaction,
    /// or, where the store keeps records by generation (SQLite, PostgreSQL), in short steps so that
    /// commits go ahead between them (`CheckpointRows.writeInSteps`).
    /// False, with the header unmoved, when a checkpoint of a later revision was stored first.
    func writeCheckpoint(program: String, _ rows: CheckpointRows) throws -> Bool
}

extension LedgerStore {
    public func writeCheckpoint(program: String, _ rows: CheckpointRows) throws -> Bool {
        try write(program: program) { tx in try tx.checkpoint(rows) }
    }

    public func revision(program: String) throws -> Int64 {
        try tail(program: program, after: Int64.max).revision
    }

    /// Up to `limit` webhook events of a program after `seq`, in seq order, derived from the entries
    /// after it (entries that make no event, such as a debt paid, are passed over).
    public func events(program: String, after seq: Int64, limit: Int) throws -> [LedgerEvent] {
        guard limit > 0 else { return [] }
        var events: [LedgerEvent] = []
        var cursor = seq
        let page = max(limit, 256)
        while events.count < limit {
            let entries = try entries(program: program, after: cursor, limit: page)
            guard let last = entries.last else { break }
            let typed = LedgerEvent.inputsTyped(in: entries)
            var types: [String: String] = [:]
            if !typed.isEmpty {
                for (id, record) in try inputRecords(program: program, ids: typed) { types[id] = record.outcome.type }
            }
            events += LedgerEvent.derive(from: entries, inputTypes: types)
            guard entries.count == page else { break }
            cursor = last.seq
        }
        return Array(events.prefix(limit))
    }

    /// A store without report columns has nothing to disagree.
    public func summaryMismatches(program: String) throws -> [String] { [] }

    /// The log records committed after `revision`, and the current revision.
    public func tail(program: String, after revision: Int64) throws -> LogTail {
        try tail(program: program, after: revision, through: .max)
    }

    /// A program's whole log in order.
    public func log(program: String) throws -> [LogRecord] {
        try tail(program: program, after: 0).records.map(\.record)
    }

    /// Every remembered input of a program in the order it was applied.
    public func inputs(program: String) throws -> [(id: String, record: InputRecord)] {
        try log(program: program).compactMap { record in
            if case let .input(id, input) = record { return (id, input) }
            return nil
        }
    }
}

/// A running total of time, shared by the copies of a value that measures itself.
public final class EncodingTime: Sendable {
    private let total = Atomic<UInt64>(0)

    public var nanoseconds: UInt64 { total.load(ordering: .relaxed) }

    func add(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        total.add(UInt64(max(0, seconds)) * 1_000_000_000 + UInt64(max(0, attoseconds)) / 1_000_000_000, ordering: .relaxed)
    }
}

/// The records of a checkpoint one transaction writes: ranges of its members, orders and bookings
/// (a step has records of one kind), with their encoded states in the same order. A checkpoint
/// written off the writers' path goes in such steps, so that no transaction holds a program's
/// writers back for long.
public struct CheckpointStep: Sendable, Equatable {
    public var members: Range<Int> = 0..<0
    public var orders: Range<Int> = 0..<0
    public var bookings: Range<Int> = 0..<0
    /// The stored JSON of the step's records (empty in a step that only names records, to drop).
    public var states: [String] = []

    public init(members: Range<Int> = 0..<0, orders: Range<Int> = 0..<0, bookings: Range<Int> = 0..<0, states: [String] = []) {
        self.members = members
        self.orders = orders
        self.bookings = bookings
        self.states = states
    }

    /// Every record of the checkpoint, named only.
    public init(all rows: CheckpointRows) {
        self.init(members: rows.members.indices, orders: rows.orders.indices, bookings: rows.bookings.indices)
    }

    /// The encoded state of the record at `index` of the checkpoint's members, orders or
    /// bookings (whichever the step holds).
    public func state(at index: Int) -> String {
        let start = !members.isEmpty ? members.lowerBound : !orders.isEmpty ? orders.lowerBound : bookings.lowerBound
        return states[index - start]
    }

    /// The same records, named only: what dropping their older generations needs.
    public var named: CheckpointStep { CheckpointStep(members: members, orders: orders, bookings: bookings) }
}

extension CheckpointRows {
    /// Writes the checkpoint in steps, the way both stores do off the writers' path: each step's
    /// records under the checkpoint's generation (`records` answers false when a later
    /// checkpoint is stored already, and nothing more is written), then the header moved
    /// (`header`, false in the same case), then each step's older generations dropped. A load
    /// reads each record's newest generation not after the header, so until the header moves the
    /// steps are invisible, and once it has the dropped records are no longer read. False when
    /// a later checkpoint was stored first.
    public func writeInSteps(of bytes: Int, records: (CheckpointStep) throws -> Bool, header: () throws -> Bool,
                             drop: (CheckpointStep) throws -> Void) throws -> Bool {
        var written: [CheckpointStep] = []
        guard try forEachStep(bytes: bytes, { step in
            guard try records(step) else { return false }
            written.append(step.named)
            return true
        }) else { return false }
        guard try header() else { return false }
        for step in written { try drop(step) }
        return true
    }
}
