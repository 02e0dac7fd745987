import Dispatch
import Foundation
import GRDB

/// Copies the write-ahead log into the database file on a thread of its own, a little after
/// commits, so that commits pay for little of the copy.
///
/// SQLite's automatic checkpoint runs inside the commit that takes the log past 1,000 pages: that
/// commit copies the log's pages into the database file and syncs it before it returns, and the
/// requests waiting for it wait too. This copier, with a connection of its own, runs passive
/// checkpoints 10 ms after commits: they copy what no reader still needs while writers go on
/// appending, and never wait for a lock. The writer's automatic checkpoint stays on, every
/// `writerPages` pages of log instead of 1,000, for what the copier has not copied yet: after it
/// has copied everything, the next write starts the log again from its beginning (with the copier
/// alone, a writer that never pauses would never see the log fully copied, and the log would grow
/// without end: 4.3 GB per million inputs in the benchmark). So the log file stays near 40 MB.
/// Durability is unchanged: a checkpoint syncs the log before it copies (its connection is
/// synchronous FULL), so no frame reaches the database file before the log that holds it is on
/// disk.
final class LogCopier: TransactionObserver, @unchecked Sendable {
    /// How long after a commit the copy runs: commits in between share it.
    static let delay = DispatchTimeInterval.milliseconds(10)
    /// The writer's automatic checkpoint, in pages of log (SQLite's default is 1,000).
    static let writerPages = 10_000
    /// The size the log's file is cut back to when the log starts again (`journal_size_limit`).
    /// A burst of large transactions (a checkpoint of every member after a year-end sweep, the
    /// end of a long ingest) can outrun the copies and grow the file to gigabytes (11 GB after
    /// ingesting 10M lots); SQLite reuses a log file from its beginning but never shrinks it
    /// unless told to, so without this the disk stayed taken until the last connection closed.
    static let keptBytes = 64 << 20

    private let connection: DatabaseQueue
    private let queue = DispatchQueue(label: "accrue.sqlite.log-copier")
    private let lock = NSLock()
    /// Whether a copy is due (under `lock`).
    private var scheduled = false

    init(path: String) throws {
        var configuration = Configuration()
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        // A full copy (`copyAll`) waits for readers and writers; passive copies never wait.
        configuration.busyMode = .timeout(5)
        connection = try DatabaseQueue(path: path, configuration: configuration)
    }

    func observes(eventsOfKind eventKind: DatabaseEventKind) -> Bool { false }
    func databaseDidChange(with event: DatabaseEvent) {}
    func databaseDidRollback(_ db: Database) {}

    func databaseDidCommit(_ db: Database) {
        lock.lock()
        let start = !scheduled
        scheduled = true
        lock.unlock()
        guard start else { return }
        queue.asyncAfter(deadline: .now() + Self.delay) { [weak self] in self?.copy() }
    }

    /// Copies the whole log and empties its file (a TRUNCATE checkpoint), on the copier's queue.
    func copyAll() throws {
        try queue.sync {
            _ = try connection.writeWithoutTransaction { db in try db.checkpoint(.truncate) }
        }
    }

    /// Copies what the log holds now (commits after this point schedule the next copy). Runs on
    /// `queue`.
    private func copy() {
        lock.lock()
        scheduled = false
        lock.unlock()
        // A copy that fails (the disk is full, say) leaves the log as it was; the next commit
        // schedules another, and SQLite copies the log when the last connection closes.
        _ = try? connection.writeWithoutTransaction { db in try db.checkpoint(.passive) }
    }
}
