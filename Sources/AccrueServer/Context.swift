import Hummingbird
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
/// `ClientAddressMiddleware` for the duration of each request.
enum ClientAddress {
    @TaskLocal static var current: String = "local"
}

struct ClientAddressMiddleware: RouterMiddleware {
    typealias Context = AccrueRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let address = context.remoteAddress?.ipAddress ?? "local"
        return try await ClientAddress.$current.withValue(address) { try await next(request, context) }
    }
}
