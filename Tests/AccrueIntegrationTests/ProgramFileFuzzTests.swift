import AccrueCore
import AccruePrograms
import Foundation
import XCTest

/// Mutated program files never crash the loader: each is either refused with problems that say
/// where, or loaded, and then a random log runs on it with the ledger agreeing with the state.
final class ProgramFileFuzzTests: XCTestCase {
    func testMutatedProgramFilesAreRefusedOrRunCleanly() throws {
        let hostile = ["-1", "0", "99999999999999999999", "9223372036854775807", "1000.9999", "1e9", "\"\"", "[]", "{}", "null",
                       "~", "yes", "\"2026-02-30\"", "0.00001", "&anchor", "*alias", "!!binary", "\"\\u0000\"", "nan"]
        var random = SeededRandom(seed: 31)
        var refused = 0, loaded = 0
        for name in RandomLogTests.presets {
            let text = try String(contentsOfFile: repositoryRoot.appendingPathComponent("programs/\(name).yaml").path, encoding: .utf8)
            var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            for round in 0..<150 {
                var mutated = lines
                let index = Int(random.next() % UInt64(mutated.count))
                switch random.next() % 6 {
                case 0: // replace a value after a colon with something hostile
                    if let colon = mutated[index].lastIndex(of: ":") {
                        mutated[index] = String(mutated[index][...colon]) + " " + hostile[Int(random.next() % UInt64(hostile.count))]
                    }
                case 1: mutated.remove(at: index)
                case 2: mutated.insert(mutated[index], at: index)
                case 3: mutated[index] = "  " + mutated[index]
                case 4: // a random number anywhere in the line
                    mutated[index] = mutated[index].replacingOccurrences(of: "1", with: hostile[Int(random.next() % UInt64(hostile.count))])
                default: // random bytes
                    mutated[index] += String((0..<8).map { _ in Character(Unicode.Scalar(UInt8(truncatingIfNeeded: random.next() % 94 + 32))) })
                }
                let source = mutated.joined(separator: "\n")
                do {
                    let program = try ProgramFile.parse(source, file: "\(name)-\(round).yaml")
                    loaded += 1
                    var generator = LogGenerator(seed: UInt64(round), program: program)
                    var replay = Replay(program: program)
                    for line in generator.log(40) { replay.apply(line: Array(line.utf8)) }
                    XCTAssertEqual(Audit.compare(entries: replay.entries, state: replay.engine.state, program: program), [],
                                   "\(name) round \(round):\n\(source)")
                } catch let error as ProgramFileError {
                    refused += 1
                    XCTAssertFalse(error.problems.isEmpty)
                    for problem in error.problems {
                        XCTAssertFalse(problem.message.isEmpty)
                        XCTAssertTrue(problem.line > 0 || !problem.field.isEmpty, "a problem says where: \(problem)")
                    }
                }
            }
            lines = []
        }
        XCTAssertGreaterThan(refused, 100)
        XCTAssertGreaterThan(loaded, 100)
    }
}
