@testable import AccrueCore
import XCTest

/// The year start and the monthly count touch only members they could change.
final class TierWatchTests: XCTestCase {
    func testAMonthlyCountTouchesOnlyMembersWithSomethingToCount() throws {
        let program = try preset("aliexpress-levels")
        var engine = Engine(program: program)
        for i in 0..<500 {
            _ = engine.handle(bytes: Array(input("j\(i)", "member.joined", "idle-\(i)", "2026-03-01T00:00:00Z").utf8), prior: { _ in nil })
        }
        _ = engine.handle(bytes: Array(input("o1", "order.completed", "active", "2026-03-02T00:00:00Z",
                                             #"{"order": "a-1", "amount": "900.00", "currency": "USD"}"#).utf8), prior: { _ in nil })
        _ = engine.drain()
        engine.advance(to: Instant(rfc3339: "2026-06-10T00:00:00Z")!)
        XCTAssertEqual(engine.tierWatch, ["active"], "joined members with nothing counted are never visited")
        XCTAssertFalse(engine.state.members["active"]?.qualifying.isEmpty ?? true, "the active member has points counted")
        XCTAssertEqual(Set(engine.state.members.values.filter { $0.id.hasPrefix("idle") }.map(\.tier)), [program.tiers?.levels.first?.id])

        // Rebuilt from a loaded state, the list is the same.
        let loaded = Engine(program: program, state: engine.state)
        XCTAssertEqual(loaded.tierWatch, engine.tierWatch)
    }
}
