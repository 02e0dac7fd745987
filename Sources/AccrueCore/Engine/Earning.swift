/// Earning: the rules of the input's type, their conditions, multipliers and caps, and the lots
/// that awards become.
extension Engine {
    /// What evaluating one rule gives before anything is recorded.
    struct Evaluation {
        var rule: Rule
        var points: Int64
        var multiplier: Ratio
        var reason: Reason?
        /// Per-period cap counters to advance when the award is made.
        var capKeys: [CapKey]
        var onceKey: String?
        var explanation: String
        /// The streak the award extends (rule, day, new length).
        var streak: (day: Int64, length: Int64)?
    }

    /// Applies every rule on the input's type and records the awards. `amount` is the order amount
    /// for order inputs; `order` the order being completed.
    mutating func earn(_ input: Input, amount: Int64?, order: String?) -> Outcome {
        let rules = program.rules.filter { $0.on == input.type }
        guard !rules.isEmpty else {
            return Engine.applied(0, Reason(.noRule, "\(program.name) gives no \(pointsName) for \(input.type.plural)"))
        }
        let guest = reading(input.member) { $0.guest }
        if !program.guestsEarn, guest || input.bool("guest") == true {
            let text = guest ? "guests earn no \(pointsName)" : "guest orders earn no \(pointsName)"
            return Engine.applied(0, Reason(.guest, text))
        }
        var total: Int64 = 0
        var others: [String: Int64] = [:]
        var results: [RuleResult] = []
        var firstReason: Reason?
        for rule in rules {
            // A rule in another currency is evaluated and awarded in that currency.
            let evaluation = inCurrency(rule.currency) { $0.earn(rule, input: input, amount: amount, order: order) }
            if let code = rule.currency {
                others[code, default: 0] += evaluation.points
            } else {
                total += evaluation.points
            }
            var result = RuleResult(rule: rule.id, points: evaluation.points, reason: evaluation.reason?.message, code: evaluation.reason?.code)
            result.currency = rule.currency
            results.append(result)
            if firstReason == nil, let reason = evaluation.reason { firstReason = reason }
        }
        var outcome = Engine.applied(total)
        if !others.isEmpty { outcome.currencies = others }
        var reasons: [String] = []
        for reason in results.compactMap(\.reason) where !reasons.contains(reason) { reasons.append(reason) }
        if !reasons.isEmpty {
            outcome.reason = reasons.joined(separator: "; ")
            outcome.code = firstReason?.code
        }
        outcome.rules = results
        return outcome
    }

    /// Evaluates one rule on the input and makes its award, in the current currency.
    mutating func earn(_ rule: Rule, input: Input, amount: Int64?, order: String?) -> Evaluation {
        var evaluation: Evaluation
        switch rule.earn {
        case .cumulative:
            evaluation = evaluateCumulative(rule, input: input, amount: amount ?? 0)
        default:
            evaluation = evaluate(rule, input: input, amount: amount)
        }
        if evaluation.points > 0, wouldOverflow(input.member, adding: evaluation.points) {
            evaluation.points = 0
            evaluation.reason = Reason(.overflow, "\(rule.title) would take this member past \(formatPoints(Limits.maximumMemberPoints)) \(pointsName)")
        }
        if evaluation.points > 0 {
            award(evaluation, input: input, order: order)
        }
        return evaluation
    }

    /// The multiplier for an award under `rule` for this member at `at`, and its explanation.
    /// nil when the multipliers together are too large to hold exactly.
    func multiplier(for rule: Rule, tier: String?, at: Instant, category: String?) -> (Ratio, [String])? {
        var result = Ratio.one
        var parts: [String] = []
        if rule.tierMultiplier, let tiers = program.tiers, let index = tiers.index(of: tier) {
            let level = tiers.levels[index]
            if level.multiplier != .one {
                guard let product = result.multiplied(by: level.multiplier) else { return nil }
                result = product
                parts.append("x\(level.multiplier) \(level.name)")
            }
        }
        if rule.campaignMultiplier {
            let day = program.calendar.date(of: at)
            let active = program.campaigns.filter { campaign in
                campaign.from <= day && day <= campaign.to
                    && (campaign.categories.map { list in category.map(list.contains) ?? false } ?? true)
            }
            switch program.campaignPolicy {
            case .highest:
                if let best = active.max(by: { $0.multiplier < $1.multiplier || ($0.multiplier == $1.multiplier && $0.id > $1.id) }) {
                    guard let product = result.multiplied(by: best.multiplier) else { return nil }
                    result = product
                    parts.append("x\(best.multiplier) \(best.name)")
                }
            case .multiply:
                for campaign in active {
                    guard let product = result.multiplied(by: campaign.multiplier) else { return nil }
                    result = product
                    parts.append("x\(campaign.multiplier) \(campaign.name)")
                }
            }
        }
        return (result, parts)
    }

    /// Evaluates a fixed or per-amount rule.
    mutating func evaluate(_ rule: Rule, input: Input, amount: Int64?) -> Evaluation {
        var evaluation = Evaluation(rule: rule, points: 0, multiplier: .one, reason: nil, capKeys: [], onceKey: nil, explanation: rule.title)
        if let reason = conditionFailure(rule, input: input, amount: amount) {
            evaluation.reason = reason
            return evaluation
        }
        if !rule.oncePer.isEmpty {
            let key = ([rule.id] + rule.oncePer.map { keyPart(input.string($0) ?? "") }).joined(separator: "|")
            if reading(input.member, { $0.awarded.contains(key) }) {
                let what = rule.oncePer.map { "\($0) \(truncated(input.string($0) ?? ""))" }.joined(separator: ", ")
                evaluation.reason = Reason(.alreadyAwarded, "\(rule.label) earn once for each \(rule.oncePer.joined(separator: " and ")); \(what) has already earned")
                return evaluation
            }
            evaluation.onceKey = key
        }
        var base: Int64
        var explanation: String
        switch rule.earn {
        case let .fixed(points):
            base = points
            explanation = "\(rule.title): \(formatPoints(points))"
        case let .perAmount(per, points, _):
            let units = (amount ?? 0) / per
            let (product, overflow) = units.multipliedReportingOverflow(by: points)
            base = overflow ? Int64.max / 4 : product
            explanation = "\(rule.title): \(format(amount ?? 0)) at \(formatPoints(points)) per \(format(per))"
            if units == 0 {
                evaluation.reason = Reason(.zeroPoints, "\(rule.label) earn \(pointsPhrase(points)) per whole \(format(per)); \(format(amount ?? 0)) earns none")
                return evaluation
            }
        case .cumulative:
            base = 0
            explanation = rule.title
        case let .streak(start, step, maximum):
            let day = program.calendar.periodIndex(.day, of: input.at)
            let last = reading(input.member) { $0.streaks?[rule.id] }
            if let last, last.lastDay >= day {
                evaluation.reason = Reason(.alreadyAwarded, last.lastDay == day
                    ? "\(rule.label) count once a day; today's is counted (day \(last.length) of your streak)"
                    : "\(rule.label) count in order, and this one is for a day before your last")
                return evaluation
            }
            let length = last.map { $0.lastDay == day - 1 ? $0.length + 1 : 1 } ?? 1
            let (grown, overflow) = (length - 1).multipliedReportingOverflow(by: step)
            base = overflow ? maximum : min(maximum, start + grown)
            evaluation.streak = (day, length)
            explanation = "\(rule.title): day \(length) of a streak, \(formatPoints(base))"
                + (length > 1 || last == nil ? "" : " (the streak starts again after a missed day)")
        }
        let tier = reading(input.member) { $0.tier }
        guard let (ratio, parts) = multiplier(for: rule, tier: tier, at: input.at, category: input.string("category")) else {
            evaluation.reason = Reason(.overflow, "\(rule.title) for this input would be too large to award")
            return evaluation
        }
        evaluation.multiplier = ratio
        guard var points = ratio.floorTimes(base), base < Int64.max / 4 else {
            evaluation.reason = Reason(.overflow, "\(rule.title) for this input would be too large to award")
            return evaluation
        }
        if !parts.isEmpty { explanation += " " + parts.joined(separator: " ") }
        if case let .perAmount(_, _, maximum?) = rule.earn, points > maximum {
            points = maximum
            explanation += " (at most \(formatPoints(maximum)) per input)"
        }
        evaluation.explanation = explanation
        // Caps over several windows: the tightest decides.
        var room = points
        var binding: Reason?
        var keys: [CapKey] = []
        for (index, cap) in rule.caps.enumerated() {
            let period = program.calendar.periodIndex(cap.period, of: input.at)
            let key = CapKey(rule: rule.id, cap: index, period: period)
            keys.append(key)
            if capPeriodClosed(cap.period, index: period) {
                evaluation.reason = Reason(.capReached, "\(rule.label) earn within a cap per \(cap.period.rawValue), and this one arrived after that \(cap.period.rawValue)'s awards were closed")
                return evaluation
            }
            let used = reading(input.member) { $0.counters[key] } ?? CapCounter(count: 0, points: 0)
            if let count = cap.count, used.count >= count {
                let limit = count == 1 ? "once" : count == 2 ? "twice" : "\(count) times"
                let have = count == 1 ? "you already have one \(cap.period.thisPhrase)" : "you have \(used.count) \(cap.period.thisPhrase)"
                evaluation.reason = Reason(.capReached, "\(rule.label) earn at most \(limit) a \(cap.period.rawValue); \(have)")
                return evaluation
            }
            if let capPoints = cap.points {
                let left = max(0, capPoints - used.points)
                if left < room {
                    room = left
                    binding = Reason(.capReached, "\(rule.label) earn at most \(formatPoints(capPoints)) \(pointsName) a \(cap.period.rawValue); you have \(formatPoints(used.points)) \(cap.period.thisPhrase)")
                }
            }
        }
        evaluation.capKeys = keys
        evaluation.points = room
        evaluation.reason = binding
        return evaluation
    }

    /// Why `rule` awards nothing for this input, or nil when its conditions hold.
    func conditionFailure(_ rule: Rule, input: Input, amount: Int64?) -> Reason? {
        if let seller = input.string("seller"), program.excludedSellers.contains(seller) {
            return Reason(.excludedSeller, "orders from seller \(truncated(seller)) earn no \(pointsName)")
        }
        if let participating = program.participatingSellers, rule.on == .orderCompleted {
            guard let seller = input.string("seller") else {
                return Reason(.sellerNotParticipating, "only orders from sellers taking part in \(program.name) earn \(pointsName), and this order names no seller")
            }
            if !participating.contains(seller) {
                return Reason(.sellerNotParticipating, "seller \(truncated(seller)) does not take part in \(program.name): its orders earn no \(pointsName)")
            }
        }
        let conditions = rule.conditions
        if let wanted = conditions.international, (input.bool("international") ?? false) != wanted {
            return Reason(.international, wanted ? "only international orders earn \(rule.title)" : "international orders earn no \(pointsName)")
        }
        if let categories = conditions.categories, !(input.string("category").map(categories.contains) ?? false) {
            return Reason(.category, "only orders in \(categories.joined(separator: ", ")) earn \(rule.title)")
        }
        if let minimum = conditions.minimumAmount, let amount, amount < minimum {
            return Reason(.minimumAmount, "\(rule.label) under \(format(minimum)) earn no \(pointsName)")
        }
        if let minimum = conditions.knownOrderMinimum {
            guard let orderID = input.string("order"), let order = state.orders[orderID], order.member == input.member else {
                return Reason(.orderNotKnown, "\(rule.label) earn \(pointsName) only for orders \(program.name) knows of, and order \(truncated(input.string("order") ?? "")) is not one")
            }
            if order.disputed {
                return Reason(.orderDisputed, "\(rule.label) of a disputed order earn no \(pointsName)")
            }
            if order.remaining < minimum {
                return Reason(.minimumAmount, "\(rule.label) earn \(pointsName) only for orders of at least \(format(minimum)) after refunds; order \(truncated(order.id)) has \(format(order.remaining))")
            }
        }
        return nil
    }

    /// Evaluates a cumulative rule: points = floor(counted spend / per) x points, minus what was awarded.
    mutating func evaluateCumulative(_ rule: Rule, input: Input, amount: Int64) -> Evaluation {
        var evaluation = Evaluation(rule: rule, points: 0, multiplier: .one, reason: nil, capKeys: [], onceKey: nil, explanation: rule.title)
        guard case let .cumulative(per, points) = rule.earn else { return evaluation }
        if let reason = conditionFailure(rule, input: input, amount: amount) {
            evaluation.reason = reason
            return evaluation
        }
        if let orderID = input.string("order") {
            state.orders.inPlace(orderID) { $0.countedCumulative = true }
            touchedOrders.insert(orderID)
        }
        let counted = reading(input.member) { $0.cumulative[rule.id]?.countedMinorUnits } ?? 0
        guard counted <= Limits.maximumCumulativeMinorUnits - amount else {
            evaluation.reason = Reason(.overflow, "\(rule.label) past \(format(Limits.maximumCumulativeMinorUnits)) in all are not counted")
            return evaluation
        }
        let (before, after) = withMember(input.member) { member -> (CumulativeSpend, CumulativeSpend) in
            let before = member.cumulative[rule.id] ?? CumulativeSpend(countedMinorUnits: 0, awarded: 0)
            var after = before
            after.countedMinorUnits += amount
            after.awarded = after.countedMinorUnits / per * points
            member.cumulative[rule.id] = after
            return (before, after)
        }
        evaluation.points = after.awarded - before.awarded
        evaluation.explanation = "\(rule.title): \(format(after.countedMinorUnits)) spent in all at \(formatPoints(points)) per whole \(format(per))"
        if evaluation.points == 0 {
            let next = (after.countedMinorUnits / per + 1) * per - after.countedMinorUnits
            evaluation.reason = Reason(.zeroPoints, "\(rule.label) earn \(pointsPhrase(points)) per whole \(format(per)) spent in all; \(format(next)) more to the next")
        }
        return evaluation
    }

    /// Whether adding `points` would take the member past the most points one member may hold.
    mutating func wouldOverflow(_ memberID: String, adding points: Int64) -> Bool {
        let held = reading(memberID) { max(0, $0.balance) + $0.pending + $0.held }
        return points > Limits.maximumMemberPoints - held
    }

    /// Records an evaluated award: counters, the one-time key, the lot and its entries.
    mutating func award(_ evaluation: Evaluation, input: Input, order: String?) {
        let opened = withMember(input.member) { member -> Bool in
            var opened = false
            for key in evaluation.capKeys {
                var counter = member.counters[key] ?? CapCounter(count: 0, points: 0)
                if counter.count == 0 { opened = true }
                counter.count += 1
                counter.points += evaluation.points
                member.counters[key] = counter
            }
            if let key = evaluation.onceKey { member.awarded.insert(key) }
            if let streak = evaluation.streak {
                member.streaks = (member.streaks ?? [:]).merging([evaluation.rule.id: Streak(lastDay: streak.day, length: streak.length)]) { $1 }
            }
            return opened
        }
        if opened { pruneCounters(input.member) }
        let lot = grant(input.member, points: evaluation.points, at: input.at, pendingDays: evaluation.rule.pendingDays,
                        input: input.id, rule: evaluation.rule.id, order: order, explanation: evaluation.explanation,
                        until: order == nil ? nil : evaluation.rule.pendingUntil)
        if let order {
            let pending = evaluation.rule.pendingDays != nil || evaluation.rule.pendingUntil != nil
            let counted: Int64? = !pending && program.tiers != nil ? qualifyingPeriod(input.at) : nil
            let record = OrderRecord.Award(rule: evaluation.rule.id, points: evaluation.points, lot: lot,
                                           multiplier: evaluation.multiplier, countedIn: counted)
            state.orders.inPlace(order) { $0.awards.append(record) }
            touchedOrders.insert(order)
        }
    }

    /// How many periods back cap counters are kept: a late input older than this finds its period
    /// closed (it earns nothing under that cap), so a cap is never counted twice.
    static func capRetention(_ period: Period) -> Int64 {
        switch period {
        case .day: return 62
        case .month: return 14
        case .year: return 2
        }
    }

    /// Whether a cap's period is too far behind the clock to be judged any more.
    func capPeriodClosed(_ period: Period, index: Int64) -> Bool {
        guard let clock = state.clock else { return false }
        return index <= program.calendar.periodIndex(period, of: clock) - Engine.capRetention(period)
    }

    /// Drops cap counters of closed periods. Runs when a new period's counter opens, so its cost is
    /// paid once per period, not once per award.
    mutating func pruneCounters(_ memberID: String) {
        let rules = program.rules
        let calendar = program.calendar
        let clock = state.clock ?? Instant(milliseconds: 0)
        func stale(_ key: CapKey) -> Bool {
            guard let rule = rules.first(where: { $0.id == key.rule }), key.cap < rule.caps.count else { return true }
            let cap = rule.caps[key.cap]
            return key.period <= calendar.periodIndex(cap.period, of: clock) - Engine.capRetention(cap.period)
        }
        // Removed in place: a daily cap opens a period at nearly every sign-in, and rebuilding the
        // member's counters each time was a sixth of an award.
        withMember(memberID) { member in
            var old: [CapKey] = []
            for key in member.counters.keys where stale(key) { old.append(key) }
            for key in old { member.counters.removeValue(forKey: key) }
        }
    }

    /// Creates a lot of `points` for a member, pending or available, and returns its id.
    @discardableResult
    mutating func grant(_ memberID: String, points: Int64, at: Instant, pendingDays: Int64?, input: String?, rule: String?,
                        order: String?, explanation: String, kind: EntryKind = .earn, until: PendingRelease? = nil) -> Int64 {
        let id = state.nextLot
        state.nextLot += 1
        if let until, let order {
            // Pending until the shop reports the order's state: no time is known yet.
            let lot = Lot(id: id, remaining: points, pending: true, availableAt: .never, expiresAt: nil, order: order, rule: rule,
                          waitsFor: PendingWait(until))
            withMember(memberID) { $0.lots.append(lot) }
            record(memberID, at, .earnPending, points, reason: "\(explanation); pending \(Engine.waiting(until, order: order))",
                   lot: id, input: input, rule: rule)
        } else if let days = pendingDays, days > 0 {
            let availableAt = at.adding(days: days)
            let lot = Lot(id: id, remaining: points, pending: true, availableAt: availableAt, expiresAt: nil, order: order, rule: rule)
            withMember(memberID) { $0.lots.append(lot) }
            record(memberID, at, .earnPending, points, reason: "\(explanation); pending until \(local(availableAt))",
                   lot: id, input: input, rule: rule, availableAt: availableAt)
            schedule.push(Due(at: availableAt, kind: .release, member: memberID, lot: id, currency: slot(of: currency)))
        } else {
            let expiresAt = lotExpiry(availableAt: at)
            let lot = Lot(id: id, remaining: points, pending: false, availableAt: at, expiresAt: expiresAt, order: order, rule: rule)
            withMember(memberID) { $0.lots.append(lot) }
            record(memberID, at, kind, points, reason: explanation, lot: id, input: input, rule: rule, expiresAt: expiresAt, availableAt: at)
            becameAvailable(memberID, lot: id, points: points, at: at)
        }
        touch(memberID, at: at)
        return id
    }

    /// "until the return window of order o-1 closes", "until 15 days after order o-1 is delivered".
    static func waiting(_ until: PendingRelease, order: String) -> String {
        switch until {
        case .returnWindowClosed: return "until the return window of order \(truncated(order)) closes"
        case let .delivered(days) where days == 0: return "until order \(truncated(order)) is delivered"
        case let .delivered(days): return "until \(days) day\(days == 1 ? "" : "s") after order \(truncated(order)) is delivered"
        }
    }

    /// When a lot that became available at `availableAt` expires, under the program's expiry model.
    func lotExpiry(availableAt: Instant) -> Instant? {
        switch program.expiry {
        case let .monthsAfterAvailable(months, _):
            return program.calendar.adding(months: months, to: availableAt)
        case let .endOfMonth(monthsAfter, _):
            let date = program.calendar.date(of: availableAt)
            return program.calendar.instant(CivilDate(year: date.year, month: date.month, day: 1).adding(months: monthsAfter + 1))
        case .none, .inactivity:
            return nil
        }
    }

    /// The period an award available at `at` counts in toward the tier: a local year or month.
    func qualifyingPeriod(_ at: Instant) -> Int64 {
        if case .rollingMonths? = program.tiers?.basis { return program.calendar.monthIndex(of: at) }
        return program.calendar.periodIndex(.year, of: at)
    }

    /// Effects of points becoming available: they pay a negative balance first, count toward the
    /// tier, and get their expiry scheduled.
    mutating func becameAvailable(_ memberID: String, lot lotID: Int64, points: Int64, at: Instant) {
        payDebt(memberID, from: lotID, at: at)
        if program.tiers != nil {
            let period = qualifyingPeriod(at)
            withMember(memberID) { $0.qualifying[period, default: 0] += points }
            watchTier(memberID)
            updateTier(memberID, at: at)
        }
        scheduleExpiry(memberID, lot: lotID)
    }

    mutating func payDebt(_ memberID: String, from lotID: Int64, at: Instant) {
        // Read in place: every award and release asks, and most members owe nothing.
        let debt = reading(memberID) { $0.debt }
        guard debt > 0, let (index, lot) = reading(memberID, { $0.lots.indexedLot(lotID) }) else { return }
        let take = min(debt, lot.remaining)
        guard take > 0 else { return }
        withMember(memberID) { member in
            member.debt -= take
            member.lots[index].remaining -= take
            if member.lots[index].remaining == 0 { member.lots.remove(at: index) }
        }
        record(memberID, at, .payDebt, -take, reason: "\(formatPoints(take)) \(pointsName) paid off a negative balance", lot: lotID)
    }

    mutating func scheduleExpiry(_ memberID: String, lot lotID: Int64) {
        guard let lot = reading(memberID, { $0.lots.lot(lotID) }), let expiresAt = lot.expiresAt else { return }
        schedule.push(Due(at: expiresAt, kind: .expire, member: memberID, lot: lotID, currency: slot(of: currency)))
        if let noticeDays = program.expiry.lotNoticeDays, !lot.noticed {
            schedule.push(Due(at: expiresAt.adding(days: -noticeDays), kind: .notice, member: memberID, lot: lotID, currency: slot(of: currency)))
        }
    }

    /// Marks activity (earning, spending, an adjustment) for inactivity expiry.
    mutating func touch(_ memberID: String, at: Instant) {
        guard case let .inactivity(days, noticeDays) = program.expiry else { return }
        let previous = reading(memberID) { $0.lastActivity }
        let last = max(previous ?? at, at)
        withMember(memberID) { $0.lastActivity = last }
        // One item of each kind per member: while the item for an earlier deadline still waits, it
        // moves itself to the current one when it comes due (see `run`), so activity does not pile
        // up items. A new item is needed only when the last one has run.
        let now = state.clock ?? at
        if previous.map({ $0.adding(days: days) <= now }) ?? true {
            schedule.push(Due(at: last.adding(days: days), kind: .inactivity, member: memberID, lot: 0))
        }
        if let noticeDays, previous.map({ $0.adding(days: days - noticeDays) <= now }) ?? true {
            schedule.push(Due(at: last.adding(days: days - noticeDays), kind: .inactivityNotice, member: memberID, lot: 0))
        }
    }
}

/// A part of a composite key joined with "|": "|" and "\\" are escaped, so that two different
/// lists of parts never make the same key ("o|1" + "p" is not "o" + "1|p"). Parts without either
/// character are unchanged, so keys already stored stay valid.
func keyPart(_ text: String) -> String {
    guard text.unicodeScalars.contains(where: { $0 == "|" || $0 == "\\" }) else { return text }
    return text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "|", with: "\\|")
}
