import AccrueCore
import Foundation
import Hummingbird
import NIOCore

/// The HTTP benchmark's baseline (`scripts/bench-http`): a bare Hummingbird server with routes of
/// the same shape as Accrue's input and member routes, doing only what any server must: check the
/// bearer key, read the body and parse its JSON (with the same reader), answer a JSON body of the
/// same size (for member reads, the bytes of Accrue's own answer, which `scripts/bench-http` sets
/// with `PUT /bench/member`). No rules, no store, no middleware. Never used to serve shoppers.
public enum BareBaseline {
    public static func application(host: String, port: Int, key: String,
                                   onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }) -> some ApplicationProtocol {
        let router = Router()
        let expected = "Bearer " + key
        let member = MemberAnswer()
        let unauthorized = answer(ByteBuffer(string: #"{"code":"unauthorized"}"#), .unauthorized)
        router.post("/v1/programs/:program/inputs") { request, _ -> Response in
            guard request.headers[.authorization] == expected else { return unauthorized }
            let body = try await request.body.collect(upTo: Limits.maximumInputBytes)
            guard case let .object(fields)? = try? JSONReader.parse(Array(body.readableBytesView)),
                  case let .string(id)? = fields.first(where: { $0.0 == "id" })?.1 else {
                return answer(ByteBuffer(string: #"{"code":"malformed_input"}"#), .badRequest)
            }
            return answer(ByteBuffer(string: outcome(id)), .ok)
        }
        router.post("/v1/programs/:program/batches") { request, _ -> Response in
            guard request.headers[.authorization] == expected else { return unauthorized }
            let body = try await request.body.collect(upTo: APILimits.maximumBodyBytes)
            guard case let .object(fields)? = try? JSONReader.parse(Array(body.readableBytesView)),
                  case let .array(items)? = fields.first(where: { $0.0 == "inputs" })?.1 else {
                return answer(ByteBuffer(string: #"{"code":"malformed_input"}"#), .badRequest)
            }
            var text = #"{"outcomes":["#
            for (index, item) in items.enumerated() {
                guard case let .object(input) = item, case let .string(id)? = input.first(where: { $0.0 == "id" })?.1 else { continue }
                text += (index == 0 ? "" : ",") + outcome(id)
            }
            return answer(ByteBuffer(string: text + "]}"), .ok)
        }
        router.get("/v1/programs/:program/members/:member") { request, _ -> Response in
            guard request.headers[.authorization] == expected else { return unauthorized }
            return answer(member.bytes, .ok)
        }
        // The benchmark sets the member answer to Accrue's own view of a member of the run (about
        // 7 KB when members hold 60 lots), so that both servers answer the same bytes.
        router.put("/bench/member") { request, _ -> Response in
            guard request.headers[.authorization] == expected else { return unauthorized }
            member.bytes = try await request.body.collect(upTo: APILimits.maximumBodyBytes)
            return Response(status: .noContent)
        }
        return Application(router: router, configuration: .init(address: .hostname(host, port: port), serverName: "bare"),
                           onServerRunning: onServerRunning)
    }

    static func answer(_ body: ByteBuffer, _ status: HTTPResponse.Status) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: body))
    }

    /// An applied input's outcome of the size Accrue answers.
    static func outcome(_ id: String) -> String {
        #"{"id":"\#(id)","points":120,"reason":null,"replayed":false,"status":"applied","type":"order.completed"}"#
    }

    /// The member answer, shared by the server's connections.
    final class MemberAnswer: @unchecked Sendable {
        private let lock = NSLock()
        private var body = ByteBuffer(string: BareBaseline.memberBody)
        var bytes: ByteBuffer {
            get { lock.withLock { body } }
            set { lock.withLock { body = newValue } }
        }
    }

    /// A member view until the benchmark sets one (a few lots, a tier, a coupon).
    static let memberBody = #"{"balance":1280,"balance_value":"12.80 CNY","coupons":[{"code":"JDV10-8BTSBJSPS3","issuedAt":1763800000000,"name":"10 CNY voucher","reward":"voucher-10","valueMinorUnits":1000}],"currency":"points","expiring_soon":[],"guest":false,"held":0,"holds":[],"lots":[{"available_at":"2026-11-01T10:00:00Z","expires_at":"2027-11-01T10:00:00Z","lot":11,"pending":false,"points":800},{"available_at":"2026-11-11T10:00:00Z","expires_at":"2027-11-11T10:00:00Z","lot":19,"pending":false,"points":480}],"member":"m-1","pending":0,"program":"jd-points","tier":{"benefits":["free shipping"],"counted":1280,"needed":3720,"next_tier":"platinum","next_tier_name":"Platinum","tier":"gold","tier_name":"Gold","window":"points that became available in 2026 (local calendar year)"}}"#
}
