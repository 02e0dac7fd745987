/// Checkout: paying part of an order with points, at once (`points.redeemed`) or through a hold
/// that the shop captures when the order is paid or releases when it is not (`checkout.held`,
/// `checkout.captured`, `checkout.released`). A hold not captured within the program's
/// `hold_minutes` is released by itself.
extension Engine {
    /// Where points pay: the shop's checkout, or a place beyond the shop (its own minimum and share).
    struct Till {
        var policy: CheckoutPolicy
        /// Nil at the shop's checkout.
        var place: Place?
        var order: String

        /// The key an order is counted under: the order id at checkout, `place/id` at a place.
        var key: String { place.map { "\($0.id)/\(order)" } ?? order }
        /// How sentences name the order: "order o-1", "Mobile recharge bill r-1".
        var label: String { place.map { "\($0.name) bill \(truncated(order))" } ?? "order \(truncated(order))" }
        /// "an order", "a Mobile recharge bill".
        var kind: String { place.map { "a \($0.name) bill" } ?? "an order" }
        var noun: String { place == nil ? "order" : "bill" }
    }

    /// How sentences name the order a hold or redemption was counted under (`Till.key`).
    func orderLabel(_ key: String) -> String {
        if let slash = key.firstIndex(of: "/"), let place = program.places.first(where: { $0.id == key[..<slash] }) {
            return Till(policy: CheckoutPolicy(minimum: 0, maximumSharePercent: 0), place: place,
                        order: String(key[key.index(after: slash)...])).label
        }
        return "order \(truncated(key))"
    }

    /// The till an order at `place` (nil: the shop's checkout) is paid at, or why points cannot pay there.
    func till(order orderID: String, place placeID: String?) -> Result<Till, Reason> {
        if let refusal = spendRefusal(.checkout) { return .failure(refusal) }
        guard let checkout = program.checkout else { return .failure(Reason(.notSpendable, "\(program.name) has no checkout redemption")) }
        guard let placeID else { return .success(Till(policy: checkout, place: nil, order: orderID)) }
        guard let place = program.places.first(where: { $0.id == placeID }) else {
            let known = program.places.map(\.name).joined(separator: ", ")
            return .failure(Reason(.unknownPlace, "\(program.name) has no place \"\(truncated(placeID))\"" + (known.isEmpty ? "" : "; points also pay at: \(known)")))
        }
        var policy = checkout
        policy.minimum = place.minimum ?? checkout.minimum
        policy.maximumSharePercent = place.maximumSharePercent
        return .success(Till(policy: policy, place: place, order: orderID))
    }

    /// The checks a checkout spend (a redemption or a hold) passes, in order; nil when it may proceed.
    func checkoutRefusal(_ memberID: String, till: Till, points: Int64, orderAmount: Int64) -> Reason? {
        let policy = till.policy
        let orderID = till.key
        guard points > 0 else { return Reason(.invalidField, "\"points\" must be more than 0") }
        if points < policy.minimum {
            return Reason(.belowMinimum, "at least \(formatPoints(policy.minimum)) \(pointsName) must be redeemed at a time")
        }
        if let multiple = policy.multiple, points % multiple != 0 {
            return Reason(.notMultiple, "\(pointsName) are redeemed in multiples of \(formatPoints(multiple))")
        }
        // The share is of one order: every redemption on it must name the amount the first did,
        // or a second redemption could raise the ceiling by declaring a larger order.
        let member = member(memberID)
        if let first = member.checkoutAmounts[orderID], first != orderAmount {
            return Reason(.orderAmountChanged, "\(till.label) was first redeemed against \(format(first)); every redemption on it must name that amount, not \(format(orderAmount))")
        }
        let already = checkoutUsed(member, order: orderID)
        let maximum = maximumRedeemable(orderAmount: orderAmount, multiple: policy.multiple, sharePercent: policy.maximumSharePercent)
        if already + points > maximum {
            let used = already > 0 ? "; \(formatPoints(already)) already used on this \(till.noun)" : ""
            return Reason(.shareExceeded, "\(pointsName) can pay at most \(policy.maximumSharePercent)% of \(till.kind): \(formatPoints(maximum)) \(pointsName) on \(format(orderAmount))\(used)")
        }
        return insufficient(memberID, needed: points)
    }

    /// Points redeemed on an order and held for it by open checkout holds.
    func checkoutUsed(_ member: MemberState, order orderID: String) -> Int64 {
        (member.redeemed[orderID] ?? 0) + member.holds.filter { $0.order == orderID }.reduce(0) { $0 + $1.points }
    }

    /// What a redemption or a hold asks for: the order, its amount and the points.
    struct CheckoutRequest {
        /// The key the order is counted under (see `Till`).
        var order: String
        var label: String
        var orderAmount: Int64
        var points: Int64
    }

    /// Reads the checkout fields of an input and applies every checkout check, or says why not.
    func checkoutRequest(_ input: Input) -> Result<CheckoutRequest, Reason> {
        let points = input.pointsField ?? 0
        return money(input, "order_amount").flatMap { orderAmount in
            till(order: input.string("order")!, place: input.string("place")).flatMap { till in
                if let refusal = checkoutRefusal(input.member, till: till, points: points, orderAmount: orderAmount) { return .failure(refusal) }
                return .success(CheckoutRequest(order: till.key, label: till.label, orderAmount: orderAmount, points: points))
            }
        }
    }

    mutating func redeem(_ input: Input) -> Outcome {
        let request: CheckoutRequest
        switch checkoutRequest(input) {
        case let .success(value): request = value
        case let .failure(reason): return Engine.refused(reason)
        }
        let (orderID, points, orderAmount) = (request.order, request.points, request.orderAmount)
        let value = program.points.moneyValue(of: points)
        _ = takeFromLots(input.member, points: points, at: input.at, kind: .spend, input: input.id,
                         reason: "\(formatPoints(points)) \(pointsName) paid \(format(value)) of \(request.label)")
        withMember(input.member) { member in
            member.redeemed[orderID, default: 0] += points
            member.checkoutAmounts[orderID] = orderAmount
        }
        touch(input.member, at: input.at)
        return Engine.applied(-points)
    }

    mutating func holdForCheckout(_ input: Input) -> Outcome {
        let holdID = Hold.checkoutID(input.string("hold")!)
        if holdIsOpen(input.member, holdID) {
            return Engine.refused(Reason(.holdExists, "checkout hold \(truncated(input.string("hold")!)) is already open"))
        }
        let request: CheckoutRequest
        switch checkoutRequest(input) {
        case let .success(value): request = value
        case let .failure(reason): return Engine.refused(reason)
        }
        let (orderID, points, orderAmount) = (request.order, request.points, request.orderAmount)
        let expiresAt = program.checkout?.holdMinutes.map { Instant(milliseconds: input.at.milliseconds + $0 * 60_000) }
        let until = expiresAt.map { "; released by itself at \(local($0)) unless captured" } ?? ""
        let parts = takeFromLots(input.member, points: points, at: input.at, kind: .hold, input: input.id,
                                 reason: "\(formatPoints(points)) \(pointsName) held for \(request.label)\(until)", hold: holdID)
        withMember(input.member) { member in
            member.holds.append(Hold(id: holdID, points: points, parts: parts, order: orderID, expiresAt: expiresAt))
            member.checkoutAmounts[orderID] = orderAmount
        }
        if let expiresAt { schedule.push(Due(at: expiresAt, kind: .holdTimeout, member: input.member, lot: 0, currency: slot(of: currency))) }
        touch(input.member, at: input.at)
        return Engine.applied(-points)
    }

    mutating func settleCheckout(_ input: Input) -> Outcome {
        let name = input.string("hold")!
        let holdID = Hold.checkoutID(name)
        guard let (index, hold) = reading(input.member, { member in member.holds.firstIndex { $0.id == holdID }.map { ($0, member.holds[$0]) } }) else {
            return Engine.refused(Reason(.unknownHold, "this member has no open checkout hold \(truncated(name))"))
        }
        withMember(input.member) { $0.holds.remove(at: index) }
        let order = orderLabel(hold.order ?? "")
        if input.type == .checkoutCaptured {
            let value = program.points.moneyValue(of: hold.points)
            record(input.member, input.at, .capture, hold.points,
                   reason: "checkout hold \(truncated(name)) captured: \(formatPoints(hold.points)) \(pointsName) paid \(format(value)) of \(order)",
                   hold: hold.id, input: input.id)
            withMember(input.member) { $0.redeemed[hold.order ?? "", default: 0] += hold.points }
            touch(input.member, at: input.at)
            var outcome = Engine.applied(0)
            outcome.reason = "the \(formatPoints(hold.points)) \(pointsName) held for \(order) are spent"
            return outcome
        }
        releaseHold(input.member, hold, at: input.at, input: input.id,
                    reason: "checkout hold \(truncated(name)) released: \(formatPoints(hold.points)) \(pointsName) returned")
        return Engine.applied(hold.points)
    }

    /// Releases the member's checkout holds whose time ran out at `at`.
    mutating func expireCheckoutHolds(_ memberID: String, at: Instant) {
        for hold in member(memberID).holds where hold.expiresAt == at {
            guard let index = member(memberID).holds.firstIndex(where: { $0.id == hold.id }) else { continue }
            withMember(memberID) { $0.holds.remove(at: index) }
            let minutes = program.checkout?.holdMinutes.map { " after \($0) minutes" } ?? ""
            releaseHold(memberID, hold, at: at, input: nil,
                        reason: "checkout hold for \(orderLabel(hold.order ?? "")) was not captured\(minutes): \(formatPoints(hold.points)) \(pointsName) returned")
        }
    }

    /// The most points that may pay an order of `orderAmount` minor units.
    public func maximumRedeemable(orderAmount: Int64, multiple: Int64?, sharePercent: Int64) -> Int64 {
        let currency = program.points
        guard currency.valueMinorUnits > 0 else { return 0 }
        // points x value / valuePoints <= amount x share / 100
        let numerator = orderAmount.multipliedReportingOverflow(by: sharePercent * currency.valuePoints)
        guard !numerator.overflow else { return 0 }
        var points = numerator.partialValue / (100 * currency.valueMinorUnits)
        if let multiple, multiple > 0 { points -= points % multiple }
        return points
    }
}
