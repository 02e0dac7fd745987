import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What one timed step cost: wall time and the process's peak resident memory during it.
struct Cost {
    var seconds: Double
    /// Peak resident set in kB (`VmHWM`); since the step started when `peakWasReset`, else over
    /// the whole process.
    var peakKilobytes: Int?
    var peakWasReset: Bool

    var peakText: String {
        guard let peakKilobytes else { return "?" }
        return "\(peakKilobytes / 1024) MB" + (peakWasReset ? "" : "*")
    }
}

/// Runs `body` and measures its wall time and peak memory.
func measure<T>(_ body: () throws -> T) rethrows -> (T, Cost) {
    Memory.returnFreed()
    let reset = Memory.resetPeak()
    let start = ContinuousClock.now
    let value = try body()
    let seconds = start.duration(to: .now).seconds
    return (value, Cost(seconds: seconds, peakKilobytes: Memory.kilobytes("VmHWM"), peakWasReset: reset))
}

extension Duration {
    /// The duration in seconds, for the benchmark's rates.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

/// The process's memory as Linux reports it in /proc/self.
enum Memory {
    /// Resets the peak resident set to the current one (`echo 5 > /proc/self/clear_refs`); false
    /// where the kernel refuses or there is no /proc, and then peaks are the whole process's.
    static func resetPeak() -> Bool {
        guard let handle = FileHandle(forWritingAtPath: "/proc/self/clear_refs") else { return false }
        defer { try? handle.close() }
        do {
            try handle.write(contentsOf: Data("5".utf8))
            return true
        } catch {
            return false
        }
    }

    /// Gives memory freed by earlier steps back to the system, so that it does not hide what the
    /// next step adds (glibc keeps freed memory for reuse otherwise).
    static func returnFreed() {
        #if canImport(Glibc)
        // glibc's malloc_trim is not in the Swift module map: look it up (RTLD_DEFAULT is nil).
        typealias Trim = @convention(c) (Int) -> Int32
        if let symbol = dlsym(nil, "malloc_trim") { _ = unsafeBitCast(symbol, to: Trim.self)(0) }
        #endif
    }

    /// A `kB` field of /proc/self/status (`VmHWM`, `VmRSS`).
    static func kilobytes(_ field: String) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
            return Int(line.dropFirst(field.count + 1).trimmingCharacters(in: .whitespaces).split(separator: " ").first ?? "")
        }
        return nil
    }
}

/// One line of the results table.
struct ResultRow {
    var step: String
    var accrue: String
    var baseline: String
    var ratio: String
    var peak: String
}

/// Numbers as the table shows them.
enum Format {
    /// `1234567` -> `1,234,567`.
    static func count<N: BinaryInteger>(_ value: N) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (index, character) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { out += "," }
            out.append(character)
        }
        return (value < 0 ? "-" : "") + out
    }

    static func rate(_ items: Int, _ seconds: Double) -> String {
        count(Int((Double(items) / max(seconds, 1e-9)).rounded())) + "/s"
    }

    static func seconds(_ value: Double) -> String {
        value >= 10 ? String(format: "%.1f s", value) : value >= 0.1 ? String(format: "%.2f s", value) : String(format: "%.1f ms", value * 1000)
    }

    /// Accrue's rate as a share of the baseline's.
    static func share(_ accrue: Double, of baseline: Double) -> String {
        String(format: "%.0f%%", 100 * accrue / max(baseline, 1e-12))
    }

    /// How many times the baseline's time Accrue took.
    static func times(_ accrue: Double, _ baseline: Double) -> String {
        let ratio = accrue / max(baseline, 1e-12)
        return ratio >= 100 ? "x" + count(Int(ratio.rounded())) : String(format: "x%.1f", ratio)
    }

    static func megabytes(_ bytes: Int64) -> String { String(format: "%.0f MB", Double(bytes) / 1_048_576) }
}

/// The table as aligned text and as Markdown.
struct ResultTable {
    static let headers = ["step", "Accrue", "baseline", "ratio", "peak RSS (Accrue / baseline)"]
    var rows: [ResultRow] = []

    private func cells(_ row: ResultRow) -> [String] { [row.step, row.accrue, row.baseline, row.ratio, row.peak] }

    var text: String {
        let all = [Self.headers] + rows.map(cells)
        let widths = (0..<Self.headers.count).map { column in all.map { $0[column].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                index == 0 ? cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: widths[index] - cell.count) + cell
            }.joined(separator: " | ")
        }
        let rule = widths.map { String(repeating: "-", count: $0) }.joined(separator: "-+-")
        return ([line(Self.headers), rule] + rows.map { line(cells($0)) }).joined(separator: "\n")
    }

    var markdown: String {
        var out = "| " + Self.headers.joined(separator: " | ") + " |\n"
        out += "| --- | ---: | ---: | ---: | ---: |\n"
        for row in rows { out += "| " + cells(row).joined(separator: " | ") + " |\n" }
        return out
    }
}
