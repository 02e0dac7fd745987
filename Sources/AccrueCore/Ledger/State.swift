/// A lot: points from one award or adjustment, with their own availability and expiry.
public struct Lot: Sendable, Codable, Equatable {
    public var id: Int64
    /// Points left in the lot.
    public var remaining: Int64
    /// True while the points are pending (not yet spendable).
    public var pending: Bool
    /// When the points became (or will become) available.
    public var availableAt: Instant
    /// When what remains expires; nil when it never does (or while pending).
    public var expiresAt: Instant?
    /// The order and rule of the award, when the lot comes from an order.
    public var order: String?
    public var rule: String?
    /// Whether the expiring-soon notice for this lot was given.
    public var noticed: Bool = false
}

/// Points reserved by a booking or a checkout, with the lots they came from.
public struct Hold: Sendable, Codable, Equatable {
    public struct Part: Sendable, Codable, Equatable {
        public var lot: Int64
        public var points: Int64
        public var availableAt: Instant
        public var expiresAt: Instant?
        /// The order and rule of the lot, kept so that a lot re-made on release stays the award's.
        public var order: String? = nil
        public var rule: String? = nil
    }
    public var id: String
    public var points: Int64
    public var parts: [Part]
    /// The order a checkout hold is for.
    public var order: String?
    /// When a checkout hold not captured by then is released by itself.
    public var expiresAt: Instant?

    /// Hold ids of bookings and of checkout holds live in one namespace per member.
    public static func bookingID(_ booking: String) -> String { "booking:" + booking }
    public static func checkoutID(_ hold: String) -> String { "checkout:" + hold }
}

/// A coupon or voucher issued to a member.
public struct Coupon: Sendable, Codable, Equatable {
    public var reward: String
    public var name: String
    public var code: String
    public var valueMinorUnits: Int64?
    public var issuedAt: Instant
}

/// Which cap counter: a rule's cap (by position) in one numbered period.
public struct CapKey: Sendable, Codable, Hashable {
    public var rule: String
    public var cap: Int
    public var period: Int64
}

/// A counter of one cap in one period.
public struct CapCounter: Sendable, Codable, Equatable {
    public var count: Int64
    public var points: Int64
}

/// The cumulative spend behind a cumulative rule (1 point per whole 50.00 spent, across orders).
public struct CumulativeSpend: Sendable, Codable, Equatable {
    public var countedMinorUnits: Int64
    public var awarded: Int64
}

/// One member's state in one program. Everything here can be rebuilt from the ledger's entries
/// (lots, debt, holds, tier) or from the input log (counters).
public struct MemberState: Sendable, Codable, Equatable {
    public var id: String
    public var joinedAt: Instant
    public var guest: Bool = false
    public var birthday: CivilDate?
    /// Lots with points left or still pending, soonest-expiring first when spent.
    public var lots: [Lot] = []
    /// Points owed after a reversal took back points already spent; paid by the next points.
    public var debt: Int64 = 0
    public var holds: [Hold] = []
    /// The tier or level in effect; nil when the program has none.
    public var tier: String?
    /// The level counted on the 1st that takes effect later, and when.
    public var nextTier: String?
    public var nextTierAt: Instant?
    /// Qualifying points per local year (calendar-year tiers) or per month index (rolling tiers).
    public var qualifying: [Int64: Int64] = [:]
    /// Cap counters of the periods still open.
    public var counters: [CapKey: CapCounter] = [:]
    /// Keys of one-time awards already made (`rule|order|product`).
    public var awarded: Set<String> = []
    public var cumulative: [String: CumulativeSpend] = [:]
    /// Points redeemed at checkout per order.
    public var redeemed: [String: Int64] = [:]
    /// The order amount the first redemption on each order named (minor units).
    public var checkoutAmounts: [String: Int64] = [:]
    /// Reward claims per `reward#period`.
    public var claims: [String: Int64] = [:]
    public var coupons: [Coupon] = []
    /// The last earning, spending or adjustment (for inactivity expiry).
    public var lastActivity: Instant?
    /// The inactivity expiry an expiring-soon notice was given for.
    public var inactivityNoticeFor: Instant?
    /// The last local year a birthday coupon was issued.
    public var birthdayYear: Int64?

    public init(id: String, joinedAt: Instant) {
        self.id = id
        self.joinedAt = joinedAt
    }

    /// Points the member can spend now (negative when a reversal took back spent points).
    public var balance: Int64 { lots.reduce(0) { $0 + ($1.pending ? 0 : $1.remaining) } - debt }
    /// Points not yet available.
    public var pending: Int64 { lots.reduce(0) { $0 + ($1.pending ? $1.remaining : 0) } }
    /// Points reserved by holds.
    public var held: Int64 { holds.reduce(0) { $0 + $1.points } }
}

/// What the program remembers of a completed order.
public struct OrderRecord: Sendable, Codable, Equatable {
    public struct Award: Sendable, Codable, Equatable {
        public var rule: String
        public var points: Int64
        public var lot: Int64?
        /// The multiplier in effect when the order was completed.
        public var multiplier: Ratio
        /// Where the award's available points were counted toward the tier (year or month index).
        public var countedIn: Int64?
        /// Points of the award that expired unspent: a later reversal takes these back without
        /// touching other points, since they are already gone.
        public var expired: Int64 = 0
    }
    public var id: String
    public var member: String
    public var at: Instant
    public var amount: Int64
    public var refunded: Int64 = 0
    public var disputed: Bool = false
    public var guest: Bool = false
    /// Whether the amount counts toward a cumulative rule.
    public var countedCumulative: Bool = false
    public var category: String?
    public var awards: [Award] = []

    public var remaining: Int64 { amount - refunded }
}

/// A booking of services for points.
public struct Booking: Sendable, Codable, Equatable {
    public enum Status: String, Sendable, Codable { case held, confirmed, rejected, cancelled }
    public var id: String
    public var member: String
    public var quote: Int64
    public var status: Status
    public var requestedAt: Instant
    public var services: [String]
}

/// The whole state of one program: members, orders, bookings and the clock. The state machine
/// (`Engine`) is the only thing that changes it.
public struct ProgramState: Sendable, Codable, Equatable {
    /// The time due work has run up to; nil before the first input.
    public var clock: Instant?
    public var nextLot: Int64 = 1
    public var nextSeq: Int64 = 1
    public var members: [String: MemberState] = [:]
    public var orders: [String: OrderRecord] = [:]
    public var bookings: [String: Booking] = [:]
    /// Units of each reward issued, for stock.
    public var issued: [String: Int64] = [:]
    /// The next program-wide due work: tier year start, monthly count, level effective date.
    public var nextYearStart: Instant?
    public var nextCount: Instant?
    public var nextEffective: Instant?

    public init() {}
}
