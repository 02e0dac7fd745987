/// Work that falls due at a moment: a pending lot becoming available, a lot expiring, a notice.
/// The order is total and depends only on the item, so a schedule rebuilt from the state runs due
/// work in exactly the order the live one would.
struct Due: Sendable, Comparable {
    enum Kind: Int, Sendable { case release = 0, expire = 1, inactivity = 2, notice = 3, inactivityNotice = 4, birthday = 5, holdTimeout = 6 }
    var at: Instant
    var kind: Kind
    var member: String
    var lot: Int64

    static func < (a: Due, b: Due) -> Bool {
        if a.at != b.at { return a.at < b.at }
        if a.kind != b.kind { return a.kind.rawValue < b.kind.rawValue }
        if a.member != b.member { return a.member < b.member }
        return a.lot < b.lot
    }
}

/// A binary min-heap of due work.
struct Schedule: Sendable {
    private var items: [Due] = []

    var count: Int { items.count }
    var first: Due? { items.first }

    mutating func push(_ item: Due) {
        items.append(item)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child] < items[parent] else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> Due? {
        guard !items.isEmpty else { return nil }
        items.swapAt(0, items.count - 1)
        let top = items.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < items.count, items[left] < items[smallest] { smallest = left }
            if right < items.count, items[right] < items[smallest] { smallest = right }
            if smallest == parent { break }
            items.swapAt(parent, smallest)
            parent = smallest
        }
        return top
    }
}
