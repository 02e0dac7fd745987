/// Spending: rewards, bookings held and settled, and operator adjustments (checkout is in Checkout.swift).
extension Engine {
    /// Takes points from available lots, soonest-expiring first (lots that never expire last; then
    /// oldest first), recording one entry per lot. With `allowShort`, takes what there is.
    mutating func takeFromLots(_ memberID: String, points: Int64, at: Instant, kind: EntryKind, input: String?, reason: String,
                               hold: String? = nil, allowShort: Bool = false) -> [Hold.Part] {
        // The lots' spend order (a heap kept by `Lots`) gives the soonest-expiring lot at once,
        // however many lots a long-standing member holds.
        var left = points
        var parts: [Hold.Part] = []
        withMember(memberID) { member in
            while left > 0, let index = member.lots.soonestSpendable() {
                let lot = member.lots[index]
                let take = min(left, lot.remaining)
                parts.append(Hold.Part(lot: lot.id, points: take, availableAt: lot.availableAt, expiresAt: lot.expiresAt,
                                       order: lot.order, rule: lot.rule))
                left -= take
                member.lots[index].remaining -= take
                if member.lots[index].remaining == 0 { member.lots.remove(at: index) }
            }
        }
        for part in parts {
            record(memberID, at, kind, -part.points, reason: reason, lot: part.lot, hold: hold, input: input)
        }
        precondition(allowShort || left == 0, "takeFromLots called without enough points")
        return parts
    }

    /// Why points cannot be spent at `place`, or nil when they can.
    func spendRefusal(_ place: SpendPlace) -> Reason? {
        let currency = program.points
        if currency.spendableAt.isEmpty {
            return Reason(.notSpendable, currency.notSpendableReason ?? "\(currency.name) cannot be spent")
        }
        if !currency.spendableAt.contains(place) {
            let places = currency.spendableAt.map(\.phrase).joined(separator: " and ")
            return Reason(.notSpendable, "\(currency.name) can be spent only \(places), not \(place.phrase)")
        }
        return nil
    }

    func insufficient(_ memberID: String, needed: Int64) -> Reason? {
        let balance = member(memberID).balance
        guard balance < needed else { return nil }
        return Reason(.insufficientPoints, "you have \(formatPoints(max(0, balance))) \(pointsName) available; \(formatPoints(needed)) needed")
    }

    // MARK: Rewards

    mutating func claim(_ input: Input) -> Outcome {
        if let refusal = spendRefusal(.rewards) { return Engine.refused(refusal) }
        let rewardID = input.string("reward")!
        guard let reward = program.rewards.first(where: { $0.id == rewardID }) else {
            return Engine.refused(Reason(.unknownReward, "\(program.name) has no reward \"\(truncated(rewardID))\""))
        }
        if let stock = reward.stock, state.issued[reward.id, default: 0] >= stock {
            return Engine.refused(Reason(.outOfStock, "\(reward.name) is out of stock"))
        }
        var claimKey: String?
        if let count = reward.limitCount {
            let period = reward.limitPeriod ?? .year
            let index = program.calendar.periodIndex(period, of: input.at)
            if capPeriodClosed(period, index: index) {
                return Engine.refused(Reason(.rewardLimitReached, "\(reward.name) is limited per \(period.rawValue), and this claim arrived after that \(period.rawValue)'s claims were closed"))
            }
            let key = Engine.claimKey(reward: reward.id, period: period, index: index)
            let used = member(input.member).claims[key] ?? 0
            if used >= count {
                return Engine.refused(Reason(.rewardLimitReached, "\(reward.name) can be claimed at most \(count) times a \(period.rawValue); you have claimed \(used) \(period.thisPhrase)"))
            }
            claimKey = key
        }
        if let refusal = insufficient(input.member, needed: reward.cost) { return Engine.refused(refusal) }
        _ = takeFromLots(input.member, points: reward.cost, at: input.at, kind: .spend, input: input.id,
                         reason: "\(formatPoints(reward.cost)) \(pointsName) for \(reward.name)")
        state.issued[reward.id, default: 0] += 1
        var outcome = Engine.applied(-reward.cost)
        let program = self.program
        let clock = state.clock ?? input.at
        withMember(input.member) { member in
            if let claimKey {
                // Keep the counts of every period still open (a late claim must neither reset nor be
                // reset by the current period's count); drop those long closed, as cap counters are.
                let period = reward.limitPeriod ?? .year
                let oldest = program.calendar.periodIndex(period, of: clock) - Engine.capRetention(period)
                member.claims = member.claims.filter { key, _ in
                    guard key.hasPrefix(reward.id + "#"), let index = key.split(separator: "#").last.flatMap({ Int64($0) }) else { return true }
                    return key == claimKey || index > oldest
                }
                member.claims[claimKey, default: 0] += 1
            }
        }
        let code = voucherCode(prefix: reward.codePrefix ?? reward.id.uppercased(),
                               salt: "\(keyPart(input.member))|\(keyPart(input.id))|\(reward.id)")
        issueCoupon(input.member, reward: reward.id, name: reward.name, code: code, value: reward.valueMinorUnits, at: input.at, input: input.id)
        outcome.voucher = code
        touch(input.member, at: input.at)
        return outcome
    }

    /// Gives a claimed reward (a voucher, a draw entry) to another member, when the reward allows
    /// it. Points never move; the code does, with its value and issue time.
    mutating func gift(_ input: Input) -> Outcome {
        let code = input.string("code")!
        let recipient = input.string("to")!
        guard let index = member(input.member).coupons.firstIndex(where: { $0.code == code }) else {
            return Engine.refused(Reason(.unknownCoupon, "this member holds no coupon or voucher \(truncated(code))"))
        }
        let coupon = member(input.member).coupons[index]
        guard let reward = program.rewards.first(where: { $0.id == coupon.reward }), reward.giftable else {
            return Engine.refused(Reason(.notGiftable, "\(coupon.name) cannot be given to another member"))
        }
        guard recipient != input.member else {
            return Engine.refused(Reason(.invalidField, "a gift goes to another member, not to the giver"))
        }
        enrol(recipient, at: input.at)
        withMember(input.member) { $0.coupons.remove(at: index) }
        record(input.member, input.at, .couponGiven, 0, reason: "\(coupon.name) given to \(truncated(recipient)): \(code)", input: input.id, code: code)
        withMember(recipient) { $0.coupons.append(coupon) }
        record(recipient, input.at, .coupon, 0, reason: "\(coupon.name) received from \(truncated(input.member)): \(code)", input: input.id, code: code)
        var outcome = Engine.applied(0)
        outcome.reason = "\(coupon.name) \(code) given to \(truncated(recipient))"
        return outcome
    }

    /// Where `MemberState.claims` counts a reward's claims in one period (what views read too).
    public static func claimKey(reward: String, period: Period, index: Int64) -> String { "\(reward)#\(period.rawValue)#\(index)" }

    /// Where `MemberState.claims` counts points transferred on one local day (`>` keeps these apart
    /// from reward ids).
    public static func transferKey(transfer: String, day: Int64) -> String { ">\(transfer)#day#\(day)" }

    // MARK: Transfers to partner programs

    /// Points sent to a partner program in one of the program's transfer windows, at its rate,
    /// with its minimum and daily limit per member.
    mutating func transfer(_ input: Input) -> Outcome {
        guard !program.transfers.isEmpty else {
            return Engine.refused(Reason(.notTransferable, "\(program.name) \(pointsName) cannot be transferred"))
        }
        if program.points.spendableAt.isEmpty { return Engine.refused(spendRefusal(.rewards)!) }
        let transferID = input.string("transfer")!
        guard let transfer = program.transfers.first(where: { $0.id == transferID }) else {
            let open = program.transfers.map(\.id).joined(separator: ", ")
            return Engine.refused(Reason(.unknownTransfer, "\(program.name) has no transfer \"\(truncated(transferID))\" (it has: \(open))"))
        }
        let day = program.calendar.date(of: input.at)
        guard transfer.from <= day, day <= transfer.to else {
            return Engine.refused(Reason(.transferClosed, day < transfer.from
                ? "transfers to \(transfer.partner) open on \(transfer.from) (\(program.calendar.identifier)) and run to \(transfer.to)"
                : "transfers to \(transfer.partner) closed after \(transfer.to) (\(program.calendar.identifier))"))
        }
        let points = input.pointsField ?? 0
        guard points > 0 else { return Engine.refused(Reason(.invalidField, "\"points\" must be more than 0")) }
        if points < transfer.minimum {
            return Engine.refused(Reason(.belowMinimum, "at least \(formatPoints(transfer.minimum)) \(pointsName) must be transferred to \(transfer.partner) at a time"))
        }
        guard points % transfer.points == 0 else {
            return Engine.refused(Reason(.notMultiple, "\(pointsName) transfer in multiples of \(formatPoints(transfer.points)) (\(formatPoints(transfer.points)) \(pointsName) = \(formatPoints(transfer.units)) \(transfer.partner))"))
        }
        let index = program.calendar.periodIndex(.day, of: input.at)
        let key = Engine.transferKey(transfer: transfer.id, day: index)
        if let limit = transfer.dailyLimit {
            if capPeriodClosed(.day, index: index) {
                return Engine.refused(Reason(.transferLimitReached, "transfers to \(transfer.partner) are limited per day, and this one arrived after that day was closed"))
            }
            let used = member(input.member).claims[key] ?? 0
            if used + points > limit {
                return Engine.refused(Reason(.transferLimitReached, "at most \(formatPoints(limit)) \(pointsName) a day can be transferred to \(transfer.partner); \(formatPoints(used)) transferred today"))
            }
        }
        if let refusal = insufficient(input.member, needed: points) { return Engine.refused(refusal) }
        let units = points / transfer.points * transfer.units
        let account = input.string("account").map { " (account \(truncated($0)))" } ?? ""
        let sentence = "\(formatPoints(points)) \(pointsName) transferred to \(transfer.partner)\(account): \(formatPoints(units)) \(transfer.partner)"
        _ = takeFromLots(input.member, points: points, at: input.at, kind: .spend, input: input.id, reason: sentence)
        if transfer.dailyLimit != nil {
            let oldest = program.calendar.periodIndex(.day, of: state.clock ?? input.at) - Engine.capRetention(.day)
            withMember(input.member) { member in
                member.claims = member.claims.filter { key, _ in
                    guard key.hasPrefix(">\(transfer.id)#"), let day = key.split(separator: "#").last.flatMap({ Int64($0) }) else { return true }
                    return day > oldest
                }
                member.claims[key, default: 0] += points
            }
        }
        touch(input.member, at: input.at)
        var outcome = Engine.applied(-points)
        outcome.reason = sentence
        return outcome
    }

    /// A deterministic code for a voucher or coupon: the prefix and 10 characters derived from the
    /// program, member and input, so a replay issues the same codes.
    func voucherCode(prefix: String, salt: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in (program.id + "|" + salt).utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
        var text = ""
        for _ in 0..<10 {
            text.append(alphabet[Int(hash & 31)])
            hash >>= 5
        }
        return prefix + "-" + text
    }

    mutating func issueCoupon(_ memberID: String, reward: String, name: String, code: String, value: Int64?, at: Instant, input: String?) {
        withMember(memberID) { $0.coupons.append(Coupon(reward: reward, name: name, code: code, valueMinorUnits: value, issuedAt: at)) }
        let worth = value.map { " worth \(format($0))" } ?? ""
        record(memberID, at, .coupon, 0, reason: "\(name)\(worth) issued: \(code)", input: input, code: code)
    }

    // MARK: Bookings

    /// The quote for a list of services, or why it cannot be booked.
    public func quote(_ requests: [ServiceRequest]) -> Result<Int64, Reason> {
        var total: Int64 = 0
        for request in requests {
            guard let service = program.services.first(where: { $0.id == request.service }) else {
                return .failure(Reason(.unknownService, "\(program.name) offers no service \"\(truncated(request.service))\""))
            }
            if let airports = service.airports {
                guard let airport = request.airport else {
                    return .failure(Reason(.missingField, "\(service.name) needs an \"airport\" (\(airports.joined(separator: ", ")))"))
                }
                guard airports.contains(airport) else {
                    let why = service.airportRule.map { " \($0)" } ?? ""
                    return .failure(Reason(.airportNotAllowed, "\(service.name) is available only from \(airports.joined(separator: ", "))\(why); \(truncated(airport)) is not one"))
                }
            }
            for key in request.counts.keys.sorted() where key != service.unit {
                return .failure(Reason(.unknownField, "\(service.name) is not counted in \(truncated(key))"))
            }
            let count = service.unit.flatMap { request.counts[$0] } ?? 1
            total += service.cost * count
        }
        return .success(total)
    }

    mutating func requestBooking(_ input: Input) -> Outcome {
        if let refusal = spendRefusal(.services) { return Engine.refused(refusal) }
        let bookingID = input.string("booking")!
        if state.bookings[bookingID] != nil {
            return Engine.refused(Reason(.bookingExists, "booking \(truncated(bookingID)) already exists"))
        }
        let requests: [ServiceRequest]
        switch input.serviceRequests() {
        case let .success(value): requests = value
        case let .failure(reason): return Engine.refused(reason)
        }
        let total: Int64
        switch quote(requests) {
        case let .success(value): total = value
        case let .failure(reason): return Engine.refused(reason)
        }
        if let refusal = insufficient(input.member, needed: total) { return Engine.refused(refusal) }
        let parts = takeFromLots(input.member, points: total, at: input.at, kind: .hold, input: input.id,
                                 reason: "\(formatPoints(total)) \(pointsName) held for booking \(truncated(bookingID))", hold: Hold.bookingID(bookingID))
        withMember(input.member) { $0.holds.append(Hold(id: Hold.bookingID(bookingID), points: total, parts: parts)) }
        state.bookings[bookingID] = Booking(id: bookingID, member: input.member, quote: total, status: .held, requestedAt: input.at,
                                            services: requests.map(\.service))
        touchedBookings.insert(bookingID)
        touch(input.member, at: input.at)
        var outcome = Engine.applied(-total)
        outcome.quote = total
        return outcome
    }

    mutating func settleBooking(_ input: Input) -> Outcome {
        let bookingID = input.string("booking")!
        guard let booking = state.bookings[bookingID] else {
            return Engine.refused(Reason(.unknownBooking, "booking \(truncated(bookingID)) is not known"))
        }
        guard booking.member == input.member else {
            return Engine.refused(Reason(.bookingOfAnotherMember, "booking \(truncated(bookingID)) is not this member's booking"))
        }
        guard booking.status == .held else {
            return Engine.refused(Reason(.bookingNotHeld, "booking \(truncated(bookingID)) is already \(booking.status.rawValue)"))
        }
        guard let holdIndex = member(input.member).holds.firstIndex(where: { $0.id == Hold.bookingID(bookingID) }) else {
            return Engine.refused(Reason(.bookingNotHeld, "booking \(truncated(bookingID)) holds no points"))
        }
        let hold = member(input.member).holds[holdIndex]
        withMember(input.member) { $0.holds.remove(at: holdIndex) }
        touchedBookings.insert(bookingID)
        switch input.type {
        case .bookingConfirmed:
            state.bookings[bookingID]!.status = .confirmed
            record(input.member, input.at, .capture, hold.points, reason: "booking \(truncated(bookingID)) confirmed: \(formatPoints(hold.points)) \(pointsName) spent",
                   hold: hold.id, input: input.id)
            var outcome = Engine.applied(0)
            outcome.reason = "booking \(truncated(bookingID)) confirmed: the \(formatPoints(hold.points)) \(pointsName) held for it are spent"
            return outcome
        default:
            let rejected = input.type == .bookingRejected
            state.bookings[bookingID]!.status = rejected ? .rejected : .cancelled
            // The operator's reason for a rejection is what the member reads in the history.
            let why = rejected ? input.string("reason").map { " (\($0))" } ?? "" : ""
            let sentence = "booking \(truncated(bookingID)) \(rejected ? "rejected" : "cancelled")\(why): \(formatPoints(hold.points)) \(pointsName) returned"
            releaseHold(input.member, hold, at: input.at, input: input.id, reason: sentence)
            var outcome = Engine.applied(hold.points)
            if rejected { outcome.reason = sentence }
            return outcome
        }
    }

    /// Returns held points to the lots they came from, with their original expiry.
    mutating func releaseHold(_ memberID: String, _ hold: Hold, at: Instant, input: String?, reason: String) {
        for part in hold.parts {
            var noticeDue: Instant?
            if let noticeDays = program.expiry.lotNoticeDays, let expiresAt = part.expiresAt {
                noticeDue = expiresAt.adding(days: -noticeDays)
            }
            withMember(memberID) { member in
                if let index = member.lots.index(ofLot: part.lot) {
                    member.lots[index].remaining += part.points
                } else {
                    // The lot keeps its order and rule, so that its expiry still counts against the
                    // order's award (a later reversal does not take expired points twice).
                    let lot = Lot(id: part.lot, remaining: part.points, pending: false, availableAt: part.availableAt,
                                  expiresAt: part.expiresAt, order: part.order, rule: part.rule, noticed: noticeDue.map { $0 <= at } ?? true)
                    let position = member.lots.insertionIndex(ofLot: part.lot)
                    member.lots.insert(lot, at: position)
                }
            }
            record(memberID, at, .holdRelease, part.points, reason: reason, lot: part.lot, hold: hold.id, input: input,
                   expiresAt: part.expiresAt, availableAt: part.availableAt)
            if let expiresAt = part.expiresAt, expiresAt <= at {
                expireLot(memberID, lot: part.lot, at: at)
            } else {
                payDebt(memberID, from: part.lot, at: at)
                scheduleExpiry(memberID, lot: part.lot)
            }
        }
    }

    // MARK: Adjustments

    mutating func adjust(_ input: Input) -> Outcome {
        let points = input.pointsField ?? 0
        let why = input.string("reason")!
        guard points != 0 else { return Engine.refused(Reason(.invalidField, "an adjustment must be more or less than 0 points")) }
        if points > 0, wouldOverflow(input.member, adding: points) {
            return Engine.refused(Reason(.overflow, "an adjustment of \(formatPoints(points)) would take this member past \(formatPoints(Limits.maximumMemberPoints)) \(pointsName)"))
        }
        if points > 0 {
            grant(input.member, points: points, at: input.at, pendingDays: nil, input: input.id, rule: nil, order: nil,
                  explanation: "adjustment: \(why)", kind: .adjust)
        } else {
            let balance = member(input.member).balance
            guard -points <= balance else {
                return Engine.refused(Reason(.belowZero, "an adjustment of \(formatPoints(points)) would take the balance below zero (\(formatPoints(max(0, balance))) available)"))
            }
            _ = takeFromLots(input.member, points: -points, at: input.at, kind: .adjust, input: input.id, reason: "adjustment: \(why)")
            if program.tiers != nil {
                let period = qualifyingPeriod(input.at)
                withMember(input.member) { $0.qualifying[period, default: 0] += points }
                watchTier(input.member)
                updateTier(input.member, at: input.at)
            }
            touch(input.member, at: input.at)
        }
        return Engine.applied(points)
    }
}
