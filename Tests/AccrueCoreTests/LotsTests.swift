@testable import AccrueCore
import AccrueBench
import Foundation
import XCTest

/// A member's lots keep their totals and find lots by id whatever is done to them.
final class LotsTests: XCTestCase {
    func lot(_ id: Int64, _ remaining: Int64, pending: Bool = false) -> Lot {
        Lot(id: id, remaining: remaining, pending: pending, availableAt: Instant(milliseconds: id), expiresAt: nil)
    }

    func check(_ lots: Lots, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(lots.availableTotal, lots.filter { !$0.pending }.reduce(0) { $0 + $1.remaining }, file: file, line: line)
        XCTAssertEqual(lots.pendingTotal, lots.filter { $0.pending }.reduce(0) { $0 + $1.remaining }, file: file, line: line)
        for (position, lot) in lots.enumerated() {
            XCTAssertEqual(lots.index(ofLot: lot.id), position, file: file, line: line)
        }
    }

    func testTotalsAndLookUpsFollowEveryChange() throws {
        var random = SplitMix64(seed: 20_261_123)
        var lots = Lots()
        var nextID: Int64 = 1
        for _ in 0..<800 {
            switch Int.random(in: 0..<6, using: &random) {
            case 0, 1:
                lots.append(lot(nextID, Int64.random(in: 1...500, using: &random), pending: Bool.random(using: &random)))
                nextID += 1
            case 2 where !lots.isEmpty:
                let position = Int.random(in: lots.indices, using: &random)
                lots[position].remaining -= min(lots[position].remaining, 7)
            case 3 where !lots.isEmpty:
                lots[Int.random(in: lots.indices, using: &random)].pending.toggle()
            case 4 where !lots.isEmpty:
                let removed = lots.remove(at: Int.random(in: lots.indices, using: &random))
                // Put it back where it belongs, as a released hold does.
                if Bool.random(using: &random) { lots.insert(removed, at: lots.insertionIndex(ofLot: removed.id)) }
            default:
                lots.removeAll { $0.remaining == 0 }
            }
            check(lots)
        }
        XCTAssertNil(lots.index(ofLot: nextID + 5))

        // Stored as the plain array; read back the same, totals included.
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let data = try encoder.encode(lots)
        XCTAssertEqual(try encoder.encode(Array(lots)), data)
        let decoded = try JSONDecoder().decode(Lots.self, from: data)
        XCTAssertEqual(decoded, lots)
        check(decoded)
    }

    func testSpendingFromTheFrontKeepsEverythingFound() {
        var lots = Lots()
        for id in 1...100 { lots.append(lot(Int64(id), Int64(id))) }
        for _ in 0..<80 {
            let first = lots.soonestSpendable()
            XCTAssertEqual(first, 0)
            lots[0].remaining = 0
            lots.remove(at: 0)
            check(lots)
        }
        XCTAssertEqual(lots.count, 20)
        XCTAssertEqual(lots.first?.id, 81)
        XCTAssertEqual(lots.availableTotal, (81...100).reduce(0, +))
        lots.insert(lot(50, 7), at: lots.insertionIndex(ofLot: 50))
        check(lots)
        XCTAssertEqual(lots.soonestSpendable(), 0)
        XCTAssertEqual(lots.lot(50)?.remaining, 7)
    }

    func testLotsOutOfIdOrderAreStillFound() {
        var lots: Lots = [lot(1, 5), lot(3, 5)]
        lots.append(lot(2, 4))
        check(lots)
        XCTAssertEqual(lots.lot(2)?.remaining, 4)
    }
}
