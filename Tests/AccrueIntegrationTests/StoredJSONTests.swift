import AccrueCore
import AccruePrograms
import AccrueStore
import Foundation
import XCTest

/// Every preset and the two-currency example: the programs the direct writers are checked on.
func presetsAndTheCoinsExample() throws -> [Program] {
    try RandomLogTests.presets.map { try preset($0) }
        + [try ProgramFile.load(path: repositoryRoot.appendingPathComponent("docs/examples/points-and-coins.yaml").path)]
}

/// Outcomes are written directly (`Outcome.json`), not through `JSONEncoder`: for every outcome of
/// random logs over the presets and the two-currency example, the text decodes to the same outcome
/// and is the same JSON as `JSONEncoder` writes, stored (milliseconds) and answered (RFC 3339).
final class StoredJSONTests: XCTestCase {
    func testOutcomesWrittenDirectlyAreWhatJSONEncoderWrites() throws {
        let programs = try presetsAndTheCoinsExample()
        let stored = JSONEncoder()
        stored.userInfo[Instant.compactCoding] = true
        let answered = JSONEncoder()
        var kinds = Set<String>()
        for program in programs {
            var generator = LogGenerator(seed: 5, program: program)
            var replay = Replay(program: program)
            for line in generator.log(300) { _ = replay.apply(line: Array(line.utf8)) }
            for outcome in replay.outcomes {
                let direct = try StoredJSON.encode(outcome)
                XCTAssertEqual(try StoredJSON.decode(Outcome.self, direct), outcome, direct)
                XCTAssertEqual(Outcome(stored: try JSONReader.parse(direct)), outcome, "read without Codable: \(direct)")
                XCTAssertEqual(try JSONDecoder().decode(Outcome.self, from: Data(direct.utf8)), outcome, direct)
                XCTAssertEqual(try JSONReader.parse(direct).canonical,
                               try JSONReader.parse(String(decoding: try stored.encode(outcome), as: UTF8.self)).canonical)
                XCTAssertEqual(outcome.json(compactInstants: false).canonical,
                               try JSONReader.parse(String(decoding: try answered.encode(outcome), as: UTF8.self)).canonical)
                // Written straight to bytes, with its keys in canonical order (the tree read back
                // from it sorts them again), stored and answered, and with a server's `replayed`.
                for compact in [true, false] {
                    let tree = outcome.json(compactInstants: compact)
                    XCTAssertEqual(String(decoding: outcome.jsonBytes(compactInstants: compact), as: UTF8.self), tree.canonical)
                    XCTAssertEqual(outcome.jsonText(compactInstants: compact), tree.canonical)
                    guard case var .object(fields) = tree else { return XCTFail("an outcome is an object") }
                    fields.append(("replayed", .bool(!compact)))
                    XCTAssertEqual(String(decoding: outcome.jsonBytes(compactInstants: compact, replayed: !compact), as: UTF8.self),
                                   JSON.object(fields).canonical)
                }
                if outcome.rules != nil { kinds.insert("rules") }
                if outcome.currencies != nil { kinds.insert("currencies") }
                if outcome.currency != nil { kinds.insert("currency") }
                if outcome.voucher != nil { kinds.insert("voucher") }
                if outcome.first != nil { kinds.insert("first") }
            }
        }
        XCTAssertEqual(kinds, ["rules", "currencies", "currency", "voucher", "first"], "the logs exercise every optional field")
    }
}

/// `accrue replay` prints its document written directly (`ReplayDocument.json`): byte for byte what
/// `JSONEncoder` with sorted keys writes, for random logs over the presets and the example.
final class ReplayDocumentJSONTests: XCTestCase {
    func testReplayDocumentsWrittenDirectlyAreWhatJSONEncoderWrites() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // jd-points with order points pending until the return window closes: lots that wait.
        let path = repositoryRoot.appendingPathComponent("programs/jd-points.yaml").path
        let waiting = try ProgramFile.parse(try String(contentsOfFile: path, encoding: .utf8)
            .replacingOccurrences(of: "pending_days: 7", with: "pending: {until: return_window_closed}"), file: path)
        var kinds = Set<String>()
        for program in try presetsAndTheCoinsExample() + [waiting] {
            var generator = LogGenerator(seed: 11, program: program)
            var replay = Replay(program: program)
            for line in generator.log(3_000) { _ = replay.apply(line: Array(line.utf8)) }
            // At the end of the log, at the next monthly count (levels scheduled, not yet in
            // effect), and a year later (lots expired).
            var moments: [Instant] = []
            if let count = replay.engine.state.nextCount { moments.append(count) }
            if let now = replay.engine.state.clock { moments.append(now.adding(days: 400)) }
            for step in 0...moments.count {
                if step > 0 { replay.advance(to: moments[step - 1]) }
                let document = replay.document()
                XCTAssertEqual(document.json.canonical, String(decoding: try encoder.encode(document), as: UTF8.self), "\(program.id), step \(step)")
                for member in document.members {
                    if member.nextTierAt != nil { kinds.insert("next_tier_at") }
                    if member.rewards.contains(where: { $0.value != nil }) { kinds.insert("reward value") }
                    if !member.currencies.isEmpty { kinds.insert("currencies") }
                    if member.lots.contains(where: { $0.waitsFor != nil }) { kinds.insert("waits_for") }
                }
            }
        }
        XCTAssertEqual(kinds, ["next_tier_at", "reward value", "currencies", "waits_for"], "the logs exercise every optional field")
    }
}

/// Member views are written directly (`MemberView.jsonBytes`) for the API: byte for byte the
/// canonical text of what `JSONEncoder` writes, for every member of random logs over the presets and the example, at
/// several moments (tiers, coupons, holds, pending and expiring lots, other currencies).
final class MemberViewJSONTests: XCTestCase {
    func testMemberViewsWrittenDirectlyAreWhatJSONEncoderWrites() throws {
        let programs = try presetsAndTheCoinsExample()
        let encoder = JSONEncoder()
        var seen = Set<String>()
        for program in programs {
            var generator = LogGenerator(seed: 7, program: program)
            var replay = Replay(program: program)
            for (index, line) in generator.log(400).enumerated() {
                _ = replay.apply(line: Array(line.utf8))
                guard index % 50 == 49, let now = replay.engine.state.clock else { continue }
                for member in replay.engine.state.members.values {
                    let view = MemberView(member: member, program: program, now: now)
                    let expected = try JSONReader.parse(String(decoding: try encoder.encode(view), as: UTF8.self)).canonical
                    XCTAssertEqual(String(decoding: view.jsonBytes, as: UTF8.self), expected, "\(program.id) \(member.id)")
                    XCTAssertEqual(view.withJSONBytes { Array($0) }, view.jsonBytes)
                    if view.tier != nil { seen.insert("tier") }
                    if !view.coupons.isEmpty { seen.insert("coupons") }
                    if !view.holds.isEmpty { seen.insert("holds") }
                    if !view.expiringSoon.isEmpty { seen.insert("expiring") }
                    if view.lots.contains(where: \.pending) { seen.insert("pending") }
                    if view.currencies?.contains(where: { !$0.lots.isEmpty }) ?? false { seen.insert("currencies") }
                }
            }
        }
        XCTAssertEqual(seen, ["tier", "coupons", "holds", "expiring", "pending", "currencies"], "the logs exercise every part of a view")
    }
}

/// Member states are written directly for checkpoints (`StoredJSON.encode(_: MemberState)`): for
/// every member of random logs over the presets and the example, at several moments, the text
/// reads back as the same member and is the same JSON as `JSONEncoder` writes; and the writer
/// knows every stored property of the member, its lots and its holds. The same for orders.
final class MemberStateJSONTests: XCTestCase {
    func testMemberStatesWrittenDirectlyAreWhatJSONEncoderWrites() throws {
        let programs = try presetsAndTheCoinsExample()
        let encoder = JSONEncoder()
        encoder.userInfo[Instant.compactCoding] = true
        var seen = Set<String>()
        for program in programs {
            var generator = LogGenerator(seed: 11, program: program)
            var replay = Replay(program: program)
            for (index, line) in generator.log(400).enumerated() {
                _ = replay.apply(line: Array(line.utf8))
                guard index % 50 == 49 else { continue }
                for var member in replay.engine.state.members.values {
                    // The random logs give no birthdays: every fifth member gets one here.
                    if (member.id.utf8.last ?? 0) % 5 == 0 { member.birthday = CivilDate(year: 1990, month: 2, day: 28) }
                    let direct = try StoredJSON.encode(member)
                    XCTAssertEqual(try StoredJSON.decode(MemberState.self, direct), member, direct)
                    // Read without Codable, and the same as JSONDecoder reads it.
                    XCTAssertEqual(MemberState(stored: try JSONReader.parse(direct)), member, direct)
                    XCTAssertEqual(try JSONDecoder().decode(MemberState.self, from: Data(direct.utf8)), member, direct)
                    XCTAssertEqual(try JSONReader.parse(direct).canonical,
                                   try JSONReader.parse(String(decoding: try encoder.encode(member), as: UTF8.self)).canonical)
                    for (name, present) in [("birthday", member.birthday != nil), ("holds", !member.holds.isEmpty),
                                            ("parts", member.holds.contains { !$0.parts.isEmpty }), ("tier", member.tier != nil),
                                            ("qualifying", !member.qualifying.isEmpty), ("counters", !member.counters.isEmpty),
                                            ("awarded", !member.awarded.isEmpty), ("redeemed", !member.redeemed.isEmpty),
                                            ("cumulative", !member.cumulative.isEmpty),
                                            ("claims", !member.claims.isEmpty), ("coupons", !member.coupons.isEmpty),
                                            ("streaks", member.streaks != nil), ("wallets", member.wallets != nil),
                                            ("expiring", member.lots.contains { $0.expiresAt != nil }),
                                            ("order", member.lots.contains { $0.order != nil })] where present {
                        seen.insert(name)
                    }
                }
                for order in replay.engine.state.orders.values {
                    let direct = try StoredJSON.encode(order)
                    XCTAssertEqual(try StoredJSON.decode(OrderRecord.self, direct), order, direct)
                    XCTAssertEqual(OrderRecord(stored: try JSONReader.parse(direct)), order, direct)
                    XCTAssertEqual(try JSONDecoder().decode(OrderRecord.self, from: Data(direct.utf8)), order, direct)
                    XCTAssertEqual(try JSONReader.parse(direct).canonical,
                                   try JSONReader.parse(String(decoding: try encoder.encode(order), as: UTF8.self)).canonical)
                    for (name, present) in [("award lot", order.awards.contains { $0.lot != nil }), ("refunded", order.refunded > 0),
                                            ("countedIn", order.awards.contains { $0.countedIn != nil }), ("disputed", order.disputed),
                                            ("delivered", order.deliveredAt != nil), ("category", order.category != nil)] where present {
                        seen.insert(name)
                    }
                }
            }
        }
        XCTAssertEqual(seen, ["birthday", "holds", "parts", "tier", "qualifying", "counters", "awarded", "redeemed", "cumulative", "claims",
                              "coupons", "streaks", "wallets", "expiring", "order", "award lot", "refunded", "countedIn", "disputed",
                              "delivered", "category"], "the logs exercise every part of a member and an order")
    }

    /// Forms the writers do not make (older checkpoints, RFC 3339 instants, unknown keys) are left
    /// to `JSONDecoder`, which reads them or says what is wrong; the direct readers give up on
    /// them rather than guess.
    func testTextsTheWritersDoNotMakeAreReadByJSONDecoder() throws {
        let member = #"{"id":"m","joinedAt":"2026-11-23T10:00:00Z","guest":false,"lots":[{"id":1,"remaining":5,"pending":false,"availableAt":0,"noticed":false}],"debt":0,"holds":[],"qualifying":[],"counters":[],"awarded":[],"cumulative":{},"redeemed":{},"checkoutAmounts":{},"claims":{},"coupons":[]}"#
        let read = try StoredJSON.decode(MemberState.self, member)
        XCTAssertEqual(read.joinedAt, Instant(rfc3339: "2026-11-23T10:00:00Z"))
        XCTAssertEqual(read.balance, 5)
        XCTAssertEqual(MemberState(stored: try JSONReader.parse(member)), read, "RFC 3339 instants are read directly too")

        let unknownKey = member.replacingOccurrences(of: #""debt":0"#, with: #""debt":0,"later":1"#)
        XCTAssertNil(MemberState(stored: try JSONReader.parse(unknownKey)))
        XCTAssertEqual(try StoredJSON.decode(MemberState.self, unknownKey), read, "JSONDecoder ignores a key it does not know")

        let missing = member.replacingOccurrences(of: #""debt":0,"#, with: "")
        XCTAssertNil(MemberState(stored: try JSONReader.parse(missing)))
        XCTAssertThrowsError(try StoredJSON.decode(MemberState.self, missing), "a missing key is JSONDecoder's error")
        XCTAssertThrowsError(try StoredJSON.decode(MemberState.self, #"{"id":"m""#), "not JSON")
        let fraction = member.replacingOccurrences(of: #""remaining":5"#, with: #""remaining":5.5"#)
        XCTAssertNil(MemberState(stored: try JSONReader.parse(fraction)))
        XCTAssertThrowsError(try StoredJSON.decode(MemberState.self, fraction), "points are integers")

        // An outcome with a code this version does not know is JSONDecoder's to refuse.
        let unknownCode = #"{"status":"refused","points":0,"code":"from_the_future"}"#
        XCTAssertNil(Outcome(stored: try JSONReader.parse(unknownCode)))
        XCTAssertThrowsError(try StoredJSON.decode(Outcome.self, unknownCode))
        XCTAssertEqual(try StoredJSON.decode(Outcome.self, #"{"status":"applied","points":5,"at":"2026-11-23T10:00:00Z","rules":[{"rule":"r","points":5,"reason":null}]}"#),
                       try JSONDecoder().decode(Outcome.self, from: Data(#"{"status":"applied","points":5,"at":"2026-11-23T10:00:00Z","rules":[{"rule":"r","points":5}]}"#.utf8)))

        // An order of an older checkpoint: the fields added later are missing or null.
        let older = #"{"id":"o","member":"m","at":0,"amount":100,"disputed":null}"#
        let order = try XCTUnwrap(OrderRecord(stored: try JSONReader.parse(older)))
        XCTAssertEqual(order, try JSONDecoder().decode(OrderRecord.self, from: Data(older.utf8)))
        XCTAssertEqual(order.awards, [])
        XCTAssertFalse(order.disputed)
        // The multiplier as written, not reduced (as Ratio's Decodable reads it).
        let award = #"{"id":"o","member":"m","at":0,"amount":100,"awards":[{"rule":"r","points":1,"multiplier":{"numerator":4,"denominator":2},"expired":0}]}"#
        XCTAssertEqual(OrderRecord(stored: try JSONReader.parse(award)), try JSONDecoder().decode(OrderRecord.self, from: Data(award.utf8)))
    }

    /// The writer's own integer digits: zero, signs and both ends of Int64, as JSONEncoder writes them.
    func testIntegersAreWrittenAsJSONEncoderWritesThem() throws {
        let encoder = JSONEncoder()
        encoder.userInfo[Instant.compactCoding] = true
        for value in [0, 7, -7, 10, -10, 1_000_000_007, Int64.max, Int64.min, Int64.min + 1] {
            var member = MemberState(id: "m", joinedAt: Instant(milliseconds: value))
            member.debt = value
            member.redeemed = ["r": value]
            let direct = try StoredJSON.encode(member)
            XCTAssertEqual(try JSONReader.parse(direct).canonical,
                           try JSONReader.parse(String(decoding: try encoder.encode(member), as: UTF8.self)).canonical, direct)
            XCTAssertEqual(try StoredJSON.decode(MemberState.self, direct), member, direct)
        }
    }

    /// A load decodes its texts on every core (`StoredJSON.decodeAll`): the values come back in
    /// the texts' order, and of several bad texts the first one's error is thrown.
    func testDecodingOnEveryCoreKeepsTheOrderAndTheFirstError() throws {
        let texts = try (0..<5_000).map { index in
            var member = MemberState(id: "m\(index)", joinedAt: Instant(milliseconds: Int64(index) * 1_000))
            member.debt = Int64(index % 7)
            return try StoredJSON.encode(member)
        }
        let members = try StoredJSON.decodeAll(texts) { try StoredJSON.decode(MemberState.self, $0) }
        XCTAssertEqual(members.map(\.id), (0..<5_000).map { "m\($0)" })
        XCTAssertEqual(members, try texts.map { try StoredJSON.decode(MemberState.self, $0) })

        struct Bad: Error, Equatable { var index: Int }
        var broken = texts
        broken[3_100] = "bad 3100"
        broken[4_900] = "bad 4900"
        XCTAssertThrowsError(try StoredJSON.decodeAll(broken) { text -> MemberState in
            if text.hasPrefix("bad ") { throw Bad(index: Int(text.dropFirst(4))!) }
            return try StoredJSON.decode(MemberState.self, text)
        }) { error in
            XCTAssertEqual(error as? Bad, Bad(index: 3_100))
        }
    }

    /// A property added to a member, a lot, a hold or an order must be written by the direct writers too.
    func testTheWriterKnowsEveryStoredProperty() throws {
        let lot = try StoredJSON.decode(Lot.self, #"{"id":1,"remaining":1,"pending":false,"availableAt":0,"noticed":false}"#)
        let part = try StoredJSON.decode(Hold.Part.self, #"{"lot":1,"points":1,"availableAt":0}"#)
        let hold = try StoredJSON.decode(Hold.self, #"{"id":"h","points":1,"parts":[{"lot":1,"points":1,"availableAt":0}]}"#)
        let order = try StoredJSON.decode(OrderRecord.self, #"{"id":"o","member":"m","at":0,"amount":1,"awards":[{"rule":"r","points":1,"multiplier":{"numerator":1,"denominator":1},"expired":0}]}"#)
        let capKey = try StoredJSON.decode(CapKey.self, #"{"rule":"r","cap":0,"period":1}"#)
        let capCounter = try StoredJSON.decode(CapCounter.self, #"{"count":1,"points":5}"#)
        let spend = try StoredJSON.decode(CumulativeSpend.self, #"{"countedMinorUnits":1,"awarded":0}"#)
        let coupon = try StoredJSON.decode(Coupon.self, #"{"reward":"r","name":"n","code":"c","issuedAt":0}"#)
        let samples: [String: Any] = ["MemberState": MemberState(id: "m", joinedAt: Instant(milliseconds: 0)), "Lot": lot, "Hold": hold, "Part": part,
                                      "OrderRecord": order, "Award": order.awards[0], "Ratio": Ratio(1), "CapKey": capKey,
                                      "CapCounter": capCounter, "CumulativeSpend": spend, "Coupon": coupon]
        XCTAssertEqual(Set(samples.keys), Set(StoredJSON.writtenProperties.keys), "every type the writers write has a sample here")
        for (type, value) in samples {
            // A member keeps its rare fields behind one reference, under their own names.
            let properties = type == "MemberState" ? MemberState.storedFieldNames : Set(Mirror(reflecting: value).children.compactMap(\.label))
            XCTAssertEqual(properties, StoredJSON.writtenProperties[type], type)
        }
        XCTAssertEqual(MemberState.storedFieldNames.count, 24, "the member's fields, each once")
    }
}

/// A checkpoint's records are encoded step by step as they are written: at most 64 members or
/// 256 orders a step, split further by bytes, each step's states those of its records in order.
final class CheckpointStepTests: XCTestCase {
    func testStepsCoverEveryRecordOnceWithItsOwnState() throws {
        let at = Instant(rfc3339: "2026-11-11T00:00:00Z")!
        // Given in reverse: the rows sort them by id.
        let members = (0..<150).reversed().map { MemberState(id: String(format: "m%03d", $0), joinedAt: at) }
        let orders = try (0..<300).reversed().map { number in
            try JSONDecoder().decode(OrderRecord.self, from: Data(#"{"id":"o\#(String(format: "%03d", number))","member":"m001","at":"2026-11-11T00:00:00Z","amount":\#(number)}"#.utf8))
        }
        let rows = try CheckpointRows(Checkpoint(state: ProgramState(), revision: 3, programVersion: 1), members: members, orders: orders, bookings: [])

        var steps: [CheckpointStep] = []
        XCTAssertTrue(try rows.forEachStep(bytes: .max) { steps.append($0); return true })
        XCTAssertEqual(steps.map(\.members), [0..<64, 64..<128, 128..<150, 0..<0, 0..<0])
        XCTAssertEqual(steps.map(\.orders), [0..<0, 0..<0, 0..<0, 0..<256, 256..<300])
        for step in steps {
            for index in step.members {
                XCTAssertEqual(try StoredJSON.decode(MemberState.self, step.state(at: index)).id, rows.members[index].id)
            }
            for index in step.orders {
                XCTAssertEqual(try StoredJSON.decode(OrderRecord.self, step.state(at: index)).id, rows.orders[index].id)
            }
        }
        XCTAssertEqual(rows.members.map(\.id), members.map(\.id).sorted())
        XCTAssertGreaterThan(rows.encoding.nanoseconds, 0)

        // One record a step when each is over the bytes; stopping early stops the steps.
        var small: [CheckpointStep] = []
        XCTAssertTrue(try rows.forEachStep(bytes: 1) { small.append($0.named); return true })
        XCTAssertEqual(small.count, 450)
        XCTAssertEqual(small.first, CheckpointStep(members: 0..<1))
        var calls = 0
        XCTAssertFalse(try rows.forEachStep(bytes: 1) { _ in calls += 1; return calls < 5 })
        XCTAssertEqual(calls, 5)

        // Nothing to write: one empty step, so that the header's transaction still runs.
        let empty = try CheckpointRows(Checkpoint(state: ProgramState(), revision: 3, programVersion: 1), members: [], orders: [], bookings: [])
        var emptySteps: [CheckpointStep] = []
        XCTAssertTrue(try empty.forEachStep(bytes: .max) { emptySteps.append($0); return true })
        XCTAssertEqual(emptySteps, [CheckpointStep()])
    }
}
