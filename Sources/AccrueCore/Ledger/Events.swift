/// A domain event derived from ledger entries: what a shop's webhook receives. The entries are the
/// outbox: an event is derived from its entry when it is delivered, so none exists for a write that
/// rolled back, none is lost for one that committed, and no second row is written beside the entry.
public struct LedgerEvent: Sendable, Equatable {
    /// The seq of the entry the event comes from: unique and increasing within a program.
    public var seq: Int64
    public var type: String
    public var member: String
    public var at: Instant
    /// The event's `data` object.
    public var data: JSON

    public init(seq: Int64, type: String, member: String, at: Instant, data: JSON) {
        self.seq = seq
        self.type = type
        self.member = member
        self.at = at
        self.data = data
    }

    /// The event's stable id: a receiver deduplicates deliveries by it.
    public func id(program: String) -> String { "evt_\(program)_\(seq)" }

    /// The JSON document delivered to a webhook.
    public func document(program: String) -> String {
        JSON.object([
            ("id", .string(id(program: program))),
            ("type", .string(type)),
            ("program", .string(program)),
            ("member", .string(member)),
            ("at", .string(at.rfc3339)),
            ("data", data),
        ]).canonical
    }

    /// Every event type a webhook can subscribe to.
    public static let types: [String] = [
        "points.earned", "points.pending_released", "points.expiring", "points.expired", "points.spent",
        "points.reversed", "points.adjusted", "tier.changed", "reward.issued", "reward.gifted",
        "booking.requested", "booking.confirmed", "booking.rejected", "booking.cancelled", "draw.entered", "draw.cancelled",
    ]

    /// The events of entries. `inputTypes` gives the type of inputs by id: a booking's release is a
    /// rejection or a cancellation according to its input (`inputsTyped(in:)` says which ids).
    /// The ids of the inputs whose type `derive` needs for these entries: those of bookings' releases.
    public static func inputsTyped(in entries: [Entry]) -> [String] {
        entries.compactMap { entry in
            entry.kind == .holdRelease && (entry.hold?.hasPrefix("booking:") ?? false) ? entry.input : nil
        }
    }

    public static func derive(from entries: [Entry], inputTypes: [String: String]) -> [LedgerEvent] {
        entries.compactMap { entry in
            var fields: [(String, JSON)] = [("points", .number(String(entry.points))), ("reason", .string(entry.reason))]
            if let input = entry.input { fields.append(("input", .string(input))) }
            if let rule = entry.rule { fields.append(("rule", .string(rule))) }
            if let lot = entry.lot { fields.append(("lot", .number(String(lot)))) }
            // Points in another of the program's currencies say which.
            if let currency = entry.currency { fields.append(("currency", .string(currency))) }
            let type: String
            let draw = entry.hold.flatMap(Hold.draw(ofID:))
            switch entry.kind {
            case .earn, .earnPending:
                type = "points.earned"
                fields.append(("pending", .bool(entry.kind == .earnPending)))
                if let available = entry.availableAt { fields.append(("available_at", .string(available.rfc3339))) }
                if let expires = entry.expiresAt { fields.append(("expires_at", .string(expires.rfc3339))) }
            case .release:
                type = "points.pending_released"
                if let expires = entry.expiresAt { fields.append(("expires_at", .string(expires.rfc3339))) }
            case .expiryNotice:
                type = "points.expiring"
                if let expires = entry.expiresAt { fields.append(("expires_at", .string(expires.rfc3339))) }
            case .expire: type = "points.expired"
            case .spend: type = "points.spent"
            case .reverse, .cancelPending: type = "points.reversed"
            case .adjust: type = "points.adjusted"
            case .tierChange:
                type = "tier.changed"
                fields.append(("tier", entry.tier.map(JSON.string) ?? .null))
            case .coupon:
                type = "reward.issued"
                if let code = entry.code { fields.append(("code", .string(code))) }
            case .couponGiven:
                type = "reward.gifted"
                if let code = entry.code { fields.append(("code", .string(code))) }
            case .capture where entry.hold?.hasPrefix("checkout:") ?? false:
                // Points held at checkout are spent when the hold is captured; the hold and its
                // release are the shop's own requests and make no event.
                type = "points.spent"
                fields.append(("hold", .string(String(entry.hold!.dropFirst("checkout:".count)))))
            case .hold where draw != nil, .capture where draw != nil, .holdRelease where draw != nil:
                // Tickets' points are held at entry, spent at the draw, returned at a cancellation.
                type = entry.kind == .hold ? "draw.entered" : entry.kind == .capture ? "points.spent" : "draw.cancelled"
                fields.append(("draw", .string(draw!)))
            case .hold, .capture, .holdRelease:
                guard let hold = entry.hold, hold.hasPrefix("booking:") else { return nil }
                fields.append(("booking", .string(String(hold.dropFirst("booking:".count)))))
                switch entry.kind {
                case .hold: type = "booking.requested"
                case .capture: type = "booking.confirmed"
                default:
                    type = entry.input.flatMap { inputTypes[$0] } == InputType.bookingCancelled.rawValue ? "booking.cancelled" : "booking.rejected"
                }
            case .payDebt, .tierScheduled:
                return nil
            }
            return LedgerEvent(seq: entry.seq, type: type, member: entry.member, at: entry.at, data: .object(fields))
        }
    }
}
