/// The state machine of one program: an input and the time give an outcome and ledger entries.
/// It does no I/O and reads no clock. Replays and the durable ingest drive the same `Engine`.
public struct Engine: Sendable {
    /// The program, or while the engine works in another currency, the program as that currency
    /// sees it (`Program.spending(in:)`).
    public internal(set) var program: Program
    public internal(set) var state: ProgramState
    /// The other currency the engine is working in (its code), or nil for the points.
    var currency: String?
    /// The program itself while `program` is another currency's view of it.
    var programInPoints: Program?
    var schedule = Schedule()
    /// The codes of the program's other currencies in order: a scheduled item names its currency
    /// by its place here (`Due.currency`).
    let currencyCodes: [String]
    /// Members the program-wide tier work may change: those with qualifying points, a tier above
    /// the first or a level scheduled. The others would stay as they are, so a new year or a
    /// monthly count touches only these. Derived from the state (rebuilt on load, never stored).
    var tierWatch: Set<String> = []
    /// Entries made since the last `drain()`.
    var journal: [Entry] = []
    var touchedMembers: Set<String> = []
    var touchedOrders: Set<String> = []
    var touchedBookings: Set<String> = []

    /// What changed since the last drain: the entries to append, and which members, orders and
    /// bookings changed (a store writes their current records when it takes a checkpoint).
    public struct Changes: Sendable {
        public var entries: [Entry]
        public var members: Set<String>
        public var orders: Set<String>
        public var bookings: Set<String>
    }

    public init(program: Program, state: ProgramState = ProgramState()) {
        self.program = program
        self.state = state
        currencyCodes = program.currencies.map(\.points.code).sorted()
        rebuildSchedule()
    }

    /// How a scheduled item names a currency (its code, or nil for the points).
    func slot(of code: String?) -> UInt16 {
        guard let code, let index = currencyCodes.firstIndex(of: code) else { return 0 }
        return UInt16(index + 1)
    }

    /// The code of a scheduled item's currency, or nil for the points.
    func code(ofSlot slot: UInt16) -> String? {
        slot == 0 || Int(slot) > currencyCodes.count ? nil : currencyCodes[Int(slot) - 1]
    }

    /// Takes the entries made and the records touched since the last call.
    public mutating func drain() -> Changes {
        let changes = Changes(entries: journal, members: touchedMembers, orders: touchedOrders, bookings: touchedBookings)
        // A fresh journal sized for a call like this one, not for the largest ever: the entries
        // handed over keep the old buffer, and `removeAll(keepingCapacity:)` would allocate
        // another as large as the biggest step of due work so far (tens of megabytes, for good).
        journal = []
        journal.reserveCapacity(min(changes.entries.count, 4_096))
        touchedMembers = Set(minimumCapacity: min(changes.members.count, 4_096))
        touchedOrders = Set(minimumCapacity: min(changes.orders.count, 4_096))
        touchedBookings = []
        return changes
    }

    /// For a replay, which keeps no record of what changed (it reads `journal` first if it keeps
    /// the entries): forgets the entries made since the last call and the records touched, and
    /// returns how many entries there were. Unlike `drain()` it reuses the buffers, so an input
    /// allocates none; buffers grown past a few thousand (a large step of due work) are let go.
    mutating func forgetChanges() -> Int {
        let made = journal.count
        journal.removeAll(keepingCapacity: journal.capacity <= 4_096)
        touchedMembers.removeAll(keepingCapacity: touchedMembers.capacity <= 4_096)
        touchedOrders.removeAll(keepingCapacity: touchedOrders.capacity <= 4_096)
        touchedBookings.removeAll(keepingCapacity: touchedBookings.capacity <= 4_096)
        return made
    }

    /// Marks members and orders changed (those `drain()` named, or those of a checkpoint that was
    /// not written), for `takeMarked()`.
    public mutating func mark(members: some Sequence<String>, orders: some Sequence<String>) {
        for id in members { state.members.mark(id) }
        for id in orders { state.orders.mark(id) }
    }

    /// Copies of the members and orders marked since the last call, in the order the state keeps
    /// them; the marks are cleared.
    public mutating func takeMarked() -> (members: [MemberState], orders: [OrderRecord]) {
        (state.members.takeMarked(), state.orders.takeMarked())
    }

    /// The program state without members, orders and bookings: what a store keeps in one row.
    public var header: ProgramState {
        var copy = state
        copy.members = [:]
        copy.orders = [:]
        copy.bookings = [:]
        return copy
    }

    // MARK: - Inputs

    /// Decodes and applies one input given as JSON bytes. `prior` is what the store remembers under
    /// the input's id, if anything.
    public mutating func handle<Bytes: Collection>(bytes: Bytes, prior: (String) -> InputRecord?) -> Outcome where Bytes.Element == UInt8 {
        let decoded = Input.decode(bytes)
        return handle(decoded, prior: decoded.id.flatMap(prior))
    }

    /// Applies one decoded input. A duplicate or conflicting id changes nothing; a refused input with
    /// a readable envelope still enrols its member and moves time forward.
    public mutating func handle(_ decoded: DecodedInput, prior: InputRecord?) -> Outcome {
        if let prior, let id = decoded.id {
            if prior.canonical == decoded.canonical {
                var outcome = Outcome(id: id, status: .duplicate, points: 0, code: .duplicate,
                                      member: prior.outcome.member, type: prior.outcome.type, at: prior.outcome.at)
                let first: String
                switch prior.outcome.status {
                case .applied: first = "it was applied for \(formatPoints(prior.outcome.points)) points"
                case .refused: first = "it was refused: \(prior.outcome.reason ?? "no reason recorded")"
                case .duplicate: first = "it was a duplicate"
                }
                outcome.reason = "input \(id) was already received; \(first)"
                outcome.first = prior.outcome.status
                return outcome
            }
            return Outcome(id: id, status: .refused, points: 0,
                           reason: "the id \(id) was already used for a different input; the first one stands",
                           code: .conflict, member: decoded.member, type: decoded.type, at: decoded.at)
        }
        guard let input = decoded.input else {
            let refusal = decoded.refusal ?? Reason(.malformedInput, "the input could not be read")
            var outcome = Outcome(id: decoded.id, status: .refused, points: 0, reason: refusal.message, code: refusal.code,
                                  member: decoded.member, type: decoded.type, at: decoded.at)
            if let member = decoded.member, let at = decoded.at {
                advance(to: at)
                if !(decoded.type.flatMap(InputType.init(rawValue:))?.isProgramWide ?? false) { enrol(member, at: at) }
                outcome.seq = nextSeq()
            }
            return outcome
        }
        advance(to: input.at)
        if !input.type.isProgramWide { enrol(input.member, at: input.at) }
        let seq = nextSeq()
        var outcome = apply(input)
        outcome.seq = seq
        outcome.id = input.id
        outcome.member = input.member
        outcome.type = input.type.rawValue
        outcome.at = input.at
        if let clock = state.clock, clock > input.at {
            // A late input: work its points made due in the past (a pending period already over,
            // an expiry already passed) runs now, so nothing stays pending or alive too long.
            advance(to: clock)
        }
        return outcome
    }

    mutating func nextSeq() -> Int64 {
        defer { state.nextSeq += 1 }
        return state.nextSeq
    }

    mutating func enrol(_ member: String, at: Instant) {
        // By place: comparing the subscript's optional with nil copied the whole member, for
        // every input.
        guard !state.members.contains(member) else { return }
        var record = MemberState(id: member, joinedAt: at)
        record.tier = program.tiers?.levels.first?.id
        state.members[member] = record
        touchedMembers.insert(member)
        if program.anniversary != nil { scheduleAnniversary(of: record, after: at) }
    }

    /// Applies a decoded, enrolled input. Refusals return before anything changes.
    mutating func apply(_ input: Input) -> Outcome {
        switch input.type {
        case .memberJoined: return joined(input)
        case .orderCompleted: return orderCompleted(input)
        case .orderRefunded: return orderRefunded(input)
        case .orderDisputed: return orderDisputed(input)
        case .orderDelivered: return orderDelivered(input)
        case .orderReturnWindowClosed: return returnWindowClosed(input)
        case .orderDisputeResolved: return disputeResolved(input)
        case .reviewPosted, .memberSignedIn, .postPublished, .sharePosted, .referralCompleted, .campaignJoined:
            return earn(input, amount: nil, order: nil)
        case .pointsRedeemed: return inSpendingCurrency(input) { $0.redeem(input) }
        case .rewardClaimed: return claim(input)
        case .rewardGifted: return gift(input)
        case .drawCommitted: return commitDraw(input)
        case .drawEntered: return enterDraw(input)
        case .drawRevealed: return revealDraw(input)
        case .drawCancelled: return cancelDraw(input)
        case .bookingRequested: return requestBooking(input)
        case .bookingConfirmed, .bookingRejected, .bookingCancelled: return settleBooking(input)
        case .pointsAdjusted: return inSpendingCurrency(input) { $0.adjust(input) }
        case .pointsTransferred: return transfer(input)
        case .checkoutHeld: return inSpendingCurrency(input) { $0.holdForCheckout(input) }
        case .checkoutCaptured, .checkoutReleased: return inSpendingCurrency(input, orOfHold: Hold.checkoutID(input.string("hold")!)) { $0.settleCheckout(input) }
        }
    }

    /// Runs a spending input in the currency its `points_currency` names (the points when absent
    /// or the points' own code). Without one, `orOfHold` finds the currency whose member holds that
    /// hold. An unknown code is refused with the currencies the program keeps.
    mutating func inSpendingCurrency(_ input: Input, orOfHold hold: String? = nil, _ body: (inout Engine) -> Outcome) -> Outcome {
        var code: String?
        if let named = input.string("points_currency") {
            if named != program.points.code {
                guard program.currency(named) != nil else {
                    let kept = ([program.points.code] + program.currencies.map(\.points.code)).joined(separator: ", ")
                    return Engine.refused(Reason(.unknownCurrency, "\(program.name) keeps no currency \"\(truncated(named))\" (it keeps: \(kept))"))
                }
                code = named
            }
        } else if let hold, let member = state.members[input.member], !member.holds.contains(where: { $0.id == hold }) {
            code = member.wallets?.keys.sorted().first { member.wallets![$0]!.holds.contains { $0.id == hold } }
        }
        var outcome = inCurrency(code, body)
        if outcome.status != .refused { outcome.currency = code }
        return outcome
    }

    /// Whether the member has an open hold of this id in any currency (hold ids are one namespace).
    func holdIsOpen(_ memberID: String, _ hold: String) -> Bool {
        guard let member = state.members[memberID] else { return false }
        return member.holds.contains { $0.id == hold } || (member.wallets?.values.contains { $0.holds.contains { $0.id == hold } } ?? false)
    }

    static func refused(_ reason: Reason) -> Outcome {
        Outcome(id: nil, status: .refused, points: 0, reason: reason.message, code: reason.code)
    }

    static func applied(_ points: Int64, _ reason: Reason? = nil) -> Outcome {
        Outcome(id: nil, status: .applied, points: points, reason: reason?.message, code: reason?.code)
    }

    var pointsName: String { program.points.name }

    /// "1 reward point", "20 reward points".
    func pointsPhrase(_ count: Int64) -> String {
        let name = program.points.name
        return formatPoints(count) + " " + (count == 1 && name.hasSuffix("s") ? String(name.dropLast()) : name)
    }

    /// A member as the current currency sees them: in another currency, that currency's lots,
    /// debt, holds and redemptions stand where the points' are.
    func member(_ id: String) -> MemberState {
        guard let currency else { return state.members[id]! }
        var member = state.members[id]!
        member.exchangeWallet(currency)
        return member
    }

    /// Reads a member where the state keeps it, as `member(_:)` sees it, without copying it out:
    /// a copy retains and releases about sixteen fields, and earning read the member four times
    /// an input. `body` must not change the member (that is `withMember`, which marks it touched)
    /// and cannot reach the engine.
    mutating func reading<T>(_ id: String, _ body: (inout MemberState) -> T) -> T {
        let found = state.members.inPlace(id) { member in
            guard let currency else { return body(&member) }
            member.exchangeWallet(currency)
            defer { member.exchangeWallet(currency) }
            return body(&member)
        }
        guard let found else { preconditionFailure("no member \(id) in \(program.id)") }
        return found
    }

    /// Changes a member where the state keeps it, as the current currency sees it, and marks it
    /// touched (the next checkpoint writes it).
    @discardableResult
    mutating func withMember<T>(_ id: String, _ body: (inout MemberState) -> T) -> T {
        touchedMembers.insert(id)
        return reading(id, body)
    }

    /// Runs `body` in the program's other currency `code` (nil: in points): lots, balances, holds,
    /// entries, expiry and checkout are that currency's until it returns.
    mutating func inCurrency<T>(_ code: String?, _ body: (inout Engine) -> T) -> T {
        guard code != currency else { return body(&self) }
        let saved = (program, currency, programInPoints)
        let base = programInPoints ?? program
        if let code {
            guard let other = base.currency(code) else { preconditionFailure("\(base.id) keeps no currency \(code)") }
            program = base.spending(in: other)
            programInPoints = base
        } else {
            program = base
            programInPoints = nil
        }
        currency = code
        defer { (program, currency, programInPoints) = saved }
        return body(&self)
    }

    mutating func record(_ member: String, _ at: Instant, _ kind: EntryKind, _ points: Int64, reason: String,
                         lot: Int64? = nil, hold: String? = nil, input: String? = nil, rule: String? = nil,
                         expiresAt: Instant? = nil, availableAt: Instant? = nil, tier: String? = nil, code: String? = nil) {
        journal.append(Entry(seq: nextSeq(), member: member, at: at, kind: kind, points: points, lot: lot, hold: hold,
                             input: input, rule: rule, expiresAt: expiresAt, availableAt: availableAt, tier: tier,
                             code: code, reason: reason, currency: currency))
        touchedMembers.insert(member)
    }

    // MARK: - Joining

    mutating func joined(_ input: Input) -> Outcome {
        let birthday = input.string("birthday").flatMap(CivilDate.init)
        // A member who joined the shop before its first input here (a program moved onto Accrue)
        // keeps its own joining date, for anniversaries.
        let since = input.string("since").flatMap(CivilDate.init).map { program.calendar.instant($0) }
        withMember(input.member) { member in
            if let guest = input.bool("guest") { member.guest = guest }
            if let birthday { member.birthday = birthday }
            if let since, since < member.joinedAt { member.joinedAt = since }
        }
        if birthday != nil { scheduleBirthday(input.member, after: input.at) }
        if since != nil { scheduleAnniversary(input.member, after: input.at) }
        return earn(input, amount: nil, order: nil)
    }

    // MARK: - Money

    /// Reads a money field in the program's currency.
    func money(_ input: Input, _ key: String, currencyKey: String = "currency") -> Result<Int64, Reason> {
        guard let text = input.string(key) else {
            return .failure(Reason(.invalidMoney, "\"\(key)\" must be a decimal string such as \"120.50\""))
        }
        if let currency = input.string(currencyKey), currency != program.moneyCurrency {
            return .failure(Reason(.wrongCurrency, "\(program.name) takes amounts in \(program.moneyCurrency), not \(truncated(currency))"))
        }
        switch Money.parseMinorUnits(text) {
        case let .success(minor): return .success(minor)
        case .failure(.negative): return .failure(Reason(.invalidMoney, "\"\(key)\" must not be negative"))
        case .failure(.tooManyDecimals): return .failure(Reason(.invalidMoney, "\"\(key)\" has more than 2 decimals"))
        case .failure(.tooLarge):
            return .failure(Reason(.amountTooLarge, "\"\(key)\" is larger than \(Money.format(minorUnits: Limits.maximumMinorUnits)) \(program.moneyCurrency)"))
        case .failure(.notADecimal): return .failure(Reason(.invalidMoney, "\"\(key)\" must be a decimal string such as \"120.50\""))
        }
    }

    /// An amount in the program's money as sentences show it: `"1,200.50 CNY"`.
    func format(_ minor: Int64) -> String { Money.display(minorUnits: minor) + " " + program.moneyCurrency }

    /// An instant as the program's shoppers read it: local date and time with the zone.
    func local(_ instant: Instant) -> String { program.calendar.describe(instant) }
}
