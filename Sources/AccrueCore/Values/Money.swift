/// Limits on amounts. An amount past a limit is refused with a reason; arithmetic never overflows.
public enum Limits {
    /// The largest money amount accepted in an input, in minor units (10 billion in major units).
    public static let maximumMinorUnits: Int64 = 1_000_000_000_000
    /// The largest number of points accepted in one input (a redemption, an adjustment).
    public static let maximumPoints: Int64 = 1_000_000_000_000
    /// The most points one member may hold (available, pending and held together). Far above any
    /// real balance; it keeps every sum of a member's points clear of 64-bit overflow.
    public static let maximumMemberPoints: Int64 = 1_000_000_000_000_000
    /// The largest cumulative counted spend kept for a member, in minor units.
    public static let maximumCumulativeMinorUnits: Int64 = 1_000_000_000_000_000
    /// The longest string accepted in an input field (ids, names, reasons).
    public static let maximumStringLength = 200
    /// The longest input accepted, in bytes of JSON.
    public static let maximumInputBytes = 65_536
    /// The earliest and latest `at` accepted: a time outside them is a typo or a broken clock, and
    /// accepting it would move the program's clock to a place no real input can follow.
    public static let earliestTime = Instant(rfc3339: "2000-01-01T00:00:00Z")!
    public static let latestTime = Instant(rfc3339: "2100-01-01T00:00:00Z")!
    /// The most services in one booking.
    public static let maximumServicesPerBooking = 20
    /// The largest count (nights, meals, days) of one booked service.
    public static let maximumServiceCount: Int64 = 365
}

/// Money is kept as integer minor units (cents, fen) of the program's one currency, two decimal
/// places; these read and write the decimal text it arrives and leaves as.
public enum Money {

    /// Why a text is not an amount.
    public enum ParseError: Error, Equatable {
        case notADecimal, tooManyDecimals, negative, tooLarge
    }

    /// Reads a decimal string such as `"120.50"`, `"7"` or `"0.5"` into minor units.
    public static func parseMinorUnits(_ text: String) -> Result<Int64, ParseError> {
        var bytes = Substring(text).utf8[...]
        if bytes.first == UInt8(ascii: "-") {
            bytes = bytes.dropFirst()
            if !bytes.isEmpty, bytes.allSatisfy({ ($0 >= 48 && $0 <= 57) || $0 == UInt8(ascii: ".") }) { return .failure(.negative) }
            return .failure(.notADecimal)
        }
        var whole: Int64 = 0
        var fraction: Int64 = 0
        var fractionDigits = 0
        var seenPoint = false
        var wholeDigits = 0
        var significantDigits = 0
        for byte in bytes {
            if byte == UInt8(ascii: ".") {
                if seenPoint { return .failure(.notADecimal) }
                seenPoint = true
                continue
            }
            guard byte >= 48, byte <= 57 else { return .failure(.notADecimal) }
            let digit = Int64(byte - 48)
            if seenPoint {
                fractionDigits += 1
                if fractionDigits > 2 { return .failure(.tooManyDecimals) }
                fraction = fraction * 10 + digit
            } else {
                // Leading zeros are not significant: "0000000000000001.00" is 1.00, not too large.
                if digit > 0 || whole > 0 { significantDigits += 1 }
                wholeDigits += 1
                if significantDigits > 15 { return .failure(.tooLarge) }
                whole = whole * 10 + digit
            }
        }
        guard wholeDigits > 0, !seenPoint || fractionDigits > 0 else { return .failure(.notADecimal) }
        if fractionDigits == 1 { fraction *= 10 }
        let minor = whole * 100 + fraction
        guard minor <= Limits.maximumMinorUnits else { return .failure(.tooLarge) }
        return .success(minor)
    }

    /// Formats minor units as a decimal string with two places: `12050` -> `"120.50"`.
    public static func format(minorUnits: Int64) -> String {
        let sign = minorUnits < 0 ? "-" : ""
        let magnitude = minorUnits.magnitude
        let cents = magnitude % 100
        return sign + String(magnitude / 100) + "." + (cents < 10 ? "0" : "") + String(cents)
    }

    /// Formats minor units for people, with thousands separators: `7212016` -> `"72,120.16"`.
    /// Every sentence with an amount makes one (4% of replay when it split a formatted string).
    public static func display(minorUnits: Int64) -> String {
        grouped(minorUnits.magnitude / 100, negative: minorUnits < 0, cents: minorUnits.magnitude % 100)
    }

}

/// An exact multiplier such as 1.2 or 3, kept as a fraction so that awards are computed without
/// floating point and rounded down once, at the end.
public struct Ratio: Sendable, Hashable, Codable, CustomStringConvertible {
    public var numerator: Int64
    public var denominator: Int64

    public init(_ numerator: Int64, _ denominator: Int64 = 1) {
        let divisor = Ratio.gcd(numerator, denominator)
        self.numerator = numerator / divisor
        self.denominator = denominator / divisor
    }

    public static let one = Ratio(1)

    static func gcd(_ a: Int64, _ b: Int64) -> Int64 {
        var (x, y) = (a.magnitude, b.magnitude)
        while y != 0 { (x, y) = (y, x % y) }
        return x == 0 ? 1 : Int64(x)
    }

    /// Reads a non-negative decimal such as `"1.2"`, `"2"` or `"1.25"` (at most 4 decimals).
    public init?(decimal text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let whole = Int64(parts[0]), whole >= 0, whole <= 1000,
              parts[0].allSatisfy(\.isNumber) else { return nil }
        if parts.count == 1 { self.init(whole); return }
        let fractionText = parts[1]
        guard (1...4).contains(fractionText.count), fractionText.allSatisfy(\.isNumber), let fraction = Int64(fractionText) else { return nil }
        var scale: Int64 = 1
        for _ in 0..<fractionText.count { scale *= 10 }
        self.init(whole * scale + fraction, scale)
    }

    /// The product, or nil when it cannot be held exactly (programs may stack many multipliers).
    public func multiplied(by other: Ratio) -> Ratio? {
        let a = Ratio.gcd(numerator, other.denominator), b = Ratio.gcd(other.numerator, denominator)
        let (n, overflowN) = (numerator / a).multipliedReportingOverflow(by: other.numerator / b)
        let (d, overflowD) = (denominator / b).multipliedReportingOverflow(by: other.denominator / a)
        return overflowN || overflowD ? nil : Ratio(n, d)
    }

    public static func < (lhs: Ratio, rhs: Ratio) -> Bool {
        lhs.numerator * rhs.denominator < rhs.numerator * lhs.denominator
    }

    /// `value x self`, rounded down, or nil on overflow.
    public func floorTimes(_ value: Int64) -> Int64? {
        let (product, overflow) = value.multipliedReportingOverflow(by: numerator)
        if overflow { return nil }
        return product / denominator
    }

    /// `"1.2"`, `"2"`.
    public var description: String {
        if denominator == 1 { return String(numerator) }
        var digits = 0
        var scale: Int64 = 1
        while scale % denominator != 0, digits < 6 { scale *= 10; digits += 1 }
        guard scale % denominator == 0 else { return "\(numerator)/\(denominator)" }
        let scaled = numerator * (scale / denominator)
        let whole = scaled / scale
        var fraction = String(scaled % scale)
        fraction = String(repeating: "0", count: digits - fraction.count) + fraction
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return fraction.isEmpty ? String(whole) : "\(whole).\(fraction)"
    }
}

/// Formats a point count with thousands separators for sentences: `12500` -> `"12,500"`.
public func formatPoints(_ points: Int64) -> String {
    grouped(points.magnitude, negative: points < 0, cents: nil)
}

/// `whole` with a comma between groups of three digits, a sign before and, when `cents` is given,
/// two decimals after: written right to left into a buffer on the stack, one `String` made.
private func grouped(_ whole: UInt64, negative: Bool, cents: UInt64?) -> String {
    // 20 digits, 6 commas, a sign, a point and two decimals.
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { buffer in
        var end = buffer.count
        func put(_ byte: UInt8) {
            end -= 1
            buffer[end] = byte
        }
        if let cents {
            put(48 + UInt8(cents % 10))
            put(48 + UInt8(cents / 10))
            put(0x2E)
        }
        var rest = whole, written = 0
        repeat {
            if written > 0, written % 3 == 0 { put(0x2C) }
            put(48 + UInt8(rest % 10))
            rest /= 10
            written += 1
        } while rest > 0
        if negative { put(0x2D) }
        return String(decoding: UnsafeBufferPointer(rebasing: buffer[end...]), as: UTF8.self)
    }
}
