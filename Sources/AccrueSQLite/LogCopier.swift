import Dispatch
import Foundation
import GRDB

/// Copies the write-ahead log into the database file on a thread of its own, a little after
/// commits, so that no commit pays for the copy.
///
/// SQLite's automatic checkpoint runs inside the commit that takes the log past 1,000 pages: that
/// commit copies every page of the log into the database file and syncs it before it returns, and
/// the requests waiting for it wait too. The store turns it off on its writer connection and this
/// copier, with a connection of its own, runs passive checkpoints instead: they copy what no
/// reader still needs while writers go on appending, and never wait for a lock. Durability is
/// unchanged: a checkpoint syncs the log before it copies (its connection is synchronous FULL),
/// so no frame reaches the database file before the log that holds it is on disk.
final class LogCopier: TransactionObserver, @unchecked Sendable {
    /// How long after a commit the copy runs: commits in between share it.
    static let delay = DispatchTimeInterval.milliseconds(50)

    private let connection: DatabaseQueue
    private let queue = DispatchQueue(label: "accrue.sqlite.log-copier")
    private let lock = NSLock()
    /// Whether a copy is due (under `lock`).
    private var scheduled = false

    init(path: String) throws {
        var configuration = Configuration()
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
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

    /// Copies what the log holds now (commits after this point schedule the next copy).
    func copy() {
        lock.lock()
        scheduled = false
        lock.unlock()
        // A copy that fails (the disk is full, say) leaves the log as it was; the next commit
        // schedules another, and SQLite copies the log when the last connection closes.
        _ = try? connection.writeWithoutTransaction { db in try db.checkpoint(.passive) }
    }
}
