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
        func order(_ id: String, _ index: Int, member: Int, at: String, amount: Int64, currency: String) -> String {
            "{\"id\":\"\(id)\",\"type\":\"order.completed\",\"member\":\"m\(member + 1)\",\"at\":\"\(at)\","
                + "\"data\":{\"order\":\"o\(index)\",\"amount\":\"\(Workload.money(amount))\",\"currency\":\"\(currency)\"}}"
        }
        let jd = folder.appendingPathComponent("jd-points.jsonl")
        try Workload.writeLines(to: jd) { emit in
            for index in 0..<lots {
                // Yuan 1-1,000: every order earns at least a point, so every order makes a lot.
                emit(order("jd-\(index)", index, member: index % members, at: stamp(index, of: lots), amount: random.within(100...100_000), currency: "CNY"))
            }
        }
        let levels = folder.appendingPathComponent("aliexpress-levels.jsonl")
        try Workload.writeLines(to: levels) { emit in
            for index in 0..<members {
                // USD 2-200: the smallest order that earns a level point is 2.00.
                emit(order("lv-\(index)", index, member: index, at: stamp(index, of: members), amount: random.within(200...20_000), currency: "USD"))
            }
        }
        return [jd, levels]
    }
}
