import Foundation

/// A moment in time: milliseconds since 1970-01-01T00:00:00Z. The core never reads a clock; every
/// instant comes from an input or from the caller that moves time forward.
public struct Instant: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public var milliseconds: Int64

    public init(milliseconds: Int64) { self.milliseconds = milliseconds }

    public static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.milliseconds < rhs.milliseconds }

    public static let millisecondsPerDay: Int64 = 86_400_000

    /// This instant plus whole days of exactly 24 hours.
    public func adding(days: Int64) -> Instant { Instant(milliseconds: milliseconds + days * Instant.millisecondsPerDay) }

    /// Reads an RFC 3339 time that names its offset: `2026-03-01T10:00:00Z`, `2026-03-01T18:00:00.250+08:00`.
    public init?(rfc3339 text: String) {
        let b = Array(text.utf8)
        guard b.count >= 20, b.count <= 40 else { return nil }
        func digits(_ start: Int, _ count: Int) -> Int64? {
            guard start + count <= b.count else { return nil }
            var value: Int64 = 0
            for i in start..<(start + count) {
                guard b[i] >= 48, b[i] <= 57 else { return nil }
                value = value * 10 + Int64(b[i] - 48)
            }
            return value
        }
        guard let year = digits(0, 4), b[4] == UInt8(ascii: "-"), let month = digits(5, 2), b[7] == UInt8(ascii: "-"),
              let day = digits(8, 2), b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: "t"),
              let hour = digits(11, 2), b[13] == UInt8(ascii: ":"), let minute = digits(14, 2), b[16] == UInt8(ascii: ":"),
              let second = digits(17, 2) else { return nil }
        guard (1...12).contains(month), day >= 1, day <= CivilDate.daysIn(year: year, month: month),
              hour < 24, minute < 60, second < 60, year >= 1970 else { return nil }
        var i = 19
        var millis: Int64 = 0
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            var scale: Int64 = 100
            let start = i
            while i < b.count, b[i] >= 48, b[i] <= 57 {
                millis += Int64(b[i] - 48) * scale
                scale /= 10
                i += 1
            }
            guard i > start, i - start <= 9 else { return nil }
        }
        guard i < b.count else { return nil }
        var offsetSeconds: Int64 = 0
        if b[i] == UInt8(ascii: "Z") || b[i] == UInt8(ascii: "z") {
            i += 1
        } else if b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
            let sign: Int64 = b[i] == UInt8(ascii: "+") ? 1 : -1
            guard let oh = digits(i + 1, 2), i + 3 < b.count, b[i + 3] == UInt8(ascii: ":"), let om = digits(i + 4, 2),
                  oh < 24, om < 60 else { return nil }
            offsetSeconds = sign * (oh * 3600 + om * 60)
            i += 6
        } else {
            return nil
        }
        guard i == b.count else { return nil }
        let days = CivilDate(year: year, month: month, day: day).daysSinceEpoch
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        self.milliseconds = seconds * 1000 + millis
    }

    /// The instant in UTC, RFC 3339, with milliseconds only when there are some. Written into one
    /// buffer: member views and histories write several per line.
    public var rfc3339: String {
        guard let parts = utcParts else { return wideRFC3339 }
        return String(unsafeUninitializedCapacity: 24) { out in Instant.write(parts, into: out) }
    }

    /// The UTC date, second of the day and milliseconds, when the year has four digits (what
    /// `rfc3339` and `JSONWriter` write in place).
    var utcParts: (date: CivilDate, secondOfDay: Int64, millis: Int64)? {
        let split = utcSplit
        let date = CivilDate(daysSinceEpoch: split.days)
        guard (0...9999).contains(date.year) else { return nil }
        return (date, split.secondOfDay, split.millis)
    }

    /// Days since 1970-01-01 (UTC), the second of that day and the milliseconds.
    private var utcSplit: (days: Int64, secondOfDay: Int64, millis: Int64) {
        let seconds = milliseconds >= 0 ? milliseconds / 1000 : (milliseconds - 999) / 1000
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        return (days, seconds - days * 86_400, milliseconds - seconds * 1000)
    }

    /// Years outside 0-9999, which no input can name but arithmetic can reach.
    private var wideRFC3339: String {
        let split = utcSplit
        let secondOfDay = split.secondOfDay
        var text = CivilDate(daysSinceEpoch: split.days).description + "T" + pad(secondOfDay / 3600) + ":" + pad(secondOfDay / 60 % 60) + ":" + pad(secondOfDay % 60)
        if split.millis != 0 { text += "." + String(String(split.millis + 1000).dropFirst()) }
        return text + "Z"
    }

    /// Writes `YYYY-MM-DDTHH:MM:SS[.mmm]Z` at the start of `out`; returns its length (20 or 24).
    static func write(_ parts: (date: CivilDate, secondOfDay: Int64, millis: Int64), into out: UnsafeMutableBufferPointer<UInt8>) -> Int {
        let secondOfDay = parts.secondOfDay
        func digits(_ value: Int64, _ count: Int, at start: Int) { writeDigits(value, count, at: start, into: out) }
        writeDate(parts.date, into: out)
        out[10] = UInt8(ascii: "T")
        digits(secondOfDay / 3600, 2, at: 11)
        out[13] = UInt8(ascii: ":")
        digits(secondOfDay / 60 % 60, 2, at: 14)
        out[16] = UInt8(ascii: ":")
        digits(secondOfDay % 60, 2, at: 17)
        guard parts.millis != 0 else {
            out[19] = UInt8(ascii: "Z")
            return 20
        }
        out[19] = UInt8(ascii: ".")
        digits(parts.millis, 3, at: 20)
        out[23] = UInt8(ascii: "Z")
        return 24
    }

    public var description: String { rfc3339 }

    /// Set this `userInfo` key to `true` on an encoder to write instants as milliseconds (what
    /// stores use: compact and cheap); without it they are RFC 3339 text (what people read).
    public static let compactCoding = CodingUserInfoKey(rawValue: "accrue.instant.milliseconds")!

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let milliseconds = try? container.decode(Int64.self) {
            self.milliseconds = milliseconds
            return
        }
        let text = try container.decode(String.self)
        guard let instant = Instant(rfc3339: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not an RFC 3339 time: \(text)"))
        }
        self = instant
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        if encoder.userInfo[Instant.compactCoding] as? Bool == true {
            try container.encode(milliseconds)
        } else {
            try container.encode(rfc3339)
        }
    }
}

func pad(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }

/// Writes `value` (not negative) as `count` digits, zero-padded, at `start` of `out`.
func writeDigits(_ value: Int64, _ count: Int, at start: Int, into out: UnsafeMutableBufferPointer<UInt8>) {
    var value = value
    for index in stride(from: start + count - 1, through: start, by: -1) {
        out[index] = UInt8(48 + value % 10)
        value /= 10
    }
}

/// Writes a date of years 0 to 9999 as `YYYY-MM-DD` at the start of `out` (ten bytes).
func writeDate(_ date: CivilDate, into out: UnsafeMutableBufferPointer<UInt8>) {
    writeDigits(date.year, 4, at: 0, into: out)
    out[4] = UInt8(ascii: "-")
    writeDigits(date.month, 2, at: 5, into: out)
    out[7] = UInt8(ascii: "-")
    writeDigits(date.day, 2, at: 8, into: out)
}

/// A calendar date without a time or a zone: a birthday, a campaign's first day.
public struct CivilDate: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public var year: Int64
    public var month: Int64
    public var day: Int64

    public init(year: Int64, month: Int64, day: Int64) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// Reads `YYYY-MM-DD`.
    public init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let y = Int64(parts[0]), let m = Int64(parts[1]), let d = Int64(parts[2]),
              parts.allSatisfy({ $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
              (1...12).contains(m), d >= 1, d <= CivilDate.daysIn(year: y, month: m) else { return nil }
        self.init(year: y, month: m, day: d)
    }

    public static func < (lhs: CivilDate, rhs: CivilDate) -> Bool { lhs.daysSinceEpoch < rhs.daysSinceEpoch }

    public static func isLeap(_ year: Int64) -> Bool { (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 }

    public static func daysIn(year: Int64, month: Int64) -> Int64 {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 (the proleptic Gregorian calendar; Howard Hinnant's algorithm).
    public var daysSinceEpoch: Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    public init(daysSinceEpoch: Int64) {
        let z = daysSinceEpoch + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        self.init(year: yoe + era * 400 + (m <= 2 ? 1 : 0), month: m, day: d)
    }

    /// The same day `months` calendar months later, clamped to the month's last day (29 Feb -> 28 Feb).
    public func adding(months: Int64) -> CivilDate {
        let index = year * 12 + (month - 1) + months
        let y = index >= 0 ? index / 12 : (index - 11) / 12
        let m = index - y * 12 + 1
        return CivilDate(year: y, month: m, day: min(day, CivilDate.daysIn(year: y, month: m)))
    }

    /// This month and day in `year`, 29 Feb becoming 28 Feb in a common year.
    public func inYear(_ year: Int64) -> CivilDate {
        CivilDate(year: year, month: month, day: min(day, CivilDate.daysIn(year: year, month: month)))
    }

    public var description: String {
        let y = String(year)
        return String(repeating: "0", count: max(0, 4 - y.count)) + y + "-" + pad(month) + "-" + pad(day)
    }

    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let date = CivilDate(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a date: \(text)"))
        }
        self = date
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// A calendar period in a program's time zone. Periods are numbered so that they can key counters:
/// days since the epoch, months since year 0, years.
public enum Period: String, Sendable, Codable, CaseIterable {
    case day, month, year

    /// "today", "this month", "this year".
    public var thisPhrase: String {
        switch self {
        case .day: return "today"
        case .month: return "this month"
        case .year: return "this year"
        }
    }
}

/// Local calendar arithmetic in one time zone. Offsets come from the tz database (Foundation's
/// `TimeZone`), looked up by instant; a zone without daylight saving time uses a constant.
public struct LocalCalendar: Sendable {
    public let identifier: String
    private let zone: TimeZone
    private let fixedOffsetSeconds: Int64?

    public init?(identifier: String) {
        guard let zone = TimeZone(identifier: identifier) else { return nil }
        self.identifier = identifier
        self.zone = zone
        // A zone with one offset over the whole range of times Accrue accepts is treated as fixed,
        // which keeps the hot path free of tz lookups. The offset is sampled four times a year,
        // so daylight saving time and permanent changes (Moscow 2011-2014) both show.
        let first = Limits.earliestTime.milliseconds / 1000, last = Limits.latestTime.milliseconds / 1000
        let offset = zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(first)))
        let quarter: Int64 = 7_889_400  // a quarter of a Julian year, in seconds
        let constant = stride(from: first, through: last, by: Int(quarter)).allSatisfy { second in
            zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(second))) == offset
        }
        fixedOffsetSeconds = constant ? Int64(offset) : nil
    }

    public static let utc = LocalCalendar(identifier: "UTC")!

    /// The zone's offset from UTC at `instant`, in milliseconds.
    public func offsetMilliseconds(at instant: Instant) -> Int64 {
        if let fixed = fixedOffsetSeconds { return fixed * 1000 }
        let date = Date(timeIntervalSince1970: Double(instant.milliseconds / 1000))
        return Int64(zone.secondsFromGMT(for: date)) * 1000
    }

    /// The local wall-clock time at `instant`, as milliseconds since the local epoch.
    private func localMilliseconds(_ instant: Instant) -> Int64 { instant.milliseconds + offsetMilliseconds(at: instant) }

    private func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : (a - b + 1) / b }

    /// The local calendar date of `instant`.
    public func date(of instant: Instant) -> CivilDate {
        CivilDate(daysSinceEpoch: floorDiv(localMilliseconds(instant), Instant.millisecondsPerDay))
    }

    /// Milliseconds since local midnight at `instant`.
    public func timeOfDay(of instant: Instant) -> Int64 {
        let local = localMilliseconds(instant)
        return local - floorDiv(local, Instant.millisecondsPerDay) * Instant.millisecondsPerDay
    }

    /// The instant at which the local wall clock shows `date` at `timeOfDay` milliseconds after midnight.
    public func instant(_ date: CivilDate, timeOfDay: Int64 = 0) -> Instant {
        let local = date.daysSinceEpoch * Instant.millisecondsPerDay + timeOfDay
        if let fixed = fixedOffsetSeconds { return Instant(milliseconds: local - fixed * 1000) }
        let guess = Instant(milliseconds: local - offsetMilliseconds(at: Instant(milliseconds: local)))
        return Instant(milliseconds: local - offsetMilliseconds(at: guess))
    }

    /// The number of the period containing `instant`.
    public func periodIndex(_ period: Period, of instant: Instant) -> Int64 {
        let d = date(of: instant)
        switch period {
        case .day: return d.daysSinceEpoch
        case .month: return d.year * 12 + d.month - 1
        case .year: return d.year
        }
    }

    /// The number of the month containing `instant` (year x 12 + month - 1).
    public func monthIndex(of instant: Instant) -> Int64 { periodIndex(.month, of: instant) }


    /// The same local time `months` calendar months after `instant` (29 Feb -> 28 Feb).
    public func adding(months: Int64, to instant: Instant) -> Instant {
        self.instant(date(of: instant).adding(months: months), timeOfDay: timeOfDay(of: instant))
    }

    /// `2026-03-08 10:00 Asia/Shanghai`: how sentences for shoppers name a moment.
    public func describe(_ instant: Instant) -> String {
        let minutes = timeOfDay(of: instant) / 60_000
        let date = date(of: instant)
        guard (0...9999).contains(date.year) else {
            return "\(date) \(pad(minutes / 60)):\(pad(minutes % 60)) \(identifier)"
        }
        // Written into one buffer, as `Instant.rfc3339` is: entries name a local time in most of
        // their sentences (pending until, expires at), and the pieces were a string each.
        var zone = identifier
        return zone.withUTF8 { zone in
            String(unsafeUninitializedCapacity: 17 + zone.count) { out in
                writeDate(date, into: out)
                out[10] = UInt8(ascii: " ")
                writeDigits(minutes / 60, 2, at: 11, into: out)
                out[13] = UInt8(ascii: ":")
                writeDigits(minutes % 60, 2, at: 14, into: out)
                out[16] = UInt8(ascii: " ")
                for (index, byte) in zone.enumerated() { out[17 + index] = byte }
                return 17 + zone.count
            }
        }
    }

    /// The next instant strictly after `instant` at which a local month starts on day `day` at 00:00.
    public func next(dayOfMonth day: Int64, after instant: Instant) -> Instant {
        let d = date(of: instant)
        let candidate = self.instant(CivilDate(year: d.year, month: d.month, day: day))
        if candidate > instant { return candidate }
        return self.instant(CivilDate(year: d.year, month: d.month, day: 1).adding(months: 1).inYearMonth(day: day))
    }

    /// Local midnight on 1 January of the year after the one containing `instant`.
    public func startOfNextYear(after instant: Instant) -> Instant {
        self.instant(CivilDate(year: date(of: instant).year + 1, month: 1, day: 1))
    }
}

extension CivilDate {
    /// This date's month on `day` (clamped to the month's length).
    func inYearMonth(day: Int64) -> CivilDate {
        CivilDate(year: year, month: month, day: min(day, CivilDate.daysIn(year: year, month: month)))
    }
}
