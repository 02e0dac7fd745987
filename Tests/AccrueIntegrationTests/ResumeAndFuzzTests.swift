import AccrueCore
import Foundation
import XCTest

final class ResumeAndFuzzTests: XCTestCase {
    /// A log cut at every point, its state saved as the store saves it (JSON) and loaded into a new
    /// engine, then resumed, equals the whole log: the schedule rebuilt from a loaded state runs due
    /// work in the same order as the live one.
    func testCutAtEveryPointAndResumedEqualsWhole() throws {
        for name in RandomLogTests.presets {
            let program = try preset(name)
            var generator = LogGenerator(seed: 2026, program: program)
            let log = generator.log(150).map { Array($0.utf8) }
            var whole = Replay(program: program)
            for line in log { whole.apply(line: line) }
            let until = Instant(rfc3339: "2031-01-01T00:00:00Z")!
            whole.advance(to: until)

            for cut in 0...log.count {
                var engine = Engine(program: program)
                var seen: [String: InputRecord] = [:]
                var entries: [Entry] = []
                func feed(_ line: [UInt8]) {
                    let decoded = Input.decode(line)
                    let outcome = engine.handle(decoded, prior: decoded.id.flatMap { seen[$0] })
                    if let id = decoded.id, let canonical = decoded.canonical, seen[id] == nil, outcome.code != .conflict {
                        seen[id] = InputRecord(canonical: canonical, outcome: outcome)
                    }
                    entries += engine.drain().entries
                }
                for line in log[..<cut] { feed(line) }
                let saved = try JSONEncoder().encode(engine.state)
                engine = Engine(program: program, state: try JSONDecoder().decode(ProgramState.self, from: saved))
                for line in log[cut...] { feed(line) }
                engine.advance(to: until)
                entries += engine.drain().entries
                XCTAssertTrue(engine.state == whole.engine.state, "states differ: " + "\(name) cut at \(cut)")
                XCTAssertTrue(entries == whole.entries, "entries differ: " + "\(name) cut at \(cut)")
                if engine.state != whole.engine.state { return }
            }
        }
    }

    /// Mutated and random inputs never crash the engine, are always answered with a reason when
    /// refused, and never break the agreement between ledger and state.
    func testMutatedInputsAreRefusedCleanly() throws {
        let seeds = [
            #"{"id":"e-1","type":"order.completed","member":"alice","at":"2026-03-01T10:00:00Z","data":{"order":"o-1","amount":"120.50","currency":"CNY"}}"#,
            #"{"id":"e-2","type":"points.redeemed","member":"alice","at":"2026-03-20T10:00:00Z","data":{"order":"o-2","points":100,"order_amount":"20.00"}}"#,
            #"{"id":"e-3","type":"booking.requested","member":"alice","at":"2026-03-21T10:00:00Z","data":{"booking":"b-1","services":[{"service":"hotel","nights":2}]}}"#,
            #"{"id":"e-4","type":"points.adjusted","member":"alice","at":"2026-03-22T10:00:00Z","data":{"points":-50,"reason":"fix"}}"#,
        ]
        let nasty: [String] = ["", "-1", "1e400", "99999999999999999999999", "\"\"", "null", "[]", "{}", "\"-0.01\"", "\"1.001\"",
                               "\"\\u0000\"", "\"\u{FFFF}\"", "true", "\"NaN\"", "\"9999999999999.99\"", String(repeating: "[", count: 64)]
        for name in RandomLogTests.presets {
            let program = try preset(name)
            var random = SeededRandom(seed: 5)
            var replay = Replay(program: program)
            for round in 0..<600 {
                var bytes = Array(seeds[Int(random.next() % UInt64(seeds.count))].utf8)
                switch random.next() % 5 {
                case 0: // flip, drop or insert a byte (invalid UTF-8 included)
                    let index = Int(random.next() % UInt64(bytes.count))
                    switch random.next() % 3 {
                    case 0: bytes[index] = UInt8(truncatingIfNeeded: random.next())
                    case 1: bytes.remove(at: index)
                    default: bytes.insert(UInt8(truncatingIfNeeded: random.next()), at: index)
                    }
                case 1: // replace a value with something hostile
                    var text = String(decoding: bytes, as: UTF8.self)
                    let targets = ["\"120.50\"", "100", "2", "\"CNY\"", "\"alice\"", "\"2026-03-01T10:00:00Z\"", "-50"]
                    let target = targets[Int(random.next() % UInt64(targets.count))]
                    if let range = text.range(of: target) {
                        text.replaceSubrange(range, with: nasty[Int(random.next() % UInt64(nasty.count))])
                    }
                    bytes = Array(text.utf8)
                case 2: // random bytes
                    bytes = (0..<Int(random.next() % 40)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
                case 3: // a fresh id so the mutated body is judged, not taken as a conflict
                    var text = String(decoding: bytes, as: UTF8.self)
                    text = text.replacingOccurrences(of: "\"e-", with: "\"r\(round)-")
                    bytes = Array(text.utf8)
                default:
                    break
                }
                guard let outcome = replay.apply(line: bytes) else { continue }
                if outcome.status == .refused {
                    XCTAssertNotNil(outcome.code, "\(name): refused without a code: \(String(decoding: bytes, as: UTF8.self))")
                    XCTAssertFalse(outcome.reason?.isEmpty ?? true, "\(name): refused without a reason")
                }
            }
            XCTAssertEqual(Audit.compare(entries: replay.entries, state: replay.engine.state, program: program), [], name)
            XCTAssertGreaterThan(replay.outcomes.filter { $0.status == .refused }.count, 100, name)
        }
    }
}
