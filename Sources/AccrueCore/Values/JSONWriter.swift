/// Writes canonical JSON (keys in byte order, no insignificant white space) straight from typed
/// values into bytes, for answers read often enough that building a `JSON` tree first costs more
/// than the answer: a member read spent two thirds of its view's time making and then writing
/// the tree. The caller writes each object's keys in byte order, which is what makes the text
/// canonical; debug builds check it on every key.
///
/// The stored form (`stored: true`) is what stores keep for machines to read back (checkpoints'
/// members and orders): keys in the order written (the types' own order, as `JSONEncoder` writes
/// them) and instants as milliseconds.
public struct JSONWriter {
    public private(set) var bytes: [UInt8] = []
    private let stored: Bool
    /// Whether the next value or key opens its container (no comma before it).
    private var first = true
    #if DEBUG
    /// The last key of each open object (nil: none yet), to check the order.
    private var keys: [[UInt8]?] = []
    #endif

    public init(capacity: Int = 1024, stored: Bool = false) {
        self.stored = stored
        bytes.reserveCapacity(capacity)
    }

    public mutating func openObject() {
        separate()
        bytes.append(UInt8(ascii: "{"))
        first = true
        #if DEBUG
        keys.append(nil)
        #endif
    }

    public mutating func closeObject() {
        bytes.append(UInt8(ascii: "}"))
        first = false
        #if DEBUG
        keys.removeLast()
        #endif
    }

    public mutating func openArray() {
        separate()
        bytes.append(UInt8(ascii: "["))
        first = true
    }

    public mutating func closeArray() {
        bytes.append(UInt8(ascii: "]"))
        first = false
    }

    /// A key of the open object (one of the answer's own field names); its value comes next.
    public mutating func key(_ name: String) {
        #if DEBUG
        if !stored {
            let utf8 = Array(name.utf8)
            if let last = keys[keys.count - 1] {
                precondition(last.lexicographicallyPrecedes(utf8), "JSONWriter: key \(name) written after \(String(decoding: last, as: UTF8.self))")
            }
            keys[keys.count - 1] = utf8
        }
        #endif
        separate()
        // Keys are the answer's own field names: nothing in them needs an escape.
        assert(!name.utf8.contains { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }, "JSONWriter: key \(name) needs escapes")
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: name.utf8)
        bytes.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
        first = true
    }

    /// A key from data (a rule's id, a currency's code), escaped as any string. Stored form only:
    /// the order of data's keys is not checked.
    public mutating func key(escaping name: String) {
        precondition(stored, "JSONWriter: keys from data are for the stored form")
        separate()
        JSON.writeString(name, into: &bytes)
        bytes.append(UInt8(ascii: ":"))
        first = true
    }

    /// A member whose value is JSON text written elsewhere (by `JSONEncoder`).
    public mutating func raw<Bytes: Sequence>(_ name: String, _ json: Bytes) where Bytes.Element == UInt8 {
        key(name)
        bytes.append(contentsOf: json)
        first = false
    }

    public mutating func string(_ value: String) {
        separate()
        JSON.writeString(value, into: &bytes)
        first = false
    }

    public mutating func integer(_ value: Int64) {
        separate()
        JSON.writeInteger(value, into: &bytes)
        first = false
    }

    public mutating func null() {
        separate()
        bytes.append(contentsOf: "null".utf8)
        first = false
    }

    public mutating func bool(_ value: Bool) {
        separate()
        bytes.append(contentsOf: value ? "true".utf8 : "false".utf8)
        first = false
    }

    // Members that are left out when nil, as the Codable types' `encodeIfPresent` leaves them out.

    public mutating func field(_ name: String, _ value: String?) {
        guard let value else { return }
        key(name)
        string(value)
    }

    public mutating func field(_ name: String, _ value: Int64?) {
        guard let value else { return }
        key(name)
        integer(value)
    }

    /// An instant: RFC 3339 text, or milliseconds in the stored form.
    public mutating func field(_ name: String, _ value: Instant?) {
        guard let value else { return }
        key(name)
        if stored { integer(value.milliseconds) } else { string(value.rfc3339) }
    }

    public mutating func field(_ name: String, _ value: Bool) {
        key(name)
        bool(value)
    }

    /// An array member written element by element.
    public mutating func array<S: Sequence>(_ name: String, _ items: S, _ write: (inout JSONWriter, S.Element) -> Void) {
        key(name)
        openArray()
        for item in items { write(&self, item) }
        closeArray()
    }

    private mutating func separate() {
        if !first { bytes.append(UInt8(ascii: ",")) }
    }
}
