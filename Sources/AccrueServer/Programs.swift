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

    init(ledger: ProgramLedger, version: Int) {
        id = ledger.program.id
        queue = DispatchQueue(label: "accrue.program.\(ledger.program.id)")
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
            }
        }
    }

    /// Runs `body` after catching up with what other servers on the same database committed.
    func read<T: Sendable>(_ body: @escaping @Sendable (ProgramLedger) throws -> T) async throws -> T {
        try await run { ledger in
            try ledger.refresh()
            return try body(ledger)
        }
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

    init(store: any LedgerStore & ServiceStore) {
        self.store = store
    }

    /// Loads every stored program (replaying its log from the last checkpoint).
    func loadAll() throws {
        let stored = try store.programs()
        let retiredNow = try store.retiredPrograms()
        var loaded: [String: ProgramHost] = [:]
        for program in stored {
            loaded[program.id] = try ProgramDirectory.host(for: program, store: store)
        }
        lock.lock()
        hosts = loaded
        retired = retiredNow
        lock.unlock()
    }

    static func parse(_ stored: StoredProgram) throws -> Program {
        let program = try ProgramFile.parse(stored.source, file: "\(stored.id) (version \(stored.version))")
        return stored.id == program.id ? program : program.instance(id: stored.id)
    }

    static func ledger(for stored: StoredProgram, store: any LedgerStore) throws -> ProgramLedger {
        let program = try parse(stored)
        return try ProgramLedger(program: program, store: store, programVersion: stored.version, programAt: { version in
            guard let other = try store.program(stored.id, version: version) else { return program }
            return try parse(other)
        })
    }

    static func host(for stored: StoredProgram, store: any LedgerStore) throws -> ProgramHost {
        ProgramHost(ledger: try ledger(for: stored, store: store), version: stored.version)
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
                    try await host.replace(with: try ProgramDirectory.ledger(for: program, store: store), version: program.version)
                }
            } else {
                add(try ProgramDirectory.host(for: program, store: store))
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
