/// Rebuilds members' lots, negative balances, holds, tiers and coupons from the ledger's entries
/// alone, and compares them with the state. The strongest check of the ledger: `accrue verify`
/// and the randomized tests run it.
public enum Audit {
    /// A member as the entries say it is.
    public struct RebuiltMember: Equatable, Sendable {
        public var lots: [Int64: RebuiltLot] = [:]
        public var debt: Int64 = 0
        public var holds: [String: Int64] = [:]
        public var tier: String?
        public var coupons: [String] = []
        /// The same lots, debt and holds in each of the program's other currencies, by code.
        public var wallets: [String: RebuiltMember] = [:]
    }

    public struct RebuiltLot: Equatable, Sendable {
        public var remaining: Int64
        public var pending: Bool
        public var expiresAt: Instant?
    }

    /// Folds entries, in ledger order, into members.
    public static func rebuild<S: Sequence>(_ entries: S, initialTier: String?) -> [String: RebuiltMember] where S.Element == Entry {
        var rebuilding = Rebuilding(initialTier: initialTier)
        for entry in entries { rebuilding.add(entry) }
        return rebuilding.members
    }

    /// Members rebuilt one entry at a time, for entries read a page at a time.
    public struct Rebuilding {
        public private(set) var members: [String: RebuiltMember] = [:]
        let initialTier: String?

        public init(initialTier: String?) {
            self.initialTier = initialTier
        }

        /// Folds the next entry in ledger order.
        public mutating func add(_ entry: Entry) {
            Audit.add(entry, to: &members[entry.member, default: RebuiltMember(tier: initialTier)])
        }
    }

    static func add(_ entry: Entry, to member: inout RebuiltMember) {
        if let code = entry.currency {
            // Entries in another currency fold into that currency's wallet the same way.
            var wallet = member.wallets[code] ?? RebuiltMember()
            fold(entry, into: &wallet)
            member.wallets[code] = wallet.lots.isEmpty && wallet.debt == 0 && wallet.holds.isEmpty ? nil : wallet
        } else {
            fold(entry, into: &member)
        }
    }

    /// Folds one entry into a member (or one currency's wallet of a member).
    static func fold(_ entry: Entry, into member: inout RebuiltMember) {
        switch entry.kind {
        case .earnPending:
            if let lot = entry.lot { member.lots[lot] = RebuiltLot(remaining: entry.points, pending: true, expiresAt: nil) }
        case .earn:
            if let lot = entry.lot { member.lots[lot] = RebuiltLot(remaining: entry.points, pending: false, expiresAt: entry.expiresAt) }
        case .adjust:
            if entry.points > 0, let lot = entry.lot {
                member.lots[lot] = RebuiltLot(remaining: entry.points, pending: false, expiresAt: entry.expiresAt)
            } else if let lot = entry.lot {
                member.lots[lot, default: RebuiltLot(remaining: 0, pending: false, expiresAt: nil)].remaining += entry.points
            }
        case .release:
            if let lot = entry.lot {
                member.lots[lot, default: RebuiltLot(remaining: 0, pending: true, expiresAt: nil)].pending = false
                member.lots[lot]!.expiresAt = entry.expiresAt
            }
        case .cancelPending, .spend, .expire:
            if let lot = entry.lot { member.lots[lot, default: RebuiltLot(remaining: 0, pending: false, expiresAt: nil)].remaining += entry.points }
        case .reverse:
            if let lot = entry.lot {
                member.lots[lot, default: RebuiltLot(remaining: 0, pending: false, expiresAt: nil)].remaining += entry.points
            } else {
                member.debt -= entry.points
            }
        case .payDebt:
            if let lot = entry.lot { member.lots[lot, default: RebuiltLot(remaining: 0, pending: false, expiresAt: nil)].remaining += entry.points }
            member.debt += entry.points
        case .hold:
            if let lot = entry.lot { member.lots[lot, default: RebuiltLot(remaining: 0, pending: false, expiresAt: nil)].remaining += entry.points }
            member.holds[entry.hold ?? "", default: 0] -= entry.points
        case .capture:
            member.holds[entry.hold ?? "", default: 0] -= entry.points
        case .holdRelease:
            member.holds[entry.hold ?? "", default: 0] -= entry.points
            if let lot = entry.lot {
                member.lots[lot, default: RebuiltLot(remaining: 0, pending: false, expiresAt: entry.expiresAt)].remaining += entry.points
            }
        case .tierChange:
            member.tier = entry.tier
        case .coupon:
            if let code = entry.code { member.coupons.append(code) }
        case .couponGiven:
            if let code = entry.code, let index = member.coupons.firstIndex(of: code) { member.coupons.remove(at: index) }
        case .tierScheduled, .expiryNotice:
            break
        }
        member.lots = member.lots.filter { $0.value.remaining != 0 }
        member.holds = member.holds.filter { $0.value != 0 }
    }

    /// The state's view of a member in the same shape.
    public static func view(of member: MemberState) -> RebuiltMember {
        var view = RebuiltMember(tier: member.tier)
        for lot in member.lots where lot.remaining != 0 {
            view.lots[lot.id] = RebuiltLot(remaining: lot.remaining, pending: lot.pending, expiresAt: lot.expiresAt)
        }
        view.debt = member.debt
        for hold in member.holds where hold.points != 0 { view.holds[hold.id, default: 0] += hold.points }
        view.coupons = member.coupons.map(\.code)
        for (code, wallet) in member.wallets ?? [:] {
            var inner = RebuiltMember()
            for lot in wallet.lots where lot.remaining != 0 {
                inner.lots[lot.id] = RebuiltLot(remaining: lot.remaining, pending: lot.pending, expiresAt: lot.expiresAt)
            }
            inner.debt = wallet.debt
            for hold in wallet.holds where hold.points != 0 { inner.holds[hold.id, default: 0] += hold.points }
            if !(inner.lots.isEmpty && inner.debt == 0 && inner.holds.isEmpty) { view.wallets[code] = inner }
        }
        return view
    }

    /// Every difference between the entries and the state, as sentences; empty when they agree.
    public static func compare<S: Sequence>(entries: S, state: ProgramState, program: Program) -> [String] where S.Element == Entry {
        compare(rebuilt: rebuild(entries, initialTier: program.tiers?.levels.first?.id), state: state, program: program)
    }

    /// Every difference between members rebuilt from the entries (`Rebuilding`) and the state.
    public static func compare(rebuilt: [String: RebuiltMember], state: ProgramState, program: Program) -> [String] {
        let initialTier = program.tiers?.levels.first?.id
        var problems: [String] = []
        for id in state.members.keys.sorted() {
            let member = state.members[id]!
            let expected = rebuilt[id] ?? RebuiltMember(tier: initialTier)
            let actual = view(of: member)
            if expected.lots != actual.lots {
                problems.append("\(program.id)/\(id): lots differ: ledger \(describe(expected.lots)), state \(describe(actual.lots))")
            }
            if expected.debt != actual.debt { problems.append("\(program.id)/\(id): negative balance differs: ledger \(expected.debt), state \(actual.debt)") }
            if expected.holds != actual.holds { problems.append("\(program.id)/\(id): holds differ: ledger \(expected.holds), state \(actual.holds)") }
            if expected.tier != actual.tier { problems.append("\(program.id)/\(id): tier differs: ledger \(expected.tier ?? "none"), state \(actual.tier ?? "none")") }
            if expected.coupons != actual.coupons { problems.append("\(program.id)/\(id): coupons differ: ledger \(expected.coupons), state \(actual.coupons)") }
            for code in Set(expected.wallets.keys).union(actual.wallets.keys).sorted() {
                let ledger = expected.wallets[code] ?? RebuiltMember()
                let state = actual.wallets[code] ?? RebuiltMember()
                if ledger.lots != state.lots { problems.append("\(program.id)/\(id): \(code) lots differ: ledger \(describe(ledger.lots)), state \(describe(state.lots))") }
                if ledger.debt != state.debt { problems.append("\(program.id)/\(id): \(code) negative balance differs: ledger \(ledger.debt), state \(state.debt)") }
                if ledger.holds != state.holds { problems.append("\(program.id)/\(id): \(code) holds differ: ledger \(ledger.holds), state \(state.holds)") }
            }
            for (code, wallet) in member.wallets ?? [:] {
                if program.currency(code) == nil { problems.append("\(program.id)/\(id): holds \(code), a currency the program does not keep") }
                for lot in wallet.lots where lot.remaining < 0 { problems.append("\(program.id)/\(id): \(code) lot \(lot.id) is negative") }
                if wallet.debt > 0, wallet.lots.contains(where: { !$0.pending && $0.remaining > 0 }) {
                    problems.append("\(program.id)/\(id): owes \(wallet.debt) \(code) while holding available \(code)")
                }
            }
            for lot in member.lots where lot.remaining < 0 { problems.append("\(program.id)/\(id): lot \(lot.id) is negative") }
            if member.debt < 0 { problems.append("\(program.id)/\(id): the negative balance is below zero") }
            if member.debt > 0, member.lots.contains(where: { !$0.pending && $0.remaining > 0 }) {
                problems.append("\(program.id)/\(id): owes \(member.debt) while holding available points")
            }
        }
        for id in rebuilt.keys where state.members[id] == nil {
            problems.append("\(program.id)/\(id): has entries but no member record")
        }
        return problems
    }

    static func describe(_ lots: [Int64: RebuiltLot]) -> String {
        lots.keys.sorted().map { id in
            let lot = lots[id]!
            return "#\(id)=\(lot.remaining)\(lot.pending ? "p" : "")\(lot.expiresAt.map { "@\($0)" } ?? "")"
        }.joined(separator: " ")
    }
}
