import AccrueCore
import AccruePrograms
import AccrueServer
import AccrueSQLite
import AccrueStore
import ArgumentParser
import Foundation
import Logging

/// `accrue serve`: the HTTP service.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the HTTP service: the presets loaded, SQLite in a data folder (or PostgreSQL), 127.0.0.1:8080.")

    @Option(name: .long, help: "The folder of the embedded SQLite database (created when missing).")
    var data = "data"

    @Option(name: .long, help: "A PostgreSQL URL (postgres://user:password@host:port/database) instead of SQLite.")
    var database: String?

    @Option(name: .long, help: "The address to listen on.")
    var host = "127.0.0.1"

    @Option(name: .long, help: "The port to listen on.")
    var port = 8080

    @Option(name: .long, help: "Seconds between looks for due work (pending releases, expiry, tiers, hold timeouts).")
    var tick: Double = 5

    @Option(name: .long, help: "Inputs between checkpoints of a program's state: a start replays about this much log (more under load: a checkpoint waits three times as long as the last one took to write).")
    var checkpointEvery = 20_000

    @Option(name: .long, help: "Invalid keys, tokens or sessions one client address may send per minute before all its credentials are refused (429) until the minute ends.")
    var authFailuresPerMinute = 20

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error.")
    var logLevel = "info"

    func validate() throws {
        guard (1...65_535).contains(port) else { throw ValidationError("--port must be from 1 to 65535") }
        guard tick >= 0.05, tick <= 3_600 else { throw ValidationError("--tick must be from 0.05 to 3600 seconds") }
        guard (100...10_000_000).contains(checkpointEvery) else { throw ValidationError("--checkpoint-every must be from 100 to 10000000") }
        guard (1...1_000_000).contains(authFailuresPerMinute) else { throw ValidationError("--auth-failures-per-minute must be from 1 to 1000000") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level must be trace, debug, info, notice, warning or error") }
    }

    func run() async throws {
        var logger = Logger(label: "accrue") { LineLogHandler(label: $0) }
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        let store = try openServiceStore(database: database, data: data)
        let service = try AccrueService(store: store, configuration: ServerConfiguration(host: host, port: port, tickSeconds: tick,
                                                                                    checkpointInterval: checkpointEvery,
                                                                                    authFailuresPerMinute: authFailuresPerMinute),
                                        logger: logger)
        let registered = try service.registerPresets(Presets.names())
        if !registered.isEmpty { print("accrue: loaded the presets \(registered.joined(separator: ", "))") }
        if let key = try service.bootstrapKey() {
            print("""
                accrue: the first operator key (account-wide, every scope). It is shown only this once; store it now:

                    \(key)

                """)
        }
        // Said once the socket listens, so that whoever waits for this line can connect at once.
        try await service.application(onServerRunning: { _ in
            print("accrue: serving on http://\(host):\(port) (the API is described at /openapi.json); stop with Ctrl-C")
            fflush(nil)
        }).runService()
        // Stopped, every checkpoint written: the SQLite file alone then holds everything.
        if let sqlite = store as? SQLiteStore {
            do { try sqlite.copyWholeLog() } catch { logger.warning("the write-ahead log was not copied at the stop; the next start reads it", metadata: ["error": "\(error)"]) }
        }
    }
}

/// The store a server runs on: PostgreSQL when a URL is given, else SQLite in the data folder.
func openServiceStore(database: String?, data: String) throws -> any LedgerStore & ServiceStore {
    if let database {
        return try openPostgres(database)
    }
    try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
    return try openStore(data + "/accrue.sqlite")
}
