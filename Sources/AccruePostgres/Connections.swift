import Foundation
import Logging
import PostgresNIO

/// Why the PostgreSQL store could not open or answer.
public enum PostgresStoreError: Error, Equatable, CustomStringConvertible {
    /// The connection URL is not `postgres://user[:password]@host[:port]/database[?sslmode=...]`.
    case badURL(String)
    /// No connection could be made to the server (refused, timed out, login or database refused).
    case cannotConnect(server: String, reason: String)
    /// The server refused a statement.
    case query(reason: String, sql: String)
    /// The connection went while a statement ran (server restart, network); the statement may or
    /// may not have taken effect when it was a COMMIT.
    case connectionLost(reason: String)
    /// A value read back is not what the store wrote.
    case corrupt(String)

    public var description: String {
        switch self {
        case let .badURL(reason):
            return "bad PostgreSQL URL: \(reason) (expected postgres://user:password@host:port/database)"
        case let .cannotConnect(server, reason):
            return "cannot connect to PostgreSQL at \(server): \(reason)"
        case let .query(reason, sql):
            return "PostgreSQL refused a statement: \(reason) (in: \(sql.prefix(120)))"
        case let .connectionLost(reason):
            return "lost the connection to PostgreSQL: \(reason)"
        case let .corrupt(what):
            return "the PostgreSQL database holds something the store did not write: \(what)"
        }
    }
}

/// A `postgres://` URL's parts.
struct PostgresURL: Sendable {
    var host: String
    var port: Int
    var user: String
    var password: String?
    var database: String
    var sslMode: String

    /// Where the server is, without the password, for messages.
    var server: String { "\(host):\(port)/\(database)" }

    init(_ text: String) throws {
        guard let parts = URLComponents(string: text), let scheme = parts.scheme, ["postgres", "postgresql"].contains(scheme) else {
            throw PostgresStoreError.badURL("it does not start with postgres://")
        }
        guard let host = parts.host, !host.isEmpty else { throw PostgresStoreError.badURL("no host") }
        guard let user = parts.user, !user.isEmpty else { throw PostgresStoreError.badURL("no user") }
        let database = String(parts.path.drop { $0 == "/" })
        guard !database.isEmpty, !database.contains("/") else { throw PostgresStoreError.badURL("no database name after the host") }
        self.host = host
        port = parts.port ?? 5432
        self.user = user.removingPercentEncoding ?? user
        password = parts.password.map { $0.removingPercentEncoding ?? $0 }
        self.database = database.removingPercentEncoding ?? database
        sslMode = "disable"
        for item in parts.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                let mode = item.value ?? ""
                guard ["disable", "prefer", "require", "verify-full"].contains(mode) else {
                    throw PostgresStoreError.badURL("sslmode \(mode) (use disable, prefer, require or verify-full)")
                }
                sslMode = mode
            default:
                throw PostgresStoreError.badURL("unknown parameter \(item.name)")
            }
        }
    }

    /// The connection configuration: TLS as `sslmode` says; `require` and `prefer` encrypt without
    /// checking the certificate (as libpq does), `verify-full` checks it and the host name.
    func configuration(connectTimeout: TimeAmount) throws -> PostgresConnection.Configuration {
        let tls: PostgresConnection.Configuration.TLS
        switch sslMode {
        case "disable":
            tls = .disable
        case "verify-full":
            tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        default:
            var unverified = TLSConfiguration.makeClientConfiguration()
            unverified.certificateVerification = .none
            let context = try NIOSSLContext(configuration: unverified)
            tls = sslMode == "prefer" ? .prefer(context) : .require(context)
        }
        var configuration = PostgresConnection.Configuration(host: host, port: port, username: user, password: password, database: database, tls: tls)
        configuration.options.connectTimeout = connectTimeout
        return configuration
    }
}

/// A small pool of connections, for synchronous callers: a caller checks a connection out, runs
/// statements on it by waiting on their futures, and checks it back in. Callers are never on the
/// pool's event loop (the server calls stores from its own dispatch queues).
final class ConnectionPool: @unchecked Sendable {
    let url: PostgresURL
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let logger: Logger
    let connectTimeout: TimeAmount
    let limit: Int
    private let condition = NSCondition()
    private var idle: [PostgresConnection] = []
    private var open = 0
    private var nextID = 0
    private var closed = false

    init(url: PostgresURL, limit: Int = 8, connectTimeout: TimeAmount = .seconds(10)) {
        self.url = url
        self.limit = limit
        self.connectTimeout = connectTimeout
        var logger = Logger(label: "accrue.postgres")
        logger.logLevel = .error
        self.logger = logger
    }

    /// Runs `body` on a checked-out connection. A connection the server or the network closed is
    /// dropped, and the next caller opens a new one. When the connection turns out to be gone
    /// before anything was done on it (a transaction's BEGIN failed), or with `retryIfLost` (for
    /// reads only: a write may have committed before the connection went), `body` runs once more
    /// on a new connection.
    func with<T>(retryIfLost: Bool = false, _ body: (Connection) throws -> T) throws -> T {
        let connection = try checkOut()
        do {
            let result = try body(Connection(base: connection, logger: logger))
            checkIn(connection)
            return result
        } catch {
            checkIn(connection)
            guard error is LostBeforeStart || (retryIfLost && connection.isClosed) else { throw error }
        }
        return try again(body)
    }

    /// The second and last try of `with`.
    private func again<T>(_ body: (Connection) throws -> T) throws -> T {
        let connection = try checkOut()
        defer { checkIn(connection) }
        do {
            return try body(Connection(base: connection, logger: logger))
        } catch is LostBeforeStart {
            throw PostgresStoreError.connectionLost(reason: "a new connection was closed before its transaction began")
        }
    }

    private func checkOut() throws -> PostgresConnection {
        condition.lock()
        while true {
            if closed {
                condition.unlock()
                throw PostgresStoreError.cannotConnect(server: url.server, reason: "the store is closed")
            }
            if let connection = idle.popLast() {
                if connection.isClosed {
                    open -= 1
                    continue
                }
                condition.unlock()
                return connection
            }
            if open < limit { break }
            condition.wait()
        }
        open += 1
        nextID += 1
        let id = nextID
        condition.unlock()
        do {
            return try connect(id: id)
        } catch {
            condition.lock()
            open -= 1
            condition.signal()
            condition.unlock()
            throw error
        }
    }

    private func checkIn(_ connection: PostgresConnection) {
        condition.lock()
        let drop = connection.isClosed || closed
        if drop { open -= 1 } else { idle.append(connection) }
        condition.signal()
        condition.unlock()
        if drop, !connection.isClosed { try? connection.close().wait() }
    }

    /// Opens one connection, failing after `connectTimeout` whatever the driver does.
    private func connect(id: Int) throws -> PostgresConnection {
        let loop = group.next()
        let configuration = try url.configuration(connectTimeout: connectTimeout)
        let promise = loop.makePromise(of: PostgresConnection.self)
        let tooLate = PostgresStoreError.cannotConnect(server: url.server, reason: "no answer within \(connectTimeout.nanoseconds / 1_000_000_000) s")
        let timeout = loop.scheduleTask(in: connectTimeout) { promise.fail(tooLate) }
        let attempt = PostgresConnection.connect(on: loop, configuration: configuration, id: id, logger: logger)
        attempt.whenComplete { result in
            timeout.cancel()
            switch result {
            case let .success(connection):
                promise.futureResult.whenFailure { _ in
                    let _: EventLoopFuture<Void> = connection.close() // it came too late
                }
                promise.succeed(connection)
            case let .failure(error):
                promise.fail(error)
            }
        }
        do {
            return try promise.futureResult.wait()
        } catch let error as PostgresStoreError {
            throw error
        } catch {
            throw PostgresStoreError.cannotConnect(server: url.server, reason: describe(error))
        }
    }

    /// Closes every connection and stops the event loop; later calls fail.
    func close() {
        condition.lock()
        guard !closed else { condition.unlock(); return }
        closed = true
        let connections = idle
        idle = []
        condition.broadcast()
        condition.unlock()
        for connection in connections { try? connection.close().wait() }
        try? group.syncShutdownGracefully()
    }
}

/// What a PostgresNIO error says, with the server's message when there is one (a PSQLError's
/// plain description hides it).
func describe(_ error: any Error) -> String {
    if let error = error as? PSQLError {
        if let message = error.serverInfo?[.message] {
            let detail = error.serverInfo?[.detail].map { " (\($0))" } ?? ""
            return message + detail
        }
        if let underlying = error.underlying { return String(describing: underlying) }
        return String(reflecting: error.code)
    }
    return String(describing: error)
}

/// A connection was found gone when a transaction began: the caller may run it again on another.
struct LostBeforeStart: Error {}

/// One checked-out connection, with synchronous statements.
struct Connection {
    let base: PostgresConnection
    let logger: Logger

    /// Runs one statement and returns its rows and the number of rows it changed.
    @discardableResult
    func run(_ sql: String, _ binds: PostgresBindings = PostgresBindings()) throws -> (rows: [PostgresRandomAccessRow], changed: Int) {
        do {
            let result = try base.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger).wait()
            return (result.rows.map { $0.makeRandomAccess() }, result.metadata.rows ?? 0)
        } catch let error as PSQLError {
            guard isConnectionLoss(error) else { throw PostgresStoreError.query(reason: describe(error), sql: sql) }
            // Closed here, so that the pool drops it at check-in whatever the channel says yet.
            _ = try? base.close().wait()
            throw PostgresStoreError.connectionLost(reason: describe(error))
        }
    }

    /// Whether an error means the connection is gone (closed by either side, reset, or its session
    /// ended by the server) rather than a statement refused on a live connection.
    func isConnectionLoss(_ error: PSQLError) -> Bool {
        switch error.code {
        case .serverClosedConnection, .clientClosedConnection, .connectionError, .uncleanShutdown:
            return true
        case .server:
            // Class 08: connection exceptions; 57P01-57P05: the server shut the session down.
            let state = error.serverInfo?[.sqlState] ?? ""
            return state.hasPrefix("08") || state.hasPrefix("57P")
        default:
            return false
        }
    }

    /// Runs `body` between BEGIN and COMMIT, rolling back when it throws.
    func transaction<T>(_ begin: String = "BEGIN", _ body: () throws -> T) throws -> T {
        do {
            try run(begin)
        } catch PostgresStoreError.connectionLost {
            throw LostBeforeStart() // an idle connection the server had closed: nothing was done
        }
        let result: T
        do {
            result = try body()
        } catch {
            // When the rollback fails too the connection is unusable: close it, so the pool drops it.
            if (try? run("ROLLBACK")) == nil { _ = try? base.close().wait() }
            throw error
        }
        try run("COMMIT")
        return result
    }
}

/// Builds a statement's bound values in order: `$1` is the first appended.
struct Binds {
    var values = PostgresBindings()

    init() {}

    mutating func add<Value: PostgresNonThrowingEncodable>(_ value: Value) { values.append(value) }
    mutating func add<Value: PostgresNonThrowingEncodable>(_ value: Value?) { values.append(value) }
    /// A one-dimensional array that may hold NULLs, for `unnest`.
    mutating func add<Element: PostgresArrayEncodable & PostgresNonThrowingEncodable>(nullable array: [Element?]) {
        values.append(NullableArray(elements: array))
    }
}

extension PostgresRandomAccessRow {
    /// The value of the named column.
    func get<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        try self[column].decode(T.self)
    }
}

/// A PostgreSQL array whose elements may be NULL (PostgresNIO's own arrays cannot hold NULLs), in
/// the binary array format: dimensions, has-nulls flag, element type, length and lower bound, then
/// each element as its length (-1 for NULL) and bytes.
struct NullableArray<Element: PostgresArrayEncodable & PostgresNonThrowingEncodable>: PostgresNonThrowingEncodable {
    var elements: [Element?]

    static var psqlType: PostgresDataType { Element.psqlArrayType }
    static var psqlFormat: PostgresFormat { .binary }

    func encode<JSONEncoder: PostgresJSONEncoder>(into buffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>) {
        buffer.writeInteger(Int32(elements.isEmpty ? 0 : 1))
        buffer.writeInteger(Int32(elements.contains { $0 == nil } ? 1 : 0))
        buffer.writeInteger(Element.psqlType.rawValue)
        guard !elements.isEmpty else { return }
        buffer.writeInteger(Int32(elements.count))
        buffer.writeInteger(Int32(1))
        for element in elements {
            guard let element else {
                buffer.writeInteger(Int32(-1))
                continue
            }
            let lengthAt = buffer.writerIndex
            buffer.writeInteger(Int32(0))
            element.encode(into: &buffer, context: context)
            buffer.setInteger(Int32(buffer.writerIndex - lengthAt - 4), at: lengthAt)
        }
    }
}
