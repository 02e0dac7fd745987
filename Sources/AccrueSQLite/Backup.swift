import Foundation
import GRDB

extension SQLiteStore {
    /// Copies the database to `destination` while it is in use (SQLite's online backup: a
    /// consistent snapshot as of one committed transaction; writers are not stopped). The copy is
    /// written beside the destination under another name and renamed when complete, so a file at
    /// `destination` is always a whole backup. Returns its size in bytes.
    @discardableResult
    public func backup(to destination: String) throws -> Int64 {
        let partial = destination + ".partial"
        try? FileManager.default.removeItem(atPath: partial)
        do {
            let target = try DatabaseQueue(path: partial)
            try pool.backup(to: target)
            // The copy is one self-contained file: no write-ahead log beside it.
            try target.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA journal_mode = DELETE") }
            try target.close()
            try FileManager.default.moveItem(atPath: partial, toPath: destination)
        } catch {
            try? FileManager.default.removeItem(atPath: partial)
            throw error
        }
        let attributes = try FileManager.default.attributesOfItem(atPath: destination)
        return (attributes[.size] as? NSNumber)?.int64Value ?? 0
    }
}
