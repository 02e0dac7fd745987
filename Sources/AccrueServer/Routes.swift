import AccrueCore
import AccruePrograms
import AccrueStore
import Foundation
import Hummingbird
import Logging

/// The HTTP API. `openapi.yaml` documents every route here; a test checks that the two list the
/// same routes, and schemathesis checks the answers against the document.
extension AccrueService {
    func addRoutes(to router: Router<AccrueRequestContext>) {
        router.get("/health") { _, _ in Reply.json(.object([("status", .string("ok"))])) }
        router.get("/ready") { _, _ in try await self.ready() }
        router.get("/metrics") { _, _ in
            Reply.bytes(ByteBuffer(string: self.metrics.text()), type: "text/plain; version=0.0.4")
        }
        router.get("/openapi.json") { _, _ in Reply.bytes(ByteBuffer(string: OpenAPIDocument.json)) }

        router.get("/v1/programs") { request, _ in try await self.listPrograms(request) }
        router.post("/v1/programs") { request, _ in try await self.createProgram(request) }
        router.get("/v1/programs/:program") { request, context in try await self.getProgram(request, context) }
        router.put("/v1/programs/:program") { request, context in try await self.changeProgram(request, context) }
        router.post("/v1/programs/:program/retire") { request, context in try await self.retireProgram(request, context) }

        router.post("/v1/programs/:program/inputs") { request, context in try await self.postInput(request, context) }
        router.post("/v1/programs/:program/batches") { request, context in try await self.postBatch(request, context) }
        router.get("/v1/programs/:program/inputs/:input") { request, context in try await self.why(request, context) }

        router.get("/v1/programs/:program/members/:member") { request, context in
            let (host, member) = try await self.memberAccess(request, context)
            return try await self.memberView(host, member)
        }
        router.get("/v1/programs/:program/members/:member/history") { request, context in
            let (host, member) = try await self.memberAccess(request, context)
            return try await self.history(host, member, request)
        }
        router.post("/v1/programs/:program/members/:member/token") { request, context in try await self.mintToken(request, context) }
        router.get("/v1/me") { request, _ in
            let (host, member) = try self.tokenMember(request)
            return try await self.memberView(host, member)
        }
        router.get("/v1/me/history") { request, _ in
            let (host, member) = try self.tokenMember(request)
            return try await self.history(host, member, request)
        }

        router.post("/v1/programs/:program/checkout/quote") { request, context in try await self.checkoutQuote(request, context) }
        router.get("/v1/programs/:program/catalogue") { request, context in try await self.catalogue(request, context) }
        router.post("/v1/programs/:program/bookings/quote") { request, context in try await self.bookingQuote(request, context) }
        router.get("/v1/programs/:program/bookings") { request, context in try await self.bookings(request, context) }
        router.get("/v1/programs/:program/draws/:draw") { request, context in try await self.drawProof(request, context) }
        router.post("/v1/programs/:program/draws/:draw/commit") { request, context in try await self.commitDraw(request, context) }

        router.get("/v1/programs/:program/reports/liability") { request, context in try await self.liability(request, context) }
        router.get("/v1/programs/:program/reports/daily") { request, context in try await self.daily(request, context) }

        router.post("/v1/programs/:program/webhooks") { request, context in try await self.createWebhook(request, context) }
        router.get("/v1/programs/:program/webhooks") { request, context in try await self.listWebhooks(request, context) }
        router.delete("/v1/programs/:program/webhooks/:webhook") { request, context in try await self.deleteWebhook(request, context) }

        router.post("/v1/keys") { request, _ in try await self.createKey(request) }
        // Pages for people (not in the API document): the member page and the operator console.
        addMemberPage(to: router)
        addConsole(to: router)
        router.get("/v1/keys") { request, _ in try await self.listKeys(request) }
        router.delete("/v1/keys/:key") { request, context in try await self.revokeKey(request, context) }
    }

    // MARK: Access

    func principal(_ request: Request) throws -> Principal {
        try credentials.authenticate(request, now: configuration.now())
    }

    /// The program a route names, after checking that the caller may use it with `scope` (nil:
    /// any operator key of the program, or a member token of the program).
    func program(_ request: Request, _ context: AccrueRequestContext, scope: Scope?) throws -> (ProgramHost, Principal) {
        let principal = try principal(request)
        let id = try context.parameters.id("program")
        if let scope { _ = try principal.requireKey(scope, program: id) } else { try principal.mayRead(program: id) }
        guard let host = directory.host(id) else { throw Problem.notFound("program_not_found", "there is no program \(id)") }
        return (host, principal)
    }

    func memberAccess(_ request: Request, _ context: AccrueRequestContext) async throws -> (ProgramHost, String) {
        let principal = try principal(request)
        let id = try context.parameters.id("program")
        let member = try context.parameters.id("member")
        try principal.requireMemberRead(program: id, member: member)
        guard let host = directory.host(id) else { throw Problem.notFound("program_not_found", "there is no program \(id)") }
        return (host, member)
    }

    func tokenMember(_ request: Request) throws -> (ProgramHost, String) {
        guard case let .member(program, member) = try principal(request) else {
            throw Problem.forbidden("/v1/me is for member tokens; operator keys read /v1/programs/{program}/members/{member}")
        }
        guard let host = directory.host(program) else { throw Problem.notFound("program_not_found", "there is no program \(program)") }
        return (host, member)
    }

    func ready() async throws -> Response {
        do {
            let count = try store.programs().count
            return Reply.json(.object([("status", .string("ready")), ("programs", .number(String(count)))]))
        } catch {
            throw Problem(.serviceUnavailable, "store_unavailable", "the database cannot be read")
        }
    }

    // MARK: Programs

    func summary(_ host: ProgramHost, source: Bool = false) throws -> JSON {
        let program = host.program
        var fields: [(String, JSON)] = [
            ("id", .string(program.id)),
            ("name", .string(program.name)),
            ("version", .number(String(host.version))),
            ("currency", .string(program.moneyCurrency)),
            ("points", .string(program.points.code)),
            ("points_name", .string(program.points.name)),
            ("time_zone", .string(program.calendar.identifier)),
            ("retired", .bool(directory.isRetired(program.id))),
        ]
        if source, let stored = try store.program(program.id) {
            fields.append(("base", .string(stored.base)))
            fields.append(("source", .string(stored.source)))
        }
        return .object(fields)
    }

    func listPrograms(_ request: Request) async throws -> Response {
        let principal = try principal(request)
        guard case let .key(key) = principal else { throw Problem.forbidden("listing programs needs an operator key") }
        let hosts = directory.all.filter { key.program == nil || $0.id == key.program }
        return Reply.json(.object([("programs", .array(try hosts.map { try summary($0) }))]))
    }

    func getProgram(_ request: Request, _ context: AccrueRequestContext) async throws -> Response {
        let (host, principal) = try program(request, context, scope: nil)
        guard case .key = principal else { throw Problem.forbidden("reading a program needs an operator key") }
        return Reply.json(try summary(host, source: true))
    }

    /// Parses a program file's text for `id`, or a 422 naming each problem's line and field.
    func parseProgram(_ source: String, as id: String?) throws -> Program {
        do {
            let program = try ProgramFile.parse(source, file: "program")
            guard let id, id != program.id else { return program }
            return program.instance(id: id)
        } catch let error as ProgramFileError {
            throw Problem(.unprocessableContent, "invalid_program", "the program file has \(error.problems.count) problem(s)",
                          extensions: [("problems", .array(error.problems.map { problem in
                              .object([("line", .number(String(problem.line))), ("column", .number(String(problem.column))),
                                       ("field", .string(problem.field)), ("message", .string(problem.message))])
                          }))])
        }
    }

    func createProgram(_ request: Request) async throws -> Response {
        _ = try principal(request).requireKey(.administer, program: nil)
        let body = try await Body.read(request)
        try body.allow(["id", "preset", "source", "name"])
        let id = try body.requiredString("id", maxLength: 64)
        guard id.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "_" }) else {
            throw Problem(.unprocessableContent, "invalid_field", "the program id must be lower-case letters, digits, '-' and '_'")
        }
        let preset = try body.string("preset", required: false, maxLength: 64)
        let given = try body.string("source", required: false, maxLength: APILimits.maximumBodyBytes)
        guard (preset == nil) != (given == nil) else {
            throw Problem(.unprocessableContent, "invalid_field", "give either 'preset' (a preset's name) or 'source' (a program file's text)")
        }
        var text: String
        if let preset {
            guard !preset.contains("/"), let path = Presets.path(of: preset), let presetText = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw Problem(.unprocessableContent, "unknown_preset", "there is no preset \(preset); presets: \(Presets.names().joined(separator: ", "))")
            }
            text = presetText
        } else {
            text = given!
        }
        if let name = try body.string("name", required: false, maxLength: 100) {
            // The instance's own name is part of its stored file, so every server and replay sees
            // it: the one top-level `name:` line is replaced, nothing else.
            var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            guard let index = lines.firstIndex(where: { $0.hasPrefix("name:") }) else {
                throw Problem(.unprocessableContent, "invalid_field", "the program file has no top-level 'name:' line to replace")
            }
            lines[index] = "name: " + JSON.string(name).canonical
            text = lines.joined(separator: "\n")
        }
        let parsed = try parseProgram(text, as: nil)
        let base = parsed.id
        let program = base == id ? parsed : parsed.instance(id: id)
        // Created only if new, in one step: of two servers creating one id at once, one gets 409.
        guard try store.create(StoredProgram(id: id, base: base, version: program.version, source: text)) else {
            throw Problem(.conflict, "program_exists", "a program \(id) exists; change it with PUT")
        }
        guard let stored = try store.program(id) else { throw Problem(.conflict, "program_exists", "a program \(id) exists") }
        let host = try directory.makeHost(for: stored)
        directory.add(host)
        logger.info("program created", metadata: ["program": "\(id)", "base": "\(base)"])
        return Reply.json(try summary(host, source: true), status: .created)
    }

    func changeProgram(_ request: Request, _ context: AccrueRequestContext) async throws -> Response {
        let (host, _) = try program(request, context, scope: .administer)
        let body = try await Body.read(request)
        try body.allow(["source"])
        let source = try body.requiredString("source", maxLength: APILimits.maximumBodyBytes)
        try await publish(host, source: source)
        return Reply.json(try summary(host, source: true))
    }

    /// Stores a program file's text as the program's next version (nothing when the text is the
    /// current one) and serves it from now on.
    func publish(_ host: ProgramHost, source: String) async throws {
        let program = try parseProgram(source, as: host.id)
        guard let before = try store.program(host.id) else { throw Problem.notFound("program_not_found", "there is no program \(host.id)") }
        try store.register(StoredProgram(id: host.id, base: before.base, version: program.version, source: source))
        guard let stored = try store.program(host.id) else { throw Problem.notFound("program_not_found", "there is no program \(host.id)") }
        if stored.version != host.version {
            try await host.replace(with: try directory.makeLedger(for: stored), version: stored.version)
            logger.info("program changed", metadata: ["program": "\(host.id)", "version": "\(stored.version)"])
        }
    }

    func retireProgram(_ request: Request, _ context: AccrueRequestContext) async throws -> Response {
        let (host, _) = try program(request, context, scope: .administer)
        try store.setRetired(program: host.id, true)
        directory.setRetired(host.id, true)
        logger.info("program retired", metadata: ["program": "\(host.id)"])
        return Reply.json(try summary(host))
    }

    // MARK: Inputs

    func writable(_ request: Request, _ context: AccrueRequestContext) throws -> ProgramHost {
        let (host, _) = try program(request, context, scope: .writeInputs)
        guard !directory.isRetired(host.id) else {
            throw Problem(.conflict, "program_retired", "\(host.id) is retired: it takes no more inputs; its members can still be read")
        }
        return host
    }

    /// Applies inputs durably and answers each: a resent input gets its first outcome again.
    func apply(_ host: ProgramHost, _ lines: [[UInt8]]) async throws -> [(outcome: Outcome, replayed: Bool)] {
        let results = try await host.ingest(lines)
        var counts: [String: Int] = [:]
        for result in results { counts[result.replayed ? "replayed" : result.outcome.status.rawValue, default: 0] += 1 }
        for (status, count) in counts { metrics.inputs(program: host.id, status: status, count: count) }
        // One line per request at info (with the input id when it holds one input); every input at debug.
        logger.info("inputs", metadata: ["program": "\(host.id)", "count": "\(results.count)",
                                         "input": "\(results.count == 1 ? results[0].outcome.id ?? "-" : "-")",
                                         "statuses": "\(counts.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ","))"])
        if logger.logLevel <= .debug {
            for result in results {
                logger.debug("input", metadata: ["program": "\(host.id)", "input": "\(result.outcome.id ?? "-")",
                                                 "status": "\(result.replayed ? "replayed" : result.outcome.status.rawValue)",
                                                 "points": "\(result.outcome.points)", "code": "\(result.outcome.code?.rawValue ?? "-")"])
            }
        }
        return results
    }

    /// An outcome as answered: its fields and whether it is the first outcome of an input sent again.
    struct OutcomeAnswer {
        var outcome: Outcome
        var replayed: Bool

        init(_ result: (outcome: Outcome, replayed: Bool)) {
            outcome = result.outcome
            replayed = result.replayed
        }

        /// The answer as a JSON value, for a document that holds it (a refusal's problem).
        var json: JSON {
            guard case var .object(fields) = outcome.json(compactInstants: false) else { return .null }
            fields.append(("replayed", .bool(replayed)))
            return .object(fields)
        }

        /// The answer's canonical text, written straight to bytes (the hot path of posting inputs).
        func write(to writer: inout JSONWriter) {
            outcome.write(to: &writer, compactInstants: false, replayed: replayed)
        }
    }

    func postInput(_ request: Request, _ context: AccrueRequestContext) async throws -> Response {
        let host = try writable(request, context)
        if let type = request.headers[.contentType], !type.lowercased().hasPrefix("application/json") {
            throw Problem(.unsupportedMediaType, "unsupported_media_type", "send the input as application/json")
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: Limits.maximumInputBytes)
        } catch {
            throw Problem(.contentTooLarge, "body_too_large", "an input is at most \(Limits.maximumInputBytes) bytes")
        }
        let result = try await apply(host, [Array(buffer.readableBytesView)])[0]
        guard result.outcome.status == .refused else {
            var writer = JSONWriter(capacity: 384)
            OutcomeAnswer(result).write(to: &writer)
            return Reply.bytes(writer.withBytes { ByteBuffer(bytes: $0) })
        }
        let code = result.outcome.code ?? .malformedInput
        let status: HTTPResponse.Status = code == .malformedInput ? .badRequest : code == .conflict ? .conflict : .unprocessableContent
        throw Problem(status, code.rawValue, result.outcome.reason ?? "the input was refused",
                      extensions: [("outcome", OutcomeAnswer(result).json)])
    }

    func postBatch(_ request: Request, _ context: AccrueRequestContext) async throws -> Response {
        let host = try writable(request, context)
        let body = try await Body.read(request)
        try body.allow(["inputs"])
        guard case let .array(items)? = body.json["inputs"] else {
            throw Problem(.unprocessableContent, "missing_field", "the body must be {\"inputs\": [ ... ]}")
        }
        guard !items.isEmpty else { throw Problem(.unprocessableContent, "invalid_field", "'inputs' is empty") }
        guard items.count <= APILimits.maximumBatchInputs else {
            throw Problem(.unprocessableContent, "batch_too_large", "a batch holds at most \(APILimits.maximumBatchInputs) inputs; this one has \(items.count)")
        }
        let results = try await apply(host, items.map { Array($0.canonical.utf8) })
        var writer = JSONWriter(capacity: 384 * results.count + 16)
        writer.openObject()
        writer.array("outcomes", results) { writer, result in OutcomeAnswer(result).write(to: &writer) }
        writer.closeObject()
        return Reply.bytes(writer.withBytes { ByteBuffer(bytes: $0) })
    }

    func why(_ request: Request, _ context: AccrueRequestContext) async throws -> Response {
        let (host, _) = try program(request, context, scope: .readMembers)
        let input = try context.parameters.id("input")
        let answer = try await host.read { ledger -> JSON? in
            guard let record = try ledger.store.inputRecords(program: ledger.program.id, ids: [input])[input] else { return nil }
            let entries = try ledger.store.entries(program: ledger.program.id, input: input)
            return .object([("input", .string(input)), ("outcome", Reply.tree(record.outcome)), ("entries", Reply.tree(entries)),
                            ("canonical", .string(record.canonical))])
        }
        guard let answer else { throw Problem.notFound("input_not_found", "\(host.id) has received no input \(input)") }
        return Reply.json(answer)
    }

    // MARK: Members

    func memberView(_ host: ProgramHost, _ member: String) async throws -> Response {
        let now = configuration.now()
        let view = try await host.read { ledger -> MemberView? in
            guard let state = ledger.engine.state.members[member] else { return nil }
            return MemberView(member: state, program: ledger.program, now: now)
        }
        guard let view else { throw Problem.notFound("member_not_found", "\(host.id) has no member \(member)") }
        return Reply.bytes(view.withJSONBytes { ByteBuffer(bytes: $0) })
    }

    func history(_ host: ProgramHost, _ member: String, _ request: Request) async throws -> Response {
        let limit = try pageSize(request)
        let before: Int64? = try request.uri.queryParameters.get("before").map { text in
            guard let value = Int64(text), value > 0 else { throw Problem.badRequest("invalid_query", "'before' must be a positive seq from a previous page") }
            return value
        }
        let lines = try await host.read { ledger -> [HistoryLine]? in
            guard ledger.engine.state.members[member] != nil else { return nil }
            return try ledger.store.history(program: ledger.program.id, member: member, limit: limit, beforeSeq: before)
        }
        guard let lines else { throw Problem.notFound("member_not_found", "\(host.id) has no member \(member)") }
        let next: JSON = lines.count == limit ? .number(String(lines.last!.seq)) : .null
        return Reply.json(.object([("member", .string(member)), ("lines", Reply.tree(lines)), ("next_before", next)]))
    }

    func pageSize(_ request: Request) throws -> Int {
        guard let text = request.uri.queryParameters.get("limit") else { return APILimits.defaultPageSize }
        guard let value = Int(text), (1...APILimits.maximumPageSize).contains(value) else {
            throw Problem.badRequest("invalid_query", "'limit' must be from 1 to \(APILimits.maximumPageSize)")
        }
        return value
    }

    func mintToken(_ request: Request, _ context: AccrueRequestContext) async throws -> Response {
        let (host, _) = try program(request, context, scope: .readMembers)
        let member = try context.parameters.id("member")
        var seconds = APILimits.defaultTokenSeconds
        if request.headers[.contentLength].map({ $0 != "0" }) ?? false || request.headers[.contentType] != nil {
            let body = try await Body.read(request, limit: 4_096)
            try body.allow(["ttl_seconds"])
            seconds = try body.integer("ttl_seconds", in: 1...APILimits.maximumTokenSeconds) ?? seconds
        }
        let expires = Instant(milliseconds: configuration.now().milliseconds + seconds * 1000)
        let token = credentials.mintToken(program: host.id, member: member, expires: expires)
        return Reply.json(.object([("token", .string(token)), ("program", .string(host.id)), ("member", .string(member)),
                                   ("expires_at", .string(expires.rfc3339))]), status: .created)
    }

    // MARK: Checkout and bookings

    func checkoutQuote(_ request: Request, _ context: AccrueRequestContext) async throws -> Response {
        let (host, principal) = try program(request, context, scope: nil)
        let body = try await Body.read(request, limit: 4_096)
        try body.allow(["member", "order_amount", "order", "place", "points_currency"])
        let member = try body.requiredString("member")
        // The shop's checkout (a key that writes inputs or reads members) or the member itself.
        if case .key = principal, (try? principal.requireKey(.writeInputs, program: host.id)) != nil {
        } else {
            try principal.requireMemberRead(program: host.id, member: member)
        }
        let amountText = try body.requiredString("order_amount", maxLength: 20)
        guard case let .success(amount) = Money.parseMinorUnits(amountText) else {
            throw Problem(.unprocessableContent, "invalid_money", "'order_amount' must be an amount such as \"120.50\" (at most 2 decimals)")
        }
        let order = try body.string("order", required: false)
        let place = try body.string("place", required: false, maxLength: 64)
        let currency = try body.string("points_currency", required: false, maxLength: 64)
        let program = host.program
        if let currency, currency != program.points.code, program.currency(currency) == nil {
            let kept = ([program.points.code] + program.currencies.map(\.points.code)).joined(separator: ", ")
            throw Problem(.unprocessableContent, "unknown_currency", "\(program.name) keeps no currency \"\(currency)\" (it keeps: \(kept))")
        }
        let quote = try await host.read { ledger in
            ledger.engine.checkoutQuote(member: member, order: order, orderAmount: amount, place: place, currency: currency)
        }
        return try Reply.json(quote)
    }

    func catalogue(_ request: Request, _ context: AccrueRequestContext) async throws -> Response {
        let (host, _) = try program(request, context, scope: nil)
        let program = host.program
        let stock = try await host.read { ledger in ledger.engine.state.issued }
        let rewards: [JSON] = program.rewards.map { reward in
            var fields: [(String, JSON)] = [("id", .string(reward.id)), ("name", .string(reward.name)), ("kind", .string(reward.kind.rawValue)),
                                            ("cost", .number(String(reward.cost)))]
            if let total = reward.stock { fields.append(("stock_left", .number(String(max(0, total - (stock[reward.id] ?? 0)))))) }
            if let limit = reward.limitCount { fields.append(("limit_per_member", .number(String(limit)))) }
            if let period = reward.limitPeriod { fields.append(("limit_period", .string(period.rawValue))) }
            if let value = reward.valueMinorUnits { fields.append(("value", .string(Money.format(minorUnits: value)))) }
            return .object(fields)
        }
        let services: [JSON] = program.services.map { service in
            var fields: [(String, JSON)] = [("id", .string(service.id)), ("name", .string(service.name)), ("cost", .number(String(service.cost)))]
            if let unit = service.unit { fields.append(("unit", .string(unit))) }
            if let airports = service.airports { fields.append(("airports", .array(airports.map(JSON.string)))) }
            return .object(fields)
        }
        return Reply.json(.object([("program", .string(host.id)), ("rewards", .array(rewards)), ("services", .array(services))]))
    }

    func bookingQuote(_ request: Request, _ context: AccrueRequestContext) async throws -> Response {
        let (host, _) = try program(request, context, scope: nil)
        let body = try await Body.read(request, limit: 16_384)
        try body.allow(["services"])
        guard let services = body.json["services"] else { throw Problem(.unprocessableContent, "missing_field", "the field 'services' is required") }
        switch try await quote(host, services: services) {
        case let .success(points): return Reply.json(.object([("points", .number(String(points))), ("points_name", .string(host.program.points.name))]))
        case let .failure(reason): throw Problem(.unprocessableContent, reason.code.rawValue, reason.message)
        }
    }

    /// The points a list of services would cost (the `services` of a `booking.requested`), read
    /// with the input's own checks, or why it cannot be booked. The API and the member page ask here.
    func quote(_ host: ProgramHost, services: JSON) async throws -> Result<Int64, Reason> {
        let envelope = JSON.object([("id", .string("quote")), ("type", .string(InputType.bookingRequested.rawValue)), ("member", .string("quote")),
                                    ("at", .string(configuration.now().rfc3339)),
                                    ("data", .object([("booking", .string("quote")), ("services", services)]))])
        let decoded = Input.decode(envelope)
        guard let input = decoded.input else { return .failure(decoded.refusal ?? Reason(.invalidField, "the services cannot be read")) }
        switch input.serviceRequests() {
        case let .success(requests): return try await host.read { ledger in ledger.engine.quote(requests) }
        case let .failure(reason): return .failure(reason)
        }
    }

    /// A lucky draw's public record: what anyone needs to check the winners (the commitment, every
    /// ticket in order, then the seed and the winners) and the algorithm in words.
    func drawProof(_ request: Request, _ context: AccrueRequestContext) async throws -> Response {
        let (host, _) = try program(request, context, scope: nil)
        let id = try context.parameters.id("draw")
        guard let draw = host.program.draws.first(where: { $0.id == id }) else {
            throw Problem.notFound("draw_not_found", "\(host.id) has no draw \(id)")
        }
        let record = try await host.read { ledger in ledger.engine.state.draws?[id] ?? DrawState() }
        let slots = draw.slots
        var winners = JSON.null
        if let list = record.winners {
            var lines: [JSON] = []
            for (slot, ticket) in list.enumerated() {
                let ticketJSON: JSON = ticket.map { .number(String($0)) } ?? .null
                let memberJSON: JSON = ticket.map { .string(record.tickets[$0 - 1]) } ?? .null
                lines.append(.object([("slot", .number(String(slot))), ("prize", .string(slots[slot].id)),
                                      ("prize_name", .string(slots[slot].name)), ("ticket", ticketJSON), ("member", memberJSON)]))
            }
            winners = .array(lines)
        }
        let prizes: [JSON] = draw.prizes.map { prize in
            .object([("id", .string(prize.id)), ("name", .string(prize.name)), ("count", .number(String(prize.count)))])
        }
        let optional: (String?) -> JSON = { $0.map(JSON.string) ?? .null }
        var fields: [(String, JSON)] = [
            ("draw", .string(draw.id)), ("name", .string(draw.name)), ("entry_cost", .number(String(draw.entryCost))),
            ("opens", .string(draw.opens.rfc3339)), ("closes", .string(draw.closes.rfc3339)), ("draw_at", .string(draw.drawAt.rfc3339)),
        ]
        fields.append(("prizes", .array(prizes)))
        fields.append(("commitment", optional(record.hash)))
        fields.append(("committed_at", optional(record.committedAt?.rfc3339)))
        fields.append(("tickets", .array(record.tickets.map(JSON.string))))
        fields.append(("seed", optional(record.seed)))
        fields.append(("drawn_at", optional(record.drawnAt?.rfc3339)))
        fields.append(("winners", winners))
        fields.append(("cancelled", optional(record.cancelled)))
        fields.append(("cancelled_at", optional(record.cancelledAt?.rfc3339)))
        fields.append(("automatic_reveal", .bool(try keepsSeed(program: host.id, draw: id, commitment: record.hash))))
        fields.append(("algorithm", .string(Self.drawAlgorithm)))
        return Reply.json(.object(fields))
    }

    static let drawAlgorithm = "Check that SHA-256(seed) equals the commitment. Then for each prize slot i = 0, 1, ... (prizes in order, each unit one slot): take SHA-256 of the UTF-8 text \"<seed>:<i>\", read its first 8 bytes as a big-endian unsigned integer n, and pick the ticket at index n mod r among the r tickets not yet drawn, kept in ticket order. Tickets are numbered from 1 in the order they were bought; a ticket wins at most once."

    func bookings(_ request: Request, _ context: AccrueRequestContext) async throws -> Response {
        let (host, _) = try program(request, context, scope: .readMembers)
        let status = request.uri.queryParameters.get("status").map { String($0) }
        if let status, Booking.Status(rawValue: status) == nil {
            throw Problem.badRequest("invalid_query", "'status' must be held, confirmed, rejected or cancelled")
        }
        let limit = try pageSize(request)
        let list = try await host.read { ledger -> [Booking] in
            let all = ledger.engine.state.bookings.values.filter { status == nil || $0.status.rawValue == status }
                .sorted { ($0.requestedAt, $0.id) < ($1.requestedAt, $1.id) }
            return Array(all.prefix(limit))
        }
        return Reply.json(.object([("bookings", .array(list.map { booking -> JSON in
            JSON.object([("booking", .string(booking.id)), ("member", .string(booking.member)), ("points", .number(String(booking.quote))),
                     ("status", .string(booking.status.rawValue)), ("requested_at", .string(booking.requestedAt.rfc3339)),
                     ("services", .array(booking.services.map(JSON.string)))])
        }))]))
    }
}
