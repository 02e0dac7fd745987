import AccrueCore
import AccrueStore
import PostgresNIO

/// Settings, keys, webhooks with their delivery leases, the outbox, reports and retired programs.
extension PostgresStore {
    /// Runs one statement with its bound values on a pooled connection.
    @discardableResult
    func run(_ sql: String, _ add: (inout Binds) -> Void = { _ in }) throws -> (rows: [PostgresRandomAccessRow], changed: Int) {
        var binds = Binds()
        add(&binds)
        return try pool.with { try $0.run(sql, binds.values) }
    }

    // MARK: Settings

    public func setting(_ key: String) throws -> String? {
        try run("SELECT value FROM settings WHERE key = $1") { $0.add(key) }.rows.first?.get("value")
    }

    public func initializeSetting(_ key: String, to value: String) throws -> String {
        // The no-op update makes RETURNING give the value already there.
        guard let row = try run("""
            INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = settings.value RETURNING value
            """, { $0.add(key); $0.add(value) }).rows.first else { throw PostgresStoreError.corrupt("no setting \(key) after writing it") }
        return try row.get("value")
    }

    // MARK: API keys

    public func insertKey(_ key: APIKeyRecord) throws {
        try run("""
            INSERT INTO api_keys (id, program, scopes, name, hash, created_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
            """) {
            $0.add(key.id)
            $0.add(key.program)
            $0.add(key.scopes.map(\.rawValue))
            $0.add(key.name)
            $0.add(key.hash)
            $0.add(key.createdAt.milliseconds)
            $0.add(key.revokedAt?.milliseconds)
        }
    }

    static let keyColumns = "id, program, scopes, name, hash, created_at, revoked_at"

    public func key(hash: String) throws -> APIKeyRecord? {
        try run("SELECT \(PostgresStore.keyColumns) FROM api_keys WHERE hash = $1") { $0.add(hash) }.rows.first.map(PostgresStore.key)
    }

    public func keys() throws -> [APIKeyRecord] {
        try run("SELECT \(PostgresStore.keyColumns) FROM api_keys ORDER BY created_at, id").rows.map(PostgresStore.key)
    }

    public func revokeKey(id: String, at: Instant) throws -> Bool {
        try run("UPDATE api_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL") { $0.add(id); $0.add(at.milliseconds) }.changed > 0
    }

    static func key(_ row: PostgresRandomAccessRow) throws -> APIKeyRecord {
        let scopes = try row.get("scopes", as: [String].self).map { name in
            guard let scope = Scope(rawValue: name) else { throw PostgresStoreError.corrupt("an API key with the unknown scope \(name)") }
            return scope
        }
        return APIKeyRecord(id: try row.get("id"), program: try row.get("program"), scopes: scopes, name: try row.get("name"),
                            hash: try row.get("hash"), createdAt: Instant(milliseconds: try row.get("created_at")),
                            revokedAt: try row.get("revoked_at", as: Int64?.self).map(Instant.init(milliseconds:)))
    }

    // MARK: Webhooks

    public func insertWebhook(_ endpoint: WebhookEndpoint) throws {
        try run("""
            INSERT INTO webhooks (id, program, url, secret, events, created_at, cursor, attempts, next_attempt_at, last_error, delivered)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
            """) {
            $0.add(endpoint.id)
            $0.add(endpoint.program)
            $0.add(endpoint.url)
            $0.add(endpoint.secret)
            $0.add(endpoint.events)
            $0.add(endpoint.createdAt.milliseconds)
            $0.add(endpoint.cursor)
            $0.add(endpoint.attempts)
            $0.add(endpoint.nextAttemptAt?.milliseconds)
            $0.add(endpoint.lastError)
            $0.add(endpoint.delivered)
        }
    }

    static let webhookColumns = "id, program, url, secret, events, created_at, cursor, attempts, next_attempt_at, last_error, delivered"

    public func webhook(id: String) throws -> WebhookEndpoint? {
        try run("SELECT \(PostgresStore.webhookColumns) FROM webhooks WHERE id = $1") { $0.add(id) }.rows.first.map(PostgresStore.webhook)
    }

    public func webhooks(program: String?) throws -> [WebhookEndpoint] {
        try run("SELECT \(PostgresStore.webhookColumns) FROM webhooks WHERE $1::text IS NULL OR program = $1 ORDER BY created_at, id") {
            $0.add(program)
        }.rows.map(PostgresStore.webhook)
    }

    public func deleteWebhook(id: String) throws -> Bool {
        try run("DELETE FROM webhooks WHERE id = $1") { $0.add(id) }.changed > 0
    }

    /// Leases due webhooks that no live lease holds. The inner SELECT locks the rows it picks and
    /// skips rows another server is leasing at this moment, so two servers never lease one webhook.
    public func claimWebhooks(now: Instant, owner: String, leaseUntil: Instant, limit: Int) throws -> [WebhookEndpoint] {
        guard limit > 0 else { return [] }
        return try run("""
            UPDATE webhooks SET lease_owner = $2, lease_until = $3
            WHERE id IN (
                SELECT id FROM webhooks
                WHERE (next_attempt_at IS NULL OR next_attempt_at <= $1) AND (lease_until IS NULL OR lease_until <= $1)
                ORDER BY next_attempt_at NULLS FIRST, id
                LIMIT $4
                FOR UPDATE SKIP LOCKED)
            RETURNING \(PostgresStore.webhookColumns)
            """) {
            $0.add(now.milliseconds)
            $0.add(owner)
            $0.add(leaseUntil.milliseconds)
            $0.add(limit)
        }.rows.map(PostgresStore.webhook).sorted { ($0.nextAttemptAt?.milliseconds ?? .min, $0.id) < ($1.nextAttemptAt?.milliseconds ?? .min, $1.id) }
    }

    public func finishDelivery(webhook: String, owner: String, cursor: Int64, delivered: Int64, attempts: Int,
                               nextAttemptAt: Instant?, lastError: String?) throws {
        try run("""
            UPDATE webhooks SET cursor = $3, delivered = $4, attempts = $5, next_attempt_at = $6, last_error = $7,
                lease_owner = NULL, lease_until = NULL
            WHERE id = $1 AND lease_owner = $2
            """) {
            $0.add(webhook)
            $0.add(owner)
            $0.add(cursor)
            $0.add(delivered)
            $0.add(attempts)
            $0.add(nextAttemptAt?.milliseconds)
            $0.add(lastError)
        }
    }

    static func webhook(_ row: PostgresRandomAccessRow) throws -> WebhookEndpoint {
        WebhookEndpoint(id: try row.get("id"), program: try row.get("program"), url: try row.get("url"), secret: try row.get("secret"),
                        events: try row.get("events"), createdAt: Instant(milliseconds: try row.get("created_at")),
                        cursor: try row.get("cursor"), attempts: try row.get("attempts"),
                        nextAttemptAt: try row.get("next_attempt_at", as: Int64?.self).map(Instant.init(milliseconds:)),
                        lastError: try row.get("last_error"), delivered: try row.get("delivered"))
    }

    // MARK: Outbox (the entries)

    public func lastEventSeq(program: String) throws -> Int64 {
        try run("SELECT COALESCE(MAX(seq), 0) AS last FROM entries WHERE program = $1") { $0.add(program) }.rows.first?.get("last") ?? 0
    }

    // MARK: Reports and retired programs

    public func entryTotals(program: String, from: Instant, to: Instant) throws -> [EntryTotal] {
        try run("SELECT at, kind, points, rule FROM entries WHERE program = $1 AND at >= $2 AND at < $3 AND currency IS NULL ORDER BY at, seq") {
            $0.add(program)
            $0.add(from.milliseconds)
            $0.add(to.milliseconds)
        }.rows.map { row in
            let kind: String = try row.get("kind")
            guard let entryKind = EntryKind(rawValue: kind) else { throw PostgresStoreError.corrupt("an entry of the unknown kind \(kind)") }
            return EntryTotal(at: Instant(milliseconds: try row.get("at")), kind: entryKind, points: try row.get("points"),
                              rule: try row.get("rule", as: String?.self))
        }
    }

    public func retiredPrograms() throws -> Set<String> {
        Set(try run("SELECT id FROM programs WHERE retired").rows.map { try $0.get("id", as: String.self) })
    }

    /// Marks a program retired or not; throws `StoreError.unknownProgram` for a program not registered.
    public func setRetired(program: String, _ retired: Bool) throws {
        guard try run("UPDATE programs SET retired = $2 WHERE id = $1", { $0.add(program); $0.add(retired) }).changed == 1 else {
            throw StoreError.unknownProgram(program)
        }
    }
}
