import AccruePostgres
import AccrueStore
import Foundation

// Durable ingest into PostgreSQL, beside pgbench running the same row writes as a custom script
// on the same server in the same run.

/// Where the PostgreSQL steps run: a server to create two throwaway databases on, and the folder
/// of its client programs (pgbench, psql).
struct PostgresTarget {
    /// `postgres://user@host:port/database` of a server on which databases may be created.
    let server: String
    let tools: String

    var pgbench: String { tools + "/pgbench" }
    var psql: String { tools + "/psql" }

    /// The folder of pgbench and psql: beside the newest PostgreSQL Debian installed, else on the PATH.
    static func findTools() -> String? {
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        var folders = versions.sorted(by: { (Int($0) ?? 0) > (Int($1) ?? 0) }).map { "/usr/lib/postgresql/\($0)/bin" }
        folders += (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        return folders.first { FileManager.default.isExecutableFile(atPath: $0 + "/pgbench") && FileManager.default.isExecutableFile(atPath: $0 + "/psql") }
    }

    /// Runs psql on a database with `sql`; returns what it printed (unaligned, tuples only).
    func psql(_ url: String, _ sql: String) throws -> String {
        try runTool(psql, ["--no-psqlrc", "--quiet", "--tuples-only", "--no-align", "--set=ON_ERROR_STOP=1", "--dbname=\(url)", "--command=\(sql)"])
    }
}

extension Report {
    /// Ingests the logs into a fresh PostgreSQL database through `ProgramLedger` (the store writes a
    /// batch's log records and entries with one set-based statement each), then runs
    /// pgbench with a custom script writing the same rows per input as the raw GRDB loop (an input
    /// row with the line's length of body, an entry, a balance upsert) in transactions of the same
    /// batch size, one client like the ingest. The two databases are dropped afterwards.
    mutating func postgresIngest(_ runs: [ProgramRun], on target: PostgresTarget, replayed: [String: OutcomeTally],
                                 lineBytes: Int, in work: URL) throws {
        let total = replayed.values.reduce(0) { $0 + $1.inputs }
        let name = "accrue_bench_\(ProcessInfo.processInfo.processIdentifier)"
        let accrueURL = try PostgresStore.createDatabase(name, on: target.server)
        defer { try? PostgresStore.dropDatabase(name, on: target.server) }
        let store = try PostgresStore(url: accrueURL, connections: 2)
        let ((_, ingested), cost) = try measure { try ingestLogs(runs, into: store, batch: batch) }
        let differing = runs.filter { ingested[$0.program.id] != replayed[$0.program.id] }
        for run in differing {
            problems.append("\(run.program.id) on PostgreSQL: ingest gave \(ingested[run.program.id]!.summary); replay \(replayed[run.program.id]!.summary)")
        }
        store.close()
        let size = Int64(try target.psql(target.server, "SELECT pg_database_size('\(name)')").trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0

        let rawName = name + "_raw"
        let rawURL = try PostgresStore.createDatabase(rawName, on: target.server)
        defer { try? PostgresStore.dropDatabase(rawName, on: target.server) }
        let transactions = max(1, total / batch)
        let (pgbench, pgbenchCost) = try measure {
            try runPgbench(target, url: rawURL, transactions: transactions, batch: batch,
                           members: options.members, bodyBytes: lineBytes, in: work)
        }
        let rawRate = pgbench.tps * Double(batch)
        row("durable ingest into PostgreSQL (inputs/s)", accrue: Format.rate(total, cost.seconds),
            baseline: Format.rate(Int(rawRate.rounded()), 1) + " (pgbench, same rows)",
            ratio: Format.share(Double(total) / cost.seconds, of: rawRate), cost, pgbenchCost)
        note("PostgreSQL: ingested \(Format.count(total)) inputs in \(Format.seconds(cost.seconds)), database \(Format.megabytes(size)); "
             + "outcomes equal the replay's: \(differing.isEmpty ? "yes" : "NO"); pgbench ran \(Format.count(pgbench.transactions)) transactions "
             + "of \(Format.count(batch)) inputs at \(String(format: "%.1f", pgbench.tps)) tps, latency average \(String(format: "%.1f", pgbench.latencyMilliseconds)) ms")
    }
}

/// What pgbench reported.
struct PgbenchResult {
    var transactions: Int
    var tps: Double
    var latencyMilliseconds: Double
}

/// The tables of the raw loop, then pgbench with one client running `transactions` transactions of
/// `batch` inputs each: per input one row into `inputs` (unique by program and id), one entry, and
/// the members' balances upserted once per batch, all in one statement (the least round trips).
func runPgbench(_ target: PostgresTarget, url: String, transactions: Int, batch: Int, members: Int, bodyBytes: Int, in work: URL) throws -> PgbenchResult {
    _ = try target.psql(url, """
        CREATE TABLE inputs (
            position bigserial PRIMARY KEY,
            program text NOT NULL, id text NOT NULL, member text NOT NULL, body text NOT NULL,
            UNIQUE (program, id)
        );
        CREATE TABLE entries (
            program text NOT NULL, seq bigint NOT NULL, member text NOT NULL, points bigint NOT NULL,
            PRIMARY KEY (program, seq)
        );
        CREATE TABLE balances (
            program text NOT NULL, member text NOT NULL, balance bigint NOT NULL,
            PRIMARY KEY (program, member)
        );
        CREATE SEQUENCE ids;
        """)
    let script = work.appendingPathComponent("pgbench-ingest.sql")
    try """
        BEGIN;
        WITH batch AS MATERIALIZED (
            SELECT nextval('ids') AS n, 'member-' || (1 + floor(random() * :members)::bigint) AS member
            FROM generate_series(1, :batch)
        ), written AS (
            INSERT INTO inputs (program, id, member, body)
            SELECT 'bench', 'input-' || n, member, repeat('x', :body) FROM batch
            ON CONFLICT (program, id) DO NOTHING
        ), entered AS (
            INSERT INTO entries (program, seq, member, points) SELECT 'bench', n, member, 1 FROM batch
        )
        INSERT INTO balances (program, member, balance)
        SELECT 'bench', member, count(*) FROM batch GROUP BY member
        ON CONFLICT (program, member) DO UPDATE SET balance = balances.balance + excluded.balance;
        END;

        """.write(to: script, atomically: true, encoding: .utf8)
    let text = try runTool(target.pgbench, ["--no-vacuum", "--client=1", "--transactions=\(transactions)", "--file=\(script.path)",
                                            "--define=batch=\(batch)", "--define=members=\(members)", "--define=body=\(bodyBytes)", url])
    func number(after label: String) -> Double? {
        guard let line = text.split(separator: "\n").first(where: { $0.contains(label) }) else { return nil }
        return line.split(whereSeparator: { $0 == " " || $0 == "=" || $0 == ":" || $0 == "/" }).compactMap { Double($0) }.first
    }
    guard let tps = number(after: "tps ="), let done = number(after: "number of transactions actually processed") else {
        throw BenchError("could not read pgbench's output:\n\(text)")
    }
    return PgbenchResult(transactions: Int(done), tps: tps, latencyMilliseconds: number(after: "latency average") ?? 0)
}

/// Runs a program to its end; returns what it wrote (standard output and error together), or
/// throws with it when the program failed.
func runTool(_ path: String, _ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    let output = Pipe()
    process.standardOutput = output
    process.standardError = output
    try process.run()
    let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw BenchError("\(URL(fileURLWithPath: path).lastPathComponent) failed:\n\(text)") }
    return text
}
