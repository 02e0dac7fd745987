/// The closed set of reasons an input is refused or earns nothing. The code is stable (it is what
/// integrations match on); the sentence is for shoppers.
public enum ReasonCode: String, Sendable, Codable, CaseIterable {
    // Refusals: the input changed nothing but the member's enrolment.
    case malformedInput = "malformed_input"
    case invalidEnvelope = "invalid_envelope"
    case unknownType = "unknown_type"
    case unknownField = "unknown_field"
    case missingField = "missing_field"
    case invalidField = "invalid_field"
    case invalidMoney = "invalid_money"
    case amountTooLarge = "amount_too_large"
    case limitExceeded = "limit_exceeded"
    case wrongCurrency = "wrong_currency"
    case conflict = "conflict"
    case orderAlreadyCompleted = "order_already_completed"
    case unknownOrder = "unknown_order"
    case orderOfAnotherMember = "order_of_another_member"
    case orderDisputed = "order_disputed"
    case refundTooLarge = "refund_too_large"
    case notSpendable = "not_spendable"
    case belowMinimum = "below_minimum"
    case notMultiple = "not_a_multiple"
    case shareExceeded = "share_exceeded"
    case orderAmountChanged = "order_amount_changed"
    case insufficientPoints = "insufficient_points"
    case unknownReward = "unknown_reward"
    case outOfStock = "out_of_stock"
    case rewardLimitReached = "reward_limit_reached"
    case unknownService = "unknown_service"
    case airportNotAllowed = "airport_not_allowed"
    case bookingExists = "booking_exists"
    case unknownBooking = "unknown_booking"
    case bookingOfAnotherMember = "booking_of_another_member"
    case bookingNotHeld = "booking_not_held"
    case holdExists = "hold_exists"
    case unknownHold = "unknown_hold"
    case unknownPlace = "unknown_place"
    case unknownCurrency = "unknown_currency"
    case notTransferable = "not_transferable"
    case unknownCoupon = "unknown_coupon"
    case unknownDraw = "unknown_draw"
    case drawNotCommitted = "draw_not_committed"
    case drawAlreadyCommitted = "draw_already_committed"
    case drawClosed = "draw_closed"
    case drawEntryLimit = "draw_entry_limit"
    case drawNotDue = "draw_not_due"
    case drawAlreadyDrawn = "draw_already_drawn"
    case drawCancelled = "draw_cancelled"
    case seedMismatch = "seed_mismatch"
    case notGiftable = "not_giftable"
    case unknownTransfer = "unknown_transfer"
    case transferClosed = "transfer_closed"
    case transferLimitReached = "transfer_limit_reached"
    case belowZero = "below_zero"
    case overflow = "overflow"
    // Applied inputs that earned nothing, or less than a rule's full value.
    case noRule = "no_rule"
    case guest = "guest"
    case excludedSeller = "excluded_seller"
    case noOpenDispute = "no_open_dispute"
    case orderStateRepeated = "order_state_repeated"
    case sellerNotParticipating = "seller_not_participating"
    case international = "international"
    case category = "category"
    case minimumAmount = "minimum_amount"
    case orderNotKnown = "order_not_known"
    case alreadyAwarded = "already_awarded"
    case capReached = "cap_reached"
    case nothingToRecompute = "nothing_to_recompute"
    case zeroPoints = "zero_points"
    case duplicate = "duplicate"
}

/// A reason: a stable code and a sentence a shopper can read.
public struct Reason: Sendable, Equatable, Codable, Error {
    public var code: ReasonCode
    public var message: String

    public init(_ code: ReasonCode, _ message: String) {
        self.code = code
        self.message = message
    }
}

/// What an input did.
public enum OutcomeStatus: String, Sendable, Codable {
    case applied, refused, duplicate
}

/// One rule's part in an outcome: what it awarded and, when less than its full value, why.
public struct RuleResult: Sendable, Codable, Equatable {
    public var rule: String
    public var points: Int64
    public var reason: String?
    public var code: ReasonCode?
    /// The program's other currency the rule earns in; nil: the points.
    public var currency: String?
}

/// The answer to one input.
public struct Outcome: Sendable, Codable, Equatable {
    public var id: String?
    public var status: OutcomeStatus
    /// The change the input made to the member's points, pending included; negative for spending,
    /// holds and reversals.
    public var points: Int64
    /// A sentence saying why the input was refused, earned nothing, or earned less than it could.
    public var reason: String?
    public var code: ReasonCode?
    public var member: String?
    public var type: String?
    public var at: Instant?
    /// The rules that matched the input and what each did.
    public var rules: [RuleResult]?
    /// A voucher code, a booking quote: what the input produced besides points.
    public var voucher: String?
    public var quote: Int64?
    /// For a duplicate: the status of the first outcome under this id.
    public var first: OutcomeStatus?
    /// The input's position in the program's ledger (shared with entries), for ordering history.
    public var seq: Int64?
    /// For an input spent, held or adjusted in another of the program's currencies: its code
    /// (`points` is then in that currency).
    public var currency: String?
    /// What an input earned in the program's other currencies, by code (besides `points`).
    public var currencies: [String: Int64]?

    public init(id: String?, status: OutcomeStatus, points: Int64 = 0, reason: String? = nil, code: ReasonCode? = nil,
                member: String? = nil, type: String? = nil, at: Instant? = nil) {
        self.id = id
        self.status = status
        self.points = points
        self.reason = reason
        self.code = code
        self.member = member
        self.type = type
        self.at = at
    }
}

/// What a store remembers of an input it has seen, to answer it again.
public struct InputRecord: Sendable, Codable, Equatable {
    public var canonical: String
    public var outcome: Outcome

    public init(canonical: String, outcome: Outcome) {
        self.canonical = canonical
        self.outcome = outcome
    }
}
