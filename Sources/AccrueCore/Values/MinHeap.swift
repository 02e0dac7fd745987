/// A binary min-heap: the smallest element first. Due work and a member's spend order use it.
struct MinHeap<Element: Comparable & Sendable>: Sendable {
    private(set) var items: [Element] = []

    init() {}

    /// A heap of these elements (a sorted array is already a heap).
    init(sorting elements: [Element]) {
        items = elements.sorted()
    }

    var count: Int { items.count }
    var first: Element? { items.first }

    mutating func push(_ item: Element) {
        items.append(item)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child] < items[parent] else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    @discardableResult
    mutating func pop() -> Element? {
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

    /// The `rank`-th smallest element (1 is the first) of those `isIncluded` accepts, or nil when
    /// fewer are accepted. `isIncluded` must accept a prefix of the order: when it refuses an
    /// element it refuses every larger one. Walks the heap best first, touching about `rank`
    /// elements and their children, so it costs O(rank log rank) however large the heap is.
    func element(rank: Int, where isIncluded: (Element) -> Bool) -> Element? {
        guard rank > 0, let first = items.first, isIncluded(first) else { return nil }
        var frontier = MinHeap<Position>()
        frontier.push(Position(element: first, index: 0))
        var taken = 0
        while let next = frontier.pop() {
            taken += 1
            if taken == rank { return next.element }
            for child in [2 * next.index + 1, 2 * next.index + 2] where child < items.count && isIncluded(items[child]) {
                frontier.push(Position(element: items[child], index: child))
            }
        }
        return nil
    }

    private struct Position: Comparable, Sendable {
        var element: Element
        var index: Int
        static func < (a: Position, b: Position) -> Bool { a.element < b.element || (!(b.element < a.element) && a.index < b.index) }
        static func == (a: Position, b: Position) -> Bool { a.index == b.index }
    }
}
