import AccrueCore
import AccruePrograms
import AccrueStore
import Dispatch
import Foundation
import Hummingbird

/// The operator console: signed in with an operator key (kept as a signed session cookie that
/// names the key's hash, never the key), every form CSRF-protected. What a key may see and do is
/// what the same key may do through the API: its program, its scopes.
extension AccrueService {
    static let consoleCookie = "accrue_console"
    static let consoleSessionSeconds: Int64 = 12 * 3600

    func addConsole(to router: Router<AccrueRequestContext>) {
        router.get("/console") { request, _ in await self.console(request) { session in try await self.consoleHome(session) } }
        router.get("/console/login") { request, _ in await self.page(request) { _ in self.loginPage(message: nil) } }
        router.post("/console/login") { request, _ in await self.page(request) { _ in try await self.login(request) } }
        router.post("/console/logout") { request, _ in
            await self.console(request) { session in
                _ = try await session.form(request)
                return HTML.redirect("/console/login", cookies: [Cookie.clear(AccrueService.consoleCookie, path: "/console")])
            }
        }
        router.get("/console/programs/:program") { request, context in
            await self.console(request) { session in try await self.dashboard(session, context) }
        }
        router.get("/console/programs/:program/members") { request, context in
            await self.console(request) { session in try await self.memberLookup(session, request, context) }
        }
        router.post("/console/programs/:program/members/:member/adjust") { request, context in
            await self.console(request) { session in try await self.adjust(session, request, context) }
        }
        router.get("/console/programs/:program/bookings") { request, context in
            await self.console(request) { session in try await self.bookingQueue(session, request, context) }
        }
        router.post("/console/programs/:program/bookings/:booking/:decision") { request, context in
            await self.console(request) { session in try await self.decideBooking(session, request, context) }
        }
        router.get("/console/programs/:program/campaigns") { request, context in
            await self.console(request) { session in try await self.campaignCalendar(session, request, context) }
        }
        router.get("/console/programs/:program/file") { request, context in
            await self.console(request) { session in try await self.programFile(session, request, context, form: nil) }
        }
        router.post("/console/programs/:program/file") { request, context in
            await self.console(request) { session in try await self.programFile(session, request, context, form: try await session.form(request)) }
        }
    }

    /// A signed-in operator: the key, and the token its forms carry.
    struct ConsoleSession: Sendable {
        let key: APIKeyRecord
        let cookie: String
        let csrf: String
        let credentials: Credentials

        var hidden: String { "<input type=\"hidden\" name=\"csrf\" value=\"\(csrf)\">" }

        /// A posted form, after checking its CSRF token.
        func form(_ request: Request) async throws -> Form {
            let form = try await Form.read(request, limit: APILimits.maximumBodyBytes)
            guard credentials.checkCSRF(form["csrf"], session: cookie) else {
                throw PageRefusal(.forbidden, "This form has expired", "Reload the page and try again.")
            }
            return form
        }

        /// Refuses unless the key may act on `program` with `scope`.
        func require(_ scope: Scope, program: String) throws {
            do {
                _ = try Principal.key(key).requireKey(scope, program: program)
            } catch let problem as Problem {
                throw PageRefusal(.forbidden, "Not allowed", problem.detail)
            }
        }

        func may(_ scope: Scope, program: String) -> Bool { (try? require(scope, program: program)) != nil }
    }

    /// Runs a console handler for a signed-in operator; without a session, the sign-in page.
    func console(_ request: Request, _ body: @escaping (ConsoleSession) async throws -> Response) async -> Response {
        await page(request) { _ in
            guard let cookie = request.cookie(AccrueService.consoleCookie),
                  let key = try self.credentials.consoleKey(session: cookie, now: self.configuration.now()) else {
                if request.method == .get { return HTML.redirect("/console/login") }
                throw PageRefusal(.unauthorized, "Signed out", "Your session has ended: sign in again.",
                                  cookies: [Cookie.clear(AccrueService.consoleCookie, path: "/console")])
            }
            return try await body(ConsoleSession(key: key, cookie: cookie, csrf: self.credentials.csrfToken(session: cookie),
                                                 credentials: self.credentials))
        }
    }

    func consoleDocument(_ session: ConsoleSession?, title: String, program: ProgramHost? = nil, main: String, status: HTTPResponse.Status = .ok) -> Response {
        var header = "<a class=\"brand\" href=\"/console\">Accrue console</a>"
        if let program {
            let base = "/console/programs/\(HTML.component(program.id))"
            header += "<span class=\"who\">\(HTML.escape(program.program.name))</span><nav aria-label=\"Program\">"
            header += "<a href=\"\(base)\">Overview</a><a href=\"\(base)/members\">Members</a>"
            if !program.program.services.isEmpty { header += "<a href=\"\(base)/bookings\">Bookings</a>" }
            header += "<a href=\"\(base)/campaigns\">Campaigns</a><a href=\"\(base)/file\">Program file</a></nav>"
        }
        if let session {
            header += "<form method=\"post\" action=\"/console/logout\">\(session.hidden)<button type=\"submit\" class=\"secondary\">Sign out</button></form>"
        }
        return HTML.response(HTML.document(title: "\(title) · Accrue console", language: .en, header: header, main: main), status: status)
    }

    func loginPage(message: String?, status: HTTPResponse.Status = .ok) -> Response {
        var main = "<section class=\"card\"><h1>Sign in</h1>"
        if let message { main += "<p class=\"notice refused\" role=\"alert\">\(HTML.escape(message))</p>" }
        main += """
        <form method="post" action="/console/login" class="stack">
        <label for="key">Operator key</label>
        <input id="key" name="key" type="password" autocomplete="off" required size="60" placeholder="ak_...">
        <p class="small">A key made with POST /v1/keys, or the first key <code>accrue serve</code> printed. It is checked once; the session keeps only its hash.</p>
        <button type="submit">Sign in</button>
        </form></section>
        """
        return consoleDocument(nil, title: "Sign in", main: main, status: status)
    }

    func login(_ request: Request) async throws -> Response {
        let form = try await Form.read(request, limit: 4_096)
        let now = configuration.now()
        guard let text = form["key"]?.trimmingCharacters(in: .whitespaces), let key = try credentials.key(text: text, now: now) else {
            logger.notice("console sign-in refused")
            return loginPage(message: "That key is not valid: it is unknown or revoked.", status: .unauthorized)
        }
        let expires = Instant(milliseconds: now.milliseconds + AccrueService.consoleSessionSeconds * 1000)
        let cookie = Cookie.set(AccrueService.consoleCookie, credentials.consoleSession(keyHash: key.hash, expires: expires),
                                path: "/console", maxAge: AccrueService.consoleSessionSeconds, sameSite: "Strict")
        logger.info("console sign-in", metadata: ["key": "\(key.id)"])
        return HTML.redirect("/console", cookies: [cookie])
    }

    func consoleProgram(_ session: ConsoleSession, _ context: AccrueRequestContext, scope: Scope = .readMembers) throws -> ProgramHost {
        let id = try context.parameters.id("program")
        try session.require(scope, program: id)
        guard let host = directory.host(id) else { throw PageRefusal(.notFound, "No such program", "There is no program \(id).") }
        return host
    }

    func consoleHome(_ session: ConsoleSession) async throws -> Response {
        let hosts = directory.all.filter { session.key.program == nil || $0.id == session.key.program }
        var main = "<h1>Programs</h1><section class=\"card\"><table><thead><tr><th>Program</th><th>Id</th><th class=\"num\">Members</th><th class=\"num\">Outstanding</th><th>Value</th><th></th></tr></thead><tbody>"
        for host in hosts {
            let totals = try await host.read { ledger in LiabilityTotals(ledger.engine.state) }
            let points = host.program.points
            main += "<tr><td><a href=\"/console/programs/\(HTML.component(host.id))\">\(HTML.escape(host.program.name))</a></td><td><code>\(HTML.escape(host.id))</code></td>"
            main += "<td class=\"num\">\(HTML.points(Int64(totals.members)))</td><td class=\"num\">\(HTML.points(totals.outstanding)) \(HTML.escape(points.name))</td>"
            main += "<td>\(HTML.escape(money(totals.outstanding, host.program)))</td><td>\(directory.isRetired(host.id) ? "retired" : "")</td></tr>"
        }
        main += "</tbody></table></section>"
        return consoleDocument(session, title: "Programs", main: main)
    }

    func money(_ points: Int64, _ program: Program) -> String {
        program.points.valueMinorUnits > 0 ? "\(Money.display(minorUnits: program.points.moneyValue(of: points))) \(program.moneyCurrency)" : "no money value"
    }

    // MARK: Overview

    func dashboard(_ session: ConsoleSession, _ context: AccrueRequestContext) async throws -> Response {
        let host = try consoleProgram(session, context)
        let program = host.program
        let totals = try await host.read { ledger in LiabilityTotals(ledger.engine.state) }
        let today = program.calendar.date(of: configuration.now())
        let from = CivilDate(daysSinceEpoch: today.daysSinceEpoch - 29)
        let (days, rules) = try await dayTotals(host, from: from, to: today)
        let name = program.points.name
        var main = "<h1>\(HTML.escape(program.name))</h1><div class=\"grid\">"
        main += "<section class=\"card\"><h2>Liability</h2><dl class=\"figures\">"
        main += "<dt>Members</dt><dd data-test=\"members\">\(HTML.points(Int64(totals.members)))</dd>"
        main += "<dt>Available</dt><dd>\(HTML.points(totals.available)) \(HTML.escape(name))</dd>"
        main += "<dt>Pending</dt><dd>\(HTML.points(totals.pending))</dd><dt>Held</dt><dd>\(HTML.points(totals.held))</dd>"
        main += "<dt>Outstanding</dt><dd data-test=\"outstanding\">\(HTML.points(totals.outstanding))</dd>"
        main += "<dt>Worth</dt><dd data-test=\"outstanding-value\">\(HTML.escape(money(totals.outstanding, program)))</dd>"
        main += "<dt>Owed by members</dt><dd>\(HTML.points(totals.debt))</dd></dl>"
        main += "<p class=\"small\">Valued at the checkout rate. Reports as JSON: <code>/v1/programs/\(HTML.escape(host.id))/reports/liability</code></p></section>"
        let top = rules.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.prefix(8)
        let titles = Dictionary(program.rules.map { ($0.id, $0.title) }, uniquingKeysWith: { first, _ in first })
        main += "<section class=\"card\"><h2>Top rules, last 30 days</h2>"
        if top.isEmpty {
            main += "<p>No points awarded in the last 30 days.</p>"
        } else {
            main += "<table><thead><tr><th>Rule</th><th class=\"num\">Points awarded</th></tr></thead><tbody>"
            for (rule, points) in top {
                main += "<tr data-test=\"top-rule\"><td>\(HTML.escape(titles[rule] ?? rule)) <code>\(HTML.escape(rule))</code></td><td class=\"num\">\(HTML.points(points))</td></tr>"
            }
            main += "</tbody></table>"
        }
        main += "</section><section class=\"card\"><h2>Find a member</h2><form method=\"get\" action=\"/console/programs/\(HTML.component(host.id))/members\" class=\"stack\">"
        main += "<label for=\"member\">Member id</label><input id=\"member\" name=\"member\" required> <button type=\"submit\">Look up</button></form></section></div>"
        main += "<section class=\"card\"><h2>Earned, spent and expired per day</h2>" + Chart.daily(days) + "</section>"
        return consoleDocument(session, title: program.name, program: host, main: main)
    }

    // MARK: Members

    func memberLookup(_ session: ConsoleSession, _ request: Request, _ context: AccrueRequestContext) async throws -> Response {
        let host = try consoleProgram(session, context)
        let base = "/console/programs/\(HTML.component(host.id))"
        var main = "<h1>Members</h1><section class=\"card\"><form method=\"get\" action=\"\(base)/members\">"
        main += "<label for=\"member\">Member id</label> <input id=\"member\" name=\"member\" value=\"\(HTML.escape(request.query("member") ?? ""))\" required> "
        main += "<button type=\"submit\">Look up</button></form></section>"
        guard let member = request.query("member"), !member.isEmpty, member.count <= APILimits.maximumIDLength else {
            return consoleDocument(session, title: "Members", program: host, main: main)
        }
        let before = request.query("before").flatMap { Int64($0) }.flatMap { $0 > 0 ? $0 : nil }
        let done = request.query("done").flatMap { FormID.valid($0) ? $0 : nil }
        let now = configuration.now()
        let snapshot = try await host.read { ledger in try MemberSnapshot.read(ledger, member: member, now: now, before: before, done: done) }
        let sections = MemberSections(snapshot: snapshot, texts: Language.en.texts, hidden: session.hidden, forms: false,
                                      olderLink: { "\(base)/members?member=\(HTML.component(member))&before=\($0)#history-title" })
        main += "<h2>\(HTML.escape(member))</h2>" + sections.notice()
        if snapshot.view == nil { main += "<p class=\"notice\">\(HTML.escape(host.id)) has no member \(HTML.escape(member)) yet.</p>" }
        main += "<div class=\"grid\">" + sections.balance() + sections.expiring() + sections.tier() + "</div>"
        for other in sections.otherCurrencies() { main += "<div class=\"grid\">" + other.balance() + other.expiring() + "</div>" }
        if session.may(.writeInputs, program: host.id), !directory.isRetired(host.id) {
            main += """
            <section class="card"><h2>Adjust points</h2>
            <form method="post" action="\(base)/members/\(HTML.component(member))/adjust" class="stack">\(session.hidden)
            <input type="hidden" name="input" value="\(FormID.make())">
            <label for="points">Points (negative to take back)</label><input id="points" name="points" type="number" required step="1">
            <label for="reason">Reason (the member reads it in the history)</label><input id="reason" name="reason" required maxlength="200" size="60">
            \(currencyChoice(host.program))<p><button type="submit">Adjust</button></p></form></section>
            """
        }
        main += sections.coupons() + sections.catalogue(formID: FormID.make) + sections.booking(formID: FormID.make, quote: nil, chosen: nil)
        main += sections.history()
        return consoleDocument(session, title: member, program: host, main: main)
    }

    /// A choice of currency for a program that keeps more than its points; nothing otherwise.
    func currencyChoice(_ program: Program) -> String {
        guard !program.currencies.isEmpty else { return "" }
        let options = ([program.points] + program.currencies.map(\.points)).map { "<option value=\"\(HTML.escape($0.code))\">\(HTML.escape($0.name))</option>" }
        return "<label for=\"points_currency\">Currency</label><select id=\"points_currency\" name=\"points_currency\">\(options.joined())</select>"
    }

    func adjust(_ session: ConsoleSession, _ request: Request, _ context: AccrueRequestContext) async throws -> Response {
        let host = try consoleProgram(session, context, scope: .writeInputs)
        let member = try context.parameters.id("member")
        let form = try await session.form(request)
        let input = form["input"].flatMap { FormID.valid($0) ? $0 : nil } ?? FormID.make()
        let reason = form["reason"]?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        guard let points = form["points"].flatMap({ Int64($0.trimmingCharacters(in: .whitespaces)) }), !reason.isEmpty else {
            throw PageRefusal(.unprocessableContent, "Not adjusted", "An adjustment needs a whole number of points and a reason.")
        }
        var data: [(String, JSON)] = [("points", .number(String(points))), ("reason", .string(reason))]
        // In a program with other currencies, the form says which one (the engine refuses an unknown code).
        if let currency = form["points_currency"], currency != host.program.points.code, !currency.isEmpty {
            data.append(("points_currency", .string(currency)))
        }
        try await send(host, member: member, input: input, type: .pointsAdjusted, data: data)
        return HTML.redirect("/console/programs/\(HTML.component(host.id))/members?member=\(HTML.component(member))&done=\(input)")
    }

    // MARK: Bookings

    func bookingQueue(_ session: ConsoleSession, _ request: Request, _ context: AccrueRequestContext) async throws -> Response {
        let host = try consoleProgram(session, context)
        let done = request.query("done").flatMap { FormID.valid($0) ? $0 : nil }
        let (held, outcome) = try await host.read { ledger -> ([Booking], Outcome?) in
            let held = ledger.engine.state.bookings.values.filter { $0.status == .held }.sorted { ($0.requestedAt, $0.id) < ($1.requestedAt, $1.id) }
            let outcome = try done.flatMap { try ledger.store.inputRecords(program: ledger.program.id, ids: [$0])[$0]?.outcome }
            return (Array(held.prefix(200)), outcome)
        }
        let base = "/console/programs/\(HTML.component(host.id))"
        let decide = session.may(.writeInputs, program: host.id)
        var main = "<h1>Bookings waiting for confirmation</h1>"
        if let outcome {
            main += "<p class=\"notice \(outcome.status == .applied ? "ok" : "refused")\" role=\"status\">\(HTML.escape(outcome.reason ?? (outcome.status == .applied ? "Done." : "Refused.")))</p>"
        }
        main += "<section class=\"card\">"
        if held.isEmpty {
            main += "<p data-test=\"queue-empty\">No booking is waiting.</p>"
        } else {
            main += "<table><thead><tr><th>Booking</th><th>Member</th><th>Services</th><th class=\"num\">Points</th><th>Requested</th><th></th></tr></thead><tbody>"
            for booking in held {
                let path = "\(base)/bookings/\(HTML.component(booking.id))"
                main += "<tr data-test=\"queued-booking\" data-booking=\"\(HTML.escape(booking.id))\"><td><code>\(HTML.escape(booking.id))</code></td>"
                main += "<td><a href=\"\(base)/members?member=\(HTML.component(booking.member))\">\(HTML.escape(booking.member))</a></td>"
                main += "<td>\(HTML.escape(booking.services.joined(separator: ", ")))</td><td class=\"num\">\(HTML.points(booking.quote))</td>"
                main += "<td>\(HTML.escape(HTML.time(booking.requestedAt, host.program.calendar)))</td><td>"
                if decide {
                    main += "<form method=\"post\" action=\"\(path)/confirm\" class=\"inline\">\(session.hidden)<input type=\"hidden\" name=\"input\" value=\"\(FormID.make())\"><button type=\"submit\">Confirm</button></form> "
                    main += "<form method=\"post\" action=\"\(path)/reject\" class=\"inline\">\(session.hidden)<input type=\"hidden\" name=\"input\" value=\"\(FormID.make())\">"
                    main += "<label>Reason <input name=\"reason\" required maxlength=\"200\"></label> <button type=\"submit\" class=\"danger\">Reject</button></form>"
                }
                main += "</td></tr>"
            }
            main += "</tbody></table>"
        }
        main += "</section>"
        return consoleDocument(session, title: "Bookings", program: host, main: main)
    }

    func decideBooking(_ session: ConsoleSession, _ request: Request, _ context: AccrueRequestContext) async throws -> Response {
        let host = try consoleProgram(session, context, scope: .writeInputs)
        let bookingID = try context.parameters.id("booking")
        let decision = try context.parameters.id("decision")
        guard decision == "confirm" || decision == "reject" else { throw PageRefusal(.notFound, "No such page", "") }
        let form = try await session.form(request)
        let input = form["input"].flatMap { FormID.valid($0) ? $0 : nil } ?? FormID.make()
        let reason = form["reason"]?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        if decision == "reject", reason.isEmpty {
            throw PageRefusal(.unprocessableContent, "Not rejected", "A rejection needs a reason: the member reads it.")
        }
        guard let booking = try await host.read({ ledger in ledger.engine.state.bookings[bookingID] }) else {
            throw PageRefusal(.notFound, "No such booking", "\(host.id) has no booking \(bookingID).")
        }
        var data: [(String, JSON)] = [("booking", .string(bookingID))]
        if decision == "reject" { data.append(("reason", .string(reason))) }
        try await send(host, member: booking.member, input: input, type: decision == "confirm" ? .bookingConfirmed : .bookingRejected, data: data)
        return HTML.redirect("/console/programs/\(HTML.component(host.id))/bookings?done=\(input)")
    }

    // MARK: Campaigns

    func campaignCalendar(_ session: ConsoleSession, _ request: Request, _ context: AccrueRequestContext) async throws -> Response {
        let host = try consoleProgram(session, context)
        let program = host.program
        let today = program.calendar.date(of: configuration.now())
        var year = today.year, month = today.month
        if let text = request.query("month") {
            let parts = text.split(separator: "-")
            guard parts.count == 2, let y = Int64(parts[0]), let m = Int64(parts[1]), (1970...9999).contains(y), (1...12).contains(m) else {
                throw PageRefusal(.badRequest, "Not a month", "Give the month as 2026-11.")
            }
            (year, month) = (y, m)
        }
        let first = CivilDate(year: year, month: month, day: 1)
        let days = CivilDate.daysIn(year: year, month: month)
        let previous = first.adding(months: -1), next = first.adding(months: 1)
        let base = "/console/programs/\(HTML.component(host.id))/campaigns"
        func monthText(_ date: CivilDate) -> String { String(format: "%04d-%02d", date.year, date.month) }
        var main = "<h1>Campaigns · \(monthText(first))</h1><section class=\"card\">"
        main += "<p><a href=\"\(base)?month=\(monthText(previous))\">← \(monthText(previous))</a> · <a href=\"\(base)?month=\(monthText(next))\">\(monthText(next)) →</a></p>"
        main += "<p class=\"small\">When campaigns overlap, \(program.campaignPolicy == .highest ? "only the highest multiplier counts" : "their multipliers are multiplied together"). "
        let multiplied = program.rules.filter(\.campaignMultiplier).map(\.title)
        main += multiplied.isEmpty ? "No rule of this program is multiplied by campaigns.</p>" : "Multiplied rules: \(HTML.escape(multiplied.joined(separator: ", "))).</p>"
        main += "<div class=\"calendar\" role=\"grid\" aria-label=\"\(monthText(first))\">"
        for name in ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"] { main += "<div class=\"head\" role=\"columnheader\">\(name)</div>" }
        // 1970-01-01 was a Thursday: Monday-first weekday 3.
        let lead = Int((first.daysSinceEpoch % 7 + 7 + 3) % 7)
        for _ in 0..<lead { main += "<div class=\"day blank\"></div>" }
        for day in 1...days {
            let date = CivilDate(year: year, month: month, day: day)
            let active = program.campaigns.filter { $0.from <= date && date <= $0.to }
            main += "<div class=\"day\" role=\"gridcell\" data-day=\"\(date)\"><strong>\(day)</strong>"
            for campaign in active {
                let categories = campaign.categories.map { " (\($0.joined(separator: ", ")))" } ?? ""
                main += "<span class=\"campaign\" data-test=\"campaign\">\(HTML.escape(campaign.name)) ×\(campaign.multiplier)\(HTML.escape(categories))</span>"
            }
            main += "</div>"
        }
        main += "</div></section><section class=\"card\"><h2>All campaigns</h2>"
        if program.campaigns.isEmpty {
            main += "<p>This program has no campaigns.</p>"
        } else {
            main += "<table><thead><tr><th>Campaign</th><th>From</th><th>To</th><th>Multiplier</th><th>Categories</th></tr></thead><tbody>"
            for campaign in program.campaigns {
                main += "<tr><td>\(HTML.escape(campaign.name))</td><td>\(campaign.from)</td><td>\(campaign.to)</td><td>×\(campaign.multiplier)</td>"
                main += "<td>\(HTML.escape(campaign.categories?.joined(separator: ", ") ?? "all"))</td></tr>"
            }
            main += "</tbody></table>"
        }
        main += "</section>"
        return consoleDocument(session, title: "Campaigns", program: host, main: main)
    }

    // MARK: Program file

    func programFile(_ session: ConsoleSession, _ request: Request, _ context: AccrueRequestContext, form: Form?) async throws -> Response {
        let host = try consoleProgram(session, context)
        guard let stored = try store.program(host.id) else { throw PageRefusal(.notFound, "No such program", "") }
        let source = form?["source"] ?? stored.source
        let action = form?["action"] ?? ""
        let days = form?["days"].flatMap { Int64($0) } ?? 30
        var result = ""
        if form != nil {
            let parsed: Program?
            do {
                parsed = try parseProgram(source, as: host.id)
            } catch let problem as Problem {
                parsed = nil
                result += "<section class=\"card\" data-test=\"problems\"><h2>\(HTML.escape(problem.detail))</h2><ul class=\"problems\">"
                if case let .array(problems)? = JSON.object(problem.extensions)["problems"] {
                    for item in problems {
                        if case let .number(line)? = item["line"], case let .number(column)? = item["column"],
                           case let .string(field)? = item["field"], case let .string(message)? = item["message"] {
                            result += "<li>line \(line), column \(column), <code>\(HTML.escape(field))</code>: \(HTML.escape(message))</li>"
                        }
                    }
                }
                result += "</ul></section>"
            }
            if let parsed {
                switch action {
                case "publish":
                    try session.require(.administer, program: host.id)
                    try await publish(host, source: source)
                    return HTML.redirect("/console/programs/\(HTML.component(host.id))/file?published=\(host.version)")
                case "whatif":
                    guard (1...366).contains(days) else { throw PageRefusal(.badRequest, "Not a window", "Give 1 to 366 days.") }
                    result += try await whatIf(host, edited: parsed, days: days)
                default:
                    result += "<p class=\"notice ok\" role=\"status\" data-test=\"valid\">The file is valid: \(parsed.rules.count) rules, \(parsed.rewards.count) rewards, version \(parsed.version).</p>"
                }
            }
        }
        if let published = request.query("published") {
            result = "<p class=\"notice ok\" role=\"status\">Published: \(HTML.escape(host.id)) now runs version \(HTML.escape(published)).</p>" + result
        }
        let base = "/console/programs/\(HTML.component(host.id))/file"
        var main = "<h1>Program file · version \(host.version)</h1>" + result
        main += """
        <section class="card"><form method="post" action="\(base)" class="stack">\(session.hidden)
        <label for="source">The program file (YAML; the format is docs/PROGRAMS.md)</label>
        <textarea id="source" name="source" spellcheck="false">\(HTML.escape(source))</textarea>
        <p><button type="submit" name="action" value="validate" class="secondary">Validate</button>
        <label class="count">What-if over the last <input type="number" name="days" min="1" max="366" value="\(days)"> days</label>
        <button type="submit" name="action" value="whatif" class="secondary">Run what-if</button>
        """
        if session.may(.administer, program: host.id) {
            main += " <button type=\"submit\" name=\"action\" value=\"publish\">Publish as a new version</button>"
        }
        main += "</p></form></section>"
        return consoleDocument(session, title: "Program file", program: host, main: main)
    }

    /// The what-if report as HTML: replays the last `days` of the log under both files, off the
    /// program's queue (it reads the log only; inputs keep flowing meanwhile).
    func whatIf(_ host: ProgramHost, edited: Program, days: Int64) async throws -> String {
        let current = host.program
        let version = host.version
        let now = configuration.now()
        let store = self.store
        let report = try await Offload.run {
            try WhatIf.run(store: store, current: current, currentVersion: version, edited: edited,
                           programAt: StoredPrograms.versions(of: current, in: store), since: now.adding(days: -days), until: now)
        }
        func delta(_ a: Int64, _ b: Int64) -> String {
            let d = b - a
            return d == 0 ? "<td class=\"num\">0</td>" : "<td class=\"num \(d > 0 ? "up" : "down")\">\(d > 0 ? "+" : "")\(HTML.points(d))</td>"
        }
        var html = "<section class=\"card\" data-test=\"whatif\"><h2>What-if: the last \(days) days under the edited file</h2>"
        html += "<p>\(HTML.points(Int64(report.inputs))) inputs replayed from \(HTML.escape(HTML.time(report.since, current.calendar))); "
        html += "<strong data-test=\"changed\">\(HTML.points(Int64(report.changedCount)))</strong> would get another outcome.</p>"
        html += "<h3>Points awarded per rule</h3><table><thead><tr><th>Rule</th><th class=\"num\">Current</th><th class=\"num\">Edited</th><th class=\"num\">Difference</th></tr></thead><tbody>"
        for line in report.rules {
            html += "<tr data-test=\"whatif-rule\" data-rule=\"\(HTML.escape(line.rule))\"><td>\(HTML.escape(line.title)) <code>\(HTML.escape(line.rule))</code></td>"
            html += "<td class=\"num\">\(HTML.points(line.current))</td><td class=\"num\">\(HTML.points(line.edited))</td>\(delta(line.current, line.edited))</tr>"
        }
        html += "</tbody></table>"
        if !report.tiers.isEmpty {
            html += "<h3>Members per tier at the end</h3><table><thead><tr><th>Tier</th><th class=\"num\">Current</th><th class=\"num\">Edited</th><th class=\"num\">Difference</th></tr></thead><tbody>"
            for line in report.tiers {
                html += "<tr><td>\(HTML.escape(line.name))</td><td class=\"num\">\(line.current)</td><td class=\"num\">\(line.edited)</td>\(delta(Int64(line.current), Int64(line.edited)))</tr>"
            }
            html += "</tbody></table>"
        }
        html += "<h3>Liability at the end</h3><table><thead><tr><th></th><th class=\"num\">Current</th><th class=\"num\">Edited</th><th class=\"num\">Difference</th></tr></thead><tbody>"
        for (label, a, b) in [("Available", report.current.available, report.edited.available), ("Pending", report.current.pending, report.edited.pending),
                              ("Held", report.current.held, report.edited.held), ("Outstanding", report.current.outstanding, report.edited.outstanding)] {
            html += "<tr\(label == "Outstanding" ? " data-test=\"whatif-outstanding\"" : "")><td>\(label)</td><td class=\"num\">\(HTML.points(a))</td><td class=\"num\">\(HTML.points(b))</td>\(delta(a, b))</tr>"
        }
        html += "<tr><td>Worth</td><td class=\"num\">\(HTML.escape(money(report.current.outstanding, current)))</td><td class=\"num\">\(HTML.escape(money(report.edited.outstanding, edited)))</td><td></td></tr>"
        html += "</tbody></table>"
        if !report.changes.isEmpty {
            html += "<details><summary>Inputs with another outcome (the first \(report.changes.count))</summary><table><thead><tr><th>Input</th><th>Member</th><th>Current</th><th>Edited</th></tr></thead><tbody>"
            for change in report.changes {
                func describe(_ outcome: Outcome) -> String {
                    "\(outcome.status.rawValue) \(outcome.points >= 0 ? "+" : "")\(HTML.points(outcome.points))" + (outcome.reason.map { ": " + $0 } ?? "")
                }
                html += "<tr><td><code>\(HTML.escape(change.input))</code></td><td>\(HTML.escape(change.current.member ?? ""))</td>"
                html += "<td>\(HTML.escape(describe(change.current)))</td><td>\(HTML.escape(describe(change.edited)))</td></tr>"
            }
            html += "</tbody></table></details>"
        }
        return html + "</section>"
    }
}

/// Runs blocking work (store reads, replays) on a dispatch queue, never on Swift's cooperative threads.
enum Offload {
    static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
        }
    }
}

/// A server-drawn SVG chart of points earned, spent and expired per day.
enum Chart {
    static func daily(_ days: [(CivilDate, DayTotals)]) -> String {
        let width = 720, height = 220, left = 56, bottom = 28, top = 10
        let series: [(String, String, (DayTotals) -> Int64)] = [
            ("earned", "#1b7a3a", { $0.earned + $0.pending }), ("spent", "#0b5fff", { $0.spent }), ("expired", "#b3261e", { $0.expired }),
        ]
        let highest = max(1, days.map { day in series.map { $0.2(day.1) }.max() ?? 0 }.max() ?? 1)
        let plotHeight = height - bottom - top
        let slot = Double(width - left) / Double(max(1, days.count))
        let bar = max(1.0, slot / 4)
        var svg = "<svg class=\"chart\" viewBox=\"0 0 \(width) \(height)\" role=\"img\" aria-label=\"Points earned, spent and expired per day\" xmlns=\"http://www.w3.org/2000/svg\">"
        for step in 0...4 {
            let value = highest * Int64(step) / 4
            let y = top + plotHeight - Int(Double(plotHeight) * Double(step) / 4)
            svg += "<line x1=\"\(left)\" x2=\"\(width)\" y1=\"\(y)\" y2=\"\(y)\" stroke=\"#d9dde5\"/>"
            svg += "<text x=\"\(left - 6)\" y=\"\(y + 4)\" font-size=\"11\" text-anchor=\"end\" fill=\"#5b6475\">\(formatPoints(value))</text>"
        }
        for (index, (date, totals)) in days.enumerated() {
            let x0 = Double(left) + Double(index) * slot + slot / 8
            for (position, (name, color, value)) in series.enumerated() {
                let amount = value(totals)
                guard amount > 0 else { continue }
                let h = max(1, Int(Double(plotHeight) * Double(amount) / Double(highest)))
                let x = x0 + Double(position) * bar
                svg += "<rect x=\"\(String(format: "%.1f", x))\" y=\"\(top + plotHeight - h)\" width=\"\(String(format: "%.1f", bar))\" height=\"\(h)\" fill=\"\(color)\" data-series=\"\(name)\" data-day=\"\(date)\"><title>\(date) \(name): \(formatPoints(amount))</title></rect>"
            }
            // A label every 7 days, counted back from the last day (which always has one).
            if (days.count - 1 - index) % 7 == 0 {
                svg += "<text x=\"\(String(format: "%.1f", x0))\" y=\"\(height - 8)\" font-size=\"11\" fill=\"#5b6475\">\(String(date.description.dropFirst(5)))</text>"
            }
        }
        svg += "</svg>"
        var table = "<details><summary>The figures</summary><table><thead><tr><th>Day</th><th class=\"num\">Earned</th><th class=\"num\">Spent</th><th class=\"num\">Expired</th></tr></thead><tbody>"
        for (date, totals) in days.reversed() where totals.earned + totals.pending + totals.spent + totals.expired > 0 {
            table += "<tr data-test=\"day\"><td>\(date)</td><td class=\"num\">\(formatPoints(totals.earned + totals.pending))</td><td class=\"num\">\(formatPoints(totals.spent))</td><td class=\"num\">\(formatPoints(totals.expired))</td></tr>"
        }
        table += "</tbody></table></details>"
        let legend = "<p class=\"legend\"><span><i class=\"earned\"></i>earned</span><span><i class=\"spent\"></i>spent</span><span><i class=\"expired\"></i>expired</span></p>"
        return svg + legend + table
    }
}
