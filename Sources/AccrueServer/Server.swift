import AccrueCore
import AccruePrograms
import AccrueStore
import Foundation
import Hummingbird
import Logging
import Metrics
import Prometheus
import NIOCore
import ServiceLifecycle

/// How a server runs. Everything a test changes is here, the clock included.
public struct ServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// The business clock: what "now" is for due work, member views and token expiry.
    public var now: @Sendable () -> Instant
    /// How often due work (pending releases, expiry, tiers, hold timeouts) is looked for.
    public var tickSeconds: Double
    /// Webhook delivery: how often to look for work, and the first retry delay (doubling up to an hour).
    public var webhookPollSeconds: Double
    public var webhookRetrySeconds: Double
    /// A name for this process in webhook leases (several servers may share a database).
    public var instance: String
    /// Inputs between automatic checkpoints of a program's state (a restart replays at most these).
    public var checkpointInterval: Int
    /// Invalid keys, tokens or sessions one client address may send per minute; past that, every
    /// credential it sends is refused with 429 until the minute is over (guessing keys is slowed).
    public var authFailuresPerMinute: Int

    public init(host: String = "127.0.0.1", port: Int = 8080, now: @escaping @Sendable () -> Instant = { Instant.wallClock() },
                tickSeconds: Double = 5, webhookPollSeconds: Double = 1, webhookRetrySeconds: Double = 2,
                instance: String? = nil, checkpointInterval: Int = 20_000, authFailuresPerMinute: Int = 20) {
        self.checkpointInterval = checkpointInterval
        self.authFailuresPerMinute = authFailuresPerMinute
        self.host = host
        self.port = port
        self.now = now
        self.tickSeconds = tickSeconds
        self.webhookPollSeconds = webhookPollSeconds
        self.webhookRetrySeconds = webhookRetrySeconds
        self.instance = instance ?? "accrue-\(ProcessInfo.processInfo.processIdentifier)-\(Credentials.randomHex(bytes: 4))"
    }
}

extension Instant {
    /// The machine's clock, for the server's default configuration (the core never reads it).
    public static func wallClock() -> Instant {
        Instant(milliseconds: Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)))
    }
}

/// The Accrue service: the programs of one store behind an HTTP API, with due work run on a clock
/// and webhooks delivered from the outbox.
public final class AccrueService: Sendable {
    public let configuration: ServerConfiguration
    let store: any LedgerStore & ServiceStore
    let directory: ProgramDirectory
    let credentials: Credentials
    let logger: Logger
    let metrics: ServiceMetrics

    /// Opens the service on a store: loads every program (replaying each log from its checkpoint).
    public init(store: any LedgerStore & ServiceStore, configuration: ServerConfiguration = ServerConfiguration(),
                logger: Logger = Logger(label: "accrue")) throws {
        self.store = store
        self.configuration = configuration
        self.logger = logger
        directory = ProgramDirectory(store: store, checkpointInterval: configuration.checkpointInterval)
        credentials = try Credentials(store: store, failureLimit: configuration.authFailuresPerMinute)
        metrics = ServiceMetrics.shared
        try directory.loadAll()
    }

    /// Registers each preset not yet in the store (a first start). Returns the ids registered.
    @discardableResult
    public func registerPresets(_ names: [String]) throws -> [String] {
        var registered: [String] = []
        for name in names {
            guard let path = Presets.path(of: name) else { continue }
            let source = try String(contentsOfFile: path, encoding: .utf8)
            let program = try ProgramFile.parse(source, file: path)
            guard try store.program(program.id) == nil else { continue }
            try store.register(StoredProgram(id: program.id, base: program.id, version: program.version, source: source))
            registered.append(program.id)
        }
        if !registered.isEmpty { try directory.loadAll() }
        return registered
    }

    /// Creates an account-wide key with every scope when the store has no key yet, and returns its
    /// text (shown once; only its hash is stored). Nil when keys exist.
    public func bootstrapKey() throws -> String? {
        guard try store.keys().isEmpty else { return nil }
        let (text, record) = Credentials.newKey(program: nil, scopes: Scope.allCases, name: "first operator key", now: configuration.now())
        try store.insertKey(record)
        return text
    }

    /// The router with every route; tests drive it in process, `run` serves it on a socket.
    public func router() -> Router<AccrueRequestContext> {
        let router = Router(context: AccrueRequestContext.self)
        let table = RouteTable()
        router.middlewares.add(RequestsMiddleware(logDebug: logger.logLevel <= .debug))
        router.middlewares.add(ProblemMiddleware(routes: table))
        addRoutes(to: router)
        table.fill(router.routes.map { ("\($0.method)", "\($0.path)") })
        return router
    }

    /// The application with the clock and webhook services; `runService()` serves until SIGTERM or
    /// SIGINT, finishing requests in flight, then writes a checkpoint of every program.
    public func application(onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in })
        -> some ApplicationProtocol {
        Application(router: router(),
                    configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "accrue"),
                    services: [ClockService(service: self), WebhookService(service: self)],
                    onServerRunning: onServerRunning, logger: logger)
    }

    /// Writes a checkpoint of every program, so that the next start replays no log.
    public func checkpointAll() async {
        for host in directory.all {
            do {
                try await host.run { ledger in try ledger.checkpoint() }
            } catch {
                logger.error("checkpoint failed", metadata: ["program": "\(host.id)", "error": "\(error)"])
            }
        }
    }

    /// Picks up programs, versions and retirements other servers on the same database made (the
    /// clock service does this on every tick).
    public func syncPrograms() async throws {
        try await directory.sync()
    }

    /// Scheduled items (releases, expiries, notices) run and committed in one step of due work.
    /// Between steps the program's queue takes the inputs waiting, so a backlog of due work (a
    /// week-old flash sale's pending points all becoming available) does not hold up commits.
    public static let dueWorkStepItems = 500
    /// The most steps one program takes per tick (100,000 items): a program whose backlog keeps
    /// growing (late inputs making work already due) leaves the tick to the other programs and
    /// the draws, and goes on at the next tick.
    public static let dueWorkStepsPerTick = 200

    /// Runs due work of every program up to now, when some is due, in steps.
    public func runDueWork() async {
        let now = configuration.now()
        for host in directory.all {
            do {
                var entries = 0
                var steps = 0
                while true {
                    let step = try await host.run { ledger -> (entries: Int, done: Bool) in
                        try ledger.refresh()
                        guard let due = ledger.engine.nextDue, due <= now else { return (0, true) }
                        let step = try ledger.advance(ClockStep(time: now, items: AccrueService.dueWorkStepItems))
                        return (step.entries.count, step.done)
                    }
                    entries += step.entries
                    steps += 1
                    if step.done || steps >= AccrueService.dueWorkStepsPerTick { break }
                }
                if entries > 0 {
                    logger.info("due work", metadata: ["program": "\(host.id)", "entries": "\(entries)", "steps": "\(steps)"])
                }
            } catch {
                logger.error("due work failed", metadata: ["program": "\(host.id)", "error": "\(error)"])
            }
        }
        await revealDueDraws(now: now)
    }
}

/// Runs due work on the clock, and picks up program changes other servers made.
struct ClockService: ServiceLifecycle.Service {
    let service: AccrueService

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await service.directory.sync()
            await service.runDueWork()
            // A graceful shutdown ends the wait at once.
            let milliseconds = Int(service.configuration.tickSeconds * 1000)
            _ = try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .milliseconds(milliseconds)) }
        }
        await service.checkpointAll()
    }
}

/// Prometheus metrics: the HTTP middleware's and Accrue's own.
final class ServiceMetrics: Sendable {
    static let shared = ServiceMetrics()
    let registry: PrometheusCollectorRegistry

    private init() {
        registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
    }

    func inputs(program: String, status: String, count: Int) {
        registry.makeCounter(name: "accrue_inputs_total", labels: [("program", program), ("status", status)]).increment(by: Int64(count))
    }

    /// One committed transaction of inputs: their count shows how many requests group commit joined.
    func commit(inputs: Int) {
        registry.makeCounter(name: "accrue_commits_total", labels: []).increment()
        registry.makeCounter(name: "accrue_committed_inputs_total", labels: []).increment(by: Int64(inputs))
    }

    /// Checkpoints written off the writers' path, and those that failed (their records are
    /// written by the next one).
    func checkpoint(program: String, encodeNanoseconds: UInt64, writeNanoseconds: UInt64) {
        registry.makeCounter(name: "accrue_checkpoints_total", labels: [("program", program)]).increment()
        // Where a checkpoint's time goes: encoding (off every lock) and writing (holding the store's writer).
        registry.makeCounter(name: "accrue_checkpoint_encode_milliseconds_total", labels: [("program", program)])
            .increment(by: Int64(encodeNanoseconds / 1_000_000))
        registry.makeCounter(name: "accrue_checkpoint_write_milliseconds_total", labels: [("program", program)])
            .increment(by: Int64(writeNanoseconds / 1_000_000))
    }

    func checkpointFailed(program: String) {
        registry.makeCounter(name: "accrue_checkpoint_failures_total", labels: [("program", program)]).increment()
    }

    func webhook(result: String) {
        registry.makeCounter(name: "accrue_webhook_deliveries_total", labels: [("result", result)]).increment()
    }

    func text() -> String { registry.emitToString() }
}
