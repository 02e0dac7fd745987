/// Writes canonical JSON (keys in byte order, no insignificant white space) straight from typed
/// values into bytes, for answers read often enough that building a `JSON` tree first costs more
/// than the answer: a member read spent two thirds of its view's time making and then writing
/// the tree. The caller writes each object's keys in byte order, which is what makes the text
/// canonical; debug builds check it on every key.
///
/// The stored form (`stored: true`) is what stores keep for machines to read back (checkpoints'
/// members and orders): keys in the order written (the types' own order, as `JSONEncoder` writes
/// them) and instants as milliseconds.
///
/// It writes into a buffer of its own, not an `Array`: a member's view of 90 lots is about 1,500
/// small writes, and an array's checks on each (unique? room?) were half of writing it. So it is
/// not copyable; `bytes`, `string` or `withBytes` give what was written.
public struct JSONWriter: ~Copyable {
    private var buffer: UnsafeMutablePointer<UInt8>
    private var count = 0
    private var capacity: Int
    private let stored: Bool
    /// Whether the next value or key opens its container (no comma before it).
    private var first = true
    #if DEBUG
    /// The last key of each open object (nil: none yet), to check the order.
    private var keys: [[UInt8]?] = []
    #endif

    public init(capacity: Int = 1024, stored: Bool = false) {
        self.stored = stored
        self.capacity = max(capacity, 64)
        buffer = .allocate(capacity: self.capacity)
    }

    deinit { buffer.deallocate() }

    /// What was written.
    public var bytes: [UInt8] { Array(UnsafeBufferPointer(start: buffer, count: count)) }

    /// What was written, as text (it is UTF-8).
    public var string: String { String(decoding: UnsafeBufferPointer(start: buffer, count: count), as: UTF8.self) }

    /// Reads what was written without copying it.
    public func withBytes<Result>(_ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows -> Result {
        try body(UnsafeBufferPointer(start: buffer, count: count))
    }

    public mutating func openObject() {
        separate()
        append(UInt8(ascii: "{"))
        first = true
        #if DEBUG
        keys.append(nil)
        #endif
    }

    public mutating func closeObject() {
        append(UInt8(ascii: "}"))
        first = false
        #if DEBUG
        keys.removeLast()
        #endif
    }

    public mutating func openArray() {
        separate()
        append(UInt8(ascii: "["))
        first = true
    }

    public mutating func closeArray() {
        append(UInt8(ascii: "]"))
        first = false
    }

    /// A key of the open object (one of the answer's own field names); its value comes next.
    /// Names are literals: their bytes are copied whole, with no `String` in between (a member's
    /// view writes six keys a lot, and writing them was a third of the view's time).
    public mutating func key(_ name: StaticString) {
        name.withUTF8Buffer { utf8 in writeKey(utf8) }
    }

    /// A key from data that is an identifier (a currency's code: the program file's reader checks
    /// that it needs no escapes); the order is checked as a literal's.
    public mutating func key(identifier name: String) {
        var text = name
        text.withUTF8 { utf8 in writeKey(utf8) }
    }

    private mutating func writeKey(_ utf8: UnsafeBufferPointer<UInt8>) {
        #if DEBUG
        if !stored {
            if let last = keys[keys.count - 1] {
                precondition(last.lexicographicallyPrecedes(utf8),
                             "JSONWriter: key \(String(decoding: utf8, as: UTF8.self)) written after \(String(decoding: last, as: UTF8.self))")
            }
            keys[keys.count - 1] = Array(utf8)
        }
        #endif
        // Keys are the answer's own field names or identifiers: nothing in them needs an escape.
        assert(!utf8.contains { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") },
               "JSONWriter: key \(String(decoding: utf8, as: UTF8.self)) needs escapes")
        reserve(utf8.count + 4)
        if !first { put(UInt8(ascii: ",")) }
        put(UInt8(ascii: "\""))
        (buffer + count).update(from: utf8.baseAddress!, count: utf8.count)
        count += utf8.count
        put(UInt8(ascii: "\""))
        put(UInt8(ascii: ":"))
        first = true
    }

    /// A key from data (a rule's id, a currency's code), escaped as any string. Stored form only:
    /// the order of data's keys is not checked.
    public mutating func key(escaping name: String) {
        precondition(stored, "JSONWriter: keys from data are for the stored form")
        separate()
        writeString(name)
        append(UInt8(ascii: ":"))
        first = true
    }

    /// A member whose value is JSON text written elsewhere (by `JSONEncoder`).
    public mutating func raw<Bytes: Sequence>(_ name: StaticString, _ json: Bytes) where Bytes.Element == UInt8 {
        key(name)
        let copied: Void? = json.withContiguousStorageIfAvailable { append($0) }
        if copied == nil { for byte in json { append(byte) } }
        first = false
    }

    public mutating func string(_ value: String) {
        separate()
        writeString(value)
        first = false
    }

    public mutating func integer(_ value: Int64) {
        reserve(21)
        if !first { put(UInt8(ascii: ",")) }
        first = false
        if (0..<10).contains(value) {
            put(UInt8(ascii: "0") + UInt8(truncatingIfNeeded: value))
            return
        }
        // Digits from the right into the room after the sign; the magnitude as unsigned, so that
        // Int64.min has one too.
        var magnitude = value.magnitude
        var digits = 0
        var probe = magnitude
        repeat { digits += 1; probe /= 10 } while probe > 0
        if value < 0 { put(UInt8(ascii: "-")) }
        var index = count + digits
        count = index
        repeat {
            index -= 1
            buffer[index] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: magnitude % 10)
            magnitude /= 10
        } while magnitude > 0
    }

    /// An instant as RFC 3339 text, written straight into the bytes (no `String` made).
    public mutating func instant(_ value: Instant) {
        guard let parts = value.utcParts else { return string(value.rfc3339) }
        reserve(27)
        if !first { put(UInt8(ascii: ",")) }
        first = false
        put(UInt8(ascii: "\""))
        count += Instant.write(parts, into: UnsafeMutableBufferPointer(start: buffer + count, count: 24))
        put(UInt8(ascii: "\""))
    }

    public mutating func null() {
        separate()
        append("null")
        first = false
    }

    public mutating func bool(_ value: Bool) {
        separate()
        append(value ? "true" : "false")
        first = false
    }

    // Members that are left out when nil, as the Codable types' `encodeIfPresent` leaves them out.

    public mutating func field(_ name: StaticString, _ value: String?) {
        guard let value else { return }
        key(name)
        string(value)
    }

    public mutating func field(_ name: StaticString, _ value: Int64?) {
        guard let value else { return }
        key(name)
        integer(value)
    }

    /// An instant: RFC 3339 text, or milliseconds in the stored form.
    public mutating func field(_ name: StaticString, _ value: Instant?) {
        guard let value else { return }
        key(name)
        if stored { integer(value.milliseconds) } else { instant(value) }
    }

    public mutating func field(_ name: StaticString, _ value: Bool) {
        key(name)
        bool(value)
    }

    /// An array member written element by element.
    public mutating func array<S: Sequence>(_ name: StaticString, _ items: S, _ write: (inout JSONWriter, S.Element) -> Void) {
        key(name)
        openArray()
        for item in items { write(&self, item) }
        closeArray()
    }

    // MARK: The buffer

    private mutating func separate() {
        if !first { append(UInt8(ascii: ",")) }
    }

    /// Room for `more` bytes after what was written.
    @inline(__always)
    private mutating func reserve(_ more: Int) {
        if count + more > capacity { grow(count + more) }
    }

    private mutating func grow(_ needed: Int) {
        var larger = capacity * 2
        while larger < needed { larger *= 2 }
        let moved = UnsafeMutablePointer<UInt8>.allocate(capacity: larger)
        moved.moveInitialize(from: buffer, count: count)
        buffer.deallocate()
        buffer = moved
        capacity = larger
    }

    /// One byte where room was reserved.
    @inline(__always)
    private mutating func put(_ byte: UInt8) {
        buffer[count] = byte
        count += 1
    }

    private mutating func append(_ byte: UInt8) {
        reserve(1)
        put(byte)
    }

    private mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let start = bytes.baseAddress, !bytes.isEmpty else { return }
        reserve(bytes.count)
        (buffer + count).update(from: start, count: bytes.count)
        count += bytes.count
    }

    private mutating func append(_ text: StaticString) {
        text.withUTF8Buffer { append($0) }
    }

    /// `text` as a JSON string literal, with runs that need no escape copied whole.
    private mutating func writeString(_ text: String) {
        var text = text
        text.withUTF8 { utf8 in
            reserve(utf8.count + 2)
            put(UInt8(ascii: "\""))
            JSON.escapedPieces(of: utf8) { append($0) }
            append(UInt8(ascii: "\""))
        }
    }
}
