/// Where a member stands toward the next tier or level.
public struct TierProgress: Sendable, Codable, Equatable {
    public var tier: String
    public var tierName: String
    public var nextTier: String?
    public var nextTierName: String?
    /// Qualifying points counted so far in the current window.
    public var counted: Int64
    /// Points still needed for the next tier in this window; nil at the top.
    public var needed: Int64?
    /// Points still needed in this window to keep the current tier at the next evaluation (the
    /// next 1 January, or the next monthly count); nil when the count already keeps it.
    public var toKeep: Int64?
    /// What counts and over which window, in words.
    public var window: String
    /// For counted levels: when the next count runs and when its result takes effect.
    public var nextCount: Instant?
    public var nextEffective: Instant?
    /// A level already counted that takes effect later.
    public var scheduledTier: String?
    public var scheduledAt: Instant?
    public var benefits: [String]

    enum CodingKeys: String, CodingKey {
        case tier, counted, needed, window, benefits
        case toKeep = "to_keep"
        case tierName = "tier_name"
        case nextTier = "next_tier"
        case nextTierName = "next_tier_name"
        case nextCount = "next_count"
        case nextEffective = "next_effective"
        case scheduledTier = "scheduled_tier"
        case scheduledAt = "scheduled_at"
    }
}

/// Everything a member page or `accrue member` shows about one member at one moment.
public struct MemberView: Sendable, Codable, Equatable {
    /// A lot as members and replays show it.
    public struct LotLine: Sendable, Codable, Equatable {
        public var lot: Int64?
        public var points: Int64
        public var pending: Bool
        /// When pending points become available; nil while they wait for the order's state.
        public var availableAt: Instant?
        public var expiresAt: Instant?
        /// What pending points wait for: `return_window`, `delivery` or `dispute`.
        public var waitsFor: PendingWait?

        init(lot: Int64?, points: Int64, pending: Bool, availableAt: Instant?, expiresAt: Instant?, waitsFor: PendingWait? = nil) {
            self.lot = lot
            self.points = points
            self.pending = pending
            self.availableAt = availableAt
            self.expiresAt = expiresAt
            self.waitsFor = waitsFor
        }

        /// What the points wait for, in words: "the order's return window closes".
        public var waiting: String? {
            switch waitsFor {
            case .returnWindow?: return "the order's return window closes"
            case .delivery?: return "the order is delivered"
            case .dispute?: return "the order's dispute is resolved"
            case nil: return nil
            }
        }

        init(_ lot: Lot) {
            self.init(lot: lot.id, points: lot.remaining, pending: lot.pending, availableAt: lot.waitsFor == nil ? lot.availableAt : nil,
                      expiresAt: lot.expiresAt, waitsFor: lot.waitsFor)
        }

        enum CodingKeys: String, CodingKey {
            case lot, points, pending
            case availableAt = "available_at"
            case expiresAt = "expires_at"
            case waitsFor = "waits_for"
        }
    }

    /// Points reserved by a booking or a checkout.
    public struct HoldLine: Sendable, Codable, Equatable {
        /// `booking:b-1` or `checkout:h-1`.
        public var hold: String
        public var points: Int64
        public var order: String?
        /// When a checkout hold not captured by then is released.
        public var expiresAt: Instant?

        enum CodingKeys: String, CodingKey {
            case hold, points, order
            case expiresAt = "expires_at"
        }
    }

    public var member: String
    public var program: String
    public var currency: String
    public var balance: Int64
    /// What the balance is worth, in the program's money (minor units); nil when points have no value.
    public var balanceValue: String?
    public var pending: Int64
    public var held: Int64
    public var holds: [HoldLine]
    public var lots: [LotLine]
    /// Points expiring within the program's notice window, or `defaultExpiringSoonDays` when the
    /// program gives no notices.
    public var expiringSoon: [LotLine]
    public var tier: TierProgress?
    public var coupons: [Coupon]
    public var guest: Bool
    /// The member's balances in the program's other currencies, each on its own; nil when the
    /// program keeps only points.
    public var currencies: [CurrencyLine]?

    /// What a member holds in one of the program's other currencies.
    public struct CurrencyLine: Sendable, Codable, Equatable {
        public var currency: String
        public var name: String
        public var balance: Int64
        public var balanceValue: String?
        public var pending: Int64
        public var held: Int64
        public var holds: [HoldLine]
        public var lots: [LotLine]
        public var expiringSoon: [LotLine]

        enum CodingKeys: String, CodingKey {
            case currency, name, balance, pending, held, holds, lots
            case balanceValue = "balance_value"
            case expiringSoon = "expiring_soon"
        }
    }

    /// How far ahead the view looks for expiring points when the program sets no notice window: a
    /// display choice (shoppers lose points by forgetting), not a rule of any program.
    public static let defaultExpiringSoonDays: Int64 = 30

    enum CodingKeys: String, CodingKey {
        case member, program, currency, balance, pending, held, holds, lots, tier, coupons, guest, currencies
        case balanceValue = "balance_value"
        case expiringSoon = "expiring_soon"
    }

    /// The member's view at `now` (the program's clock when the caller has no better time).
    public init(member state: MemberState, program: Program, now: Instant) {
        member = state.id
        self.program = program.id
        currency = program.points.code
        balance = state.balance
        balanceValue = program.points.valueMinorUnits > 0
            ? Money.display(minorUnits: program.points.moneyValue(of: max(0, state.balance))) + " " + program.moneyCurrency : nil
        pending = state.pending
        held = state.held
        holds = state.holds.map { HoldLine(hold: $0.id, points: $0.points, order: $0.order, expiresAt: $0.expiresAt) }
        // Sorted as lines (plain values) rather than as lots, whose order and rule strings made
        // the sort two thirds of a view.
        lots = state.lots.map(LotLine.init)
            .sorted { ($0.expiresAt?.milliseconds ?? Int64.max, $0.lot ?? 0) < ($1.expiresAt?.milliseconds ?? Int64.max, $1.lot ?? 0) }
        var soonest: [LotLine] = []
        switch program.expiry {
        case let .monthsAfterAvailable(_, notice), let .endOfMonth(_, notice):
            let horizon = notice ?? MemberView.defaultExpiringSoonDays
            soonest = lots.filter { !$0.pending && ($0.expiresAt.map { $0 <= now.adding(days: horizon) } ?? false) }
        case let .inactivity(days, notice):
            let horizon = notice ?? MemberView.defaultExpiringSoonDays
            if let last = state.lastActivity, state.balance > 0, last.adding(days: days) <= now.adding(days: horizon) {
                soonest = [LotLine(lot: nil, points: state.balance, pending: false, availableAt: last, expiresAt: last.adding(days: days))]
            }
        case .none:
            break
        }
        expiringSoon = soonest
        coupons = state.coupons
        guest = state.guest
        tier = MemberView.progress(state, program: program, now: now)
        if !program.currencies.isEmpty {
            currencies = program.currencies.map { other in
                let view = MemberView(member: state.inCurrency(other.points.code), program: program.spending(in: other), now: now)
                return CurrencyLine(currency: other.points.code, name: other.points.name, balance: view.balance, balanceValue: view.balanceValue,
                                    pending: view.pending, held: view.held, holds: view.holds, lots: view.lots, expiringSoon: view.expiringSoon)
            }
        }
    }

    static func progress(_ state: MemberState, program: Program, now: Instant) -> TierProgress? {
        guard let tiers = program.tiers else { return nil }
        let index = tiers.index(of: state.tier) ?? 0
        let level = tiers.levels[index]
        let next = index + 1 < tiers.levels.count ? tiers.levels[index + 1] : nil
        var progress = TierProgress(tier: level.id, tierName: level.name, nextTier: next?.id, nextTierName: next?.name, counted: 0,
                                    needed: nil, toKeep: nil, window: "", nextCount: nil, nextEffective: nil, scheduledTier: state.nextTier,
                                    scheduledAt: state.nextTierAt, benefits: level.benefits)
        let calendar = program.calendar
        switch tiers.basis {
        case .calendarYear:
            let year = calendar.periodIndex(.year, of: now)
            progress.counted = state.qualifying[year] ?? 0
            progress.window = "\(program.points.name) that became available in \(year) (local calendar year); on 1 January the tier falls back to what the past year's total earns"
        case let .rollingMonths(months, effectiveDay):
            let month = calendar.monthIndex(of: now)
            progress.counted = state.qualifying.filter { $0.key > month - months && $0.key <= month }.reduce(0) { $0 + $1.value }
            let count = calendar.next(dayOfMonth: 1, after: now)
            progress.nextCount = count
            progress.nextEffective = calendar.instant(calendar.date(of: count).inYearMonth(day: effectiveDay))
            progress.window = "\(program.points.name) earned in the \(months) calendar months up to the end of this month, counted on \(calendar.date(of: count)) and taking effect on \(calendar.date(of: progress.nextEffective!))"
        }
        if let next { progress.needed = max(0, next.threshold - progress.counted) }
        if index > 0, progress.counted < level.threshold { progress.toKeep = level.threshold - progress.counted }
        return progress
    }
}

extension MemberView {
    /// The view as canonical JSON with exactly the fields `encode(to:)` writes (instants as RFC
    /// 3339), written directly: a member read spent a sixth of its time in `JSONEncoder` on the
    /// view, and later two thirds of the rest building and writing a `JSON` tree.
    public var jsonBytes: [UInt8] { withJSONBytes { Array($0) } }

    /// The same text, lent to `body` without copying it out of the writer (a server copies it
    /// once, into its answer).
    public func withJSONBytes<Result>(_ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows -> Result {
        var out = JSONWriter(capacity: 512 + 128 * lots.count)
        write(to: &out)
        return try out.withBytes(body)
    }

    public func write(to out: inout JSONWriter) {
        out.openObject()
        out.field("balance", balance)
        out.field("balance_value", balanceValue)
        out.array("coupons", coupons) { out, coupon in
            out.openObject()
            out.field("code", coupon.code)
            out.field("issuedAt", coupon.issuedAt)
            out.field("name", coupon.name)
            out.field("reward", coupon.reward)
            out.field("valueMinorUnits", coupon.valueMinorUnits)
            out.closeObject()
        }
        if let currencies {
            out.array("currencies", currencies) { out, line in
                out.openObject()
                out.field("balance", line.balance)
                out.field("balance_value", line.balanceValue)
                out.field("currency", line.currency)
                out.array("expiring_soon", line.expiringSoon) { $1.write(to: &$0) }
                out.field("held", line.held)
                out.array("holds", line.holds) { $1.write(to: &$0) }
                out.array("lots", line.lots) { $1.write(to: &$0) }
                out.field("name", line.name)
                out.field("pending", line.pending)
                out.closeObject()
            }
        }
        out.field("currency", currency)
        out.array("expiring_soon", expiringSoon) { $1.write(to: &$0) }
        out.field("guest", guest)
        out.field("held", held)
        out.array("holds", holds) { $1.write(to: &$0) }
        out.array("lots", lots) { $1.write(to: &$0) }
        out.field("member", member)
        out.field("pending", pending)
        out.field("program", program)
        if let tier {
            out.key("tier")
            tier.write(to: &out)
        }
        out.closeObject()
    }
}

extension MemberView.LotLine {
    /// Its fields in the canonical (sorted) order already, so that answers with many lots are
    /// written without sorting each line.
    public var json: JSON {
        var fields: [(String, JSON)] = []
        fields.reserveCapacity(6)
        if let availableAt { fields.append(("available_at", .string(availableAt.rfc3339))) }
        if let expiresAt { fields.append(("expires_at", .string(expiresAt.rfc3339))) }
        if let lot { fields.append(("lot", JSON.integer(lot))) }
        fields += [("pending", .bool(pending)), ("points", JSON.integer(points))]
        if let waitsFor { fields.append(("waits_for", .string(waitsFor.rawValue))) }
        return .object(fields)
    }

    func write(to out: inout JSONWriter) {
        out.openObject()
        out.field("available_at", availableAt)
        out.field("expires_at", expiresAt)
        out.field("lot", lot)
        out.field("pending", pending)
        out.field("points", points)
        out.field("waits_for", waitsFor?.rawValue)
        out.closeObject()
    }
}

extension MemberView.HoldLine {
    func write(to out: inout JSONWriter) {
        out.openObject()
        out.field("expires_at", expiresAt)
        out.field("hold", hold)
        out.field("order", order)
        out.field("points", points)
        out.closeObject()
    }
}

extension TierProgress {
    func write(to out: inout JSONWriter) {
        out.openObject()
        out.array("benefits", benefits) { $0.string($1) }
        out.field("counted", counted)
        out.field("needed", needed)
        out.field("next_count", nextCount)
        out.field("next_effective", nextEffective)
        out.field("next_tier", nextTier)
        out.field("next_tier_name", nextTierName)
        out.field("scheduled_at", scheduledAt)
        out.field("scheduled_tier", scheduledTier)
        out.field("tier", tier)
        out.field("tier_name", tierName)
        out.field("to_keep", toKeep)
        out.field("window", window)
        out.closeObject()
    }
}
