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
}
