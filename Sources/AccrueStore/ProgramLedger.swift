import AccrueCore
import Dispatch
import Foundation

/// A checkpoint taken at a revision and not written yet (see `ProgramLedger.deferCheckpoints`).
public struct PendingCheckpoint: Sendable {
    public let id: Int
    public let program: String
    public let checkpoint: Checkpoint
    public let members: [MemberState]
    public let orders: [OrderRecord]
    public let bookings: [Booking]

    /// The same records at another revision: a checkpoint taken when a batch was decided, before
    /// its commit gave the revision it is at.
    func at(revision: Int64) -> PendingCheckpoint {
        PendingCheckpoint(id: id, program: program,
                          checkpoint: Checkpoint(state: checkpoint.state, revision: revision, programVersion: checkpoint.programVersion),
                          members: members, orders: orders, bookings: bookings)
    }

    /// Encodes and writes the checkpoint in transactions of its own, on any thread (it holds only
    /// values); a failure is reported, not thrown.
    public func write(to store: any LedgerStore) -> CheckpointWritten {
        let start = DispatchTime.now().uptimeNanoseconds
        do {
            let rows = try CheckpointRows(self)
            let encoded = DispatchTime.now().uptimeNanoseconds
            let written = try store.writeCheckpoint(program: program, rows)
            let took = DispatchTime.now().uptimeNanoseconds - start
            // Records are encoded step by step between the write's transactions.
            let encoding = encoded - start + rows.encoding.nanoseconds
            return CheckpointWritten(written: written, failed: false, nanoseconds: took, encodingNanoseconds: min(encoding, took))
        } catch {
            return CheckpointWritten(written: false, failed: true, nanoseconds: DispatchTime.now().uptimeNanoseconds - start, encodingNanoseconds: 0)
        }
    }
}

/// What writing a checkpoint taken off the writers' path came to.
public struct CheckpointWritten: Sendable {
    /// Whether it is the stored checkpoint now (a later one stored first leaves it unwritten).
    public let written: Bool
    /// Whether it failed with an error (the disk is full, say).
    public let failed: Bool
    /// From the start of its encoding to its last write.
    public let nanoseconds: UInt64
    /// Of that, encoding the records.
    public let encodingNanoseconds: UInt64

    /// How long the next checkpoint waits after a written one: `checkpointPause` times as long as
    /// this one took (at most a minute), so that writing checkpoints takes at most a quarter of
    /// the time however big they grow (a member's record holds all its lots) and however fast
    /// inputs come.
    public var pause: UInt64 { written ? min(nanoseconds * CheckpointWritten.checkpointPause, 60 * 1_000_000_000) : 0 }

    public static let checkpointPause: UInt64 = 3
}

/// One program's engine kept in step with a store. The state is the latest checkpoint plus the log
/// after it, replayed by the same engine; a write takes the program's lock, catches up with what
/// other writers committed, decides the batch and appends it, all in one transaction.
///
/// A ledger is not safe to share between threads: give it one owner (an actor in a server).
public final class ProgramLedger {
    public let program: Program
    public let store: any LedgerStore
    public private(set) var engine: Engine
    /// The log revision the engine's state corresponds to.
    public private(set) var revision: Int64
    /// The revision and program-file version of the checkpoint the state was last loaded from
    /// (the log after it was replayed on top): verify compares it with its own replay.
    public private(set) var loadedCheckpoint: (revision: Int64, programVersion: Int?)
    /// The stored version of the program file this ledger decides under.
    public let programVersion: Int?
    /// Inputs between automatic checkpoints; a checkpoint bounds how much log a load replays.
    public var checkpointInterval: Int
    /// Gives the program as another stored version of its file said, for replaying log written
    /// under it; without it, such log is replayed under `program`.
    private let programAt: ((Int) throws -> Program)?
    /// The program-file version the engine currently runs.
    private var engineVersion: Int?
    /// The program-file version the log is in at `revision` (its latest marker): what a checkpoint
    /// records, so that a load replays the log after it under the version it was decided under.
    /// It differs from `engineVersion` when another writer logged another version last.
    private var logVersion: Int?
    /// Bookings changed since the last checkpoint taken. Members and orders changed are marked
    /// where the engine's state keeps them (`Engine.mark`, `Engine.takeMarked`), so that taking a
    /// checkpoint reads them front to back instead of looking each up by id.
    private var changedBookings: Set<String> = []
    private var sinceCheckpoint = 0
    /// With `deferCheckpoints`, a due checkpoint is not written inside the batch's transaction: the
    /// ledger takes it (the header and the changed records at that revision, as values) for the
    /// owner to encode and write off the writers' path (`takeReadyCheckpoint`, `CheckpointRows`,
    /// `LedgerStore.writeCheckpoint`, `finishCheckpoint`), so that a commit never waits for it.
    public var deferCheckpoints = false
    private var ready: PendingCheckpoint?
    /// The checkpoint being written off the path; until it is written, a checkpoint written here
    /// also writes its records, and should it fail, they are changed again.
    private var inFlight: PendingCheckpoint?
    /// Until this uptime (nanoseconds) no checkpoint is taken off the path: after one is written,
    /// the next waits for its `pause` (`finishCheckpoint(_:_:)`).
    private var checkpointsHeldUntil: UInt64 = 0
    private var checkpointsHeld: Bool { DispatchTime.now().uptimeNanoseconds < checkpointsHeldUntil }
    private var checkpointsTaken = 0
    /// Set when a write failed and the reload after it failed too: the engine may hold decisions
    /// that were never stored, so nothing is decided until a reload succeeds.
    private var needsReload = false

    /// Loads the latest checkpoint and replays the log after it.
    ///
    /// `programVersion` is the stored version of the file `program` was read from. Give it when
    /// the program was registered just before: another process may have registered another text
    /// since, and the latest version is not this file's. Without it, the latest stored version.
    public init(program: Program, store: any LedgerStore, checkpointInterval: Int = 20_000,
                programVersion: Int? = nil, programAt: ((Int) throws -> Program)? = nil) throws {
        self.program = program
        self.store = store
        self.checkpointInterval = checkpointInterval
        self.programAt = programAt
        if let programVersion {
            self.programVersion = programVersion
        } else {
            self.programVersion = try store.program(program.id)?.version
        }
        guard let checkpoint = try store.load(program: program.id) else { throw StoreError.unknownProgram(program.id) }
        engine = Engine(program: program, state: checkpoint.state)
        revision = checkpoint.revision
        loadedCheckpoint = (checkpoint.revision, checkpoint.programVersion)
        engineVersion = self.programVersion
        logVersion = checkpoint.programVersion
        try switchProgram(to: checkpoint.programVersion)
        try catchUp(try store.tail(program: program.id, after: revision))
    }

    private func programFor(_ version: Int?) throws -> Program {
        guard let version, version != programVersion, let programAt else { return program }
        return try programAt(version)
    }

    private func switchProgram(to version: Int?) throws {
        guard let version, version != engineVersion else { return }
        engine = Engine(program: try programFor(version), state: engine.state)
        engineVersion = version
    }

    /// Replays log records other writers committed, checking each outcome against the recorded one.
    private func catchUp(_ tail: LogTail) throws {
        var replayed = 0
        for (recordRevision, record) in tail.records where recordRevision > revision {
            replayed += 1
            switch record {
            case let .input(id, stored):
                let outcome = engine.handle(Input.decode(Array(stored.canonical.utf8)), prior: nil)
                guard outcome == stored.outcome else { throw StoreError.replayMismatch(program: program.id, input: id) }
            case let .advance(step):
                engine.advance(step)
            case let .program(version):
                try switchProgram(to: version)
                logVersion = version
            }
        }
        revision = max(revision, tail.revision)
        // Log other writers added counts toward the next checkpoint too: a load replays all of it.
        sinceCheckpoint += replayed
        absorb(engine.drain())
    }

    private func absorb(_ changes: Engine.Changes) {
        engine.mark(members: changes.members, orders: changes.orders)
        changedBookings.formUnion(changes.bookings)
    }

    /// Applies a batch of input lines and commits them together. Outcomes are returned only after
    /// the batch is durable. On a failure the ledger reloads from the store (nothing of the batch
    /// was written) and the error is thrown.
    public func ingest(lines: [[UInt8]]) throws -> [Outcome] {
        let decoded = lines.map { Input.decode($0) }
        let ids = Array(Set(decoded.compactMap(\.id)))
        return try transaction { tx in
            var known = try tx.inputRecords(ids: ids)
            let decided = handle(decoded, known: &known)
            try append(tx, inputs: decided.remembered, advancedTo: nil)
            return decided.outcomes
        }
    }

    /// Decides inputs in order, each against what is remembered of its id (by the store, or by an
    /// earlier input of the same batch); returns the outcomes and the records to remember.
    private func handle(_ decoded: [DecodedInput], known: inout [String: InputRecord]) -> (outcomes: [Outcome], remembered: [(id: String, record: InputRecord)]) {
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
        return (outcomes, remembered)
    }

    // MARK: Deciding while the batch before commits

    /// A batch decided outside any transaction, to commit on top of the revision before it.
    private struct Decided {
        var lines: [[UInt8]]
        var outcomes: [Outcome]
        var batch: CommitBatch
        /// The records the batch remembers, by id: the next batch is decided before this one has
        /// committed, so its resent inputs are looked up here as well as in the store.
        var remembered: [String: InputRecord]
        /// A checkpoint due after the batch, taken as values; written off the commits' thread once
        /// the batch has committed, at the commit's revision.
        var checkpoint: PendingCheckpoint?
    }

    /// Ingests batch after batch as repeated `ingest(lines:)` would: each batch one transaction,
    /// its outcomes handed to `durable` in order, and only once it has committed. The engine
    /// decides each batch while the one before it commits on a second thread (its rows encoded and
    /// written, the disk synced), so the two halves of the work run on two cores at once.
    /// Checkpoints are written as a server writes them: taken as values when due, encoded and
    /// written on a third thread in transactions of their own once their batch has committed, and
    /// paced (`CheckpointWritten.pause`); all are finished when this returns. Written inside the
    /// commits, they took 30% of ingest's time once the rows got cheaper (thirteenth pass).
    ///
    /// A batch decided ahead commits only on top of the revision it was decided after. Should
    /// another writer commit in between, or a commit fail, the ledger reloads from the store and
    /// ingests the batches not yet committed again, one transaction each (deciding them afresh
    /// after the other writer's records), or throws. When this throws, every batch handed to
    /// `durable` is committed and no other is (the batch `durable` threw on is committed).
    ///
    /// `produce` hands the batches to the `submit` it is given, one call each.
    public func ingest(batches produce: (_ submit: ([[UInt8]]) throws -> Void) throws -> Void,
                       durable: ([Outcome]) throws -> Void) throws {
        if needsReload { try reload() }
        let queue = DispatchQueue(label: "accrue.commit.\(program.id)")
        let checkpoints = DispatchQueue(label: "accrue.ingest.checkpoint.\(program.id)")
        let reports = CheckpointReports()
        /// Takes in what the checkpoint thread has finished.
        func takeReports() { for (id, result) in reports.take() { finishCheckpoint(id, result) } }
        // Every checkpoint handed off is finished, and reported to the ledger, before this returns.
        defer {
            checkpoints.sync {}
            takeReports()
        }
        var flying: (decided: Decided, commit: Background<Int64>?)?
        /// Waits for the batch in flight; false when it did not commit. A checkpoint taken with it
        /// is handed to the checkpoint thread at the revision it committed at.
        func land() -> Bool {
            guard let commit = flying?.commit else { return true }
            switch commit.wait() {
            case let .success(next):
                revision = next
                if let taken = flying?.decided.checkpoint {
                    let pending = taken.at(revision: next), store = self.store
                    checkpoints.async { reports.add(pending.id, pending.write(to: store)) }
                }
                return true
            case .failure: return false
            }
        }
        do {
            try catchUp(try store.tail(program: program.id, after: revision))
            decideUnderOwnProgram()
            // `durable` is called only from here, never while `produce` runs anything else.
            try withoutActuallyEscaping(durable) { durable in
                try produce { lines in
                    guard !lines.isEmpty else { return }
                    takeReports()
                    let decided = try decide(lines, alongside: flying?.decided.remembered ?? [:])
                    if let previous = flying {
                        let landed = land()
                        flying = nil
                        guard landed else { return try recover([previous.decided.lines, lines], durable: durable) }
                        try durable(previous.decided.outcomes)
                    }
                    flying = (decided, commit(decided, on: queue))
                }
            }
            if let previous = flying {
                let landed = land()
                flying = nil
                guard landed else { return try recover([previous.decided.lines], durable: durable) }
                try durable(previous.decided.outcomes)
            }
        } catch {
            // Nothing is left committing when this returns, what committed is handed over, and
            // no decision that was not stored stays in the state.
            if let previous = flying, land() { try? durable(previous.decided.outcomes) }
            do { try reload() } catch { needsReload = true }
            throw error
        }
    }

    /// After a batch decided ahead did not commit: the state again as stored, then the batches not
    /// committed ingested one transaction each.
    private func recover(_ batches: [[[UInt8]]], durable: ([Outcome]) throws -> Void) throws {
        try reload()
        for lines in batches { try durable(try ingest(lines: lines)) }
    }

    /// Decides a batch outside any transaction, on the state of every batch decided before it; a
    /// checkpoint due is taken unless one is on its way or they are held back.
    private func decide(_ lines: [[UInt8]], alongside committing: [String: InputRecord]) throws -> Decided {
        let decoded = lines.map { Input.decode($0) }
        let ids = Array(Set(decoded.compactMap(\.id)))
        var known = try store.inputRecords(program: program.id, ids: ids)
        for id in ids where known[id] == nil { known[id] = committing[id] }
        let decided = handle(decoded, known: &known)
        let changes = engine.drain()
        absorb(changes)
        let batch = CommitBatch(inputs: decided.remembered, advancedTo: nil, programVersion: programVersion, entries: changes.entries)
        var checkpoint: PendingCheckpoint?
        if !batch.isEmpty, countCommitted(inputs: decided.remembered.count), canTakeCheckpoint { checkpoint = takeCheckpoint() }
        return Decided(lines: lines, outcomes: decided.outcomes, batch: batch,
                       remembered: Dictionary(decided.remembered, uniquingKeysWith: { first, _ in first }), checkpoint: checkpoint)
    }

    /// Starts a decided batch's commit on `queue`, on top of the current revision (nil when the
    /// batch writes nothing). The commit touches only the batch's values and the store.
    private func commit(_ decided: Decided, on queue: DispatchQueue) -> Background<Int64>? {
        guard !decided.batch.isEmpty else { return nil }
        let store = self.store, id = program.id, base = revision, batch = decided.batch
        return Background(on: queue) {
            try store.write(program: id) { tx in
                // The store refuses the append unless the log is still at `base`: no other writer
                // committed after the state this batch was decided on.
                try tx.append(batch, revision: base)
            }
        }
    }

    /// New decisions are made under this ledger's own program file.
    private func decideUnderOwnProgram() {
        guard engineVersion != programVersion else { return }
        engine = Engine(program: program, state: engine.state)
        engineVersion = programVersion
    }

    /// Scheduled items a step of `accrue advance` takes by default: each step is its own
    /// transaction, so a year-end sweep never holds millions of entries at once.
    public static let advanceStepItems = 100_000

    /// Runs due work up to `time` and commits what it did; returns the entries it made.
    @discardableResult
    public func advance(to time: Instant) throws -> [Entry] {
        try advance(ClockStep(time: time)).entries
    }

    /// Runs one step of due work (at most `step.items` scheduled items when it has a limit) and
    /// commits what it did; returns the entries it made, and whether everything due by the
    /// step's time has run.
    @discardableResult
    public func advance(_ step: ClockStep) throws -> (entries: [Entry], done: Bool) {
        try transaction { tx in
            let done = engine.advance(step)
            return (try append(tx, inputs: [], advancedTo: step), done)
        }
    }

    /// Catches up with what other writers (other processes on the same database) committed, without
    /// taking the write lock: readers call it before answering from the state.
    public func refresh() throws {
        if needsReload { try reload(); return }
        // One small read when nothing was committed elsewhere; the log only when something was.
        guard try store.revision(program: program.id) != revision else { return }
        try catchUp(try store.tail(program: program.id, after: revision))
    }

    /// Writes a checkpoint of the current state, so that the next load replays no log.
    public func checkpoint() throws {
        try transaction { tx in try writeCheckpoint(tx) }
    }

    /// Runs `body` inside the program's write lock, after catching up with other writers.
    private func transaction<T>(_ body: (any LedgerWriteTransaction) throws -> T) throws -> T {
        if needsReload { try reload() }
        do {
            return try store.write(program: program.id) { tx in
                try catchUp(try tx.tail(after: revision))
                decideUnderOwnProgram()
                return try body(tx)
            }
        } catch {
            do { try reload() } catch { needsReload = true }
            throw error
        }
    }

    @discardableResult
    private func append(_ tx: any LedgerWriteTransaction, inputs: [(id: String, record: InputRecord)], advancedTo: ClockStep?) throws -> [Entry] {
        let changes = engine.drain()
        absorb(changes)
        let batch = CommitBatch(inputs: inputs, advancedTo: advancedTo, programVersion: programVersion, entries: changes.entries)
        guard !batch.isEmpty else { return [] }
        revision = try tx.append(batch, revision: revision)
        if countCommitted(inputs: inputs.count) {
            if !deferCheckpoints {
                try writeCheckpoint(tx)
            } else if canTakeCheckpoint {
                ready = takeCheckpoint()
            }
        }
        return changes.entries
    }

    /// Counts a batch that commits toward the next checkpoint (its records are in the log under
    /// this ledger's program file); true when a checkpoint is due.
    private func countCommitted(inputs: Int) -> Bool {
        if let programVersion { logVersion = programVersion }
        sinceCheckpoint += max(1, inputs)
        return sinceCheckpoint >= checkpointInterval
    }

    /// The checkpoint to write now, in this transaction: the records changed since the last one
    /// taken, and those of a checkpoint still on its way (written here too, at this later
    /// revision). Should it not be written, the transaction fails and the ledger reloads, which
    /// marks again what the log after the stored checkpoint changed.
    private func takeAll() -> PendingCheckpoint {
        if let inFlight { markAgain(inFlight) }
        return take(id: 0)
    }

    /// Marks a checkpoint's records changed again.
    private func markAgain(_ checkpoint: PendingCheckpoint) {
        engine.mark(members: checkpoint.members.lazy.map(\.id), orders: checkpoint.orders.lazy.map(\.id))
        changedBookings.formUnion(checkpoint.bookings.lazy.map(\.id))
    }

    private func writeCheckpoint(_ tx: any LedgerWriteTransaction) throws {
        guard try tx.checkpoint(try CheckpointRows(takeAll())) else {
            throw StoreError.staleRevision(program: program.id, expected: revision)
        }
        forgetChanges()
    }

    /// The checkpoint of the current revision holding the records changed since the last one
    /// taken, as values (copies in arrays of their size: growing one copied the records again
    /// and left it up to twice as large, at the peak of ingest's memory); they count as unchanged
    /// from now on.
    private func take(id: Int) -> PendingCheckpoint {
        let (members, orders) = engine.takeMarked()
        var bookings: [Booking] = []
        bookings.reserveCapacity(changedBookings.count)
        for id in changedBookings { if let booking = engine.state.bookings[id] { bookings.append(booking) } }
        changedBookings = []
        return PendingCheckpoint(id: id, program: program.id,
                                 checkpoint: Checkpoint(state: engine.header, revision: revision, programVersion: logVersion),
                                 members: members, orders: orders, bookings: bookings)
    }

    /// After a checkpoint of everything, or a reload: nothing is changed, taken or on its way.
    private func forgetChanges() {
        changedBookings = []
        inFlight = nil
        ready = nil
        sinceCheckpoint = 0
    }

    /// Takes the due checkpoint as values at the current revision, for writing off the path.
    private func takeCheckpoint() -> PendingCheckpoint {
        checkpointsTaken += 1
        let taken = take(id: checkpointsTaken)
        inFlight = taken
        sinceCheckpoint = 0
        return taken
    }

    /// Whether a checkpoint due may be taken off the path now: none is waiting to be handed off or
    /// being written, and the pause after the last one is over.
    private var canTakeCheckpoint: Bool { ready == nil && inFlight == nil && !checkpointsHeld }

    /// The checkpoint taken by the last commits, once: its owner encodes it (`CheckpointRows`) and
    /// writes it (`LedgerStore.writeCheckpoint`) on any thread, and reports with
    /// `finishCheckpoint`. Take it only after the commit that took it has returned.
    public func takeReadyCheckpoint() -> PendingCheckpoint? {
        defer { ready = nil }
        return ready
    }

    /// What became of a checkpoint written off the path: after a written one the next waits for
    /// its `pause`; when it was not written, its records count as changed again, so the next
    /// checkpoint writes them.
    public func finishCheckpoint(_ id: Int, _ result: CheckpointWritten) {
        checkpointsHeldUntil = DispatchTime.now().uptimeNanoseconds + result.pause
        finishCheckpoint(id, written: result.written)
    }

    /// The same without pacing.
    public func finishCheckpoint(_ id: Int, written: Bool) {
        guard let inFlight, inFlight.id == id else { return }
        if !written {
            markAgain(inFlight)
            sinceCheckpoint = checkpointInterval
        }
        self.inFlight = nil
    }

    private func reload() throws {
        needsReload = true
        guard let checkpoint = try store.load(program: program.id) else { throw StoreError.unknownProgram(program.id) }
        engine = Engine(program: program, state: checkpoint.state)
        engineVersion = programVersion
        logVersion = checkpoint.programVersion
        revision = checkpoint.revision
        loadedCheckpoint = (checkpoint.revision, checkpoint.programVersion)
        forgetChanges()
        try switchProgram(to: checkpoint.programVersion)
        try catchUp(try store.tail(program: program.id, after: revision))
        needsReload = false
    }
}

/// Work started on another thread and waited for once.
final class Background<Value: Sendable>: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    /// Written once on the queue before `done` is signalled; read only after waiting for it.
    private var result: Result<Value, any Error>?

    init(on queue: DispatchQueue, _ work: @escaping @Sendable () throws -> Value) {
        queue.async {
            self.result = Result { try work() }
            self.done.signal()
        }
    }

    /// Waits for the work (once only) and gives what it returned or threw.
    func wait() -> Result<Value, any Error> {
        done.wait()
        return result!
    }
}

/// Checkpoints finished on another thread, waiting to be reported to their ledger's owner.
final class CheckpointReports: @unchecked Sendable {
    private let lock = NSLock()
    private var finished: [(id: Int, result: CheckpointWritten)] = []

    func add(_ id: Int, _ result: CheckpointWritten) {
        lock.lock()
        finished.append((id, result))
        lock.unlock()
    }

    func take() -> [(id: Int, result: CheckpointWritten)] {
        lock.lock()
        defer { finished = []; lock.unlock() }
        return finished
    }
}
