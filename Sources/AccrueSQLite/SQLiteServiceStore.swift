import AccrueCore
import AccrueStore
import GRDB

/// Keys, webhooks, the outbox and settings in the same SQLite file as the ledger.
extension SQLiteStore: ServiceStore {
    public func setting(_ key: String) throws -> String? {
        try pool.read { db in try String.fetchOne(db, sql: "SELECT value FROM settings WHERE key = ?", arguments: [key]) }
    }

    public func initializeSetting(_ key: String, to value: String) throws -> String {
        try pool.write { db in
            try db.execute(sql: "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING", arguments: [key, value])
            return try String.fetchOne(db, sql: "SELECT value FROM settings WHERE key = ?", arguments: [key]) ?? value
        }
    }

    public func insertKey(_ key: APIKeyRecord) throws {
        try pool.write { db in
            try db.execute(sql: "INSERT INTO api_keys (id, program, scopes, name, hash, created_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                           arguments: [key.id, key.program, key.scopes.map(\.rawValue).joined(separator: ","), key.name, key.hash,
                                       key.createdAt.milliseconds, key.revokedAt?.milliseconds])
        }
    }

    public func key(hash: String) throws -> APIKeyRecord? {
        try pool.read { db in try Row.fetchOne(db, sql: "SELECT * FROM api_keys WHERE hash = ?", arguments: [hash]).map(SQLiteStore.apiKey) }
    }

    public func keys() throws -> [APIKeyRecord] {
        try pool.read { db in try Row.fetchAll(db, sql: "SELECT * FROM api_keys ORDER BY created_at, id").map(SQLiteStore.apiKey) }
    }

    public func revokeKey(id: String, at: Instant) throws -> Bool {
        try pool.write { db in
            try db.execute(sql: "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", arguments: [at.milliseconds, id])
            return db.changesCount == 1
        }
    }

    static func apiKey(_ row: Row) -> APIKeyRecord {
        APIKeyRecord(id: row["id"], program: row["program"],
                     scopes: (row["scopes"] as String).split(separator: ",").compactMap { Scope(rawValue: String($0)) },
                     name: row["name"], hash: row["hash"], createdAt: Instant(milliseconds: row["created_at"]),
                     revokedAt: (row["revoked_at"] as Int64?).map(Instant.init(milliseconds:)))
    }

    public func insertWebhook(_ endpoint: WebhookEndpoint) throws {
        try pool.write { db in
            try db.execute(sql: """
                INSERT INTO webhooks (id, program, url, secret, events, created_at, cursor, attempts, next_attempt_at, last_error, delivered)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [endpoint.id, endpoint.program, endpoint.url, endpoint.secret, endpoint.events.joined(separator: ","),
                                 endpoint.createdAt.milliseconds, endpoint.cursor, endpoint.attempts, endpoint.nextAttemptAt?.milliseconds,
                                 endpoint.lastError, endpoint.delivered])
        }
    }

    public func webhook(id: String) throws -> WebhookEndpoint? {
        try pool.read { db in try Row.fetchOne(db, sql: "SELECT * FROM webhooks WHERE id = ?", arguments: [id]).map(SQLiteStore.webhook) }
    }

    public func webhooks(program: String?) throws -> [WebhookEndpoint] {
        try pool.read { db in
            if let program {
                return try Row.fetchAll(db, sql: "SELECT * FROM webhooks WHERE program = ? ORDER BY created_at, id", arguments: [program])
                    .map(SQLiteStore.webhook)
            }
            return try Row.fetchAll(db, sql: "SELECT * FROM webhooks ORDER BY created_at, id").map(SQLiteStore.webhook)
        }
    }

    public func deleteWebhook(id: String) throws -> Bool {
        try pool.write { db in
            try db.execute(sql: "DELETE FROM webhooks WHERE id = ?", arguments: [id])
            return db.changesCount == 1
        }
    }

    public func claimWebhooks(now: Instant, owner: String, leaseUntil: Instant, limit: Int) throws -> [WebhookEndpoint] {
        try pool.write { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT * FROM webhooks
                WHERE (next_attempt_at IS NULL OR next_attempt_at <= ?) AND (lease_until IS NULL OR lease_until <= ?)
                ORDER BY id LIMIT ?
                """, arguments: [now.milliseconds, now.milliseconds, limit])
            for row in rows {
                try db.execute(sql: "UPDATE webhooks SET lease_owner = ?, lease_until = ? WHERE id = ?",
                               arguments: [owner, leaseUntil.milliseconds, row["id"] as String])
            }
            return rows.map(SQLiteStore.webhook)
        }
    }

    public func finishDelivery(webhook: String, owner: String, cursor: Int64, delivered: Int64, attempts: Int,
                               nextAttemptAt: Instant?, lastError: String?) throws {
        try pool.write { db in
            try db.execute(sql: """
                UPDATE webhooks SET cursor = ?, delivered = ?, attempts = ?, next_attempt_at = ?, last_error = ?,
                    lease_owner = NULL, lease_until = NULL
                WHERE id = ? AND lease_owner = ?
                """, arguments: [cursor, delivered, attempts, nextAttemptAt?.milliseconds, lastError, webhook, owner])
        }
    }

    static func webhook(_ row: Row) -> WebhookEndpoint {
        WebhookEndpoint(id: row["id"], program: row["program"], url: row["url"], secret: row["secret"],
                        events: (row["events"] as String).split(separator: ",").map(String.init),
                        createdAt: Instant(milliseconds: row["created_at"]), cursor: row["cursor"], attempts: row["attempts"],
                        nextAttemptAt: (row["next_attempt_at"] as Int64?).map(Instant.init(milliseconds:)),
                        lastError: row["last_error"], delivered: row["delivered"])
    }

    public func lastEventSeq(program: String) throws -> Int64 {
        try pool.read { db in try Int64.fetchOne(db, sql: "SELECT MAX(seq) FROM entries WHERE program = ?", arguments: [program]) ?? 0 }
    }

    public func entryTotals(program: String, from: Instant, to: Instant) throws -> [EntryTotal] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT at, kind, points, rule FROM entries WHERE program = ? AND at >= ? AND at < ? AND currency IS NULL ORDER BY at, seq",
                             arguments: [program, from.milliseconds, to.milliseconds]).compactMap { row in
                guard let kind = EntryKind(rawValue: row["kind"]) else { return nil }
                return EntryTotal(at: Instant(milliseconds: row["at"]), kind: kind, points: row["points"], rule: row["rule"])
            }
        }
    }

    public func retiredPrograms() throws -> Set<String> {
        try pool.read { db in Set(try String.fetchAll(db, sql: "SELECT id FROM programs WHERE retired = 1")) }
    }

    public func setRetired(program: String, _ retired: Bool) throws {
        try pool.write { db in
            try db.execute(sql: "UPDATE programs SET retired = ? WHERE id = ?", arguments: [retired ? 1 : 0, program])
            guard db.changesCount == 1 else { throw StoreError.unknownProgram(program) }
        }
    }
}
