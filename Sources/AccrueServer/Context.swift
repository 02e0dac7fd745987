import Foundation
import Hummingbird
import Logging
import Metrics
import NIOCore

/// The request context of every route: Hummingbird's core context and the client's address, which
/// the limit on failed sign-ins counts by.
public struct AccrueRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}

/// The address of the client a request comes from, for the code that checks credentials. Set by
/// `RequestsMiddleware` for the duration of each request; written out as text only when a
/// credential is refused or refusals are being counted (most requests never need it).
enum ClientAddress {
    @TaskLocal static var current: SocketAddress?

    static var text: String { current?.ipAddress ?? "local" }
}

/// What every request goes through before the routes, in one layer: the client's address for the
/// credential checks, Hummingbird's request metrics (the same names and labels as its
/// `MetricsMiddleware`), and a debug line per request when the log level is debug or lower.
///
/// It replaced three middlewares (`ClientAddressMiddleware`, Hummingbird's `MetricsMiddleware` and
/// `LogRequestsMiddleware`) that cost a member read 11 us of its 75 (measured by leaving them out):
/// mostly Hummingbird's metrics, which wrap every answer's body in a closure run after it is
/// written (the answer then goes out as a stream rather than one buffer), and each layer's own
/// async frame. The duration recorded is the time to make the answer, not to send it.
struct RequestsMiddleware: RouterMiddleware {
    typealias Context = AccrueRequestContext
    let metrics = RequestMetrics()
    let logDebug: Bool

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = DispatchTime.now().uptimeNanoseconds
        let active = metrics.active(request.method)
        active.increment()
        defer { active.decrement() }
        if logDebug {
            context.logger.debug("request", metadata: ["hb.request.method": "\(request.method)", "hb.request.path": "\(request.uri.path)"])
        }
        // Requests that matched no route are counted under "NotFound", as Hummingbird's did. Errors
        // reach here only if `ProblemMiddleware` (inside this one) could not answer them.
        do {
            let response = try await ClientAddress.$current.withValue(context.remoteAddress) { try await next(request, context) }
            metrics.record(endpoint: context.endpointPath ?? "NotFound", method: request.method, status: response.status, since: start)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status ?? .internalServerError
            metrics.record(endpoint: context.endpointPath ?? "NotFound", method: request.method, status: status, since: start)
            throw error
        }
    }
}

/// The request metrics' handles, made once per route, method and status.
final class RequestMetrics: @unchecked Sendable {
    private struct Key: Hashable {
        let endpoint: String
        let method: HTTPRequest.Method
        let status: HTTPResponse.Status
    }

    private struct Handles: Sendable {
        let requests: Counter
        let duration: Timer
        /// Only for statuses from 400 on (no series of zero errors for every route that answers 200).
        let errors: Counter?
    }

    /// Both under `lock`.
    private let lock = NSLock()
    private var handles: [Key: Handles] = [:]
    private var meters: [HTTPRequest.Method: Meter] = [:]

    /// Requests in progress, by method.
    func active(_ method: HTTPRequest.Method) -> Meter {
        lock.withLock {
            if let meter = meters[method] { return meter }
            let meter = Meter(label: "http.server.active_requests", dimensions: [("http.request.method", method.description)])
            meters[method] = meter
            return meter
        }
    }

    /// One answered request: counted, timed, and counted again as an error from status 400 on.
    func record(endpoint: String, method: HTTPRequest.Method, status: HTTPResponse.Status, since start: UInt64) {
        let key = Key(endpoint: endpoint, method: method, status: status)
        let found = lock.withLock {
            if let found = handles[key] { return found }
            let labels = [("http.route", endpoint), ("http.request.method", method.description)]
            let withStatus = labels + [("http.response.status_code", status.code.description)]
            let made = Handles(requests: Counter(label: "hb.requests", dimensions: withStatus),
                               duration: Timer(label: "http.server.request.duration", dimensions: withStatus, preferredDisplayUnit: .seconds),
                               errors: status.code >= 400
                                   ? Counter(label: "hb.request.errors", dimensions: labels + [("error.type", status.code.description)]) : nil)
            handles[key] = made
            return made
        }
        found.requests.increment()
        found.duration.recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds - start))
        found.errors?.increment()
    }
}
