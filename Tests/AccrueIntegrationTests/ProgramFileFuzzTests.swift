import AccrueBench
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

    /// Files built to hurt a loader: nesting 100,000 deep, an alias bomb (9^8 expansions), 10,000
    /// aliases of one rule, numbers past 64 bits, invalid UTF-8, a NUL byte, an empty file. Each is
    /// refused (or, for the aliases of one valid rule, loaded) without a crash and at once.
    func testHostileProgramFilesAreRefusedSayingWhere() throws {
        let folder = temporaryFolder()
        defer { removeFolder(folder) }
        let header = "program: hostile\nname: x\nversion: 1\ntime_zone: UTC\ncurrency: USD\npoints: {code: p, name: p, spend: [rewards]}\nexpiry: {model: none}\n"
        var bomb = header + "rules: []\nx0: &a0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
        for level in 1...8 { bomb += "x\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 9).joined(separator: ",") + "]\n" }
        bomb += "excluded_sellers: *a8\n"
        let rule = "{id: r, on: member.signed_in, label: sign-ins, title: t, earn: {points: 1}}"
        let manyAliases = header + "base: &r \(rule)\nrules: [" + Array(repeating: "*r", count: 10_000).joined(separator: ",") + "]\n"
        let files: [(String, [UInt8])] = [
            ("deep", Array((header + "rules: " + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "\n").utf8)),
            ("bomb", Array(bomb.utf8)),
            ("aliases", Array(manyAliases.utf8)),
            ("huge", Array((header + "rules: [{id: r, on: member.signed_in, label: s, title: t, earn: {points: 99999999999999999999999999}}]\n").utf8)),
            ("utf8", Array(header.utf8) + [0x6e, 0x61, 0x6d, 0x65, 0x3a, 0x20, 0xff, 0xfe, 0x0a]),
            ("nul", Array((header + "rules: []\n").utf8) + [0x00, 0x0a]),
            ("empty", []),
        ]
        for (name, bytes) in files {
            let path = folder.appendingPathComponent("\(name).yaml").path
            FileManager.default.createFile(atPath: path, contents: Data(bytes))
            do {
                let (program, _) = try Presets.read(path)
                XCTAssertEqual(name, "aliases", "\(name) loaded")
                XCTAssertEqual(program.rules.count, 1, "10,000 copies of one rule id are refused, or kept as one")
            } catch let error as ProgramFileError {
                XCTAssertFalse(error.problems.isEmpty, name)
                for problem in error.problems {
                    XCTAssertFalse(problem.message.isEmpty, name)
                    XCTAssertEqual(problem.file, path, name)
                }
                if name == "utf8" { XCTAssertEqual(error.problems.first?.line, 8, "the line of the bad byte") }
                if name == "huge" { XCTAssertTrue(error.problems.contains { $0.field.contains("points") }, "\(error.problems)") }
            }
        }
    }
}
