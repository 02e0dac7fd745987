import AccrueCore
import XCTest

final class JSONTests: XCTestCase {
    func testCanonicalSortsKeys() throws {
        let a = try JSONReader.parse(#"{"b":1,"a":{"d":true,"c":null}}"#)
        XCTAssertEqual(a.canonical, #"{"a":{"c":null,"d":true},"b":1}"#)
    }

    func testRefusesDuplicateKeysDeepNestingAndBadUTF8() {
        XCTAssertThrowsError(try JSONReader.parse(#"{"a":1,"a":2}"#))
        XCTAssertThrowsError(try JSONReader.parse(String(repeating: "[", count: 40) + String(repeating: "]", count: 40)))
        XCTAssertNoThrow(try JSONReader.parse(String(repeating: "[", count: 32) + String(repeating: "]", count: 32)))
        XCTAssertThrowsError(try JSONReader.parse([0x22, 0xC3, 0x28, 0x22]))
        XCTAssertThrowsError(try JSONReader.parse(#"{"a":1,}"#))
        XCTAssertThrowsError(try JSONReader.parse(#""\ud800""#))
    }

    /// The writer's text is the canonical text of the same value: integers at both ends of Int64,
    /// escapes, empty and nested containers, members left out when nil.
    func testWriterWritesTheCanonicalText() throws {
        var out = JSONWriter(capacity: 0)
        out.openObject()
        out.array("a", [Int64.min, -1, 0, 7, 1_000_000, Int64.max]) { $0.integer($1) }
        out.array("b", [[String](), ["x"], ["quote \" \\ \n \u{1}", "中文"]]) { out, strings in
            out.openArray()
            for string in strings { out.string(string) }
            out.closeArray()
        }
        out.field("c", nil as String?)
        out.field("d", false)
        out.key("e")
        out.openObject()
        out.closeObject()
        out.field("f", Instant(rfc3339: "2026-11-11T00:00:00+08:00"))
        out.field("g", 42 as Int64?)
        out.closeObject()
        let text = String(decoding: out.bytes, as: UTF8.self)
        XCTAssertEqual(text, try JSONReader.parse(text).canonical)
        XCTAssertEqual(text, #"{"a":[-9223372036854775808,-1,0,7,1000000,9223372036854775807],"b":[[],["x"],["quote \" \\ \n \u0001","中文"]],"d":false,"e":{},"f":"2026-11-10T16:00:00Z","g":42}"#)
    }

    func testStringEscapes() throws {
        XCTAssertEqual(try JSONReader.parse(#""a\u00e9\n\ud83d\ude00""#), .string("a\u{e9}\n\u{1F600}"))
    }

    /// String literals read back (with the strict reader, which refuses raw control characters) as
    /// the string they were written from, escape exactly as expected, and canonical texts read
    /// back as the value they were written from.
    func testStringLiteralsAndCanonicalTextsReadBack() throws {
        let samples = ["", "plain", "quote \" and \\ back", "tab\tnew\nreturn\r", "\u{0}\u{1}\u{1f}\u{7f}",
                       "é 中文 \u{1F600}", "mixed \u{08}\"中\\\u{0C}"]
        for sample in samples {
            var bytes: [UInt8] = []
            JSON.writeString(sample, into: &bytes)
            XCTAssertEqual(try JSONReader.parse(bytes), .string(sample), sample)
        }
        var mixed: [UInt8] = []
        JSON.writeString("a\"b\\c\td\ne\u{8}中", into: &mixed)
        XCTAssertEqual(String(decoding: mixed, as: UTF8.self), #""a\"b\\c\td\ne\u0008中""#)
        let value = JSON.object([("z", .array([.string("a\u{1}b"), .number("-12"), .bool(false), .null])), ("a", .object([("y", .string("中")), ("b", .object([]))]))])
        XCTAssertEqual(value.canonical, #"{"a":{"b":{},"y":"中"},"z":["a\u0001b",-12,false,null]}"#)
        XCTAssertEqual(value.canonicalBytes, Array(value.canonical.utf8))
        XCTAssertEqual(try JSONReader.parse(value.canonicalBytes).canonical, value.canonical)
    }
}
