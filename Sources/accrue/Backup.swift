import AccrueCore
import AccrueSQLite
import AccrueStore
import ArgumentParser
import Foundation

/// `accrue backup`: an online copy of a SQLite database, checked with `verify`.
struct Backup: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Copy a SQLite database while the server runs (a consistent snapshot), then verify the copy.",
        discussion: """
        For PostgreSQL use pg_dump (see the README). Restore with `accrue restore`.
        """)

    @Option(name: .long, help: "The server's data folder (its database is accrue.sqlite there).")
    var data: String?

    @Option(name: .long, help: "A SQLite database file (instead of --data).")
    var database: String?

    @Option(name: .long, help: "The backup file to write; it must not exist yet.")
    var to: String

    func run() throws {
        guard (data == nil) != (database == nil) else {
            warn("accrue: give --data (the server's folder) or --database (a SQLite file)")
            throw ExitCode(2)
        }
        let source = database ?? (data! + "/accrue.sqlite")
        guard !source.hasPrefix("postgres") else {
            warn("accrue: back up PostgreSQL with pg_dump; this command copies SQLite databases")
            throw ExitCode(2)
        }
        guard FileManager.default.fileExists(atPath: source) else {
            warn("accrue: no database at \(source)")
            throw ExitCode(2)
        }
        guard !FileManager.default.fileExists(atPath: to) else {
            warn("accrue: \(to) exists; a backup never replaces a file")
            throw ExitCode(2)
        }
        let store = try SQLiteStore(path: source)
        let bytes = try store.backup(to: to)
        print("accrue: backed up \(source) to \(to) (\(bytes) bytes)")
        guard try verifyAll(in: openStore(to)) else {
            warn("accrue: the backup does not verify; keep the database and try again")
            throw ExitCode(1)
        }
    }
}

/// `accrue restore`: puts a verified backup in place of a server's database.
struct Restore: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Verify a backup and make it the database of a data folder (stop the server first).")

    @Option(name: .long, help: "The backup file (written by accrue backup).")
    var from: String

    @Option(name: .long, help: "The data folder to restore into; its accrue.sqlite must not exist (move it away first).")
    var data: String

    func run() throws {
        guard FileManager.default.fileExists(atPath: from) else {
            warn("accrue: no backup at \(from)")
            throw ExitCode(2)
        }
        let target = data + "/accrue.sqlite"
        for file in [target, target + "-wal", target + "-shm"] where FileManager.default.fileExists(atPath: file) {
            warn("accrue: \(file) exists; stop the server and move the old database away, then restore")
            throw ExitCode(2)
        }
        guard try verifyAll(in: openStore(from)) else {
            warn("accrue: the backup does not verify; nothing was restored")
            throw ExitCode(1)
        }
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        let partial = target + ".restoring"
        try? FileManager.default.removeItem(atPath: partial)
        try FileManager.default.copyItem(atPath: from, toPath: partial)
        try FileManager.default.moveItem(atPath: partial, toPath: target)
        print("accrue: restored \(from) into \(target); start the server with --data \(data)")
    }
}
