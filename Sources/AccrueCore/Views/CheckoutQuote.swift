/// How many points can pay for an order, and what discount that gives: the answer a checkout page
/// needs before the shopper decides.
public struct CheckoutQuote: Sendable, Codable, Equatable {
    /// The most points this member can redeem on this order now (0 when none).
    public var points: Int64
    /// What those points take off the order, in the program's money.
    public var discount: String
    public var currency: String
    /// Points the member has available.
    public var available: Int64
    /// The most the order allows under the program's share, whatever the member holds.
    public var orderMaximum: Int64
    /// Points already redeemed on this order or held for it.
    public var alreadyRedeemed: Int64
    /// Why no points (or fewer than the order allows) can pay, when that is so.
    public var reason: String?
    public var code: ReasonCode?
    /// The currency of the points quoted: the points' code, or another currency's the program keeps.
    public var pointsCurrency: String?

    enum CodingKeys: String, CodingKey {
        case points, discount, currency, available, reason, code
        case pointsCurrency = "points_currency"
        case orderMaximum = "order_maximum"
        case alreadyRedeemed = "already_redeemed"
    }
}

extension Engine {
    /// The checkout quote for `member` on an order of `orderAmount` minor units (pure: nothing
    /// changes). It applies the same checks a redemption would, in the same order.
    /// With `currency`, the quote is in that other currency of the program (its own share and value).
    public func checkoutQuote(member memberID: String, order orderID: String?, orderAmount: Int64, place: String? = nil,
                              currency code: String?) -> CheckoutQuote {
        guard let code, code != program.points.code, program.currency(code) != nil else {
            return checkoutQuote(member: memberID, order: orderID, orderAmount: orderAmount, place: place)
        }
        var engine = self
        return engine.inCurrency(code) { $0.checkoutQuote(member: memberID, order: orderID, orderAmount: orderAmount, place: place) }
    }

    public func checkoutQuote(member memberID: String, order orderID: String?, orderAmount: Int64, place: String? = nil) -> CheckoutQuote {
        let member = state.members[memberID] == nil ? nil : self.member(memberID)
        let available = max(0, member?.balance ?? 0)
        var quote = CheckoutQuote(points: 0, discount: Money.format(minorUnits: 0), currency: program.moneyCurrency, available: available,
                                  orderMaximum: 0, alreadyRedeemed: 0, reason: nil, code: nil, pointsCurrency: program.points.code)
        let till: Till
        switch self.till(order: orderID ?? "", place: place) {
        case let .success(value): till = value
        case let .failure(refusal):
            quote.reason = refusal.message
            quote.code = refusal.code
            return quote
        }
        let policy = till.policy
        let key = orderID.map { _ in till.key }
        let already = key.flatMap { order in member.map { checkoutUsed($0, order: order) } } ?? 0
        if let key, let first = member?.checkoutAmounts[key], first != orderAmount {
            quote.reason = "\(till.label) was first redeemed against \(format(first)); every redemption on it must name that amount"
            quote.code = .orderAmountChanged
            return quote
        }
        let maximum = maximumRedeemable(orderAmount: orderAmount, multiple: policy.multiple, sharePercent: policy.maximumSharePercent)
        quote.orderMaximum = maximum
        quote.alreadyRedeemed = already
        var points = min(maximum - already, available)
        if let multiple = policy.multiple, multiple > 0 { points -= points % multiple }
        if points < policy.minimum {
            quote.reason = maximum - already < policy.minimum
                ? "\(pointsName) can pay at most \(policy.maximumSharePercent)% of \(till.kind), and at least \(formatPoints(policy.minimum)) must be redeemed at a time: this \(till.noun) allows \(formatPoints(max(0, maximum - already)))"
                : "at least \(formatPoints(policy.minimum)) \(pointsName) must be redeemed at a time; you have \(formatPoints(available)) available"
            quote.code = .belowMinimum
            return quote
        }
        quote.points = points
        quote.discount = Money.format(minorUnits: program.points.moneyValue(of: points))
        if points < maximum - already {
            quote.reason = "you have \(formatPoints(available)) \(pointsName) available; the \(till.noun) would allow \(formatPoints(maximum - already))"
            quote.code = .insufficientPoints
        }
        return quote
    }
}
