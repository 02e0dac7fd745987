/// Applies a log of inputs to a fresh state, as `accrue replay` does: due work up to each input's
/// `at` runs before it, then up to `until`. Duplicates are judged against the inputs seen so far.
public struct Replay: Sendable {
    public private(set) var engine: Engine
    public private(set) var outcomes: [Outcome] = []
    /// Every entry made, in order, when the replay keeps them (`keepsEntries`); else empty.
    public private(set) var entries: [Entry] = []
    /// How many entries the replay has made, kept or not.
    public private(set) var entryCount = 0
    /// Whether `entries` keeps what the engine makes. `accrue replay` prints outcomes and members,
    /// not entries: keeping them all was most of its memory (6.3 GB at 10M inputs) and a sixth of
    /// its time in page faults of the growing heap.
    public let keepsEntries: Bool
    /// Each input id seen: its canonical text and where its first outcome is in `outcomes` (the
    /// outcome kept once: a map holding whole records spent 7% of replay moving them as it grew).
    private var seen: [String: (canonical: String, outcome: Int)] = [:]

    public init(program: Program, keepsEntries: Bool = true) {
        engine = Engine(program: program)
        self.keepsEntries = keepsEntries
    }

    /// Counts the entries the engine made since the last call, keeping them if the replay keeps entries.
    private mutating func takeMade() {
        if keepsEntries { entries.append(contentsOf: engine.journal) }
        entryCount += engine.forgetChanges()
    }

    /// Applies one input line (JSON bytes). Blank lines are not inputs and are skipped.
    @discardableResult
    public mutating func apply<Bytes: Collection>(line: Bytes) -> Outcome? where Bytes.Element == UInt8 {
        if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { return nil }
        let decoded = Input.decode(line)
        let first = decoded.id.flatMap { seen[$0] }
        let outcome = engine.handle(decoded, prior: first.map { InputRecord(canonical: $0.canonical, outcome: outcomes[$0.outcome]) })
        if first == nil, let id = decoded.id, let canonical = decoded.canonical, outcome.code != .conflict {
            seen[id] = (canonical, outcomes.count)
        }
        outcomes.append(outcome)
        takeMade()
        return outcome
    }

    /// Runs due work up to `time`.
    public mutating func advance(to time: Instant) {
        engine.advance(to: time)
        takeMade()
    }

    /// Replays every line of a JSON-lines text, then advances to `until` (or the latest `at` seen).
    public static func run(program: Program, text: [UInt8], until: Instant?, keepsEntries: Bool = true) -> Replay {
        var replay = Replay(program: program, keepsEntries: keepsEntries)
        var start = 0
        var latest: Instant?
        for index in 0...text.count where index == text.count || text[index] == 0x0A {
            let line = text[start..<index]
            start = index + 1
            if let outcome = replay.apply(line: line), let at = outcome.at, outcome.status != .duplicate {
                latest = max(latest ?? at, at)
            }
        }
        if let end = until ?? latest { replay.advance(to: end) }
        return replay
    }

    /// The replay document: one outcome per input line, then every member at the end.
    public func document() -> ReplayDocument {
        ReplayDocument(outcomes: outcomes, members: engine.state.members.keys.sorted().map { MemberSummary(engine.state.members[$0]!, program: engine.program) })
    }
}

/// The JSON document `accrue replay` prints.
public struct ReplayDocument: Sendable, Encodable {
    public var outcomes: [Outcome]
    public var members: [MemberSummary]
}

/// A member at the end of a replay, as the replay contract names the fields.
public struct MemberSummary: Sendable, Encodable, Equatable {
    public struct RewardLine: Sendable, Encodable, Equatable {
        public var reward: String
        public var code: String
        public var value: String?
    }
    public var member: String
    public var balance: Int64
    public var pending: Int64
    public var held: Int64
    public var tier: String?
    public var nextTier: String?
    public var nextTierAt: Instant?
    public var rewards: [RewardLine]
    public var lots: [MemberView.LotLine]
    /// The balances in the program's other currencies (none when it keeps only points).
    public var currencies: [CurrencyLine] = []

    /// A member's balance in another of the program's currencies.
    public struct CurrencyLine: Sendable, Encodable, Equatable {
        public var currency: String
        public var balance: Int64
        public var pending: Int64
        public var held: Int64
        public var lots: [MemberView.LotLine]
    }

    public init(_ state: MemberState, program: Program) {
        member = state.id
        balance = state.balance
        pending = state.pending
        held = state.held
        tier = state.tier
        nextTier = state.nextTier
        nextTierAt = state.nextTierAt
        rewards = state.coupons.map { RewardLine(reward: $0.reward, code: $0.code, value: $0.valueMinorUnits.map { Money.format(minorUnits: $0) }) }
        lots = state.lots.map(MemberView.LotLine.init)
        currencies = program.currencies.map { currency in
            let wallet = state.wallet(currency.points.code)
            return CurrencyLine(currency: currency.points.code, balance: wallet.balance, pending: wallet.pending, held: wallet.held,
                                lots: wallet.lots.map(MemberView.LotLine.init))
        }
    }

    enum CodingKeys: String, CodingKey {
        case member, balance, pending, held, tier, rewards, lots, currencies
        case nextTier = "next_tier"
        case nextTierAt = "next_tier_at"
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(member, forKey: .member)
        try c.encode(balance, forKey: .balance)
        try c.encode(pending, forKey: .pending)
        try c.encode(held, forKey: .held)
        try c.encode(tier, forKey: .tier)
        try c.encodeIfPresent(nextTier, forKey: .nextTier)
        try c.encodeIfPresent(nextTierAt, forKey: .nextTierAt)
        try c.encode(rewards, forKey: .rewards)
        try c.encode(lots, forKey: .lots)
        if !currencies.isEmpty { try c.encode(currencies, forKey: .currencies) }
    }
}

extension ReplayDocument {
    /// The document as a JSON value with the fields `encode(to:)` writes (instants as RFC 3339),
    /// built directly: `accrue replay` spent nearly half its time in `JSONEncoder` printing it.
    /// Its canonical text is what `JSONEncoder` writes with sorted keys.
    public var json: JSON {
        .object([("outcomes", .array(outcomes.map { $0.json(compactInstants: false) })), ("members", .array(members.map(\.json)))])
    }
}

extension MemberSummary {
    /// The summary as a JSON value with the fields `encode(to:)` writes.
    public var json: JSON {
        var fields: [(String, JSON)] = [
            ("member", .string(member)), ("balance", JSON.integer(balance)), ("pending", JSON.integer(pending)),
            ("held", JSON.integer(held)), ("tier", tier.map(JSON.string) ?? .null),
        ]
        if let nextTier { fields.append(("next_tier", .string(nextTier))) }
        if let nextTierAt { fields.append(("next_tier_at", .string(nextTierAt.rfc3339))) }
        fields.append(("rewards", .array(rewards.map { line in
            var out: [(String, JSON)] = [("code", .string(line.code)), ("reward", .string(line.reward))]
            if let value = line.value { out.append(("value", .string(value))) }
            return .object(out)
        })))
        fields.append(("lots", .array(lots.map(\.json))))
        if !currencies.isEmpty {
            fields.append(("currencies", .array(currencies.map { line in
                .object([("balance", JSON.integer(line.balance)), ("currency", .string(line.currency)), ("held", JSON.integer(line.held)),
                         ("lots", .array(line.lots.map(\.json))), ("pending", JSON.integer(line.pending))])
            })))
        }
        return .object(fields)
    }
}

extension Outcome {
    /// The outcome as a JSON value with the fields and values `encode(to:)` writes, for documents
    /// that hold outcomes (the replay document, a refusal's problem): read back from the text its
    /// one writer makes (`write(to:)`), so the fields are listed once. `compact` writes instants as
    /// milliseconds (what stores keep), else RFC 3339.
    public func json(compactInstants compact: Bool) -> JSON {
        do {
            return try JSONReader.parse(jsonBytes(compactInstants: compact))
        } catch {
            preconditionFailure("an outcome's own text does not read back: \(error)")
        }
    }

    /// The outcome's canonical text, written straight to bytes: every input's outcome is stored,
    /// and answered when it was posted. A server's answer adds `replayed`.
    public func jsonBytes(compactInstants compact: Bool, replayed: Bool? = nil) -> [UInt8] {
        written(compactInstants: compact, replayed: replayed).bytes
    }

    /// The same text as a `String` (what stores keep), made from the writer's bytes at once.
    public func jsonText(compactInstants compact: Bool) -> String {
        written(compactInstants: compact, replayed: nil).string
    }

    private func written(compactInstants compact: Bool, replayed: Bool?) -> JSONWriter {
        var writer = JSONWriter(capacity: 320)
        write(to: &writer, compactInstants: compact, replayed: replayed)
        return writer
    }

    /// Writes the outcome as `jsonBytes` does, its keys in byte order.
    public func write(to writer: inout JSONWriter, compactInstants compact: Bool, replayed: Bool? = nil) {
        writer.openObject()
        if let at {
            writer.key("at")
            if compact { writer.integer(at.milliseconds) } else { writer.string(at.rfc3339) }
        }
        writer.field("code", code?.rawValue)
        if let currencies {
            writer.key("currencies")
            writer.openObject()
            // Currency codes are identifiers (the program file's reader checks them): no escapes.
            for (code, points) in currencies.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }) {
                writer.key(identifier: code)
                writer.integer(points)
            }
            writer.closeObject()
        }
        writer.field("currency", currency)
        writer.field("first", first?.rawValue)
        writer.key("id")
        if let id { writer.string(id) } else { writer.null() }
        writer.field("member", member)
        writer.key("points")
        writer.integer(points)
        writer.field("quote", quote)
        writer.key("reason")
        if let reason { writer.string(reason) } else { writer.null() }
        if let replayed { writer.field("replayed", replayed) }
        if let rules {
            writer.array("rules", rules) { writer, rule in
                writer.openObject()
                writer.field("code", rule.code?.rawValue)
                writer.field("currency", rule.currency)
                writer.key("points")
                writer.integer(rule.points)
                writer.field("reason", rule.reason)
                writer.key("rule")
                writer.string(rule.rule)
                writer.closeObject()
            }
        }
        writer.field("seq", seq)
        writer.key("status")
        writer.string(status.rawValue)
        writer.field("type", type)
        writer.field("voucher", voucher)
        writer.closeObject()
    }

    enum CodingKeys: String, CodingKey {
        case id, status, points, reason, code, member, type, at, rules, voucher, quote, first, seq, currency, currencies
    }

    /// `id`, `status`, `points` and `reason` are always written (null when absent), as the replay
    /// contract promises; the rest only when present.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(status, forKey: .status)
        try c.encode(points, forKey: .points)
        try c.encode(reason, forKey: .reason)
        try c.encodeIfPresent(code, forKey: .code)
        try c.encodeIfPresent(member, forKey: .member)
        try c.encodeIfPresent(type, forKey: .type)
        try c.encodeIfPresent(at, forKey: .at)
        try c.encodeIfPresent(rules, forKey: .rules)
        try c.encodeIfPresent(voucher, forKey: .voucher)
        try c.encodeIfPresent(quote, forKey: .quote)
        try c.encodeIfPresent(first, forKey: .first)
        try c.encodeIfPresent(seq, forKey: .seq)
        try c.encodeIfPresent(currency, forKey: .currency)
        try c.encodeIfPresent(currencies, forKey: .currencies)
    }
}
