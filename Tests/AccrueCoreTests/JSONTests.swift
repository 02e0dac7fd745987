import AccrueBench
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

    /// Instants written straight into an answer's bytes are the `rfc3339` text, read back as the
    /// same instant: both sides of 1970, with and without milliseconds, the last millisecond of a
    /// leap day, years beyond four digits (written the long way), and pairs of instants on the
    /// same day.
    func testInstantsWrittenIntoBytesAreTheirRFC3339Text() throws {
        var samples: [Int64] = [0, -1, 1, 999, -999, 1_000, -1_000, 86_399_999, 86_400_000, -86_400_000, 951_868_799_999,
                                951_868_800_000, 1_763_856_000_123, 1_763_856_000_123, 1_763_899_999_000,
                                253_402_300_799_999, 253_402_300_800_000, -62_167_219_200_000, -62_167_219_200_001]
        var random = SplitMix64(seed: 20_261_207)
        for _ in 0..<2_000 {
            let at = Int64.random(in: -70_000_000_000_000...300_000_000_000_000, using: &random)
            samples += [at, at + Int64.random(in: 0..<86_400_000, using: &random)]
        }
        var out = JSONWriter(capacity: 0)
        out.openArray()
        for milliseconds in samples { out.instant(Instant(milliseconds: milliseconds)) }
        out.closeArray()
        XCTAssertEqual(try JSONReader.parse(out.bytes), .array(samples.map { .string(Instant(milliseconds: $0).rfc3339) }))
        for milliseconds in samples where (0...253_402_300_799_999).contains(milliseconds) {
            let instant = Instant(milliseconds: milliseconds)
            XCTAssertEqual(Instant(rfc3339: instant.rfc3339), instant, instant.rfc3339)
        }
        XCTAssertEqual(Instant(milliseconds: 951_868_799_999).rfc3339, "2000-02-29T23:59:59.999Z")
        XCTAssertEqual(Instant(milliseconds: -1).rfc3339, "1969-12-31T23:59:59.999Z")
        XCTAssertEqual(Instant(milliseconds: 253_402_300_800_000).rfc3339, "10000-01-01T00:00:00Z")
    }

    /// Texts longer than the writer's first buffer, and escapes at its edges, come out whole.
    func testTheWriterGrowsItsBuffer() throws {
        let strings = (0..<300).map { index in String(repeating: index % 3 == 0 ? "\"" : "é", count: index) + "\u{1}" }
        var out = JSONWriter(capacity: 0)
        out.openArray()
        for (index, string) in strings.enumerated() {
            out.string(string)
            out.integer(Int64(index) * -1_000_003)
        }
        out.closeArray()
        var expected: [JSON] = []
        for (index, string) in strings.enumerated() { expected += [.string(string), .integer(Int64(index) * -1_000_003)] }
        XCTAssertEqual(try JSONReader.parse(out.bytes), .array(expected))
        XCTAssertEqual(out.string, String(decoding: out.bytes, as: UTF8.self))
        XCTAssertEqual(out.withBytes { Array($0) }, out.bytes)
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
