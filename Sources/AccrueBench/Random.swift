/// A small deterministic random generator (SplitMix64): the same seed gives the same workload on
/// every machine and every run.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in `0..<bound`. The modulo bias is far below anything a workload could show.
    public mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }

    /// A number in `range`.
    public mutating func within(_ range: ClosedRange<Int64>) -> Int64 {
        range.lowerBound + Int64(next() % UInt64(range.upperBound - range.lowerBound + 1))
    }

    /// True `percent` times in a hundred.
    public mutating func chance(_ percent: Int) -> Bool { below(100) < percent }
}

/// Member ranks drawn with Zipf weights (exponent 1): rank k (from 0) has weight 2^32 / (k + 1), so
/// the first member is about twice as active as the second and ten times the tenth. Integer
/// weights in a cumulative table, sampled by binary search: no floating point.
public struct ZipfTable: Sendable {
    /// `cumulative[k]` is the sum of the weights of ranks 0 through k.
    private let cumulative: [UInt64]

    public var count: Int { cumulative.count }

    public init(count: Int) {
        precondition(count > 0, "a Zipf table needs at least one rank")
        var table: [UInt64] = []
        table.reserveCapacity(count)
        var sum: UInt64 = 0
        for rank in 0..<count {
            sum += (1 << 32) / UInt64(rank + 1)
            table.append(sum)
        }
        cumulative = table
    }

    /// A rank in `0..<min(top, count)`, drawn with the Zipf weights of those ranks.
    public func sample(_ random: inout SplitMix64, top: Int = .max) -> Int {
        let last = min(top, count) - 1
        let target = random.next() % cumulative[last]
        // The first rank whose cumulative weight passes the target.
        var low = 0, high = last
        while low < high {
            let middle = (low + high) / 2
            if cumulative[middle] > target { high = middle } else { low = middle + 1 }
        }
        return low
    }
}
