import AccrueCore
import Yams

/// The sections of a program file, read into the core's `Program`.
extension Reader {
    func program(_ root: Node) -> Program? {
        let keys = ["program", "name", "version", "description", "time_zone", "currency", "points", "guests_earn", "excluded_sellers", "participating_sellers",
                    "expiry", "checkout", "tiers", "campaign_policy", "campaigns", "rules", "rewards", "services", "birthday", "anniversary", "places", "transfers", "draws", "currencies"]
        guard let map = fields(root, "", allowed: keys) else { return nil }
        let id = identifier(map, "program", "")
        let name = string(map, "name", "", required: true)
        let version = integer(map, "version", "", minimum: 1, maximum: 1_000_000).map(Int.init) ?? 1
        var calendar: LocalCalendar?
        if let zone = string(map, "time_zone", "", required: true) {
            calendar = LocalCalendar(identifier: zone)
            if calendar == nil { problem(map["time_zone"], "time_zone", "\"\(zone)\" is not a known time zone (use an IANA name such as Asia/Shanghai)") }
        }
        let currency = string(map, "currency", "", required: true, pattern: { $0.count == 3 && $0.allSatisfy { $0.isUppercase && $0.isASCII } },
                              expected: "an ISO 4217 code such as USD")
        let points = map["points"].flatMap { pointsCurrency($0) }
        if map["points"] == nil { problem(root, "points", "is required") }
        let expiry = map["expiry"].flatMap { self.expiry($0) } ?? Expiry.none
        let checkout = map["checkout"].flatMap { self.checkout($0) }
        let tiers = map["tiers"].flatMap { self.tiers($0) }
        var policy = CampaignPolicy.highest
        if let text = string(map, "campaign_policy", "", pattern: { CampaignPolicy(rawValue: $0) != nil }, expected: "highest or multiply") {
            policy = CampaignPolicy(rawValue: text)!
        }
        let campaigns = (list(map, "campaigns", "", maximum: ProgramFileLimits.maximumCampaigns) ?? []).compactMap { campaign($0.0, $0.1) }
        var rules = (list(map, "rules", "", maximum: ProgramFileLimits.maximumRules) ?? []).compactMap { rule($0.0, $0.1) }
        // A rule that names the points' own code earns points.
        for index in rules.indices where rules[index].currency != nil && rules[index].currency == points?.code { rules[index].currency = nil }
        if map["rules"] == nil { problem(root, "rules", "is required (an empty list when nothing earns)") }
        let rewards = (list(map, "rewards", "", maximum: ProgramFileLimits.maximumRewards) ?? []).compactMap { reward($0.0, $0.1) }
        let services = (list(map, "services", "", maximum: ProgramFileLimits.maximumServices) ?? []).compactMap { service($0.0, $0.1) }
        let birthday = map["birthday"].flatMap { coupon($0, "birthday") }
        let anniversary = map["anniversary"].flatMap { self.anniversary($0, tiers: tiers) }
        let currencies = (list(map, "currencies", "", maximum: 4) ?? []).compactMap { otherCurrency($0.0, $0.1) }
        checkUnique(currencies.map(\.points.code) + [points?.code ?? "points"], map["currencies"], "currencies", what: "currency code")
        for (index, rule) in rules.enumerated() {
            guard let code = rule.currency else { continue }
            let rulePath = "rules[\(index)].currency"
            if !currencies.contains(where: { $0.points.code == code }) {
                problem(map["rules"], rulePath, "\"\(code)\" is not one of the program's currencies (\(currencies.isEmpty ? "it keeps only its points" : currencies.map(\.points.code).joined(separator: ", ")))")
            }
            // Refunds, disputes and order states act on the points of orders; awards in another
            // currency come from the member's own actions.
            if rule.on.rawValue.hasPrefix("order.") {
                problem(map["rules"], rulePath, "rules in another currency earn on sign-ins, reviews, posts, shares, referrals, campaigns and joining, not on orders")
            }
            if rule.tierMultiplier { problem(map["rules"], rulePath, "a rule in another currency cannot use the tier multiplier") }
        }
        let places = (list(map, "places", "", maximum: 50) ?? []).compactMap { place($0.0, $0.1) }
        checkUnique(places.map(\.id), map["places"], "places", what: "place")
        let transfers = (list(map, "transfers", "", maximum: 50) ?? []).compactMap { transfer($0.0, $0.1) }
        let draws = (list(map, "draws", "", maximum: 100) ?? []).compactMap { draw($0.0, $0.1) }
        checkUnique(draws.map(\.id), map["draws"], "draws", what: "draw")
        if !draws.isEmpty, let points, !points.spendableAt.contains(.rewards) {
            problem(map["draws"], "draws", "draw entries are paid in points: points.spend must include rewards")
        }
        checkUnique(transfers.map(\.id), map["transfers"], "transfers", what: "transfer")
        if !transfers.isEmpty, points?.spendableAt.isEmpty ?? false {
            problem(map["transfers"], "transfers", "the points cannot be spent (points.spend is empty), so they cannot be transferred either")
        }
        if !places.isEmpty, checkout == nil { problem(map["places"], "places", "points pay at places through checkout: the program needs a checkout section") }
        let excluded = strings(map, "excluded_sellers", "") ?? []
        let participating = strings(map, "participating_sellers", "")
        if let participating {
            if participating.isEmpty { problem(map["participating_sellers"], "participating_sellers", "lists no seller: leave it out when every seller takes part") }
            for seller in participating where excluded.contains(seller) {
                problem(map["participating_sellers"], "participating_sellers", "\"\(seller)\" is also an excluded seller")
            }
        }
        checkUnique(rules.map(\.id), map["rules"], "rules", what: "rule")
        checkUnique(campaigns.map(\.id), map["campaigns"], "campaigns", what: "campaign")
        checkUnique(rewards.map(\.id), map["rewards"], "rewards", what: "reward")
        checkUnique(services.map(\.id), map["services"], "services", what: "service")
        if let points {
            if points.spendableAt.contains(.checkout), checkout == nil {
                problem(map["points"], "points.spend", "includes checkout, so the program needs a checkout section")
            }
            if !rewards.isEmpty, !points.spendableAt.contains(.rewards) {
                problem(map["rewards"], "rewards", "the points are not spendable on rewards (points.spend)")
            }
            if !services.isEmpty, !points.spendableAt.contains(.services) {
                problem(map["services"], "services", "the points are not spendable on services (points.spend)")
            }
            if points.spendableAt.contains(.checkout), points.valueMinorUnits == 0 {
                problem(map["points"], "points.value", "is required when points pay at checkout")
            }
        }
        if rules.contains(where: \.tierMultiplier), tiers == nil {
            problem(map["rules"], "rules", "a rule uses the tier multiplier but the program has no tiers")
        }
        guard problems.isEmpty, let id, let name, let calendar, let currency, let points else { return nil }
        var program = Program(id: id, name: name, version: version, calendar: calendar, moneyCurrency: currency, points: points,
                       guestsEarn: bool(map, "guests_earn", "") ?? false,
                       excludedSellers: excluded, rules: rules, campaigns: campaigns,
                       campaignPolicy: policy, expiry: expiry, checkout: checkout, tiers: tiers, rewards: rewards,
                       services: services, birthday: birthday, participatingSellers: participating, anniversary: anniversary)
        program.places = places
        program.transfers = transfers
        program.draws = draws
        program.currencies = currencies
        return program
    }

    /// Another currency the program keeps beside its points: its own code, name, value, places to
    /// spend (checkout only), expiry and checkout.
    func otherCurrency(_ node: Node, _ path: String) -> Currency? {
        guard let map = fields(node, path, allowed: ["code", "name", "spend", "value", "not_spendable_reason", "expiry", "checkout"]) else { return nil }
        guard let code = identifier(map, "code", path) else { return nil }
        var inner = map
        inner["expiry"] = nil
        inner["checkout"] = nil
        guard let points = pointsCurrency(node, fields: inner, path: path) else { return nil }
        for place in points.spendableAt where place != .checkout {
            problem(map["spend"], path + ".spend", "another currency can be spent at checkout only, not \(place.phrase)")
        }
        let expiry = map["expiry"].flatMap { self.expiry($0, path: path + ".expiry") } ?? Expiry.none
        if case .inactivity = expiry {
            problem(map["expiry"], path + ".expiry", "another currency expires lot by lot (months_after_available, end_of_month) or never, not by inactivity")
        }
        let checkout = map["checkout"].flatMap { self.checkout($0, path: path + ".checkout") }
        if points.spendableAt.contains(.checkout) {
            if checkout == nil { problem(node, path + ".spend", "includes checkout, so the currency needs a checkout section") }
            if points.valueMinorUnits == 0 { problem(node, path + ".value", "is required when the currency pays at checkout") }
        }
        var result = Currency(points: points, expiry: expiry, checkout: checkout)
        result.points.code = code
        return result
    }

    /// A required instant (RFC 3339, with its offset).
    func instant(_ map: [String: Node], _ key: String, _ path: String) -> Instant? {
        string(map, key, path, required: true, pattern: { Instant(rfc3339: $0) != nil },
               expected: "a time with its offset such as 2026-11-20T00:00:00+08:00").flatMap { Instant(rfc3339: $0) }
    }

    func draw(_ node: Node, _ path: String) -> Draw? {
        let keys = ["id", "name", "entry_cost", "entries_per_member", "opens", "closes", "draw_at", "prizes"]
        guard let map = fields(node, path, allowed: keys) else { return nil }
        let id = identifier(map, "id", path)
        let name = string(map, "name", path, required: true)
        let cost = integer(map, "entry_cost", path, required: true, minimum: 1)
        let perMember = integer(map, "entries_per_member", path, minimum: 1)
        let opens = instant(map, "opens", path), closes = instant(map, "closes", path), drawAt = instant(map, "draw_at", path)
        if let opens, let closes, closes <= opens { problem(map["closes"], path + ".closes", "must be after opens") }
        if let closes, let drawAt, drawAt < closes { problem(map["draw_at"], path + ".draw_at", "must not be before closes") }
        let prizes = (list(map, "prizes", path, maximum: 100) ?? []).compactMap { prizeNode, prizePath -> Draw.Prize? in
            guard let p = fields(prizeNode, prizePath, allowed: ["id", "name", "count", "value", "code_prefix"]),
                  let prizeID = identifier(p, "id", prizePath), let prizeName = string(p, "name", prizePath, required: true),
                  let count = integer(p, "count", prizePath, required: true, minimum: 1, maximum: 10_000) else { return nil }
            return Draw.Prize(id: prizeID, name: prizeName, count: count, valueMinorUnits: money(p, "value", prizePath),
                              codePrefix: string(p, "code_prefix", prizePath))
        }
        if map["prizes"] == nil { problem(node, path + ".prizes", "is required: a draw needs at least one prize") }
        checkUnique(prizes.map(\.id), map["prizes"], path + ".prizes", what: "prize")
        guard let id, let name, let cost, let opens, let closes, let drawAt, !prizes.isEmpty else { return nil }
        return Draw(id: id, name: name, entryCost: cost, entriesPerMember: perMember, opens: opens, closes: closes, drawAt: drawAt, prizes: prizes)
    }

    func transfer(_ node: Node, _ path: String) -> Transfer? {
        guard let map = fields(node, path, allowed: ["id", "partner", "rate", "minimum", "daily_limit", "from", "to"]) else { return nil }
        let id = identifier(map, "id", path)
        let partner = string(map, "partner", path, required: true)
        var rate: (Int64, Int64)?
        if let node = map["rate"] {
            if let pair = fields(node, path + ".rate", allowed: ["points", "units"]),
               let points = integer(pair, "points", path + ".rate", required: true, minimum: 1, maximum: 1_000_000),
               let units = integer(pair, "units", path + ".rate", required: true, minimum: 1, maximum: 1_000_000) {
                rate = (points, units)
            }
        } else {
            problem(node, path + ".rate", "is required: {points: 100, units: 1} turns 100 points into 1 of the partner's units")
        }
        let minimum = integer(map, "minimum", path, minimum: 1) ?? rate?.0
        let dailyLimit = integer(map, "daily_limit", path, minimum: 1)
        let from = date(map, "from", path), to = date(map, "to", path)
        if let from, let to, to < from { problem(map["to"], path + ".to", "is before from") }
        guard let id, let partner, let rate, let minimum, let from, let to else { return nil }
        if minimum % rate.0 != 0 { problem(map["minimum"], path + ".minimum", "must be a multiple of the rate's \(rate.0) points") }
        return Transfer(id: id, partner: partner, points: rate.0, units: rate.1, minimum: minimum, dailyLimit: dailyLimit, from: from, to: to)
    }

    func place(_ node: Node, _ path: String) -> Place? {
        guard let map = fields(node, path, allowed: ["id", "name", "minimum", "max_share_percent"]) else { return nil }
        guard let id = identifier(map, "id", path), let name = string(map, "name", path, required: true),
              let share = integer(map, "max_share_percent", path, required: true, minimum: 1, maximum: 100) else { return nil }
        return Place(id: id, name: name, minimum: integer(map, "minimum", path, minimum: 1), maximumSharePercent: share)
    }

    func checkUnique(_ ids: [String], _ node: Node?, _ path: String, what: String) {
        var seen: Set<String> = []
        for id in ids where !seen.insert(id).inserted {
            problem(node, path, "the \(what) id \"\(id)\" is used twice")
        }
    }

    func pointsCurrency(_ node: Node) -> PointsCurrency? {
        guard let map = fields(node, "points", allowed: ["code", "name", "spend", "value", "not_spendable_reason"]) else { return nil }
        return pointsCurrency(node, fields: map, path: "points")
    }

    /// A currency's code, name, places to spend and value, from fields already checked.
    func pointsCurrency(_ node: Node, fields map: [String: Node], path: String) -> PointsCurrency? {
        let code = identifier(map, "code", path, required: false) ?? "points"
        let name = string(map, "name", path) ?? code
        var places: [SpendPlace] = []
        for (index, text) in (strings(map, "spend", path) ?? []).enumerated() {
            guard let place = SpendPlace(rawValue: text) else {
                problem(map["spend"], "\(path).spend[\(index)]", "\"\(text)\" is not a place to spend (checkout, rewards, services)")
                continue
            }
            places.append(place)
        }
        var valuePoints: Int64 = 1
        var valueMinor: Int64 = 0
        if let valueNode = map["value"], let value = fields(valueNode, path + ".value", allowed: ["points", "money"]) {
            valuePoints = integer(value, "points", path + ".value", required: true, minimum: 1) ?? 1
            valueMinor = self.money(value, "money", path + ".value", required: true) ?? 0
        }
        return PointsCurrency(code: code, name: name, spendableAt: places, valuePoints: valuePoints, valueMinorUnits: valueMinor,
                              notSpendableReason: string(map, "not_spendable_reason", path))
    }

    func expiry(_ node: Node, path: String = "expiry") -> Expiry? {
        guard let map = fields(node, path, allowed: ["model", "months", "days", "notice_days", "months_after"]) else { return nil }
        let notice = integer(map, "notice_days", path, minimum: 1, maximum: 3_650)
        switch string(map, "model", path, required: true) {
        case "none"?: return Expiry.none
        case "months_after_available"?:
            guard let months = integer(map, "months", path, required: true, minimum: 1, maximum: 1_200) else { return nil }
            return .monthsAfterAvailable(months: months, noticeDays: notice)
        case "end_of_month"?:
            guard let after = integer(map, "months_after", path, required: true, minimum: 0, maximum: 1_200) else { return nil }
            return .endOfMonth(monthsAfter: after, noticeDays: notice)
        case "inactivity"?:
            guard let days = integer(map, "days", path, required: true, minimum: 1, maximum: 36_500) else { return nil }
            if let notice, notice >= days { problem(map["notice_days"], path + ".notice_days", "must be less than days") }
            return .inactivity(days: days, noticeDays: notice)
        case let other?:
            problem(map["model"], path + ".model", "\"\(other)\" is not an expiry model (none, months_after_available, end_of_month, inactivity)")
            return nil
        case nil: return nil
        }
    }

    func checkout(_ node: Node, path: String = "checkout") -> CheckoutPolicy? {
        guard let map = fields(node, path, allowed: ["minimum", "multiple", "max_share_percent", "hold_minutes"]) else { return nil }
        guard let minimum = integer(map, "minimum", path, required: true, minimum: 1),
              let share = integer(map, "max_share_percent", path, required: true, minimum: 1, maximum: 100) else { return nil }
        return CheckoutPolicy(minimum: minimum, multiple: integer(map, "multiple", path, minimum: 1), maximumSharePercent: share,
                              holdMinutes: integer(map, "hold_minutes", path, minimum: 1, maximum: 10_080))
    }

    func coupon(_ node: Node, _ path: String) -> CouponGrant? {
        guard let map = fields(node, path, allowed: ["id", "name", "value"]) else { return nil }
        guard let id = identifier(map, "id", path), let name = string(map, "name", path, required: true),
              let value = money(map, "value", path, required: true) else { return nil }
        return CouponGrant(id: id, name: name, valueMinorUnits: value)
    }

    /// `anniversary: {id, name, value}` or `{id, name, by_level: {gold: "2.00", ...}}`.
    func anniversary(_ node: Node, tiers: Tiers?) -> AnniversaryGrant? {
        let path = "anniversary"
        guard let map = fields(node, path, allowed: ["id", "name", "value", "by_level"]) else { return nil }
        guard let id = identifier(map, "id", path), let name = string(map, "name", path, required: true) else { return nil }
        let value = money(map, "value", path)
        var byLevel: [(level: String, valueMinorUnits: Int64)] = []
        if let levels = map["by_level"] {
            guard let pairs = fields(levels, "anniversary.by_level", allowed: tiers?.levels.map(\.id) ?? []) else { return nil }
            for level in tiers?.levels ?? [] where pairs[level.id] != nil {
                if let amount = money(pairs, level.id, "anniversary.by_level", required: true) { byLevel.append((level.id, amount)) }
            }
            if tiers == nil { problem(levels, "anniversary.by_level", "the program has no tiers to size the coupon by") }
        }
        guard (value == nil) != (map["by_level"] == nil) else {
            problem(node, path, "give either value (one coupon for everyone) or by_level (a value per level)")
            return nil
        }
        return AnniversaryGrant(id: id, name: name, valueMinorUnits: value, byLevel: byLevel)
    }

    func tiers(_ node: Node) -> Tiers? {
        guard let map = fields(node, "tiers", allowed: ["basis", "months", "effective_day", "levels"]) else { return nil }
        let basis: TierBasis
        switch string(map, "basis", "tiers", required: true) {
        case "calendar_year"?: basis = .calendarYear
        case "rolling_months"?:
            guard let months = integer(map, "months", "tiers", required: true, minimum: 1, maximum: 120),
                  let day = integer(map, "effective_day", "tiers", required: true, minimum: 1, maximum: 28) else { return nil }
            basis = .rollingMonths(months: months, effectiveDay: day)
        case let other?:
            problem(map["basis"], "tiers.basis", "\"\(other)\" is not a tier basis (calendar_year, rolling_months)")
            return nil
        case nil: return nil
        }
        var levels: [Level] = []
        for (levelNode, levelPath) in list(map, "levels", "tiers", maximum: ProgramFileLimits.maximumLevels) ?? [] {
            guard let level = fields(levelNode, levelPath, allowed: ["id", "name", "threshold", "multiplier", "coupon", "benefits"]) else { continue }
            guard let id = identifier(level, "id", levelPath), let threshold = integer(level, "threshold", levelPath, required: true) else { continue }
            if let previous = levels.last, threshold <= previous.threshold {
                problem(level["threshold"], levelPath + ".threshold", "must be above the previous level's \(previous.threshold)")
            }
            if levels.isEmpty, threshold != 0 { problem(level["threshold"], levelPath + ".threshold", "the first level's threshold must be 0") }
            levels.append(Level(id: id, name: string(level, "name", levelPath), threshold: threshold,
                                multiplier: ratio(level, "multiplier", levelPath) ?? .one,
                                reward: level["coupon"].flatMap { coupon($0, levelPath + ".coupon") },
                                benefits: strings(level, "benefits", levelPath, maximum: 20) ?? []))
        }
        if levels.isEmpty {
            problem(map["levels"] ?? node, "tiers.levels", "needs at least one level")
            return nil
        }
        checkUnique(levels.map(\.id), map["levels"], "tiers.levels", what: "level")
        return Tiers(basis: basis, levels: levels)
    }

    /// A required local date field.
    func date(_ map: [String: Node], _ key: String, _ path: String) -> CivilDate? {
        string(map, key, path, required: true, pattern: { CivilDate($0) != nil }, expected: "a date such as 2026-11-01").flatMap(CivilDate.init)
    }

    func campaign(_ node: Node, _ path: String) -> Campaign? {
        guard let map = fields(node, path, allowed: ["id", "name", "from", "to", "multiplier", "categories"]) else { return nil }
        guard let id = identifier(map, "id", path), let from = date(map, "from", path), let to = date(map, "to", path),
              let multiplier = ratio(map, "multiplier", path) else {
            if map["multiplier"] == nil { problem(node, path + ".multiplier", "is required") }
            return nil
        }
        if to < from { problem(map["to"], path + ".to", "is before from") }
        return Campaign(id: id, name: string(map, "name", path) ?? id, from: from, to: to, multiplier: multiplier,
                        categories: strings(map, "categories", path))
    }

    static let earningTypes: [InputType] = [.memberJoined, .orderCompleted, .reviewPosted, .memberSignedIn, .postPublished,
                                            .sharePosted, .referralCompleted, .campaignJoined]

    func rule(_ node: Node, _ path: String) -> Rule? {
        let keys = ["id", "on", "label", "title", "earn", "when", "multipliers", "pending_days", "pending", "caps", "once_per", "currency"]
        guard let map = fields(node, path, allowed: keys) else { return nil }
        let id = identifier(map, "id", path)
        var type: InputType?
        if let on = string(map, "on", path, required: true) {
            type = InputType(rawValue: on)
            if type == nil {
                problem(map["on"], path + ".on", "\"\(on)\" is not an input type")
            } else if !Reader.earningTypes.contains(type!) {
                problem(map["on"], path + ".on", "\(on) cannot earn (earning types: \(Reader.earningTypes.map(\.rawValue).joined(separator: ", ")))")
                type = nil
            }
        }
        var earn: Earn?
        if let earnNode = map["earn"], let e = fields(earnNode, path + ".earn", allowed: ["points", "per_amount", "max", "cumulative_per", "streak_step"]) {
            let points = integer(e, "points", path + ".earn", required: true, minimum: 1, maximum: 1_000_000)
            let perAmount = money(e, "per_amount", path + ".earn")
            let cumulative = money(e, "cumulative_per", path + ".earn")
            let maximum = integer(e, "max", path + ".earn", minimum: 1)
            if let points {
                if perAmount != nil, cumulative != nil {
                    problem(earnNode, path + ".earn", "takes per_amount or cumulative_per, not both")
                } else if let per = perAmount {
                    if per == 0 { problem(e["per_amount"], path + ".earn.per_amount", "must be more than 0") }
                    earn = .perAmount(perMinorUnits: max(per, 1), points: points, maximum: maximum)
                } else if let per = cumulative {
                    if per == 0 { problem(e["cumulative_per"], path + ".earn.cumulative_per", "must be more than 0") }
                    if type != nil, type != .orderCompleted { problem(e["cumulative_per"], path + ".earn.cumulative_per", "applies to order.completed only") }
                    earn = .cumulative(perMinorUnits: max(per, 1), points: points)
                } else if let step = integer(e, "streak_step", path + ".earn", minimum: 0, maximum: 1_000_000) {
                    guard let maximum else {
                        problem(earnNode, path + ".earn", "a streak needs max: the most a day of the streak earns")
                        return nil
                    }
                    if maximum < points { problem(e["max"], path + ".earn.max", "must be at least points (the first day's)") }
                    if type == .orderCompleted { problem(e["streak_step"], path + ".earn.streak_step", "applies to daily inputs (sign-ins), not orders") }
                    earn = .streak(start: points, step: step, maximum: maximum)
                } else {
                    if maximum != nil { problem(e["max"], path + ".earn.max", "applies to per_amount earning only") }
                    earn = .fixed(points)
                }
                if perAmount != nil || cumulative != nil, let type, type != .orderCompleted {
                    problem(earnNode, path + ".earn", "earning per amount applies to order.completed only")
                }
            }
        } else if map["earn"] == nil {
            problem(node, path + ".earn", "is required")
        }
        var conditions = Conditions()
        if let whenNode = map["when"], let w = fields(whenNode, path + ".when", allowed: ["min_amount", "international", "categories", "known_order_min"]) {
            conditions = Conditions(minimumAmount: money(w, "min_amount", path + ".when"), international: bool(w, "international", path + ".when"),
                                    categories: strings(w, "categories", path + ".when"), knownOrderMinimum: money(w, "known_order_min", path + ".when"))
        }
        var tierMultiplier = false, campaignMultiplier = false
        for (index, name) in (strings(map, "multipliers", path) ?? []).enumerated() {
            switch name {
            case "tier": tierMultiplier = true
            case "campaigns": campaignMultiplier = true
            default: problem(map["multipliers"], "\(path).multipliers[\(index)]", "\"\(name)\" is not a multiplier (tier, campaigns)")
            }
        }
        var caps: [Cap] = []
        for (capNode, capPath) in list(map, "caps", path, maximum: ProgramFileLimits.maximumCaps) ?? [] {
            guard let c = fields(capNode, capPath, allowed: ["per", "count", "points"]) else { continue }
            guard let periodText = string(c, "per", capPath, required: true) else { continue }
            guard let period = Period(rawValue: periodText) else {
                problem(c["per"], capPath + ".per", "\"\(periodText)\" is not a period (day, month, year)")
                continue
            }
            let count = integer(c, "count", capPath, minimum: 1)
            let points = integer(c, "points", capPath, minimum: 1)
            if count == nil, points == nil { problem(capNode, capPath, "needs count or points") }
            caps.append(Cap(period: period, count: count, points: points))
        }
        let oncePer = strings(map, "once_per", path, maximum: 4) ?? []
        let pendingDays = integer(map, "pending_days", path, minimum: 0, maximum: 3_650)
        var pendingUntil: PendingRelease?
        if let node = map["pending"] {
            let pendingPath = path + ".pending"
            if let pending = fields(node, pendingPath, allowed: ["until", "days"]) {
                switch string(pending, "until", pendingPath, required: true) {
                case "return_window_closed"?:
                    pendingUntil = .returnWindowClosed
                    if pending["days"] != nil { problem(pending["days"], pendingPath + ".days", "goes with until: delivered only") }
                case "delivered"?:
                    pendingUntil = .delivered(days: integer(pending, "days", pendingPath, minimum: 0, maximum: 3_650) ?? 0)
                case let other?:
                    problem(pending["until"], pendingPath + ".until", "\"\(other)\" is not an order state (return_window_closed, delivered)")
                case nil:
                    break
                }
            }
            if pendingDays != nil { problem(node, pendingPath, "give pending_days or pending, not both") }
            if let type, type != .orderCompleted { problem(node, pendingPath, "only points of orders (on: order.completed) can wait for an order's state") }
        }
        guard let id, let type, let earn else { return nil }
        let label = string(map, "label", path) ?? type.plural
        var rule = Rule(id: id, on: type, label: label, title: string(map, "title", path) ?? id, earn: earn, conditions: conditions,
                        tierMultiplier: tierMultiplier, campaignMultiplier: campaignMultiplier, pendingDays: pendingDays,
                        pendingUntil: pendingUntil, caps: caps, oncePer: oncePer)
        rule.currency = identifier(map, "currency", path, required: false)
        return rule
    }

    func reward(_ node: Node, _ path: String) -> Reward? {
        let keys = ["id", "name", "kind", "cost", "stock", "limit", "code_prefix", "value", "giftable"]
        guard let map = fields(node, path, allowed: keys) else { return nil }
        guard let id = identifier(map, "id", path), let name = string(map, "name", path, required: true),
              let cost = integer(map, "cost", path, required: true, minimum: 1) else { return nil }
        var kind = Reward.Kind.item
        if let text = string(map, "kind", path) {
            if let k = Reward.Kind(rawValue: text) { kind = k } else { problem(map["kind"], path + ".kind", "\"\(text)\" is not a reward kind (voucher, draw_entry, item)") }
        }
        var limitCount: Int64?, limitPeriod: Period?
        if let limitNode = map["limit"], let l = fields(limitNode, path + ".limit", allowed: ["count", "per"]) {
            limitCount = integer(l, "count", path + ".limit", required: true, minimum: 1)
            if let text = string(l, "per", path + ".limit", required: true) {
                limitPeriod = Period(rawValue: text)
                if limitPeriod == nil { problem(l["per"], path + ".limit.per", "\"\(text)\" is not a period (day, month, year)") }
            }
        }
        var reward = Reward(id: id, name: name, kind: kind, cost: cost, stock: integer(map, "stock", path), limitCount: limitCount,
                            limitPeriod: limitPeriod, codePrefix: string(map, "code_prefix", path), valueMinorUnits: money(map, "value", path))
        reward.giftable = bool(map, "giftable", path) ?? false
        return reward
    }

    func service(_ node: Node, _ path: String) -> Service? {
        guard let map = fields(node, path, allowed: ["id", "name", "cost", "unit", "airports", "airport_rule"]) else { return nil }
        guard let id = identifier(map, "id", path), let name = string(map, "name", path, required: true),
              let cost = integer(map, "cost", path, required: true, minimum: 1) else { return nil }
        // What the service is counted in (nights, meals, days...): the program names it; a booking
        // gives the count under that name. "service", "airport" and "date" are a booking's own fields.
        let unit = string(map, "unit", path, pattern: { Reader.isIdentifier($0) && !["service", "airport", "date"].contains($0) },
                          expected: "an id of lower-case letters, digits, '-' and '_' (not service, airport or date)")
        return Service(id: id, name: name, cost: cost, unit: unit, airports: strings(map, "airports", path),
                       airportRule: string(map, "airport_rule", path))
    }
}
