import AccrueCore
import AccrueSQLite
import AccrueStore
import ArgumentParser
import Foundation

struct MemberCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "member",
        abstract: "Show a member: available, pending and held points, lots and expiry, tier progress, coupons and history.")

    @OptionGroup var stored: StoredProgramOptions

    @Option(name: .long, help: "Show the member as of this time (default: the program's clock). Nothing is written.")
    var at: String?

    @Option(name: .long, help: "History lines to show.")
    var history: Int = 20

    @Flag(name: .long, help: "Print JSON instead of text.")
    var json = false

    @Argument(help: "The member's id.")
    var member: String

    struct Document: Encodable {
        var member: MemberView
        var history: [HistoryLine]
    }

    func run() throws {
        let (store, ledger) = try stored.openLedger()
        let program = ledger.program
        var state = ledger.engine.state
        guard state.members[member] != nil else {
            warn("accrue: \(program.id) has no member \(member)")
            throw ExitCode(1)
        }
        var now = state.clock ?? Instant(milliseconds: 0)
        if let at = try parseTime(at), at > now {
            var engine = Engine(program: program, state: state)
            engine.advance(to: at)
            state = engine.state
            now = at
        }
        let view = MemberView(member: state.members[member]!, program: program, now: now)
        let lines = try store.history(program: program.id, member: member, limit: max(1, min(history, 1_000)), beforeSeq: nil)
        if json {
            print(jsonText(Document(member: view, history: lines)))
            return
        }
        print(render(view, program: program, history: lines, now: now))
    }
}

/// A member as readable text.
func render(_ view: MemberView, program: Program, history: [HistoryLine], now: Instant) -> String {
    let name = program.points.name
    func day(_ instant: Instant?) -> String {
        guard let instant else { return "never" }
        let date = program.calendar.date(of: instant)
        let minutes = program.calendar.timeOfDay(of: instant) / 60_000
        return "\(date) \(pad2(minutes / 60)):\(pad2(minutes % 60))"
    }
    var out: [String] = []
    out.append("\(view.member) in \(program.name) (\(program.id)), as of \(day(now)) \(program.calendar.identifier)")
    out.append("  available  \(formatPoints(view.balance)) \(name)" + (view.balanceValue.map { " (worth \($0))" } ?? ""))
    out.append("  pending    \(formatPoints(view.pending)) \(name)")
    out.append("  held       \(formatPoints(view.held)) \(name)")
    for hold in view.holds {
        let order = hold.order.map { " for order \($0)" } ?? ""
        let until = hold.expiresAt.map { ", released \(day($0)) unless captured" } ?? ""
        out.append("             \(formatPoints(hold.points)) by \(hold.hold)\(order)\(until)")
    }
    if view.guest { out.append("  guest      yes: guests earn nothing") }
    if let tier = view.tier {
        var line = "  tier       \(tier.tierName): \(formatPoints(tier.counted)) counted"
        if let next = tier.nextTierName, let needed = tier.needed { line += "; \(formatPoints(needed)) more for \(next)" }
        if let toKeep = tier.toKeep { line += "; \(formatPoints(toKeep)) more to keep \(tier.tierName)" }
        out.append(line)
        out.append("             counts \(tier.window)")
        if let scheduled = tier.scheduledTier, let at = tier.scheduledAt { out.append("             \(scheduled) takes effect \(day(at))") }
        for benefit in tier.benefits { out.append("             benefit: \(benefit)") }
    }
    if !view.expiringSoon.isEmpty {
        for lot in view.expiringSoon { out.append("  EXPIRING   \(formatPoints(lot.points)) \(name) on \(day(lot.expiresAt))") }
    }
    // Lots matter to a shopper when they expire or wait; points that never expire are one balance.
    if !view.lots.isEmpty, view.lots.contains(where: { $0.pending || $0.expiresAt != nil }) {
        out.append("  lots")
        for lot in view.lots {
            let state = lot.pending ? "pending until \(lot.availableAt.map { day($0) } ?? lot.waiting ?? "-")" : "available, expires \(day(lot.expiresAt))"
            out.append("    \(formatPoints(lot.points).padding(toLength: 10, withPad: " ", startingAt: 0)) \(state)")
        }
    }
    if !view.coupons.isEmpty {
        out.append("  coupons and vouchers")
        for coupon in view.coupons {
            let value = coupon.valueMinorUnits.map { " (\(Money.format(minorUnits: $0)) \(program.moneyCurrency))" } ?? ""
            out.append("    \(coupon.code)  \(coupon.name)\(value), \(day(coupon.issuedAt))")
        }
    }
    out.append("  history (newest first)")
    for line in history {
        let points = line.points > 0 ? "+\(formatPoints(line.points))" : formatPoints(line.points)
        let status = line.status == .refused ? " REFUSED" : ""
        out.append("    \(day(line.at))  \(line.what.padding(toLength: 18, withPad: " ", startingAt: 0)) \(points.padding(toLength: 8, withPad: " ", startingAt: 0))\(status) \(line.reason ?? "")")
    }
    return out.joined(separator: "\n")
}

func pad2(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
