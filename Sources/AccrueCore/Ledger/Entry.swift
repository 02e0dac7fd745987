/// What a ledger entry records. Each kind has one effect on a member's lots, debt, holds or tier;
/// `Audit.rebuild` applies exactly these effects to check the state.
public enum EntryKind: String, Sendable, Codable, CaseIterable {
    /// A new lot of pending points (`points` > 0).
    case earnPending = "earn_pending"
    /// A new lot of available points (`points` > 0).
    case earn
    /// A pending lot became available (`points` moved from pending to available).
    case release
    /// Pending points cancelled by a refund or dispute (`points` < 0, from a pending lot).
    case cancelPending = "cancel_pending"
    /// Points taken back by a refund or dispute (`points` < 0, from a lot or, without a lot, below zero).
    case reverse
    /// Points spent at checkout or on a reward (`points` < 0, from a lot).
    case spend
    /// Points moved from a lot into a hold (`points` < 0).
    case hold
    /// Held points spent for good (`points` is the amount; balances do not change).
    case capture
    /// Held points returned to their lot (`points` > 0).
    case holdRelease = "hold_release"
    /// Points of a lot expired (`points` < 0).
    case expire
    /// New points that paid off a negative balance (`points` < 0 from the lot, debt reduced by as much).
    case payDebt = "pay_debt"
    /// An operator's correction (`points` signed; positive makes a lot, negative takes from one).
    case adjust
    /// The tier or level changed (`tier` is the new one; no points).
    case tierChange = "tier_change"
    /// A level was counted and will take effect later (`tier` is the coming one; no points).
    case tierScheduled = "tier_scheduled"
    /// A coupon or voucher was issued (`code`; no points), or received as a gift.
    case coupon
    /// A coupon or voucher was given to another member (`code`; no points): it leaves this member.
    case couponGiven = "coupon_given"
    /// Points of a lot will expire soon (`points` is how many; no change).
    case expiryNotice = "expiry_notice"
}

/// One line of the append-only ledger.
public struct Entry: Sendable, Codable, Hashable {
    /// Position in the program's ledger, shared with inputs: strictly increasing.
    public var seq: Int64
    public var member: String
    public var at: Instant
    public var kind: EntryKind
    public var points: Int64
    /// The lot the points came from or went to.
    public var lot: Int64?
    /// The hold, for hold, capture and release entries.
    public var hold: String?
    /// The input that caused the entry; nil for due work (release, expiry, tier counts).
    public var input: String?
    /// The rule of an award.
    public var rule: String?
    /// The lot's expiry after this entry (earn, release, hold release), for the rebuild.
    public var expiresAt: Instant?
    /// When a pending lot becomes available.
    public var availableAt: Instant?
    public var tier: String?
    public var code: String?
    /// A sentence for the member's history.
    public var reason: String
    /// The program's other currency the points are in (its code); nil: the points.
    public var currency: String?

    public init(seq: Int64, member: String, at: Instant, kind: EntryKind, points: Int64, lot: Int64? = nil, hold: String? = nil,
                input: String? = nil, rule: String? = nil, expiresAt: Instant? = nil, availableAt: Instant? = nil,
                tier: String? = nil, code: String? = nil, reason: String, currency: String? = nil) {
        self.currency = currency
        self.seq = seq
        self.member = member
        self.at = at
        self.kind = kind
        self.points = points
        self.lot = lot
        self.hold = hold
        self.input = input
        self.rule = rule
        self.expiresAt = expiresAt
        self.availableAt = availableAt
        self.tier = tier
        self.code = code
        self.reason = reason
    }
}
