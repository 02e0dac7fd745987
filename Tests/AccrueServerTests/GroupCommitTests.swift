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

    /// Posts from many clients at once, each sending one input after another, with member reads
    /// among them and a checkpoint due every hundred inputs. Every post gets its own outcome;
    /// reads are answered while the posts go on (not once they stop) and never show points that
    /// are not on disk yet; what is stored verifies.
    func testReadsAmongPostsAreAnsweredAtOnceAndSeeOnlyWhatIsDurable() async throws {
        let harness = try Harness(checkpointInterval: 100)
        defer { harness.remove() }
        let store = harness.store
        let clients = 16, postsEach = 40, members = 12
        let progress = Progress()
        try await harness.application().test(.router) { client in
            let key = harness.key
            try await withThrowingTaskGroup(of: Void.self) { group in
                for c in 0..<clients {
                    group.addTask {
                        for k in 0..<postsEach {
                            let i = c * postsEach + k
                            let body = input("p\(i)", "order.completed", "m\(i % members)", "2026-11-01T02:00:00Z",
                                             "{\"order\":\"P\(i)\",\"amount\":\"\(i % 50 + 1).00\",\"currency\":\"CNY\"}")
                            let answer = try await client.call(.post, "/v1/programs/jd-points/inputs", bearer: key, body: body)
                            XCTAssertEqual(answer.status, 200, answer.text)
                            XCTAssertEqual(number(answer["points"]), Int64(2 * (i % 50 + 1)), answer.text)
                            progress.posted()
                        }
                    }
                }
                group.addTask {
                    var m = 0
                    while progress.posts < clients * postsEach {
                        let member = "m\(m % members)"
                        m += 1
                        let answer = try await client.call(.get, "/v1/programs/jd-points/members/\(member)", bearer: key)
                        let duringPosts = progress.posts < clients * postsEach
                        guard answer.status == 200 else {
                            XCTAssertEqual(answer.status, 404, answer.text)
                            continue
                        }
                        // What the store holds now is at least what the read saw.
                        let durable = try store.inputs(program: "jd-points")
                            .filter { $0.record.outcome.member == member }
                            .reduce(Int64(0)) { $0 + $1.record.outcome.points }
                        let pending = try XCTUnwrap(number(answer["pending"]), answer.text)
                        XCTAssertLessThanOrEqual(pending, durable, "\(member): a read showed points not yet on disk")
                        progress.read(duringPosts: duringPosts)
                    }
                }
                try await group.waitForAll()
            }
        }
        XCTAssertEqual(try store.inputs(program: "jd-points").count, clients * postsEach)
        XCTAssertGreaterThan(progress.readsDuringPosts, 0, "reads are answered while posts go on")
        let checkpoint = try XCTUnwrap(try store.load(program: "jd-points"))
        XCTAssertGreaterThan(checkpoint.revision, 0, "checkpoints were written while posting")
        let program = try XCTUnwrap(try store.program("jd-points"))
        let report = try verify(try ProgramFile.parse(program.source, file: "jd-points"), store: store)
        XCTAssertEqual(report.problems, [])
        print("posts and reads: \(clients * postsEach) inputs in \(try store.revision(program: "jd-points")) commits, \(progress.readsDuringPosts) reads answered during them")
    }

    /// Batches posted while member reads come: no commit holds more than 500 inputs, so that a read
    /// waits for a short commit (without reads a group may hold 5,000); every batch is applied
    /// whole and what is stored verifies.
    func testWhileReadsComeGroupsStaySmall() async throws {
        let harness = try Harness()
        defer { harness.remove() }
        let store = harness.store
        let batches = 30, each = 100
        let progress = Progress()
        try await harness.application().test(.router) { client in
            let key = harness.key
            let first = try await client.call(.post, "/v1/programs/jd-points/inputs", bearer: key,
                                              body: input("r0", "order.completed", "m0", "2026-11-01T02:00:00Z",
                                                          "{\"order\":\"R0\",\"amount\":\"10.00\",\"currency\":\"CNY\"}"))
            XCTAssertEqual(first.status, 200, first.text)
            // Reads have been answered before the first batch arrives, and go on until the last is.
            let read = try await client.call(.get, "/v1/programs/jd-points/members/m0", bearer: key)
            XCTAssertEqual(read.status, 200, read.text)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for b in 0..<batches {
                    group.addTask {
                        let items = (0..<each).map { k in
                            let i = b * each + k
                            return input("b\(i)", "order.completed", "m\(i % 40)", "2026-11-01T02:00:00Z",
                                         "{\"order\":\"B\(i)\",\"amount\":\"1.00\",\"currency\":\"CNY\"}")
                        }
                        let answer = try await client.call(.post, "/v1/programs/jd-points/batches", bearer: key,
                                                           body: "{\"inputs\":[" + items.joined(separator: ",") + "]}")
                        XCTAssertEqual(answer.status, 200, answer.text)
                        progress.posted()
                    }
                }
                group.addTask {
                    while progress.posts < batches {
                        let answer = try await client.call(.get, "/v1/programs/jd-points/members/m0", bearer: key)
                        XCTAssertEqual(answer.status, 200, answer.text)
                    }
                }
                try await group.waitForAll()
            }
        }
        let log = try store.tail(program: "jd-points", after: 0).records
        var perCommit: [Int64: Int] = [:]
        for (revision, _) in log { perCommit[revision, default: 0] += 1 }
        XCTAssertEqual(try store.inputs(program: "jd-points").count, 1 + batches * each)
        XCTAssertLessThanOrEqual(perCommit.values.max() ?? 0, 500, "a commit taken while reads came held more than 500 inputs")
        let program = try XCTUnwrap(try store.program("jd-points"))
        let report = try verify(try ProgramFile.parse(program.source, file: "jd-points"), store: store)
        XCTAssertEqual(report.problems, [])
        print("batches beside reads: \(1 + batches * each) inputs in \(perCommit.count) commits, the largest \(perCommit.values.max() ?? 0)")
    }
}

/// Counts shared by a test's concurrent clients.
private final class Progress: @unchecked Sendable {
    private let lock = NSLock()
    private var postCount = 0
    private var during = 0

    var posts: Int { lock.withLock { postCount } }
    var readsDuringPosts: Int { lock.withLock { during } }
    func posted() { lock.withLock { postCount += 1 } }
    func read(duringPosts: Bool) { lock.withLock { if duringPosts { during += 1 } } }
}
