/// Orders: completion, refunds and disputes, and the reversals they cause.
extension Engine {
    mutating func orderCompleted(_ input: Input) -> Outcome {
        let orderID = input.string("order")!
        let amount: Int64
        switch money(input, "amount") {
        case let .success(value): amount = value
        case let .failure(reason): return Engine.refused(reason)
        }
        if state.orders[orderID] != nil {
            return Engine.refused(Reason(.orderAlreadyCompleted, "order \(truncated(orderID)) was already completed"))
        }
        let guest = input.bool("guest") == true || reading(input.member) { $0.guest }
        state.orders[orderID] = OrderRecord(id: orderID, member: input.member, at: input.at, amount: amount, guest: guest,
                                            category: input.string("category"))
        touchedOrders.insert(orderID)
        return earn(input, amount: amount, order: orderID)
    }

    /// Finds an order for a refund or dispute, refusing what is unknown, another member's or disputed.
    func orderFor(_ input: Input) -> Result<OrderRecord, Reason> {
        stateOrder(input).flatMap { order in
            order.disputeOpen
                ? .failure(Reason(.orderDisputed, "order \(truncated(order.id)) is under dispute until order.dispute_resolved; its \(pointsName) wait for it"))
                : .success(order)
        }
    }

    // MARK: Pending points released by the order's state

    /// The pending lots of an order's awards, with where they are in the member's lots.
    func pendingLots(of order: OrderRecord) -> [(index: Int, lot: Lot)] {
        let lots = member(order.member).lots
        return order.awards.compactMap { award in
            guard let id = award.lot, let index = lots.index(ofLot: id), lots[index].pending else { return nil }
            return (index, lots[index])
        }
    }

    /// Starts the wait of an order's pending lots that wait for `what`, now that it happened.
    mutating func releaseWaiting(_ order: OrderRecord, for what: PendingWait, at: Instant, why: String) -> Int64 {
        var released: Int64 = 0
        for (_, lot) in pendingLots(of: order) where lot.waitsFor == what {
            guard let rule = program.rules.first(where: { $0.id == lot.rule }), let until = rule.pendingUntil else { continue }
            released += startRelease(order.member, lot: lot.id, until: until, order: order, at: at, why: why)
        }
        return released
    }

    /// Releases a lot now, or schedules it for delivery plus the rule's days. Returns the points
    /// released now.
    mutating func startRelease(_ memberID: String, lot lotID: Int64, until: PendingRelease, order: OrderRecord, at: Instant, why: String) -> Int64 {
        guard let (index, lot) = reading(memberID, { $0.lots.indexedLot(lotID) }) else { return 0 }
        var availableAt = at
        if case let .delivered(days) = until, let delivered = order.deliveredAt { availableAt = max(at, delivered.adding(days: days)) }
        if availableAt <= at {
            release(memberID, lotAt: index, at: at, why: why)
            return lot.remaining
        }
        withMember(memberID) { member in
            member.lots[index].waitsFor = nil
            member.lots[index].availableAt = availableAt
        }
        schedule.push(Due(at: availableAt, kind: .release, member: memberID, lot: lotID))
        return 0
    }

    mutating func orderDelivered(_ input: Input) -> Outcome {
        reportState(input, \.deliveredAt, waitsFor: .delivery, happened: "order \(truncated(input.string("order")!)) is delivered",
                    repeated: "was already reported delivered")
    }

    mutating func returnWindowClosed(_ input: Input) -> Outcome {
        reportState(input, \.returnWindowClosedAt, waitsFor: .returnWindow,
                    happened: "the return window of order \(truncated(input.string("order")!)) is closed", repeated: "had its return window reported closed already")
    }

    /// Records a state of an order (once), and starts the release of its points that waited for
    /// it, unless a dispute holds them.
    mutating func reportState(_ input: Input, _ field: WritableKeyPath<OrderRecord, Instant?>, waitsFor: PendingWait, happened: String,
                              repeated: String) -> Outcome {
        let order: OrderRecord
        switch stateOrder(input) {
        case let .success(value): order = value
        case let .failure(reason): return Engine.refused(reason)
        }
        guard order[keyPath: field] == nil else {
            return Engine.refused(Reason(.orderStateRepeated, "order \(truncated(order.id)) \(repeated)"))
        }
        state.orders[existing: order.id][keyPath: field] = input.at
        touchedOrders.insert(order.id)
        let waiting = pendingLots(of: order).filter { $0.lot.waitsFor == waitsFor }
        guard !waiting.isEmpty, !order.disputeOpen else {
            return Engine.applied(0, Reason(.nothingToRecompute, order.disputeOpen
                ? "\(happened); its \(pointsName) wait for the dispute's resolution"
                : "\(happened); it has no \(pointsName) waiting for this"))
        }
        let released = releaseWaiting(state.orders[existing: order.id], for: waitsFor, at: input.at, why: happened)
        let later = member(order.member).lots.filter { lot in waiting.contains { $0.lot.id == lot.id } && lot.pending }
        if let first = later.first {
            let points = later.reduce(0) { $0 + $1.remaining }
            return Engine.applied(0, Reason(.nothingToRecompute,
                "\(happened): \(formatPoints(points)) pending \(pointsName) become available at \(local(first.availableAt))"))
        }
        var outcome = Engine.applied(0)
        outcome.reason = "\(happened): \(formatPoints(released)) pending \(pointsName) are now available"
        return outcome
    }

    /// An order an order-state input names: known, the member's own, not disputed for good.
    func stateOrder(_ input: Input) -> Result<OrderRecord, Reason> {
        let orderID = input.string("order")!
        guard let order = state.orders[orderID] else {
            return .failure(Reason(.unknownOrder, "order \(truncated(orderID)) is not known to \(program.name)"))
        }
        guard order.member == input.member else {
            return .failure(Reason(.orderOfAnotherMember, "order \(truncated(orderID)) is not one of this member's orders"))
        }
        guard !order.disputed else {
            return .failure(Reason(.orderDisputed, "order \(truncated(orderID)) is under dispute and counts for nothing"))
        }
        return .success(order)
    }

    /// Ends a dispute opened while the order's points were pending: a refund (the shopper won,
    /// all or part) recomputes the awards like `order.refunded`; then the points left wait for
    /// what they waited for before, or are released when that already happened.
    mutating func disputeResolved(_ input: Input) -> Outcome {
        let order: OrderRecord
        switch stateOrder(input) {
        case let .success(value): order = value
        case let .failure(reason): return Engine.refused(reason)
        }
        guard order.disputeOpen else {
            return Engine.refused(Reason(.noOpenDispute, "order \(truncated(order.id)) has no open dispute to resolve"))
        }
        var refund: Int64 = 0
        if input.string("refund") != nil {
            switch money(input, "refund") {
            case let .success(value): refund = value
            case let .failure(reason): return Engine.refused(reason)
            }
            guard refund <= order.remaining else {
                return Engine.refused(Reason(.refundTooLarge, "a refund of \(format(refund)) is more than the \(format(order.remaining)) left on order \(truncated(order.id))"))
            }
        }
        state.orders[existing: order.id].disputeOpen = false
        touchedOrders.insert(order.id)
        var reversed: Int64 = 0
        if refund > 0 {
            reversed = refundAwards(input, order: state.orders[existing: order.id], amount: refund,
                                    reason: "the dispute on order \(truncated(order.id)) ended with a refund of \(format(refund))")
        }
        // The points left go back to waiting for the order's state, or are released now.
        let resolved = state.orders[existing: order.id]
        var released: Int64 = 0
        for (_, lot) in pendingLots(of: resolved) where lot.waitsFor == .dispute {
            guard let rule = program.rules.first(where: { $0.id == lot.rule }), let until = rule.pendingUntil else { continue }
            let happened = until == .returnWindowClosed ? resolved.returnWindowClosedAt != nil : resolved.deliveredAt != nil
            if happened {
                released += startRelease(order.member, lot: lot.id, until: until, order: resolved, at: input.at,
                                         why: "the dispute on order \(truncated(order.id)) is resolved")
            } else if let index = member(order.member).lots.index(ofLot: lot.id) {
                withMember(order.member) { $0.lots[index].waitsFor = PendingWait(until) }
            }
        }
        var outcome = Engine.applied(-reversed)
        outcome.reason = "the dispute on order \(truncated(order.id)) is resolved"
            + (refund > 0 ? " with a refund of \(format(refund)): \(formatPoints(reversed)) \(pointsName) taken back" : "")
            + (released > 0 ? "; \(formatPoints(released)) pending \(pointsName) are now available" : "")
        return outcome
    }

    mutating func orderRefunded(_ input: Input) -> Outcome {
        let order: OrderRecord
        switch orderFor(input) {
        case let .success(value): order = value
        case let .failure(reason): return Engine.refused(reason)
        }
        let amount: Int64
        switch money(input, "amount") {
        case let .success(value): amount = value
        case let .failure(reason): return Engine.refused(reason)
        }
        guard amount <= order.remaining else {
            return Engine.refused(Reason(.refundTooLarge, "a refund of \(format(amount)) is more than the \(format(order.remaining)) left on order \(truncated(order.id))"))
        }
        let reversed = refundAwards(input, order: order, amount: amount,
                                    reason: "refund of \(format(amount)) on order \(truncated(order.id))")
        if reversed == 0 {
            let changed = state.orders[existing: order.id].awards != order.awards
            return Engine.applied(0, Reason(.nothingToRecompute, changed
                ? "the \(pointsName) this refund takes back from order \(truncated(order.id)) had already expired"
                : "the refund leaves the \(pointsName) of order \(truncated(order.id)) unchanged (\(format(order.remaining - amount)) left)"))
        }
        return Engine.applied(-reversed)
    }

    /// Takes `amount` off an order and recomputes each award on what is left (a refund, or a
    /// dispute resolved with one). Returns the points taken back.
    mutating func refundAwards(_ input: Input, order: OrderRecord, amount: Int64, reason: String) -> Int64 {
        state.orders[existing: order.id].refunded += amount
        touchedOrders.insert(order.id)
        let remaining = order.remaining - amount
        var reversed: Int64 = 0
        for (index, award) in order.awards.enumerated() {
            guard let rule = program.rules.first(where: { $0.id == award.rule }) else { continue }
            let target: Int64
            switch rule.earn {
            case .cumulative:
                continue
            case .fixed, .streak:
                target = (rule.conditions.minimumAmount.map { remaining < $0 } ?? false) ? 0 : award.points
            case let .perAmount(per, points, maximum):
                if let minimum = rule.conditions.minimumAmount, remaining < minimum {
                    target = 0
                } else {
                    var value = award.multiplier.floorTimes(remaining / per * points) ?? 0
                    if let maximum { value = min(value, maximum) }
                    target = min(award.points, value)
                }
            }
            let take = award.points - target
            guard take > 0 else { continue }
            state.orders[existing: order.id].awards[index].points = target
            reversed += reverse(input.member, points: take, award: award, order: order.id, at: input.at, input: input.id,
                                reason: "\(reason): \(rule.title) recomputed on \(format(remaining))")
        }
        if order.countedCumulative {
            reversed += recomputeCumulative(input, order: order, leaving: amount, reason: reason)
        }
        return reversed
    }

    mutating func orderDisputed(_ input: Input) -> Outcome {
        let order: OrderRecord
        switch orderFor(input) {
        case let .success(value): order = value
        case let .failure(reason): return Engine.refused(reason)
        }
        // Points still pending under a rule that waits for the order's state wait for the
        // dispute's resolution instead of being taken back (the shopper may yet keep the order).
        let holding = pendingLots(of: order).filter { _, lot in
            program.rules.first(where: { $0.id == lot.rule })?.pendingUntil != nil
        }
        if !holding.isEmpty {
            state.orders[existing: order.id].disputeOpen = true
            touchedOrders.insert(order.id)
            for (_, lot) in holding {
                guard let index = member(order.member).lots.index(ofLot: lot.id) else { continue }
                withMember(order.member) { $0.lots[index].waitsFor = .dispute }
            }
            let points = holding.reduce(0) { $0 + $1.lot.remaining }
            return Engine.applied(0, Reason(.nothingToRecompute,
                "order \(truncated(order.id)) is under dispute: its \(formatPoints(points)) pending \(pointsName) wait for order.dispute_resolved"))
        }
        state.orders[existing: order.id].disputed = true
        touchedOrders.insert(order.id)
        var reversed: Int64 = 0
        for (index, award) in order.awards.enumerated() where award.points > 0 {
            guard let rule = program.rules.first(where: { $0.id == award.rule }) else { continue }
            if case .cumulative = rule.earn { continue }
            state.orders[existing: order.id].awards[index].points = 0
            reversed += reverse(input.member, points: award.points, award: award, order: order.id, at: input.at, input: input.id,
                                reason: "order \(truncated(order.id)) is under dispute: \(rule.title) taken back")
        }
        if order.countedCumulative {
            reversed += recomputeCumulative(input, order: order, leaving: order.remaining,
                                            reason: "order \(truncated(order.id)) is under dispute")
        }
        if reversed == 0 {
            return Engine.applied(0, Reason(.nothingToRecompute, "order \(truncated(order.id)) had earned no \(pointsName) to take back"))
        }
        return Engine.applied(-reversed)
    }

    /// Takes `amount` of an order's counted spend out of every cumulative rule and reverses the
    /// points it no longer earns.
    mutating func recomputeCumulative(_ input: Input, order: OrderRecord, leaving amount: Int64, reason: String) -> Int64 {
        var reversed: Int64 = 0
        for rule in program.rules {
            guard case let .cumulative(per, points) = rule.earn, let before = member(input.member).cumulative[rule.id] else { continue }
            var after = before
            after.countedMinorUnits -= amount
            after.awarded = after.countedMinorUnits / per * points
            withMember(input.member) { $0.cumulative[rule.id] = after }
            let take = before.awarded - after.awarded
            guard take > 0 else { continue }
            let award = order.awards.first(where: { $0.rule == rule.id })
                ?? OrderRecord.Award(rule: rule.id, points: 0, lot: nil, multiplier: .one, countedIn: nil)
            if let index = order.awards.firstIndex(where: { $0.rule == rule.id }) {
                state.orders[existing: order.id].awards[index].points = max(0, award.points - take)
            }
            var counted = award
            if counted.countedIn == nil, program.tiers != nil { counted.countedIn = qualifyingPeriod(input.at) }
            reversed += reverse(input.member, points: take, award: counted, order: order.id, at: input.at, input: input.id,
                                reason: "\(reason): \(rule.title) recomputed on \(format(after.countedMinorUnits)) spent in all")
        }
        return reversed
    }

    /// Takes back `points` of an award: from its own lot first (pending points are only cancelled),
    /// then its points that already expired (nothing more to take), then from the soonest-expiring
    /// others, then below zero. Returns the points taken from the member now.
    @discardableResult
    mutating func reverse(_ memberID: String, points: Int64, award: OrderRecord.Award, order orderID: String, at: Instant, input: String?,
                          reason: String) -> Int64 {
        var left = points
        var fromAvailable: Int64 = 0
        var absorbedExpired: Int64 = 0
        if let lotID = award.lot, let (index, lot) = reading(memberID, { $0.lots.indexedLot(lotID) }) {
            let take = min(left, lot.remaining)
            if take > 0 {
                withMember(memberID) { member in
                    member.lots[index].remaining -= take
                    if member.lots[index].remaining == 0 { member.lots.remove(at: index) }
                }
                record(memberID, at, lot.pending ? .cancelPending : .reverse, -take, reason: reason, lot: lotID, input: input, rule: award.rule)
                left -= take
                if !lot.pending { fromAvailable += take }
            }
            if lot.pending {
                // A pending award is cancelled without touching the available balance.
                return points - left
            }
        }
        // Points of the award that expired unspent are already gone: taking them back again from
        // other points (or below zero) would punish the shopper twice.
        if left > 0, let awardIndex = state.orders[orderID]?.awards.firstIndex(where: { $0.lot != nil && $0.lot == award.lot }),
           state.orders[existing: orderID].awards[awardIndex].expired > 0 {
            let absorbed = min(left, state.orders[existing: orderID].awards[awardIndex].expired)
            state.orders[existing: orderID].awards[awardIndex].expired -= absorbed
            touchedOrders.insert(orderID)
            left -= absorbed
            fromAvailable += absorbed
            absorbedExpired = absorbed
        }
        if left > 0 {
            let parts = takeFromLots(memberID, points: left, at: at, kind: .reverse, input: input, reason: reason, allowShort: true)
            let taken = parts.reduce(0) { $0 + $1.points }
            left -= taken
            fromAvailable += taken
        }
        if left > 0 {
            withMember(memberID) { $0.debt += left }
            record(memberID, at, .reverse, -left, reason: reason + "; \(formatPoints(left)) \(pointsName) below zero, paid off by the next \(pointsName)", input: input, rule: award.rule)
            fromAvailable += left
        }
        if let period = award.countedIn, program.tiers != nil, fromAvailable > 0 {
            withMember(memberID) { $0.qualifying[period, default: 0] -= fromAvailable }
            watchTier(memberID)
            updateTier(memberID, at: at)
        }
        return points - absorbedExpired
    }
}
