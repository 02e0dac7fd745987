/// A loyalty program, as read from its program file. Everything a program does is in here; no code
/// path knows a program by name.
public struct Program: Sendable {
    /// The program's id, unique in a database: `jd-points`, `store-123`.
    public var id: String
    /// The name shown to shoppers.
    public var name: String
    public var version: Int
    /// The time zone whose calendar days, months and years the rules count in.
    public var calendar: LocalCalendar
    /// The currency orders are paid in (ISO code); amounts in another currency are refused.
    public var moneyCurrency: String
    public var points: PointsCurrency
    /// Whether guests (members who joined with `guest: true`, or an order marked `guest`) earn.
    public var guestsEarn: Bool
    /// Sellers whose orders earn nothing.
    public var excludedSellers: [String]
    /// When set, only orders from these sellers earn (not every store takes part); nil: all do.
    public var participatingSellers: [String]?
    public var rules: [Rule]
    public var campaigns: [Campaign]
    public var campaignPolicy: CampaignPolicy
    public var expiry: Expiry
    public var checkout: CheckoutPolicy?
    public var tiers: Tiers?
    public var rewards: [Reward]
    public var services: [Service]
    public var birthday: CouponGrant?
    /// A coupon on each anniversary of the member's joining, sized by level.
    public var anniversary: AnniversaryGrant?
    /// Places beyond the shop where points pay part of a bill (mobile recharge, travel), through
    /// the checkout flow with their own minimum and share.
    public var places: [Place] = []
    /// Windows in which points may be transferred to a partner program; without any, points are
    /// not transferable.
    public var transfers: [Transfer] = []
    /// Lucky draws: entries for points, winners drawn from a committed seed.
    public var draws: [Draw] = []
    /// Other currencies the program keeps beside its points (AliExpress coins beside points),
    /// each with its own lots, balance, expiry and checkout; rules name the currency they earn in.
    public var currencies: [Currency] = []

    public init(id: String, name: String, version: Int = 1, calendar: LocalCalendar, moneyCurrency: String,
                points: PointsCurrency, guestsEarn: Bool = false, excludedSellers: [String] = [], rules: [Rule],
                campaigns: [Campaign] = [], campaignPolicy: CampaignPolicy = .highest, expiry: Expiry = .none,
                checkout: CheckoutPolicy? = nil, tiers: Tiers? = nil, rewards: [Reward] = [], services: [Service] = [],
                birthday: CouponGrant? = nil, participatingSellers: [String]? = nil, anniversary: AnniversaryGrant? = nil) {
        self.id = id
        self.name = name
        self.version = version
        self.calendar = calendar
        self.moneyCurrency = moneyCurrency
        self.points = points
        self.guestsEarn = guestsEarn
        self.excludedSellers = excludedSellers
        self.participatingSellers = participatingSellers
        self.rules = rules
        self.campaigns = campaigns
        self.campaignPolicy = campaignPolicy
        self.expiry = expiry
        self.checkout = checkout
        self.tiers = tiers
        self.rewards = rewards
        self.services = services
        self.birthday = birthday
        self.anniversary = anniversary
    }

    /// The currency of this code other than the points, if the program keeps it.
    public func currency(_ code: String) -> Currency? { currencies.first { $0.points.code == code } }

    /// The program as one of its other currencies sees it: that currency's name, value, expiry and
    /// checkout in place of the points'; no tiers, places, transfers, draws, rewards, services or
    /// further currencies (those are paid and counted in points). Rules stay, so counters still
    /// find theirs.
    public func spending(in currency: Currency) -> Program {
        var copy = self
        copy.points = currency.points
        copy.expiry = currency.expiry
        copy.checkout = currency.checkout
        copy.tiers = nil
        copy.places = []
        copy.transfers = []
        copy.draws = []
        copy.rewards = []
        copy.services = []
        copy.birthday = nil
        copy.anniversary = nil
        copy.currencies = []
        return copy
    }

    /// The program with another id: one preset run once per store (`store-123` from `aliexpress-store`).
    public func instance(id newID: String, name newName: String? = nil) -> Program {
        var copy = self
        copy.id = newID
        if let newName { copy.name = newName }
        return copy
    }
}

/// Where points can be spent.
public enum SpendPlace: String, Sendable, CaseIterable {
    case checkout, rewards, services

    public var phrase: String {
        switch self {
        case .checkout: return "at checkout"
        case .rewards: return "on rewards"
        case .services: return "on services"
        }
    }
}

/// A currency a program keeps beside its points: what it is and is worth, how it expires, and how
/// it pays at checkout. Its balances, lots and holds are the member's own for that currency.
public struct Currency: Sendable {
    public var points: PointsCurrency
    public var expiry: Expiry
    public var checkout: CheckoutPolicy?

    public init(points: PointsCurrency, expiry: Expiry = .none, checkout: CheckoutPolicy? = nil) {
        self.points = points
        self.expiry = expiry
        self.checkout = checkout
    }
}

/// The points a program keeps.
public struct PointsCurrency: Sendable {
    /// A code for the currency: `points`, `level_points`.
    public var code: String
    /// How sentences name it: "points", "level points".
    public var name: String
    /// The places these points can pay; empty when they cannot be spent at all.
    public var spendableAt: [SpendPlace]
    /// The money `valuePoints` points are worth, in minor units of the program's currency.
    public var valuePoints: Int64
    public var valueMinorUnits: Int64
    /// A sentence saying why the points cannot be spent, used when they cannot be spent anywhere.
    public var notSpendableReason: String?

    public init(code: String, name: String, spendableAt: [SpendPlace], valuePoints: Int64 = 1, valueMinorUnits: Int64 = 0,
                notSpendableReason: String? = nil) {
        self.code = code
        self.name = name
        self.spendableAt = spendableAt
        self.valuePoints = valuePoints
        self.valueMinorUnits = valueMinorUnits
        self.notSpendableReason = notSpendableReason
    }

    /// The money value of `points`, in minor units, rounded down.
    public func moneyValue(of points: Int64) -> Int64 {
        guard valuePoints > 0 else { return 0 }
        let (product, overflow) = points.multipliedReportingOverflow(by: valueMinorUnits)
        return overflow ? Int64.max : product / valuePoints
    }
}

/// How one rule computes points from an input.
public enum Earn: Sendable {
    /// A fixed number of points.
    case fixed(Int64)
    /// `points` for each whole `perMinorUnits` of the input's amount, optionally at most `maximum`.
    case perAmount(perMinorUnits: Int64, points: Int64, maximum: Int64?)
    /// `points` for each whole `perMinorUnits` of the member's cumulative counted spend; the remainder
    /// carries to the next order, and refunds and disputes leave the cumulative spend.
    case cumulative(perMinorUnits: Int64, points: Int64)
    /// A daily streak: `start` on the first day, `step` more each consecutive local day, at most
    /// `maximum`; a missed day starts again at `start` (AliExpress coins' check-in).
    case streak(start: Int64, step: Int64, maximum: Int64)
}

/// A limit on a rule's awards within a calendar period.
public struct Cap: Sendable {
    public var period: Period
    /// At most this many awards in the period (all or nothing).
    public var count: Int64?
    /// At most this many points in the period (what room is left is awarded).
    public var points: Int64?

    public init(period: Period, count: Int64? = nil, points: Int64? = nil) {
        self.period = period
        self.count = count
        self.points = points
    }
}

/// What an input must satisfy for a rule to award anything.
public struct Conditions: Sendable {
    /// The least amount that earns, in minor units.
    public var minimumAmount: Int64?
    /// When set, only orders whose `international` flag equals this earn.
    public var international: Bool?
    /// When set, only orders in these categories earn.
    public var categories: [String]?
    /// When set, the input's `order` must be a known, undisputed order of the member with at least
    /// this many minor units left after refunds.
    public var knownOrderMinimum: Int64?

    public init(minimumAmount: Int64? = nil, international: Bool? = nil, categories: [String]? = nil, knownOrderMinimum: Int64? = nil) {
        self.minimumAmount = minimumAmount
        self.international = international
        self.categories = categories
        self.knownOrderMinimum = knownOrderMinimum
    }
}

/// One earning rule: what input it reads, what it awards, and what limits it.
public struct Rule: Sendable {
    public var id: String
    public var on: InputType
    /// How sentences name the inputs this rule rewards: "orders", "reviews", "sign-ins".
    public var label: String
    /// A short name for the rule in explanations: "order points", "daily-order bonus".
    public var title: String
    public var earn: Earn
    public var conditions: Conditions
    public var tierMultiplier: Bool
    public var campaignMultiplier: Bool
    /// Days (of exactly 24 hours) the points stay pending before they can be spent.
    public var pendingDays: Int64?
    /// Instead of a fixed number of days: pending until the shop reports a state of the order.
    public var pendingUntil: PendingRelease?
    public var caps: [Cap]
    /// The data fields that make an award unique for a member (`[order, product]` for reviews).
    public var oncePer: [String]
    /// The program's other currency this rule earns in (its code); nil: the points.
    public var currency: String?

    public init(id: String, on: InputType, label: String, title: String? = nil, earn: Earn, conditions: Conditions = Conditions(),
                tierMultiplier: Bool = false, campaignMultiplier: Bool = false, pendingDays: Int64? = nil,
                pendingUntil: PendingRelease? = nil, caps: [Cap] = [], oncePer: [String] = []) {
        self.id = id
        self.on = on
        self.label = label
        self.title = title ?? id
        self.earn = earn
        self.conditions = conditions
        self.tierMultiplier = tierMultiplier
        self.campaignMultiplier = campaignMultiplier
        self.pendingDays = pendingDays
        self.pendingUntil = pendingUntil
        self.caps = caps
        self.oncePer = oncePer
    }
}

/// What releases an order's pending points, when a fixed number of days does not.
public enum PendingRelease: Sendable, Equatable {
    /// `order.return_window_closed`.
    case returnWindowClosed
    /// `order.delivered`, then this many days (of 24 hours).
    case delivered(days: Int64)
}

/// A promotion that multiplies order points between two local dates (inclusive).
public struct Campaign: Sendable {
    public var id: String
    public var name: String
    public var from: CivilDate
    public var to: CivilDate
    public var multiplier: Ratio
    /// When set, only orders in these categories are multiplied.
    public var categories: [String]?

    public init(id: String, name: String, from: CivilDate, to: CivilDate, multiplier: Ratio, categories: [String]? = nil) {
        self.id = id
        self.name = name
        self.from = from
        self.to = to
        self.multiplier = multiplier
        self.categories = categories
    }
}

/// What happens when several campaigns apply to one order.
public enum CampaignPolicy: String, Sendable {
    /// Only the highest multiplier counts (campaigns do not stack).
    case highest
    /// All multipliers apply, one after the other.
    case multiply
}

/// When points expire.
public enum Expiry: Sendable {
    /// Points never expire.
    case none
    /// Each lot expires this many calendar months after it became available, at the same local time;
    /// a notice is due `noticeDays` before.
    case monthsAfterAvailable(months: Int64, noticeDays: Int64?)
    /// The whole positive balance expires this many days (of 24 h) after the member's last activity.
    case inactivity(days: Int64, noticeDays: Int64?)
    /// Each lot expires at the end of the local month `monthsAfter` months after the one it became
    /// available in (1: points earned in November expire as December ends).
    case endOfMonth(monthsAfter: Int64, noticeDays: Int64?)

    /// Days before a lot's expiry its notice is due, for models that expire lots one by one.
    public var lotNoticeDays: Int64? {
        switch self {
        case let .monthsAfterAvailable(_, notice), let .endOfMonth(_, notice): return notice
        case .none, .inactivity: return nil
        }
    }
}

/// What paying part of an order with points must satisfy.
/// A place beyond the shop where points pay part of a bill, with its own minimum (points) and
/// largest share; the value of points, their multiple and the hold time are the checkout's.
public struct Place: Sendable {
    public var id: String
    public var name: String
    public var minimum: Int64?
    public var maximumSharePercent: Int64

    public init(id: String, name: String, minimum: Int64? = nil, maximumSharePercent: Int64) {
        self.id = id
        self.name = name
        self.minimum = minimum
        self.maximumSharePercent = maximumSharePercent
    }
}

/// A lucky draw: entries cost points between `opens` and `closes`; at `drawAt` the seed committed
/// (by its SHA-256) before entries close is revealed and the winners follow from it.
public struct Draw: Sendable {
    public struct Prize: Sendable {
        public var id: String
        public var name: String
        public var count: Int64
        public var valueMinorUnits: Int64?
        public var codePrefix: String?

        public init(id: String, name: String, count: Int64, valueMinorUnits: Int64? = nil, codePrefix: String? = nil) {
            self.id = id
            self.name = name
            self.count = count
            self.valueMinorUnits = valueMinorUnits
            self.codePrefix = codePrefix
        }
    }

    public var id: String
    public var name: String
    public var entryCost: Int64
    /// At most this many entries per member; nil means no limit.
    public var entriesPerMember: Int64?
    public var opens: Instant
    public var closes: Instant
    public var drawAt: Instant
    /// The prizes in the order they are drawn; each unit is one draw (a slot).
    public var prizes: [Prize]

    public init(id: String, name: String, entryCost: Int64, entriesPerMember: Int64?, opens: Instant, closes: Instant, drawAt: Instant,
                prizes: [Prize]) {
        self.id = id
        self.name = name
        self.entryCost = entryCost
        self.entriesPerMember = entriesPerMember
        self.opens = opens
        self.closes = closes
        self.drawAt = drawAt
        self.prizes = prizes
    }

    /// One prize per slot, in drawing order.
    public var slots: [Prize] { prizes.flatMap { prize in Array(repeating: prize, count: Int(prize.count)) } }
}

/// A window in which members may transfer points to a partner program at a rate.
public struct Transfer: Sendable {
    public var id: String
    /// What the partner's units are called: "JD Airlines miles".
    public var partner: String
    /// `points` points become `units` of the partner's.
    public var points: Int64
    public var units: Int64
    public var minimum: Int64
    /// Points per member per local day; nil means no limit.
    public var dailyLimit: Int64?
    /// The window, local dates, both included.
    public var from: CivilDate
    public var to: CivilDate

    public init(id: String, partner: String, points: Int64, units: Int64, minimum: Int64, dailyLimit: Int64?, from: CivilDate, to: CivilDate) {
        self.id = id
        self.partner = partner
        self.points = points
        self.units = units
        self.minimum = minimum
        self.dailyLimit = dailyLimit
        self.from = from
        self.to = to
    }
}

public struct CheckoutPolicy: Sendable {
    public var minimum: Int64
    public var multiple: Int64?
    /// The largest share of an order, in percent, that points may pay (all redemptions together).
    public var maximumSharePercent: Int64
    /// Minutes a checkout hold stays open before it is released by itself; nil means until the
    /// shop captures or releases it.
    public var holdMinutes: Int64?

    public init(minimum: Int64, multiple: Int64? = nil, maximumSharePercent: Int64, holdMinutes: Int64? = nil) {
        self.minimum = minimum
        self.multiple = multiple
        self.maximumSharePercent = maximumSharePercent
        self.holdMinutes = holdMinutes
    }
}

/// A coupon the program issues (a level-up, birthday or anniversary coupon).
public struct CouponGrant: Sendable {
    public var id: String
    public var name: String
    /// Its face value in minor units of the program's currency.
    public var valueMinorUnits: Int64

    public init(id: String, name: String, valueMinorUnits: Int64) {
        self.id = id
        self.name = name
        self.valueMinorUnits = valueMinorUnits
    }
}

/// The coupon each anniversary of joining brings: one value, or a value per level (a level not
/// listed gets none).
public struct AnniversaryGrant: Sendable {
    public var id: String
    public var name: String
    public var valueMinorUnits: Int64?
    public var byLevel: [(level: String, valueMinorUnits: Int64)]

    public init(id: String, name: String, valueMinorUnits: Int64? = nil, byLevel: [(level: String, valueMinorUnits: Int64)] = []) {
        self.id = id
        self.name = name
        self.valueMinorUnits = valueMinorUnits
        self.byLevel = byLevel
    }

    /// The coupon's value for a member at `level`, or nil when that level gets none.
    public func value(for level: String?) -> Int64? {
        if let valueMinorUnits { return valueMinorUnits }
        return byLevel.first { $0.level == level }?.valueMinorUnits
    }
}

/// One tier or level.
public struct Level: Sendable {
    public var id: String
    public var name: String
    /// The least qualifying total for this level.
    public var threshold: Int64
    /// Multiplies order points of rules that use the tier multiplier.
    public var multiplier: Ratio
    /// Issued when a member rises to this level.
    public var reward: CouponGrant?
    /// What the level gives, for the member page.
    public var benefits: [String]

    public init(id: String, name: String? = nil, threshold: Int64, multiplier: Ratio = .one, reward: CouponGrant? = nil, benefits: [String] = []) {
        self.id = id
        self.name = name ?? id
        self.threshold = threshold
        self.multiplier = multiplier
        self.reward = reward
        self.benefits = benefits
    }
}

/// How members move between tiers or levels.
public enum TierBasis: Sendable {
    /// Points that became available in the local calendar year; upgrade at once when a threshold is
    /// crossed; on 1 January the tier falls back to what last year's total qualifies for.
    case calendarYear
    /// At 00:00 on the 1st of each month the points of the `months` calendar months just ended are
    /// counted; the level takes effect at 00:00 on day `effectiveDay` of that month.
    case rollingMonths(months: Int64, effectiveDay: Int64)
}

public struct Tiers: Sendable {
    public var basis: TierBasis
    /// Levels in increasing threshold order; the first has threshold 0.
    public var levels: [Level]

    public init(basis: TierBasis, levels: [Level]) {
        self.basis = basis
        self.levels = levels
    }

    /// The highest level whose threshold `total` reaches.
    public func level(for total: Int64) -> Int {
        var index = 0
        for (i, level) in levels.enumerated() where total >= level.threshold { index = i }
        return index
    }

    public func index(of id: String?) -> Int? {
        guard let id else { return nil }
        return levels.firstIndex(where: { $0.id == id })
    }
}

/// A catalogue reward bought with points.
public struct Reward: Sendable {
    public enum Kind: String, Sendable { case voucher, drawEntry = "draw_entry", item }
    public var id: String
    public var name: String
    public var kind: Kind
    public var cost: Int64
    /// Units in stock for the whole program; nil means unlimited.
    public var stock: Int64?
    /// At most this many claims per member per period.
    public var limitCount: Int64?
    public var limitPeriod: Period?
    /// The voucher code's prefix and face value, for vouchers.
    public var codePrefix: String?
    public var valueMinorUnits: Int64?
    /// Whether a member may give a claimed one to another member (points themselves never move).
    public var giftable: Bool = false

    public init(id: String, name: String, kind: Kind, cost: Int64, stock: Int64? = nil, limitCount: Int64? = nil,
                limitPeriod: Period? = nil, codePrefix: String? = nil, valueMinorUnits: Int64? = nil) {
        self.id = id
        self.name = name
        self.kind = kind
        self.cost = cost
        self.stock = stock
        self.limitCount = limitCount
        self.limitPeriod = limitPeriod
        self.codePrefix = codePrefix
        self.valueMinorUnits = valueMinorUnits
    }
}

/// A service booked with points (an airport pickup, hotel nights).
public struct Service: Sendable {
    public var id: String
    public var name: String
    /// Points per unit.
    public var cost: Int64
    /// The data field that counts units (`nights`, `meals`, `days`); nil when each booking is one unit.
    public var unit: String?
    /// When set, the booking must name one of these airports.
    public var airports: [String]?
    /// A sentence explaining the airport constraint: "within a 2-hour drive of the Hangzhou office".
    public var airportRule: String?

    public init(id: String, name: String, cost: Int64, unit: String? = nil, airports: [String]? = nil, airportRule: String? = nil) {
        self.id = id
        self.name = name
        self.cost = cost
        self.unit = unit
        self.airports = airports
        self.airportRule = airportRule
    }
}
