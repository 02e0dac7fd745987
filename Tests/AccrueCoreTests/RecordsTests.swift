@testable import AccrueCore
import AccrueBench
import Foundation
import XCTest

/// A program's orders live in `Records` (one array and a table of places) with their first award
/// inline: the table behaves as the dictionary it replaced, whatever is added, changed or removed.
final class RecordsTests: XCTestCase {
    func order(_ id: String, amount: Int64 = 1_000, awards: OrderRecord.Awards = []) -> OrderRecord {
        OrderRecord(id: id, member: "m\(id)", at: Instant(milliseconds: 1), amount: amount, awards: awards)
    }

    func award(_ points: Int64, lot: Int64? = nil) -> OrderRecord.Award {
        OrderRecord.Award(rule: "r\(points)", points: points, lot: lot, multiplier: .one, countedIn: nil)
    }

    func testFollowsADictionaryThroughRandomChanges() throws {
        var random = SplitMix64(seed: 20_261_206)
        var records = Records<OrderRecord>()
        var dictionary: [String: OrderRecord] = [:]
        for step in 0..<4_000 {
            let id = "o\(Int.random(in: 0..<300, using: &random))"
            switch Int.random(in: 0..<5, using: &random) {
            case 0, 1:
                let value = order(id, amount: Int64(step))
                records[id] = value
                dictionary[id] = value
            case 2:
                records[id] = nil
                dictionary[id] = nil
            case 3 where dictionary[id] != nil:
                records[existing: id].refunded += 7
                records[existing: id].awards.append(award(Int64(step)))
                dictionary[id]!.refunded += 7
                dictionary[id]!.awards.append(award(Int64(step)))
            default:
                let changed = records.inPlace(id) { $0.disputed.toggle(); return $0.disputed }
                XCTAssertEqual(changed, dictionary[id].map { !$0.disputed })
                if dictionary[id] != nil { dictionary[id]!.disputed.toggle() }
            }
            XCTAssertEqual(records.count, dictionary.count)
            XCTAssertEqual(records[id], dictionary[id])
        }
        XCTAssertEqual(Set(records.keys), Set(dictionary.keys))
        XCTAssertEqual(records.values.count, dictionary.count)
        for value in records.values { XCTAssertEqual(dictionary[value.id], value) }
        // The same records added in another order make an equal table; one change does not.
        let reversed = Records(dictionary.values.sorted { $0.id > $1.id })
        XCTAssertEqual(records, reversed)
        var other = reversed
        other.inPlace(try XCTUnwrap(dictionary.keys.first)) { $0.amount += 1 }
        XCTAssertNotEqual(records, other)
    }

    /// Marks follow their records through additions, removals (the last record moved into the
    /// hole takes its mark along) and chunks; a take hands over exactly the marked records, in
    /// the order they are kept, and clears the marks. Equality ignores marks.
    func testMarkedRecordsAreTakenInTheOrderTheyAreKept() throws {
        var random = SplitMix64(seed: 20_261_207)
        var records = Records<OrderRecord>()
        var marked: Set<String> = []
        let population = Records<OrderRecord>.chunkSize + 500
        for step in 0..<8_000 {
            let id = "o\(Int.random(in: 0..<population, using: &random))"
            switch Int.random(in: 0..<10, using: &random) {
            case 0...3:
                records[id] = order(id, amount: Int64(step))
            case 4:
                records[id] = nil
                marked.remove(id)
            case 5...8:
                records.mark(id)
                if records.contains(id) { marked.insert(id) }
            default:
                let unmarked = records
                let taken = records.takeMarked()
                XCTAssertEqual(Set(taken.map(\.id)), marked)
                XCTAssertEqual(taken.count, marked.count, "each marked record once")
                let order = records.values.map(\.id)
                let places = Dictionary(uniqueKeysWithValues: order.enumerated().map { ($1, $0) })
                XCTAssertEqual(taken.map { places[$0.id]! }, taken.map { places[$0.id]! }.sorted(), "in the order they are kept")
                for record in taken { XCTAssertEqual(records[record.id], record) }
                XCTAssertEqual(records, unmarked, "marks are not part of the value")
                marked = []
            }
            XCTAssertEqual(records.markedCount, marked.count)
        }
        XCTAssertEqual(Set(records.takeMarked().map(\.id)), marked)
        XCTAssertEqual(records.markedCount, 0)
        XCTAssertEqual(records.takeMarked().count, 0)
    }

    func testManyChunksOfRecords() throws {
        var records = Records<OrderRecord>()
        var dictionary: [String: OrderRecord] = [:]
        let total = Records<OrderRecord>.chunkSize * 2 + 100
        records.reserveCapacity(total)
        for index in 0..<total {
            records["o\(index)"] = order("o\(index)", amount: Int64(index))
            dictionary["o\(index)"] = order("o\(index)", amount: Int64(index))
        }
        // Removals move the last record into the hole, across chunks; changes land in place.
        for index in stride(from: 0, to: total, by: 3) {
            records["o\(index)"] = nil
            dictionary["o\(index)"] = nil
        }
        for index in stride(from: 1, to: total, by: 3) {
            records[existing: "o\(index)"].refunded = Int64(index)
            dictionary["o\(index)"]!.refunded = Int64(index)
        }
        XCTAssertEqual(records.count, dictionary.count)
        XCTAssertEqual(records.values.count, dictionary.count)
        XCTAssertEqual(Set(records.values.map(\.id)), Set(dictionary.keys))
        for (id, value) in dictionary { XCTAssertEqual(records[id], value) }
        XCTAssertEqual(records, Records(dictionary.values))
        // Emptied, then filled again.
        for id in dictionary.keys { records[id] = nil }
        XCTAssertTrue(records.isEmpty)
        XCTAssertTrue(records.values.isEmpty)
        records["again"] = order("again")
        XCTAssertEqual(records.values.map(\.id), ["again"])
    }

    func testCodedAsTheDictionaryItReplaced() throws {
        let records: Records<OrderRecord> = ["a": order("a", awards: [award(5, lot: 3)]), "b": order("b")]
        let dictionary = ["a": order("a", awards: [award(5, lot: 3)]), "b": order("b")]
        let encoded = try JSONEncoder().encode(records)
        XCTAssertEqual(try JSONDecoder().decode([String: OrderRecord].self, from: encoded), dictionary)
        XCTAssertEqual(try JSONDecoder().decode(Records<OrderRecord>.self, from: try JSONEncoder().encode(dictionary)), records)
        // A record kept under another id than its own is refused, not trusted.
        let misfiled = try JSONEncoder().encode(["b": order("a")])
        XCTAssertThrowsError(try JSONDecoder().decode(Records<OrderRecord>.self, from: misfiled))
    }

    func testAwardsAreAnArrayToEveryoneButTheLayout() throws {
        var awards: OrderRecord.Awards = []
        XCTAssertTrue(awards.isEmpty)
        XCTAssertEqual(String(decoding: try JSONEncoder().encode(awards), as: UTF8.self), "[]")
        var plain: [OrderRecord.Award] = []
        for points in 1...5 as ClosedRange<Int64> {
            awards.append(award(points, lot: points))
            plain.append(award(points, lot: points))
            XCTAssertEqual(Array(awards), plain)
        }
        awards[0].points = 50
        awards[3].expired = 2
        plain[0].points = 50
        plain[3].expired = 2
        XCTAssertEqual(Array(awards), plain)
        XCTAssertEqual(awards.firstIndex { $0.lot == 4 }, 3)
        XCTAssertEqual(try JSONDecoder().decode([OrderRecord.Award].self, from: try JSONEncoder().encode(awards)), plain)
        XCTAssertEqual(try JSONDecoder().decode(OrderRecord.Awards.self, from: try JSONEncoder().encode(plain)), awards)
        XCTAssertEqual(OrderRecord.Awards(plain), awards)
        XCTAssertNotEqual(OrderRecord.Awards(plain.dropLast()), awards)
    }

    /// What a million members' orders and lots cost depends on these sizes (docs/PERFORMANCE.md).
    func testOrdersLotsAndDueItemsKeepTheirCompactLayout() {
        XCTAssertEqual(MemoryLayout<Lot>.stride, 72)
        XCTAssertEqual(MemoryLayout<OrderRecord>.stride, 192)
        XCTAssertEqual(MemoryLayout<OrderRecord.Awards>.stride, 88)
        XCTAssertEqual(MemoryLayout<Due>.stride, 32)
    }

    /// Due items packed into one word keep their fields and the order of (time, kind, member,
    /// lot, currency): the order due work runs in, which replays depend on.
    func testDueItemsOrderAsTheirFields() {
        var random = SplitMix64(seed: 61_206)
        let kinds: [Due.Kind] = [.release, .expire, .inactivity, .notice, .inactivityNotice, .birthday, .holdTimeout, .anniversary]
        var items: [(Due, (Int64, Int8, String, Int64, UInt16))] = []
        for _ in 0..<2_000 {
            let at = Int64.random(in: -3...3, using: &random) * 1_000_000_000_000
            let kind = kinds[Int.random(in: 0..<kinds.count, using: &random)]
            let member = ["amy", "bo", "café", "zed"][Int.random(in: 0..<4, using: &random)]
            let lot = [0, 1, 2, (1 << 44) - 1][Int.random(in: 0..<4, using: &random)] as Int64
            let currency = [0, 1, 2, UInt16.max][Int.random(in: 0..<4, using: &random)]
            let due = Due(at: Instant(milliseconds: at), kind: kind, member: member, lot: lot, currency: currency)
            XCTAssertEqual(due.at.milliseconds, at)
            XCTAssertEqual(due.kind, kind)
            XCTAssertEqual(due.member, member)
            XCTAssertEqual(due.lot, lot)
            XCTAssertEqual(due.currency, currency)
            items.append((due, (at, kind.rawValue, member, lot, currency)))
        }
        for _ in 0..<20_000 {
            let a = items[Int.random(in: 0..<items.count, using: &random)]
            let b = items[Int.random(in: 0..<items.count, using: &random)]
            XCTAssertEqual(a.0 < b.0, a.1 < b.1)
            XCTAssertEqual(a.0 == b.0, a.1 == b.1)
        }
    }
}
