import AccrueCore
import AccrueStore
import Foundation
import Hummingbird

/// Reports for finance and operators: the outstanding points (the liability to book) and what was
/// earned, spent and expired each day. They read the ledger's state and entries, never a cache.
extension AccrueService {
    func liability(_ request: Request, _ context: AccrueRequestContext) async throws -> Response {
        let (host, _) = try program(request, context, scope: .readMembers)
        let now = configuration.now()
        let program = host.program
        let (totals, others) = try await host.read { ledger in
            (LiabilityTotals(ledger.engine.state), program.currencies.map { LiabilityTotals(ledger.engine.state, currency: $0.points.code) })
        }
        var fields: [(String, JSON)] = [("program", .string(host.id)), ("as_of", .string(now.rfc3339)), ("currency", .string(program.moneyCurrency))]
        fields += liabilityFields(totals, points: program.points, moneyCurrency: program.moneyCurrency)
        // Each other currency the program keeps is a liability of its own, at its own rate.
        if !program.currencies.isEmpty {
            fields.append(("currencies", .array(zip(program.currencies, others).map { currency, totals in
                .object(liabilityFields(totals, points: currency.points, moneyCurrency: program.moneyCurrency) + [("name", .string(currency.points.name))])
            })))
        }
        return Reply.json(.object(fields))
    }

    /// One currency's outstanding amounts and their money value at its checkout rate.
    func liabilityFields(_ totals: LiabilityTotals, points: PointsCurrency, moneyCurrency: String) -> [(String, JSON)] {
        let money = { (value: Int64) -> JSON in
            points.valueMinorUnits > 0 ? .string(Money.format(minorUnits: points.moneyValue(of: value))) : .null
        }
        return [
            ("points", .string(points.code)),
            ("members", .number(String(totals.members))),
            ("available", .number(String(totals.available))),
            ("pending", .number(String(totals.pending))),
            ("held", .number(String(totals.held))),
            ("debt", .number(String(totals.debt))),
            ("outstanding", .number(String(totals.outstanding))),
            ("available_value", money(totals.available)),
            ("outstanding_value", money(totals.outstanding)),
            ("valuation", .string(points.valueMinorUnits > 0
                ? "\(points.valuePoints) \(points.name) = \(Money.format(minorUnits: points.valueMinorUnits)) \(moneyCurrency), the checkout rate"
                : "\(points.name) have no money value in this program")),
        ]
    }

    func daily(_ request: Request, _ context: AccrueRequestContext) async throws -> Response {
        let (host, _) = try program(request, context, scope: .readMembers)
        let calendar = host.program.calendar
        let today = calendar.date(of: configuration.now())
        func day(_ name: String, _ fallback: CivilDate) throws -> CivilDate {
            guard let text = request.uri.queryParameters.get(name) else { return fallback }
            guard let date = CivilDate(String(text)) else { throw Problem.badRequest("invalid_query", "'\(name)' must be a date such as 2026-11-11") }
            return date
        }
        let to = try day("to", today)
        let from = try day("from", CivilDate(daysSinceEpoch: to.daysSinceEpoch - 29))
        guard from <= to else { throw Problem.badRequest("invalid_query", "'from' must not be after 'to'") }
        guard to.daysSinceEpoch - from.daysSinceEpoch < APILimits.maximumReportDays else {
            throw Problem.badRequest("invalid_query", "a report covers at most \(APILimits.maximumReportDays) days")
        }
        let (days, _) = try await dayTotals(host, from: from, to: to)
        let lines: [JSON] = days.map { day, line in
            .object([("day", .string(day.description)),
                     ("earned", .number(String(line.earned))), ("earned_pending", .number(String(line.pending))),
                     ("released", .number(String(line.released))), ("spent", .number(String(line.spent))),
                     ("expired", .number(String(line.expired))), ("reversed", .number(String(line.reversed))),
                     ("adjusted", .number(String(line.adjusted)))])
        }
        return Reply.json(.object([("program", .string(host.id)), ("time_zone", .string(calendar.identifier)), ("days", .array(lines))]))
    }

    /// Each local day's totals from `from` to `to` (inclusive), and the points each rule awarded.
    func dayTotals(_ host: ProgramHost, from: CivilDate, to: CivilDate) async throws -> (days: [(CivilDate, DayTotals)], rules: [String: Int64]) {
        let calendar = host.program.calendar
        let start = calendar.instant(from)
        let end = calendar.instant(CivilDate(daysSinceEpoch: to.daysSinceEpoch + 1))
        let totals = try await host.run { ledger in try self.store.entryTotals(program: ledger.program.id, from: start, to: end) }
        var days: [Int64: DayTotals] = [:]
        var rules: [String: Int64] = [:]
        for total in totals {
            let key = calendar.date(of: total.at).daysSinceEpoch
            var line = days[key] ?? DayTotals()
            switch total.kind {
            case .earn: line.earned += total.points
            case .earnPending: line.pending += total.points
            case .release: line.released += total.points
            case .spend: line.spent -= total.points
            case .capture: line.spent += total.points
            case .expire: line.expired -= total.points
            case .reverse, .cancelPending: line.reversed -= total.points
            case .adjust: line.adjusted += total.points
            default: break
            }
            if total.kind == .earn || total.kind == .earnPending, let rule = total.rule { rules[rule, default: 0] += total.points }
            days[key] = line
        }
        return ((from.daysSinceEpoch...to.daysSinceEpoch).map { (CivilDate(daysSinceEpoch: $0), days[$0] ?? DayTotals()) }, rules)
    }
}

/// One local day of a program's ledger: points earned (available at once, or pending), released
/// from pending, spent (checkout and captured holds), expired, reversed and adjusted.
struct DayTotals: Sendable {
    var earned: Int64 = 0, pending: Int64 = 0, released: Int64 = 0, spent: Int64 = 0, expired: Int64 = 0, reversed: Int64 = 0, adjusted: Int64 = 0
}
