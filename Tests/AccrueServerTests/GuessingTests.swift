import AccrueCore
import AccrueServer
import Foundation
import Hummingbird
import HummingbirdTesting
import XCTest

/// Guessing keys is slowed: past the limit of invalid credentials per client address and minute,
/// every credential from that address is refused with 429 (valid ones too, unchecked) until the
/// minute ends; then the address may try again.
final class GuessingTests: XCTestCase {
    func testInvalidCredentialsPastTheLimitAreRefusedUntilTheMinuteEnds() async throws {
        let harness = try Harness(start: "2026-11-01T00:00:05Z", authFailuresPerMinute: 5)
        defer { harness.remove() }
        try await harness.application().test(.router) { client in
            let admin = harness.key
            let ok = try await client.call(.get, "/v1/programs", bearer: admin)
            XCTAssertEqual(ok.status, 200)
            // No credential at all is not a guess: it does not count.
            for _ in 0..<10 {
                let status = try await client.call(.get, "/v1/programs").status
                XCTAssertEqual(status, 401)
            }
            for attempt in 1...5 {
                let guess = "ak_" + String(format: "%048x", attempt)
                let answer = try await client.call(.get, "/v1/programs", bearer: guess)
                XCTAssertEqual(answer.status, 401, "guess \(attempt)")
                XCTAssertEqual(answer.code, "invalid_credential")
            }
            // The sixth guess, a tampered member token, a console sign-in, and even the valid key
            // are refused without being checked.
            for credential in ["ak_" + String(repeating: "f", count: 48), "mt_x.y", admin] {
                let answer = try await client.call(.get, "/v1/programs", bearer: credential)
                XCTAssertEqual(answer.status, 429, credential)
                XCTAssertEqual(answer.code, "too_many_attempts")
                XCTAssertTrue(answer.text.contains("try again in 55 s"), answer.text)
            }
            let signIn = try await client.execute(uri: "/console/login", method: .post,
                                                  headers: [.contentType: "application/x-www-form-urlencoded"],
                                                  body: ByteBuffer(string: "key=\(admin)")) { $0.status.code }
            XCTAssertEqual(signIn, 429)
            let header = try await client.execute(uri: "/v1/programs", method: .get, headers: [.authorization: "Bearer \(admin)"]) {
                $0.headers[.retryAfter]
            }
            XCTAssertEqual(header, "55")
            // The next minute, the key works again.
            harness.clock.set("2026-11-01T00:01:00Z")
            let again = try await client.call(.get, "/v1/programs", bearer: admin)
            XCTAssertEqual(again.status, 200)
        }
    }
}
