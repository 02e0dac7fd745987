import AccrueCore
import AccruePrograms
import AccrueServer
import AccrueStore
import Foundation
import Hummingbird
import HummingbirdTesting
import XCTest

/// Many requests at once on one program: committed together, each answered with its own outcome.
final class GroupCommitTests: XCTestCase {
    func testConcurrentRequestsAreCommittedTogetherAndAnsweredEachTheirOwn() async throws {
        let harness = try Harness()
        defer { harness.remove() }
        try await harness.application().test(.router) { client in
            let key = harness.key
            // 300 orders from 30 members, and each tenth resent at the same moment.
            let bodies = (0..<300).map { i in
                input("g\(i)", "order.completed", "m\(i % 30)", "2026-11-01T02:00:00Z",
                      "{\"order\":\"G\(i)\",\"amount\":\"\(i + 1).00\",\"currency\":\"CNY\"}")
            }
            let sent = bodies + bodies.enumerated().filter { $0.offset % 10 == 0 }.map(\.element)
            let answers = try await withThrowingTaskGroup(of: (Int, Answer).self) { group in
                for (index, body) in sent.enumerated() {
                    group.addTask { (index, try await client.call(.post, "/v1/programs/jd-points/inputs", bearer: key, body: body)) }
                }
                var all: [Int: Answer] = [:]
                for try await (index, answer) in group { all[index] = answer }
                return all
            }
            XCTAssertEqual(answers.count, 330)
            for (index, answer) in answers {
                let i = index < 300 ? index : (index - 300) * 10
                XCTAssertEqual(answer.status, 200, answer.text)
                XCTAssertEqual(string(answer["id"]), "g\(i)")
                // Double 11: 2 points per yuan; each answer is its own input's.
                XCTAssertEqual(number(answer["points"]), Int64(2 * (i + 1)), answer.text)
            }
            let replayed = answers.values.filter { $0["replayed"] == .bool(true) }.count
            XCTAssertEqual(replayed, 30, "each resent input was applied once and answered with its first outcome")
        }
        let inputs = try harness.store.inputs(program: "jd-points")
        XCTAssertEqual(inputs.count, 300)
        let commits = try harness.store.tail(program: "jd-points", after: 0).revision
        print("group commit: 330 requests, 300 inputs, \(commits) commits")
        let program = try XCTUnwrap(try harness.store.program("jd-points"))
        let report = try verify(try ProgramFile.parse(program.source, file: "jd-points"), store: harness.store)
        XCTAssertEqual(report.problems, [])
    }
}
