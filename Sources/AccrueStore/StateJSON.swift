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
        var out = JSONOut()
        out.open()
        out.field("id", member.id)
        out.field("joinedAt", member.joinedAt)
        out.field("guest", member.guest)
        if let birthday = member.birthday { out.field("birthday", birthday.description) }
        out.key("lots")
        out.lots(member.lots)
        out.field("debt", member.debt)
        out.key("holds")
        out.holds(member.holds)
        if let tier = member.tier { out.field("tier", tier) }
        if let nextTier = member.nextTier { out.field("nextTier", nextTier) }
        if let nextTierAt = member.nextTierAt { out.field("nextTierAt", nextTierAt) }
        // A dictionary whose keys are neither String nor Int is coded as [key, value, key, value...].
        out.key("qualifying")
        out.bytes.append(UInt8(ascii: "["))
        for (index, (period, points)) in member.qualifying.enumerated() {
            if index > 0 { out.comma() }
            out.number(period)
            out.comma()
            out.number(points)
        }
        out.bytes.append(UInt8(ascii: "]"))
        // A dictionary keyed by a struct is coded as [key, value, key, value...] too.
        out.key("counters")
        out.bytes.append(UInt8(ascii: "["))
        for (index, (key, counter)) in member.counters.enumerated() {
            if index > 0 { out.comma() }
            out.open()
            out.field("rule", key.rule)
            out.field("cap", Int64(key.cap))
            out.field("period", key.period)
            out.close()
            out.comma()
            out.open()
            out.field("count", counter.count)
            out.field("points", counter.points)
            out.close()
        }
        out.bytes.append(UInt8(ascii: "]"))
        out.key("awarded")
        out.bytes.append(UInt8(ascii: "["))
        for (index, key) in member.awarded.enumerated() {
            if index > 0 { out.comma() }
            out.string(key)
        }
        out.bytes.append(UInt8(ascii: "]"))
        out.key("cumulative")
        out.open()
        for (rule, spend) in member.cumulative {
            out.key(rule)
            out.open()
            out.field("countedMinorUnits", spend.countedMinorUnits)
            out.field("awarded", spend.awarded)
            out.close()
        }
        out.close()
        out.counts("redeemed", member.redeemed)
        out.counts("checkoutAmounts", member.checkoutAmounts)
        out.counts("claims", member.claims)
        out.key("coupons")
        out.bytes.append(UInt8(ascii: "["))
        for (index, coupon) in member.coupons.enumerated() {
            if index > 0 { out.comma() }
            out.open()
            out.field("reward", coupon.reward)
            out.field("name", coupon.name)
            out.field("code", coupon.code)
            if let value = coupon.valueMinorUnits { out.field("valueMinorUnits", value) }
            out.field("issuedAt", coupon.issuedAt)
            out.close()
        }
        out.bytes.append(UInt8(ascii: "]"))
        if let lastActivity = member.lastActivity { out.field("lastActivity", lastActivity) }
        if let notice = member.inactivityNoticeFor { out.field("inactivityNoticeFor", notice) }
        if let year = member.birthdayYear { out.field("birthdayYear", year) }
        if let year = member.anniversaryYear { out.field("anniversaryYear", year) }
        if let streaks = member.streaks { try out.encoded("streaks", streaks) }
        if let wallets = member.wallets { try out.encoded("wallets", wallets) }
        out.close()
        return String(decoding: out.bytes, as: UTF8.self)
    }

    public static func encode(_ order: OrderRecord) throws -> String {
        var out = JSONOut()
        out.open()
        out.field("id", order.id)
        out.field("member", order.member)
        out.field("at", order.at)
        out.field("amount", order.amount)
        out.field("refunded", order.refunded)
        out.field("disputed", order.disputed)
        out.field("disputeOpen", order.disputeOpen)
        if let deliveredAt = order.deliveredAt { out.field("deliveredAt", deliveredAt) }
        if let closedAt = order.returnWindowClosedAt { out.field("returnWindowClosedAt", closedAt) }
        out.field("guest", order.guest)
        out.field("countedCumulative", order.countedCumulative)
        if let category = order.category { out.field("category", category) }
        out.key("awards")
        out.bytes.append(UInt8(ascii: "["))
        for (index, award) in order.awards.enumerated() {
            if index > 0 { out.comma() }
            out.open()
            out.field("rule", award.rule)
            out.field("points", award.points)
            if let lot = award.lot { out.field("lot", lot) }
            out.key("multiplier")
            out.open()
            out.field("numerator", award.multiplier.numerator)
            out.field("denominator", award.multiplier.denominator)
            out.close()
            if let countedIn = award.countedIn { out.field("countedIn", countedIn) }
            out.field("expired", award.expired)
            out.close()
        }
        out.bytes.append(UInt8(ascii: "]"))
        out.close()
        return String(decoding: out.bytes, as: UTF8.self)
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

/// A JSON object being written as UTF-8 bytes, in the stored form (instants as milliseconds).
private struct JSONOut {
    var bytes: [UInt8] = []
    /// Whether the next field of the innermost object is its first.
    private var first = true

    init() { bytes.reserveCapacity(1024) }

    mutating func open() {
        bytes.append(UInt8(ascii: "{"))
        first = true
    }

    mutating func close() {
        bytes.append(UInt8(ascii: "}"))
        first = false
    }

    mutating func comma() { bytes.append(UInt8(ascii: ",")) }

    /// A key: one of the writers' own names, plain ASCII that needs no escape, so its bytes are
    /// copied as they are (a checkpoint writes a dozen keys a lot).
    mutating func key(_ name: StaticString) {
        if !first { comma() }
        first = false
        bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
    }

    /// A key from data (a counter's name, a wallet's code): escaped as any string.
    mutating func key(_ name: String) {
        if !first { comma() }
        first = false
        string(name)
        bytes.append(UInt8(ascii: ":"))
    }

    mutating func string(_ value: String) { JSON.writeString(value, into: &bytes) }

    mutating func number(_ value: Int64) { JSON.writeInteger(value, into: &bytes) }

    mutating func field(_ name: StaticString, _ value: String) { key(name); string(value) }
    mutating func field(_ name: StaticString, _ value: Int64) { key(name); number(value) }
    mutating func field(_ name: StaticString, _ value: Instant) { key(name); number(value.milliseconds) }
    mutating func field(_ name: StaticString, _ value: Bool) { key(name); bytes.append(contentsOf: value ? "true".utf8 : "false".utf8) }

    /// A value written by `JSONEncoder` (nested and rare: not worth a writer of its own).
    mutating func encoded<T: Encodable>(_ name: StaticString, _ value: T) throws {
        key(name)
        bytes.append(contentsOf: try StoredJSON.encoder.encode(value))
    }

    /// A dictionary of counts by text key, as a JSON object.
    mutating func counts(_ name: StaticString, _ values: [String: Int64]) {
        key(name)
        open()
        for (name, value) in values {
            key(name)
            number(value)
        }
        close()
    }

    mutating func lots(_ lots: Lots) {
        bytes.append(UInt8(ascii: "["))
        for (index, lot) in lots.enumerated() {
            if index > 0 { comma() }
            open()
            field("id", lot.id)
            field("remaining", lot.remaining)
            field("pending", lot.pending)
            field("availableAt", lot.availableAt)
            if let expiresAt = lot.expiresAt { field("expiresAt", expiresAt) }
            if let order = lot.order { field("order", order) }
            if let rule = lot.rule { field("rule", rule) }
            field("noticed", lot.noticed)
            if let waitsFor = lot.waitsFor { field("waitsFor", waitsFor.rawValue) }
            close()
        }
        bytes.append(UInt8(ascii: "]"))
    }

    mutating func holds(_ holds: [Hold]) {
        bytes.append(UInt8(ascii: "["))
        for (index, hold) in holds.enumerated() {
            if index > 0 { comma() }
            open()
            field("id", hold.id)
            field("points", hold.points)
            key("parts")
            bytes.append(UInt8(ascii: "["))
            for (index, part) in hold.parts.enumerated() {
                if index > 0 { comma() }
                open()
                field("lot", part.lot)
                field("points", part.points)
                field("availableAt", part.availableAt)
                if let expiresAt = part.expiresAt { field("expiresAt", expiresAt) }
                if let order = part.order { field("order", order) }
                if let rule = part.rule { field("rule", rule) }
                close()
            }
            bytes.append(UInt8(ascii: "]"))
            if let order = hold.order { field("order", order) }
            if let expiresAt = hold.expiresAt { field("expiresAt", expiresAt) }
            close()
        }
        bytes.append(UInt8(ascii: "]"))
    }
}
