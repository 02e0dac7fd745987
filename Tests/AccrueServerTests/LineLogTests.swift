import AccrueServer
import Foundation
import Logging
import XCTest

/// The server's log lines: metadata set on a logger (as Hummingbird sets a request id on every
/// request's) shows in the lines it writes, sorted, beside the line's own; levels below the
/// logger's write nothing.
final class LineLogTests: XCTestCase {
    final class Lines: @unchecked Sendable {
        private let lock = NSLock()
        private var written: [String] = []
        func add(_ line: String) { lock.withLock { written.append(line) } }
        var all: [String] { lock.withLock { written } }
    }

    func testMetadataIsWrittenWithEachLineAndLevelsFilter() {
        let lines = Lines()
        var logger = Logger(label: "accrue") { LineLogHandler(label: $0, metadataProvider: nil, write: lines.add) }
        logger.logLevel = .info
        logger[metadataKey: "hb.request.id"] = "r-42"
        logger[metadataKey: "b"] = "2"
        logger.debug("not written")
        logger.warning("checkpoint failed", metadata: ["program": "jd-points"])
        logger[metadataKey: "b"] = nil
        logger.error("stopped")
        XCTAssertEqual(lines.all.count, 2, "\(lines.all)")
        let first = lines.all[0]
        XCTAssertTrue(first.hasSuffix(" warning accrue : b=2 hb.request.id=r-42 program=jd-points [AccrueServerTests] checkpoint failed\n"), first)
        XCTAssertNotNil(first.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z "#, options: .regularExpression), first)
        XCTAssertTrue(lines.all[1].hasSuffix(" error accrue : hb.request.id=r-42 [AccrueServerTests] stopped\n"), lines.all[1])
    }
}
