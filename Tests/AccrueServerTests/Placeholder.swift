import XCTest
import HummingbirdTesting
final class Placeholder: XCTestCase { func testNothing() {} }
