import AccrueCore
import AccrueServer
import Crypto
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import XCTest

/// A real webhook receiver on loopback that can fail its first requests.
final class Receiver: @unchecked Sendable {
    struct Delivery { let id: String; let type: String; let signature: String; let body: String }
    private let lock = NSLock()
    private var received: [Delivery] = []
    private var failuresLeft: Int
    private(set) var refused = 0

    init(failFirst: Int) { failuresLeft = failFirst }

    var deliveries: [Delivery] {
        lock.lock()
        defer { lock.unlock() }
        return received
    }

    func take(_ delivery: Delivery) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if failuresLeft > 0 {
            failuresLeft -= 1
            refused += 1
            return false
        }
        received.append(delivery)
        return true
    }

    /// Serves until the task is cancelled; returns the port once listening.
    func start() async throws -> (port: Int, task: Task<Void, Error>) {
        let router = Router()
        router.post("/hook") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 1 << 20)
            let ok = self.take(Delivery(id: request.headers.first(where: { $0.name.canonicalName == "accrue-event-id" })?.value ?? "",
                                        type: request.headers.first(where: { $0.name.canonicalName == "accrue-event-type" })?.value ?? "",
                                        signature: request.headers.first(where: { $0.name.canonicalName == "accrue-signature" })?.value ?? "",
                                        body: String(buffer: body)))
            return Response(status: ok ? .ok : .internalServerError)
        }
        let (stream, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) })
        let task = Task { try await app.runService(gracefulShutdownSignals: []) }
        var iterator = stream.makeAsyncIterator()
        guard let port = await iterator.next() else { throw CancellationError() }
        return (port, task)
    }
}

final class WebhookTests: XCTestCase {
    func testEventsAreSignedDeliveredInOrderAndRetriedUntilTheReceiverRecovers() async throws {
        let receiver = Receiver(failFirst: 3)
        let (port, task) = try await receiver.start()
        defer { task.cancel() }
        let harness = try Harness()
        defer { harness.remove() }
        try await harness.application().test(.router) { client in
            let key = harness.key
            let created = try await client.call(.post, "/v1/programs/jd-points/webhooks", bearer: key,
                                                body: "{\"url\":\"http://127.0.0.1:\(port)/hook\"}")
            XCTAssertEqual(created.status, 201, created.text)
            guard let secret = string(created["secret"]), let id = string(created["id"]) else { return XCTFail(created.text) }
            let listed = try await client.call(.get, "/v1/programs/jd-points/webhooks", bearer: key)
            XCTAssertFalse(listed.text.contains(secret), "the secret is shown once")

            let path = "/v1/programs/jd-points/inputs"
            try await client.call(.post, path, bearer: key, body: input("a1", "points.adjusted", "alice", "2026-11-01T01:00:00Z",
                                                                         "{\"points\":500,\"reason\":\"welcome\"}"))
            try await client.call(.post, path, bearer: key, body: input("o1", "order.completed", "alice", "2026-11-01T02:00:00Z",
                                                                         "{\"order\":\"A1\",\"amount\":\"300.00\",\"currency\":\"CNY\"}"))
            // A refused input writes no entry and so no event.
            try await client.call(.post, path, bearer: key, body: input("x1", "points.redeemed", "alice", "2026-11-01T03:00:00Z",
                                                                         "{\"order\":\"A9\",\"points\":99999,\"order_amount\":\"1.00\"}"))
            harness.clock.set("2026-11-09T00:00:00Z")
            await harness.service.runDueWork()

            // Each round a minute later on the service's clock: every retry is due, nothing sleeps.
            for _ in 0..<20 where receiver.deliveries.count < 4 {
                harness.clock.advance(minutes: 1)
                try await harness.service.deliverDueWebhooks()
            }
            let deliveries = receiver.deliveries
            XCTAssertEqual(deliveries.map(\.type), ["points.adjusted", "points.earned", "points.pending_released", "tier.changed"])
            XCTAssertEqual(Set(deliveries.map(\.id)).count, deliveries.count, "each event once")
            XCTAssertEqual(receiver.refused, 3, "the first three attempts failed and were retried")
            for delivery in deliveries {
                // Accrue-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "t.body")>
                let parts = Dictionary(uniqueKeysWithValues: delivery.signature.split(separator: ",").map { part in
                    let pair = part.split(separator: "=", maxSplits: 1)
                    return (String(pair[0]), String(pair[1]))
                })
                let mac = HMAC<SHA256>.authenticationCode(for: Array("\(parts["t"]!).\(delivery.body)".utf8), using: SymmetricKey(data: Array(secret.utf8)))
                XCTAssertEqual(parts["v1"], mac.map { String(format: "%02x", $0) }.joined(), "the signature verifies")
                let body = try JSONReader.parse(delivery.body)
                XCTAssertEqual(string(body["id"]), delivery.id)
                XCTAssertEqual(string(body["program"]), "jd-points")
            }
            let status = try await client.call(.get, "/v1/programs/jd-points/webhooks", bearer: key)
            guard case let .array(hooks)? = status["webhooks"], let hook = hooks.first(where: { string($0["id"]) == id }) else { return XCTFail(status.text) }
            XCTAssertEqual(number(hook["delivered"]), 4)
            XCTAssertEqual(number(hook["failed_attempts"]), 0)

            // A year on: 30 days ahead the lots' expiry is announced, then they expire.
            harness.clock.set("2027-10-05T00:00:00Z")
            await harness.service.runDueWork()
            harness.clock.set("2027-11-10T00:00:00Z")
            await harness.service.runDueWork()
            for _ in 0..<20 where !receiver.deliveries.map(\.type).contains("points.expired") {
                harness.clock.advance(minutes: 1)
                try await harness.service.deliverDueWebhooks()
            }
            // Delivery is at least once: the background deliverer and this loop may both send an
            // event while the test clock jumps past a lease. Each event is counted once, by its id.
            let later = Array(receiver.deliveries.dropFirst(4))
            let types = later.map(\.type)
            XCTAssertEqual(Set(later.filter { $0.type == "points.expiring" }.map(\.id)).count, 2, "\(types)")
            XCTAssertEqual(Set(later.filter { $0.type == "points.expired" }.map(\.id)).count, 2, "\(types)")
            XCTAssertLessThan(types.firstIndex(of: "points.expiring") ?? 99, types.firstIndex(of: "points.expired") ?? -1)
            let deleted = try await client.call(.delete, "/v1/programs/jd-points/webhooks/\(id)", bearer: key)
            XCTAssertEqual(deleted.status, 204)
        }
    }
}
