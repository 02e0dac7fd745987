import AccrueBench
import AccrueCore
import AccruePrograms
import AccrueStore
import Foundation

/// The repository's root, found from this file's place in it.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

func preset(_ name: String) throws -> Program {
    try ProgramFile.load(path: repositoryRoot.appendingPathComponent("programs/\(name).yaml").path)
}

/// The `accrue` binary built beside the tests.
var accrueBinary: URL {
    let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("accrue")
    if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
    return repositoryRoot.appendingPathComponent(".build/debug/accrue")
}

/// A fresh temporary folder, removed by the caller with `removeFolder`.
func temporaryFolder() -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("accrue-test-\(UUID().uuidString)")
    try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// The seeded generator the benchmark uses, so a failing seed can be replayed.
typealias SeededRandom = SplitMix64

/// Generates random but plausible input logs for a program: orders with refunds and disputes,
/// reviews, sign-ins, posts, shares, referrals, campaigns, redemptions, rewards, bookings,
/// adjustments, resent inputs, late inputs and malformed lines.
struct LogGenerator {
    var random: SeededRandom
    let program: Program
    var time: Int64
    var counter = 0
    var orders: [(id: String, member: String)] = []
    var bookings: [(id: String, member: String)] = []
    var holds: [(id: String, member: String)] = []
    var sent: [String] = []
    let members = ["alice", "bob", "carol", "dave", "erin"]

    init(seed: UInt64, program: Program, start: String = "2026-01-01T00:00:00Z") {
        random = SeededRandom(seed: seed)
        self.program = program
        time = Instant(rfc3339: start)!.milliseconds
    }

    mutating func pick<T>(_ items: [T]) -> T { items[Int(random.next() % UInt64(items.count))] }
    mutating func chance(_ percent: UInt64) -> Bool { random.next() % 100 < percent }
    mutating func amount(_ max: Int) -> String {
        let minor = Int(random.next() % UInt64(max * 100))
        return "\(minor / 100).\(minor % 100 < 10 ? "0" : "")\(minor % 100)"
    }

    mutating func line() -> String {
        // Time moves by minutes to days; now and then a long jump crosses a month or a year.
        let step: Int64 = chance(3) ? Int64(random.next() % 90) * 86_400_000 : Int64(random.next() % 3 * 86_400_000 + random.next() % 86_400_000)
        time += step
        counter += 1
        if chance(4), let old = sent.isEmpty ? nil : pick(sent) { return old }
        if chance(2) { return pick(["not json", "{\"id\":\"bad-\(counter)\",\"type\":\"order.teleported\",\"member\":\"x\",\"at\":\"2026-01-01T00:00:00Z\",\"data\":{}}", "[]", "{\"id\":\"m-\(counter)\"}"]) }
        var at = time
        if chance(5) { at -= Int64(random.next() % 5) * 86_400_000 } // a late input
        let member = pick(members)
        let id = "e-\(counter)"
        let stamp = Instant(milliseconds: at).rfc3339
        let currency = program.moneyCurrency
        var type = "member.signed_in"
        var data = "{}"
        switch random.next() % 16 {
        case 0, 1, 2:
            let order = "o-\(counter)"
            orders.append((order, member))
            type = "order.completed"
            let category = pick(["electronics", "home", "fashion"])
            let seller = pick(["s-1", "s-2", "s-outlet"])
            data = "{\"order\":\"\(order)\",\"amount\":\"\(amount(400))\",\"currency\":\"\(currency)\",\"category\":\"\(category)\",\"seller\":\"\(seller)\"\(chance(5) ? ",\"international\":true" : "")\(chance(3) ? ",\"guest\":true" : "")}"
        case 3:
            guard let order = orders.isEmpty ? nil : pick(orders) else { break }
            type = "order.refunded"
            data = "{\"order\":\"\(order.id)\",\"amount\":\"\(amount(60))\"}"
            return envelope(id, type, chance(85) ? order.member : member, stamp, data)
        case 4:
            // Disputes, and the order states that release points waiting for them.
            guard let order = orders.isEmpty ? nil : pick(orders) else { break }
            type = pick(["order.disputed", "order.disputed", "order.delivered", "order.return_window_closed", "order.dispute_resolved"])
            data = type == "order.dispute_resolved" && chance(50)
                ? "{\"order\":\"\(order.id)\",\"refund\":\"\(amount(80))\"}" : "{\"order\":\"\(order.id)\"}"
            return envelope(id, type, order.member, stamp, data)
        case 5:
            type = "review.posted"
            let order = orders.isEmpty ? "o-unknown" : pick(orders).id
            data = "{\"order\":\"\(order)\",\"product\":\"p-\(random.next() % 3)\"}"
        case 6: type = "member.signed_in"
        case 7: type = "post.published"; data = "{\"post\":\"post-\(random.next() % 8)\"}"
        case 8: type = "share.posted"
        case 9: type = "referral.completed"; data = "{\"referred\":\"friend-\(random.next() % 4)\"}"
        case 10 where !program.draws.isEmpty && chance(80):
            // Lucky draws: commitments (before and after they open), tickets, reveals (right and
            // wrong seeds) and cancellations, in any order the random times give.
            let draw = pick(program.draws.map(\.id))
            let seed = "seed-\(draw)"
            switch random.next() % 7 {
            case 0, 6: type = "draw.committed"; data = "{\"draw\":\"\(draw)\",\"hash\":\"\(SHA256Hash.hex(seed))\"}"
            case 1: type = "draw.revealed"; data = "{\"draw\":\"\(draw)\",\"seed\":\"\(chance(80) ? seed : "guess")\"}"
            case 2 where chance(30): type = "draw.cancelled"; data = "{\"draw\":\"\(draw)\",\"reason\":\"stock lost\"}"
            default: type = "draw.entered"; data = "{\"draw\":\"\(draw)\",\"entries\":\(pick([1, 1, 2, 6]))}"
            }
            return envelope(id, type, type == "draw.entered" ? member : "ops", stamp, data)
        case 10: type = "campaign.joined"; data = "{\"campaign\":\"c-\(random.next() % 6)\"}"
        case 11 where chance(25):
            type = "points.transferred"
            data = "{\"transfer\":\"\(pick(["miles", "miles", "hotel"]))\",\"points\":\(pick([100, 1_000, 2_000, 1_050]))}"
        case 11:
            type = "points.redeemed"
            let points = pick([50, 100, 200, 300, 500, 1_000])
            data = "{\"order\":\"r-\(random.next() % 6)\",\"points\":\(points),\"order_amount\":\"\(amount(300))\"}"
        case 12:
            type = "reward.claimed"
            data = "{\"reward\":\"\(program.rewards.isEmpty ? "voucher" : pick(program.rewards.map(\.id)))\"}"
        case 13:
            type = "booking.requested"
            let booking = "b-\(counter)"
            bookings.append((booking, member))
            let services = pick([
                "[{\"service\":\"airport-pickup\",\"airport\":\"HGH\"}]",
                "[{\"service\":\"hotel\",\"nights\":2},{\"service\":\"food\"}]",
                "[{\"service\":\"tour\"}]",
                "[{\"service\":\"airport-pickup\",\"airport\":\"PVG\"}]",
            ])
            data = "{\"booking\":\"\(booking)\",\"services\":\(services)}"
        case 14 where chance(40):
            // Checkout holds: placed, then captured, released or left to time out.
            if let open = holds.isEmpty ? nil : pick(holds), chance(60) {
                type = pick(["checkout.captured", "checkout.released"])
                data = "{\"hold\":\"\(open.id)\"}"
                return envelope(id, type, chance(90) ? open.member : member, stamp, data)
            }
            let hold = "h-\(counter)"
            holds.append((hold, member))
            type = "checkout.held"
            data = "{\"hold\":\"\(hold)\",\"order\":\"k-\(random.next() % 6)\",\"points\":\(pick([100, 200, 300])),\"order_amount\":\"\(amount(300))\"}"
        case 14:
            guard let booking = bookings.isEmpty ? nil : pick(bookings) else { break }
            type = pick(["booking.confirmed", "booking.rejected", "booking.cancelled"])
            data = "{\"booking\":\"\(booking.id)\"}"
            return envelope(id, type, chance(90) ? booking.member : member, stamp, data)
        default:
            type = "points.adjusted"
            data = "{\"points\":\(pick([-300, -20, 15, 250, 1_200])),\"reason\":\"support correction\"}"
        }
        // In a program with other currencies, spends and corrections name one now and then.
        if !program.currencies.isEmpty, ["points.redeemed", "checkout.held", "points.adjusted"].contains(type), chance(50) {
            let code = pick(program.currencies.map(\.points.code) + (chance(10) ? ["gems"] : []))
            data = "{\"points_currency\":\"\(code)\"," + data.dropFirst()
        }
        return envelope(id, type, member, stamp, data)
    }

    mutating func envelope(_ id: String, _ type: String, _ member: String, _ at: String, _ data: String) -> String {
        let text = "{\"id\":\"\(id)\",\"type\":\"\(type)\",\"member\":\"\(member)\",\"at\":\"\(at)\",\"data\":\(data)}"
        sent.append(text)
        return text
    }

    mutating func log(_ count: Int) -> [String] { (0..<count).map { _ in line() } }
}

/// A program's state now in a store: its latest checkpoint plus the log after it.
func currentState(_ program: Program, in store: any LedgerStore) throws -> ProgramState {
    try ProgramLedger(program: program, store: store).engine.state
}

/// The JD Points file with sign-ins worth 7 points instead of 5: a second version of one program.
/// Stops the test run when the preset no longer has the line, rather than letting two equal
/// "versions" pass tests of version changes.
func signInsWorthSeven(_ text: String) -> String {
    let changed = text.replacingOccurrences(of: "earn: {points: 5}", with: "earn: {points: 7}")
    precondition(changed != text, "programs/jd-points.yaml no longer gives sign-ins 5 points: update signInsWorthSeven")
    return changed
}
