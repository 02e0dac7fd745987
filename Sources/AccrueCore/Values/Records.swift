/// A value that carries its own key.
public protocol Keyed {
    var id: String { get }
}

/// Records by their id, kept one after another in one array, with a table from id to place: a
/// program's members and orders.
///
/// A `[String: Record]` keeps each record in its hash table's slot, and the table is a quarter to
/// five eighths empty between growths: for orders (the most numerous records of a program, every
/// one kept for later refunds) and members those empty slots were a fifth of a program's memory.
/// Here the table's slots hold a key and a 4-byte place, and the records fill chunks of a few
/// thousand front to back.
///
/// The order of `values` is the order records were added in (a removal moves the last one into
/// the hole); two tables with the same records are equal whatever their order.
public struct Records<Record: Keyed & Sendable & Equatable>: Sendable, Equatable, ExpressibleByDictionaryLiteral {
    /// Records in chunks of `chunkSize` (the first one grows to it as an array does): a table of
    /// a million records never copies them all to grow, nor holds twice their size while it does
    /// (a doubling array's copy was at the peak of ingest's memory).
    private var chunks: [ContiguousArray<Record>] = []
    private var places: [String: UInt32] = [:]
    private(set) public var count = 0
    /// One bit a place: the records marked changed since the marked ones were last taken (a
    /// checkpoint's records). Not part of the value: equality and coding ignore them.
    private var marks: [UInt64] = []
    /// How many records are marked.
    private(set) public var markedCount = 0

    static var chunkShift: Int { 12 }
    static var chunkSize: Int { 1 << chunkShift }

    public init() {}

    public init(dictionaryLiteral elements: (String, Record)...) {
        for (id, record) in elements { self[id] = record }
    }

    public init<S: Sequence>(_ records: S) where S.Element == Record {
        for record in records { self[record.id] = record }
    }

    public var isEmpty: Bool { count == 0 }

    /// Every record, in the order they were added.
    public var values: Values { Values(chunks: chunks, count: count) }

    public var keys: some Collection<String> { places.keys }

    /// Whether a record has this id (without copying it out).
    public func contains(_ id: String) -> Bool { places[id] != nil }

    public mutating func reserveCapacity(_ capacity: Int) {
        places.reserveCapacity(capacity)
        if chunks.isEmpty { chunks.append([]) }
        if chunks.count == 1 { chunks[0].reserveCapacity(Swift.min(capacity, Self.chunkSize)) }
    }

    private static func chunk(_ place: Int) -> Int { place >> chunkShift }
    private static func offset(_ place: Int) -> Int { place & (chunkSize - 1) }

    /// The record with this id. Setting a record adds or replaces it (its own id must be `id`);
    /// setting nil removes it.
    public subscript(id: String) -> Record? {
        get { places[id].map { chunks[Self.chunk(Int($0))][Self.offset(Int($0))] } }
        set {
            guard let newValue else { return remove(id) }
            precondition(newValue.id == id, "a record is kept under its own id")
            if let place = places[id] {
                chunks[Self.chunk(Int(place))][Self.offset(Int(place))] = newValue
            } else {
                precondition(count < Int(UInt32.max), "too many records for one table")
                places[id] = UInt32(count)
                append(newValue)
            }
        }
    }

    /// The record with this id, which must be there, changed where it is kept (no copy).
    public subscript(existing id: String) -> Record {
        get { self[id]! }
        _modify {
            let place = Int(places[id]!)
            yield &chunks[Self.chunk(place)][Self.offset(place)]
            precondition(chunks[Self.chunk(place)][Self.offset(place)].id == id, "a record is kept under its own id")
        }
    }

    /// Runs `body` on the record with this id where it is kept, or returns nil when there is none.
    /// (`&records[id]!` as an inout argument would copy the record out and back: for a member,
    /// about sixteen reference-counted fields retained and released, 8% of a replay once.)
    @inline(__always) @discardableResult
    public mutating func inPlace<T>(_ id: String, _ body: (inout Record) throws -> T) rethrows -> T? {
        guard let place = places[id].map(Int.init) else { return nil }
        return try body(&chunks[Self.chunk(place)][Self.offset(place)])
    }

    private mutating func append(_ record: Record) {
        if chunks.isEmpty || chunks[chunks.count - 1].count == Self.chunkSize {
            var chunk = ContiguousArray<Record>()
            // Later chunks are full-size from the start; the first grows with the table.
            if !chunks.isEmpty { chunk.reserveCapacity(Self.chunkSize) }
            chunks.append(chunk)
        }
        chunks[chunks.count - 1].append(record)
        count += 1
    }

    private mutating func remove(_ id: String) {
        guard let place = places.removeValue(forKey: id).map(Int.init) else { return }
        let last = count - 1
        let moved = chunks[Self.chunk(last)].removeLast()
        count -= 1
        // The removed record's mark goes with it; the moved one's moves with it.
        let movedMark = isMarked(last)
        setMark(place, false)
        setMark(last, false)
        if place != last {
            chunks[Self.chunk(place)][Self.offset(place)] = moved
            places[moved.id] = UInt32(place)
            setMark(place, movedMark)
        }
        if chunks[chunks.count - 1].isEmpty { chunks.removeLast() }
    }

    // MARK: Marked records

    /// Marks the record with this id changed, for `takeMarked()`; nothing when there is none.
    public mutating func mark(_ id: String) {
        guard let place = places[id] else { return }
        setMark(Int(place), true)
    }

    /// Copies of the records marked since the last call, in the order they are kept, and clears
    /// the marks. It reads the records front to back without looking up an id: a checkpoint
    /// taken on the writers' queue of a server holds every record changed since the one before
    /// (hundreds of thousands after a burst), and looking each up by id took 0.7 us a record.
    public mutating func takeMarked() -> [Record] {
        var taken: [Record] = []
        taken.reserveCapacity(markedCount)
        for word in marks.indices where marks[word] != 0 {
            var bits = marks[word]
            while bits != 0 {
                let place = word << 6 | bits.trailingZeroBitCount
                taken.append(chunks[Self.chunk(place)][Self.offset(place)])
                bits &= bits - 1
            }
            marks[word] = 0
        }
        markedCount = 0
        return taken
    }

    private func isMarked(_ place: Int) -> Bool {
        let word = place >> 6
        return word < marks.count && marks[word] & (1 << UInt64(place & 63)) != 0
    }

    private mutating func setMark(_ place: Int, _ marked: Bool) {
        let word = place >> 6, bit: UInt64 = 1 << UInt64(place & 63)
        if word >= marks.count {
            guard marked else { return }
            marks.append(contentsOf: repeatElement(0, count: word + 1 - marks.count))
        }
        let was = marks[word] & bit != 0
        guard was != marked else { return }
        marks[word] ^= bit
        markedCount += marked ? 1 : -1
    }

    public static func == (lhs: Records, rhs: Records) -> Bool {
        guard lhs.count == rhs.count else { return false }
        return lhs.values.allSatisfy { rhs[$0.id] == $0 }
    }

    /// The records in the order they were added, read where they are kept.
    public struct Values: RandomAccessCollection, Sendable {
        fileprivate let chunks: [ContiguousArray<Record>]
        public let count: Int

        public var startIndex: Int { 0 }
        public var endIndex: Int { count }
        public subscript(position: Int) -> Record {
            precondition(position >= 0 && position < count, "index out of range")
            return chunks[Records.chunk(position)][Records.offset(position)]
        }
    }
}

/// Coded as the `[String: Record]` it replaced: an object of records by id.
extension Records: Codable where Record: Codable {
    public init(from decoder: any Decoder) throws {
        let byID = try [String: Record](from: decoder)
        self.init()
        reserveCapacity(byID.count)
        for (id, record) in byID.sorted(by: { $0.key < $1.key }) {
            guard record.id == id else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "record \(record.id) kept under \(id)"))
            }
            self[id] = record
        }
    }

    public func encode(to encoder: any Encoder) throws {
        try Dictionary(uniqueKeysWithValues: values.lazy.map { ($0.id, $0) }).encode(to: encoder)
    }
}
