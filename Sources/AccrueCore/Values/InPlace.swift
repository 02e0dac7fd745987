extension Dictionary {
    /// Runs `body` on the value at `key` where the dictionary keeps it, or returns nil when the
    /// key is absent. `&self[key]!` as an inout argument moves the value out into an optional and
    /// writes it back through a path that copies it: for a member (320 bytes, about sixteen
    /// reference-counted fields) that copy and its release were 8% of a replay. The value's
    /// position does not move while `body` runs, since `body` cannot reach the dictionary.
    @inline(__always) @discardableResult
    mutating func inPlace<T>(_ key: Key, _ body: (inout Value) throws -> T) rethrows -> T? {
        guard let index = index(forKey: key) else { return nil }
        return try body(&values[index])
    }
}
