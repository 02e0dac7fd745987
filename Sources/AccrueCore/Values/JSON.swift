/// A JSON value as Accrue reads it: numbers keep their exact text so that money and points are never
/// routed through floating point, and objects keep their keys in the order they were written.
public enum JSON: Sendable, Equatable {
    case null
    case bool(Bool)
    /// The number exactly as written, for example `"120"` or `"1e3"`.
    case number(String)
    case string(String)
    case array([JSON])
    case object([(String, JSON)])

    public static func == (lhs: JSON, rhs: JSON) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case let (.bool(a), .bool(b)): return a == b
        case let (.number(a), .number(b)): return a == b
        case let (.string(a), .string(b)): return a == b
        case let (.array(a), .array(b)): return a == b
        case let (.object(a), .object(b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    /// The value of `key` in an object, or nil.
    public subscript(key: String) -> JSON? {
        guard case let .object(pairs) = self else { return nil }
        return pairs.first(where: { $0.0 == key })?.1
    }

    /// An integer as a JSON number.
    public static func integer<N: BinaryInteger>(_ value: N) -> JSON { .number(String(value)) }

    /// A short name of the value's kind, used in refusal sentences.
    public var kindName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    /// The canonical text of this value: object keys sorted, no insignificant white space. Two inputs
    /// are "the same body" exactly when their canonical texts are equal.
    public var canonical: String {
        String(decoding: canonicalBytes, as: UTF8.self)
    }

    /// The canonical text as UTF-8 bytes, as an HTTP answer sends it. Written byte by byte: appending
    /// to a `String` costs a capacity and encoding check per piece.
    public var canonicalBytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(512)
        writeCanonical(into: &out)
        return out
    }

    func writeCanonical(into out: inout [UInt8]) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case let .bool(b): out.append(contentsOf: b ? "true".utf8 : "false".utf8)
        case let .number(n): out.append(contentsOf: n.utf8)
        case let .string(s): JSON.writeString(s, into: &out)
        case let .array(items):
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                item.writeCanonical(into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case let .object(pairs):
            out.append(UInt8(ascii: "{"))
            let precedes = { (a: (String, JSON), b: (String, JSON)) in a.0.utf8.lexicographicallyPrecedes(b.0.utf8) }
            func write(_ pair: (String, JSON), first: Bool) {
                if !first { out.append(UInt8(ascii: ",")) }
                JSON.writeString(pair.0, into: &out)
                out.append(UInt8(ascii: ":"))
                pair.1.writeCanonical(into: &out)
            }
            if pairs.indices.dropFirst().allSatisfy({ precedes(pairs[$0 - 1], pairs[$0]) }) {
                for (i, pair) in pairs.enumerated() { write(pair, first: i == 0) }
            } else if pairs.count <= 16 {
                // An input's envelope and data: the order sorted as indices on the stack, by
                // insertion, rather than a sorted copy of the pairs on the heap.
                withUnsafeTemporaryAllocation(of: Int.self, capacity: pairs.count) { order in
                    for i in pairs.indices {
                        var j = i
                        while j > 0, precedes(pairs[i], pairs[order[j - 1]]) {
                            order[j] = order[j - 1]
                            j -= 1
                        }
                        order[j] = i
                    }
                    for k in pairs.indices { write(pairs[order[k]], first: k == 0) }
                }
            } else {
                for (i, pair) in pairs.sorted(by: precedes).enumerated() { write(pair, first: i == 0) }
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// Writes `s` as a JSON string literal in UTF-8, with runs that need no escape copied whole.
    public static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { utf8 in escapedPieces(of: utf8) { out.append(contentsOf: $0) } }
        out.append(UInt8(ascii: "\""))
    }

    /// The inside of a JSON string literal for `utf8`, in pieces: each run that needs no escape as
    /// it is, and each byte that does as its escape. The tree's writer and `JSONWriter` share it.
    static func escapedPieces(of utf8: UnsafeBufferPointer<UInt8>, _ piece: (UnsafeBufferPointer<UInt8>) -> Void) {
        let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\")
        var start = 0
        for index in 0..<utf8.count {
            let byte = utf8[index]
            guard byte < 0x20 || byte == quote || byte == backslash else { continue }
            if start < index { piece(UnsafeBufferPointer(rebasing: utf8[start..<index])) }
            start = index + 1
            var escape: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (backslash, byte, 0, 0, 0, 0)
            var length = 2
            switch byte {
            case quote, backslash: break
            case 0x0A: escape.1 = UInt8(ascii: "n")
            case 0x0D: escape.1 = UInt8(ascii: "r")
            case 0x09: escape.1 = UInt8(ascii: "t")
            default:
                let hex: StaticString = "0123456789abcdef"
                hex.withUTF8Buffer { digits in
                    escape = (backslash, UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), digits[Int(byte >> 4)], digits[Int(byte & 0x0F)])
                }
                length = 6
            }
            withUnsafeBytes(of: &escape) { raw in piece(UnsafeBufferPointer(rebasing: raw.bindMemory(to: UInt8.self)[0..<length])) }
        }
        if start < utf8.count { piece(UnsafeBufferPointer(rebasing: utf8[start...])) }
    }
}

/// Why a text is not JSON, with the byte offset where reading stopped.
public struct JSONError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public var offset: Int
    public var description: String { "\(message) at byte \(offset)" }
}

/// A strict JSON reader (RFC 8259): no trailing commas, no comments, no duplicate keys, valid UTF-8,
/// and bounded nesting so that hostile input cannot exhaust the stack.
public struct JSONReader {
    /// The deepest nesting of arrays and objects accepted.
    public static let maximumDepth = 32

    private let bytes: [UInt8]
    private var index = 0

    private init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// Parses one JSON text that must fill `bytes` (white space around it allowed).
    public static func parse<Bytes: Collection>(_ bytes: Bytes) throws(JSONError) -> JSON where Bytes.Element == UInt8 {
        var reader = JSONReader(Array(bytes))
        reader.skipWhitespace()
        let value = try reader.readValue(depth: 0)
        reader.skipWhitespace()
        guard reader.index == reader.bytes.count else {
            throw reader.error("unexpected text after the JSON value")
        }
        return value
    }

    /// Parses a JSON text given as a string.
    public static func parse(_ text: String) throws(JSONError) -> JSON {
        try parse(Array(text.utf8))
    }

    private func error(_ message: String) -> JSONError { JSONError(message: message, offset: index) }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    private mutating func readValue(depth: Int) throws(JSONError) -> JSON {
        guard index < bytes.count else { throw error("unexpected end of the text") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try readObject(depth: depth + 1)
        case UInt8(ascii: "["): return try readArray(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try readString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try readNumber())
        default: throw error("unexpected character")
        }
    }

    private mutating func expectLiteral(_ literal: String) throws(JSONError) {
        let expected = Array(literal.utf8)
        let count = expected.count
        guard index + count <= bytes.count else { throw error("unexpected end of the text") }
        for offset in 0..<count where bytes[index + offset] != expected[offset] {
            throw error("unexpected character")
        }
        index += count
    }

    private mutating func readNumber() throws(JSONError) -> String {
        let start = index
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count, isDigit(bytes[index]) else { throw error("a number needs digits") }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else {
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard index < bytes.count, isDigit(bytes[index]) else { throw error("a number needs digits after its point") }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard index < bytes.count, isDigit(bytes[index]) else { throw error("a number needs digits in its exponent") }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        guard index - start <= 64 else { throw error("a number longer than 64 characters") }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    private func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    private mutating func readString() throws(JSONError) -> String {
        index += 1 // opening quote
        // Most strings have no escape: find the closing quote and validate the bytes once.
        var end = index
        var high: UInt8 = 0
        while end < bytes.count, bytes[end] != UInt8(ascii: "\""), bytes[end] != UInt8(ascii: "\\"), bytes[end] >= 0x20 {
            high |= bytes[end]
            end += 1
        }
        if end < bytes.count, bytes[end] == UInt8(ascii: "\"") {
            let text: String
            if high < 0x80 {
                // ASCII is valid UTF-8: made from the contiguous bytes without the generic
                // validation, which looked up type metadata on every call (a tenth of a load).
                text = bytes.withUnsafeBufferPointer { [index] in String(decoding: UnsafeBufferPointer(rebasing: $0[index..<end]), as: UTF8.self) }
            } else {
                guard let valid = String(validating: bytes[index..<end], as: UTF8.self) else {
                    throw JSONError(message: "a string is not valid UTF-8", offset: index)
                }
                text = valid
            }
            index = end + 1
            return text
        }
        var scalars = String.UnicodeScalarView()
        var runStart = index
        func flush(_ reader: JSONReader, _ end: Int) throws(JSONError) {
            if end > runStart {
                guard let text = String(validating: reader.bytes[runStart..<end], as: UTF8.self) else {
                    throw JSONError(message: "a string is not valid UTF-8", offset: runStart)
                }
                scalars.append(contentsOf: text.unicodeScalars)
            }
        }
        while true {
            guard index < bytes.count else { throw error("a string is not closed") }
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                try flush(self, index)
                index += 1
                return String(scalars)
            }
            if byte < 0x20 { throw error("a control character inside a string") }
            if byte == UInt8(ascii: "\\") {
                try flush(self, index)
                index += 1
                guard index < bytes.count else { throw error("a string is not closed") }
                let escape = bytes[index]
                index += 1
                switch escape {
                case UInt8(ascii: "\""): scalars.append("\"")
                case UInt8(ascii: "\\"): scalars.append("\\")
                case UInt8(ascii: "/"): scalars.append("/")
                case UInt8(ascii: "b"): scalars.append("\u{08}")
                case UInt8(ascii: "f"): scalars.append("\u{0C}")
                case UInt8(ascii: "n"): scalars.append("\n")
                case UInt8(ascii: "r"): scalars.append("\r")
                case UInt8(ascii: "t"): scalars.append("\t")
                case UInt8(ascii: "u"):
                    let high = try readHex4()
                    if (0xD800...0xDBFF).contains(high) {
                        guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                            throw error("a lone surrogate in a string")
                        }
                        index += 2
                        let low = try readHex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw error("a lone surrogate in a string") }
                        let value = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
                        scalars.append(Unicode.Scalar(value)!)
                    } else if (0xDC00...0xDFFF).contains(high) {
                        throw error("a lone surrogate in a string")
                    } else {
                        scalars.append(Unicode.Scalar(high)!)
                    }
                default: throw error("an unknown escape in a string")
                }
                runStart = index
                continue
            }
            index += 1
        }
    }

    private mutating func readHex4() throws(JSONError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw error("a \\u escape needs four hex digits") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw error("a \\u escape needs four hex digits")
            }
            value = value * 16 + digit
            index += 1
        }
        return value
    }

    private mutating func readArray(depth: Int) throws(JSONError) -> JSON {
        guard depth <= JSONReader.maximumDepth else { throw error("nesting deeper than \(JSONReader.maximumDepth) levels") }
        index += 1
        var items: [JSON] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1; return .array(items) }
        while true {
            skipWhitespace()
            items.append(try readValue(depth: depth))
            skipWhitespace()
            guard index < bytes.count else { throw error("an array is not closed") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "]") { index += 1; return .array(items) }
            throw error("expected ',' or ']' in an array")
        }
    }

    private mutating func readObject(depth: Int) throws(JSONError) -> JSON {
        guard depth <= JSONReader.maximumDepth else { throw error("nesting deeper than \(JSONReader.maximumDepth) levels") }
        index += 1
        var pairs: [(String, JSON)] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; return .object(pairs) }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw error("expected a key in an object") }
            let keyOffset = index
            let key = try readString()
            // Lengths first: comparing two unequal strings costs a call into the runtime.
            let length = key.utf8.count
            if pairs.contains(where: { $0.0.utf8.count == length && $0.0 == key }) {
                throw JSONError(message: "the key \"\(key)\" appears twice in an object", offset: keyOffset)
            }
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw error("expected ':' after a key") }
            index += 1
            skipWhitespace()
            pairs.append((key, try readValue(depth: depth)))
            skipWhitespace()
            guard index < bytes.count else { throw error("an object is not closed") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "}") { index += 1; return .object(pairs) }
            throw error("expected ',' or '}' in an object")
        }
    }
}
