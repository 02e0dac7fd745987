import AccrueCore
import Foundation

/// A store kept in memory: for tests and for trying things out. It honours the same contract as
/// the durable stores (one writer at a time, atomic transactions, the log in order, checkpoints),
/// minus durability. It keeps no webhook outbox: it is not a `ServiceStore`.
public final class InMemoryStore: LedgerStore, @unchecked Sendable {
    struct ProgramData {
        var stored: StoredProgram
        var versions: [Int: StoredProgram] = [:]
        var revision: Int64 = 0
        var logVersion: Int?
        var checkpoint = Checkpoint(state: ProgramState(), revision: 0, programVersion: nil)
        var log: [(revision: Int64, record: LogRecord)] = []
        var inputs: [String: InputRecord] = [:]
        var entries: [Entry] = []
    }

    private let lock = NSRecursiveLock()
    private var data: [String: ProgramData] = [:]

    public init() {}

    private func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    public func register(_ program: StoredProgram) throws {
        locked {
            guard var existing = data[program.id] else {
                data[program.id] = ProgramData(stored: program, versions: [program.version: program])
                return
            }
            guard existing.stored.source != program.source else { return }
            existing.stored = StoredProgram(id: program.id, base: program.base, version: max(existing.stored.version + 1, program.version),
                                            source: program.source)
            existing.versions[existing.stored.version] = existing.stored
            data[program.id] = existing
        }
    }

    public func create(_ program: StoredProgram) throws -> Bool {
        locked {
            guard data[program.id] == nil else { return false }
            data[program.id] = ProgramData(stored: program, versions: [program.version: program])
            return true
        }
    }

    public func program(_ id: String) throws -> StoredProgram? { locked { data[id]?.stored } }

    public func program(_ id: String, version: Int) throws -> StoredProgram? { locked { data[id]?.versions[version] } }

    public func programs() throws -> [StoredProgram] { locked { data.values.map(\.stored).sorted { $0.id < $1.id } } }

    public func load(program: String) throws -> Checkpoint? { locked { data[program]?.checkpoint } }

    public func revision(program: String) throws -> Int64 { locked { data[program]?.revision ?? 0 } }

    public func tail(program: String, after revision: Int64, through last: Int64) throws -> LogTail {
        locked {
            guard let program = data[program] else { return LogTail(records: [], revision: 0) }
            return LogTail(records: program.log.filter { $0.revision > revision && $0.revision <= last }, revision: program.revision)
        }
    }

    public func inputRecords(program: String, ids: [String]) throws -> [String: InputRecord] {
        locked {
            var result: [String: InputRecord] = [:]
            for id in ids { result[id] = data[program]?.inputs[id] }
            return result
        }
    }

    /// Holds the store's lock for the whole transaction; on an error, puts the program back as it was.
    public func write<T>(program: String, _ body: (any LedgerWriteTransaction) throws -> T) throws -> T {
        try locked {
            guard let before = data[program] else { throw StoreError.unknownProgram(program) }
            do {
                return try body(Transaction(store: self, program: program))
            } catch {
                data[program] = before
                throw error
            }
        }
    }

    struct Transaction: LedgerWriteTransaction {
        let store: InMemoryStore
        let program: String

        func tail(after revision: Int64) throws -> LogTail { try store.tail(program: program, after: revision) }

        func inputRecords(ids: [String]) throws -> [String: InputRecord] { try store.inputRecords(program: program, ids: ids) }

        func append(_ batch: CommitBatch, revision: Int64) throws -> Int64 {
            try store.locked {
                var current = store.data[program]!
                guard current.revision == revision else { throw StoreError.staleRevision(program: program, expected: revision) }
                current.revision += 1
                if let version = batch.programVersion, version != current.logVersion {
                    current.log.append((current.revision, .program(version: version)))
                    current.logVersion = version
                }
                for (id, record) in batch.inputs {
                    current.inputs[id] = record
                    current.log.append((current.revision, .input(id: id, record: record)))
                }
                if let step = batch.advancedTo { current.log.append((current.revision, .advance(step))) }
                current.entries += batch.entries
                store.data[program] = current
                return current.revision
            }
        }

        func checkpoint(_ rows: CheckpointRows) throws -> Bool {
            let (checkpoint, members, orders, bookings) = (rows.checkpoint, rows.members, rows.orders, rows.bookings)
            return try store.locked {
                var current = store.data[program]!
                guard checkpoint.revision <= current.revision else {
                    throw StoreError.staleRevision(program: program, expected: checkpoint.revision)
                }
                guard checkpoint.revision >= current.checkpoint.revision else { return false }
                var state = checkpoint.state
                state.members = current.checkpoint.state.members
                state.orders = current.checkpoint.state.orders
                state.bookings = current.checkpoint.state.bookings
                for member in members { state.members[member.id] = member }
                for order in orders { state.orders[order.id] = order }
                for booking in bookings { state.bookings[booking.id] = booking }
                current.checkpoint = Checkpoint(state: state, revision: checkpoint.revision, programVersion: checkpoint.programVersion)
                store.data[program] = current
                return true
            }
        }
    }

    public func entries(program: String) throws -> [Entry] { locked { data[program]?.entries ?? [] } }

    public func entries(program: String, member: String) throws -> [Entry] {
        locked { data[program]?.entries.filter { $0.member == member } ?? [] }
    }

    public func entries(program: String, input: String) throws -> [Entry] {
        locked { data[program]?.entries.filter { $0.input == input } ?? [] }
    }

    public func entries(program: String, after seq: Int64, limit: Int) throws -> [Entry] {
        locked {
            guard let entries = data[program]?.entries else { return [] }
            // Entries are in seq order: the first after `seq` by halving.
            var low = 0, high = entries.count
            while low < high {
                let middle = (low + high) / 2
                if entries[middle].seq <= seq { low = middle + 1 } else { high = middle }
            }
            return Array(entries[low..<min(entries.count, low + max(0, limit))])
        }
    }

    public func history(program: String, member: String, limit: Int, beforeSeq: Int64?) throws -> [HistoryLine] {
        let (log, entries) = locked { (data[program]?.log.map(\.record) ?? [], data[program]?.entries ?? []) }
        return HistoryLine.merge(log: log, entries: entries, member: member, limit: limit, beforeSeq: beforeSeq)
    }
}

extension HistoryLine {
    /// A member's history from their inputs and entries: one line per input (its reason, or the
    /// reasons of the entries it made) and one per piece of due work or entry another's input
    /// made for the member, newest first.
    public static func merge(log: [LogRecord], entries: [Entry], member: String, limit: Int, beforeSeq: Int64?) -> [HistoryLine] {
        let before = beforeSeq ?? Int64.max
        var lines: [HistoryLine] = []
        var explained: [String: [String]] = [:]
        // Entries made by inputs that are not this member's own (a draw's reveal or cancellation
        // sent by the operator) stand as lines of their own, like due work.
        var own = Set<String>()
        for record in log { if case let .input(id, stored) = record, stored.outcome.member == member { own.insert(id) } }
        for entry in entries where entry.member == member && entry.seq < before {
            if let input = entry.input, own.contains(input) {
                if explained[input]?.contains(entry.reason) != true { explained[input, default: []].append(entry.reason) }
            } else {
                lines.append(HistoryLine(seq: entry.seq, at: entry.at, what: entry.kind.rawValue, input: entry.input, status: nil,
                                         points: entry.kind == .expiryNotice ? 0 : entry.points, reason: entry.reason, currency: entry.currency))
            }
        }
        for record in log {
            guard case let .input(id, stored) = record, stored.outcome.member == member, let seq = stored.outcome.seq, seq < before else { continue }
            let outcome = stored.outcome
            lines.append(HistoryLine(seq: seq, at: outcome.at ?? Instant(milliseconds: 0), what: outcome.type ?? "input", input: id,
                                     status: outcome.status, points: outcome.points,
                                     reason: outcome.reason ?? explained[id].map { $0.joined(separator: "; ") },
                                     currency: outcome.currency, currencies: outcome.currencies))
        }
        return Array(lines.sorted { $0.seq > $1.seq }.prefix(limit))
    }
}
