import AccrueCore
import AccrueServer
import Foundation
import Hummingbird
import HummingbirdTesting
import XCTest

/// Who may open which page, for every page route the router serves: the member page only with a
/// valid member token's session, the console only with a live operator key's session, every form
/// only with its CSRF token; refusals are pages that leak nothing.
final class PageAccessTests: XCTestCase {
    struct PageAnswer {
        let status: Int
        let text: String
        let location: String?
        let cookies: [String]
    }

    func testEveryPageRefusesWhoMayNotUseIt() async throws {
        let harness = try Harness()
        defer { harness.remove() }
        let routes = harness.service.router().routes.map { ("\($0.method)", "\($0.path)") }.filter { AccrueService.isPage($0.1) }
        XCTAssertGreaterThanOrEqual(routes.count, 15)
        try await harness.application().test(.router) { client in
            func page(_ method: HTTPRequest.Method, _ uri: String, cookie: String? = nil, form: String? = nil) async throws -> PageAnswer {
                var headers = HTTPFields()
                if let cookie { headers[.cookie] = cookie }
                if form != nil { headers[.contentType] = "application/x-www-form-urlencoded" }
                return try await client.execute(uri: uri, method: method, headers: headers, body: form.map { ByteBuffer(string: $0) }) { response in
                    PageAnswer(status: Int(response.status.code), text: String(buffer: response.body), location: response.headers[.location],
                               cookies: response.headers[values: .setCookie])
                }
            }
            func cookieValue(_ answer: PageAnswer, _ name: String) throws -> String {
                let header = try XCTUnwrap(answer.cookies.first { $0.hasPrefix(name + "=") }, "no \(name) cookie: \(answer)")
                return String(header.dropFirst(name.count + 1).prefix { $0 != ";" })
            }
            func csrf(_ text: String) throws -> String {
                let marker = "name=\"csrf\" value=\""
                let start = try XCTUnwrap(text.range(of: marker), "the page has no form").upperBound
                return String(text[start...].prefix { $0 != "\"" })
            }

            let admin = harness.key
            try await client.call(.post, "/v1/programs/jd-points/inputs", bearer: admin,
                                  body: input("a1", "points.adjusted", "alice", "2026-11-01T01:00:00Z", "{\"points\":1234,\"reason\":\"seed\"}"))
            let aliceToken = try await client.token(admin, program: "jd-points", member: "alice", seconds: 600)
            var tamperedToken = Array(aliceToken)
            tamperedToken[tamperedToken.count - 3] = tamperedToken[tamperedToken.count - 3] == "A" ? "B" : "A"

            // The member's session: the token moves into an HttpOnly cookie scoped to /me.
            let opened = try await page(.get, "/me?token=\(aliceToken)")
            XCTAssertEqual(opened.status, 303)
            XCTAssertEqual(opened.location, "/me")
            let memberCookie = "accrue_member=" + (try cookieValue(opened, "accrue_member"))
            XCTAssertTrue(opened.cookies[0].contains("HttpOnly") && opened.cookies[0].contains("SameSite=Lax"), opened.cookies[0])
            let memberPage = try await page(.get, "/me", cookie: memberCookie)
            XCTAssertEqual(memberPage.status, 200)
            XCTAssertTrue(memberPage.text.contains("1,234"))
            let memberCSRF = try csrf(memberPage.text)

            // The console's session: a signed cookie naming the key's hash, never the key.
            let signedIn = try await page(.post, "/console/login", form: "key=\(admin)")
            XCTAssertEqual(signedIn.status, 303)
            let consoleValue = try cookieValue(signedIn, "accrue_console")
            XCTAssertFalse(consoleValue.contains(admin))
            let consoleCookie = "accrue_console=" + consoleValue
            let home = try await page(.get, "/console", cookie: consoleCookie)
            XCTAssertEqual(home.status, 200)
            let consoleCSRF = try csrf(home.text)
            var forged = Array(consoleValue)
            forged[forged.count - 2] = forged[forged.count - 2] == "A" ? "B" : "A"
            let readOnly = try await client.makeKey(admin, program: "jd-points", scopes: ["members:read"])
            let readOnlyCookie = "accrue_console=" + (try cookieValue(try await page(.post, "/console/login", form: "key=\(readOnly)"), "accrue_console"))
            let otherProgram = try await client.makeKey(admin, program: "aliexpress-store", scopes: ["admin"])
            let otherCookie = "accrue_console=" + (try cookieValue(try await page(.post, "/console/login", form: "key=\(otherProgram)"), "accrue_console"))
            let (revoked, revokedID) = try await client.makeKeyAndID(admin, program: nil, scopes: ["admin"])
            let revokedCookie = "accrue_console=" + (try cookieValue(try await page(.post, "/console/login", form: "key=\(revoked)"), "accrue_console"))
            _ = try await client.call(.delete, "/v1/keys/\(revokedID)", bearer: admin)
            let wrongKey = try await page(.post, "/console/login", form: "key=ak_\(String(repeating: "0", count: 48))")
            XCTAssertEqual(wrongKey.status, 401)
            XCTAssertTrue(wrongKey.cookies.isEmpty)

            func refused(_ answer: PageAnswer, _ statuses: Set<Int>, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
                XCTAssertTrue(statuses.contains(answer.status), "\(what): \(answer.status) \(answer.text.prefix(300))", file: file, line: line)
                XCTAssertFalse(answer.text.contains("1,234") || answer.text.contains("1234"), "\(what) leaks the balance", file: file, line: line)
            }

            var checked = 0
            for (method, template) in routes {
                let verb = HTTPRequest.Method(rawValue: method)!
                let path = template.replacingOccurrences(of: "{program}", with: "jd-points").replacingOccurrences(of: "{member}", with: "alice")
                    .replacingOccurrences(of: "{booking}", with: "b-0").replacingOccurrences(of: "{decision}", with: "confirm")
                let what = "\(method) \(template)"
                let form = verb == .post ? "input=web-\(String(repeating: "a", count: 20))&points=5&reason=x&reward=lucky-draw&source=x" : nil
                if path.hasPrefix("/assets") || path == "/console/login" { continue }
                if path.hasPrefix("/me") {
                    refused(try await page(verb, path, form: form), [401], "\(what) without a session")
                    refused(try await page(verb, path, cookie: "accrue_member=\(String(tamperedToken))", form: form), [401], "\(what) with a tampered token")
                    refused(try await page(verb, path, cookie: consoleCookie, form: form), [401], "\(what) with the console's session")
                    checked += 3
                    if verb == .post, path != "/me/bookings/quote" {
                        refused(try await page(verb, path, cookie: memberCookie, form: form), [403], "\(what) without its CSRF token")
                        refused(try await page(verb, path, cookie: memberCookie, form: form! + "&csrf=\(consoleCSRF)"), [403], "\(what) with another session's CSRF token")
                        checked += 2
                    }
                    continue
                }
                // Console pages: no session (a GET is sent to the sign-in page), a forged or a
                // revoked key's session, a member's session, and a form without its CSRF token.
                let signedOut: Set<Int> = verb == .get ? [303] : [401]
                for (cookie, label) in [(nil, "without a session"), ("accrue_console=\(String(forged))", "with a forged session"),
                                        (revokedCookie, "with a revoked key's session"), (memberCookie, "with a member's session")] as [(String?, String)] {
                    let answer = try await page(verb, path, cookie: cookie, form: form)
                    refused(answer, signedOut, "\(what) \(label)")
                    if verb == .get { XCTAssertEqual(answer.location, "/console/login", "\(what) \(label)") }
                    checked += 1
                }
                if verb == .post {
                    refused(try await page(verb, path, cookie: consoleCookie, form: form), [403], "\(what) without its CSRF token")
                    refused(try await page(verb, path, cookie: consoleCookie, form: form! + "&csrf=\(memberCSRF)"), [403], "\(what) with another session's CSRF token")
                    checked += 2
                }
                if path.hasPrefix("/console/programs/") {
                    let withToken = form.map { $0 + "&csrf=" } ?? ""
                    let otherForm = try await page(.get, "/console", cookie: otherCookie)
                    let otherCSRF = try csrf(otherForm.text)
                    refused(try await page(verb, path, cookie: otherCookie, form: verb == .post ? withToken + otherCSRF : nil), [403],
                            "\(what) with another program's key")
                    checked += 1
                    if verb == .post, path.contains("/adjust") || path.contains("/bookings/") {
                        let readCSRF = try csrf(try await page(.get, "/console", cookie: readOnlyCookie).text)
                        refused(try await page(verb, path, cookie: readOnlyCookie, form: withToken + readCSRF), [403], "\(what) with a read-only key")
                        checked += 1
                    }
                }
            }
            print("pages: \(checked) refusals checked over \(routes.count) page routes")
            XCTAssertGreaterThan(checked, 60)
            // Signing out ends the session's cookie.
            let out = try await page(.post, "/console/logout", cookie: consoleCookie, form: "csrf=\(consoleCSRF)")
            XCTAssertEqual(out.status, 303)
            XCTAssertTrue(out.cookies.contains { $0.hasPrefix("accrue_console=;") && $0.contains("Max-Age=0") })
        }
    }

    func testAFormSentTwiceIsOneInput() async throws {
        let harness = try Harness()
        defer { harness.remove() }
        try await harness.application().test(.router) { client in
            let admin = harness.key
            try await client.call(.post, "/v1/programs/jd-points/inputs", bearer: admin,
                                  body: input("a1", "points.adjusted", "alice", "2026-11-01T01:00:00Z", "{\"points\":500,\"reason\":\"seed\"}"))
            let token = try await client.token(admin, program: "jd-points", member: "alice")
            var headers = HTTPFields()
            let cookie = try await client.execute(uri: "/me?token=\(token)", method: .get) { response in
                response.headers[values: .setCookie].first!.split(separator: ";")[0]
            }
            headers[.cookie] = String(cookie)
            let page = try await client.execute(uri: "/me", method: .get, headers: headers) { String(buffer: $0.body) }
            let marker = "name=\"csrf\" value=\""
            let csrf = String(page[page.range(of: marker)!.upperBound...].prefix { $0 != "\"" })
            headers[.contentType] = "application/x-www-form-urlencoded"
            let form = "csrf=\(csrf)&input=web-\(String(repeating: "b", count: 20))&reward=lucky-draw"
            for _ in 0..<2 {
                let status = try await client.execute(uri: "/me/claim", method: .post, headers: headers, body: ByteBuffer(string: form)) { $0.status.code }
                XCTAssertEqual(status, 303)
            }
            let member = try await client.call(.get, "/v1/programs/jd-points/members/alice", bearer: admin)
            XCTAssertEqual(member["balance"], .number("450"), "one lucky-draw entry (50 points), not two")
        }
    }
}
