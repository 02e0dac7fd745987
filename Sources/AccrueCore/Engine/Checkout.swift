/// Checkout: paying part of an order with points, at once (`points.redeemed`) or through a hold
/// that the shop captures when the order is paid or releases when it is not (`checkout.held`,
/// `checkout.captured`, `checkout.released`). A hold not captured within the program's
/// `hold_minutes` is released by itself.
extension Engine {
    /// The checks a checkout spend (a redemption or a hold) passes, in order; nil when it may proceed.
    func checkoutRefusal(_ memberID: String, order orderID: String, points: Int64, orderAmount: Int64) -> Reason? {
        if let refusal = spendRefusal(.checkout) { return refusal }
        guard let policy = program.checkout else { return Reason(.notSpendable, "\(program.name) has no checkout redemption") }
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
            return Reason(.orderAmountChanged, "order \(truncated(orderID)) was first redeemed against \(format(first)); every redemption on it must name that amount, not \(format(orderAmount))")
        }
        let already = checkoutUsed(member, order: orderID)
        let maximum = maximumRedeemable(orderAmount: orderAmount, multiple: policy.multiple, sharePercent: policy.maximumSharePercent)
        if already + points > maximum {
            let used = already > 0 ? "; \(formatPoints(already)) already used on this order" : ""
            return Reason(.shareExceeded, "\(pointsName) can pay at most \(policy.maximumSharePercent)% of an order: \(formatPoints(maximum)) \(pointsName) on \(format(orderAmount))\(used)")
        }
        return insufficient(memberID, needed: points)
    }

    /// Points redeemed on an order and held for it by open checkout holds.
    func checkoutUsed(_ member: MemberState, order orderID: String) -> Int64 {
        (member.redeemed[orderID] ?? 0) + member.holds.filter { $0.order == orderID }.reduce(0) { $0 + $1.points }
    }

    /// What a redemption or a hold asks for: the order, its amount and the points.
    struct CheckoutRequest {
        var order: String
        var orderAmount: Int64
        var points: Int64
    }

    /// Reads the checkout fields of an input and applies every checkout check, or says why not.
    func checkoutRequest(_ input: Input) -> Result<CheckoutRequest, Reason> {
        let orderID = input.string("order")!
        let points = input.pointsField ?? 0
        switch money(input, "order_amount") {
        case let .success(orderAmount):
            if let refusal = checkoutRefusal(input.member, order: orderID, points: points, orderAmount: orderAmount) { return .failure(refusal) }
            return .success(CheckoutRequest(order: orderID, orderAmount: orderAmount, points: points))
        case let .failure(reason):
            return .failure(reason)
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
                         reason: "\(formatPoints(points)) \(pointsName) paid \(format(value)) of order \(truncated(orderID))")
        withMember(input.member) { member in
            member.redeemed[orderID, default: 0] += points
            member.checkoutAmounts[orderID] = orderAmount
        }
        touch(input.member, at: input.at)
        return Engine.applied(-points)
    }

    mutating func holdForCheckout(_ input: Input) -> Outcome {
        let holdID = Hold.checkoutID(input.string("hold")!)
        if member(input.member).holds.contains(where: { $0.id == holdID }) {
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
                                 reason: "\(formatPoints(points)) \(pointsName) held for order \(truncated(orderID))\(until)", hold: holdID)
        withMember(input.member) { member in
            member.holds.append(Hold(id: holdID, points: points, parts: parts, order: orderID, expiresAt: expiresAt))
            member.checkoutAmounts[orderID] = orderAmount
        }
        if let expiresAt { schedule.push(Due(at: expiresAt, kind: .holdTimeout, member: input.member, lot: 0)) }
        touch(input.member, at: input.at)
        return Engine.applied(-points)
    }

    mutating func settleCheckout(_ input: Input) -> Outcome {
        let name = input.string("hold")!
        guard let index = member(input.member).holds.firstIndex(where: { $0.id == Hold.checkoutID(name) }) else {
            return Engine.refused(Reason(.unknownHold, "this member has no open checkout hold \(truncated(name))"))
        }
        let hold = member(input.member).holds[index]
        withMember(input.member) { $0.holds.remove(at: index) }
        let order = truncated(hold.order ?? "")
        if input.type == .checkoutCaptured {
            let value = program.points.moneyValue(of: hold.points)
            record(input.member, input.at, .capture, hold.points,
                   reason: "checkout hold \(truncated(name)) captured: \(formatPoints(hold.points)) \(pointsName) paid \(format(value)) of order \(order)",
                   hold: hold.id, input: input.id)
            withMember(input.member) { $0.redeemed[hold.order ?? "", default: 0] += hold.points }
            touch(input.member, at: input.at)
            var outcome = Engine.applied(0)
            outcome.reason = "the \(formatPoints(hold.points)) \(pointsName) held for order \(order) are spent"
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
                        reason: "checkout hold for order \(truncated(hold.order ?? "")) was not captured\(minutes): \(formatPoints(hold.points)) \(pointsName) returned")
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
