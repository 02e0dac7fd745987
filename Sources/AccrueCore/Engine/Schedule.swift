/// Work that falls due at a moment: a pending lot becoming available, a lot expiring, a notice.
/// The order is total and depends only on the item, so a schedule rebuilt from the state runs due
/// work in exactly the order the live one would.
struct Due: Sendable, Comparable {
    enum Kind: Int, Sendable { case release = 0, expire = 1, inactivity = 2, notice = 3, inactivityNotice = 4, birthday = 5, holdTimeout = 6, anniversary = 7 }
    var at: Instant
    var kind: Kind
    var member: String
    var lot: Int64
    /// The program's other currency the work is in (its code); nil: the points.
    var currency: String? = nil

    static func < (a: Due, b: Due) -> Bool {
        if a.at != b.at { return a.at < b.at }
        if a.kind != b.kind { return a.kind.rawValue < b.kind.rawValue }
        if a.member != b.member { return a.member < b.member }
        if a.lot != b.lot { return a.lot < b.lot }
        return (a.currency ?? "") < (b.currency ?? "")
    }
}

/// Due work, soonest first.
typealias Schedule = MinHeap<Due>
