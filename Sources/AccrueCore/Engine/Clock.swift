/// Time: the explicit step that runs all due work in time order, and the tier and level work.
extension Engine {
    /// Runs every piece of work due at or before `time`, in time order, then sets the clock to
    /// `time` if it is later. Work due exactly at an input's `at` runs before that input.
    public mutating func advance(to time: Instant) {
        advance(ClockStep(time: time))
    }

    /// Runs due work up to the step's time in time order, at most `step.items` scheduled items
    /// (releases, expiries, notices; a tier or level evaluation counts as one) when it has a
    /// limit. Returns true when everything due by then has run, and the clock is at the step's
    /// time; false when it stopped at the limit, with the clock just before the first item left
    /// (one millisecond before it, when that is later than the clock was). Steps with
    /// a limit, run until one returns true, make exactly the entries and the state one advance
    /// makes: the order of due work is total, so a limit only says where a step ends.
    @discardableResult
    public mutating func advance(_ step: ClockStep) -> Bool {
        let time = step.time
        guard let clock = state.clock else {
            state.clock = time
            startProgramSchedule(after: time)
            return true
        }
        var itemsRun = 0
        // The last member item that ran: the same item queued twice runs twice, counted once.
        var lastRun: Due?
        while true {
            let programNext = [state.nextYearStart, state.nextCount, state.nextEffective].compactMap { $0 }.min()
            if let limit = step.items, !step.countsStaleItems, itemsRun >= max(1, limit) {
                // Stale items at the head (a lot spent or moved, a deadline moved by activity, one
                // item queued twice) run here, doing nothing but moving themselves, so that the step
                // stops before the next current work: a queue rebuilt from the state (after a
                // load) holds none of them, and a step must end in the same place either way.
                while let head = schedule.first, head.at <= time, programNext.map({ head.at <= $0 }) ?? true,
                      head == lastRun || !isCurrent(head) {
                    run(schedule.pop()!)
                }
            }
            // The next piece of work: a member's item, or the program's (a member's first on a tie).
            let next: Instant, memberFirst: Bool
            if let memberNext = schedule.first?.at, memberNext <= time, programNext.map({ memberNext <= $0 }) ?? true {
                (next, memberFirst) = (memberNext, true)
            } else if let programNext, programNext <= time {
                (next, memberFirst) = (programNext, false)
            } else {
                break
            }
            if let limit = step.items, itemsRun >= max(1, limit) {
                // Everything before `next` has run: the clock stops just before it. An input
                // dated earlier (a late one) then runs none of the rest inline; the next step does.
                let stop = Instant(milliseconds: next.milliseconds - 1)
                if stop > clock { state.clock = stop }
                return false
            }
            if memberFirst {
                let due = schedule.pop()!
                #if DEBUG
                // Debug builds (every test) hold what `run` says to what `isCurrent` said before.
                let expected = isCurrent(due)
                #endif
                let current = run(due)
                #if DEBUG
                assert(current == expected, "\(due.kind) of \(due.member) at \(due.at.rfc3339): run says \(current), isCurrent \(expected)")
                #endif
                // Steps logged before 2026-12-06 counted every item; now only current work counts.
                if current && due != lastRun || step.countsStaleItems { itemsRun += 1 }
                lastRun = due
            } else {
                runProgramWork(at: next)
                itemsRun += 1
            }
        }
        if time > clock { state.clock = time }
        return true
    }

    mutating func startProgramSchedule(after time: Instant) {
        switch program.tiers?.basis {
        case .calendarYear?: state.nextYearStart = program.calendar.startOfNextYear(after: time)
        case .rollingMonths?: state.nextCount = program.calendar.next(dayOfMonth: 1, after: time)
        case nil: break
        }
    }

    /// Rebuilds the schedule of due work from the state, as after loading it from a store. Only
    /// work that is still valid is scheduled, so the order matches the live schedule's.
    mutating func rebuildSchedule() {
        schedule = Schedule()
        tierWatch = []
        let clock = state.clock ?? Instant(milliseconds: Int64.min / 2)
        for member in state.members.values {
            if needsTierWork(member) { tierWatch.insert(member.id) }
            scheduleLots(member.lots, holds: member.holds, member: member.id, currency: nil, expiry: program.expiry)
            for (code, wallet) in member.wallets ?? [:] {
                guard let other = program.currency(code) else { continue }
                scheduleLots(wallet.lots, holds: wallet.holds, member: member.id, currency: code, expiry: other.expiry)
            }
            if case let .inactivity(days, noticeDays) = program.expiry, let last = member.lastActivity {
                schedule.push(Due(at: last.adding(days: days), kind: .inactivity, member: member.id, lot: 0))
                if let noticeDays, member.inactivityNoticeFor != last.adding(days: days) {
                    schedule.push(Due(at: last.adding(days: days - noticeDays), kind: .inactivityNotice, member: member.id, lot: 0))
                }
            }
            if member.birthday != nil, program.birthday != nil {
                scheduleBirthday(of: member, after: clock)
            }
            if program.anniversary != nil {
                scheduleAnniversary(of: member, after: clock)
            }
        }
    }

    /// Schedules the releases, expiries, notices and hold timeouts of one currency's lots and holds.
    mutating func scheduleLots(_ lots: Lots, holds: [Hold], member: String, currency: String?, expiry: Expiry) {
        for lot in lots {
            if lot.pending {
                // Points waiting for an order's state have no time to wait for yet.
                if lot.waitsFor == nil { schedule.push(Due(at: lot.availableAt, kind: .release, member: member, lot: lot.id, currency: slot(of: currency))) }
            } else if let expiresAt = lot.expiresAt {
                schedule.push(Due(at: expiresAt, kind: .expire, member: member, lot: lot.id, currency: slot(of: currency)))
                if let noticeDays = expiry.lotNoticeDays, !lot.noticed {
                    schedule.push(Due(at: expiresAt.adding(days: -noticeDays), kind: .notice, member: member, lot: lot.id, currency: slot(of: currency)))
                }
            }
        }
        for at in Set(holds.compactMap(\.expiresAt)) {
            schedule.push(Due(at: at, kind: .holdTimeout, member: member, lot: 0, currency: slot(of: currency)))
        }
    }

    /// Whether a scheduled item is work the state still calls for at its time: exactly the items
    /// `rebuildSchedule` would queue from the state now. Others are stale (the lot was spent or
    /// released, activity moved the deadline, the year's birthday was given) and do nothing.
    mutating func isCurrent(_ due: Due) -> Bool {
        inItsCurrency(due) { $0.isCurrentHere(due) }
    }

    /// `body` with the engine in the item's currency; false, without it, when the member or the
    /// currency is gone.
    private mutating func inItsCurrency(_ due: Due, _ body: (inout Engine) -> Bool) -> Bool {
        // By place: comparing the subscript's optional with nil copied the whole member.
        guard state.members.contains(due.member) else { return false }
        guard due.currency != 0 else { return body(&self) }
        guard let code = code(ofSlot: due.currency), program.currency(code) != nil else { return false }
        return inCurrency(code, body)
    }

    private mutating func isCurrentHere(_ due: Due) -> Bool {
        switch due.kind {
        case .release:
            guard let lot = reading(due.member, { $0.lots.lot(due.lot) }) else { return false }
            return lot.pending && lot.waitsFor == nil && lot.availableAt == due.at
        case .expire:
            guard let lot = reading(due.member, { $0.lots.lot(due.lot) }) else { return false }
            return !lot.pending && lot.expiresAt == due.at
        case .notice:
            guard let lot = reading(due.member, { $0.lots.lot(due.lot) }), let expiresAt = lot.expiresAt,
                  let noticeDays = program.expiry.lotNoticeDays else { return false }
            return !lot.pending && !lot.noticed && expiresAt.adding(days: -noticeDays) == due.at
        case .inactivity:
            guard case let .inactivity(days, _) = program.expiry, let last = reading(due.member, { $0.lastActivity }) else { return false }
            return last.adding(days: days) == due.at
        case .inactivityNotice:
            guard case let .inactivity(days, noticeDays?) = program.expiry else { return false }
            let (last, noticed) = reading(due.member) { ($0.lastActivity, $0.inactivityNoticeFor) }
            guard let last else { return false }
            return last.adding(days: days - noticeDays) == due.at && noticed != last.adding(days: days)
        case .holdTimeout:
            return reading(due.member) { $0.holds.contains { $0.expiresAt == due.at } }
        case .birthday:
            guard program.birthday != nil, let (birthday, given) = reading(due.member, { member in member.birthday.map { ($0, member.birthdayYear) } })
            else { return false }
            let year = program.calendar.date(of: due.at).year
            return program.calendar.instant(birthday.inYear(year)) == due.at && given != year
        case .anniversary:
            guard program.anniversary != nil else { return false }
            let (joinedAt, given) = reading(due.member) { ($0.joinedAt, $0.anniversaryYear) }
            let joined = program.calendar.date(of: joinedAt)
            let year = program.calendar.date(of: due.at).year
            return year > joined.year && program.calendar.instant(joined.inYear(year)) == due.at && given != year
        }
    }

    /// Runs one piece of member work if it is still current (the state may have moved on since it
    /// was scheduled: a lot spent, new activity); true when it was (`isCurrent`).
    @discardableResult
    mutating func run(_ due: Due) -> Bool {
        inItsCurrency(due) { $0.runDue(due) }
    }

    /// Each kind's checks are `isCurrentHere`'s (debug builds assert it); past them it is current.
    private mutating func runDue(_ due: Due) -> Bool {
        switch due.kind {
        // The lot's kinds read the lot where the member is kept: a sweep runs these for every lot.
        case .release:
            guard let (index, lot) = reading(due.member, { $0.lots.indexedLot(due.lot) }), lot.pending, lot.waitsFor == nil,
                  lot.availableAt == due.at else { return false }
            release(due.member, lotAt: index, at: due.at)
        case .expire:
            guard let (index, lot) = reading(due.member, { $0.lots.indexedLot(due.lot) }), !lot.pending, lot.expiresAt == due.at else { return false }
            expireLot(due.member, lot, at: index, time: due.at)
        case .notice:
            guard let (index, lot) = reading(due.member, { $0.lots.indexedLot(due.lot) }), !lot.noticed, let expiresAt = lot.expiresAt,
                  !lot.pending, let noticeDays = program.expiry.lotNoticeDays,
                  expiresAt.adding(days: -noticeDays) == due.at else { return false }
            let remaining = lot.remaining
            withMember(due.member) { $0.lots[index].noticed = true }
            // A late award whose expiry has already passed gets no notice: it expires in this step.
            guard expiresAt > state.clock ?? due.at else { return true }
            record(due.member, due.at, .expiryNotice, remaining, reason: "\(formatPoints(remaining)) \(pointsName) expire at \(local(expiresAt)) unless spent",
                   lot: due.lot, expiresAt: expiresAt)
        case .inactivity:
            let member = self.member(due.member)
            guard case let .inactivity(days, _) = program.expiry, let last = member.lastActivity else { return false }
            // Activity since the item was queued moved the deadline: the item moves with it.
            if last.adding(days: days) > due.at {
                schedule.push(Due(at: last.adding(days: days), kind: .inactivity, member: due.member, lot: 0))
                return false
            }
            guard last.adding(days: days) == due.at else { return false }
            for lot in member.lots where !lot.pending && lot.remaining > 0 {
                expireLot(due.member, lot: lot.id, at: due.at, reason: "\(formatPoints(lot.remaining)) \(pointsName) expired after \(days) days without activity")
            }
        case .inactivityNotice:
            let member = self.member(due.member)
            guard case let .inactivity(days, noticeDays?) = program.expiry, let last = member.lastActivity else { return false }
            if last.adding(days: days - noticeDays) > due.at {
                schedule.push(Due(at: last.adding(days: days - noticeDays), kind: .inactivityNotice, member: due.member, lot: 0))
                return false
            }
            guard last.adding(days: days - noticeDays) == due.at, member.inactivityNoticeFor != last.adding(days: days) else { return false }
            // Current, with nothing to say when nothing is left to expire.
            guard member.balance > 0 else { return true }
            let expiresAt = last.adding(days: days)
            withMember(due.member) { $0.inactivityNoticeFor = expiresAt }
            record(due.member, due.at, .expiryNotice, member.balance,
                   reason: "\(formatPoints(member.balance)) \(pointsName) expire at \(local(expiresAt)) unless you earn or spend before then",
                   expiresAt: expiresAt)
        case .holdTimeout:
            guard reading(due.member, { $0.holds.contains { $0.expiresAt == due.at } }) else { return false }
            expireCheckoutHolds(due.member, at: due.at)
        case .birthday:
            let member = self.member(due.member)
            guard let grant = program.birthday, let birthday = member.birthday else { return false }
            let year = program.calendar.date(of: due.at).year
            guard program.calendar.instant(birthday.inYear(year)) == due.at, member.birthdayYear != year else { return false }
            withMember(due.member) { $0.birthdayYear = year }
            let code = voucherCode(prefix: grant.id.uppercased(), salt: "\(due.member)|\(year)")
            issueCoupon(due.member, reward: grant.id, name: grant.name, code: code, value: grant.valueMinorUnits, at: due.at, input: nil)
            scheduleBirthday(due.member, after: due.at)
        case .anniversary:
            guard let grant = program.anniversary else { return false }
            let member = self.member(due.member)
            let joined = program.calendar.date(of: member.joinedAt)
            let year = program.calendar.date(of: due.at).year
            guard year > joined.year, program.calendar.instant(joined.inYear(year)) == due.at, member.anniversaryYear != year else { return false }
            withMember(due.member) { $0.anniversaryYear = year }
            let years = year - joined.year
            if let value = grant.value(for: member.tier) {
                let level = member.tier.flatMap { tier in program.tiers?.levels.first { $0.id == tier }?.name }
                let code = voucherCode(prefix: grant.id.uppercased(), salt: "\(due.member)|\(year)|anniversary")
                issueCoupon(due.member, reward: grant.id, name: "\(grant.name) (\(years) year\(years == 1 ? "" : "s")\(level.map { ", " + $0 } ?? ""))",
                            code: code, value: value, at: due.at, input: nil)
            }
            scheduleAnniversary(due.member, after: due.at)
        }
        return true
    }

    /// Makes a pending lot available at `at`: its expiry starts, it counts toward the tier.
    mutating func release(_ memberID: String, lotAt index: Int, at: Instant, why: String? = nil) {
        let lot = reading(memberID) { $0.lots[index] }
        let expiresAt = lotExpiry(availableAt: at)
        withMember(memberID) { member in
            member.lots[index].pending = false
            member.lots[index].waitsFor = nil
            member.lots[index].availableAt = at
            member.lots[index].expiresAt = expiresAt
        }
        let until = expiresAt.map { "; they expire at \(local($0))" } ?? ""
        record(memberID, at, .release, lot.remaining,
               reason: "\(why.map { $0 + ": " } ?? "")\(formatPoints(lot.remaining)) pending \(pointsName) are now available\(until)",
               lot: lot.id, rule: lot.rule, expiresAt: expiresAt, availableAt: at)
        if let orderID = lot.order {
            let countedIn = program.tiers == nil ? nil : qualifyingPeriod(at)
            changeAward(of: orderID, lot: lot.id) { $0.countedIn = countedIn }
        }
        becameAvailable(memberID, lot: lot.id, points: lot.remaining, at: at)
    }

    mutating func expireLot(_ memberID: String, lot lotID: Int64, at: Instant, reason: String? = nil) {
        guard let (index, lot) = reading(memberID, { $0.lots.indexedLot(lotID) }) else { return }
        expireLot(memberID, lot, at: index, time: at, reason: reason)
    }

    /// Expires `lot`, found at `index` of the member's lots (in the current currency) by the caller.
    mutating func expireLot(_ memberID: String, _ lot: Lot, at index: Int, time at: Instant, reason: String? = nil) {
        let lotID = lot.id
        let remaining = lot.remaining
        withMember(memberID) { $0.lots.remove(at: index) }
        guard remaining > 0 else { return }
        if let orderID = lot.order { changeAward(of: orderID, lot: lotID) { $0.expired += remaining } }
        record(memberID, at, .expire, -remaining, reason: reason ?? "\(formatPoints(remaining)) \(pointsName) expired", lot: lotID)
    }

    /// Changes the award an order recorded for `lot`, where the state keeps it, and marks the
    /// order touched; nothing when the order or its award is gone.
    mutating func changeAward(of orderID: String, lot: Int64, _ change: (inout OrderRecord.Award) -> Void) {
        let changed = state.orders.inPlace(orderID) { order in
            guard let award = order.awards.firstIndex(where: { $0.lot == lot }) else { return false }
            change(&order.awards[award])
            return true
        }
        if changed == true { touchedOrders.insert(orderID) }
    }

    mutating func scheduleAnniversary(_ memberID: String, after time: Instant) {
        guard program.anniversary != nil, let member = state.members[memberID] else { return }
        scheduleAnniversary(of: member, after: time)
    }

    /// Schedules the member's next anniversary of joining: 00:00 local on the date it joined
    /// (29 Feb -> 28 Feb), in a year after the joining year that has had none, at or after `time`.
    mutating func scheduleAnniversary(of member: MemberState, after time: Instant) {
        let joined = program.calendar.date(of: member.joinedAt)
        scheduleYearly(member: member.id, date: joined, fromYear: joined.year + 1, done: member.anniversaryYear,
                       kind: .anniversary, after: time)
    }

    /// Schedules 00:00 local on `date`'s day and month (29 Feb -> 28 Feb) in the first year from
    /// `fromYear` that is at or after `time` and is not `done` (the year already celebrated).
    ///
    /// These are `mutating` and push onto `schedule` itself: a non-mutating method given
    /// `&schedule` runs on a copy of the engine, which shares the schedule's storage, so every push
    /// copied the whole schedule (a replay of 250k inputs with birthdays went quadratic).
    mutating func scheduleYearly(member: String, date: CivilDate, fromYear: Int64, done: Int64?, kind: Due.Kind,
                        after time: Instant) {
        var year = max(fromYear, program.calendar.date(of: time).year)
        for _ in 0..<3 {
            let at = program.calendar.instant(date.inYear(year))
            if at >= time, done != year {
                schedule.push(Due(at: at, kind: kind, member: member, lot: 0))
                return
            }
            year += 1
        }
    }

    mutating func scheduleBirthday(_ memberID: String, after time: Instant) {
        guard program.birthday != nil, let member = state.members[memberID] else { return }
        scheduleBirthday(of: member, after: time)
    }

    /// Schedules the member's next birthday coupon: 00:00 local on the birthday (29 Feb -> 28 Feb),
    /// the first one at or after `time` in a year that has had none.
    mutating func scheduleBirthday(of member: MemberState, after time: Instant) {
        guard let birthday = member.birthday else { return }
        scheduleYearly(member: member.id, date: birthday, fromYear: Int64.min, done: member.birthdayYear, kind: .birthday, after: time)
    }

    // MARK: Tiers

    /// Whether the year start or a monthly count could change anything of this member: it has
    /// qualifying points, a tier above the first, or a level scheduled. A member who has none of
    /// these keeps the first tier whatever is counted.
    func needsTierWork(_ member: MemberState) -> Bool {
        guard let tiers = program.tiers, let first = tiers.levels.first else { return false }
        // A program whose zero total already earns more than the first tier watches everyone.
        return !member.qualifying.isEmpty || member.tier != first.id || member.nextTier != nil || tiers.level(for: 0) != 0
    }

    /// Puts a member on the tier watch list after a change that may need tier work.
    mutating func watchTier(_ memberID: String) {
        if program.tiers != nil, !tierWatch.contains(memberID) { tierWatch.insert(memberID) }
    }

    /// The watched members in id order (the order tier work runs in); drops those that need none.
    mutating func tierWorkMembers() -> [String] {
        let idle = tierWatch.filter { id in state.members[id].map { !needsTierWork($0) } ?? true }
        tierWatch.subtract(idle)
        return tierWatch.sorted()
    }

    /// Recomputes a calendar-year tier: the better of what this year's and last year's totals earn.
    mutating func updateTier(_ memberID: String, at: Instant) {
        guard let tiers = program.tiers, case .calendarYear = tiers.basis else { return }
        // A late input's award counts in its own year, but the tier is the one in effect now.
        let now = max(at, state.clock ?? at)
        let year = program.calendar.periodIndex(.year, of: now)
        let (thisYear, lastYear) = reading(memberID) { ($0.qualifying[year] ?? 0, $0.qualifying[year - 1] ?? 0) }
        let target = max(tiers.level(for: thisYear), tiers.level(for: lastYear))
        // The sentence is made only when the tier changes: this runs for every award.
        let name = pointsName
        changeTier(memberID, to: target, at: now, reason: thisYear >= lastYear || tiers.level(for: thisYear) >= tiers.level(for: lastYear)
            ? "\(formatPoints(thisYear)) \(name) this year"
            : "\(formatPoints(lastYear)) \(name) last year")
    }

    mutating func changeTier(_ memberID: String, to target: Int, at: Instant, reason: @autoclosure () -> String) {
        guard let tiers = program.tiers else { return }
        let current = tiers.index(of: reading(memberID) { $0.tier }) ?? 0
        guard target != current else { return }
        let level = tiers.levels[target]
        withMember(memberID) { $0.tier = level.id }
        watchTier(memberID)
        let direction = target > current ? "up" : "down"
        record(memberID, at, .tierChange, 0, reason: "\(direction) to \(level.name): \(reason())", tier: level.id)
        if target > current, let grant = level.reward {
            let code = voucherCode(prefix: grant.id.uppercased(), salt: "\(memberID)|\(at.milliseconds)")
            issueCoupon(memberID, reward: grant.id, name: grant.name, code: code, value: grant.valueMinorUnits, at: at, input: nil)
        }
    }

    /// Program-wide work: the start of a tier year, a monthly level count, a level taking effect.
    mutating func runProgramWork(at time: Instant) {
        guard let tiers = program.tiers else {
            state.nextYearStart = nil
            state.nextCount = nil
            state.nextEffective = nil
            return
        }
        if state.nextYearStart == time {
            state.nextYearStart = program.calendar.startOfNextYear(after: time)
            let year = program.calendar.periodIndex(.year, of: time)
            let name = pointsName
            for id in tierWorkMembers() {
                let member = state.members[id]!
                if member.qualifying.keys.contains(where: { $0 < year - 1 }) {
                    withMember(id) { $0.qualifying = $0.qualifying.filter { $0.key >= year - 1 } }
                }
                let lastYear = member.qualifying[year - 1] ?? 0
                let thisYear = member.qualifying[year] ?? 0
                let target = max(tiers.level(for: lastYear), tiers.level(for: thisYear))
                changeTier(id, to: target, at: time, reason: "a new year starts with the tier last year's \(formatPoints(lastYear)) \(name) earned")
            }
        }
        if state.nextCount == time, case let .rollingMonths(months, effectiveDay) = tiers.basis {
            state.nextCount = program.calendar.next(dayOfMonth: 1, after: time)
            let month = program.calendar.monthIndex(of: time)
            let effective = program.calendar.instant(program.calendar.date(of: time).inYearMonth(day: effectiveDay))
            for id in tierWorkMembers() {
                let member = state.members[id]!
                let count = member.qualifying.filter { $0.key >= month - months && $0.key < month }.reduce(0) { $0 + $1.value }
                let target = tiers.level(for: count)
                let level = tiers.levels[target]
                if member.qualifying.keys.contains(where: { $0 < month - months }) {
                    withMember(id) { $0.qualifying = $0.qualifying.filter { $0.key >= month - months } }
                }
                if level.id != member.tier || member.nextTier != nil {
                    withMember(id) { member in
                        member.nextTier = level.id
                        member.nextTierAt = effective
                    }
                    if level.id != member.tier {
                        record(id, time, .tierScheduled, 0,
                               reason: "\(formatPoints(count)) \(pointsName) in the last \(months) months: \(level.name) from \(local(effective))",
                               tier: level.id)
                    }
                }
            }
            state.nextEffective = effective > time ? effective : nil
            if effective <= time { applyScheduledLevels(at: time) }
        }
        if state.nextEffective == time {
            state.nextEffective = nil
            applyScheduledLevels(at: time)
        }
    }

    mutating func applyScheduledLevels(at time: Instant) {
        guard let tiers = program.tiers else { return }
        for id in tierWorkMembers() {
            let member = state.members[id]!
            guard let next = member.nextTier, let at = member.nextTierAt, at <= time else { continue }
            withMember(id) { member in
                member.nextTier = nil
                member.nextTierAt = nil
            }
            changeTier(id, to: tiers.index(of: next) ?? 0, at: time, reason: "the level your last count earned")
        }
    }
}

extension Engine {
    /// The earliest time at which due work waits (a release, an expiry, a notice, a tier or level
    /// evaluation), or nil when nothing is scheduled: a server advances its clock only then.
    public var nextDue: Instant? {
        [state.nextYearStart, state.nextCount, state.nextEffective, schedule.first?.at].compactMap { $0 }.min()
    }
}

/// One step of the clock, as the log records it: run due work up to `time`, at most `items`
/// scheduled items when there is a limit (see `Engine.advance(_:)`).
public struct ClockStep: Sendable, Equatable {
    public var time: Instant
    public var items: Int?
    /// Whether the limit counts every item taken from the queue, stale ones included, as steps
    /// logged before 2026-12-06 did (` items=N`). Those steps ended in different places in an
    /// engine whose queue was rebuilt from the state (after a load, which drops stale items) and
    /// in one that ran the log from the start; they replay as they were counted. New steps count
    /// only current work (` due=N`), which ends them in the same place in both.
    public var countsStaleItems: Bool

    public init(time: Instant, items: Int? = nil, countsStaleItems: Bool = false) {
        self.time = time
        self.items = items
        self.countsStaleItems = countsStaleItems
    }

    /// How a log stores it: the time in RFC 3339, then ` due=N` (or ` items=N`, see
    /// `countsStaleItems`) when there is a limit.
    public var text: String {
        items.map { "\(time.rfc3339) \(countsStaleItems ? "items" : "due")=\($0)" } ?? time.rfc3339
    }

    public init?(text: String) {
        let parts = text.split(separator: " ", omittingEmptySubsequences: false)
        guard let first = parts.first, let time = Instant(rfc3339: String(first)) else { return nil }
        switch parts.count {
        case 1:
            self.init(time: time)
        case 2:
            let limit = parts[1].split(separator: "=", maxSplits: 1)
            guard limit.count == 2, limit[0] == "items" || limit[0] == "due", let items = Int(limit[1]), items > 0 else { return nil }
            self.init(time: time, items: items, countsStaleItems: limit[0] == "items")
        default:
            return nil
        }
    }
}
