import AccrueBench
import AccrueCore
import AccruePrograms
import AccrueServer
import AccrueSQLite
import AccrueStore
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import XCTest

let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// A clock tests move by hand.
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current: Instant

    init(_ start: String) { current = Instant(rfc3339: start)! }

    var now: Instant {
        lock.lock()
        defer { lock.unlock() }
        return current
    }

    func set(_ time: String) {
        lock.lock()
        current = Instant(rfc3339: time)!
        lock.unlock()
    }

    func advance(minutes: Int64) {
        lock.lock()
        current = Instant(milliseconds: current.milliseconds + minutes * 60_000)
        lock.unlock()
    }
}

/// A service on a fresh SQLite file with the four presets and a first key, on a test clock.
struct Harness {
    let folder: URL
    let store: any LedgerStore & ServiceStore
    let service: AccrueService
    let key: String
    let clock: TestClock

    /// On a new SQLite file, or on `store` when given.
    /// `authFailuresPerMinute` is high by default: the access tests send hundreds of invalid
    /// credentials from one address on purpose; `GuessingTests` checks the limit itself.
    init(start: String = "2026-11-01T00:00:00Z", webhookRetrySeconds: Double = 0.2, store given: (any LedgerStore & ServiceStore)? = nil,
         authFailuresPerMinute: Int = 100_000, checkpointInterval: Int = 20_000) throws {
        setenv("ACCRUE_PROGRAMS", repositoryRoot.appendingPathComponent("programs").path, 1)
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("accrue-server-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        store = try given ?? SQLiteStore(path: folder.appendingPathComponent("accrue.sqlite").path)
        let clock = TestClock(start)
        self.clock = clock
        // Warnings and errors only: the tests send thousands of inputs, each logged at info.
        var logger = Logger(label: "accrue-test")
        logger.logLevel = .warning
        service = try AccrueService(store: store, configuration: ServerConfiguration(
            host: "127.0.0.1", port: 0, now: { clock.now }, tickSeconds: 0.1, webhookPollSeconds: 0.05,
            webhookRetrySeconds: webhookRetrySeconds, checkpointInterval: checkpointInterval, authFailuresPerMinute: authFailuresPerMinute), logger: logger)
        try service.registerPresets(["jd-points", "aliexpress-store", "aliexpress-levels", "cj-rewards"])
        key = try XCTUnwrap(try service.bootstrapKey())
    }

    func application() -> some ApplicationProtocol { service.application() }

    func remove() { removeFolder(folder) }
}

/// An answer: its status, its body as text, and the body parsed.
struct Answer {
    let status: Int
    let text: String
    let contentType: String?

    var json: JSON { (try? JSONReader.parse(text)) ?? .null }
    var code: String? { if case let .string(code)? = json["code"] { return code } else { return nil } }
    subscript(key: String) -> JSON? { json[key] }
}

extension TestClientProtocol {
    @discardableResult
    func call(_ method: HTTPRequest.Method, _ uri: String, bearer: String? = nil, body: String? = nil,
              contentType: String? = "application/json") async throws -> Answer {
        var headers = HTTPFields()
        if let bearer { headers[.authorization] = "Bearer " + bearer }
        if body != nil, let contentType { headers[.contentType] = contentType }
        return try await execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) }) { response in
            Answer(status: Int(response.status.code), text: String(buffer: response.body), contentType: response.headers[.contentType])
        }
    }

    /// Creates a key through the API and returns its text.
    func makeKey(_ admin: String, program: String?, scopes: [String]) async throws -> String {
        try await makeKeyAndID(admin, program: program, scopes: scopes).key
    }

    /// Creates a key through the API and returns its text and id.
    func makeKeyAndID(_ admin: String, program: String?, scopes: [String]) async throws -> (key: String, id: String) {
        let programField = program.map { ",\"program\":\"\($0)\"" } ?? ""
        let answer = try await call(.post, "/v1/keys", bearer: admin,
                                    body: "{\"name\":\"test\"\(programField),\"scopes\":[\(scopes.map { "\"\($0)\"" }.joined(separator: ","))]}")
        guard answer.status == 201, case let .string(key)? = answer["key"], case let .string(id)? = answer["id"] else {
            throw NSError(domain: "test", code: answer.status, userInfo: [NSLocalizedDescriptionKey: answer.text])
        }
        return (key, id)
    }

    /// Mints a member token through the API.
    func token(_ admin: String, program: String, member: String, seconds: Int = 900) async throws -> String {
        let answer = try await call(.post, "/v1/programs/\(program)/members/\(member)/token", bearer: admin, body: "{\"ttl_seconds\":\(seconds)}")
        guard answer.status == 201, case let .string(token)? = answer["token"] else {
            throw NSError(domain: "test", code: answer.status, userInfo: [NSLocalizedDescriptionKey: answer.text])
        }
        return token
    }
}

/// An input envelope as JSON text.
func input(_ id: String, _ type: String, _ member: String, _ at: String, _ data: String = "{}") -> String {
    "{\"id\":\"\(id)\",\"type\":\"\(type)\",\"member\":\"\(member)\",\"at\":\"\(at)\",\"data\":\(data)}"
}

func number(_ json: JSON?) -> Int64? {
    if case let .number(text)? = json { return Int64(text) }
    return nil
}

func string(_ json: JSON?) -> String? {
    if case let .string(text)? = json { return text }
    return nil
}
