@testable import AccrueCore
import AccruePrograms
import XCTest

/// The heap behind due work and spend order: whatever the pushes and pops, pops come out in
/// ascending order, duplicates included, the same as sorting.
final class MinHeapTests: XCTestCase {
    func testPopsComeOutInOrderWhateverTheInterleaving() {
        var random = SystemRandomNumberGenerator()
        for round in 0..<200 {
            var heap = MinHeap<Int>()
            var model: [Int] = []
            for _ in 0..<Int.random(in: 0...300, using: &random) {
                if model.isEmpty || Int.random(in: 0..<3, using: &random) > 0 {
                    let value = Int.random(in: 0..<50, using: &random)
                    heap.push(value)
                    model.append(value)
                } else {
                    let smallest = model.min()!
                    model.remove(at: model.firstIndex(of: smallest)!)
                    XCTAssertEqual(heap.pop(), smallest, "round \(round)")
                }
                XCTAssertEqual(heap.count, model.count)
                XCTAssertEqual(heap.first, model.min())
            }
            var drained: [Int] = []
            while let value = heap.pop() { drained.append(value) }
            XCTAssertEqual(drained, model.sorted(), "round \(round)")
            XCTAssertNil(heap.pop())
        }
    }

    func testASortedArrayIsAHeap() {
        var heap = MinHeap(sorting: [5, 3, 9, 1, 1, 7, 2, 8, 6, 4, 0])
        heap.push(3)
        var drained: [Int] = []
        while let value = heap.pop() { drained.append(value) }
        XCTAssertEqual(drained, [0, 1, 1, 2, 3, 3, 4, 5, 6, 7, 8, 9])
    }

    /// Due work: items at one instant come out by kind, member, lot and currency.
    func testDueWorkAtOneInstantComesOutInItsTotalOrder() {
        let at = Instant(milliseconds: 1_800_000_000_000)
        var items: [Due] = []
        for member in ["m10", "m2", "m1", "ü", "m1"] {
            for lot in [3, 1, 2] as [Int64] {
                items.append(Due(at: at, kind: .expire, member: member, lot: lot))
                items.append(Due(at: at, kind: .notice, member: member, lot: lot, currency: 1))
            }
        }
        var heap = Schedule()
        for item in items.shuffled() { heap.push(item) }
        var drained: [Due] = []
        while let item = heap.pop() { drained.append(item) }
        XCTAssertEqual(drained.map { "\($0.kind)/\($0.member)/\($0.lot)" }, items.sorted().map { "\($0.kind)/\($0.member)/\($0.lot)" })
    }

    /// A scheduled item names its currency by its place among the program's codes in order, 0
    /// for the points, so items compare as the codes do.
    func testDueWorkNamesItsCurrencyByItsPlaceInTheCodesOrder() throws {
        let program = try ProgramFile.load(path: repositoryRoot.appendingPathComponent("docs/examples/points-and-coins.yaml").path)
        let engine = Engine(program: program)
        XCTAssertEqual(engine.currencyCodes, ["coins"])
        XCTAssertEqual(engine.slot(of: nil), 0)
        XCTAssertEqual(engine.slot(of: "coins"), 1)
        XCTAssertEqual(engine.code(ofSlot: 1), "coins")
        XCTAssertNil(engine.code(ofSlot: 0))
        XCTAssertNil(engine.code(ofSlot: 2), "a place the program does not have")
        XCTAssertEqual(MemoryLayout<Due>.stride, 32, "an item of due work is 32 bytes")
    }
}
