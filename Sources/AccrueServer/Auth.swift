import AccrueCore
import AccrueStore
import Crypto
import Foundation
import Hummingbird

/// Who is calling: an operator's API key, or one shopper's member token.
enum Principal: Sendable {
    case key(APIKeyRecord)
    case member(program: String, member: String)
}

/// Operator keys (stored as SHA-256, shown once) and member tokens (HMAC-SHA256 signed, short-lived).
final class Credentials: @unchecked Sendable {
    let store: any ServiceStore
    private let tokenKey: SymmetricKey
    private let lock = NSLock()
    /// Keys looked up recently, for `cacheSeconds` (a revocation clears its key at once): by hash,
    /// as console sessions name them, and by the key's text as sent, so that a request whose key
    /// was seen lately is answered without hashing it (SHA-256 and its hex were a tenth of the CPU
    /// a member read spent on credentials). A key's text begins with `ak_` and a hash is hex, so
    /// one table holds both. Only hashes are ever stored.
    private var cache: [String: (record: APIKeyRecord?, until: Instant)] = [:]
    static let cacheSeconds: Int64 = 5

    /// Failed credentials allowed per client address and minute (`--auth-failures-per-minute`).
    let failureLimit: Int
    private var failures: [String: (minute: Int64, count: Int)] = [:]

    init(store: any ServiceStore, failureLimit: Int = 20) throws {
        self.store = store
        self.failureLimit = failureLimit
        let secret = try store.initializeSetting("member_token_key", to: Credentials.randomHex(bytes: 32))
        tokenKey = SymmetricKey(data: Credentials.bytes(fromHex: secret))
    }

    static func randomHex(bytes count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return SHA256Hash.hex(bytes: (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }

    static func bytes(fromHex text: String) -> [UInt8] {
        var result: [UInt8] = []
        var index = text.startIndex
        while index < text.endIndex, let next = text.index(index, offsetBy: 2, limitedBy: text.endIndex) {
            result.append(UInt8(text[index..<next], radix: 16) ?? 0)
            index = next
        }
        return result
    }

    /// Every request hashes its key, so the hex is written from a table (`String(format:)` per byte
    /// took a sixth of a member read's time).
    static func sha256(_ text: String) -> String {
        SHA256Hash.hex(bytes: SHA256.hash(data: Array(text.utf8)))
    }

    /// A new key's text and the record to store. The text is returned once and never stored.
    static func newKey(program: String?, scopes: [Scope], name: String, now: Instant) -> (text: String, record: APIKeyRecord) {
        let text = "ak_" + randomHex(bytes: 24)
        let record = APIKeyRecord(id: "key_" + randomHex(bytes: 8), program: program, scopes: scopes, name: name,
                                  hash: sha256(text), createdAt: now)
        return (text, record)
    }

    /// The principal a bearer credential names, or a 401 problem. A client address that sent too
    /// many invalid credentials in the current minute gets 429 without its credential being checked.
    func authenticate(_ request: Request, now: Instant) throws -> Principal {
        guard let header = request.headers[.authorization], let credential = Credentials.bearer(header) else {
            throw Problem.unauthenticated()
        }
        try checkAttempts(now: now)
        if credential.hasPrefix("mt_") {
            guard let (program, member) = verifyToken(credential, now: now) else { throw failed(now: now) }
            return .member(program: program, member: member)
        }
        guard credential.hasPrefix("ak_"), credential.utf8.count < 100, let record = try lookup(key: credential, now: now),
              record.revokedAt == nil else { throw failed(now: now) }
        return .key(record)
    }

    /// The credential of an `Authorization` header of the Bearer scheme (the scheme's name in any
    /// case, one space, then the credential), or nil.
    static func bearer(_ header: String) -> String? {
        let bytes = header.utf8
        guard let space = bytes.firstIndex(of: UInt8(ascii: " ")) else { return nil }
        let scheme = bytes[..<space]
        guard scheme.count == 6, zip(scheme, "bearer".utf8).allSatisfy({ $0 | 0x20 == $1 }) else { return nil }
        let credential = header[header.utf8.index(after: space)...]
        return credential.isEmpty ? nil : String(credential)
    }

    // MARK: Guessing credentials

    /// Refuses (429) when the client's address has used up its failed attempts this minute.
    func checkAttempts(now: Instant) throws {
        let minute = now.milliseconds / 60_000
        lock.lock()
        // No refusal counted anywhere (the usual case): the address need not be written out.
        let entry = failures.isEmpty ? nil : failures[ClientAddress.text]
        lock.unlock()
        guard let entry, entry.minute == minute, entry.count >= failureLimit else { return }
        let seconds = Int(60 - (now.milliseconds / 1000) % 60)
        throw Problem(.tooManyRequests, "too_many_attempts",
                      "too many invalid keys or tokens from this address; try again in \(seconds) s", retryAfter: seconds)
    }

    /// Counts a failed attempt of the client's address, and returns the 401 to answer with.
    @discardableResult
    func failed(now: Instant) -> Problem {
        let address = ClientAddress.text
        let minute = now.milliseconds / 60_000
        lock.lock()
        if failures.count > 100_000 { failures = failures.filter { $0.value.minute == minute } }
        let entry = failures[address]
        failures[address] = (minute, entry?.minute == minute ? entry!.count + 1 : 1)
        lock.unlock()
        return Problem.invalidCredential()
    }

    /// The key record of a key's text (`ak_...`): cached by the text, else looked up by its hash.
    func lookup(key text: String, now: Instant) throws -> APIKeyRecord? {
        try cached(text, now: now) { try lookup(hash: Credentials.sha256(text), now: now) }
    }

    func lookup(hash: String, now: Instant) throws -> APIKeyRecord? {
        try cached(hash, now: now) { try store.key(hash: hash) }
    }

    /// The record cached under `id` while it is fresh, else what `fetch` finds, cached.
    private func cached(_ id: String, now: Instant, fetch: () throws -> APIKeyRecord?) rethrows -> APIKeyRecord? {
        if let hit = lock.withLock({ cache[id] }), hit.until > now { return hit.record }
        let record = try fetch()
        lock.withLock {
            if cache.count > 10_000 { cache.removeAll() }
            cache[id] = (record, Instant(milliseconds: now.milliseconds + Credentials.cacheSeconds * 1000))
        }
        return record
    }

    func forget(keyID: String) {
        lock.withLock { cache = cache.filter { $0.value.record?.id != keyID } }
    }

    // MARK: Page sessions and CSRF tokens

    /// A MAC of `text` under this database's secret.
    func mac(_ text: String) -> String {
        Credentials.base64url(Array(HMAC<SHA256>.authenticationCode(for: Array(text.utf8), using: tokenKey)))
    }

    /// The token a page's forms carry for a session: a form posted from another site cannot know it.
    func csrfToken(session: String) -> String { String(mac("csrf|" + session).prefix(32)) }

    func checkCSRF(_ given: String?, session: String) -> Bool {
        guard let given else { return false }
        return Credentials.same(given, csrfToken(session: session))
    }

    /// Two secrets compared in a time that does not depend on where they differ.
    static func same(_ a: String, _ b: String) -> Bool {
        let (x, y) = (Array(a.utf8), Array(b.utf8))
        return x.count == y.count && zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// An operator console session: the key's hash and an expiry, signed. The key itself is never
    /// kept in the cookie, and a revoked key ends its sessions (checked on every request).
    func consoleSession(keyHash: String, expires: Instant) -> String {
        let payload = "\(expires.milliseconds).\(keyHash)"
        return "cs_" + payload + "." + mac("console|" + payload)
    }

    func consoleKey(session: String, now: Instant) throws -> APIKeyRecord? {
        try checkAttempts(now: now)
        guard let record = try verifiedConsoleKey(session: session, now: now) else {
            failed(now: now)
            return nil
        }
        return record
    }

    private func verifiedConsoleKey(session: String, now: Instant) throws -> APIKeyRecord? {
        guard session.hasPrefix("cs_"), session.count < 300 else { return nil }
        let parts = session.dropFirst(3).split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let expires = Int64(parts[0]), now.milliseconds < expires else { return nil }
        let payload = "\(parts[0]).\(parts[1])"
        guard Credentials.same(String(parts[2]), mac("console|" + payload)) else { return nil }
        guard let record = try lookup(hash: String(parts[1]), now: now), record.revokedAt == nil else { return nil }
        return record
    }

    /// The active key with this text, for the console's sign-in.
    func key(text: String, now: Instant) throws -> APIKeyRecord? {
        try checkAttempts(now: now)
        guard text.hasPrefix("ak_"), text.utf8.count < 100, let record = try lookup(key: text, now: now),
              record.revokedAt == nil else {
            failed(now: now)
            return nil
        }
        return record
    }

    // MARK: Member tokens: "mt_" + base64url(payload) + "." + base64url(HMAC-SHA256(payload)).

    func mintToken(program: String, member: String, expires: Instant) -> String {
        let payload = JSON.object([("exp", .number(String(expires.milliseconds))), ("member", .string(member)),
                                   ("program", .string(program))]).canonical
        let payloadPart = Credentials.base64url(Array(payload.utf8))
        let mac = HMAC<SHA256>.authenticationCode(for: Array(payloadPart.utf8), using: tokenKey)
        return "mt_" + payloadPart + "." + Credentials.base64url(Array(mac))
    }

    func verifyToken(_ token: String, now: Instant) -> (String, String)? {
        let body = token.dropFirst(3)
        let parts = body.split(separator: ".", omittingEmptySubsequences: false)
        guard token.count < 2_000, parts.count == 2, let mac = Credentials.unbase64url(String(parts[1])),
              HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: Array(parts[0].utf8), using: tokenKey),
              let payload = Credentials.unbase64url(String(parts[0])), let json = try? JSONReader.parse(payload),
              case let .number(exp)? = json["exp"], let expires = Int64(exp), now.milliseconds < expires,
              case let .string(program)? = json["program"], case let .string(member)? = json["member"] else { return nil }
        return (program, member)
    }

    static func base64url(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func unbase64url(_ text: String) -> [UInt8]? {
        var base = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base.count % 4 != 0 { base += "=" }
        return Data(base64Encoded: base).map(Array.init)
    }
}

extension Principal {
    /// Refuses unless this is an operator key that may act on `program` with `scope`
    /// (an administering key may do everything its program allows).
    func requireKey(_ scope: Scope, program: String?) throws -> APIKeyRecord {
        guard case let .key(record) = self else {
            throw Problem.forbidden("a member token can only read its own member; this needs an operator key")
        }
        if let program, let own = record.program, own != program {
            throw Problem.forbidden("this key belongs to another program")
        }
        if program == nil, record.program != nil, scope == .administer {
            throw Problem.forbidden("this needs a key for the whole account")
        }
        guard record.scopes.contains(scope) || record.scopes.contains(.administer) else {
            throw Problem.forbidden("this key lacks the scope '\(scope.rawValue)'")
        }
        return record
    }

    /// Refuses unless this is an operator key with `admin` (of a program or of the account).
    func requireAdministrator() throws -> APIKeyRecord {
        guard case let .key(record) = self else { throw Problem.forbidden("this needs an operator key with the scope 'admin'") }
        guard record.scopes.contains(.administer) else { throw Problem.forbidden("this key lacks the scope 'admin'") }
        return record
    }

    /// Refuses unless this may read `member` of `program`: an operator key with `members:read`, or
    /// that member's own token.
    func requireMemberRead(program: String, member: String) throws {
        switch self {
        case let .member(tokenProgram, tokenMember):
            guard tokenProgram == program, tokenMember == member else {
                throw Problem.forbidden("a member token can only read its own member")
            }
        case .key:
            _ = try requireKey(.readMembers, program: program)
        }
    }

    /// The program a member token is for, or any for a key (checked per route).
    func mayRead(program: String) throws {
        switch self {
        case let .member(tokenProgram, _):
            guard tokenProgram == program else { throw Problem.forbidden("a member token can only read its own program") }
        case let .key(record):
            if let own = record.program, own != program { throw Problem.forbidden("this key belongs to another program") }
        }
    }
}
