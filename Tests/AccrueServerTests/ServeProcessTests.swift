import AccrueBench
import AccrueCore
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import XCTest

/// `accrue serve` as a user runs it: a real process on a real socket.
final class ServeProcessTests: XCTestCase {
    var binary: URL {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("accrue")
        if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
        return repositoryRoot.appendingPathComponent(".build/debug/accrue")
    }

    func freePort() -> Int {
        // Bind port 0 and read what the system chose.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Starts `accrue serve`; returns the process and what it printed once it was listening.
    func serve(_ arguments: [String], port: Int, output: URL) throws -> (Process, String) {
        let process = Process()
        process.executableURL = binary
        process.arguments = ["serve", "--port", String(port), "--log-level", "warning"] + arguments
        process.currentDirectoryURL = repositoryRoot
        FileManager.default.createFile(atPath: output.path, contents: nil)
        let handle = try FileHandle(forWritingTo: output)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
            if text.contains("serving on") { Thread.sleep(forTimeInterval: 0.3); return (process, text) }
            if !process.isRunning { break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        process.terminate()
        throw NSError(domain: "accrue", code: 1, userInfo: [NSLocalizedDescriptionKey: (try? String(contentsOf: output, encoding: .utf8)) ?? ""])
    }

    func request(_ method: HTTPMethod, _ url: String, key: String?, body: String? = nil) async throws -> (Int, String) {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let key { request.headers.add(name: "Authorization", value: "Bearer \(key)") }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), String(buffer: bytes))
    }

    func runServer(_ extra: [String], folder: URL) async throws {
        let port = freePort()
        let base = "http://127.0.0.1:\(port)"
        let (process, printed) = try serve(extra, port: port, output: folder.appendingPathComponent("out-1.log"))
        // Whatever fails below, no server is left running after the test.
        defer { if process.isRunning { process.terminate(); process.waitUntilExit() } }
        guard let range = printed.range(of: #"ak_[0-9a-f]+"#, options: .regularExpression) else {
            process.terminate()
            return XCTFail("no first key printed: \(printed)")
        }
        let key = String(printed[range])
        XCTAssertTrue(printed.contains("loaded the presets"), printed)
        let health = try await request(.GET, base + "/health", key: nil)
        XCTAssertEqual(health.0, 200)
        let document = try await request(.GET, base + "/openapi.json", key: nil)
        XCTAssertTrue(document.1.contains("\"openapi\":\"3.1.0\""))
        let posted = try await request(.POST, base + "/v1/programs/cj-rewards/inputs", key: key,
                                       body: input("e1", "review.posted", "zoe", "2026-10-01T00:00:00Z", "{\"order\":\"o\",\"product\":\"p\"}"))
        XCTAssertEqual(posted.0, 200, posted.1)
        let refused = try await request(.GET, base + "/v1/programs/cj-rewards/members/zoe", key: "ak_not-a-key")
        XCTAssertEqual(refused.0, 401, refused.1)
        let metrics = try await request(.GET, base + "/metrics", key: nil)
        XCTAssertTrue(metrics.1.contains("accrue_inputs_total"), metrics.1)
        // Every answer is counted and timed by its route, method and status; refusals count as errors.
        let lines = metrics.1.split(separator: "\n")
        func line(_ name: String, _ labels: [String]) -> Substring? {
            lines.first { $0.hasPrefix(name + "{") && labels.allSatisfy($0.contains) }
        }
        let postRoute = #"http_route="/v1/programs/{program}/inputs""#
        XCTAssertNotNil(line("hb_requests", [postRoute, #"http_request_method="POST""#, #"http_response_status_code="200""#]), metrics.1)
        XCTAssertNotNil(line("http_server_request_duration_count", [postRoute, #"http_response_status_code="200""#]), metrics.1)
        let readRoute = #"http_route="/v1/programs/{program}/members/{member}""#
        XCTAssertNotNil(line("hb_request_errors", [readRoute, #"error_type="401""#]), metrics.1)
        XCTAssertNil(line("hb_request_errors", [postRoute]), "an applied input is no error: \(metrics.1)")

        // SIGTERM: a graceful stop, exit status 0.
        process.terminate()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, (try? String(contentsOf: folder.appendingPathComponent("out-1.log"), encoding: .utf8)) ?? "")
        if let data = extra.firstIndex(of: "--data").map({ extra[$0 + 1] }) {
            // Stopped, the server leaves everything in the database file: its log is gone or empty.
            let log = (try? FileManager.default.attributesOfItem(atPath: data + "/accrue.sqlite-wal")[.size] as? Int) ?? 0
            XCTAssertEqual(log, 0, "a stopped server's write-ahead log is copied into the database file")
        }

        // A restart keeps everything and prints no new key.
        let (again, printedAgain) = try serve(extra, port: port, output: folder.appendingPathComponent("out-2.log"))
        defer { again.terminate(); again.waitUntilExit() }
        XCTAssertFalse(printedAgain.contains("ak_"), "the first key is printed once")
        let member = try await request(.GET, base + "/v1/programs/cj-rewards/members/zoe", key: key)
        XCTAssertEqual(member.0, 200, member.1)
        let resent = try await request(.POST, base + "/v1/programs/cj-rewards/inputs", key: key,
                                       body: input("e1", "review.posted", "zoe", "2026-10-01T00:00:00Z", "{\"order\":\"o\",\"product\":\"p\"}"))
        XCTAssertTrue(resent.1.contains("\"replayed\":true"), resent.1)
    }

    func testServeOnSQLiteStopsGracefullyAndKeepsItsData() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("accrue-serve-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { removeFolder(folder) }
        try await runServer(["--data", folder.appendingPathComponent("data").path], folder: folder)
    }

    func testServeOnPostgreSQL() async throws {
        let url = try testDatabase(self)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("accrue-serve-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { removeFolder(folder) }
        try await runServer(["--database", url], folder: folder)
    }
}
