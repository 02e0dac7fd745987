import AccrueCore
import AccrueStore
import Foundation

/// Everything a member page shows, read from the ledger in one pass on the program's queue.
struct MemberSnapshot: Sendable {
    var member: String
    var program: Program
    var view: MemberView?
    var history: [HistoryLine]
    var nextBefore: Int64?
    var bookings: [Booking]
    var issued: [String: Int64]
    var claims: [String: Int64]
    var now: Instant
    /// The outcome of the input a form just sent, shown once at the top.
    var done: Outcome?
    /// The program's draws as this member sees them.
    var draws: [DrawLine] = []
    /// The member in each of the program's other currencies: that currency's view of the program
    /// and of the member, shown in sections of their own.
    var otherCurrencies: [(program: Program, view: MemberView?)] = []
    /// Points this member transferred today, per transfer window.
    var transferredToday: [String: Int64] = [:]

    /// One lucky draw from a member's side: its record without the other members' tickets.
    struct DrawLine: Sendable {
        var draw: Draw
        var committed: String?
        var seed: String?
        var ticketCount: Int
        var myTickets: [Int]
        /// Prize names of the member's winning tickets.
        var won: [(ticket: Int, prize: String)]
        /// Why the draw was cancelled.
        var cancelled: String?
    }

    static let historyPage = 20

    /// Reads a member's snapshot; `before` pages the history, `done` names an input just sent.
    static func read(_ ledger: ProgramLedger, member: String, now: Instant, before: Int64?, done: String?) throws -> MemberSnapshot {
        let program = ledger.program
        let state = ledger.engine.state
        let memberState = state.members[member]
        let history = memberState == nil ? [] : try ledger.store.history(program: program.id, member: member, limit: historyPage, beforeSeq: before)
        var outcome: Outcome?
        if let done, let record = try ledger.store.inputRecords(program: program.id, ids: [done])[done], record.outcome.member == member {
            outcome = record.outcome
        }
        var snapshot = MemberSnapshot(member: member, program: program, view: memberState.map { MemberView(member: $0, program: program, now: now) },
                                      history: history, nextBefore: history.count == historyPage ? history.last?.seq : nil,
                                      bookings: state.bookings.values.filter { $0.member == member }.sorted { ($0.requestedAt, $0.id) > ($1.requestedAt, $1.id) },
                                      issued: state.issued, claims: memberState?.claims ?? [:], now: now, done: outcome)
        snapshot.otherCurrencies = program.currencies.map { currency in
            let seen = program.spending(in: currency)
            return (seen, memberState.map { MemberView(member: $0.inCurrency(currency.points.code), program: seen, now: now) })
        }
        snapshot.draws = program.draws.map { draw in
            let record = state.draws?[draw.id] ?? DrawState()
            let mine = record.tickets.enumerated().filter { $0.element == member }.map { $0.offset + 1 }
            let slots = draw.slots
            let won = (record.winners ?? []).enumerated().compactMap { slot, ticket -> (Int, String)? in
                guard let ticket, mine.contains(ticket) else { return nil }
                return (ticket, slots[slot].name)
            }
            return DrawLine(draw: draw, committed: record.hash, seed: record.seed, ticketCount: record.tickets.count, myTickets: mine, won: won,
                            cancelled: record.cancelled)
        }
        let day = program.calendar.periodIndex(.day, of: now)
        for transfer in program.transfers {
            snapshot.transferredToday[transfer.id] = memberState?.claims[Engine.transferKey(transfer: transfer.id, day: day)] ?? 0
        }
        return snapshot
    }

    var calendar: LocalCalendar { program.calendar }
}

/// The sections of a member page. The member page and the console's member lookup both use them;
/// `forms` says whether the member's own forms (claims, bookings) are shown.
struct MemberSections {
    let snapshot: MemberSnapshot
    let texts: Texts
    /// The hidden fields every form of this page carries (the CSRF token).
    let hidden: String
    let forms: Bool
    /// Where the history's "older" link goes, given a seq.
    let olderLink: (Int64) -> String

    private var program: Program { snapshot.program }
    private var pointsName: String { program.points.name }
    /// The other currency these sections show (its code), or nil for the points.
    var currency: String?
    /// Element ids are prefixed with the currency's code, so that two balances never share one.
    private var idPrefix: String { currency.map { "\($0)-" } ?? "" }

    /// The same sections for each of the program's other currencies (balance and expiry).
    func otherCurrencies() -> [MemberSections] {
        snapshot.otherCurrencies.map { seen, view in
            var copy = snapshot
            copy.program = seen
            copy.view = view
            var sections = MemberSections(snapshot: copy, texts: texts, hidden: hidden, forms: forms, olderLink: olderLink)
            sections.currency = seen.points.code
            return sections
        }
    }

    func notice() -> String {
        guard let outcome = snapshot.done else { return "" }
        let t = texts
        let ok = outcome.status == .applied
        var sentence = ok ? t.done : t.refused
        if let reason = outcome.reason { sentence += " " + reason }
        if let voucher = outcome.voucher { sentence += " " + t.voucherCode(voucher) }
        return "<p class=\"notice \(ok ? "ok" : "refused")\" role=\"status\">\(HTML.escape(sentence))</p>"
    }

    func balance() -> String {
        let t = texts
        let view = snapshot.view
        let calendar = snapshot.calendar
        // Beside other currencies, the points' balance is named too ("My points", "My coins").
        let title = currency == nil && program.currencies.isEmpty ? t.balance : t.balanceOf(pointsName)
        var html = "<section class=\"card balance\" data-currency=\"\(HTML.escape(program.points.code))\" aria-labelledby=\"\(idPrefix)balance-title\"><h2 id=\"\(idPrefix)balance-title\">\(HTML.escape(title))</h2>"
        html += "<p class=\"big\"><span data-test=\"balance\">\(HTML.points(view?.balance ?? 0))</span> \(HTML.escape(pointsName))</p>"
        if let value = view?.balanceValue { html += "<p class=\"worth\">\(HTML.escape(t.worth(value)))</p>" }
        if let view, view.pending > 0 {
            html += "<h3>\(HTML.escape(t.pending)): <span data-test=\"pending\">\(HTML.points(view.pending))</span></h3><ul class=\"plain\">"
            for lot in view.lots where lot.pending {
                if let at = lot.availableAt {
                    html += "<li>\(HTML.escape(t.availableOn(HTML.points(lot.points), HTML.date(at, calendar))))</li>"
                } else {
                    html += "<li>\(HTML.escape(t.availableWhen(HTML.points(lot.points), lot.waitsFor ?? .dispute)))</li>"
                }
            }
            html += "</ul>"
        }
        if let view, view.held > 0 {
            html += "<h3>\(HTML.escape(t.held)): <span data-test=\"held\">\(HTML.points(view.held))</span></h3><ul class=\"plain\">"
            for hold in view.holds {
                html += "<li>\(HTML.escape(t.holdLine(holdName(hold.hold), HTML.points(hold.points))))</li>"
            }
            html += "</ul>"
        }
        return html + "</section>"
    }

    /// What a hold is for, in the member's words: a booking, a checkout, or a draw's tickets.
    func holdName(_ id: String) -> String {
        if let draw = Hold.draw(ofID: id) {
            return texts.holdName("draw", program.draws.first { $0.id == draw }?.name ?? draw)
        }
        let parts = id.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { return id }
        return texts.holdName(parts[0], parts[1])
    }

    func expiring() -> String {
        let t = texts
        guard let view = snapshot.view else { return "" }
        let calendar = snapshot.calendar
        let title = currency == nil ? t.expiringSoon : t.expiringSoonOf(pointsName)
        var html = "<section class=\"card expiring\" data-currency=\"\(HTML.escape(program.points.code))\" aria-labelledby=\"\(idPrefix)expiring-title\"><h2 id=\"\(idPrefix)expiring-title\">\(HTML.escape(title))</h2>"
        if case .none = program.expiry {
            html += "<p>\(HTML.escape(t.neverExpire(pointsName)))</p>"
        } else if view.expiringSoon.isEmpty {
            html += "<p>\(HTML.escape(t.nothingExpiring))</p>"
        } else {
            var byDate: [(String, Int64)] = []
            for lot in view.expiringSoon {
                guard let at = lot.expiresAt else { continue }
                let day = HTML.date(at, calendar)
                if let index = byDate.firstIndex(where: { $0.0 == day }) { byDate[index].1 += lot.points } else { byDate.append((day, lot.points)) }
            }
            html += "<ul class=\"plain warn\">"
            for (day, points) in byDate {
                html += "<li data-test=\"expiring\"><strong>\(HTML.points(points)) \(HTML.escape(pointsName))</strong> \(HTML.escape(t.expireOn(day)))</li>"
            }
            html += "</ul>"
        }
        let later = view.lots.filter { !$0.pending && $0.expiresAt != nil }
        if later.count > view.expiringSoon.count {
            html += "<details><summary>\(HTML.escape(t.allExpiry))</summary><ul class=\"plain\">"
            for lot in later {
                html += "<li>\(HTML.points(lot.points)) — \(HTML.escape(t.expireOn(HTML.date(lot.expiresAt!, calendar))))</li>"
            }
            html += "</ul></details>"
        }
        return html + "</section>"
    }

    func tier() -> String {
        let t = texts
        guard let tiers = program.tiers else { return "" }
        let calendar = snapshot.calendar
        var html = "<section class=\"card tier\" aria-labelledby=\"tier-title\"><h2 id=\"tier-title\">\(HTML.escape(t.level))</h2>"
        guard let progress = snapshot.view?.tier else {
            let first = tiers.levels[0]
            return html + "<p>\(HTML.escape(t.youAre(first.name)))</p></section>"
        }
        html += "<p class=\"big\" data-test=\"tier\">\(HTML.escape(progress.tierName))</p>"
        if let next = progress.nextTierName, let needed = progress.needed,
           let threshold = tiers.levels.first(where: { $0.id == progress.nextTier })?.threshold {
            html += "<label for=\"tier-progress\">\(HTML.escape(t.toNext(next, HTML.points(needed))))</label>"
            html += "<progress id=\"tier-progress\" max=\"\(threshold)\" value=\"\(min(progress.counted, threshold))\">\(progress.counted)/\(threshold)</progress>"
            html += "<p class=\"small\">\(HTML.escape(t.counted(HTML.points(progress.counted), HTML.points(threshold))))</p>"
        } else {
            html += "<p>\(HTML.escape(t.topLevel))</p>"
        }
        if let keep = progress.toKeep { html += "<p class=\"warn\">\(HTML.escape(t.toKeep(HTML.points(keep))))</p>" }
        html += "<p class=\"small\">\(HTML.escape(t.whatCounts)): \(HTML.escape(progress.window))</p>"
        if let effective = progress.nextEffective {
            html += "<p class=\"small\" data-test=\"next-evaluation\">\(HTML.escape(t.nextEvaluation(HTML.date(effective, calendar))))</p>"
        }
        if let scheduled = progress.scheduledTier, let at = progress.scheduledAt {
            let name = tiers.levels.first { $0.id == scheduled }?.name ?? scheduled
            html += "<p>\(HTML.escape(t.scheduled(name, HTML.date(at, calendar))))</p>"
        }
        if !progress.benefits.isEmpty {
            html += "<h3>\(HTML.escape(t.benefits))</h3><ul>"
            for benefit in progress.benefits { html += "<li>\(HTML.escape(benefit))</li>" }
            html += "</ul>"
        }
        return html + "</section>"
    }

    func coupons() -> String {
        let t = texts
        guard let coupons = snapshot.view?.coupons, !coupons.isEmpty else { return "" }
        var html = "<section class=\"card\" aria-labelledby=\"coupons-title\"><h2 id=\"coupons-title\">\(HTML.escape(t.coupons))</h2><ul class=\"plain\">"
        for coupon in coupons.reversed() {
            var line = "<strong>\(HTML.escape(coupon.name))</strong> — <code data-test=\"coupon-code\">\(HTML.escape(coupon.code))</code>"
            if let value = coupon.valueMinorUnits { line += " · \(HTML.escape(Money.display(minorUnits: value))) \(HTML.escape(program.moneyCurrency))" }
            line += " · \(HTML.escape(t.issuedOn(HTML.date(coupon.issuedAt, snapshot.calendar))))"
            if forms, program.rewards.first(where: { $0.id == coupon.reward })?.giftable == true {
                line += "<form method=\"post\" action=\"/me/gift\" class=\"inline gift\">\(hidden)<input type=\"hidden\" name=\"input\" value=\"\(FormID.make())\">"
                line += "<input type=\"hidden\" name=\"code\" value=\"\(HTML.escape(coupon.code))\"> <label>\(HTML.escape(t.giveTo)) "
                line += "<input name=\"to\" required maxlength=\"200\" size=\"12\"></label> <button type=\"submit\" class=\"secondary\">\(HTML.escape(t.give))</button></form>"
            }
            html += "<li data-test=\"coupon\">\(line)</li>"
        }
        return html + "</ul></section>"
    }

    func catalogue(formID: () -> String) -> String {
        let t = texts
        guard !program.rewards.isEmpty else { return "" }
        let balance = snapshot.view?.balance ?? 0
        var html = "<section class=\"card\" aria-labelledby=\"rewards-title\"><h2 id=\"rewards-title\">\(HTML.escape(t.rewards))</h2><ul class=\"rewards\">"
        for reward in program.rewards {
            var details: [String] = [t.cost(HTML.points(reward.cost), pointsName)]
            var available = true
            if let stock = reward.stock {
                let left = max(0, stock - (snapshot.issued[reward.id] ?? 0))
                details.append(t.stockLeft(HTML.points(left)))
                if left == 0 { available = false }
            }
            if let limit = reward.limitCount {
                let period = reward.limitPeriod ?? .year
                let used = snapshot.claims[Engine.claimKey(reward: reward.id, period: period, index: snapshot.calendar.periodIndex(period, of: snapshot.now))] ?? 0
                details.append(t.limit(limit, period, max(0, limit - used)))
                if used >= limit { available = false }
            }
            if let value = reward.valueMinorUnits { details.append("\(Money.display(minorUnits: value)) \(program.moneyCurrency)") }
            html += "<li><div><strong>\(HTML.escape(reward.name))</strong> <span class=\"kind\">\(HTML.escape(t.kind(reward.kind)))</span>"
            html += "<p class=\"small\">\(HTML.escape(details.joined(separator: " · ")))</p></div>"
            if forms {
                let enough = balance >= reward.cost
                html += "<form method=\"post\" action=\"/me/claim\">\(hidden)<input type=\"hidden\" name=\"input\" value=\"\(formID())\">"
                html += "<input type=\"hidden\" name=\"reward\" value=\"\(HTML.escape(reward.id))\">"
                html += "<button type=\"submit\"\(available && enough ? "" : " disabled")>\(HTML.escape(t.claim))</button>"
                if !enough { html += "<span class=\"small\">\(HTML.escape(t.needMore(HTML.points(reward.cost - balance))))</span>" }
                html += "</form>"
            }
            html += "</li>"
        }
        return html + "</ul></section>"
    }

    /// The booking form (programs with services): plain fields, a quote button that works without
    /// JavaScript, and a live quote when scripts run.
    func booking(formID: () -> String, quote: String?, chosen: Form?) -> String {
        let t = texts
        guard !program.services.isEmpty else { return "" }
        var html = "<section class=\"card\" aria-labelledby=\"booking-title\"><h2 id=\"booking-title\">\(HTML.escape(t.bookServices))</h2>"
        if forms {
            html += "<form method=\"post\" action=\"/me/bookings\" id=\"booking-form\">\(hidden)<input type=\"hidden\" name=\"input\" value=\"\(formID())\">"
            html += "<fieldset><legend>\(HTML.escape(t.chooseServices))</legend>"
            for service in program.services {
                let id = HTML.escape(service.id)
                let checked = chosen?.all("service").contains(service.id) ?? false
                html += "<div class=\"service\"><label><input type=\"checkbox\" name=\"service\" value=\"\(id)\" data-service\(checked ? " checked" : "")> "
                html += "\(HTML.escape(service.name)) <span class=\"small\">(\(HTML.escape(t.perUnit(HTML.points(service.cost), pointsName, service.unit))))</span></label>"
                if let unit = service.unit {
                    html += " <label class=\"count\">\(HTML.escape(t.unitName(unit))) <input type=\"number\" name=\"\(id).\(HTML.escape(unit))\" min=\"1\" max=\"\(Limits.maximumServiceCount)\" value=\"\(HTML.escape(chosen?["\(service.id).\(unit)"] ?? "1"))\" inputmode=\"numeric\"></label>"
                }
                if let airports = service.airports {
                    html += " <label class=\"count\">\(HTML.escape(t.airport)) <select name=\"\(id).airport\">"
                    let picked = chosen?["\(service.id).airport"]
                    for airport in airports { html += "<option\(picked == airport ? " selected" : "")>\(HTML.escape(airport))</option>" }
                    html += "</select></label>"
                    if let rule = service.airportRule { html += " <span class=\"small\">\(HTML.escape(rule))</span>" }
                }
                html += "</div>"
            }
            html += "</fieldset>"
            html += "<p aria-live=\"polite\">\(HTML.escape(t.quote)): <output id=\"quote\" data-test=\"quote\">\(HTML.escape(quote ?? "—"))</output></p>"
            html += "<button type=\"submit\" name=\"action\" value=\"quote\" class=\"secondary\">\(HTML.escape(t.getQuote))</button> "
            html += "<button type=\"submit\" name=\"action\" value=\"book\">\(HTML.escape(t.book))</button></form>"
        }
        if !snapshot.bookings.isEmpty {
            html += "<h3>\(HTML.escape(t.yourBookings))</h3><ul class=\"plain bookings\">"
            for booking in snapshot.bookings {
                html += "<li data-test=\"booking\" data-booking=\"\(HTML.escape(booking.id))\"><strong>\(HTML.escape(booking.id))</strong> · "
                html += "\(HTML.escape(booking.services.joined(separator: ", "))) · \(HTML.points(booking.quote)) \(HTML.escape(pointsName)) · "
                html += "<span class=\"status \(booking.status.rawValue)\" data-test=\"booking-status\">\(HTML.escape(t.bookingStatus(booking.status)))</span>"
                if forms, booking.status == .held {
                    html += " <form method=\"post\" action=\"/me/bookings/\(HTML.component(booking.id))/cancel\" class=\"inline\">\(hidden)"
                    html += "<input type=\"hidden\" name=\"input\" value=\"\(formID())\"><button type=\"submit\" class=\"secondary\">\(HTML.escape(t.cancel))</button></form>"
                }
                html += "</li>"
            }
            html += "</ul>"
        }
        return html + "</section>"
    }

    /// Lucky draws: when they open, close and are drawn, the member's tickets, an entry form while
    /// open, and once drawn the seed and what the member won; the commitment is always shown.
    func draws(formID: () -> String) -> String {
        let t = texts
        guard !snapshot.draws.isEmpty else { return "" }
        let calendar = snapshot.calendar
        var html = "<section class=\"card\" aria-labelledby=\"draws-title\"><h2 id=\"draws-title\">\(HTML.escape(t.draws))</h2>"
        for line in snapshot.draws {
            let draw = line.draw
            html += "<div class=\"draw\" data-test=\"draw\" data-draw=\"\(HTML.escape(draw.id))\"><h3>\(HTML.escape(draw.name))</h3>"
            html += "<p class=\"small\">\(HTML.escape(t.drawTimes(HTML.time(draw.opens, calendar), HTML.time(draw.closes, calendar), HTML.time(draw.drawAt, calendar))))</p>"
            html += "<p>\(HTML.escape(t.prizes)): \(HTML.escape(draw.prizes.map { "\($0.name) ×\($0.count)" }.joined(separator: ", "))) · \(HTML.escape(t.cost(HTML.points(draw.entryCost), pointsName)))</p>"
            html += "<p data-test=\"my-tickets\">\(HTML.escape(t.yourTickets(line.myTickets.map(String.init).joined(separator: ", "), line.ticketCount)))</p>"
            if let why = line.cancelled {
                html += "<p class=\"notice\" data-test=\"draw-cancelled\">\(HTML.escape(t.drawCancelled(why)))</p>"
            } else if let seed = line.seed {
                html += line.won.isEmpty ? "<p>\(HTML.escape(t.noWin))</p>"
                    : "<p class=\"notice ok\" data-test=\"won\">\(HTML.escape(t.youWon(line.won.map { "\($0.prize) (\($0.ticket))" }.joined(separator: ", "))))</p>"
                html += "<p class=\"small\">\(HTML.escape(t.seedRevealed)) <code data-test=\"seed\">\(HTML.escape(seed))</code></p>"
            } else if forms, line.committed != nil, snapshot.now >= draw.opens, snapshot.now < draw.closes {
                html += "<form method=\"post\" action=\"/me/draws\" class=\"inline\">\(hidden)<input type=\"hidden\" name=\"input\" value=\"\(formID())\">"
                html += "<input type=\"hidden\" name=\"draw\" value=\"\(HTML.escape(draw.id))\"><label>\(HTML.escape(t.entries)) "
                html += "<input type=\"number\" name=\"entries\" min=\"1\" max=\"1000\" value=\"1\"></label> <button type=\"submit\">\(HTML.escape(t.enter))</button></form>"
            }
            if let hash = line.committed {
                html += "<p class=\"small\">\(HTML.escape(t.commitment)) <code data-test=\"commitment\">\(HTML.escape(hash))</code></p>"
            }
            html += "</div>"
        }
        return html + "</section>"
    }

    /// Transfer windows to partner programs: the rate, the minimum and today's room, and a form
    /// while the window is open.
    func transfers(formID: () -> String) -> String {
        let t = texts
        guard !program.transfers.isEmpty else { return "" }
        let today = snapshot.calendar.date(of: snapshot.now)
        var html = "<section class=\"card\" aria-labelledby=\"transfers-title\"><h2 id=\"transfers-title\">\(HTML.escape(t.transfers))</h2><ul class=\"plain\">"
        for transfer in program.transfers {
            let open = transfer.from <= today && today <= transfer.to
            var details = [t.rate(HTML.points(transfer.points), pointsName, HTML.points(transfer.units), transfer.partner),
                           t.minimumOf(HTML.points(transfer.minimum)), t.window("\(transfer.from)", "\(transfer.to)")]
            if let limit = transfer.dailyLimit {
                details.append(t.todayLeft(HTML.points(max(0, limit - (snapshot.transferredToday[transfer.id] ?? 0)))))
            }
            html += "<li data-test=\"transfer\"><strong>\(HTML.escape(transfer.partner))</strong><p class=\"small\">\(HTML.escape(details.joined(separator: " · ")))</p>"
            if forms, open {
                html += "<form method=\"post\" action=\"/me/transfers\" class=\"inline\">\(hidden)<input type=\"hidden\" name=\"input\" value=\"\(formID())\">"
                html += "<input type=\"hidden\" name=\"transfer\" value=\"\(HTML.escape(transfer.id))\"><label>\(HTML.escape(pointsName)) "
                html += "<input type=\"number\" name=\"points\" min=\"\(transfer.minimum)\" step=\"\(transfer.points)\" value=\"\(transfer.minimum)\"></label> "
                html += "<button type=\"submit\">\(HTML.escape(t.transfer))</button></form>"
            }
            html += "</li>"
        }
        return html + "</ul></section>"
    }

    func history() -> String {
        let t = texts
        var html = "<section class=\"card history\" aria-labelledby=\"history-title\"><h2 id=\"history-title\">\(HTML.escape(t.history))</h2>"
        if snapshot.history.isEmpty {
            return html + "<p>\(HTML.escape(t.noHistory))</p></section>"
        }
        html += "<table><thead><tr><th scope=\"col\">\(HTML.escape(t.when))</th><th scope=\"col\">\(HTML.escape(t.what))</th>"
        html += "<th scope=\"col\" class=\"num\">\(HTML.escape(pointsName))</th><th scope=\"col\">\(HTML.escape(t.why))</th></tr></thead><tbody>"
        for line in snapshot.history {
            // Amounts in another currency carry its name; the column's own unit is the points.
            var amounts: [String] = []
            let signed = { (points: Int64) in (points > 0 ? "+" : "") + HTML.points(points) }
            let others = (line.currencies ?? [:]).filter { $0.value != 0 }.sorted { $0.key < $1.key }
            if let code = line.currency {
                amounts.append(signed(line.points) + " " + HTML.escape(program.currency(code)?.points.name ?? code))
            } else if line.points != 0 || others.isEmpty {
                amounts.append(signed(line.points))
            }
            for (code, points) in others { amounts.append(signed(points) + " " + HTML.escape(program.currency(code)?.points.name ?? code)) }
            let nothing = line.input != nil && line.points == 0 && others.isEmpty
            let refused = line.status == .refused
            html += "<tr data-test=\"history-line\"\(refused ? " class=\"refused\"" : nothing ? " class=\"nothing\"" : "")>"
            html += "<td>\(HTML.escape(HTML.time(line.at, snapshot.calendar)))</td><td>\(HTML.escape(t.what(line.what)))</td>"
            html += "<td class=\"num\">\(amounts.joined(separator: "<br>"))</td>"
            html += "<td>\(HTML.escape(line.reason ?? (refused ? t.refused : "")))</td></tr>"
        }
        html += "</tbody></table>"
        if let next = snapshot.nextBefore { html += "<p><a href=\"\(olderLink(next))\" rel=\"next\">\(HTML.escape(t.older))</a></p>" }
        return html + "</section>"
    }
}
