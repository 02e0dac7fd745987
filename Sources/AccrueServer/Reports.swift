import AccrueCore
import AccrueStore
import Foundation
import Hummingbird

/// Reports for finance and operators: the outstanding points (the liability to book) and what was
/// earned, spent and expired each day. They read the ledger's state and entries, never a cache.
extension AccrueService {
    func liability(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let (host, _) = try program(request, context, scope: .readMembers)
        let now = configuration.now()
        struct Totals: Sendable { var members = 0, available: Int64 = 0, pending: Int64 = 0, held: Int64 = 0, debt: Int64 = 0 }
        let totals = try await host.read { ledger -> Totals in
            var totals = Totals()
            for member in ledger.engine.state.members.values {
                totals.members += 1
                if member.balance >= 0 { totals.available += member.balance } else { totals.debt -= member.balance }
                totals.pending += member.pending
                totals.held += member.held
            }
            return totals
        }
        let points = host.program.points
        let money = { (value: Int64) -> JSON in
            points.valueMinorUnits > 0 ? .string(Money.format(minorUnits: points.moneyValue(of: value))) : .null
        }
        return Reply.json(.object([
            ("program", .string(host.id)),
            ("as_of", .string(now.rfc3339)),
            ("currency", .string(host.program.moneyCurrency)),
            ("points", .string(points.code)),
            ("members", .number(String(totals.members))),
            ("available", .number(String(totals.available))),
            ("pending", .number(String(totals.pending))),
            ("held", .number(String(totals.held))),
            ("debt", .number(String(totals.debt))),
            ("outstanding", .number(String(totals.available + totals.pending + totals.held))),
            ("available_value", money(totals.available)),
            ("outstanding_value", money(totals.available + totals.pending + totals.held)),
            ("valuation", .string(points.valueMinorUnits > 0
                ? "\(points.valuePoints) \(points.name) = \(Money.format(minorUnits: points.valueMinorUnits)) \(host.program.moneyCurrency), the checkout rate"
                : "\(points.name) have no money value in this program")),
        ]))
    }

    func daily(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
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
        let start = calendar.instant(from)
        let end = calendar.instant(CivilDate(daysSinceEpoch: to.daysSinceEpoch + 1))
        let totals = try await host.run { ledger in try self.store.entryTotals(program: ledger.program.id, from: start, to: end) }
        struct Day { var earned: Int64 = 0, pending: Int64 = 0, released: Int64 = 0, spent: Int64 = 0, expired: Int64 = 0, reversed: Int64 = 0, adjusted: Int64 = 0 }
        var days: [Int64: Day] = [:]
        for total in totals {
            let key = calendar.date(of: total.at).daysSinceEpoch
            var line = days[key] ?? Day()
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
            days[key] = line
        }
        let lines: [JSON] = (from.daysSinceEpoch...to.daysSinceEpoch).map { key in
            let line = days[key] ?? Day()
            return .object([("day", .string(CivilDate(daysSinceEpoch: key).description)),
                            ("earned", .number(String(line.earned))), ("earned_pending", .number(String(line.pending))),
                            ("released", .number(String(line.released))), ("spent", .number(String(line.spent))),
                            ("expired", .number(String(line.expired))), ("reversed", .number(String(line.reversed))),
                            ("adjusted", .number(String(line.adjusted)))])
        }
        return Reply.json(.object([("program", .string(host.id)), ("time_zone", .string(calendar.identifier)), ("days", .array(lines))]))
    }
}
