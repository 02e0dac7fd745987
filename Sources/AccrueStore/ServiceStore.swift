import AccrueCore

/// What an operator API key may do.
public enum Scope: String, Sendable, Codable, CaseIterable {
    /// Send inputs (earn, spend, holds, bookings) and ask for checkout quotes.
    case writeInputs = "inputs:write"
    /// Read members, their history, why answers, reports; mint member tokens.
    case readMembers = "members:read"
    /// Manage programs, keys and webhooks.
    case administer = "admin"
}

/// An operator API key as the store keeps it: never the key itself, only its SHA-256.
public struct APIKeyRecord: Sendable, Equatable {
    public var id: String
    /// The program the key belongs to, or nil for the operator's whole account.
    public var program: String?
    public var scopes: [Scope]
    public var name: String
    /// Lower-case hex SHA-256 of the key's text.
    public var hash: String
    public var createdAt: Instant
    public var revokedAt: Instant?

    public init(id: String, program: String?, scopes: [Scope], name: String, hash: String, createdAt: Instant, revokedAt: Instant? = nil) {
        self.id = id
        self.program = program
        self.scopes = scopes
        self.name = name
        self.hash = hash
        self.createdAt = createdAt
        self.revokedAt = revokedAt
    }
}

/// A webhook endpoint and where its delivery stands. Events of its program are delivered in seq
/// order; `cursor` is the seq of the last one the receiver acknowledged.
public struct WebhookEndpoint: Sendable, Equatable {
    public var id: String
    public var program: String
    public var url: String
    /// The HMAC-SHA256 key deliveries are signed with.
    public var secret: String
    /// The event types it receives; empty means all.
    public var events: [String]
    public var createdAt: Instant
    public var cursor: Int64
    /// Failed attempts at the event after `cursor`.
    public var attempts: Int
    public var nextAttemptAt: Instant?
    public var lastError: String?
    public var delivered: Int64

    public init(id: String, program: String, url: String, secret: String, events: [String], createdAt: Instant, cursor: Int64 = 0,
                attempts: Int = 0, nextAttemptAt: Instant? = nil, lastError: String? = nil, delivered: Int64 = 0) {
        self.id = id
        self.program = program
        self.url = url
        self.secret = secret
        self.events = events
        self.createdAt = createdAt
        self.cursor = cursor
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.lastError = lastError
        self.delivered = delivered
    }
}

/// One event of the outbox, as written by a commit.
public struct StoredEvent: Sendable, Equatable {
    public var program: String
    public var event: LedgerEvent

    public init(program: String, event: LedgerEvent) {
        self.program = program
        self.event = event
    }
}

/// Totals of one kind of entry on one day, for reports.
public struct EntryTotal: Sendable, Equatable {
    public var at: Instant
    public var kind: EntryKind
    public var points: Int64
    /// The rule of an award, for "top rules by points awarded".
    public var rule: String?

    public init(at: Instant, kind: EntryKind, points: Int64, rule: String? = nil) {
        self.at = at
        self.kind = kind
        self.points = points
        self.rule = rule
    }
}

/// What the HTTP service keeps beside the ledger: settings, keys, webhooks and their outbox,
/// retired programs. Every store that backs a server implements it; one conformance suite runs on each.
public protocol ServiceStore: AnyObject, Sendable {
    /// A server-wide setting (the member-token signing key), or nil.
    func setting(_ key: String) throws -> String?
    /// Stores `value` under `key` unless a value is there; returns the value that is there after.
    func initializeSetting(_ key: String, to value: String) throws -> String

    func insertKey(_ key: APIKeyRecord) throws
    func key(hash: String) throws -> APIKeyRecord?
    func keys() throws -> [APIKeyRecord]
    /// Marks a key revoked; false when there is no such key or it was revoked already (it keeps
    /// its first revocation time).
    func revokeKey(id: String, at: Instant) throws -> Bool

    func insertWebhook(_ endpoint: WebhookEndpoint) throws
    func webhook(id: String) throws -> WebhookEndpoint?
    /// The webhooks of a program, or of every program when nil.
    func webhooks(program: String?) throws -> [WebhookEndpoint]
    func deleteWebhook(id: String) throws -> Bool
    /// Takes a lease on up to `limit` webhooks whose next attempt is due at `now` and which no live
    /// lease holds, so that several servers on one database do not deliver the same event at once.
    func claimWebhooks(now: Instant, owner: String, leaseUntil: Instant, limit: Int) throws -> [WebhookEndpoint]
    /// Records a delivery attempt's result and gives the lease back; ignored when `owner` no longer
    /// holds the lease.
    func finishDelivery(webhook: String, owner: String, cursor: Int64, delivered: Int64, attempts: Int,
                        nextAttemptAt: Instant?, lastError: String?) throws

    /// The last seq of a program's entries, which are its webhook outbox (0 when empty): a new
    /// webhook starts after it. (The events themselves: `LedgerStore.events(program:after:limit:)`.)
    func lastEventSeq(program: String) throws -> Int64

    /// Entries in points (not in the program's other currencies) of a program between two instants
    /// (from inclusive, to exclusive), for reports.
    func entryTotals(program: String, from: Instant, to: Instant) throws -> [EntryTotal]

    func retiredPrograms() throws -> Set<String>
    func setRetired(program: String, _ retired: Bool) throws
}
