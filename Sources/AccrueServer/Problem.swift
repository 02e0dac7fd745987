import AccrueCore
import Foundation
import Hummingbird

/// An error answered as `application/problem+json` (RFC 9457). `code` is stable: integrations match
/// on it; `detail` is a sentence for people. Extra members (an input's outcome, a program file's
/// problems) go in `extensions`.
public struct Problem: Error, HTTPResponseError, Sendable {
    public var status: HTTPResponse.Status
    public var code: String
    public var title: String
    public var detail: String
    public var extensions: [(String, JSON)]
    /// Seconds to wait, sent as `Retry-After` (for 429).
    public var retryAfter: Int?

    public init(_ status: HTTPResponse.Status, _ code: String, _ detail: String, extensions: [(String, JSON)] = [], retryAfter: Int? = nil) {
        self.status = status
        self.code = code
        self.title = status.reasonPhrase
        self.detail = detail
        self.extensions = extensions
        self.retryAfter = retryAfter
    }

    public var document: JSON {
        .object([
            ("type", .string("https://accrue.dev/problems/\(code)")),
            ("title", .string(title)),
            ("status", .number(String(status.code))),
            ("code", .string(code)),
            ("detail", .string(detail)),
        ] + extensions)
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/problem+json"
        if status == .unauthorized { headers[.wwwAuthenticate] = "Bearer" }
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: document.canonical)))
    }

    // The refusals every route can give.
    static func unauthenticated() -> Problem {
        Problem(.unauthorized, "unauthenticated", "send an operator key or a member token as 'Authorization: Bearer <token>'")
    }
    static func invalidCredential() -> Problem {
        Problem(.unauthorized, "invalid_credential", "the key or token is not valid: it is unknown, revoked, expired or altered")
    }
    static func forbidden(_ detail: String) -> Problem { Problem(.forbidden, "forbidden", detail) }
    static func badRequest(_ code: String, _ detail: String) -> Problem { Problem(.badRequest, code, detail) }
    static func notFound(_ code: String, _ detail: String) -> Problem { Problem(.notFound, code, detail) }
}

/// Turns every error into a problem document: the router's own (no such route, body too large),
/// and anything unexpected, which is logged and answered as a 500 without internals.
struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    let routes: RouteTable

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let problem as Problem {
            return try problem.response(from: request, context: context)
        } catch let error as HTTPResponseError {
            let problem: Problem
            switch error.status {
            case .notFound:
                let allowed = routes.methods(for: request.uri.path)
                if allowed.isEmpty {
                    problem = Problem(.notFound, "no_such_route", "there is no \(request.method) \(request.uri.path); see /openapi.json")
                } else {
                    var response = try Problem(.methodNotAllowed, "method_not_allowed",
                                               "\(request.uri.path) takes \(allowed.joined(separator: ", ")), not \(request.method)")
                        .response(from: request, context: context)
                    response.headers[.allow] = allowed.joined(separator: ", ")
                    return response
                }
            case .methodNotAllowed: problem = Problem(.methodNotAllowed, "method_not_allowed", "\(request.method) is not allowed on \(request.uri.path)")
            case .contentTooLarge: problem = Problem(.contentTooLarge, "body_too_large", "the request body is larger than this route accepts")
            default: problem = Problem(error.status, "http_\(error.status.code)", error.status.reasonPhrase)
            }
            return try problem.response(from: request, context: context)
        } catch {
            context.logger.error("unexpected error", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            return try Problem(.internalServerError, "internal_error", "the server failed to answer; nothing was changed unless a later read shows it")
                .response(from: request, context: context)
        }
    }
}

/// The routes served, to tell "no such path" (404) from "not this method" (405).
final class RouteTable: @unchecked Sendable {
    private var templates: [(method: String, segments: [Substring])] = []

    func fill(_ routes: [(method: String, path: String)]) {
        templates = routes.map { ($0.method, $0.path.split(separator: "/")) }
    }

    /// The methods a concrete path may be used with.
    func methods(for path: String) -> [String] {
        let segments = path.split(separator: "/")
        return templates.filter { template in
            template.segments.count == segments.count
                && zip(template.segments, segments).allSatisfy { $0.hasPrefix("{") || $0.hasPrefix(":") || $0 == $1 }
        }.map(\.method).sorted()
    }
}
