import AccrueCore
import Foundation

/// Members and orders written as stored JSON directly, field by field: the same documents
/// `StoredJSON.encode` makes through `JSONEncoder` (read back by the same `Decodable`), several
/// times faster, because a checkpoint writes thousands of them and `Codable` costs a dynamic call
/// and a key per value. The members' lots, the bulk of a state, are written here; fields that are
/// rare and nested (streaks, wallets) go through `JSONEncoder` when present.
///
/// `MemberStateJSONTests` reads back every member and order of random logs over every preset and
/// checks that these writers know every stored property of the types they write: a property added
/// later and not written here fails that test instead of vanishing from checkpoints.
extension StoredJSON {
    public static func encode(_ member: MemberState) throws -> String {
        var out = JSONWriter(capacity: 1024, stored: true)
        out.openObject()
        out.field("id", member.id)
        out.field("joinedAt", member.joinedAt)
        out.field("guest", member.guest)
        out.field("birthday", member.birthday?.description)
        out.array("lots", member.lots) { out, lot in out.stored(lot) }
        out.field("debt", member.debt)
        out.array("holds", member.holds) { out, hold in out.stored(hold) }
        out.field("tier", member.tier)
        out.field("nextTier", member.nextTier)
        out.field("nextTierAt", member.nextTierAt)
        // A dictionary whose keys are neither String nor Int is coded as [key, value, key, value...].
        out.array("qualifying", member.qualifying) { out, entry in
            out.integer(entry.key)
            out.integer(entry.value)
        }
        // A dictionary keyed by a struct is coded as [key, value, key, value...] too.
        out.array("counters", member.counters) { out, entry in
            out.openObject()
            out.field("rule", entry.key.rule)
            out.field("cap", Int64(entry.key.cap))
            out.field("period", entry.key.period)
            out.closeObject()
            out.openObject()
            out.field("count", entry.value.count)
            out.field("points", entry.value.points)
            out.closeObject()
        }
        out.array("awarded", member.awarded) { out, key in out.string(key) }
        out.key("cumulative")
        out.openObject()
        for (rule, spend) in member.cumulative {
            out.key(escaping: rule)
            out.openObject()
            out.field("countedMinorUnits", spend.countedMinorUnits)
            out.field("awarded", spend.awarded)
            out.closeObject()
        }
        out.closeObject()
        out.counts("redeemed", member.redeemed)
        out.counts("checkoutAmounts", member.checkoutAmounts)
        out.counts("claims", member.claims)
        out.array("coupons", member.coupons) { out, coupon in
            out.openObject()
            out.field("reward", coupon.reward)
            out.field("name", coupon.name)
            out.field("code", coupon.code)
            out.field("valueMinorUnits", coupon.valueMinorUnits)
            out.field("issuedAt", coupon.issuedAt)
            out.closeObject()
        }
        out.field("lastActivity", member.lastActivity)
        out.field("inactivityNoticeFor", member.inactivityNoticeFor)
        out.field("birthdayYear", member.birthdayYear)
        out.field("anniversaryYear", member.anniversaryYear)
        // Rare and nested: written by `JSONEncoder` when present, not worth a writer of their own.
        if let streaks = member.streaks { out.raw("streaks", try StoredJSON.encoder.encode(streaks)) }
        if let wallets = member.wallets { out.raw("wallets", try StoredJSON.encoder.encode(wallets)) }
        out.closeObject()
        return out.string
    }

    public static func encode(_ order: OrderRecord) throws -> String {
        var out = JSONWriter(capacity: 512, stored: true)
        out.openObject()
        out.field("id", order.id)
        out.field("member", order.member)
        out.field("at", order.at)
        out.field("amount", order.amount)
        out.field("refunded", order.refunded)
        out.field("disputed", order.disputed)
        out.field("disputeOpen", order.disputeOpen)
        out.field("deliveredAt", order.deliveredAt)
        out.field("returnWindowClosedAt", order.returnWindowClosedAt)
        out.field("guest", order.guest)
        out.field("countedCumulative", order.countedCumulative)
        out.field("category", order.category)
        out.array("awards", order.awards) { out, award in
            out.openObject()
            out.field("rule", award.rule)
            out.field("points", award.points)
            out.field("lot", award.lot)
            out.key("multiplier")
            out.openObject()
            out.field("numerator", award.multiplier.numerator)
            out.field("denominator", award.multiplier.denominator)
            out.closeObject()
            out.field("countedIn", award.countedIn)
            out.field("expired", award.expired)
            out.closeObject()
        }
        out.closeObject()
        return out.string
    }

    /// The property names the writers above know, per type (checked against the types' own
    /// properties by the tests).
    public static let writtenProperties: [String: Set<String>] = [
        "MemberState": ["id", "joinedAt", "guest", "birthday", "lots", "debt", "holds", "tier", "nextTier", "nextTierAt",
                        "qualifying", "counters", "awarded", "cumulative", "redeemed", "checkoutAmounts", "claims", "coupons",
                        "lastActivity", "inactivityNoticeFor", "birthdayYear", "anniversaryYear", "streaks", "wallets"],
        "Lot": ["id", "remaining", "pending", "availableAt", "expiresAt", "order", "rule", "noticed", "waitsFor"],
        "Hold": ["id", "points", "parts", "order", "expiresAt"],
        "Part": ["lot", "points", "availableAt", "expiresAt", "order", "rule"],
        "OrderRecord": ["id", "member", "at", "amount", "refunded", "disputed", "disputeOpen", "deliveredAt", "returnWindowClosedAt",
                        "guest", "countedCumulative", "category", "awards"],
        "Award": ["rule", "points", "lot", "multiplier", "countedIn", "expired"],
        "Ratio": ["numerator", "denominator"],
        "CapKey": ["rule", "cap", "period"],
        "CapCounter": ["count", "points"],
        "CumulativeSpend": ["countedMinorUnits", "awarded"],
        "Coupon": ["reward", "name", "code", "valueMinorUnits", "issuedAt"],
    ]
}

/// What only the stored form writes: counts by name, and the lots and holds of a member.
extension JSONWriter {
    /// A dictionary of counts by text key, as a JSON object.
    fileprivate mutating func counts(_ name: StaticString, _ values: [String: Int64]) {
        key(name)
        openObject()
        for (name, value) in values {
            key(escaping: name)
            integer(value)
        }
        closeObject()
    }

    fileprivate mutating func stored(_ lot: Lot) {
        openObject()
        field("id", lot.id)
        field("remaining", lot.remaining)
        field("pending", lot.pending)
        field("availableAt", lot.availableAt)
        field("expiresAt", lot.expiresAt)
        field("order", lot.order)
        field("rule", lot.rule)
        field("noticed", lot.noticed)
        field("waitsFor", lot.waitsFor?.rawValue)
        closeObject()
    }

    fileprivate mutating func stored(_ hold: Hold) {
        openObject()
        field("id", hold.id)
        field("points", hold.points)
        array("parts", hold.parts) { out, part in
            out.openObject()
            out.field("lot", part.lot)
            out.field("points", part.points)
            out.field("availableAt", part.availableAt)
            out.field("expiresAt", part.expiresAt)
            out.field("order", part.order)
            out.field("rule", part.rule)
            out.closeObject()
        }
        field("order", hold.order)
        field("expiresAt", hold.expiresAt)
        closeObject()
    }
}
