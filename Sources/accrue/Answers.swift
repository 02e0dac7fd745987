import AccrueCore
import AccrueSQLite
import AccrueStore
import ArgumentParser
import Foundation

/// "Why did I (not) get points?" for one input.
struct Why: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Explain one input: what it did, each rule that matched and why, and the ledger entries it made.")

    @OptionGroup var stored: StoredProgramOptions

    @Flag(name: .long, help: "Print JSON instead of text.")
    var json = false

    @Argument(help: "The input's id.")
    var input: String

    struct Document: Encodable {
        var outcome: Outcome
        var entries: [Entry]
    }

    func run() throws {
        let (store, program) = try stored.open()
        guard let record = try store.inputRecords(program: program.id, ids: [input])[input] else {
            warn("accrue: \(program.id) has received no input \(input)")
            throw ExitCode(1)
        }
        let outcome = record.outcome
        let entries = try store.entries(program: program.id, input: input)
        if json {
            print(jsonText(Document(outcome: outcome, entries: entries)))
            return
        }
        let name = program.points.name
        var lines = ["\(input): \(outcome.type ?? "input") for \(outcome.member ?? "(no member)") at \(outcome.at.map(program.calendar.describe) ?? "(no time)")"]
        switch outcome.status {
        case .applied:
            lines.append("  applied: \(outcome.points > 0 ? "+" : "")\(formatPoints(outcome.points)) \(name)")
        case .refused:
            lines.append("  refused (\(outcome.code?.rawValue ?? "-")): nothing changed")
        case .duplicate:
            lines.append("  duplicate")
        }
        if let reason = outcome.reason { lines.append("  why: \(reason)") }
        for rule in outcome.rules ?? [] {
            lines.append("  rule \(rule.rule): \(formatPoints(rule.points)) \(name)" + (rule.reason.map { " (\($0))" } ?? ""))
        }
        for entry in entries {
            let whose = entry.member == outcome.member ? "" : " for \(entry.member)"
            lines.append("  ledger #\(entry.seq) \(entry.kind.rawValue)\(whose) \(formatPoints(entry.points)): \(entry.reason)")
        }
        print(lines.joined(separator: "\n"))
    }
}

/// "How many points can pay for this order?"
struct Quote: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "How many points a member can pay for an order of a given amount now, and the discount that gives.")

    @OptionGroup var stored: StoredProgramOptions

    @Option(name: .long, help: "The member's id.")
    var member: String

    @Option(name: .long, help: "The order's amount, such as 120.50, in the program's currency.")
    var orderAmount: String

    @Option(name: .long, help: "The order's id, to count redemptions already made on it.")
    var order: String?

    @Flag(name: .long, help: "Print JSON instead of text.")
    var json = false

    func run() throws {
        guard case let .success(amount) = Money.parseMinorUnits(orderAmount) else {
            throw ValidationError("--order-amount must be an amount such as 120.50 (at most 2 decimals)")
        }
        let (_, ledger) = try stored.openLedger()
        let program = ledger.program
        let quote = ledger.engine.checkoutQuote(member: member, order: order, orderAmount: amount)
        if json {
            print(jsonText(quote))
            return
        }
        var line = "\(member) can pay \(formatPoints(quote.points)) \(program.points.name) = \(quote.discount) \(quote.currency) off \(Money.format(minorUnits: amount)) \(quote.currency)"
        line += " (available \(formatPoints(quote.available)); the order allows \(formatPoints(quote.orderMaximum))"
        line += quote.alreadyRedeemed > 0 ? ", \(formatPoints(quote.alreadyRedeemed)) already used)" : ")"
        print(line)
        if let reason = quote.reason { print("  \(reason)") }
    }
}
