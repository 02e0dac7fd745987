import AccrueBench
import AccrueCore
import AccruePostgres
import AccrueSQLite
import AccrueStore
import XCTest

/// The contract every `ServiceStore` keeps, run on each implementation: settings, API keys,
/// webhooks and their delivery leases, the event outbox, report totals and retired programs.
enum ServiceStoreConformance {
    static func run(_ makeStore: () throws -> any LedgerStore & ServiceStore, file: StaticString = #filePath, line: UInt = #line) throws {
        try settingsKeepTheFirstValue(try makeStore(), file: file, line: line)
        try keysAreFoundByHashAndRevoked(try makeStore(), file: file, line: line)
        try webhooksAreListedAndDeleted(try makeStore(), file: file, line: line)
        try leasesKeepTwoClaimersApart(try makeStore(), file: file, line: line)
        try eventsCommitAndRollBackWithTheirEntries(try makeStore(), file: file, line: line)
        try programsRetire(try makeStore(), file: file, line: line)
    }

    static func settingsKeepTheFirstValue(_ store: any ServiceStore, file: StaticString, line: UInt) throws {
        XCTAssertNil(try store.setting("signing-key"), file: file, line: line)
        XCTAssertEqual(try store.initializeSetting("signing-key", to: "first"), "first", file: file, line: line)
        XCTAssertEqual(try store.initializeSetting("signing-key", to: "second"), "first", "a second server keeps the first value", file: file, line: line)
        XCTAssertEqual(try store.setting("signing-key"), "first", file: file, line: line)
        XCTAssertNil(try store.setting("other"), file: file, line: line)
    }

    static func keysAreFoundByHashAndRevoked(_ store: any ServiceStore, file: StaticString, line: UInt) throws {
        let shop = APIKeyRecord(id: "key-1", program: "jd-points", scopes: [.writeInputs, .readMembers], name: "shop checkout",
                                hash: String(repeating: "a", count: 64), createdAt: Instant(milliseconds: 1_000))
        let admin = APIKeyRecord(id: "key-2", program: nil, scopes: [.administer], name: "operator",
                                 hash: String(repeating: "b", count: 64), createdAt: Instant(milliseconds: 2_000))
        try store.insertKey(shop)
        try store.insertKey(admin)
        XCTAssertEqual(try store.key(hash: shop.hash), shop, file: file, line: line)
        XCTAssertEqual(try store.key(hash: admin.hash), admin, "an account-wide key has no program", file: file, line: line)
        XCTAssertNil(try store.key(hash: String(repeating: "c", count: 64)), file: file, line: line)
        XCTAssertEqual(try store.keys(), [shop, admin], "oldest first", file: file, line: line)
        var twin = admin
        twin.id = "key-3"
        XCTAssertThrowsError(try store.insertKey(twin), "two keys cannot share a hash", file: file, line: line)

        XCTAssertTrue(try store.revokeKey(id: "key-1", at: Instant(milliseconds: 5_000)), file: file, line: line)
        XCTAssertEqual(try store.key(hash: shop.hash)?.revokedAt, Instant(milliseconds: 5_000), "a revoked key is still found, marked", file: file, line: line)
        XCTAssertFalse(try store.revokeKey(id: "key-1", at: Instant(milliseconds: 9_000)), "already revoked", file: file, line: line)
        XCTAssertEqual(try store.key(hash: shop.hash)?.revokedAt, Instant(milliseconds: 5_000), "the first revocation stands", file: file, line: line)
        XCTAssertFalse(try store.revokeKey(id: "key-9", at: Instant(milliseconds: 5_000)), file: file, line: line)
        XCTAssertNil(try store.key(hash: admin.hash)?.revokedAt, file: file, line: line)
    }

    static func webhook(_ id: String, program: String, events: [String] = [], createdAt: Int64) -> WebhookEndpoint {
        WebhookEndpoint(id: id, program: program, url: "https://shop.example/hooks/\(id)", secret: "whsec_\(id)", events: events,
                        createdAt: Instant(milliseconds: createdAt))
    }

    static func webhooksAreListedAndDeleted(_ store: any ServiceStore, file: StaticString, line: UInt) throws {
        let all = webhook("wh-1", program: "jd-points", createdAt: 1_000)
        var some = webhook("wh-2", program: "jd-points", events: ["points.earned", "tier.changed"], createdAt: 2_000)
        some.cursor = 41
        some.delivered = 40
        some.attempts = 2
        some.nextAttemptAt = Instant(milliseconds: 9_000)
        some.lastError = "HTTP 502"
        let other = webhook("wh-3", program: "cj-rewards", createdAt: 3_000)
        for endpoint in [all, some, other] { try store.insertWebhook(endpoint) }
        XCTAssertEqual(try store.webhook(id: "wh-1"), all, file: file, line: line)
        XCTAssertEqual(try store.webhook(id: "wh-2"), some, "every delivery field round-trips", file: file, line: line)
        XCTAssertNil(try store.webhook(id: "wh-9"), file: file, line: line)
        XCTAssertEqual(try store.webhooks(program: "jd-points").map(\.id), ["wh-1", "wh-2"], file: file, line: line)
        XCTAssertEqual(try store.webhooks(program: nil).map(\.id), ["wh-1", "wh-2", "wh-3"], file: file, line: line)
        XCTAssertEqual(try store.webhooks(program: "nobody"), [], file: file, line: line)
        XCTAssertTrue(try store.deleteWebhook(id: "wh-3"), file: file, line: line)
        XCTAssertFalse(try store.deleteWebhook(id: "wh-3"), file: file, line: line)
        XCTAssertNil(try store.webhook(id: "wh-3"), file: file, line: line)
        XCTAssertEqual(try store.webhooks(program: nil).map(\.id), ["wh-1", "wh-2"], file: file, line: line)
    }

    /// A webhook is due when it has no next attempt or that time has come, and free when no lease
    /// is live (a lease is live while `now` is before its end).
    static func leasesKeepTwoClaimersApart(_ store: any ServiceStore, file: StaticString, line: UInt) throws {
        try store.insertWebhook(webhook("wh-1", program: "jd-points", createdAt: 1_000))
        try store.insertWebhook(webhook("wh-2", program: "jd-points", createdAt: 2_000))
        var later = webhook("wh-3", program: "jd-points", createdAt: 3_000)
        later.nextAttemptAt = Instant(milliseconds: 50_000)
        try store.insertWebhook(later)
        let now = Instant(milliseconds: 10_000)
        let until = Instant(milliseconds: 40_000)

        XCTAssertEqual(try store.claimWebhooks(now: now, owner: "a", leaseUntil: until, limit: 1).count, 1, "at most limit", file: file, line: line)
        let first = try store.claimWebhooks(now: now, owner: "a", leaseUntil: until, limit: 10).map(\.id)
        XCTAssertEqual(first.count, 1, "the other due webhook; one not yet due is left", file: file, line: line)
        XCTAssertFalse(first.contains("wh-3"), file: file, line: line)
        XCTAssertEqual(try store.claimWebhooks(now: now, owner: "b", leaseUntil: until, limit: 10), [], "live leases keep b out", file: file, line: line)

        // b does not hold the lease: its result is ignored and the lease stays.
        try store.finishDelivery(webhook: "wh-1", owner: "b", cursor: 99, delivered: 99, attempts: 0, nextAttemptAt: nil, lastError: nil)
        XCTAssertEqual(try store.webhook(id: "wh-1")?.cursor, 0, file: file, line: line)
        XCTAssertEqual(try store.claimWebhooks(now: now, owner: "b", leaseUntil: until, limit: 10), [], file: file, line: line)

        // The holder records its result and gives the lease back: the webhook is free at once.
        try store.finishDelivery(webhook: "wh-1", owner: "a", cursor: 7, delivered: 7, attempts: 0, nextAttemptAt: nil, lastError: nil)
        let finished = try XCTUnwrap(try store.webhook(id: "wh-1"), file: file, line: line)
        XCTAssertEqual([finished.cursor, finished.delivered, Int64(finished.attempts)], [7, 7, 0], file: file, line: line)
        XCTAssertEqual(try store.claimWebhooks(now: now, owner: "b", leaseUntil: until, limit: 10).map(\.id), ["wh-1"], file: file, line: line)
        // A failed attempt is recorded with its retry time; the webhook waits for it.
        try store.finishDelivery(webhook: "wh-1", owner: "b", cursor: 7, delivered: 7, attempts: 1,
                                 nextAttemptAt: Instant(milliseconds: 45_000), lastError: "timed out")
        XCTAssertEqual(try store.webhook(id: "wh-1")?.lastError, "timed out", file: file, line: line)
        XCTAssertEqual(try store.webhook(id: "wh-1")?.attempts, 1, file: file, line: line)

        // a's lease on wh-2 ends at `until`: live just before, free from then on.
        XCTAssertEqual(try store.claimWebhooks(now: Instant(milliseconds: 39_999), owner: "b", leaseUntil: Instant(milliseconds: 70_000), limit: 10),
                       [], file: file, line: line)
        XCTAssertEqual(try store.claimWebhooks(now: until, owner: "b", leaseUntil: Instant(milliseconds: 70_000), limit: 10).map(\.id), ["wh-2"],
                       file: file, line: line)
        // a's late result for wh-2 is ignored: b holds it now.
        try store.finishDelivery(webhook: "wh-2", owner: "a", cursor: 3, delivered: 3, attempts: 0, nextAttemptAt: nil, lastError: nil)
        XCTAssertEqual(try store.webhook(id: "wh-2")?.cursor, 0, file: file, line: line)
        // Once due, the retried and the later webhook come to whoever asks.
        XCTAssertEqual(Set(try store.claimWebhooks(now: Instant(milliseconds: 50_000), owner: "c", leaseUntil: Instant(milliseconds: 80_000), limit: 10)
                            .map(\.id)), ["wh-1", "wh-3"], file: file, line: line)
    }

    /// Events are derived from the entries (the entries are the outbox): there after a commit,
    /// absent after a rollback, read back in seq order with their data, a booking's release named
    /// by the input that released it (the store looks its type up).
    static func eventsCommitAndRollBackWithTheirEntries(_ store: any LedgerStore & ServiceStore, file: StaticString, line: UInt) throws {
        let program = try preset("cj-rewards")
        try store.register(StoredProgram(id: program.id, base: program.id, version: 1, source: "cj"))
        XCTAssertEqual(try store.lastEventSeq(program: program.id), 0, file: file, line: line)
        var engine = Engine(program: program)
        var types: [String: String] = [:]
        func decide(_ lines: [String]) -> [(id: String, record: InputRecord)] {
            lines.map { text in
                let input = Input.decode(Array(text.utf8))
                let outcome = engine.handle(input, prior: nil)
                types[input.id!] = input.type
                return (input.id!, InputRecord(canonical: input.canonical!, outcome: outcome))
            }
        }
        let first = decide([
            #"{"id":"e-1","type":"order.completed","member":"ivan","at":"2026-04-01T10:00:00Z","data":{"order":"o-1","amount":"1240.00","currency":"USD"}}"#,
            #"{"id":"e-2","type":"order.completed","member":"jo","at":"2026-04-02T10:00:00Z","data":{"order":"o-2","amount":"135.50","currency":"USD"}}"#,
            #"{"id":"e-3","type":"points.adjusted","member":"ivan","at":"2026-04-03T10:00:00Z","data":{"points":25,"reason":"say \"sorry\""}}"#,
        ])
        let entries = engine.drain().entries
        let revision = try store.write(program: program.id) { tx in
            try tx.append(CommitBatch(inputs: first, programVersion: 1, entries: entries), revision: 0)
        }
        // Bookings held, then released by a cancellation and by a rejection: one entry kind, two
        // event types, told apart by the releasing input's type.
        let second = decide([
            #"{"id":"e-4","type":"booking.requested","member":"ivan","at":"2026-04-04T10:00:00Z","data":{"booking":"b-1","services":[{"service":"tour"}]}}"#,
            #"{"id":"e-5","type":"booking.cancelled","member":"ivan","at":"2026-04-04T11:00:00Z","data":{"booking":"b-1"}}"#,
            #"{"id":"e-6","type":"booking.requested","member":"ivan","at":"2026-04-05T10:00:00Z","data":{"booking":"b-2","services":[{"service":"tour"}]}}"#,
            #"{"id":"e-7","type":"booking.rejected","member":"ivan","at":"2026-04-05T11:00:00Z","data":{"booking":"b-2"}}"#,
        ])
        let bookingEntries = engine.drain().entries
        let revision2 = try store.write(program: program.id) { tx in
            try tx.append(CommitBatch(inputs: second, programVersion: 1, entries: bookingEntries), revision: revision)
        }
        let events = LedgerEvent.derive(from: entries + bookingEntries, inputTypes: types)
        XCTAssertGreaterThanOrEqual(events.count, 7, "the inputs earn and adjust points and hold and release bookings", file: file, line: line)
        XCTAssertEqual(events.filter { $0.type.hasPrefix("booking.") }.map(\.type),
                       ["booking.requested", "booking.cancelled", "booking.requested", "booking.rejected"], file: file, line: line)
        func documents(_ events: [LedgerEvent]) -> [String] { events.map { $0.document(program: program.id) } }
        XCTAssertEqual(documents(try store.events(program: program.id, after: 0, limit: 100)), documents(events), "every event, data intact",
                       file: file, line: line)
        XCTAssertEqual(documents(try store.events(program: program.id, after: events[0].seq, limit: 100)), documents(Array(events.dropFirst())),
                       file: file, line: line)
        XCTAssertEqual(try store.events(program: program.id, after: 0, limit: 2).map(\.seq), events.prefix(2).map(\.seq), file: file, line: line)
        XCTAssertEqual(try store.events(program: program.id, after: 0, limit: 0), [], file: file, line: line)
        XCTAssertEqual(try store.lastEventSeq(program: program.id), (entries + bookingEntries).last!.seq, file: file, line: line)
        XCTAssertEqual(try store.events(program: program.id, after: (entries + bookingEntries).last!.seq, limit: 100), [], file: file, line: line)
        XCTAssertEqual(try store.events(program: "nobody", after: 0, limit: 100), [], file: file, line: line)
        XCTAssertEqual(try store.lastEventSeq(program: "nobody"), 0, file: file, line: line)

        // A write that fails after appending leaves no event behind.
        _ = engine.handle(Input.decode(Array(#"{"id":"e-8","type":"points.adjusted","member":"jo","at":"2026-04-06T10:00:00Z","data":{"points":5,"reason":"x"}}"#.utf8)), prior: nil)
        let lost = engine.drain().entries
        struct Boom: Error {}
        XCTAssertThrowsError(try store.write(program: program.id) { tx -> Void in
            _ = try tx.append(CommitBatch(inputs: [], entries: lost), revision: revision2)
            throw Boom()
        }, file: file, line: line)
        XCTAssertEqual(try store.lastEventSeq(program: program.id), (entries + bookingEntries).last!.seq, file: file, line: line)
        XCTAssertEqual(try store.events(program: program.id, after: 0, limit: 100).count, events.count, file: file, line: line)

        // Report totals: the entries from the second input's time (included) to the third's
        // (excluded), with their time, kind and points.
        let from = Instant(rfc3339: "2026-04-02T10:00:00Z")!, to = Instant(rfc3339: "2026-04-03T10:00:00Z")!
        let expected = entries.filter { $0.input == "e-2" }.map { EntryTotal(at: $0.at, kind: $0.kind, points: $0.points, rule: $0.rule) }
        XCTAssertFalse(expected.isEmpty, "the second order earns", file: file, line: line)
        XCTAssertEqual(try store.entryTotals(program: program.id, from: from, to: to), expected, file: file, line: line)
        XCTAssertEqual(try store.entryTotals(program: program.id, from: to, to: to), [], "an empty span", file: file, line: line)
    }

    static func programsRetire(_ store: any LedgerStore & ServiceStore, file: StaticString, line: UInt) throws {
        try store.register(StoredProgram(id: "store-1", base: "aliexpress-store", version: 1, source: "s"))
        try store.register(StoredProgram(id: "store-2", base: "aliexpress-store", version: 1, source: "s"))
        XCTAssertEqual(try store.retiredPrograms(), [], file: file, line: line)
        try store.setRetired(program: "store-1", true)
        XCTAssertEqual(try store.retiredPrograms(), ["store-1"], file: file, line: line)
        XCTAssertNotNil(try store.load(program: "store-1"), "a retired program keeps its data", file: file, line: line)
        try store.setRetired(program: "store-1", false)
        XCTAssertEqual(try store.retiredPrograms(), [], file: file, line: line)
    }
}

final class ServiceStoreConformanceTests: XCTestCase {
    func testSQLiteStore() throws {
        let folder = temporaryFolder()
        defer { removeFolder(folder) }
        var count = 0
        try ServiceStoreConformance.run {
            count += 1
            return try SQLiteStore(path: folder.appendingPathComponent("service-\(count).sqlite").path)
        }
    }

    func testPostgresStore() throws {
        try ServiceStoreConformance.run { try PostgresStore(url: try TestPostgres.freshDatabase(cleanup: self)) }
    }
}
