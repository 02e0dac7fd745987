import AccrueBench
import AccrueCore
import Foundation
import XCTest

final class TimeTests: XCTestCase {
    func instant(_ text: String) -> Instant { Instant(rfc3339: text)! }

    func testRFC3339ReadsOffsetsAndFractions() {
        XCTAssertEqual(instant("2026-03-01T18:00:00+08:00"), instant("2026-03-01T10:00:00Z"))
        XCTAssertEqual(instant("2026-03-01T10:00:00.250Z").milliseconds % 1000, 250)
        XCTAssertEqual(instant("2026-03-01T10:00:00.250Z").rfc3339, "2026-03-01T10:00:00.250Z")
        for bad in ["2026-03-01T10:00:00", "2026-02-30T00:00:00Z", "2026-03-01 10:00:00Z", "2026-13-01T00:00:00Z", "2026-03-01T24:00:00Z", ""] {
            XCTAssertNil(Instant(rfc3339: bad), bad)
        }
    }

    /// Sentences name local times as `2026-03-08 10:00 Asia/Shanghai`, written into one buffer:
    /// the same text as the date, the padded hour and minute and the zone put together, in zones
    /// east and west of UTC and over years 1 to 9999 (four digits) and beyond.
    func testLocalTimesInSentences() {
        XCTAssertEqual(LocalCalendar(identifier: "Asia/Shanghai")!.describe(instant("2026-03-08T02:05:00Z")), "2026-03-08 10:05 Asia/Shanghai")
        for zone in ["UTC", "Asia/Shanghai", "America/Los_Angeles", "Asia/Kolkata"] {
            let calendar = LocalCalendar(identifier: zone)!
            for milliseconds in stride(from: Int64(-62_135_596_800_000), through: 260_000_000_000_000, by: 1_234_567_890_123) {
                let at = Instant(milliseconds: milliseconds)
                let minutes = calendar.timeOfDay(of: at) / 60_000
                let hour = minutes / 60 < 10 ? "0\(minutes / 60)" : "\(minutes / 60)"
                let minute = minutes % 60 < 10 ? "0\(minutes % 60)" : "\(minutes % 60)"
                XCTAssertEqual(calendar.describe(at), "\(calendar.date(of: at)) \(hour):\(minute) \(zone)", "\(milliseconds)")
            }
        }
    }

    /// The text writer agrees with Foundation's UTC calendar over years 1600 to 9999 (before 1582 Foundation counts Julian days), and from 1970 reads back.
    func testRFC3339WritesWhatFoundationReads() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        // 2,000 instants spread over the range, a step that is not a whole second so that every
        // field (and the milliseconds) varies; the same ones on every run.
        let samples = [Int64(0), -1, 999, -11_676_096_000_000, 253_402_300_799_999, 1_798_761_599_999, 951_782_400_000]
            + Array(stride(from: Int64(-11_676_096_000_000), through: 253_402_300_799_999, by: 132_539_198_407))
        for milliseconds in samples {
            let instant = Instant(milliseconds: milliseconds)
            let text = instant.rfc3339
            // The reader takes 1970 onwards (`Limits.earliestTime` is later still).
            if milliseconds >= 0 { XCTAssertEqual(Instant(rfc3339: text), instant, text) }
            let seconds = milliseconds >= 0 ? milliseconds / 1000 : (milliseconds - 999) / 1000
            let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second],
                                                from: Date(timeIntervalSince1970: TimeInterval(seconds)))
            let millis = milliseconds - seconds * 1000
            let expected = String(format: "%04d-%02d-%02dT%02d:%02d:%02d", parts.year!, parts.month!, parts.day!, parts.hour!, parts.minute!, parts.second!)
                + (millis == 0 ? "" : String(format: ".%03d", Int(millis))) + "Z"
            XCTAssertEqual(text, expected)
        }
    }

    func testCalendarMonthsClampAndKeepLocalTime() {
        let shanghai = LocalCalendar(identifier: "Asia/Shanghai")!
        // 29 Feb 2028 01:00 local + 12 months = 28 Feb 2029 01:00 local.
        XCTAssertEqual(shanghai.adding(months: 12, to: instant("2028-02-28T17:00:00Z")), instant("2029-02-27T17:00:00Z"))
        // 31 Jan + 1 month = 28 Feb (29 in a leap year).
        XCTAssertEqual(CivilDate(year: 2027, month: 1, day: 31).adding(months: 1), CivilDate(year: 2027, month: 2, day: 28))
        XCTAssertEqual(CivilDate(year: 2028, month: 1, day: 31).adding(months: 1), CivilDate(year: 2028, month: 2, day: 29))
        XCTAssertEqual(shanghai.date(of: instant("2026-03-04T15:59:59Z")), CivilDate(year: 2026, month: 3, day: 4))
        XCTAssertEqual(shanghai.date(of: instant("2026-03-04T16:00:00Z")), CivilDate(year: 2026, month: 3, day: 5))
        XCTAssertEqual(shanghai.startOfNextYear(after: instant("2026-12-31T15:59:59Z")), instant("2026-12-31T16:00:00Z"))
    }

    /// A zone with daylight saving time: local midnights and "the same local time N months later"
    /// follow the wall clock, not a fixed offset.
    func testDaylightSavingZone() {
        let newYork = LocalCalendar(identifier: "America/New_York")!
        // Midnight on 1 January is 05:00Z (EST); on 1 July it is 04:00Z (EDT).
        XCTAssertEqual(newYork.instant(CivilDate(year: 2027, month: 1, day: 1)), instant("2027-01-01T05:00:00Z"))
        XCTAssertEqual(newYork.instant(CivilDate(year: 2027, month: 7, day: 1)), instant("2027-07-01T04:00:00Z"))
        // 10:00 local on 15 January, six months later, is 10:00 local on 15 July (14:00Z).
        XCTAssertEqual(newYork.adding(months: 6, to: instant("2027-01-15T15:00:00Z")), instant("2027-07-15T14:00:00Z"))
        // The spring-forward day is 23 hours long; its days are still numbered one apart.
        let before = newYork.periodIndex(.day, of: instant("2027-03-14T04:59:59Z"))
        let after = newYork.periodIndex(.day, of: instant("2027-03-14T05:00:00Z"))
        XCTAssertEqual(after - before, 1)
        XCTAssertEqual(newYork.next(dayOfMonth: 8, after: instant("2027-03-01T05:00:00Z")), instant("2027-03-08T05:00:00Z"))
        XCTAssertEqual(newYork.next(dayOfMonth: 8, after: instant("2027-03-08T05:00:00Z")), instant("2027-04-08T04:00:00Z"))
    }

    func testMoneyAndRatios() {
        XCTAssertEqual(try Money.parseMinorUnits("120.50").get(), 12_050)
        XCTAssertEqual(try Money.parseMinorUnits("7").get(), 700)
        XCTAssertEqual(try Money.parseMinorUnits("0.5").get(), 50)
        XCTAssertEqual(Money.parseMinorUnits("-1.00"), .failure(.negative))
        XCTAssertEqual(Money.parseMinorUnits("1.005"), .failure(.tooManyDecimals))
        XCTAssertEqual(Money.parseMinorUnits("1e3"), .failure(.notADecimal))
        XCTAssertEqual(Money.parseMinorUnits("10000000001.00"), .failure(.tooLarge))
        XCTAssertEqual(Ratio(decimal: "1.2")?.floorTimes(9), 10)
        XCTAssertEqual(Ratio(decimal: "1.5")?.description, "1.5")
        XCTAssertNil(Ratio(decimal: "-1"))
        XCTAssertEqual(formatPoints(1_234_567), "1,234,567")
        XCTAssertEqual(Money.display(minorUnits: 7_212_016), "72,120.16")
        XCTAssertEqual(Money.display(minorUnits: -100_005), "-1,000.05")
        XCTAssertEqual(Money.format(minorUnits: 7_212_016), "72120.16", "data fields keep the plain decimal")
    }

    /// The grouped forms people read, against a plain reference: every width of number, both
    /// signs, the extremes.
    func testGroupedDigitsAgreeWithAPlainReference() {
        func reference(_ whole: UInt64) -> String {
            let digits = Array(String(whole))
            var out = ""
            for (i, digit) in digits.enumerated() {
                if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
                out.append(digit)
            }
            return out
        }
        var random = SplitMix64(seed: 20_261_207)
        var values: [Int64] = [0, 1, -1, 9, 10, 99, 100, 999, 1_000, -1_000, 999_999, 1_000_000, .max, .min, .max - 1, .min + 1]
        for digits in 1...19 {
            let top = Int64(String(repeating: "9", count: digits)) ?? .max
            for _ in 0..<40 { values.append(Int64.random(in: 0...top, using: &random) * (Bool.random(using: &random) ? 1 : -1)) }
        }
        for value in values {
            let sign = value < 0 ? "-" : ""
            XCTAssertEqual(formatPoints(value), sign + reference(value.magnitude), "\(value)")
            let cents = value.magnitude % 100
            XCTAssertEqual(Money.display(minorUnits: value), sign + reference(value.magnitude / 100) + "." + (cents < 10 ? "0" : "") + String(cents), "\(value)")
        }
        XCTAssertEqual(Money.display(minorUnits: 5), "0.05")
        XCTAssertEqual(Money.display(minorUnits: -12_345_678_901), "-123,456,789.01")
        XCTAssertEqual(formatPoints(.min), "-9,223,372,036,854,775,808")
    }
}

/// Zones whose offset changed within the accepted years are not treated as fixed.
final class ZoneOffsetTests: XCTestCase {
    func testOffsetsFollowTheZonesHistory() {
        let moscow = LocalCalendar(identifier: "Europe/Moscow")!
        // +04:00 from 2011 to 2014, +03:00 since.
        XCTAssertEqual(moscow.offsetMilliseconds(at: Instant(rfc3339: "2013-01-15T00:00:00Z")!), 4 * 3_600_000)
        XCTAssertEqual(moscow.offsetMilliseconds(at: Instant(rfc3339: "2020-01-15T00:00:00Z")!), 3 * 3_600_000)
        let shanghai = LocalCalendar(identifier: "Asia/Shanghai")!
        XCTAssertEqual(shanghai.offsetMilliseconds(at: Instant(rfc3339: "2001-07-01T00:00:00Z")!), 8 * 3_600_000)
        XCTAssertEqual(shanghai.offsetMilliseconds(at: Instant(rfc3339: "2026-07-01T00:00:00Z")!), 8 * 3_600_000)
    }
}
