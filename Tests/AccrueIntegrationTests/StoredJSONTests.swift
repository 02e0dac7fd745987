import AccrueCore
import AccruePrograms
import AccrueStore
import Foundation
import XCTest

/// Outcomes are written directly (`Outcome.json`), not through `JSONEncoder`: for every outcome of
/// random logs over the presets and the two-currency example, the text decodes to the same outcome
/// and is the same JSON as `JSONEncoder` writes, stored (milliseconds) and answered (RFC 3339).
final class StoredJSONTests: XCTestCase {
    func testOutcomesWrittenDirectlyAreWhatJSONEncoderWrites() throws {
        var programs = try RandomLogTests.presets.map { try preset($0) }
        programs.append(try ProgramFile.load(path: repositoryRoot.appendingPathComponent("docs/examples/points-and-coins.yaml").path))
        let stored = JSONEncoder()
        stored.userInfo[Instant.compactCoding] = true
        let answered = JSONEncoder()
        var kinds = Set<String>()
        for program in programs {
            var generator = LogGenerator(seed: 5, program: program)
            var replay = Replay(program: program)
            for line in generator.log(300) { _ = replay.apply(line: Array(line.utf8)) }
            for outcome in replay.outcomes {
                let direct = try StoredJSON.encode(outcome)
                XCTAssertEqual(try StoredJSON.decode(Outcome.self, direct), outcome, direct)
                XCTAssertEqual(try JSONReader.parse(direct).canonical,
                               try JSONReader.parse(String(decoding: try stored.encode(outcome), as: UTF8.self)).canonical)
                XCTAssertEqual(outcome.json(compactInstants: false).canonical,
                               try JSONReader.parse(String(decoding: try answered.encode(outcome), as: UTF8.self)).canonical)
                if outcome.rules != nil { kinds.insert("rules") }
                if outcome.currencies != nil { kinds.insert("currencies") }
                if outcome.currency != nil { kinds.insert("currency") }
                if outcome.voucher != nil { kinds.insert("voucher") }
                if outcome.first != nil { kinds.insert("first") }
            }
        }
        XCTAssertEqual(kinds, ["rules", "currencies", "currency", "voucher", "first"], "the logs exercise every optional field")
    }
}

/// Member views are written directly (`MemberView.json`) for the API: the same JSON as
/// `JSONEncoder` writes, for every member of random logs over the presets and the example, at
/// several moments (tiers, coupons, holds, pending and expiring lots, other currencies).
final class MemberViewJSONTests: XCTestCase {
    func testMemberViewsWrittenDirectlyAreWhatJSONEncoderWrites() throws {
        var programs = try RandomLogTests.presets.map { try preset($0) }
        programs.append(try ProgramFile.load(path: repositoryRoot.appendingPathComponent("docs/examples/points-and-coins.yaml").path))
        let encoder = JSONEncoder()
        var seen = Set<String>()
        for program in programs {
            var generator = LogGenerator(seed: 7, program: program)
            var replay = Replay(program: program)
            for (index, line) in generator.log(400).enumerated() {
                _ = replay.apply(line: Array(line.utf8))
                guard index % 50 == 49, let now = replay.engine.state.clock else { continue }
                for member in replay.engine.state.members.values {
                    let view = MemberView(member: member, program: program, now: now)
                    let expected = try JSONReader.parse(String(decoding: try encoder.encode(view), as: UTF8.self)).canonical
                    XCTAssertEqual(view.json.canonical, expected, "\(program.id) \(member.id)")
                    if view.tier != nil { seen.insert("tier") }
                    if !view.coupons.isEmpty { seen.insert("coupons") }
                    if !view.holds.isEmpty { seen.insert("holds") }
                    if !view.expiringSoon.isEmpty { seen.insert("expiring") }
                    if view.lots.contains(where: \.pending) { seen.insert("pending") }
                    if view.currencies?.contains(where: { !$0.lots.isEmpty }) ?? false { seen.insert("currencies") }
                }
            }
        }
        XCTAssertEqual(seen, ["tier", "coupons", "holds", "expiring", "pending", "currencies"], "the logs exercise every part of a view")
    }
}
