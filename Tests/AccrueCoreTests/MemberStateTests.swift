@testable import AccrueCore
import Foundation
import XCTest

/// A member's rarely set fields live behind one shared reference (`MemberState`'s extras): they
/// must still behave as values, compare as values, and code as the plain fields they were.
final class MemberStateTests: XCTestCase {
    let start = Instant(milliseconds: 1_700_000_000_000)

    func testRareFieldsAreValuesCopiedBeforeAChange() {
        var first = MemberState(id: "m", joinedAt: start)
        first.awarded.insert("welcome|o-1")
        first.redeemed["o-1"] = 500
        first.nextTier = "gold"
        first.guest = true
        var second = first
        second.awarded.insert("review|o-2")
        second.redeemed["o-1"] = nil
        second.guest = false
        XCTAssertEqual(first.awarded, ["welcome|o-1"], "the copy's change does not reach the first")
        XCTAssertEqual(first.redeemed, ["o-1": 500])
        XCTAssertTrue(first.guest)
        XCTAssertEqual(second.awarded, ["welcome|o-1", "review|o-2"])
        XCTAssertEqual(second.nextTier, "gold")
        XCTAssertNotEqual(first, second)
        second.awarded = ["welcome|o-1"]
        second.redeemed["o-1"] = 500
        second.guest = true
        XCTAssertEqual(first, second, "equal values, whichever boxes hold them")
    }

    func testAMemberBackToEveryDefaultEqualsAFreshOne() {
        let fresh = MemberState(id: "m", joinedAt: start)
        var member = fresh
        member.coupons = []
        member.guest = false
        XCTAssertEqual(member, fresh, "defaults set where there were none")
        member.holds = [Hold(id: "h", points: 5, parts: [])]
        member.birthdayYear = 2026
        XCTAssertNotEqual(member, fresh)
        member.holds.removeAll()
        member.birthdayYear = nil
        XCTAssertEqual(member, fresh, "every rare field back to its default")
    }

    func testCodedAsThePlainFieldsItHad() throws {
        var member = MemberState(id: "m", joinedAt: start)
        member.tier = "silver"
        member.awarded = ["a"]
        member.inactivityNoticeFor = start
        member.anniversaryYear = 2025
        let encoded = try JSONEncoder().encode(member)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: encoded) as? [String: Any])
        XCTAssertEqual(Set(object.keys), ["id", "joinedAt", "guest", "lots", "debt", "holds", "tier", "qualifying", "counters", "awarded",
                                         "cumulative", "redeemed", "checkoutAmounts", "claims", "coupons", "inactivityNoticeFor",
                                         "anniversaryYear"], "the optional fields that are nil are left out, as before")
        XCTAssertEqual(try JSONDecoder().decode(MemberState.self, from: encoded), member)
    }
}
