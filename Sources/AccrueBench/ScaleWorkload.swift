import AccrueCore
import Foundation

/// The logs of a run at scale: jd-points orders making `lots` lots over `members` members, every
/// member earning the same number, and one aliexpress-levels order per member.
public enum ScaleWorkload {
    /// Writes the two logs; returns their files (jd-points first).
    public static func write(members: Int, lots: Int, seed: UInt64, to folder: URL) throws -> [URL] {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var random = SplitMix64(seed: seed)
        let start = Workload.start.milliseconds
        let span = Workload.end.milliseconds - start
        func stamp(_ index: Int, of count: Int) -> String {
            let time = start + Int64(index) * span / Int64(max(1, count))
            return Instant(milliseconds: time - time % 1000).rfc3339
        }
        let jd = folder.appendingPathComponent("jd-points.jsonl")
        try writeLines(to: jd, count: lots) { index in
            // Yuan 1-1,000: every order earns at least a point, so every order makes a lot.
            let amount = random.within(100...100_000)
            return "{\"id\":\"jd-\(index)\",\"type\":\"order.completed\",\"member\":\"m\(index % members + 1)\",\"at\":\"\(stamp(index, of: lots))\","
                + "\"data\":{\"order\":\"o\(index)\",\"amount\":\"\(amount / 100).\(amount % 100 < 10 ? "0" : "")\(amount % 100)\",\"currency\":\"CNY\"}}"
        }
        let levels = folder.appendingPathComponent("aliexpress-levels.jsonl")
        try writeLines(to: levels, count: members) { index in
            // USD 2-200: the smallest order that earns a level point is 2.00.
            let amount = random.within(200...20_000)
            return "{\"id\":\"lv-\(index)\",\"type\":\"order.completed\",\"member\":\"m\(index + 1)\",\"at\":\"\(stamp(index, of: members))\","
                + "\"data\":{\"order\":\"o\(index)\",\"amount\":\"\(amount / 100).\(amount % 100 < 10 ? "0" : "")\(amount % 100)\",\"currency\":\"USD\"}}"
        }
        return [jd, levels]
    }

    /// Writes `count` lines a megabyte at a time.
    static func writeLines(to url: URL, count: Int, _ line: (Int) -> String) throws {
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else { throw CocoaError(.fileWriteUnknown) }
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        var buffer = ""
        for index in 0..<count {
            buffer += line(index)
            buffer += "\n"
            if buffer.utf8.count >= 1 << 20 {
                try handle.write(contentsOf: Data(buffer.utf8))
                buffer = ""
            }
        }
        try handle.write(contentsOf: Data(buffer.utf8))
    }
}
