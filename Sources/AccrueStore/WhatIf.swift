import AccrueCore

/// Outstanding points at one moment, as a liability report counts them.
public struct LiabilityTotals: Sendable, Equatable {
    public var members = 0
    public var available: Int64 = 0
    public var pending: Int64 = 0
    public var held: Int64 = 0
    /// Points members owe (negative balances after reversals), counted apart from the liability.
    public var debt: Int64 = 0

    public init() {}

    /// The totals in points, or with `currency`, in that other currency of the program (`members`
    /// counts the members holding any of it).
    public init(_ state: ProgramState, currency: String? = nil) {
        for member in state.members.values {
            guard let currency else {
                members += 1
                if member.balance >= 0 { available += member.balance } else { debt -= member.balance }
                pending += member.pending
                held += member.held
                continue
            }
            guard let wallet = member.wallets?[currency] else { continue }
            members += 1
            if wallet.balance >= 0 { available += wallet.balance } else { debt -= wallet.balance }
            pending += wallet.pending
            held += wallet.held
        }
    }

    public var outstanding: Int64 { available + pending + held }
}

/// What an edited program file would have done to the last days of a program's log, beside what
/// the current file does to the same inputs: points awarded per rule, members per tier, liability,
/// and the inputs whose outcome changes. Nothing is written.
public struct WhatIfReport: Sendable {
    public struct RuleLine: Sendable, Equatable {
        public var rule: String
        public var title: String
        public var current: Int64
        public var edited: Int64
    }

    public struct TierLine: Sendable, Equatable {
        public var tier: String
        public var name: String
        public var current: Int
        public var edited: Int
    }

    public struct Change: Sendable {
        public var input: String
        public var current: Outcome
        public var edited: Outcome
    }

    public var since: Instant
    public var until: Instant
    /// Inputs replayed in the window, and how many of them got another outcome.
    public var inputs: Int
    public var changedCount: Int
    public var rules: [RuleLine]
    public var tiers: [TierLine]
    public var current: LiabilityTotals
    public var edited: LiabilityTotals
    /// The first changed outcomes, in log order.
    public var changes: [Change]

    /// How many changed outcomes a report lists.
    public static let listedChanges = 50
}

public enum WhatIf {
    /// Replays the log up to the first input at or after `since` as it was decided (each stored
    /// version of the file where the log switched to it), then the rest of the log twice from that
    /// state: under `current` and under `edited`, with due work up to `until` at the end.
    ///
    /// The split is by log order: an input that arrived late (its `at` before `since`) but was
    /// applied after the split is part of the window, as it was part of those days' traffic.
    public static func run(store: any LedgerStore, current: Program, currentVersion: Int, edited: Program,
                           programAt: (Int) throws -> Program, since: Instant, until: Instant) throws -> WhatIfReport {
        let log = try store.log(program: current.id)
        var baseline = Engine(program: current)
        var version = currentVersion
        var index = 0
        while index < log.count {
            switch log[index] {
            case let .input(_, record):
                if let at = record.outcome.at, at >= since { break }
                _ = baseline.handle(Input.decode(Array(record.canonical.utf8)), prior: nil)
                index += 1
                continue
            case let .advance(step):
                if step.time >= since { break }
                baseline.advance(step)
                index += 1
                continue
            case let .program(next):
                if next != version {
                    baseline = Engine(program: next == currentVersion ? current : try programAt(next), state: baseline.state)
                    version = next
                }
                index += 1
                continue
            }
            break
        }
        _ = baseline.drain()
        var branches = [Engine(program: current, state: baseline.state), Engine(program: edited, state: baseline.state)]
        var awarded: [[String: Int64]] = [[:], [:]]
        var report = WhatIfReport(since: since, until: until, inputs: 0, changedCount: 0, rules: [], tiers: [],
                                  current: LiabilityTotals(), edited: LiabilityTotals(), changes: [])
        func collect(_ branch: Int) {
            for entry in branches[branch].drain().entries where entry.kind == .earn || entry.kind == .earnPending {
                if let rule = entry.rule { awarded[branch][rule, default: 0] += entry.points }
            }
        }
        for record in log[index...] {
            switch record {
            case let .input(id, stored):
                let decoded = Input.decode(Array(stored.canonical.utf8))
                let before = branches[0].handle(decoded, prior: nil)
                let after = branches[1].handle(decoded, prior: nil)
                collect(0)
                collect(1)
                report.inputs += 1
                if before.status != after.status || before.points != after.points || before.reason != after.reason {
                    report.changedCount += 1
                    if report.changes.count < WhatIfReport.listedChanges {
                        report.changes.append(.init(input: id, current: before, edited: after))
                    }
                }
            case let .advance(step):
                for branch in branches.indices {
                    branches[branch].advance(step)
                    collect(branch)
                }
            case .program:
                break
            }
        }
        for branch in branches.indices {
            branches[branch].advance(to: max(until, branches[branch].state.clock ?? until))
            collect(branch)
        }

        var titles: [String: String] = [:]
        for rule in edited.rules { titles[rule.id] = rule.title }
        for rule in current.rules { titles[rule.id] = rule.title }
        let ruleIDs = Set(awarded[0].keys).union(awarded[1].keys)
            .union(current.rules.map(\.id)).union(edited.rules.map(\.id))
        report.rules = ruleIDs.map { rule in
            WhatIfReport.RuleLine(rule: rule, title: titles[rule] ?? rule, current: awarded[0][rule] ?? 0, edited: awarded[1][rule] ?? 0)
        }.sorted { (max($0.current, $0.edited), $1.rule) > (max($1.current, $1.edited), $0.rule) }

        var levels: [(id: String, name: String)] = []
        for tiers in [current.tiers, edited.tiers].compactMap({ $0 }) {
            for level in tiers.levels where !levels.contains(where: { $0.id == level.id }) { levels.append((level.id, level.name)) }
        }
        if !levels.isEmpty {
            var counts: [[String: Int]] = [[:], [:]]
            for branch in branches.indices {
                let lowest = branches[branch].program.tiers?.levels.first?.id
                for member in branches[branch].state.members.values {
                    guard let tier = member.tier ?? lowest else { continue }
                    counts[branch][tier, default: 0] += 1
                }
            }
            report.tiers = levels.map { WhatIfReport.TierLine(tier: $0.id, name: $0.name, current: counts[0][$0.id] ?? 0, edited: counts[1][$0.id] ?? 0) }
        }
        report.current = LiabilityTotals(branches[0].state)
        report.edited = LiabilityTotals(branches[1].state)
        return report
    }
}
