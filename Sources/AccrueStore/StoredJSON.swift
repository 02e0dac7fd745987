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
        outcome.json(compactInstants: true).canonical
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
