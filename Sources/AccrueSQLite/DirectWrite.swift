import GRDB
import GRDBSQLite

/// A cached INSERT, upsert or DELETE whose values are bound straight through SQLite's C API,
/// one after another, then run once. Every commit's inputs and entries and every
/// checkpoint's records go through it: building GRDB's `StatementArguments` for each row (an
/// array of existential values, converted again when bound) was a fifth of writing a commit, and
/// of the expiry sweep.
///
/// Only for statements that return no rows, inside a transaction GRDB opened, on a connection
/// with no transaction observers (the store registers none). Failures throw `DatabaseError` with
/// SQLite's extended result code and message, as GRDB's own `execute` does. The benchmark's raw
/// loops bind through it too (`package`), so that a baseline pays what the store pays per value.
package struct DirectWrite {
    private let statement: Statement
    private let handle: OpaquePointer
    private var position: Int32 = 0

    package init(_ db: Database, sql: String) throws {
        statement = try db.cachedStatement(sql: sql)
        handle = statement.sqliteStatement
        // A cached statement may have been left with GRDB's bindings: start clean.
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    package mutating func bind(_ value: Int64) throws {
        position += 1
        try check(sqlite3_bind_int64(handle, position, value))
    }

    package mutating func bind(_ value: Int64?) throws {
        guard let value else { return try bindNull() }
        try bind(value)
    }

    package mutating func bind(_ value: String?) throws {
        guard var value else { return try bindNull() }
        position += 1
        let position = self.position, handle = self.handle
        // SQLITE_TRANSIENT: SQLite copies the bytes before this returns.
        let code = value.withUTF8 { bytes in
            sqlite3_bind_text(handle, position, bytes.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) } ?? DirectWrite.empty,
                              Int32(bytes.count), DirectWrite.transient)
        }
        try check(code)
    }

    /// A value as a row of another database holds it, copied as it is.
    package mutating func bind(_ value: DatabaseValue) throws {
        switch value.storage {
        case .null: try bindNull()
        case let .int64(number): try bind(number)
        case let .string(text): try bind(text)
        case let .double(number):
            position += 1
            try check(sqlite3_bind_double(handle, position, number))
        case let .blob(data):
            position += 1
            let position = self.position, handle = self.handle
            try check(data.withUnsafeBytes { sqlite3_bind_blob(handle, position, $0.baseAddress, Int32($0.count), DirectWrite.transient) })
        }
    }

    private mutating func bindNull() throws {
        position += 1
        try check(sqlite3_bind_null(handle, position))
    }

    /// Runs the statement with the values bound since the last run, which must be all of them.
    package mutating func run() throws {
        precondition(position == sqlite3_bind_parameter_count(handle), "\(position) values bound for \(sqlite3_bind_parameter_count(handle)) parameters")
        position = 0
        let code = sqlite3_step(handle)
        sqlite3_reset(handle)
        guard code == SQLITE_DONE else { throw error(code) }
    }

    private func check(_ code: Int32) throws {
        guard code == SQLITE_OK else { throw error(code) }
    }

    private func error(_ code: Int32) -> DatabaseError {
        let connection = sqlite3_db_handle(handle)
        let extended = connection.map { sqlite3_extended_errcode($0) } ?? code
        let message = connection.flatMap { sqlite3_errmsg($0) }.map { String(cString: $0) }
        return DatabaseError(resultCode: ResultCode(rawValue: extended), message: message, sql: statement.sql)
    }

    /// A text of no bytes: a null pointer would bind NULL.
    nonisolated(unsafe) private static let empty: UnsafePointer<CChar> = {
        let bytes = UnsafeMutablePointer<CChar>.allocate(capacity: 1)
        bytes.initialize(to: 0)
        return UnsafePointer(bytes)
    }()

    /// SQLite's SQLITE_TRANSIENT destructor: -1, which the C macro casts.
    nonisolated(unsafe) private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
}
