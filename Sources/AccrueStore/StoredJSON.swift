import AccrueCore
import Foundation

/// How stores keep state (members, orders, bookings, outcomes) as JSON text. It is read back by
/// machines only: no sorted keys, instants as milliseconds.
public enum StoredJSON {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.userInfo[Instant.compactCoding] = true
        return encoder
    }()

    public static func encode<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// An outcome, written directly (one per input stored): what `encode` would write, faster.
    public static func encode(_ outcome: Outcome) throws -> String {
        outcome.jsonText(compactInstants: true)
    }

    public static func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
        try JSONDecoder().decode(type, from: Data(text.utf8))
    }

    /// A member, read without `Codable` when the text is in the form the stores write
    /// (`MemberState.init?(stored:)`), else by `JSONDecoder`: a load reads one per member.
    public static func decode(_ type: MemberState.Type, _ text: String) throws -> MemberState {
        if let json = try? JSONReader.parse(text), let member = MemberState(stored: json) { return member }
        return try JSONDecoder().decode(type, from: Data(text.utf8))
    }

    /// An outcome, read as members are (`Outcome.init?(stored:)`): verify reads one per input.
    public static func decode(_ type: Outcome.Type, _ text: String) throws -> Outcome {
        if let json = try? JSONReader.parse(text), let outcome = Outcome(stored: json) { return outcome }
        return try JSONDecoder().decode(type, from: Data(text.utf8))
    }

    /// An order, read as members are (`OrderRecord.init?(stored:)`).
    public static func decode(_ type: OrderRecord.Type, _ text: String) throws -> OrderRecord {
        if let json = try? JSONReader.parse(text), let order = OrderRecord(stored: json) { return order }
        return try JSONDecoder().decode(type, from: Data(text.utf8))
    }
}

extension StoredJSON {
    /// Decodes many stored texts on every core, in order: a load decodes one text per member and
    /// per order, each independent of the others. The first error (in text order) is thrown.
    public static func decodeAll<T: Sendable>(_ texts: [String], _ decode: @Sendable (String) throws -> T) throws -> [T] {
        let cores = max(1, ProcessInfo.processInfo.activeProcessorCount)
        // Small loads are not worth a thread hop.
        guard cores > 1, texts.count >= 2_000 else { return try texts.map(decode) }
        let chunks = min(cores * 4, texts.count / 500)
        let size = (texts.count + chunks - 1) / chunks
        let results = ChunkResults<T>(count: chunks)
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            let range = (chunk * size)..<min(texts.count, (chunk + 1) * size)
            results.set(chunk, Result { try texts[range].map(decode) })
        }
        var values: [T] = []
        values.reserveCapacity(texts.count)
        for chunk in 0..<chunks { values += try results.take(chunk).get() }
        return values
    }
}

/// One slot per chunk, each written by one thread of `decodeAll` before any is read. The slots
/// are raw memory: distinct threads write distinct elements, with no array access to make
/// exclusive.
private final class ChunkResults<T: Sendable>: @unchecked Sendable {
    private let slots: UnsafeMutablePointer<Result<[T], any Error>?>
    private let count: Int

    init(count: Int) {
        self.count = count
        slots = .allocate(capacity: count)
        slots.initialize(repeating: nil, count: count)
    }

    deinit {
        slots.deinitialize(count: count)
        slots.deallocate()
    }

    func set(_ chunk: Int, _ value: Result<[T], any Error>) { slots[chunk] = value }
    func take(_ chunk: Int) -> Result<[T], any Error> { slots[chunk]! }
}
