/// Work that falls due at a moment: a pending lot becoming available, a lot expiring, a notice.
/// The order is total and depends only on the item, so a schedule rebuilt from the state runs due
/// work in exactly the order the live one would.
struct Due: Sendable, Comparable {
    enum Kind: Int8, Sendable { case release = 0, expire = 1, inactivity = 2, notice = 3, inactivityNotice = 4, birthday = 5, holdTimeout = 6, anniversary = 7 }
    // Laid out widest first: 40 bytes an item (56 with the currency's code as an optional string);
    // a sweep's queue holds two items a lot.
    var at: Instant
    var lot: Int64
    var member: String
    /// The program's other currency the work is in: 1 + its place among the program's currency
    /// codes in order (`Engine.currencyCodes`), so that the order is the codes'; 0: the points.
    var currency: UInt16
    var kind: Kind

    init(at: Instant, kind: Kind, member: String, lot: Int64, currency: UInt16 = 0) {
        self.at = at
        self.lot = lot
        self.member = member
        self.currency = currency
        self.kind = kind
    }

    static func < (a: Due, b: Due) -> Bool {
        if a.at != b.at { return a.at < b.at }
        if a.kind != b.kind { return a.kind.rawValue < b.kind.rawValue }
        if a.member != b.member { return a.member < b.member }
        if a.lot != b.lot { return a.lot < b.lot }
        return a.currency < b.currency
    }
}

/// Due work, soonest first.
typealias Schedule = MinHeap<Due>
