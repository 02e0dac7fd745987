import AccrueCore
import AccrueStore
import AsyncHTTPClient
import Crypto
import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// Webhook endpoints and keys: the administration routes.
extension AccrueService {
    func createWebhook(_ request: Request, _ context: AccrueRequestContext) async throws -> Response {
        let (host, _) = try program(request, context, scope: .administer)
        let body = try await Body.read(request, limit: 16_384)
        try body.allow(["url", "events"])
        let url = try body.requiredString("url", maxLength: APILimits.maximumURLLength)
        guard AccrueService.isWebhookURL(url), URL(string: url) != nil else {
            throw Problem(.unprocessableContent, "invalid_field", "'url' must be an http:// or https:// URL")
        }
        let events = try body.strings("events", maxCount: LedgerEvent.types.count) ?? []
        for event in events where !LedgerEvent.types.contains(event) {
            throw Problem(.unprocessableContent, "unknown_event", "there is no event type '\(event)'; types: \(LedgerEvent.types.joined(separator: ", "))")
        }
        let secret = "whsec_" + Credentials.randomHex(bytes: 24)
        // A new endpoint receives what happens from now on, not the program's whole past.
        let endpoint = WebhookEndpoint(id: "wh_" + Credentials.randomHex(bytes: 8), program: host.id, url: url, secret: secret,
                                       events: events, createdAt: configuration.now(), cursor: try store.lastEventSeq(program: host.id))
        try store.insertWebhook(endpoint)
        logger.info("webhook created", metadata: ["program": "\(host.id)", "webhook": "\(endpoint.id)"])
        guard case let .object(fields) = AccrueService.webhookJSON(endpoint) else { return Reply.json(.null) }
        return Reply.json(.object(fields + [("secret", .string(secret))]), status: .created)
    }

    /// `http(s)://host[:port][/path]`: a host of letters, digits, dots and hyphens, and a path of the
    /// characters RFC 3986 allows (the pattern the OpenAPI document gives).
    static func isWebhookURL(_ url: String) -> Bool {
        let text = Substring(url)
        let rest: Substring
        if text.hasPrefix("https://") { rest = text.dropFirst(8) } else if text.hasPrefix("http://") { rest = text.dropFirst(7) } else { return false }
        let hostEnd = rest.firstIndex(where: { $0 == ":" || $0 == "/" }) ?? rest.endIndex
        let host = rest[..<hostEnd]
        guard !host.isEmpty, host.unicodeScalars.allSatisfy({ $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "." || $0 == "-") }) else {
            return false
        }
        var tail = rest[hostEnd...]
        if tail.first == ":" {
            let portEnd = tail.firstIndex(of: "/") ?? tail.endIndex
            let port = tail[tail.index(after: tail.startIndex)..<portEnd]
            guard (1...5).contains(port.count), port.allSatisfy(\.isASCII), port.allSatisfy(\.isNumber) else { return false }
            tail = tail[portEnd...]
        }
        guard !tail.isEmpty else { return true }
        let allowed = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~:/?#@!$&'()*+,;=-".unicodeScalars)
        let scalars = Array(tail.unicodeScalars)
        guard scalars.first == "/" else { return false }
        var index = 0
        while index < scalars.count {
            if scalars[index] == "%" {
                // A percent sign starts an escape of exactly two hex digits.
                guard index + 2 < scalars.count, scalars[index + 1].properties.isASCIIHexDigit, scalars[index + 2].properties.isASCIIHexDigit else {
                    return false
                }
                index += 3
            } else {
                guard allowed.contains(scalars[index]) else { return false }
                index += 1
            }
        }
        return true
    }

    static func webhookJSON(_ endpoint: WebhookEndpoint) -> JSON {
        .object([
            ("id", .string(endpoint.id)),
            ("program", .string(endpoint.program)),
            ("url", .string(endpoint.url)),
            ("events", .array(endpoint.events.map(JSON.string))),
            ("created_at", .string(endpoint.createdAt.rfc3339)),
            ("delivered", .number(String(endpoint.delivered))),
            ("last_delivered_seq", .number(String(endpoint.cursor))),
            ("failed_attempts", .number(String(endpoint.attempts))),
            ("next_attempt_at", endpoint.nextAttemptAt.map { .string($0.rfc3339) } ?? .null),
            ("last_error", endpoint.lastError.map(JSON.string) ?? .null),
        ])
    }

    func listWebhooks(_ request: Request, _ context: AccrueRequestContext) async throws -> Response {
        let (host, _) = try program(request, context, scope: .administer)
        return Reply.json(.object([("webhooks", .array(try store.webhooks(program: host.id).map(AccrueService.webhookJSON)))]))
    }

    func deleteWebhook(_ request: Request, _ context: AccrueRequestContext) async throws -> Response {
        let (host, _) = try program(request, context, scope: .administer)
        let id = try context.parameters.id("webhook")
        guard let endpoint = try store.webhook(id: id), endpoint.program == host.id, try store.deleteWebhook(id: id) else {
            throw Problem.notFound("webhook_not_found", "\(host.id) has no webhook \(id)")
        }
        return Response(status: .noContent)
    }

    func createKey(_ request: Request) async throws -> Response {
        let principal = try principal(request)
        let body = try await Body.read(request, limit: 4_096)
        try body.allow(["name", "program", "scopes"])
        let name = try body.requiredString("name", maxLength: 100)
        let program = try body.string("program", required: false)
        // An account key may make keys for any program; a program's key only for its own.
        let creator = try principal.requireKey(.administer, program: program)
        if creator.program != nil && program == nil {
            throw Problem.forbidden("a program's key cannot create an account-wide key")
        }
        if let program, directory.host(program) == nil { throw Problem.notFound("program_not_found", "there is no program \(program)") }
        guard let names = try body.strings("scopes", maxCount: Scope.allCases.count), !names.isEmpty else {
            throw Problem(.unprocessableContent, "missing_field", "'scopes' must list at least one of \(Scope.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let scopes = try names.map { name -> Scope in
            guard let scope = Scope(rawValue: name) else {
                throw Problem(.unprocessableContent, "unknown_scope", "there is no scope '\(name)'; scopes: \(Scope.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return scope
        }
        let (text, record) = Credentials.newKey(program: program, scopes: scopes, name: name, now: configuration.now())
        try store.insertKey(record)
        logger.info("key created", metadata: ["key": "\(record.id)", "program": "\(program ?? "*")"])
        guard case let .object(fields) = AccrueService.keyJSON(record) else { return Reply.json(.null) }
        return Reply.json(.object(fields + [("key", .string(text))]), status: .created)
    }

    static func keyJSON(_ record: APIKeyRecord) -> JSON {
        .object([
            ("id", .string(record.id)),
            ("name", .string(record.name)),
            ("program", record.program.map(JSON.string) ?? .null),
            ("scopes", .array(record.scopes.map { .string($0.rawValue) })),
            ("created_at", .string(record.createdAt.rfc3339)),
            ("revoked_at", record.revokedAt.map { .string($0.rfc3339) } ?? .null),
        ])
    }

    func listKeys(_ request: Request) async throws -> Response {
        let creator = try principal(request).requireAdministrator()
        let keys = try store.keys().filter { creator.program == nil || $0.program == creator.program }
        return Reply.json(.object([("keys", .array(keys.map(AccrueService.keyJSON)))]))
    }

    func revokeKey(_ request: Request, _ context: AccrueRequestContext) async throws -> Response {
        let principal = try principal(request)
        let creator = try principal.requireAdministrator()
        let id = try context.parameters.id("key")
        guard let target = try store.keys().first(where: { $0.id == id }), creator.program == nil || target.program == creator.program else {
            throw Problem.notFound("key_not_found", "there is no key \(id)")
        }
        _ = try principal.requireKey(.administer, program: target.program)
        guard try store.revokeKey(id: id, at: configuration.now()) else { throw Problem.notFound("key_not_found", "key \(id) is already revoked") }
        credentials.forget(keyID: id)
        return Response(status: .noContent)
    }
}

extension AccrueService {
    /// One round of webhook delivery (what the background service does every poll): claims the
    /// endpoints that are due and delivers what waits for each. True when something was sent.
    @discardableResult
    public func deliverDueWebhooks() async throws -> Bool {
        try await WebhookService(service: self).deliverDue(HTTPClient.shared)
    }
}

/// Signs a delivery: `Accrue-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
public enum WebhookSignature {
    public static func sign(secret: String, timestamp: Int64, body: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Array("\(timestamp).\(body)".utf8), using: SymmetricKey(data: Array(secret.utf8)))
        return "t=\(timestamp),v1=" + mac.map { String(format: "%02x", $0) }.joined()
    }
}

/// Delivers the outbox to webhook endpoints, at least once, in seq order per endpoint. A failed
/// delivery is retried with doubling delays (up to an hour); the endpoint waits meanwhile, so
/// events arrive in order. Leases keep two servers from delivering to one endpoint at once.
struct WebhookService: ServiceLifecycle.Service {
    /// How long a server owns an endpoint's delivery: a crashed server's endpoints wait at most this.
    static let leaseMilliseconds: Int64 = 30_000
    /// How long one delivery may take before it counts as failed.
    static let deliveryTimeoutMilliseconds: Int64 = 10_000

    let service: AccrueService

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let worked: Bool
            do {
                worked = try await deliverDue(HTTPClient.shared)
            } catch {
                service.logger.error("webhook delivery round failed", metadata: ["error": "\(error)"])
                worked = false
            }
            if !worked {
                let milliseconds = Int(service.configuration.webhookPollSeconds * 1000)
                _ = try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .milliseconds(milliseconds)) }
            }
        }
    }

    /// One round: claims due endpoints and delivers what waits for each. True when something was sent.
    func deliverDue(_ client: HTTPClient) async throws -> Bool {
        let store = service.store
        let owner = service.configuration.instance
        // Leases and retries run on the service's clock (the wall clock in production), so a test
        // moves them by hand; only the signature's timestamp is the real time.
        let now = service.configuration.now()
        // A lease short enough that a crashed server's endpoints are picked up soon by another, and
        // a round that stops while enough of it is left for one more delivery (its timeout), so a
        // lease never lapses in the middle of a delivery.
        let leaseUntil = Instant(milliseconds: now.milliseconds + WebhookService.leaseMilliseconds)
        let endpoints = try store.claimWebhooks(now: now, owner: owner, leaseUntil: leaseUntil, limit: 20)
        var worked = false
        for endpoint in endpoints {
            var state = endpoint
            var failure: String?
            let events = try store.events(program: endpoint.program, after: endpoint.cursor, limit: 100)
            for event in events {
                if service.configuration.now().milliseconds > leaseUntil.milliseconds - WebhookService.deliveryTimeoutMilliseconds - 2_000 {
                    worked = true  // the rest waits for the next round, under a new lease
                    break
                }
                if !endpoint.events.isEmpty && !endpoint.events.contains(event.type) {
                    state.cursor = event.seq
                    continue
                }
                if let error = await deliver(event, to: endpoint, client: client) {
                    failure = error
                    break
                }
                worked = true
                state.cursor = event.seq
                state.delivered += 1
                state.attempts = 0
                service.metrics.webhook(result: "delivered")
            }
            if let failure {
                service.metrics.webhook(result: "failed")
                state.attempts += 1
                let delay = min(3_600_000, Int64(service.configuration.webhookRetrySeconds * 1000) << min(state.attempts - 1, 20))
                state.nextAttemptAt = Instant(milliseconds: now.milliseconds + delay)
                service.logger.warning("webhook delivery failed", metadata: ["webhook": "\(endpoint.id)", "attempts": "\(state.attempts)",
                                                                             "error": "\(failure)"])
            } else {
                state.nextAttemptAt = nil
            }
            try store.finishDelivery(webhook: endpoint.id, owner: owner, cursor: state.cursor, delivered: state.delivered,
                                     attempts: state.attempts, nextAttemptAt: state.nextAttemptAt, lastError: failure ?? (state.attempts == 0 ? nil : state.lastError))
            if events.count == 100 { worked = true }
        }
        return worked
    }

    /// Posts one event; nil on a 2xx answer, else what went wrong.
    func deliver(_ event: LedgerEvent, to endpoint: WebhookEndpoint, client: HTTPClient) async -> String? {
        let body = event.document(program: endpoint.program)
        var request = HTTPClientRequest(url: endpoint.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "Accrue-Webhooks/1")
        request.headers.add(name: "Accrue-Event-Id", value: event.id(program: endpoint.program))
        request.headers.add(name: "Accrue-Event-Type", value: event.type)
        let timestamp = Instant.wallClock().milliseconds / 1000
        request.headers.add(name: "Accrue-Signature", value: WebhookSignature.sign(secret: endpoint.secret, timestamp: timestamp, body: body))
        request.body = .bytes(ByteBuffer(string: body))
        do {
            let response = try await client.execute(request, timeout: .milliseconds(WebhookService.deliveryTimeoutMilliseconds))
            _ = try? await response.body.collect(upTo: 65_536)
            return (200..<300).contains(Int(response.status.code)) ? nil : "the receiver answered \(response.status.code)"
        } catch {
            return "\(error)"
        }
    }
}
