import AccrueCore
import AccruePrograms
import Foundation
import XCTest

// Table-driven tests of the four presets against docs/PROGRAMS.md.
//
// A table is a list of steps run in order against one fresh `Replay`:
// - `.ok` / `.refused` / `.dup` rows: one JSON line (the envelope of PROGRAMS.md) and the expected
//   outcome: status, points, reason code and a substring of the reason sentence;
// - `.at(time)`: runs due work up to a time;
// - `.member(...)`: the member's balance / pending / held / tier / coupons after the rows before.
// After every table the ledger must agree with the state (`Audit.compare` is empty).

/// The repository root: this file is Tests/AccrueCoreTests/TableSupport.swift.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// Loads a preset from `programs/`.
func preset(_ name: String) throws -> Program {
    try ProgramFile.load(path: repositoryRoot.appendingPathComponent("programs/\(name).yaml").path)
}

/// A preset with its text changed (for rules a preset's own numbers cannot reach).
func derivedPreset(_ name: String, replacing old: String, with new: String) throws -> Program {
    let path = repositoryRoot.appendingPathComponent("programs/\(name).yaml").path
    let text = try String(contentsOfFile: path, encoding: .utf8)
    precondition(text.contains(old), "\(name).yaml has no \(old)")
    return try ProgramFile.parse(text.replacingOccurrences(of: old, with: new), file: path)
}

/// One input line in the envelope of PROGRAMS.md. `data` is the JSON text of the data object.
func input(_ id: String, _ type: String, _ member: String, _ at: String, _ data: String = "{}") -> String {
    #"{"id": "\#(id)", "type": "\#(type)", "member": "\#(member)", "at": "\#(at)", "data": \#(data)}"#
}

/// What one row expects.
struct Expectation: Sendable {
    var status: OutcomeStatus
    var points: Int64
    /// The reason code; nil means the outcome must have none.
    var code: ReasonCode?
    /// A piece of the reason sentence; nil means not checked.
    var says: String?
    /// The outcome's id; `.some(nil)` for inputs refused without a readable id.
    var id: String??
    var quote: Int64?
    var voucherPrefix: String?
}

/// What a member looks like after some rows; nil fields are not checked.
struct MemberExpectation: Sendable {
    var id: String
    var balance: Int64?
    var pending: Int64?
    var held: Int64?
    var tier: String??
    var coupons: [String]?
    var debt: Int64?
    var nextTier: String??
    var nextTierAt: String??
}

enum Step: Sendable {
    case row(line: String, expect: Expectation, file: StaticString, lineNumber: UInt)
    case advance(String, file: StaticString, lineNumber: UInt)
    case member(MemberExpectation, file: StaticString, lineNumber: UInt)
    case check(@Sendable (Replay) -> Void)

    /// An applied input. `code`/`says` for zero-point inputs or partial awards.
    static func ok(_ line: String, _ points: Int64, _ code: ReasonCode? = nil, says: String? = nil, quote: Int64? = nil,
                   voucher: String? = nil, file: StaticString = #filePath, line lineNumber: UInt = #line) -> Step {
        .row(line: line, expect: Expectation(status: .applied, points: points, code: code, says: says, quote: quote, voucherPrefix: voucher),
             file: file, lineNumber: lineNumber)
    }

    /// A refused input: 0 points, a code and a piece of the sentence.
    static func refused(_ line: String, _ code: ReasonCode, says: String? = nil, id: String?? = nil,
                        file: StaticString = #filePath, line lineNumber: UInt = #line) -> Step {
        .row(line: line, expect: Expectation(status: .refused, points: 0, code: code, says: says, id: id), file: file, lineNumber: lineNumber)
    }

    /// A duplicate: 0 points, code `duplicate`.
    static func dup(_ line: String, says: String? = nil, file: StaticString = #filePath, line lineNumber: UInt = #line) -> Step {
        .row(line: line, expect: Expectation(status: .duplicate, points: 0, code: .duplicate, says: says), file: file, lineNumber: lineNumber)
    }

    /// Runs due work up to `time`.
    static func at(_ time: String, file: StaticString = #filePath, line lineNumber: UInt = #line) -> Step {
        .advance(time, file: file, lineNumber: lineNumber)
    }

    static func member(_ id: String, balance: Int64? = nil, pending: Int64? = nil, held: Int64? = nil, tier: String?? = nil,
                       coupons: [String]? = nil, debt: Int64? = nil, nextTier: String?? = nil, nextTierAt: String?? = nil,
                       file: StaticString = #filePath, line lineNumber: UInt = #line) -> Step {
        .member(MemberExpectation(id: id, balance: balance, pending: pending, held: held, tier: tier, coupons: coupons, debt: debt,
                                  nextTier: nextTier, nextTierAt: nextTierAt),
                file: file, lineNumber: lineNumber)
    }
}

/// Runs a table on a fresh replay of `program` and checks every row, then the audit.
@discardableResult
func runTable(_ program: Program, _ steps: [Step], allowLate: Bool = false, file: StaticString = #filePath, line: UInt = #line) -> Replay {
    var replay = Replay(program: program)
    for step in steps {
        switch step {
        case let .row(text, expect, rowFile, rowLine):
            let clock = replay.engine.state.clock
            guard let outcome = replay.apply(line: Array(text.utf8)) else {
                XCTFail("no outcome for \(text)", file: rowFile, line: rowLine)
                continue
            }
            // Tables are written in time order: a late input would run its due work at once.
            if !allowLate, let clock, let at = outcome.at, at < clock, outcome.status != .duplicate, outcome.code != .conflict {
                XCTFail("row at \(at) is earlier than the clock \(clock): the table is out of time order", file: rowFile, line: rowLine)
            }
            let what = "\(outcome.status.rawValue) \(outcome.points) \(outcome.code?.rawValue ?? "-") \"\(outcome.reason ?? "")\" for \(text)"
            XCTAssertEqual(outcome.status, expect.status, what, file: rowFile, line: rowLine)
            XCTAssertEqual(outcome.points, expect.points, "points: " + what, file: rowFile, line: rowLine)
            XCTAssertEqual(outcome.code, expect.code, "code: " + what, file: rowFile, line: rowLine)
            if let says = expect.says {
                XCTAssertTrue((outcome.reason ?? "").contains(says), "reason should contain \"\(says)\": " + what, file: rowFile, line: rowLine)
            }
            // Refused inputs, and inputs that earned nothing or less than they could, say why.
            if expect.code != nil {
                XCTAssertFalse((outcome.reason ?? "").isEmpty, "an input that earns nothing says why: " + what, file: rowFile, line: rowLine)
            }
            if let id = expect.id { XCTAssertEqual(outcome.id, id, "id: " + what, file: rowFile, line: rowLine) }
            if let quote = expect.quote { XCTAssertEqual(outcome.quote, quote, "quote: " + what, file: rowFile, line: rowLine) }
            if let prefix = expect.voucherPrefix {
                XCTAssertTrue(outcome.voucher?.hasPrefix(prefix) ?? false, "voucher \(outcome.voucher ?? "nil") should start with \(prefix)",
                              file: rowFile, line: rowLine)
            }
        case let .advance(time, rowFile, rowLine):
            guard let instant = Instant(rfc3339: time) else {
                XCTFail("bad time \(time)", file: rowFile, line: rowLine)
                continue
            }
            replay.advance(to: instant)
        case let .member(expect, rowFile, rowLine):
            guard let member = replay.engine.state.members[expect.id] else {
                XCTFail("no member \(expect.id)", file: rowFile, line: rowLine)
                continue
            }
            let who = expect.id
            if let balance = expect.balance { XCTAssertEqual(member.balance, balance, "\(who) balance", file: rowFile, line: rowLine) }
            if let pending = expect.pending { XCTAssertEqual(member.pending, pending, "\(who) pending", file: rowFile, line: rowLine) }
            if let held = expect.held { XCTAssertEqual(member.held, held, "\(who) held", file: rowFile, line: rowLine) }
            if let tier = expect.tier { XCTAssertEqual(member.tier, tier, "\(who) tier", file: rowFile, line: rowLine) }
            if let debt = expect.debt { XCTAssertEqual(member.debt, debt, "\(who) negative balance", file: rowFile, line: rowLine) }
            if let coupons = expect.coupons {
                XCTAssertEqual(member.coupons.map(\.reward), coupons, "\(who) coupons", file: rowFile, line: rowLine)
            }
            if let next = expect.nextTier { XCTAssertEqual(member.nextTier, next, "\(who) next tier", file: rowFile, line: rowLine) }
            if let nextAt = expect.nextTierAt {
                XCTAssertEqual(member.nextTierAt, nextAt.flatMap { Instant(rfc3339: $0) }, "\(who) next tier at", file: rowFile, line: rowLine)
            }
        case let .check(body):
            body(replay)
        }
    }
    let problems = Audit.compare(entries: replay.entries, state: replay.engine.state, program: replay.engine.program)
    XCTAssertEqual(problems, [], "the ledger disagrees with the state", file: file, line: line)
    return replay
}
