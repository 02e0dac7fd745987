/// Lucky draws anyone can check. The operator commits the SHA-256 of a secret seed
/// (`draw.committed`) before entries are taken; members buy tickets for points (`draw.entered`),
/// which are held until the draw; at the draw time the operator reveals the seed (`draw.revealed`):
/// it must hash to the commitment, the held points are spent, and the winners follow from the seed
/// and the ticket list by `drawWinners`, so the operator cannot choose them after seeing the
/// entries, and anyone can recompute them. A draw cancelled before it is drawn (`draw.cancelled`)
/// returns every ticket's points to the lots they came from.
extension Engine {
    func draw(_ input: Input) -> Result<Draw, Reason> {
        let id = input.string("draw")!
        guard let draw = program.draws.first(where: { $0.id == id }) else {
            let known = program.draws.map(\.id).joined(separator: ", ")
            return .failure(Reason(.unknownDraw, "\(program.name) has no draw \"\(truncated(id))\"" + (known.isEmpty ? "" : " (it has: \(known))")))
        }
        return .success(draw)
    }

    mutating func commitDraw(_ input: Input) -> Outcome {
        let draw: Draw
        switch self.draw(input) {
        case let .success(value): draw = value
        case let .failure(reason): return Engine.refused(reason)
        }
        let hash = input.string("hash")!.lowercased()
        guard hash.count == 64, hash.allSatisfy(\.isHexDigit) else {
            return Engine.refused(Reason(.invalidField, "\"hash\" must be the SHA-256 of the seed: 64 hex digits"))
        }
        var record = state.draws?[draw.id] ?? DrawState()
        if let committed = record.hash {
            return Engine.refused(Reason(.drawAlreadyCommitted, "\(draw.name) is committed to \(committed); a commitment cannot change"))
        }
        // The program's clock, not only the input's own time: a late input cannot commit after
        // entries were taken.
        guard input.at < draw.opens, (state.clock ?? input.at) < draw.opens else {
            return Engine.refused(Reason(.drawClosed, "\(draw.name)'s seed must be committed before entries open at \(local(draw.opens))"))
        }
        record.hash = hash
        record.committedAt = input.at
        state.draws = (state.draws ?? [:]).merging([draw.id: record]) { $1 }
        var outcome = Engine.applied(0)
        outcome.reason = "\(draw.name) is committed to the seed whose SHA-256 is \(hash)"
        return outcome
    }

    mutating func enterDraw(_ input: Input) -> Outcome {
        if let refusal = spendRefusal(.rewards) { return Engine.refused(refusal) }
        let draw: Draw
        switch self.draw(input) {
        case let .success(value): draw = value
        case let .failure(reason): return Engine.refused(reason)
        }
        var record = state.draws?[draw.id] ?? DrawState()
        if let why = record.cancelled {
            return Engine.refused(Reason(.drawCancelled, "\(draw.name) was cancelled (\(why)) and takes no entries"))
        }
        guard record.hash != nil else {
            return Engine.refused(Reason(.drawNotCommitted, "\(draw.name) takes no entries until its seed is committed"))
        }
        // A late entry (its time inside the window, sent after the program's clock passed the
        // close) is refused too: no ticket may join the list once it is closed, or a reveal could
        // be followed by tickets chosen to win.
        guard input.at >= draw.opens, input.at < draw.closes, (state.clock ?? input.at) < draw.closes, record.seed == nil else {
            return Engine.refused(Reason(.drawClosed, input.at < draw.opens
                ? "\(draw.name) opens at \(local(draw.opens))" : "\(draw.name) closed at \(local(draw.closes))"))
        }
        let count = input.wholeNumber("entries") ?? 1
        let held = record.counts[input.member] ?? 0
        if let limit = draw.entriesPerMember, held + count > limit {
            return Engine.refused(Reason(.drawEntryLimit, "\(draw.name) takes at most \(limit) entries per member; you have \(held)"))
        }
        let cost = draw.entryCost * count
        if let refusal = insufficient(input.member, needed: cost) { return Engine.refused(refusal) }
        let first = record.tickets.count + 1
        let tickets = count == 1 ? "ticket \(first)" : "tickets \(first)-\(first + Int(count) - 1)"
        let holdID = Hold.drawID(draw.id, firstTicket: first)
        let parts = takeFromLots(input.member, points: cost, at: input.at, kind: .hold, input: input.id,
                                 reason: "\(formatPoints(cost)) \(pointsName) held for \(tickets) in \(draw.name) until it is drawn", hold: holdID)
        withMember(input.member) { $0.holds.append(Hold(id: holdID, points: cost, parts: parts)) }
        record.tickets += Array(repeating: input.member, count: Int(count))
        record.counts[input.member] = held + count
        state.draws = (state.draws ?? [:]).merging([draw.id: record]) { $1 }
        touch(input.member, at: input.at)
        var outcome = Engine.applied(-cost)
        outcome.reason = "\(tickets) in \(draw.name), drawn at \(local(draw.drawAt))"
        return outcome
    }

    mutating func revealDraw(_ input: Input) -> Outcome {
        let draw: Draw
        switch self.draw(input) {
        case let .success(value): draw = value
        case let .failure(reason): return Engine.refused(reason)
        }
        var record = state.draws?[draw.id] ?? DrawState()
        guard let hash = record.hash else {
            return Engine.refused(Reason(.drawNotCommitted, "\(draw.name) was never committed: it cannot be drawn"))
        }
        guard record.seed == nil else { return Engine.refused(Reason(.drawAlreadyDrawn, "\(draw.name) was already drawn")) }
        if let why = record.cancelled {
            return Engine.refused(Reason(.drawCancelled, "\(draw.name) was cancelled (\(why)): it cannot be drawn"))
        }
        guard input.at >= draw.drawAt else {
            return Engine.refused(Reason(.drawNotDue, "\(draw.name) is drawn at \(local(draw.drawAt)), not before"))
        }
        let seed = input.string("seed")!
        guard SHA256Hash.hex(seed) == hash else {
            return Engine.refused(Reason(.seedMismatch, "this seed's SHA-256 is \(SHA256Hash.hex(seed)), not the committed \(hash)"))
        }
        let slots = draw.slots
        let winners = Engine.drawWinners(tickets: record.tickets.count, seed: seed, slots: slots.count)
        record.seed = seed
        record.drawnAt = input.at
        record.winners = winners
        state.draws = (state.draws ?? [:]).merging([draw.id: record]) { $1 }
        // Every ticket's held points are spent now that the draw took place.
        for (member, held) in takeDrawHolds(draw.id, record) {
            for hold in held {
                self.record(member, input.at, .capture, hold.points, reason: "\(formatPoints(hold.points)) \(pointsName) for tickets in \(draw.name) spent at the draw",
                       hold: hold.id, input: input.id)
            }
        }
        for (slot, ticket) in winners.enumerated() {
            guard let ticket else { continue }
            let prize = slots[slot]
            let member = record.tickets[ticket - 1]
            let code = voucherCode(prefix: prize.codePrefix ?? prize.id.uppercased(), salt: "draw|\(draw.id)|\(slot)")
            issueCoupon(member, reward: "\(draw.id):\(prize.id)", name: "\(prize.name) (won in \(draw.name), ticket \(ticket))",
                        code: code, value: prize.valueMinorUnits, at: input.at, input: input.id)
        }
        let awarded = winners.compactMap { $0 }.count
        var outcome = Engine.applied(0)
        outcome.reason = "\(draw.name) drawn from \(record.tickets.count) tickets: \(awarded) of \(slots.count) prizes awarded"
        return outcome
    }

    mutating func cancelDraw(_ input: Input) -> Outcome {
        let draw: Draw
        switch self.draw(input) {
        case let .success(value): draw = value
        case let .failure(reason): return Engine.refused(reason)
        }
        var record = state.draws?[draw.id] ?? DrawState()
        guard record.seed == nil else {
            return Engine.refused(Reason(.drawAlreadyDrawn, "\(draw.name) was already drawn: its prizes are given and it cannot be cancelled"))
        }
        guard record.cancelled == nil else {
            return Engine.refused(Reason(.drawCancelled, "\(draw.name) was already cancelled"))
        }
        let why = input.string("reason")!
        record.cancelled = why
        record.cancelledAt = input.at
        var returned: Int64 = 0
        for (member, held) in takeDrawHolds(draw.id, record) {
            for hold in held {
                releaseHold(member, hold, at: input.at, input: input.id,
                            reason: "\(draw.name) cancelled (\(why)): \(formatPoints(hold.points)) \(pointsName) for tickets returned")
                returned += hold.points
            }
        }
        state.draws = (state.draws ?? [:]).merging([draw.id: record]) { $1 }
        var outcome = Engine.applied(0)
        outcome.reason = "\(draw.name) cancelled: \(formatPoints(returned)) \(pointsName) returned to \(record.counts.count) members"
        return outcome
    }

    /// Removes the holds of a draw's tickets from their members and gives them, per member,
    /// members in name order, for the caller to spend or return.
    mutating func takeDrawHolds(_ draw: String, _ record: DrawState) -> [(String, [Hold])] {
        let prefix = Hold.drawPrefix(draw)
        return record.counts.keys.sorted().map { member in
            let held = self.member(member).holds.filter { $0.id.hasPrefix(prefix) }
            withMember(member) { $0.holds.removeAll { $0.id.hasPrefix(prefix) } }
            return (member, held)
        }
    }

    /// The documented, reproducible drawing: for prize slot `i` (0-based, prizes in file order,
    /// each unit one slot), take SHA-256 of the UTF-8 text `"<seed>:<i>"`, read its first 8 bytes
    /// as a big-endian unsigned integer `n`, and pick the ticket at index `n mod r` of the tickets
    /// not yet drawn, in ticket order (`r` of them). A ticket wins at most once; slots after the
    /// tickets run out get no winner. Returns the 1-based winning ticket of each slot.
    public static func drawWinners(tickets: Int, seed: String, slots: Int) -> [Int?] {
        var remaining = Array(0..<tickets).map { $0 + 1 }
        var winners: [Int?] = []
        for slot in 0..<slots {
            guard !remaining.isEmpty else {
                winners.append(nil)
                continue
            }
            let digest = SHA256Hash.digest(Array("\(seed):\(slot)".utf8))
            let n = digest.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            let index = Int(n % UInt64(remaining.count))
            winners.append(remaining.remove(at: index))
        }
        return winners
    }
}
