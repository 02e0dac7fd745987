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
/// Here the table's slots hold a key and a 4-byte place, and the records fill an array front to
/// back (its unused tail is never touched, so it takes address space, not memory).
///
/// The order of `values` is the order records were added in (a removal moves the last one into
/// the hole); two tables with the same records are equal whatever their order.
public struct Records<Record: Keyed & Sendable & Equatable>: Sendable, Equatable, ExpressibleByDictionaryLiteral {
    private var storage: ContiguousArray<Record> = []
    private var places: [String: UInt32] = [:]

    public init() {}

    public init(dictionaryLiteral elements: (String, Record)...) {
        for (id, record) in elements { self[id] = record }
    }

    public init<S: Sequence>(_ records: S) where S.Element == Record {
        for record in records { self[record.id] = record }
    }

    public var count: Int { storage.count }
    public var isEmpty: Bool { storage.isEmpty }

    /// Every record, in the order they were added.
    public var values: ContiguousArray<Record> { storage }

    public var keys: some Collection<String> { places.keys }

    /// Whether a record has this id (without copying it out).
    public func contains(_ id: String) -> Bool { places[id] != nil }

    public mutating func reserveCapacity(_ capacity: Int) {
        storage.reserveCapacity(capacity)
        places.reserveCapacity(capacity)
    }

    /// The record with this id. Setting a record adds or replaces it (its own id must be `id`);
    /// setting nil removes it.
    public subscript(id: String) -> Record? {
        get { places[id].map { storage[Int($0)] } }
        set {
            guard let newValue else { return remove(id) }
            precondition(newValue.id == id, "a record is kept under its own id")
            if let place = places[id] {
                storage[Int(place)] = newValue
            } else {
                precondition(storage.count < Int(UInt32.max), "too many records for one table")
                places[id] = UInt32(storage.count)
                storage.append(newValue)
            }
        }
    }

    /// The record with this id, which must be there, changed where it is kept (no copy).
    public subscript(existing id: String) -> Record {
        get { storage[Int(places[id]!)] }
        _modify {
            let place = Int(places[id]!)
            yield &storage[place]
            precondition(storage[place].id == id, "a record is kept under its own id")
        }
    }

    /// Runs `body` on the record with this id where it is kept, or returns nil when there is none.
    @inline(__always) @discardableResult
    public mutating func inPlace<T>(_ id: String, _ body: (inout Record) throws -> T) rethrows -> T? {
        guard let place = places[id] else { return nil }
        return try body(&storage[Int(place)])
    }

    private mutating func remove(_ id: String) {
        guard let place = places.removeValue(forKey: id) else { return }
        let hole = Int(place), last = storage.count - 1
        if hole != last {
            storage.swapAt(hole, last)
            places[storage[hole].id] = place
        }
        storage.removeLast()
    }

    public static func == (lhs: Records, rhs: Records) -> Bool {
        guard lhs.count == rhs.count else { return false }
        return lhs.storage.allSatisfy { rhs[$0.id] == $0 }
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
        try Dictionary(uniqueKeysWithValues: storage.lazy.map { ($0.id, $0) }).encode(to: encoder)
    }
}
