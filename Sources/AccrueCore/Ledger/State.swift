/// A lot: points from one award or adjustment, with their own availability and expiry.
///
/// Stored fields are laid out widest first: 72 bytes a lot instead of 88 in the order they are
/// coded in (a member keeps every lot with points left). The initializer and the coding keep
/// that order.
public struct Lot: Sendable, Codable, Equatable {
    public var id: Int64
    /// Points left in the lot.
    public var remaining: Int64
    /// When the points became (or will become) available.
    public var availableAt: Instant
    /// The order and rule of the award, when the lot comes from an order.
    public var order: String?
    public var rule: String?
    /// When what remains expires; nil when it never does (or while pending).
    public var expiresAt: Instant?
    /// True while the points are pending (not yet spendable).
    public var pending: Bool
    /// Whether the expiring-soon notice for this lot was given.
    public var noticed: Bool
    /// For pending points released by the order's state rather than a time: what they wait for
    /// (`return_window`, `delivery`, or `dispute` while a dispute is open). `availableAt` is
    /// `Instant.never` until the time is known.
    public var waitsFor: PendingWait?

    enum CodingKeys: String, CodingKey {
        case id, remaining, pending, availableAt, expiresAt, order, rule, noticed, waitsFor
    }

    public init(id: Int64, remaining: Int64, pending: Bool, availableAt: Instant, expiresAt: Instant? = nil, order: String? = nil,
                rule: String? = nil, noticed: Bool = false, waitsFor: PendingWait? = nil) {
        self.id = id
        self.remaining = remaining
        self.availableAt = availableAt
        self.order = order
        self.rule = rule
        self.expiresAt = expiresAt
        self.pending = pending
        self.noticed = noticed
        self.waitsFor = waitsFor
    }
}

/// What pending points wait for when no time releases them.
public enum PendingWait: String, Sendable, Codable {
    case returnWindow = "return_window"
    case delivery
    case dispute

    /// What a rule's order-state release waits for first.
    public init(_ until: PendingRelease) {
        self = until == .returnWindowClosed ? .returnWindow : .delivery
    }
}

extension Instant {
    /// A time that never comes: a pending lot's availability before the order's state is known.
    public static let never = Instant(milliseconds: Int64.max)
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
    /// A draw entry's points are held until the draw (then spent) or its cancellation (then returned).
    public static func drawID(_ draw: String, firstTicket: Int) -> String { "draw:\(draw):\(firstTicket)" }
    public static func drawPrefix(_ draw: String) -> String { "draw:\(draw):" }
    /// The draw of a draw hold's id (`draw:<draw>:<first ticket>`), or nil for another hold.
    public static func draw(ofID id: String) -> String? {
        guard id.hasPrefix("draw:") else { return nil }
        let rest = id.dropFirst("draw:".count)
        return String(rest[..<(rest.lastIndex(of: ":") ?? rest.endIndex)])
    }
}

/// A coupon or voucher issued to a member.
public struct Coupon: Sendable, Codable, Equatable {
    public var reward: String
    public var name: String
    public var code: String
    public var valueMinorUnits: Int64?
    public var issuedAt: Instant
}

/// A run of consecutive local days with a streak rule's award.
public struct Streak: Sendable, Codable, Equatable {
    public var lastDay: Int64
    public var length: Int64
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

/// What a member holds in one of the program's other currencies: the same parts a member holds in
/// points, kept apart so that each currency has its own balance, expiry and checkout share.
public struct Wallet: Sendable, Codable, Equatable {
    public var lots = Lots()
    public var debt: Int64 = 0
    public var holds: [Hold] = []
    public var redeemed: [String: Int64] = [:]

    public init() {}

    public var balance: Int64 { lots.availableTotal - debt }
    public var pending: Int64 { lots.pendingTotal }
    public var held: Int64 { holds.reduce(0) { $0 + $1.points } }
    public var isEmpty: Bool { lots.isEmpty && debt == 0 && holds.isEmpty && redeemed.isEmpty }
}

/// One member's state in one program. Everything here can be rebuilt from the ledger's entries
/// (lots, debt, holds, tier) or from the input log (counters).
///
/// The fields most members never set (`MemberExtras`: holds, one-time award keys, redemptions,
/// coupons, claims, next tier, birthday and anniversary years, streaks, wallets...) live behind one
/// copy-on-write reference, nil while they all hold their defaults: a member is a slot in its
/// program's dictionary, and the slot was 320 bytes with the table half empty. The properties
/// read and write them as if they were stored here.
public struct MemberState: Sendable, Equatable, Keyed {
    public var id: String
    public var joinedAt: Instant
    public var birthday: CivilDate?
    /// Lots with points left or still pending, soonest-expiring first when spent.
    public var lots = Lots()
    /// Points owed after a reversal took back points already spent; paid by the next points.
    public var debt: Int64 = 0
    /// The tier or level in effect; nil when the program has none.
    public var tier: String?
    /// Qualifying points per local year (calendar-year tiers) or per month index (rolling tiers).
    public var qualifying: [Int64: Int64] = [:]
    /// Cap counters of the periods still open.
    public var counters: [CapKey: CapCounter] = [:]
    public var cumulative: [String: CumulativeSpend] = [:]
    /// The last earning, spending or adjustment (for inactivity expiry).
    public var lastActivity: Instant?
    /// The rarely set fields; nil while every one holds its default.
    private var extras: ExtrasBox?

    public init(id: String, joinedAt: Instant) {
        self.id = id
        self.joinedAt = joinedAt
    }

    public var guest: Bool {
        get { extras?.value.guest ?? false }
        _modify { let box = writableExtras(); defer { dropEmptyExtras() }; yield &box.value.guest }
        set { setExtra(\.guest, newValue) }
    }
    public var holds: [Hold] {
        get { extras?.value.holds ?? [] }
        _modify { let box = writableExtras(); defer { dropEmptyExtras() }; yield &box.value.holds }
        set { setExtra(\.holds, newValue) }
    }
    /// The level counted on the 1st that takes effect later, and when.
    public var nextTier: String? {
        get { extras?.value.nextTier }
        _modify { let box = writableExtras(); defer { dropEmptyExtras() }; yield &box.value.nextTier }
        set { setExtra(\.nextTier, newValue) }
    }
    public var nextTierAt: Instant? {
        get { extras?.value.nextTierAt }
        _modify { let box = writableExtras(); defer { dropEmptyExtras() }; yield &box.value.nextTierAt }
        set { setExtra(\.nextTierAt, newValue) }
    }
    /// Keys of one-time awards already made (`rule|order|product`).
    public var awarded: Set<String> {
        get { extras?.value.awarded ?? [] }
        _modify { let box = writableExtras(); defer { dropEmptyExtras() }; yield &box.value.awarded }
        set { setExtra(\.awarded, newValue) }
    }
    /// Points redeemed at checkout per order.
    public var redeemed: [String: Int64] {
        get { extras?.value.redeemed ?? [:] }
        _modify { let box = writableExtras(); defer { dropEmptyExtras() }; yield &box.value.redeemed }
        set { setExtra(\.redeemed, newValue) }
    }
    /// The order amount the first redemption on each order named (minor units).
    public var checkoutAmounts: [String: Int64] {
        get { extras?.value.checkoutAmounts ?? [:] }
        _modify { let box = writableExtras(); defer { dropEmptyExtras() }; yield &box.value.checkoutAmounts }
        set { setExtra(\.checkoutAmounts, newValue) }
    }
    /// Reward claims per `reward#period`, and points transferred per `transfer#day` (`>` prefix).
    public var claims: [String: Int64] {
        get { extras?.value.claims ?? [:] }
        _modify { let box = writableExtras(); defer { dropEmptyExtras() }; yield &box.value.claims }
        set { setExtra(\.claims, newValue) }
    }
    public var coupons: [Coupon] {
        get { extras?.value.coupons ?? [] }
        _modify { let box = writableExtras(); defer { dropEmptyExtras() }; yield &box.value.coupons }
        set { setExtra(\.coupons, newValue) }
    }
    /// The inactivity expiry an expiring-soon notice was given for.
    public var inactivityNoticeFor: Instant? {
        get { extras?.value.inactivityNoticeFor }
        _modify { let box = writableExtras(); defer { dropEmptyExtras() }; yield &box.value.inactivityNoticeFor }
        set { setExtra(\.inactivityNoticeFor, newValue) }
    }
    /// The last local year a birthday coupon was issued.
    public var birthdayYear: Int64? {
        get { extras?.value.birthdayYear }
        _modify { let box = writableExtras(); defer { dropEmptyExtras() }; yield &box.value.birthdayYear }
        set { setExtra(\.birthdayYear, newValue) }
    }
    /// The last local year an anniversary of joining was celebrated.
    public var anniversaryYear: Int64? {
        get { extras?.value.anniversaryYear }
        _modify { let box = writableExtras(); defer { dropEmptyExtras() }; yield &box.value.anniversaryYear }
        set { setExtra(\.anniversaryYear, newValue) }
    }
    /// Daily streaks per rule: the last local day counted (days since 1970-01-01) and the length.
    public var streaks: [String: Streak]? {
        get { extras?.value.streaks }
        _modify { let box = writableExtras(); defer { dropEmptyExtras() }; yield &box.value.streaks }
        set { setExtra(\.streaks, newValue) }
    }
    /// The member's lots, debt, holds and checkout redemptions in each of the program's other
    /// currencies, by code (nil until the member has any).
    public var wallets: [String: Wallet]? {
        get { extras?.value.wallets }
        _modify { let box = writableExtras(); defer { dropEmptyExtras() }; yield &box.value.wallets }
        set { setExtra(\.wallets, newValue) }
    }

    /// The box of rare fields, made or copied so that this member alone holds it.
    private mutating func writableExtras() -> ExtrasBox {
        if extras == nil {
            extras = ExtrasBox(MemberExtras())
        } else if !isKnownUniquelyReferenced(&extras) {
            extras = ExtrasBox(extras!.value)
        }
        return extras!
    }

    /// Sets a rare field; setting a default where there is no box makes none (a load sets every
    /// field of every member).
    private mutating func setExtra<Value: Equatable>(_ field: WritableKeyPath<MemberExtras, Value>, _ value: Value) {
        if extras == nil, value == MemberExtras()[keyPath: field] { return }
        writableExtras().value[keyPath: field] = value
        dropEmptyExtras()
    }

    /// After a change: no box while every rare field holds its default.
    private mutating func dropEmptyExtras() {
        if let box = extras, box.value == MemberExtras() { extras = nil }
    }

    public static func == (lhs: MemberState, rhs: MemberState) -> Bool {
        lhs.id == rhs.id && lhs.joinedAt == rhs.joinedAt && lhs.birthday == rhs.birthday && lhs.lots == rhs.lots
            && lhs.debt == rhs.debt && lhs.tier == rhs.tier && lhs.qualifying == rhs.qualifying && lhs.counters == rhs.counters
            && lhs.cumulative == rhs.cumulative && lhs.lastActivity == rhs.lastActivity
            && (lhs.extras === rhs.extras || (lhs.extras?.value ?? MemberExtras()) == (rhs.extras?.value ?? MemberExtras()))
    }

    /// The names of every stored field, the rare ones by their own names: what the stored form
    /// must write (a test checks the writers know them all).
    public static var storedFieldNames: Set<String> {
        let member = MemberState(id: "", joinedAt: Instant(milliseconds: 0))
        let direct = Mirror(reflecting: member).children.compactMap(\.label).filter { $0 != "extras" }
        return Set(direct + Mirror(reflecting: MemberExtras()).children.compactMap(\.label))
    }

    /// Points the member can spend now (negative when a reversal took back spent points).
    public var balance: Int64 { lots.availableTotal - debt }
    /// Points not yet available.
    public var pending: Int64 { lots.pendingTotal }
    /// Points reserved by holds.
    public var held: Int64 { holds.reduce(0) { $0 + $1.points } }

    /// What the member holds in another currency (empty when nothing).
    public func wallet(_ code: String) -> Wallet { wallets?[code] ?? Wallet() }

    /// The member as another currency sees them: that currency's lots, debt, holds and
    /// redemptions where the points' are (for views of that currency).
    public func inCurrency(_ code: String) -> MemberState {
        var copy = self
        copy.exchangeWallet(code)
        return copy
    }

    /// Exchanges the points' lots, debt, holds and redemptions with those of the currency `code`:
    /// the engine works on another currency with the same code it uses for points, between two
    /// calls. An empty wallet is not kept.
    mutating func exchangeWallet(_ code: String) {
        var wallet = wallets?[code] ?? Wallet()
        swap(&lots, &wallet.lots)
        swap(&debt, &wallet.debt)
        swap(&holds, &wallet.holds)
        swap(&redeemed, &wallet.redeemed)
        if wallet.isEmpty {
            wallets?[code] = nil
            if wallets?.isEmpty ?? false { wallets = nil }
        } else {
            wallets = (wallets ?? [:]).merging([code: wallet]) { $1 }
        }
    }
}

/// A member's lots: an array that keeps its available and pending totals as lots change, so that
/// a balance is read in constant time however many lots a member holds, finds a lot by id in
/// O(log n), gives the lot a spend takes first from a heap, and drops spent lots from its front
/// without moving the rest. It is stored and compared as the plain array of lots; all else is derived.
public struct Lots: Sendable, Equatable, Codable, RandomAccessCollection, MutableCollection, RangeReplaceableCollection,
    ExpressibleByArrayLiteral {
    /// The lots are `storage[head...]`: removing lots at the front only moves `head`, and the
    /// storage is compacted once the dropped part is large.
    private var storage: [Lot] = []
    private var head = 0
    /// The points left in available lots.
    public private(set) var availableTotal: Int64 = 0
    /// The points left in pending lots.
    public private(set) var pendingTotal: Int64 = 0
    /// Lots are created with increasing ids and kept in that order (a returned hold's lot goes back
    /// to its place), so a lot is found by binary search. Should that order ever be broken, the
    /// look-ups fall back to a scan rather than miss.
    private var unordered = false
    /// Spendable lots (available, points left) by (expiry, id), soonest first: a min-heap with lazy
    /// deletion. An entry is pushed whenever a lot becomes spendable or its expiry changes; entries
    /// of lots that were spent, removed or changed are dropped when they reach the top.
    private var spendOrder = MinHeap<SpendKey>()

    struct SpendKey: Sendable, Comparable {
        var expires: Int64
        var id: Int64
        static func < (a: SpendKey, b: SpendKey) -> Bool { (a.expires, a.id) < (b.expires, b.id) }
    }

    public init() {}

    public init(arrayLiteral elements: Lot...) {
        self.init(elements)
    }

    public init(from decoder: any Decoder) throws {
        self.init(try [Lot](from: decoder))
    }

    public func encode(to encoder: any Encoder) throws {
        try Array(storage[head...]).encode(to: encoder)
    }

    public static func == (lhs: Lots, rhs: Lots) -> Bool { lhs.storage[lhs.head...] == rhs.storage[rhs.head...] }

    public var startIndex: Int { 0 }
    public var endIndex: Int { storage.count - head }

    public subscript(position: Int) -> Lot {
        get { storage[head + position] }
        set {
            let old = storage[head + position]
            count(old, sign: -1)
            let moved = old.id != newValue.id
            storage[head + position] = newValue
            count(newValue, sign: 1)
            if moved { checkOrder(at: position) }
            if let after = Lots.spendKey(newValue), after != Lots.spendKey(old) || moved { pushSpendOrder(after) }
        }
    }

    public mutating func replaceSubrange<C: Collection>(_ subrange: Range<Int>, with newElements: C) where C.Element == Lot {
        for lot in storage[(head + subrange.lowerBound)..<(head + subrange.upperBound)] { count(lot, sign: -1) }
        for lot in newElements {
            count(lot, sign: 1)
            if let key = Lots.spendKey(lot) { pushSpendOrder(key) }
        }
        if subrange.lowerBound == 0 && newElements.isEmpty {
            // Spent lots leave from the front: move the head, compact now and then. A member left
            // with no lots (most members, most of the time: 62% in the benchmark's workload)
            // keeps no storage for them, nor stale spend-order entries.
            head += subrange.count
            if head == storage.count {
                storage = []
                head = 0
                spendOrder = MinHeap()
            } else if head > 32 && head * 2 > storage.count {
                storage.removeSubrange(0..<head)
                head = 0
            }
            return
        }
        if storage.count - subrange.count + newElements.count > storage.capacity {
            // Growing: into storage a quarter larger than the live lots need (not twice the old
            // storage), without the spent lots before `head`. The lots are copied either way; a
            // doubling array had a member's lots take 1.6 times their size.
            let needed = storage.count - head - subrange.count + newElements.count
            var grown: [Lot] = []
            grown.reserveCapacity(needed + needed / 4 + 1)
            grown.append(contentsOf: storage[head...])
            storage = grown
            head = 0
        }
        storage.replaceSubrange((head + subrange.lowerBound)..<(head + subrange.upperBound), with: newElements)
        // The new lots and their neighbours must keep the id order.
        let from = Swift.max(0, subrange.lowerBound - 1), to = Swift.min(subrange.lowerBound + newElements.count, count - 1)
        if from <= to { for position in from...to { checkOrder(at: position) } }
    }

    public mutating func reserveCapacity(_ n: Int) { storage.reserveCapacity(head + n) }

    /// The position of the lot with this id, or nil.
    public func index(ofLot id: Int64) -> Int? {
        if unordered { return firstIndex(where: { $0.id == id }) }
        let position = insertionIndex(ofLot: id)
        return position < count && self[position].id == id ? position : nil
    }

    /// The lot with this id, or nil.
    public func lot(_ id: Int64) -> Lot? {
        index(ofLot: id).map { self[$0] }
    }

    /// The lot with this id and where it is, or nil.
    public func indexedLot(_ id: Int64) -> (index: Int, lot: Lot)? {
        index(ofLot: id).map { ($0, self[$0]) }
    }

    /// Where a lot with this id belongs: the first position whose lot has a greater or equal id.
    public func insertionIndex(ofLot id: Int64) -> Int {
        if unordered { return firstIndex(where: { $0.id >= id }) ?? count }
        var low = 0, high = count
        while low < high {
            let middle = (low + high) / 2
            if storage[head + middle].id < id { low = middle + 1 } else { high = middle }
        }
        return low
    }

    private static func spendKey(_ lot: Lot) -> SpendKey? {
        guard !lot.pending, lot.remaining > 0 else { return nil }
        return SpendKey(expires: lot.expiresAt?.milliseconds ?? Int64.max, id: lot.id)
    }

    /// The position of the lot a spend takes first: available, with points left, soonest-expiring
    /// (lots that never expire last), then oldest. Nil when nothing can be spent.
    public mutating func soonestSpendable() -> Int? {
        while let top = spendOrder.first {
            if let position = index(ofLot: top.id), Lots.spendKey(self[position]) == top {
                assert(position == linearSoonestSpendable(), "the spend order disagrees with a scan")
                return position
            }
            popSpendOrder()
        }
        assert(linearSoonestSpendable() == nil, "the spend order lost a spendable lot")
        return nil
    }

    /// The same answer by a scan of every lot (for checking the heap).
    func linearSoonestSpendable() -> Int? {
        var best: (key: SpendKey, position: Int)?
        for (position, lot) in enumerated() {
            guard let key = Lots.spendKey(lot) else { continue }
            if best == nil || key < best!.key { best = (key, position) }
        }
        return best?.position
    }

    private mutating func pushSpendOrder(_ key: SpendKey) {
        if spendOrder.count > 64 && spendOrder.count > 3 * count { rebuildSpendOrder() }
        spendOrder.push(key)
    }

    private mutating func popSpendOrder() {
        spendOrder.pop()
    }

    /// Drops stale entries: the heap again holds exactly the spendable lots.
    private mutating func rebuildSpendOrder() {
        spendOrder = MinHeap(sorting: storage[head...].compactMap(Lots.spendKey))
    }

    /// Notes a lot placed at `position` that breaks the id order.
    private mutating func checkOrder(at position: Int) {
        guard !unordered, position < count else { return }
        if position > 0, self[position - 1].id >= self[position].id { unordered = true }
        if position + 1 < count, self[position].id >= self[position + 1].id { unordered = true }
    }

    private mutating func count(_ lot: Lot, sign: Int64) {
        if lot.pending { pendingTotal += sign * lot.remaining } else { availableTotal += sign * lot.remaining }
    }
}

/// What the program remembers of a completed order.
///
/// Stored fields are laid out widest first (192 bytes with the first award inline, where a
/// separate array of awards used to cost another 128): a program keeps every order for later
/// refunds, and orders are most of its records.
public struct OrderRecord: Sendable, Codable, Equatable, Keyed {
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

    /// An order's awards: nearly every order has one, kept in the record itself; the others
    /// follow in an array of their own.
    public struct Awards: Sendable, Equatable, RandomAccessCollection, MutableCollection, ExpressibleByArrayLiteral, Codable {
        /// Nil exactly when there are no awards.
        private var head: Award?
        private var tail: [Award] = []

        public init() {}

        public init<S: Sequence>(_ awards: S) where S.Element == Award {
            for award in awards { append(award) }
        }

        public init(arrayLiteral awards: Award...) {
            self.init(awards)
        }

        public init(from decoder: any Decoder) throws {
            self.init(try [Award](from: decoder))
        }

        public func encode(to encoder: any Encoder) throws {
            try Array(self).encode(to: encoder)
        }

        public var startIndex: Int { 0 }
        public var endIndex: Int { head == nil ? 0 : 1 + tail.count }

        public subscript(position: Int) -> Award {
            get { position == 0 ? head! : tail[position - 1] }
            _modify {
                if position == 0 { yield &head! } else { yield &tail[position - 1] }
            }
        }

        public mutating func append(_ award: Award) {
            if head == nil { head = award } else { tail.append(award) }
        }
    }

    public var id: String
    public var member: String
    public var category: String?
    public var at: Instant
    public var amount: Int64
    public var refunded: Int64
    public var awards: Awards
    public var deliveredAt: Instant?
    public var returnWindowClosedAt: Instant?
    public var disputed: Bool
    /// A dispute opened while the order's points wait for its state: they stay pending until
    /// `order.dispute_resolved`, and refunds wait for the resolution too.
    public var disputeOpen: Bool
    public var guest: Bool
    /// Whether the amount counts toward a cumulative rule.
    public var countedCumulative: Bool

    public init(id: String, member: String, at: Instant, amount: Int64, refunded: Int64 = 0, disputed: Bool = false,
                disputeOpen: Bool = false, deliveredAt: Instant? = nil, returnWindowClosedAt: Instant? = nil, guest: Bool = false,
                countedCumulative: Bool = false, category: String? = nil, awards: Awards = []) {
        self.id = id
        self.member = member
        self.category = category
        self.at = at
        self.amount = amount
        self.refunded = refunded
        self.awards = awards
        self.deliveredAt = deliveredAt
        self.returnWindowClosedAt = returnWindowClosedAt
        self.disputed = disputed
        self.disputeOpen = disputeOpen
        self.guest = guest
        self.countedCumulative = countedCumulative
    }

    public var remaining: Int64 { amount - refunded }
}

extension OrderRecord {
    enum CodingKeys: String, CodingKey {
        case id, member, at, amount, refunded, disputed, disputeOpen, deliveredAt, returnWindowClosedAt, guest, countedCumulative,
             category, awards
    }

    /// Reads records stored before a field existed (older checkpoints) with the field's default.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(id: try c.decode(String.self, forKey: .id), member: try c.decode(String.self, forKey: .member),
                  at: try c.decode(Instant.self, forKey: .at), amount: try c.decode(Int64.self, forKey: .amount))
        refunded = try c.decodeIfPresent(Int64.self, forKey: .refunded) ?? 0
        disputed = try c.decodeIfPresent(Bool.self, forKey: .disputed) ?? false
        disputeOpen = try c.decodeIfPresent(Bool.self, forKey: .disputeOpen) ?? false
        deliveredAt = try c.decodeIfPresent(Instant.self, forKey: .deliveredAt)
        returnWindowClosedAt = try c.decodeIfPresent(Instant.self, forKey: .returnWindowClosedAt)
        guest = try c.decodeIfPresent(Bool.self, forKey: .guest) ?? false
        countedCumulative = try c.decodeIfPresent(Bool.self, forKey: .countedCumulative) ?? false
        category = try c.decodeIfPresent(String.self, forKey: .category)
        awards = try c.decodeIfPresent(Awards.self, forKey: .awards) ?? []
    }
}

/// A lucky draw's public record: the commitment, the tickets in the order they were bought, and
/// once drawn the seed and the winning ticket of each prize slot. Anyone can recompute the
/// winners from `tickets` and `seed` (`Engine.drawWinners`).
public struct DrawState: Sendable, Codable, Equatable {
    /// SHA-256 of the seed, as 64 hex digits, committed before entries close.
    public var hash: String?
    public var committedAt: Instant?
    /// The member of each ticket, ticket 1 first.
    public var tickets: [String] = []
    /// Tickets per member, for the per-member limit.
    public var counts: [String: Int64] = [:]
    public var seed: String?
    public var drawnAt: Instant?
    /// The winning ticket (1-based) of each prize slot; nil when there were fewer tickets than prizes.
    public var winners: [Int?]?
    /// Why the operator cancelled the draw, and when; every ticket's points went back.
    public var cancelled: String?
    public var cancelledAt: Instant?

    public init() {}
}

/// A booking of services for points.
public struct Booking: Sendable, Codable, Equatable, Keyed {
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
    public var members: Records<MemberState> = [:]
    public var orders: Records<OrderRecord> = [:]
    public var bookings: [String: Booking] = [:]
    /// Units of each reward issued, for stock.
    public var issued: [String: Int64] = [:]
    /// Lucky draws with a commitment or entries (nil in states from before draws existed).
    public var draws: [String: DrawState]?
    /// The next program-wide due work: tier year start, monthly count, level effective date.
    public var nextYearStart: Instant?
    public var nextCount: Instant?
    public var nextEffective: Instant?

    public init() {}
}

/// The fields of a member most members never set (see `MemberState`), with their defaults.
struct MemberExtras: Sendable, Equatable {
    var guest = false
    var holds: [Hold] = []
    var nextTier: String?
    var nextTierAt: Instant?
    var awarded: Set<String> = []
    var redeemed: [String: Int64] = [:]
    var checkoutAmounts: [String: Int64] = [:]
    var claims: [String: Int64] = [:]
    var coupons: [Coupon] = []
    var inactivityNoticeFor: Instant?
    var birthdayYear: Int64?
    var anniversaryYear: Int64?
    var streaks: [String: Streak]?
    var wallets: [String: Wallet]?
}

/// A member's rare fields behind one reference, copied before a change when shared.
final class ExtrasBox: @unchecked Sendable {
    /// Changed only through `MemberState.writableExtras`, which makes the box unique first.
    var value: MemberExtras

    init(_ value: MemberExtras) {
        self.value = value
    }
}

/// Coded as the struct of plain stored fields it was: the same keys, in the same order, the
/// optional ones left out when nil.
extension MemberState: Codable {
    enum CodingKeys: String, CodingKey {
        case id, joinedAt, guest, birthday, lots, debt, holds, tier, nextTier, nextTierAt, qualifying, counters, awarded, cumulative,
             redeemed, checkoutAmounts, claims, coupons, lastActivity, inactivityNoticeFor, birthdayYear, anniversaryYear, streaks, wallets
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(id: try c.decode(String.self, forKey: .id), joinedAt: try c.decode(Instant.self, forKey: .joinedAt))
        guest = try c.decode(Bool.self, forKey: .guest)
        birthday = try c.decodeIfPresent(CivilDate.self, forKey: .birthday)
        lots = try c.decode(Lots.self, forKey: .lots)
        debt = try c.decode(Int64.self, forKey: .debt)
        holds = try c.decode([Hold].self, forKey: .holds)
        tier = try c.decodeIfPresent(String.self, forKey: .tier)
        nextTier = try c.decodeIfPresent(String.self, forKey: .nextTier)
        nextTierAt = try c.decodeIfPresent(Instant.self, forKey: .nextTierAt)
        qualifying = try c.decode([Int64: Int64].self, forKey: .qualifying)
        counters = try c.decode([CapKey: CapCounter].self, forKey: .counters)
        awarded = try c.decode(Set<String>.self, forKey: .awarded)
        cumulative = try c.decode([String: CumulativeSpend].self, forKey: .cumulative)
        redeemed = try c.decode([String: Int64].self, forKey: .redeemed)
        checkoutAmounts = try c.decode([String: Int64].self, forKey: .checkoutAmounts)
        claims = try c.decode([String: Int64].self, forKey: .claims)
        coupons = try c.decode([Coupon].self, forKey: .coupons)
        lastActivity = try c.decodeIfPresent(Instant.self, forKey: .lastActivity)
        inactivityNoticeFor = try c.decodeIfPresent(Instant.self, forKey: .inactivityNoticeFor)
        birthdayYear = try c.decodeIfPresent(Int64.self, forKey: .birthdayYear)
        anniversaryYear = try c.decodeIfPresent(Int64.self, forKey: .anniversaryYear)
        streaks = try c.decodeIfPresent([String: Streak].self, forKey: .streaks)
        wallets = try c.decodeIfPresent([String: Wallet].self, forKey: .wallets)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(joinedAt, forKey: .joinedAt)
        try c.encode(guest, forKey: .guest)
        try c.encodeIfPresent(birthday, forKey: .birthday)
        try c.encode(lots, forKey: .lots)
        try c.encode(debt, forKey: .debt)
        try c.encode(holds, forKey: .holds)
        try c.encodeIfPresent(tier, forKey: .tier)
        try c.encodeIfPresent(nextTier, forKey: .nextTier)
        try c.encodeIfPresent(nextTierAt, forKey: .nextTierAt)
        try c.encode(qualifying, forKey: .qualifying)
        try c.encode(counters, forKey: .counters)
        try c.encode(awarded, forKey: .awarded)
        try c.encode(cumulative, forKey: .cumulative)
        try c.encode(redeemed, forKey: .redeemed)
        try c.encode(checkoutAmounts, forKey: .checkoutAmounts)
        try c.encode(claims, forKey: .claims)
        try c.encode(coupons, forKey: .coupons)
        try c.encodeIfPresent(lastActivity, forKey: .lastActivity)
        try c.encodeIfPresent(inactivityNoticeFor, forKey: .inactivityNoticeFor)
        try c.encodeIfPresent(birthdayYear, forKey: .birthdayYear)
        try c.encodeIfPresent(anniversaryYear, forKey: .anniversaryYear)
        try c.encodeIfPresent(streaks, forKey: .streaks)
        try c.encodeIfPresent(wallets, forKey: .wallets)
    }
}
