import AccrueCore
import Foundation
import HTTPTypes
import Hummingbird

/// Server-rendered pages: the member page and the operator console. Plain HTML forms do every
/// action without JavaScript; one small script (served from /assets) only refreshes the booking
/// quote as the choice changes. No build step, no CDN: everything is in this binary.
enum HTML {
    /// Text made safe for element content and attribute values.
    static func escape(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            default: result.append(character)
            }
        }
        return result
    }

    /// A query or path component.
    static func component(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? ""
    }

    /// Headers every page carries: no caching (pages show balances and hold session tokens), no
    /// referrer (a member link carries its token once), no framing, and scripts and styles only
    /// from this server.
    static func headers(_ extra: [(HTTPField.Name, String)] = []) -> HTTPFields {
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.cacheControl] = "no-store"
        headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        headers[HTTPField.Name("Content-Security-Policy")!] =
            "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        for (name, value) in extra { headers.append(HTTPField(name: name, value: value)) }
        return headers
    }

    static func response(_ html: String, status: HTTPResponse.Status = .ok, cookies: [String] = []) -> Response {
        Response(status: status, headers: headers(cookies.map { (.setCookie, $0) }), body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// Post/redirect/get: a form's answer sends the browser to the page that shows the result.
    static func redirect(_ location: String, cookies: [String] = []) -> Response {
        var fields = headers(cookies.map { (.setCookie, $0) })
        fields[.location] = location
        return Response(status: .seeOther, headers: fields, body: .init(byteBuffer: ByteBuffer()))
    }

    /// The whole document around a page's main content.
    static func document(title: String, language: Language, header: String, main: String, script: Bool = false) -> String {
        """
        <!doctype html>
        <html lang="\(language.tag)">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escape(title))</title>
        <link rel="stylesheet" href="/assets/accrue.css">
        \(script ? "<script src=\"/assets/accrue.js\" defer></script>" : "")
        </head>
        <body>
        <a class="skip" href="#main">\(escape(language.texts.skipToContent))</a>
        <header class="top">\(header)</header>
        <main id="main">
        \(main)
        </main>
        </body>
        </html>
        """
    }

    /// A number with thousands separators: 12,345.
    static func points(_ value: Int64) -> String { formatPoints(value) }

    /// A local date and time in the program's time zone: 2026-11-23 14:05.
    static func time(_ instant: Instant, _ calendar: LocalCalendar) -> String {
        let minutes = calendar.timeOfDay(of: instant) / 60_000
        return "\(calendar.date(of: instant)) \(String(format: "%02d:%02d", minutes / 60, minutes % 60))"
    }

    static func date(_ instant: Instant, _ calendar: LocalCalendar) -> String {
        calendar.date(of: instant).description
    }
}

/// A form posted as application/x-www-form-urlencoded.
struct Form: Sendable {
    var fields: [(String, String)]

    subscript(_ name: String) -> String? { fields.first { $0.0 == name }?.1 }

    func all(_ name: String) -> [String] { fields.filter { $0.0 == name }.map(\.1) }

    static func read(_ request: Request, limit: Int = 65_536) async throws -> Form {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch {
            throw Problem(.contentTooLarge, "body_too_large", "the form is larger than \(limit) bytes")
        }
        return parse(String(decoding: buffer.readableBytesView, as: UTF8.self))
    }

    static func parse(_ text: String) -> Form {
        Form(fields: text.split(separator: "&").compactMap { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ part: Substring) -> String? {
                String(part).replacingOccurrences(of: "+", with: " ").removingPercentEncoding
            }
            guard let name = decode(parts[0]) else { return nil }
            return (name, parts.count > 1 ? decode(parts[1]) ?? "" : "")
        })
    }
}

extension Request {
    /// A cookie's value from the Cookie header.
    func cookie(_ name: String) -> String? {
        for header in headers[values: .cookie] {
            for pair in header.split(separator: ";") {
                let parts = pair.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
                if parts.count == 2, parts[0] == name { return String(parts[1]) }
            }
        }
        return nil
    }

    func query(_ name: String) -> String? {
        uri.queryParameters.get(name).map { String($0) }
    }
}

enum Cookie {
    /// A session cookie: never readable by scripts, sent only on this site's own navigations.
    static func set(_ name: String, _ value: String, path: String, maxAge: Int64, sameSite: String) -> String {
        "\(name)=\(value); Path=\(path); Max-Age=\(max(0, maxAge)); HttpOnly; SameSite=\(sameSite)"
    }

    static func clear(_ name: String, path: String) -> String {
        "\(name)=; Path=\(path); Max-Age=0; HttpOnly; SameSite=Lax"
    }
}
