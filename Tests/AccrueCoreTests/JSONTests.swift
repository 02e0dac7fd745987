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

    func testStringEscapes() throws {
        XCTAssertEqual(try JSONReader.parse(#""a\u00e9\n\ud83d\ude00""#), .string("a\u{e9}\n\u{1F600}"))
    }
}
