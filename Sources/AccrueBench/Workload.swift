import AccrueCore
import Foundation

/// The size and seed of a generated workload.
public struct WorkloadOptions: Sendable, Equatable {
    /// Members in each program's population; activity over them is skewed (Zipf).
    public var members: Int
    /// Inputs over all programs together.
    public var inputs: Int
    public var seed: UInt64

    public init(members: Int = 100_000, inputs: Int = 1_000_000, seed: UInt64 = 1) {
        self.members = members
        self.inputs = inputs
        self.seed = seed
    }
}

/// One program of the workload: the preset it runs, the id it runs under, and its share of traffic.
public struct WorkloadProgram: Sendable, Equatable {
    /// The preset's file name in `programs/` (without `.yaml`).
    public var preset: String
    /// The id the program runs under (`store-1` for an AliExpress store).
    public var id: String
    /// This program's share of all inputs, in percent.
    public var percentOfInputs: Int
    /// The share of this program's inputs that arrive in the flash-sale hour, in percent.
    public var flashPercent: Int
    /// What its input ids start with, so that ids never clash across programs.
    public var idPrefix: String
}

/// A deterministic, realistic workload over the four presets: several simulated months of members
/// joining, ordering (some orders refunded or disputed), reviewing, signing in, posting and sharing,
/// paying with points at checkout (at once or through holds captured or released), claiming rewards
/// and booking services, plus a flash-sale hour (11.11, 00:00 in Shanghai) in which a few thousand
/// hot members send most of the traffic. About one input in fifty or so is resent (a duplicate).
public enum Workload {
    public static let programs: [WorkloadProgram] = [
        WorkloadProgram(preset: "jd-points", id: "jd-points", percentOfInputs: 40, flashPercent: 15, idPrefix: "jd"),
        WorkloadProgram(preset: "aliexpress-store", id: "store-1", percentOfInputs: 20, flashPercent: 15, idPrefix: "st"),
        WorkloadProgram(preset: "aliexpress-levels", id: "aliexpress-levels", percentOfInputs: 25, flashPercent: 15, idPrefix: "lv"),
        WorkloadProgram(preset: "cj-rewards", id: "cj-rewards", percentOfInputs: 15, flashPercent: 5, idPrefix: "cj"),
    ]

    /// The simulated months: 1 June to 1 December 2026 (618, 11.11 and Black Friday fall inside).
    public static let start = Instant(rfc3339: "2026-06-01T00:00:00Z")!
    public static let end = Instant(rfc3339: "2026-12-01T00:00:00Z")!
    /// The flash-sale hour starts at midnight of 11 November in Shanghai.
    public static let flashStart = Instant(rfc3339: "2026-11-11T00:00:00+08:00")!
    public static let flashMilliseconds: Int64 = 3_600_000
    /// The members who send the flash-sale hour's traffic: the most active ranks.
    public static let hotMembers = 3_000

    /// Every input type the workload produces.
    public static let inputTypes: Set<String> = [
        "member.joined", "order.completed", "order.refunded", "order.disputed", "review.posted", "member.signed_in",
        "post.published", "share.posted", "referral.completed", "campaign.joined", "points.redeemed", "reward.claimed",
        "checkout.held", "checkout.captured", "checkout.released",
        "booking.requested", "booking.confirmed", "booking.rejected", "booking.cancelled",
    ]

    /// How many of the workload's inputs go to `program`; the last program takes the remainder.
    public static func inputCount(of program: WorkloadProgram, options: WorkloadOptions) -> Int {
        if program == programs.last {
            return options.inputs - programs.dropLast().reduce(0) { $0 + options.inputs * $1.percentOfInputs / 100 }
        }
        return options.inputs * program.percentOfInputs / 100
    }

    /// Generates `program`'s inputs in time order, one JSON line (without newline) at a time.
    public static func generate(_ program: WorkloadProgram, options: WorkloadOptions, table: ZipfTable? = nil,
                                emit: (String) -> Void) {
        let table = table ?? ZipfTable(count: options.members)
        let index = UInt64(programs.firstIndex(of: program) ?? 0)
        var generator = ProgramLogGenerator(program: program, total: inputCount(of: program, options: options),
                                            table: table, seed: options.seed &* 1_000_003 &+ index)
        for position in 0..<generator.total { emit(generator.line(position)) }
    }

    /// The inputs of `program` as an array (for tests and small sizes).
    public static func lines(_ program: WorkloadProgram, options: WorkloadOptions) -> [String] {
        var result: [String] = []
        generate(program, options: options) { result.append($0) }
        return result
    }

    /// Writes one JSON-lines file per program (`ID.jsonl`) into `folder`; returns their URLs in
    /// the order of `programs`.
    public static func write(options: WorkloadOptions, to folder: URL) throws -> [URL] {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let table = ZipfTable(count: options.members)
        return try programs.map { program in
            let url = folder.appendingPathComponent("\(program.id).jsonl")
            try writeLines(to: url) { emit in generate(program, options: options, table: table, emit: emit) }
            return url
        }
    }

    /// Writes the lines `produce` emits to a new file at `url`, a megabyte at a time, so that a
    /// log of millions of lines never sits whole in memory.
    static func writeLines(to url: URL, _ produce: (_ emit: (String) -> Void) -> Void) throws {
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else { throw CocoaError(.fileWriteUnknown) }
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 20)
        var failure: Error?
        produce { line in
            buffer.append(contentsOf: line.utf8)
            buffer.append(0x0A)
            if buffer.count >= 1 << 20, failure == nil {
                do { try handle.write(contentsOf: buffer) } catch { failure = error }
                buffer.removeAll(keepingCapacity: true)
            }
        }
        if let failure { throw failure }
        try handle.write(contentsOf: buffer)
    }

    /// An amount in minor units as the inputs write it ("12.05").
    static func money(_ minor: Int64) -> String { "\(minor / 100).\(minor % 100 < 10 ? "0" : "")\(minor % 100)" }
}

/// Generates one program's log. It keeps a rough estimate of each member's spendable points, the
/// recent orders, the open checkout holds and the open bookings, so that most inputs are valid
/// and the engine does real work: refunds name real orders, spending asks for points the member
/// has, captures come before the hold times out.
struct ProgramLogGenerator {
    enum Preset { case jd, store, levels, cj }

    enum Activity {
        case order, refund, dispute, review, signIn, post, share, referral, campaign
        case redeem, hold, capture, release, reward, booking, confirm, reject, cancel, resend
        /// An input a shop gets wrong (wrong currency, unknown order, too many points): refused.
        case mistake
    }

    struct OrderReference {
        var id: Int
        var member: Int
        var amount: Int64
        var refunded: Int64 = 0
        var disputed = false
    }

    struct Open {
        var id: Int
        var member: Int
        var points: Int64
        var at: Int64
    }

    let program: WorkloadProgram
    let preset: Preset
    let total: Int
    let table: ZipfTable
    var random: SplitMix64
    let flashFirst: Int
    let flashCount: Int
    var counter = 0
    var joined: [Bool]
    /// Points each member could spend, as far as the generator can tell (multipliers ignored).
    var credit: [Int64]
    /// Counted spend per member (cumulative rules), in minor units.
    var spend: [Int64]
    /// Order points that become spendable later (pending days), in time order.
    var pending: [(at: Int64, member: Int, points: Int64)] = []
    var pendingHead = 0
    var orders: [OrderReference] = []
    var orderCursor = 0
    var holds: [Open] = []
    var holdHead = 0
    var bookings: [Open] = []
    var bookingHead = 0
    var recent: [String] = []
    var vouchersClaimed = 0
    var voucherMonths: [Int: (month: Int64, count: Int)] = [:]
    let calendar: LocalCalendar

    static let recentOrders = 1 << 14
    static let recentLines = 64
    /// Holds older than this are left to time out (the presets release them after 30 minutes).
    static let holdPatienceMilliseconds: Int64 = 25 * 60_000

    init(program: WorkloadProgram, total: Int, table: ZipfTable, seed: UInt64) {
        self.program = program
        self.total = total
        self.table = table
        random = SplitMix64(seed: seed)
        switch program.preset {
        case "jd-points": preset = .jd
        case "aliexpress-store": preset = .store
        case "aliexpress-levels": preset = .levels
        default: preset = .cj
        }
        calendar = LocalCalendar(identifier: preset == .jd ? "Asia/Shanghai" : "UTC")!
        flashCount = total * program.flashPercent / 100
        let normal = Int64(max(1, total - flashCount))
        let span = Workload.end.milliseconds - Workload.start.milliseconds - Workload.flashMilliseconds
        flashFirst = Int(normal * (Workload.flashStart.milliseconds - Workload.start.milliseconds) / span)
        joined = Array(repeating: false, count: table.count)
        credit = Array(repeating: 0, count: table.count)
        spend = preset == .cj ? Array(repeating: 0, count: table.count) : []
    }

    var currency: String { preset == .jd ? "CNY" : "USD" }

    /// The time of the input at `position`: evenly spread over the months, with the flash hour's
    /// share packed into its hour. Whole seconds, never decreasing.
    func time(of position: Int) -> Int64 {
        let start = Workload.start.milliseconds
        let flashStart = Workload.flashStart.milliseconds
        let flashEnd = flashStart + Workload.flashMilliseconds
        let time: Int64
        if position >= flashFirst, position < flashFirst + flashCount {
            time = flashStart + Int64(position - flashFirst) * Workload.flashMilliseconds / Int64(flashCount)
        } else {
            let normal = Int64(max(1, total - flashCount))
            let span = Workload.end.milliseconds - start - Workload.flashMilliseconds
            let spread = Int64(position < flashFirst ? position : position - flashCount)
            let moment = start + spread * span / normal
            time = position < flashFirst ? min(moment, flashStart) : max(moment + Workload.flashMilliseconds, flashEnd)
        }
        return time - time % 1000
    }

    static let mixes: [Preset: (normal: [(Activity, Int)], flash: [(Activity, Int)])] = [
        .jd: ([(.order, 35), (.signIn, 22), (.review, 9), (.refund, 3), (.dispute, 1), (.redeem, 8), (.hold, 7), (.capture, 5),
               (.release, 2), (.reward, 5), (.resend, 1), (.mistake, 2)],
              [(.order, 44), (.hold, 14), (.capture, 11), (.release, 3), (.signIn, 12), (.redeem, 8), (.review, 3), (.refund, 1), (.resend, 3),
               (.mistake, 1)]),
        .store: ([(.order, 33), (.review, 12), (.share, 15), (.referral, 5), (.refund, 4), (.dispute, 1), (.redeem, 10), (.hold, 8),
                  (.capture, 6), (.release, 2), (.resend, 2), (.mistake, 2)],
                 [(.order, 44), (.hold, 14), (.capture, 11), (.release, 3), (.redeem, 10), (.share, 10), (.review, 4), (.resend, 3), (.mistake, 1)]),
        .levels: ([(.order, 28), (.signIn, 30), (.review, 12), (.post, 10), (.campaign, 8), (.refund, 5), (.dispute, 2), (.resend, 3), (.mistake, 2)],
                  [(.order, 49), (.signIn, 25), (.campaign, 10), (.review, 5), (.post, 7), (.resend, 3), (.mistake, 1)]),
        .cj: ([(.order, 43), (.refund, 6), (.dispute, 2), (.booking, 22), (.confirm, 12), (.reject, 4), (.cancel, 4), (.signIn, 3), (.resend, 2),
               (.mistake, 2)],
              [(.order, 69), (.booking, 15), (.confirm, 10), (.resend, 5), (.mistake, 1)]),
    ]

    func pickActivity(_ mix: [(Activity, Int)], roll: Int) -> Activity {
        var left = roll
        for (activity, weight) in mix {
            if left < weight { return activity }
            left -= weight
        }
        return mix[0].0
    }

    /// The input at `position`.
    mutating func line(_ position: Int) -> String {
        let at = time(of: position)
        let flash = position >= flashFirst && position < flashFirst + flashCount
        settle(until: at)
        counter += 1
        let mix = flash ? Self.mixes[preset]!.flash : Self.mixes[preset]!.normal
        let activity = pickActivity(mix, roll: random.below(100))
        if activity == .resend, !recent.isEmpty {
            return recent[random.below(recent.count)]
        }
        let text = followUp(activity, at: at) ?? memberActivity(activity, at: at, flash: flash)
        if recent.count < Self.recentLines { recent.append(text) } else { recent[counter % Self.recentLines] = text }
        return text
    }

    /// Pending points that became spendable and holds left to time out, up to `time`.
    mutating func settle(until time: Int64) {
        while pendingHead < pending.count, pending[pendingHead].at <= time {
            credit[pending[pendingHead].member] += pending[pendingHead].points
            pendingHead += 1
        }
        if pendingHead > 4096 { pending.removeFirst(pendingHead); pendingHead = 0 }
        while holdHead < holds.count, time - holds[holdHead].at > Self.holdPatienceMilliseconds {
            credit[holds[holdHead].member] += holds[holdHead].points
            holdHead += 1
        }
        if holdHead > 4096 { holds.removeFirst(holdHead); holdHead = 0 }
    }

    // MARK: - Lines

    func stamp(_ time: Int64) -> String { Instant(milliseconds: time).rfc3339 }

    func money(_ minor: Int64) -> String { Workload.money(minor) }

    func envelope(_ type: String, member: Int, at: Int64, data: String) -> String {
        "{\"id\":\"\(program.idPrefix)-\(counter)\",\"type\":\"\(type)\",\"member\":\"m\(member + 1)\",\"at\":\"\(stamp(at))\",\"data\":\(data)}"
    }

    // MARK: - Inputs about earlier ones: refunds, disputes, reviews, captures, booking answers

    mutating func followUp(_ activity: Activity, at: Int64) -> String? {
        switch activity {
        case .refund:
            guard let index = recentOrder(), !orders[index].disputed else { return nil }
            let order = orders[index]
            let remaining = order.amount - order.refunded
            guard remaining >= 2 else { return nil }
            let amount = random.chance(30) ? remaining : max(1, remaining * random.within(10...90) / 100)
            orders[index].refunded += amount
            credit[order.member] -= pointsFor(amount)
            return envelope("order.refunded", member: order.member, at: at,
                            data: "{\"order\":\"o\(order.id)\",\"amount\":\"\(money(amount))\",\"currency\":\"\(currency)\"}")
        case .dispute:
            guard let index = recentOrder(), !orders[index].disputed else { return nil }
            orders[index].disputed = true
            let order = orders[index]
            credit[order.member] -= pointsFor(order.amount - order.refunded)
            return envelope("order.disputed", member: order.member, at: at, data: "{\"order\":\"o\(order.id)\"}")
        case .review:
            guard let index = recentOrder(), !orders[index].disputed else { return nil }
            let order = orders[index]
            credit[order.member] += preset == .jd ? 20 : preset == .store ? 10 : 0
            return envelope("review.posted", member: order.member, at: at,
                            data: "{\"order\":\"o\(order.id)\",\"product\":\"p-\(random.within(1...3))\"}")
        case .capture, .release:
            guard holdHead < holds.count else { return nil }
            let hold = holds[holdHead]
            holdHead += 1
            if activity == .release { credit[hold.member] += hold.points }
            return envelope(activity == .capture ? "checkout.captured" : "checkout.released", member: hold.member, at: at,
                            data: "{\"hold\":\"h\(hold.id)\"}")
        case .confirm, .reject, .cancel:
            guard bookingHead < bookings.count else { return nil }
            let booking = bookings[bookingHead]
            bookingHead += 1
            if bookingHead > 4096 { bookings.removeFirst(bookingHead); bookingHead = 0 }
            if activity != .confirm { credit[booking.member] += booking.points }
            let type = activity == .confirm ? "booking.confirmed" : activity == .reject ? "booking.rejected" : "booking.cancelled"
            return envelope(type, member: booking.member, at: at, data: "{\"booking\":\"b\(booking.id)\"}")
        default:
            return nil
        }
    }

    mutating func recentOrder() -> Int? {
        orders.isEmpty ? nil : random.below(orders.count)
    }

    /// The points an order amount earns, roughly (tier and campaign multipliers left out).
    func pointsFor(_ amount: Int64) -> Int64 {
        switch preset {
        case .jd, .store: return amount / 100
        case .levels: return 0
        case .cj: return amount / 5_000 + 1
        }
    }

    // MARK: - Inputs a member starts

    mutating func memberActivity(_ activity: Activity, at: Int64, flash: Bool) -> String {
        let member = table.sample(&random, top: flash ? Workload.hotMembers : .max)
        if !joined[member] {
            joined[member] = true
            var data = "{}"
            if preset == .levels, random.chance(70) {
                data = "{\"birthday\":\"\(random.within(1960...2005))-\(pad(random.within(1...12)))-\(pad(random.within(1...28)))\"}"
            }
            return envelope("member.joined", member: member, at: at, data: data)
        }
        switch activity {
        case .signIn:
            if preset == .jd { credit[member] += 5 }
            return envelope("member.signed_in", member: member, at: at, data: "{}")
        case .post:
            return envelope("post.published", member: member, at: at, data: "{\"post\":\"post-\(counter)\"}")
        case .share:
            credit[member] += 2
            return envelope("share.posted", member: member, at: at, data: "{\"product\":\"p-\(random.within(1...500))\"}")
        case .referral:
            credit[member] += 50
            return envelope("referral.completed", member: member, at: at, data: "{\"referred\":\"friend-\(random.within(1...1_000_000))\"}")
        case .campaign:
            return envelope("campaign.joined", member: member, at: at, data: "{\"campaign\":\"c-\(random.within(1...20))\"}")
        case .redeem, .hold:
            guard let (points, amount) = checkoutPoints(member) else { return order(member, at: at) }
            credit[member] -= points
            if activity == .redeem {
                return envelope("points.redeemed", member: member, at: at,
                                data: "{\"order\":\"r\(counter)\",\"points\":\(points),\"order_amount\":\"\(money(amount))\",\"currency\":\"\(currency)\"}")
            }
            holds.append(Open(id: counter, member: member, points: points, at: at))
            return envelope("checkout.held", member: member, at: at,
                            data: "{\"hold\":\"h\(counter)\",\"order\":\"k\(counter)\",\"points\":\(points),\"order_amount\":\"\(money(amount))\",\"currency\":\"\(currency)\"}")
        case .reward:
            return reward(member, at: at) ?? order(member, at: at)
        case .booking:
            return booking(member, at: at) ?? order(member, at: at)
        case .mistake:
            return mistake(member, at: at)
        default:
            return order(member, at: at)
        }
    }

    /// An input the engine must refuse, of the kinds shops send by mistake.
    mutating func mistake(_ member: Int, at: Int64) -> String {
        switch random.below(3) {
        case 0:
            return envelope("order.completed", member: member, at: at,
                            data: "{\"order\":\"o\(counter)\",\"amount\":\"10.00\",\"currency\":\"EUR\"}")
        case 1:
            return envelope("order.refunded", member: member, at: at,
                            data: "{\"order\":\"unknown-\(counter)\",\"amount\":\"5.00\",\"currency\":\"\(currency)\"}")
        default:
            switch preset {
            case .jd, .store:
                let points = (credit[member] + 10_000) / 100 * 100
                return envelope("points.redeemed", member: member, at: at,
                                data: "{\"order\":\"r\(counter)\",\"points\":\(points),\"order_amount\":\"100000.00\",\"currency\":\"\(currency)\"}")
            case .cj:
                return envelope("booking.requested", member: member, at: at,
                                data: "{\"booking\":\"b\(counter)\",\"services\":[{\"service\":\"airport-pickup\",\"airport\":\"PVG\"}]}")
            case .levels:
                return envelope("order.disputed", member: member, at: at, data: "{\"order\":\"unknown-\(counter)\"}")
            }
        }
    }

    func pad(_ number: Int64) -> String { number < 10 ? "0\(number)" : "\(number)" }

    mutating func order(_ member: Int, at: Int64) -> String {
        let amount: Int64
        var extra = ""
        switch preset {
        case .jd:
            let bracket = random.below(10)
            amount = bracket < 6 ? random.within(1_000...20_000) : bracket < 9 ? random.within(20_000...100_000) : random.within(100_000...500_000)
            let category = ["electronics", "home", "fashion", "grocery"][random.below(4)]
            let seller = random.chance(2) ? "s-outlet" : "s-\(random.within(1...50))"
            extra = ",\"seller\":\"\(seller)\",\"category\":\"\(category)\"" + (random.chance(3) ? ",\"international\":true" : "")
            pending.append((at + 7 * Instant.millisecondsPerDay, member, amount / 100))
        case .store:
            amount = random.within(500...30_000)
            credit[member] += amount / 100
        case .levels:
            amount = random.within(100...20_000)
        case .cj:
            amount = random.within(2_000...300_000)
            let before = spend[member] / 5_000
            spend[member] += amount
            credit[member] += spend[member] / 5_000 - before
        }
        let reference = OrderReference(id: counter, member: member, amount: amount)
        if orders.count < Self.recentOrders {
            orders.append(reference)
        } else {
            orders[orderCursor] = reference
            orderCursor = (orderCursor + 1) % Self.recentOrders
        }
        return envelope("order.completed", member: member, at: at,
                        data: "{\"order\":\"o\(counter)\",\"amount\":\"\(money(amount))\",\"currency\":\"\(currency)\"\(extra)}")
    }

    /// Points and order amount for a checkout spend the member can afford and the program allows,
    /// or nil when the member has too little.
    mutating func checkoutPoints(_ member: Int) -> (Int64, Int64)? {
        switch preset {
        case .jd:
            // 100 points = 1.00 CNY; at least 100, multiples of 100, at most half the order.
            let amount = random.within(5_000...150_000)
            let points = min(100 * random.within(1...5), amount / 2 / 100 * 100, credit[member] / 2 / 100 * 100)
            return points >= 100 ? (points, amount) : nil
        case .store:
            // 1 point = 0.01 USD; at least 200, at most 20% of the order.
            let amount = random.within(1_000...30_000)
            let points = min(random.within(200...1_000), amount / 5, credit[member] / 2)
            return points >= 200 ? (points, amount) : nil
        case .levels, .cj:
            return nil
        }
    }

    mutating func reward(_ member: Int, at: Int64) -> String? {
        let month = calendar.monthIndex(of: Instant(milliseconds: at))
        let claimed = voucherMonths[member].map { $0.month == month ? $0.count : 0 } ?? 0
        if credit[member] >= 2_000, vouchersClaimed < 900, claimed < 5, random.chance(15) {
            vouchersClaimed += 1
            voucherMonths[member] = (month, claimed + 1)
            credit[member] -= 1_000
            return envelope("reward.claimed", member: member, at: at, data: "{\"reward\":\"voucher-10\"}")
        }
        guard credit[member] >= 100 else { return nil }
        credit[member] -= 50
        return envelope("reward.claimed", member: member, at: at, data: "{\"reward\":\"lucky-draw\"}")
    }

    mutating func booking(_ member: Int, at: Int64) -> String? {
        var services: [String] = []
        var quote: Int64 = 0
        for _ in 0..<random.within(1...3) {
            switch random.below(5) {
            case 0:
                services.append("{\"service\":\"airport-pickup\",\"airport\":\"\(["HGH", "NGB", "SHA"][random.below(3)])\"}")
                quote += 2
            case 1:
                let nights = random.within(1...3)
                services.append("{\"service\":\"hotel\",\"nights\":\(nights)}")
                quote += 3 * nights
            case 2:
                let meals = random.within(1...4)
                services.append("{\"service\":\"food\",\"meals\":\(meals)}")
                quote += meals
            case 3:
                let days = random.within(1...2)
                services.append("{\"service\":\"translation\",\"days\":\(days)}")
                quote += 2 * days
            default:
                services.append("{\"service\":\"tour\"}")
                quote += 3
            }
        }
        guard credit[member] >= quote else { return nil }
        credit[member] -= quote
        bookings.append(Open(id: counter, member: member, points: quote, at: at))
        return envelope("booking.requested", member: member, at: at,
                        data: "{\"booking\":\"b\(counter)\",\"services\":[\(services.joined(separator: ","))]}")
    }
}
