import AccrueCore
import AccruePrograms
import AccrueStore
import Dispatch
import Foundation

/// One program served: its ledger, owned by a serial queue. Every read and write of the ledger
/// runs on that queue, so the engine (which is not thread-safe) has one owner, and stores (whose
/// calls block) never block Swift's concurrency threads.
final class ProgramHost: @unchecked Sendable {
    let id: String
    private let queue: DispatchQueue
    /// Touched only on `queue`.
    private var ledger: ProgramLedger
    /// The program as last loaded; read from any thread under `lock`.
    private let lock = NSLock()
    private var current: Program
    private var currentVersion: Int

    /// Where checkpoints are encoded and written, one at a time, off the program's queue.
    private let checkpoints: DispatchQueue

    init(ledger: ProgramLedger, version: Int) {
        id = ledger.program.id
        queue = DispatchQueue(label: "accrue.program.\(ledger.program.id)")
        checkpoints = DispatchQueue(label: "accrue.checkpoint.\(ledger.program.id)")
        ledger.deferCheckpoints = true
        self.ledger = ledger
        current = ledger.program
        currentVersion = version
    }

    var program: Program {
        lock.lock()
        defer { lock.unlock() }
        return current
    }

    var version: Int {
        lock.lock()
        defer { lock.unlock() }
        return currentVersion
    }

    /// Runs `body` with the ledger on the program's queue.
    func run<T: Sendable>(_ body: @escaping @Sendable (ProgramLedger) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { try body(self.ledger) })
                self.handOffCheckpoint()
            }
        }
    }

    /// On the queue, after a commit has answered its callers: a checkpoint the commit took is
    /// encoded and written on the checkpoint queue, in a transaction of its own, so no request
    /// waits for it. Its outcome is reported back to the ledger that took it as soon as it is
    /// known (a failed one's records count as changed again), and until then the ledger takes no
    /// other; after a written one the ledger takes none for its `pause`.
    private func handOffCheckpoint() {
        guard let pending = ledger.takeReadyCheckpoint() else { return }
        // The ledger is touched only on the queue; the box carries it there and back.
        let owner = LedgerBox(ledger)
        let store = ledger.store
        checkpoints.async {
            let result = pending.write(to: store)
            if result.failed {
                ServiceMetrics.shared.checkpointFailed(program: pending.program)
            } else if result.written {
                ServiceMetrics.shared.checkpoint(program: pending.program, encodeNanoseconds: result.encodingNanoseconds,
                                                 writeNanoseconds: result.nanoseconds - result.encodingNanoseconds)
            }
            // Reported at once, so the ledger lets go of the records written; the pause only holds
            // the next take back.
            self.queue.async { owner.ledger.finishCheckpoint(pending.id, result) }
        }
    }

    // MARK: Group commit

    typealias Answers = [(outcome: Outcome, replayed: Bool)]
    /// A request's inputs, with who waits for their outcomes.
    private typealias Request = (lines: [[UInt8]], continuation: CheckedContinuation<Answers, any Error>)

    /// Requests waiting for the program's queue (under `lock`).
    private var waiting: [Request] = []
    private var draining = false
    /// The most inputs committed in one transaction when requests are grouped.
    static let maximumGroup = 5_000
    /// The most while reads come (some were answered in the last `readsRecently`): a read waits
    /// for the commit in progress, and deciding and committing 5,000 inputs takes 150-250 ms on
    /// the benchmark's machine, 500 about a tenth of that. Under batches with reads at once this
    /// took reads from 105-184 to 700-1,050 a second (p50 80-155 -> 14-21 ms) on SQLite and on
    /// PostgreSQL, and left the batches' rate as it was on both; 250 doubled the reads again on
    /// SQLite but cost PostgreSQL's batches a third, 100 SQLite's a fifth (docs/performance-history.md,
    /// eleventh pass).
    static let maximumGroupBesideReads = 500
    /// How long after reads were answered groups stay small: long enough that a group taken
    /// between two reads' arrivals is small too (a group that only saw no read waiting at its
    /// start was big again, and the reads behind it waited 150-200 ms).
    static let readsRecently: UInt64 = 1_000_000_000
    /// When reads were last answered, in uptime nanoseconds (touched only on `queue`).
    private var readsAnswered: UInt64 = 0

    /// Applies inputs durably and answers each once its transaction has committed; a resent input
    /// gets its first outcome (`replayed`). Requests that arrive while a commit is in progress are
    /// committed together in the next transaction (one fsync for all of them), each answered with
    /// its own outcomes only after that commit.
    func ingest(_ lines: [[UInt8]]) async throws -> Answers {
        guard !lines.isEmpty else { return [] }
        return try await withCheckedThrowingContinuation { continuation in
            lock.lock()
            waiting.append((lines, continuation))
            let start = !draining
            draining = true
            lock.unlock()
            if start { queue.async { self.drain() } }
        }
    }

    /// The requests that wait, up to `maximumGroup` inputs (`maximumGroupBesideReads` while reads
    /// come; at least one request), to commit in one transaction; nil when none waits, and then
    /// the queue is no longer draining. On the queue.
    private func nextGroup() -> [Request]? {
        lock.lock()
        defer { lock.unlock() }
        guard !waiting.isEmpty else {
            draining = false
            return nil
        }
        let readsCome = DispatchTime.now().uptimeNanoseconds < readsAnswered + ProgramHost.readsRecently
        let most = readsCome ? ProgramHost.maximumGroupBesideReads : ProgramHost.maximumGroup
        var group: [Request] = [], size = 0
        while let next = waiting.first, group.isEmpty || size + next.lines.count <= most {
            group.append(waiting.removeFirst())
            size += next.lines.count
        }
        return group
    }

    /// On the queue: commits one group of what waits, answers its requests, and queues the next
    /// group behind whatever else arrived for the queue meanwhile. Reads that arrive during a
    /// commit are answered right after it, from a state that holds only what is durable, however
    /// long posts keep coming; they do not wait for the posts to stop, and while they come the
    /// groups are small, so that none waits long for the commit in progress.
    private func drain() {
        guard let group = nextGroup() else { return }
        do {
            let outcomes = try ledger.ingest(lines: group.flatMap(\.lines))
            ServiceMetrics.shared.commit(inputs: outcomes.count)
            let results = try answers(outcomes)
            var offset = 0
            for request in group {
                request.continuation.resume(returning: Array(results[offset..<(offset + request.lines.count)]))
                offset += request.lines.count
            }
        } catch {
            // Nothing of the group was stored (or, stored, the first outcomes of its resent inputs
            // could not be read back): every request of it is told, and may resend.
            for request in group { request.continuation.resume(throwing: error) }
        }
        handOffCheckpoint()
        queue.async { self.drain() }
    }

    /// A committed group's answers: a resent input is answered with its first outcome.
    private func answers(_ outcomes: [Outcome]) throws -> Answers {
        let repeated = outcomes.filter { $0.status == .duplicate }.compactMap(\.id)
        let first = repeated.isEmpty ? [:] : try ledger.store.inputRecords(program: ledger.program.id, ids: repeated)
        return outcomes.map { outcome in
            guard outcome.status == .duplicate, let id = outcome.id, let record = first[id] else { return (outcome, false) }
            return (record.outcome, true)
        }
    }

    /// Runs `body` after catching up with what other servers on the same database committed.
    /// Reads that arrive together share one catch-up: each waits for the queue, and the first
    /// to get it checks the store's revision once for all of them (every read still sees every
    /// commit that ended before it arrived).
    func read<T: Sendable>(_ body: @escaping @Sendable (ProgramLedger) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let reader: Reader = { ledger, refreshed in
                continuation.resume(with: refreshed.flatMap { Result { try body(ledger) } })
            }
            lock.lock()
            readers.append(reader)
            let start = !readersScheduled
            readersScheduled = true
            lock.unlock()
            if start { queue.async { self.drainReads() } }
        }
    }

    private typealias Reader = @Sendable (ProgramLedger, Result<Void, any Error>) -> Void
    /// Reads waiting for the queue (under `lock`), and whether a drain of them is scheduled.
    private var readers: [Reader] = []
    private var readersScheduled = false

    /// On the queue: one catch-up, then every read that waits.
    private func drainReads() {
        lock.lock()
        let group = readers
        readers = []
        readersScheduled = false
        lock.unlock()
        let refreshed = Result { try ledger.refresh() }
        for reader in group { reader(ledger, refreshed) }
        readsAnswered = DispatchTime.now().uptimeNanoseconds
        handOffCheckpoint()
    }

    /// Replaces the ledger with one deciding under a new version of the program file.
    func replace(with next: ProgramLedger, version: Int) async throws {
        let box = LedgerBox(next)
        try await run { _ in
            let next = box.ledger
            self.ledger = next
            self.lock.lock()
            self.current = next.program
            self.currentVersion = version
            self.lock.unlock()
        }
    }
}

/// The programs a server serves, loaded from its store.
final class ProgramDirectory: @unchecked Sendable {
    let store: any LedgerStore & ServiceStore
    private let lock = NSLock()
    private var hosts: [String: ProgramHost] = [:]
    private var retired: Set<String> = []

    /// Inputs between automatic checkpoints of each program's state.
    let checkpointInterval: Int

    init(store: any LedgerStore & ServiceStore, checkpointInterval: Int = 20_000) {
        self.store = store
        self.checkpointInterval = checkpointInterval
    }

    /// Loads every stored program (replaying its log from the last checkpoint).
    func loadAll() throws {
        let stored = try store.programs()
        let retiredNow = try store.retiredPrograms()
        var loaded: [String: ProgramHost] = [:]
        for program in stored {
            loaded[program.id] = try makeHost(for: program)
        }
        lock.lock()
        hosts = loaded
        retired = retiredNow
        lock.unlock()
    }

    func makeLedger(for stored: StoredProgram) throws -> ProgramLedger {
        try StoredPrograms.openLedger(try StoredPrograms.parse(stored), version: stored.version, store: store,
                                      checkpointInterval: checkpointInterval)
    }

    func makeHost(for stored: StoredProgram) throws -> ProgramHost {
        ProgramHost(ledger: try makeLedger(for: stored), version: stored.version)
    }

    var all: [ProgramHost] {
        lock.lock()
        defer { lock.unlock() }
        return hosts.values.sorted { $0.id < $1.id }
    }

    func host(_ id: String) -> ProgramHost? {
        lock.lock()
        defer { lock.unlock() }
        return hosts[id]
    }

    func isRetired(_ id: String) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return retired.contains(id)
    }

    func add(_ host: ProgramHost) {
        lock.lock()
        hosts[host.id] = host
        lock.unlock()
    }

    func setRetired(_ id: String, _ value: Bool) {
        lock.lock()
        if value { retired.insert(id) } else { retired.remove(id) }
        lock.unlock()
    }

    /// Picks up programs, versions and retirements that another server on the same database made.
    func sync() async throws {
        let stored = try store.programs()
        let retiredNow = try store.retiredPrograms()
        for program in stored {
            if let host = host(program.id) {
                if program.version > host.version {
                    try await host.replace(with: try makeLedger(for: program), version: program.version)
                }
            } else {
                add(try makeHost(for: program))
            }
        }
        replaceRetired(retiredNow)
    }

    private func replaceRetired(_ value: Set<String>) {
        lock.lock()
        retired = value
        lock.unlock()
    }
}

/// Hands a ledger to the program's queue; only that queue touches it afterwards.
private final class LedgerBox: @unchecked Sendable {
    let ledger: ProgramLedger
    init(_ ledger: ProgramLedger) { self.ledger = ledger }
}
