/// Members, orders and outcomes read back from their stored JSON without `Codable`: loading a
/// ledger reads one document per member and per order (a million of each for a large program),
/// verify one outcome per input, and Foundation's `JSONDecoder` spent most of that time on dynamic
/// calls and key lookups.
///
/// These readers take the documents the stores write (`StoredJSON.encode`: every key its
/// `Decodable` conformance reads, instants as milliseconds or RFC 3339 text). They give up (nil) at
/// anything else: an unknown key, a missing one, a value of another kind, a number that is not an
/// integer. The caller then decodes the text with `JSONDecoder`, so the `Decodable` conformances
/// stay what defines the format and its errors; these only make its common form fast.
/// `MemberStateJSONTests` checks both give the same values for every member and order of random
/// logs over every preset, and that this path took them all.
extension MemberState {
    public init?(stored json: JSON) {
        guard case let .object(pairs) = json,
              let id = json["id"]?.string, let joinedAt = json["joinedAt"]?.instant else { return nil }
        var member = MemberState(id: id, joinedAt: joinedAt)
        // The twelve keys below that have no default are counted: a missing one is JSONDecoder's to
        // report. (No key appears twice: the reader refuses that.)
        var required = 0
        for (key, value) in pairs {
            switch key {
            case "id", "joinedAt": continue
            case "guest": required += 1; guard let v = value.bool else { return nil }; member.guest = v
            case "birthday":
                if value != .null { guard let text = value.string, let date = CivilDate(text) else { return nil }; member.birthday = date }
            case "lots": required += 1; guard let v = value.storedLots else { return nil }; member.lots = v
            case "debt": required += 1; guard let v = value.int64 else { return nil }; member.debt = v
            case "holds": required += 1; guard let v = value.storedHolds else { return nil }; member.holds = v
            case "tier": guard let v = value.optional({ $0.string }) else { return nil }; member.tier = v
            case "nextTier": guard let v = value.optional({ $0.string }) else { return nil }; member.nextTier = v
            case "nextTierAt": guard let v = value.optional({ $0.instant }) else { return nil }; member.nextTierAt = v
            case "qualifying":
                required += 1
                // A dictionary keyed by integers is coded as [key, value, key, value, ...].
                guard let items = value.array, items.count % 2 == 0 else { return nil }
                var qualifying: [Int64: Int64] = [:]
                for pair in stride(from: 0, to: items.count, by: 2) {
                    guard let period = items[pair].int64, let points = items[pair + 1].int64,
                          qualifying.updateValue(points, forKey: period) == nil else { return nil }
                }
                member.qualifying = qualifying
            case "counters":
                required += 1
                guard let items = value.array, items.count % 2 == 0 else { return nil }
                var counters: [CapKey: CapCounter] = [:]
                for pair in stride(from: 0, to: items.count, by: 2) {
                    let key = items[pair], counter = items[pair + 1]
                    guard key.count == 3, counter.count == 2,
                          let rule = key["rule"]?.string, let cap = key["cap"]?.int64.flatMap({ Int(exactly: $0) }), let period = key["period"]?.int64,
                          let count = counter["count"]?.int64, let points = counter["points"]?.int64,
                          counters.updateValue(CapCounter(count: count, points: points), forKey: CapKey(rule: rule, cap: cap, period: period)) == nil
                    else { return nil }
                }
                member.counters = counters
            case "awarded":
                required += 1
                guard let items = value.array else { return nil }
                var awarded = Set<String>(minimumCapacity: items.count)
                for item in items { guard let key = item.string else { return nil }; awarded.insert(key) }
                member.awarded = awarded
            case "cumulative":
                required += 1
                guard let v = value.dictionary({ spend -> CumulativeSpend? in
                    guard spend.count == 2, let counted = spend["countedMinorUnits"]?.int64, let awarded = spend["awarded"]?.int64 else { return nil }
                    return CumulativeSpend(countedMinorUnits: counted, awarded: awarded)
                }) else { return nil }
                member.cumulative = v
            case "redeemed": required += 1; guard let v = value.dictionary({ $0.int64 }) else { return nil }; member.redeemed = v
            case "checkoutAmounts": required += 1; guard let v = value.dictionary({ $0.int64 }) else { return nil }; member.checkoutAmounts = v
            case "claims": required += 1; guard let v = value.dictionary({ $0.int64 }) else { return nil }; member.claims = v
            case "coupons": required += 1; guard let v = value.list({ $0.storedCoupon }) else { return nil }; member.coupons = v
            case "lastActivity": guard let v = value.optional({ $0.instant }) else { return nil }; member.lastActivity = v
            case "inactivityNoticeFor": guard let v = value.optional({ $0.instant }) else { return nil }; member.inactivityNoticeFor = v
            case "birthdayYear": guard let v = value.optional({ $0.int64 }) else { return nil }; member.birthdayYear = v
            case "anniversaryYear": guard let v = value.optional({ $0.int64 }) else { return nil }; member.anniversaryYear = v
            case "streaks":
                guard let v = value.optional({ $0.dictionary { streak -> Streak? in
                    guard streak.count == 2, let lastDay = streak["lastDay"]?.int64, let length = streak["length"]?.int64 else { return nil }
                    return Streak(lastDay: lastDay, length: length)
                } }) else { return nil }
                member.streaks = v
            case "wallets":
                guard let v = value.optional({ $0.dictionary({ $0.storedWallet }) }) else { return nil }
                member.wallets = v
            default: return nil
            }
        }
        guard required == 12 else { return nil }
        self = member
    }
}

extension OrderRecord {
    public init?(stored json: JSON) {
        guard case let .object(pairs) = json, let id = json["id"]?.string, let member = json["member"]?.string,
              let at = json["at"]?.instant, let amount = json["amount"]?.int64 else { return nil }
        var order = OrderRecord(id: id, member: member, at: at, amount: amount)
        // The fields after the first four (read above, never null) have defaults: `init(from:)`
        // reads older records, and null reads as the default, as `decodeIfPresent` does.
        for (key, value) in pairs where value != .null {
            switch key {
            case "id", "member", "at", "amount": continue
            case "refunded": guard let v = value.int64 else { return nil }; order.refunded = v
            case "disputed": guard let v = value.bool else { return nil }; order.disputed = v
            case "disputeOpen": guard let v = value.bool else { return nil }; order.disputeOpen = v
            case "deliveredAt": guard let v = value.instant else { return nil }; order.deliveredAt = v
            case "returnWindowClosedAt": guard let v = value.instant else { return nil }; order.returnWindowClosedAt = v
            case "guest": guard let v = value.bool else { return nil }; order.guest = v
            case "countedCumulative": guard let v = value.bool else { return nil }; order.countedCumulative = v
            case "category": guard let v = value.string else { return nil }; order.category = v
            case "awards": guard let v = value.list({ $0.storedAward }) else { return nil }; order.awards = OrderRecord.Awards(v)
            default: return nil
            }
        }
        self = order
    }
}

extension Outcome {
    /// An outcome as the stores keep it (`Outcome.write(to:compactInstants:)`): verify and a load's
    /// catch-up read one per input.
    public init?(stored json: JSON) {
        guard case let .object(pairs) = json, let status = json["status"]?.string.flatMap(OutcomeStatus.init(rawValue:)),
              let points = json["points"]?.int64 else { return nil }
        var outcome = Outcome(id: nil, status: status, points: points)
        for (key, value) in pairs where value != .null {
            switch key {
            case "status", "points": continue
            case "id": guard let v = value.string else { return nil }; outcome.id = v
            case "reason": guard let v = value.string else { return nil }; outcome.reason = v
            case "code": guard let v = value.reasonCode else { return nil }; outcome.code = v
            case "member": guard let v = value.string else { return nil }; outcome.member = v
            case "type": guard let v = value.string else { return nil }; outcome.type = v
            case "at": guard let v = value.instant else { return nil }; outcome.at = v
            case "rules": guard let v = value.list({ $0.storedRuleResult }) else { return nil }; outcome.rules = v
            case "voucher": guard let v = value.string else { return nil }; outcome.voucher = v
            case "quote": guard let v = value.int64 else { return nil }; outcome.quote = v
            case "first": guard let v = value.string.flatMap(OutcomeStatus.init(rawValue:)) else { return nil }; outcome.first = v
            case "seq": guard let v = value.int64 else { return nil }; outcome.seq = v
            case "currency": guard let v = value.string else { return nil }; outcome.currency = v
            case "currencies": guard let v = value.dictionary({ $0.int64 }) else { return nil }; outcome.currencies = v
            default: return nil
            }
        }
        self = outcome
    }
}

// MARK: - The parts

private extension JSON {
    var string: String? { if case let .string(text) = self { return text }; return nil }
    var bool: Bool? { if case let .bool(value) = self { return value }; return nil }
    /// An integer written as one (no fraction or exponent: those are JSONDecoder's to judge).
    var int64: Int64? { if case let .number(text) = self { return Int64(text) }; return nil }
    /// Milliseconds, or RFC 3339 text as `Instant`'s `Decodable` also reads.
    var instant: Instant? {
        switch self {
        case let .number(text): return Int64(text).map(Instant.init(milliseconds:))
        case let .string(text): return Instant(rfc3339: text)
        default: return nil
        }
    }
    var array: [JSON]? { if case let .array(items) = self { return items }; return nil }
    /// How many keys an object has (0 for anything else).
    var count: Int { if case let .object(pairs) = self { return pairs.count }; return 0 }

    /// `.some(nil)` for null, `.some(value)` when `read` reads it, nil when it cannot.
    func optional<T>(_ read: (JSON) -> T?) -> T?? {
        if self == .null { return .some(nil) }
        guard let value = read(self) else { return nil }
        return .some(value)
    }

    func list<T>(_ read: (JSON) -> T?) -> [T]? {
        guard case let .array(items) = self else { return nil }
        var values: [T] = []
        values.reserveCapacity(items.count)
        for item in items {
            guard let value = read(item) else { return nil }
            values.append(value)
        }
        return values
    }

    func dictionary<T>(_ read: (JSON) -> T?) -> [String: T]? {
        guard case let .object(pairs) = self else { return nil }
        var values: [String: T] = [:]
        values.reserveCapacity(pairs.count)
        for (key, item) in pairs {
            guard let value = read(item), values.updateValue(value, forKey: key) == nil else { return nil }
        }
        return values
    }

    var reasonCode: ReasonCode? { string.flatMap(ReasonCode.init(rawValue:)) }

    var storedRuleResult: RuleResult? {
        guard case let .object(pairs) = self, let rule = self["rule"]?.string, let points = self["points"]?.int64 else { return nil }
        var result = RuleResult(rule: rule, points: points)
        for (key, value) in pairs where value != .null {
            switch key {
            case "rule", "points": continue
            case "reason": guard let v = value.string else { return nil }; result.reason = v
            case "code": guard let v = value.reasonCode else { return nil }; result.code = v
            case "currency": guard let v = value.string else { return nil }; result.currency = v
            default: return nil
            }
        }
        return result
    }

    var storedLots: Lots? {
        guard case let .array(items) = self else { return nil }
        var lots: [Lot] = []
        lots.reserveCapacity(items.count)
        for item in items {
            guard case let .object(pairs) = item else { return nil }
            var id: Int64?, remaining: Int64?, pending: Bool?, availableAt: Instant?, noticed: Bool?
            var expiresAt: Instant?, order: String?, rule: String?, waitsFor: PendingWait?
            for (key, value) in pairs {
                switch key {
                case "id": id = value.int64; if id == nil { return nil }
                case "remaining": remaining = value.int64; if remaining == nil { return nil }
                case "pending": pending = value.bool; if pending == nil { return nil }
                case "availableAt": availableAt = value.instant; if availableAt == nil { return nil }
                case "noticed": noticed = value.bool; if noticed == nil { return nil }
                case "expiresAt": guard let v = value.optional({ $0.instant }) else { return nil }; expiresAt = v
                case "order": guard let v = value.optional({ $0.string }) else { return nil }; order = v
                case "rule": guard let v = value.optional({ $0.string }) else { return nil }; rule = v
                case "waitsFor": guard let v = value.optional({ $0.string.flatMap(PendingWait.init(rawValue:)) }) else { return nil }; waitsFor = v
                default: return nil
                }
            }
            guard let id, let remaining, let pending, let availableAt, let noticed else { return nil }
            lots.append(Lot(id: id, remaining: remaining, pending: pending, availableAt: availableAt, expiresAt: expiresAt,
                            order: order, rule: rule, noticed: noticed, waitsFor: waitsFor))
        }
        return Lots(lots)
    }

    var storedHolds: [Hold]? {
        list { hold in
            guard case let .object(pairs) = hold else { return nil }
            var id: String?, points: Int64?, parts: [Hold.Part]?, order: String?, expiresAt: Instant?
            for (key, value) in pairs {
                switch key {
                case "id": id = value.string; if id == nil { return nil }
                case "points": points = value.int64; if points == nil { return nil }
                case "parts": parts = value.list({ $0.storedPart }); if parts == nil { return nil }
                case "order": guard let v = value.optional({ $0.string }) else { return nil }; order = v
                case "expiresAt": guard let v = value.optional({ $0.instant }) else { return nil }; expiresAt = v
                default: return nil
                }
            }
            guard let id, let points, let parts else { return nil }
            return Hold(id: id, points: points, parts: parts, order: order, expiresAt: expiresAt)
        }
    }

    var storedPart: Hold.Part? {
        guard case let .object(pairs) = self else { return nil }
        var lot: Int64?, points: Int64?, availableAt: Instant?, expiresAt: Instant?, order: String?, rule: String?
        for (key, value) in pairs {
            switch key {
            case "lot": lot = value.int64; if lot == nil { return nil }
            case "points": points = value.int64; if points == nil { return nil }
            case "availableAt": availableAt = value.instant; if availableAt == nil { return nil }
            case "expiresAt": guard let v = value.optional({ $0.instant }) else { return nil }; expiresAt = v
            case "order": guard let v = value.optional({ $0.string }) else { return nil }; order = v
            case "rule": guard let v = value.optional({ $0.string }) else { return nil }; rule = v
            default: return nil
            }
        }
        guard let lot, let points, let availableAt else { return nil }
        return Hold.Part(lot: lot, points: points, availableAt: availableAt, expiresAt: expiresAt, order: order, rule: rule)
    }

    var storedCoupon: Coupon? {
        guard case let .object(pairs) = self else { return nil }
        var reward: String?, name: String?, code: String?, value: Int64?, issuedAt: Instant?
        for (key, item) in pairs {
            switch key {
            case "reward": reward = item.string; if reward == nil { return nil }
            case "name": name = item.string; if name == nil { return nil }
            case "code": code = item.string; if code == nil { return nil }
            case "valueMinorUnits": guard let v = item.optional({ $0.int64 }) else { return nil }; value = v
            case "issuedAt": issuedAt = item.instant; if issuedAt == nil { return nil }
            default: return nil
            }
        }
        guard let reward, let name, let code, let issuedAt else { return nil }
        return Coupon(reward: reward, name: name, code: code, valueMinorUnits: value, issuedAt: issuedAt)
    }

    var storedWallet: Wallet? {
        guard case let .object(pairs) = self, pairs.count == 4,
              let lots = self["lots"]?.storedLots, let debt = self["debt"]?.int64, let holds = self["holds"]?.storedHolds,
              let redeemed = self["redeemed"]?.dictionary({ $0.int64 }) else { return nil }
        var wallet = Wallet()
        wallet.lots = lots
        wallet.debt = debt
        wallet.holds = holds
        wallet.redeemed = redeemed
        return wallet
    }

    var storedAward: OrderRecord.Award? {
        guard case let .object(pairs) = self else { return nil }
        var rule: String?, points: Int64?, lot: Int64?, multiplier: Ratio?, countedIn: Int64?, expired: Int64?
        for (key, value) in pairs {
            switch key {
            case "rule": rule = value.string; if rule == nil { return nil }
            case "points": points = value.int64; if points == nil { return nil }
            case "lot": guard let v = value.optional({ $0.int64 }) else { return nil }; lot = v
            case "multiplier":
                // As written: `Ratio`'s `Decodable` takes the two numbers without reducing them.
                guard value.count == 2, let numerator = value["numerator"]?.int64, let denominator = value["denominator"]?.int64 else { return nil }
                var ratio = Ratio(1)
                ratio.numerator = numerator
                ratio.denominator = denominator
                multiplier = ratio
            case "countedIn": guard let v = value.optional({ $0.int64 }) else { return nil }; countedIn = v
            case "expired": expired = value.int64; if expired == nil { return nil }
            default: return nil
            }
        }
        guard let rule, let points, let multiplier, let expired else { return nil }
        return OrderRecord.Award(rule: rule, points: points, lot: lot, multiplier: multiplier, countedIn: countedIn, expired: expired)
    }
}
