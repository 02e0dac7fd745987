import AccrueBench
import AccrueCore
import XCTest

/// The benchmark's workload: the same seed gives the same logs, the inputs are valid enough that
/// the engine does real work, and every input type the benchmark claims to cover is there.
final class BenchWorkloadTests: XCTestCase {
    let options = WorkloadOptions(members: 300, inputs: 12_000, seed: 7)

    func testTheSameSeedGivesTheSameLogsAndAnotherSeedOthers() {
        for program in Workload.programs {
            XCTAssertEqual(Workload.lines(program, options: options), Workload.lines(program, options: options), program.id)
        }
        var other = options
        other.seed = 8
        XCTAssertNotEqual(Workload.lines(Workload.programs[0], options: options), Workload.lines(Workload.programs[0], options: other))
    }

    func testInputsAreMostlyAppliedInTimeOrderAndCoverEveryType() throws {
        var types: Set<String> = []
        var total = 0
        for slot in Workload.programs {
            let lines = Workload.lines(slot, options: options)
            XCTAssertEqual(lines.count, Workload.inputCount(of: slot, options: options))
            total += lines.count
            let file = try preset(slot.preset)
            var replay = Replay(program: file.id == slot.id ? file : file.instance(id: slot.id))
            var latest = Int64.min
            var counts: [OutcomeStatus: Int] = [:]
            for line in lines {
                let outcome = try XCTUnwrap(replay.apply(line: Array(line.utf8)))
                counts[outcome.status, default: 0] += 1
                let type = try XCTUnwrap(outcome.type, line)
                types.insert(type)
                // A resent input keeps its first time; every other comes in time order.
                let at = try XCTUnwrap(outcome.at, line).milliseconds
                if outcome.status != .duplicate {
                    XCTAssertGreaterThanOrEqual(at, latest, "inputs come in time order: \(line)")
                    latest = max(latest, at)
                }
            }
            let applied = counts[.applied] ?? 0, refused = counts[.refused] ?? 0, duplicate = counts[.duplicate] ?? 0
            XCTAssertGreaterThan(applied * 100, lines.count * 90, "\(slot.id): at least 90% applied, got \(counts)")
            XCTAssertLessThan(refused * 100, lines.count * 5, "\(slot.id): refusals stay a few percent, got \(counts)")
            XCTAssertGreaterThan(refused, 0, "\(slot.id): some inputs are refused, as shops' mistakes are")
            XCTAssertGreaterThan(duplicate, 0, "\(slot.id): some inputs are resent")
            XCTAssertGreaterThan(replay.entries.count, lines.count / 2, "\(slot.id): the engine makes entries")
        }
        XCTAssertEqual(total, options.inputs)
        XCTAssertEqual(Workload.inputTypes.subtracting(types), [], "every type the workload claims appears")
    }

    func testTheFlashHourIsBusyAndTakenByHotMembers() throws {
        let lines = Workload.lines(Workload.programs[0], options: options)
        let flashStart = Workload.flashStart.milliseconds
        var inHour = 0, byHot = 0
        for line in lines {
            let input = try XCTUnwrap(Input.decode(Array(line.utf8)).input)
            guard input.at.milliseconds >= flashStart, input.at.milliseconds < flashStart + Workload.flashMilliseconds else { continue }
            inHour += 1
            if let rank = Int(input.member.dropFirst()), rank <= Workload.hotMembers { byHot += 1 }
        }
        // One hour of about 4,400 in the simulated months carries the program's flash share (less
        // the resent inputs among them, which keep their first time).
        XCTAssertGreaterThanOrEqual(inHour * 1_000, lines.count * Workload.programs[0].flashPercent * 9)
        // Refunds, reviews and captures follow earlier orders and holds, which may be anyone's.
        XCTAssertGreaterThan(byHot * 100, inHour * 90, "the hot members send the flash hour's inputs")
    }

    func testZipfRanksAreSkewedAndInRange() {
        let table = ZipfTable(count: 1_000)
        var random = SplitMix64(seed: 1)
        var hits = Array(repeating: 0, count: 1_000)
        for _ in 0..<100_000 { hits[table.sample(&random)] += 1 }
        // With exponent 1 the first rank has about 1/H(1000) = 13% of the draws, the tenth a tenth of that.
        XCTAssertGreaterThan(hits[0], 11_000)
        XCTAssertLessThan(hits[0], 16_000)
        XCTAssertGreaterThan(hits[0], 7 * hits[9])
        XCTAssertGreaterThan(hits[999], 0)
        for _ in 0..<1_000 { XCTAssertLessThan(table.sample(&random, top: 10), 10) }
    }

    /// The logs of the scheduled work at scale: every jd-points order applies and makes one lot,
    /// each member gets the same number of lots, every aliexpress-levels member earns, in time
    /// order, and the same seed writes the same files.
    func testTheScaleLogsMakeTheLotsAndMembersTheyPromise() throws {
        let folder = temporaryFolder()
        defer { removeFolder(folder) }
        let files = try ScaleWorkload.write(members: 40, lots: 400, seed: 3, to: folder.appendingPathComponent("a"))
        let again = try ScaleWorkload.write(members: 40, lots: 400, seed: 3, to: folder.appendingPathComponent("b"))
        XCTAssertEqual(try files.map { try Data(contentsOf: $0) }, try again.map { try Data(contentsOf: $0) }, "the same seed, the same logs")
        for (file, name, inputs) in [(files[0], "jd-points", 400), (files[1], "aliexpress-levels", 40)] {
            var replay = Replay(program: try preset(name))
            let lines = try String(contentsOf: file, encoding: .utf8).split(separator: "\n")
            XCTAssertEqual(lines.count, inputs, name)
            var latest = Int64.min
            for line in lines {
                let outcome = try XCTUnwrap(replay.apply(line: Array(line.utf8)))
                XCTAssertEqual(outcome.status, .applied, "\(line): \(outcome.reason ?? "")")
                XCTAssertGreaterThan(outcome.points, 0, String(line))
                let at = try XCTUnwrap(outcome.at).milliseconds
                XCTAssertGreaterThanOrEqual(at, latest, "in time order")
                latest = at
            }
            let members = replay.engine.state.members.values
            XCTAssertEqual(members.count, 40, name)
            if name == "jd-points" {
                XCTAssertEqual(Set(members.map(\.lots.count)), [10], "every member has lots / members lots")
            }
        }
    }
}
