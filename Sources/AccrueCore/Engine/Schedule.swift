/// Work that falls due at a moment: a pending lot becoming available, a lot expiring, a notice.
/// The order is total and depends only on the item, so a schedule rebuilt from the state runs due
/// work in exactly the order the live one would.
struct Due: Sendable, Comparable {
    enum Kind: Int8, Sendable { case release = 0, expire = 1, inactivity = 2, notice = 3, inactivityNotice = 4, birthday = 5, holdTimeout = 6, anniversary = 7 }
    // 32 bytes an item (40 with the kind, lot and currency in fields of their own; 56 with the
    // currency's code as an optional string): a program's queue holds an item or two for every
    // lot it ever made until the lot's expiry comes, spent or not.
    let at: Instant
    let member: String
    /// The kind (bits 60-62), the lot (bits 16-59) and the currency (bits 0-15).
    private let tag: Int64

    /// The program's other currency the work is in: 1 + its place among the program's currency
    /// codes in order (`Engine.currencyCodes`), so that the order is the codes'; 0: the points.
    var currency: UInt16 { UInt16(truncatingIfNeeded: tag) }
    var lot: Int64 { (tag >> 16) & Due.lotMask }
    var kind: Kind { Kind(rawValue: Int8(tag >> 60))! }

    private static let lotMask: Int64 = (1 << 44) - 1
    /// The lot and currency bits, below the kind.
    private static let belowKind: Int64 = (1 << 60) - 1

    init(at: Instant, kind: Kind, member: String, lot: Int64, currency: UInt16 = 0) {
        precondition(lot >= 0 && lot <= Due.lotMask, "lot ids fit in 44 bits")
        self.at = at
        self.member = member
        tag = Int64(kind.rawValue) << 60 | lot << 16 | Int64(currency)
    }

    /// By time, kind, member, lot and currency.
    static func < (a: Due, b: Due) -> Bool {
        if a.at != b.at { return a.at < b.at }
        if a.tag >> 60 != b.tag >> 60 { return a.tag >> 60 < b.tag >> 60 }
        if a.member != b.member { return a.member < b.member }
        return a.tag & Due.belowKind < b.tag & Due.belowKind
    }
}

/// Due work, soonest first.
typealias Schedule = MinHeap<Due>
