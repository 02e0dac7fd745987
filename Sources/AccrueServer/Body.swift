import AccrueCore
import Foundation
import Hummingbird

/// The documented limits of the API. Each is tested at the limit and one past it.
public enum APILimits {
    /// Bytes in a request body, batches and program files included.
    public static let maximumBodyBytes = 1_048_576
    /// Inputs in one batch.
    public static let maximumBatchInputs = 1_000
    /// Lines in one page of history or of a list.
    public static let maximumPageSize = 200
    public static let defaultPageSize = 50
    /// Characters in an id in a path or a body (member, input, program, booking, hold, order).
    public static let maximumIDLength = Limits.maximumStringLength
    /// Characters in a webhook URL.
    public static let maximumURLLength = 2_048
    /// Days in one daily report.
    public static let maximumReportDays = 366
    /// Seconds a member token may live.
    public static let maximumTokenSeconds: Int64 = 86_400
    public static let defaultTokenSeconds: Int64 = 900
}

/// A JSON request body read with the engine's strict reader (no duplicate keys, bounded depth,
/// valid UTF-8) and fields taken from it with precise refusals.
struct Body {
    let json: JSON

    static func read(_ request: Request, limit: Int = APILimits.maximumBodyBytes) async throws -> Body {
        if let type = request.headers[.contentType], !type.lowercased().hasPrefix("application/json") {
            throw Problem(.unsupportedMediaType, "unsupported_media_type", "send the body as application/json")
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch {
            throw Problem(.contentTooLarge, "body_too_large", "the body is larger than \(limit) bytes")
        }
        let bytes = Array(buffer.readableBytesView)
        do {
            let json = try JSONReader.parse(bytes)
            guard case .object = json else { throw Problem.badRequest("malformed_body", "the body must be a JSON object") }
            return Body(json: json)
        } catch let error as JSONError {
            throw Problem.badRequest("malformed_body", "the body is not valid JSON: \(error)")
        }
    }

    /// Refuses fields the route does not know, so a typo is not silently ignored.
    func allow(_ names: Set<String>) throws {
        guard case let .object(pairs) = json else { return }
        for (key, _) in pairs where !names.contains(key) {
            throw Problem(.unprocessableContent, "unknown_field", "the field '\(String(key.prefix(64)))' is not known here; known fields: \(names.sorted().joined(separator: ", "))")
        }
    }

    func string(_ name: String, required: Bool = true, maxLength: Int = APILimits.maximumIDLength) throws -> String? {
        guard let value = json[name] else {
            if required { throw Problem(.unprocessableContent, "missing_field", "the field '\(name)' is required") }
            return nil
        }
        guard case let .string(text) = value else {
            throw Problem(.unprocessableContent, "invalid_field", "the field '\(name)' must be a string, not \(value.kindName)")
        }
        guard !text.isEmpty, text.unicodeScalars.count <= maxLength else {
            throw Problem(.unprocessableContent, "invalid_field", "the field '\(name)' must have 1 to \(maxLength) characters")
        }
        return text
    }

    func requiredString(_ name: String, maxLength: Int = APILimits.maximumIDLength) throws -> String {
        try string(name, required: true, maxLength: maxLength)!
    }

    func integer(_ name: String, in range: ClosedRange<Int64>) throws -> Int64? {
        guard let value = json[name] else { return nil }
        // A whole number may be written with a zero fraction (5.0), as JSON Schema allows.
        guard case let .number(text) = value, let number = Int64(Body.wholeNumberText(text)), range.contains(number) else {
            throw Problem(.unprocessableContent, "invalid_field", "the field '\(name)' must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    static func wholeNumberText(_ text: String) -> String {
        guard let dot = text.firstIndex(of: "."), text[text.index(after: dot)...].allSatisfy({ $0 == "0" }),
              text.index(after: dot) < text.endIndex else { return text }
        return String(text[..<dot])
    }

    /// A list of distinct strings.
    func strings(_ name: String, maxCount: Int) throws -> [String]? {
        guard let value = json[name] else { return nil }
        guard case let .array(items) = value, items.count <= maxCount, Set(items.map(\.canonical)).count == items.count else {
            throw Problem(.unprocessableContent, "invalid_field", "the field '\(name)' must be an array of at most \(maxCount) distinct strings")
        }
        return try items.map { item in
            guard case let .string(text) = item, !text.isEmpty, text.count <= APILimits.maximumIDLength else {
                throw Problem(.unprocessableContent, "invalid_field", "the field '\(name)' must hold strings of 1 to \(APILimits.maximumIDLength) characters")
            }
            return text
        }
    }
}

/// JSON answers. Outcomes and views are Codable; keys are sorted so answers are stable.
enum Reply {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try encoder.encode(value)
        return bytes(ByteBuffer(bytes: data), status: status)
    }

    static func json(_ value: JSON, status: HTTPResponse.Status = .ok) -> Response {
        bytes(ByteBuffer(bytes: value.canonicalBytes), status: status)
    }

    static func bytes(_ buffer: ByteBuffer, status: HTTPResponse.Status = .ok, type: String = "application/json") -> Response {
        var headers = HTTPFields()
        headers[.contentType] = type
        return Response(status: status, headers: headers, body: .init(byteBuffer: buffer))
    }

    /// A Codable value as a JSON tree, to place inside a hand-built document.
    static func tree<T: Encodable>(_ value: T) -> JSON {
        (try? JSONReader.parse(Array(encoder.encode(value)))) ?? .null
    }
}

/// Path parameters and query items, checked against the limits.
extension Parameters {
    func id(_ name: String) throws -> String {
        // Most ids have nothing percent-encoded: Foundation's decoding is skipped for them.
        guard let raw = self.get(name), let value = raw.utf8.contains(UInt8(ascii: "%")) ? raw.removingPercentEncoding : raw else {
            throw Problem.badRequest("invalid_path", "the path parameter '\(name)' is not valid percent-encoded UTF-8")
        }
        guard !value.isEmpty, value.unicodeScalars.count <= APILimits.maximumIDLength else {
            throw Problem.badRequest("invalid_path", "the path parameter '\(name)' must have 1 to \(APILimits.maximumIDLength) characters")
        }
        return value
    }
}
