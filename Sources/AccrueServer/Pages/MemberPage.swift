import AccrueCore
import AccrueStore
import Foundation
import HTTPTypes
import Hummingbird

/// The member page: a shopper opens `/me?token=mt_...` from a link the shop's backend made with a
/// member token. The token moves into an HttpOnly cookie and the browser is sent to `/me`, so it
/// leaves the address bar and the history. The page shows that member only; its forms (claim a
/// reward, book and cancel services) send inputs like the API does, idempotent by a form id.
extension AccrueService {
    static let memberCookie = "accrue_member"

    /// Whether a route path is one of the pages for people (HTML with cookie sessions) rather than
    /// the JSON API the OpenAPI document describes.
    public static func isPage(_ path: String) -> Bool {
        let first = path.split(separator: "/").first ?? ""
        return first == "me" || first == "console" || first == "assets"
    }

    func addMemberPage(to router: Router<AccrueRequestContext>) {
        router.get("/me") { request, _ in await self.page(request) { language in try await self.memberPage(request, language) } }
        router.post("/me/claim") { request, _ in await self.page(request) { language in try await self.memberClaim(request, language) } }
        router.post("/me/draws") { request, _ in
            await self.page(request) { language in
                try await self.memberSend(request, language, type: .drawEntered, fields: [("draw", .text), ("entries", .number)])
            }
        }
        router.post("/me/transfers") { request, _ in
            await self.page(request) { language in
                try await self.memberSend(request, language, type: .pointsTransferred, fields: [("transfer", .text), ("points", .number)])
            }
        }
        router.post("/me/gift") { request, _ in
            await self.page(request) { language in
                try await self.memberSend(request, language, type: .rewardGifted, fields: [("code", .text), ("to", .text)])
            }
        }
        router.post("/me/bookings") { request, _ in await self.page(request) { language in try await self.memberBooking(request, language) } }
        router.post("/me/bookings/quote") { request, _ in try await self.memberQuote(request) }
        router.post("/me/bookings/:booking/cancel") { request, context in
            await self.page(request) { language in try await self.memberCancel(request, context, language) }
        }
        router.get("/assets/accrue.css") { _, _ in Assets.response(Assets.css, type: "text/css; charset=utf-8") }
        router.get("/assets/accrue.js") { _, _ in Assets.response(Assets.script, type: "text/javascript; charset=utf-8") }
    }

    /// Runs a page handler; any refusal or failure becomes a page in the visitor's language.
    func page(_ request: Request, _ body: (Language) async throws -> Response) async -> Response {
        let language = Language.of(request)
        var cookies: [String] = []
        if request.query("lang").flatMap(Language.init(rawValue:)) != nil { cookies.append(language.cookieHeader) }
        do {
            var response = try await body(language)
            for cookie in cookies { response.headers.append(HTTPField(name: .setCookie, value: cookie)) }
            return response
        } catch let refusal as PageRefusal {
            return errorPage(language, status: refusal.status, title: refusal.title, detail: refusal.detail, cookies: cookies + refusal.cookies)
        } catch let problem as Problem {
            return errorPage(language, status: problem.status, title: problem.title, detail: problem.detail, cookies: cookies)
        } catch {
            logger.error("page failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            return errorPage(language, status: .internalServerError, title: language.texts.failed, detail: "", cookies: cookies)
        }
    }

    func errorPage(_ language: Language, status: HTTPResponse.Status, title: String, detail: String, cookies: [String] = []) -> Response {
        let main = "<section class=\"card\"><h1>\(HTML.escape(title))</h1>\(detail.isEmpty ? "" : "<p>\(HTML.escape(detail))</p>")</section>"
        return HTML.response(HTML.document(title: title, language: language, header: "<span class=\"brand\">Accrue</span>", main: main),
                             status: status, cookies: cookies)
    }

    /// The member a page request is for: the token in the cookie, checked on every request.
    func memberSession(_ request: Request, _ language: Language) throws -> (host: ProgramHost, member: String, session: String) {
        let texts = language.texts
        guard let session = request.cookie(AccrueService.memberCookie) else {
            throw PageRefusal(.unauthorized, texts.linkInvalid, texts.sessionExpired)
        }
        let now = configuration.now()
        try credentials.checkAttempts(now: now)
        guard let (program, member) = credentials.verifyToken(session, now: now) else {
            credentials.failed(now: now)
            throw PageRefusal(.unauthorized, texts.linkInvalid, texts.sessionExpired, cookies: [Cookie.clear(AccrueService.memberCookie, path: "/me")])
        }
        guard let host = directory.host(program) else { throw PageRefusal(.notFound, texts.notFound, "") }
        return (host, member, session)
    }

    func memberPage(_ request: Request, _ language: Language) async throws -> Response {
        let texts = language.texts
        if let token = request.query("token") {
            let now = configuration.now()
            try credentials.checkAttempts(now: now)
            guard token.hasPrefix("mt_"), credentials.verifyToken(token, now: now) != nil,
                  let payload = token.dropFirst(3).split(separator: ".").first.flatMap({ Credentials.unbase64url(String($0)) }),
                  case let .number(exp)? = (try? JSONReader.parse(payload))?["exp"], let expires = Int64(exp) else {
                credentials.failed(now: now)
                throw PageRefusal(.unauthorized, texts.linkInvalid, texts.linkInvalidDetail)
            }
            let cookie = Cookie.set(AccrueService.memberCookie, token, path: "/me", maxAge: (expires - now.milliseconds) / 1000, sameSite: "Lax")
            return HTML.redirect("/me", cookies: [cookie])
        }
        return try await renderMemberPage(request, language, quote: nil, chosen: nil)
    }

    func renderMemberPage(_ request: Request, _ language: Language, quote: String?, chosen: Form?) async throws -> Response {
        let (host, member, session) = try memberSession(request, language)
        let texts = language.texts
        let before = request.query("before").flatMap { Int64($0) }.flatMap { $0 > 0 ? $0 : nil }
        let done = request.query("done").flatMap { FormID.valid($0) ? $0 : nil }
        let now = configuration.now()
        let snapshot = try await host.read { ledger in try MemberSnapshot.read(ledger, member: member, now: now, before: before, done: done) }
        let hidden = "<input type=\"hidden\" name=\"csrf\" value=\"\(credentials.csrfToken(session: session))\">"
        let sections = MemberSections(snapshot: snapshot, texts: texts, hidden: hidden, forms: !directory.isRetired(host.id),
                                      olderLink: { "/me?before=\($0)#history-title" })
        var main = sections.notice()
        if directory.isRetired(host.id) { main += "<p class=\"notice refused\">\(HTML.escape(texts.retired))</p>" }
        if snapshot.view == nil { main += "<p class=\"notice\">\(HTML.escape(texts.noMember))</p>" }
        main += "<div class=\"grid\">" + sections.balance() + sections.expiring() + sections.tier() + "</div>"
        // Each other currency the program keeps (coins beside points) on its own.
        for other in sections.otherCurrencies() { main += "<div class=\"grid\">" + other.balance() + other.expiring() + "</div>" }
        main += sections.coupons()
        main += sections.catalogue(formID: FormID.make)
        main += sections.booking(formID: FormID.make, quote: quote, chosen: chosen)
        main += sections.draws(formID: FormID.make)
        main += sections.transfers(formID: FormID.make)
        main += sections.history()
        let header = "<span class=\"brand\">\(HTML.escape(snapshot.program.name))</span> <span class=\"who\">\(HTML.escape(member))</span>"
            + languageSwitch(language, path: "/me")
        return HTML.response(HTML.document(title: "\(texts.memberPage) · \(snapshot.program.name)", language: language, header: header,
                                           main: main, script: !snapshot.program.services.isEmpty))
    }

    func languageSwitch(_ language: Language, path: String) -> String {
        "<nav class=\"lang\" aria-label=\"Language\">" + Language.allCases.map { other in
            other == language ? "<strong lang=\"\(other.tag)\">\(other.label)</strong>"
                : "<a href=\"\(path)?lang=\(other.rawValue)\" lang=\"\(other.tag)\" hreflang=\"\(other.tag)\">\(other.label)</a>"
        }.joined(separator: " · ") + "</nav>"
    }

    /// A member form's session, after checking its CSRF token and that the program takes inputs.
    func memberForm(_ request: Request, _ language: Language) async throws -> (host: ProgramHost, member: String, form: Form, input: String) {
        let (host, member, session) = try memberSession(request, language)
        let form = try await Form.read(request)
        guard credentials.checkCSRF(form["csrf"], session: session) else {
            throw PageRefusal(.forbidden, language.texts.formExpired, "")
        }
        guard !directory.isRetired(host.id) else { throw PageRefusal(.conflict, language.texts.retired, "") }
        let input = form["input"].flatMap { FormID.valid($0) ? $0 : nil } ?? FormID.make()
        return (host, member, form, input)
    }

    /// Sends one input made by a page and shows the page with its outcome.
    func sendFromPage(_ host: ProgramHost, member: String, input: String, type: InputType, data: [(String, JSON)]) async throws -> Response {
        try await send(host, member: member, input: input, type: type, data: data)
        return HTML.redirect("/me?done=\(HTML.component(input))")
    }

    /// Sends one input a page's form made, at the server's time, through the same path as the API;
    /// the page it answers with shows the outcome (`?done=`).
    func send(_ host: ProgramHost, member: String, input: String, type: InputType, data: [(String, JSON)]) async throws {
        guard !directory.isRetired(host.id) else { throw PageRefusal(.conflict, "Retired", "\(host.id) is retired: it takes no more inputs.") }
        let envelope = JSON.object([("id", .string(input)), ("type", .string(type.rawValue)), ("member", .string(member)),
                                    ("at", .string(configuration.now().rfc3339)), ("data", .object(data))])
        _ = try await apply(host, [Array(envelope.canonical.utf8)])
    }

    enum FieldKind { case text, number }

    /// A member form that sends one input made of form fields: text as strings, numbers as whole
    /// numbers (a number that is not one is sent as text and refused by the input's own checks).
    func memberSend(_ request: Request, _ language: Language, type: InputType, fields: [(String, FieldKind)]) async throws -> Response {
        let (host, member, form, input) = try await memberForm(request, language)
        let data: [(String, JSON)] = fields.map { name, kind in
            let text = form[name]?.trimmingCharacters(in: .whitespaces) ?? ""
            if kind == .number, let number = Int64(text) { return (name, .number(String(number))) }
            return (name, .string(text))
        }
        return try await sendFromPage(host, member: member, input: input, type: type, data: data)
    }

    func memberClaim(_ request: Request, _ language: Language) async throws -> Response {
        let (host, member, form, input) = try await memberForm(request, language)
        guard let reward = form["reward"], !reward.isEmpty else { throw PageRefusal(.badRequest, language.texts.notFound, "") }
        return try await sendFromPage(host, member: member, input: input, type: .rewardClaimed, data: [("reward", .string(reward))])
    }

    /// The services a booking form chose, as the `services` list of a `booking.requested` input.
    static func services(from form: Form, program: Program) -> [JSON] {
        form.all("service").compactMap { id -> JSON? in
            guard let service = program.services.first(where: { $0.id == id }) else { return .object([("service", .string(id))]) }
            var fields: [(String, JSON)] = [("service", .string(id))]
            if let unit = service.unit {
                let text = form["\(id).\(unit)"]?.trimmingCharacters(in: .whitespaces) ?? "1"
                fields.append((unit, .number(Int64(text).map(String.init) ?? "0")))
            }
            if service.airports != nil, let airport = form["\(id).airport"] { fields.append(("airport", .string(airport))) }
            return .object(fields)
        }
    }

    func memberBooking(_ request: Request, _ language: Language) async throws -> Response {
        let (host, member, form, input) = try await memberForm(request, language)
        let services = AccrueService.services(from: form, program: host.program)
        if form["action"] == "quote" {
            let text = await quoteText(host, services: services, language: language)
            return try await renderMemberPage(request, language, quote: text, chosen: form)
        }
        guard !services.isEmpty else {
            return try await renderMemberPage(request, language, quote: language.texts.chooseOneService, chosen: form)
        }
        let booking = "b-" + input.dropFirst(FormID.prefix.count)
        return try await sendFromPage(host, member: member, input: input, type: .bookingRequested,
                                      data: [("booking", .string(booking)), ("services", .array(services))])
    }

    /// The quote for a choice, as a sentence: the points, or why the choice cannot be booked.
    func quoteText(_ host: ProgramHost, services: [JSON], language: Language) async -> String {
        guard !services.isEmpty else { return language.texts.chooseOneService }
        switch try? await quote(host, services: .array(services)) {
        case let .success(points)?: return language.texts.quoteText(HTML.points(points), host.program.points.name)
        case let .failure(reason)?: return reason.message
        case nil: return language.texts.failed
        }
    }

    /// The live quote the page's script asks for as the choice changes (the same form fields).
    func memberQuote(_ request: Request) async throws -> Response {
        let language = Language.of(request)
        let host: ProgramHost
        do {
            host = try memberSession(request, language).host
        } catch let refusal as PageRefusal {
            throw Problem(refusal.status, "unauthenticated", refusal.detail)
        }
        let form = try await Form.read(request)
        let text = await quoteText(host, services: AccrueService.services(from: form, program: host.program), language: language)
        return Reply.json(.object([("quote", .string(text))]))
    }

    func memberCancel(_ request: Request, _ context: AccrueRequestContext, _ language: Language) async throws -> Response {
        let (host, member, _, input) = try await memberForm(request, language)
        let booking = try context.parameters.id("booking")
        return try await sendFromPage(host, member: member, input: input, type: .bookingCancelled, data: [("booking", .string(booking))])
    }
}

/// A refusal shown as a page.
struct PageRefusal: Error {
    var status: HTTPResponse.Status
    var title: String
    var detail: String
    var cookies: [String] = []

    init(_ status: HTTPResponse.Status, _ title: String, _ detail: String, cookies: [String] = []) {
        self.status = status
        self.title = title
        self.detail = detail
        self.cookies = cookies
    }
}

/// Input ids for forms: made when the page is drawn, so sending a form twice (a double click, a
/// reload) is a replay of one input, never two.
enum FormID {
    static let prefix = "web-"

    static func make() -> String { prefix + Credentials.randomHex(bytes: 10) }

    static func valid(_ text: String) -> Bool {
        text.hasPrefix(prefix) && text.count == prefix.count + 20 && text.dropFirst(prefix.count).allSatisfy(\.isHexDigit)
    }
}
