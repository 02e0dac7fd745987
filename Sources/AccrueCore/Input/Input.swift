import Foundation

/// The kinds of input a shop sends.
public enum InputType: String, Sendable, CaseIterable, Codable {
    case memberJoined = "member.joined"
    case orderCompleted = "order.completed"
    case orderRefunded = "order.refunded"
    case orderDisputed = "order.disputed"
    case orderDelivered = "order.delivered"
    case orderReturnWindowClosed = "order.return_window_closed"
    case orderDisputeResolved = "order.dispute_resolved"
    case reviewPosted = "review.posted"
    case memberSignedIn = "member.signed_in"
    case postPublished = "post.published"
    case sharePosted = "share.posted"
    case referralCompleted = "referral.completed"
    case campaignJoined = "campaign.joined"
    case pointsRedeemed = "points.redeemed"
    case rewardClaimed = "reward.claimed"
    case rewardGifted = "reward.gifted"
    case drawCommitted = "draw.committed"
    case drawEntered = "draw.entered"
    case drawRevealed = "draw.revealed"
    case drawCancelled = "draw.cancelled"
    case bookingRequested = "booking.requested"
    case bookingConfirmed = "booking.confirmed"
    case bookingRejected = "booking.rejected"
    case bookingCancelled = "booking.cancelled"
    case pointsAdjusted = "points.adjusted"
    case pointsTransferred = "points.transferred"
    case checkoutHeld = "checkout.held"
    case checkoutCaptured = "checkout.captured"
    case checkoutReleased = "checkout.released"

    /// Inputs that concern the whole program, not one member: their `member` names who sent them
    /// (an operator), and no member is enrolled by them.
    public var isProgramWide: Bool { self == .drawCommitted || self == .drawRevealed || self == .drawCancelled }

    /// How sentences name inputs of this type when no rule names them: "posts", "sign-ins".
    public var plural: String {
        switch self {
        case .memberJoined: return "joining"
        case .orderCompleted: return "orders"
        case .orderRefunded: return "refunds"
        case .orderDisputed: return "disputes"
        case .orderDelivered: return "deliveries"
        case .orderReturnWindowClosed: return "closed return windows"
        case .orderDisputeResolved: return "dispute resolutions"
        case .reviewPosted: return "reviews"
        case .memberSignedIn: return "sign-ins"
        case .postPublished: return "posts"
        case .sharePosted: return "shares"
        case .referralCompleted: return "referrals"
        case .campaignJoined: return "taking part in campaigns"
        case .pointsRedeemed: return "checkout redemptions"
        case .rewardClaimed: return "reward claims"
        case .rewardGifted: return "gifts"
        case .drawCommitted: return "draw commitments"
        case .drawEntered: return "draw entries"
        case .drawRevealed: return "draws"
        case .drawCancelled: return "draw cancellations"
        case .bookingRequested: return "booking requests"
        case .bookingConfirmed: return "booking confirmations"
        case .bookingRejected: return "booking rejections"
        case .bookingCancelled: return "booking cancellations"
        case .pointsAdjusted: return "adjustments"
        case .pointsTransferred: return "transfers"
        case .checkoutHeld: return "checkout holds"
        case .checkoutCaptured: return "checkout captures"
        case .checkoutReleased: return "checkout releases"
        }
    }

    /// The data fields this type accepts, and which of them are required. Built once per type:
    /// as a computed array it was allocated for every input decoded.
    var fields: [(name: String, required: Bool)] { InputType.fieldTable[InputType.allCases.firstIndex(of: self)!] }

    private static let fieldTable: [[(name: String, required: Bool)]] = allCases.map(\.declaredFields)

    private var declaredFields: [(name: String, required: Bool)] {
        switch self {
        case .memberJoined: return [("birthday", false), ("guest", false), ("since", false)]
        case .orderCompleted:
            return [("order", true), ("amount", true), ("currency", true), ("seller", false), ("category", false),
                    ("international", false), ("guest", false)]
        case .orderRefunded: return [("order", true), ("amount", true), ("currency", false)]
        case .orderDisputed, .orderDelivered, .orderReturnWindowClosed: return [("order", true)]
        case .orderDisputeResolved: return [("order", true), ("refund", false), ("currency", false)]
        case .reviewPosted: return [("order", true), ("product", true)]
        case .memberSignedIn, .sharePosted: return [("product", false)]
        case .postPublished: return [("post", true)]
        case .referralCompleted: return [("referred", true)]
        case .campaignJoined: return [("campaign", true)]
        case .pointsRedeemed: return [("order", true), ("points", true), ("order_amount", true), ("currency", false), ("place", false),
                                      ("points_currency", false)]
        case .rewardClaimed: return [("reward", true)]
        case .rewardGifted: return [("code", true), ("to", true)]
        case .drawCommitted: return [("draw", true), ("hash", true)]
        case .drawEntered: return [("draw", true), ("entries", false)]
        case .drawRevealed: return [("draw", true), ("seed", true)]
        case .drawCancelled: return [("draw", true), ("reason", true)]
        case .bookingRequested: return [("booking", true), ("services", true)]
        case .bookingConfirmed, .bookingCancelled: return [("booking", true)]
        case .bookingRejected: return [("booking", true), ("reason", false)]
        case .pointsAdjusted: return [("points", true), ("reason", true), ("points_currency", false)]
        case .pointsTransferred: return [("transfer", true), ("points", true), ("account", false)]
        case .checkoutHeld: return [("hold", true), ("order", true), ("points", true), ("order_amount", true), ("currency", false),
                                    ("place", false), ("points_currency", false)]
        case .checkoutCaptured, .checkoutReleased: return [("hold", true), ("points_currency", false)]
        }
    }
}

/// One service line of a booking request.
public struct ServiceRequest: Sendable, Equatable {
    public var service: String
    public var airport: String?
    /// nights, meals or days as given; nil when missing (counted as 1).
    public var counts: [String: Int64]
    public var date: String?
}

/// A decoded input: the envelope checked, the data's fields typed. Rules of the program are not
/// applied yet; that is the engine's work.
public struct Input: Sendable {
    public var id: String
    public var type: InputType
    public var member: String
    public var at: Instant
    /// The data object, with string, boolean and integer fields as given (looked up by
    /// `JSON`'s key subscript: a type has at most seven fields, fewer than a dictionary is worth).
    public var data: JSON
    /// The canonical text of the whole input, compared to decide duplicates.
    public var canonical: String

    /// A string field of `data`.
    public func string(_ key: String) -> String? {
        if case let .string(s)? = data[key] { return s }
        return nil
    }

    /// A boolean field of `data`.
    public func bool(_ key: String) -> Bool? {
        if case let .bool(b)? = data[key] { return b }
        return nil
    }
}

/// A decoded input, or why it could not be decoded (with whatever of the envelope was readable).
public struct DecodedInput: Sendable {
    public var input: Input?
    public var refusal: Reason?
    /// What was readable of the envelope when the input is refused.
    public var id: String?
    public var type: String?
    public var member: String?
    public var at: Instant?
    public var canonical: String?
}

extension Input {
    /// Decodes one input from its JSON bytes. Type checks on the data fields are done here; checks
    /// that need the program (currency, known orders) are the engine's.
    public static func decode<Bytes: Collection>(_ bytes: Bytes) -> DecodedInput where Bytes.Element == UInt8 {
        if bytes.count > Limits.maximumInputBytes {
            return DecodedInput(refusal: Reason(.malformedInput, "the input is larger than \(Limits.maximumInputBytes) bytes"))
        }
        let json: JSON
        do {
            json = try JSONReader.parse(bytes)
        } catch {
            return DecodedInput(refusal: Reason(.malformedInput, "the input is not valid JSON: \(error.description)"))
        }
        return decode(json)
    }

    /// Decodes one input from a parsed JSON value.
    public static func decode(_ json: JSON) -> DecodedInput {
        guard case let .object(pairs) = json else {
            return DecodedInput(refusal: Reason(.malformedInput, "an input must be a JSON object, not \(json.kindName)"))
        }
        var result = DecodedInput()
        let canonical = json.canonical
        result.canonical = canonical
        func refuse(_ code: ReasonCode, _ text: String) -> DecodedInput {
            var r = result
            r.refusal = Reason(code, text)
            return r
        }
        // The id first, so that even a refused input can be answered by its id.
        switch json["id"] {
        case nil: return refuse(.invalidEnvelope, "the input has no \"id\"")
        case let .string(id)?:
            guard !id.isEmpty, fitsLength(id, Limits.maximumStringLength), isPrintable(id) else {
                return refuse(.invalidEnvelope, "\"id\" must be 1 to \(Limits.maximumStringLength) printable characters in Unicode NFC")
            }
            result.id = id
        case let other?: return refuse(.invalidEnvelope, "\"id\" must be a string, not \(other.kindName)")
        }
        // Keys are judged in canonical (sorted) order so that an input and its canonical text, as a
        // store keeps it and `verify` replays it, are refused for the same reason.
        if let key = firstInCanonicalOrder(pairs, where: { !isEnvelopeKey($0) }) {
            return refuse(.unknownField, "the input has an unknown field \"\(truncated(key))\"")
        }
        guard case let .string(typeName)? = json["type"] else {
            return refuse(.invalidEnvelope, "\"type\" must be a string naming the input's type")
        }
        result.type = truncated(typeName)
        guard let type = InputType(rawValue: typeName) else {
            return refuse(.unknownType, "\"\(truncated(typeName))\" is not a known input type")
        }
        guard case let .string(member)? = json["member"], !member.isEmpty, fitsLength(member, Limits.maximumStringLength), isPrintable(member) else {
            return refuse(.invalidEnvelope, "\"member\" must be a string of 1 to \(Limits.maximumStringLength) printable characters in Unicode NFC")
        }
        guard case let .string(atText)? = json["at"], let at = Instant(rfc3339: atText) else {
            return refuse(.invalidEnvelope, "\"at\" must be a time with its zone, such as \"2026-03-01T10:00:00Z\"")
        }
        guard at >= Limits.earliestTime, at < Limits.latestTime else {
            return refuse(.invalidEnvelope, "\"at\" must be between 2000-01-01 and 2100-01-01, not \(truncated(atText))")
        }
        result.member = member
        result.at = at
        guard case let .object(dataPairs)? = json["data"] else {
            return refuse(.invalidEnvelope, "\"data\" must be an object (use {} when the type has no data)")
        }
        // The reader refuses duplicate keys, so a key names one value.
        let data = JSON.object(dataPairs)
        let fields = type.fields
        if let key = firstInCanonicalOrder(dataPairs, where: { key in !fields.contains(where: { $0.name == key }) }) {
            return refuse(.unknownField, "\(type.rawValue) has no data field \"\(truncated(key))\"")
        }
        for field in fields where field.required && data[field.name] == nil {
            return refuse(.missingField, "\(type.rawValue) needs data field \"\(field.name)\"")
        }
        // Field types: money fields are decimal strings, flags booleans, point counts integers. In the
        // type's field order, not the order the shop wrote them in, so that an input with several
        // bad fields (and its canonical text) is always refused for the same one.
        for field in fields {
            guard let value = data[field.name] else { continue }
            let key = field.name
            switch key {
            case "amount", "order_amount":
                guard case .string = value else {
                    return refuse(.invalidMoney, "\"\(key)\" must be a decimal string such as \"120.50\", not \(value.kindName)")
                }
            case "international", "guest":
                guard case .bool = value else { return refuse(.invalidField, "\"\(key)\" must be true or false") }
            case "points":
                guard case let .number(text) = value, let points = Int64(text) else {
                    return refuse(.invalidField, "\"points\" must be a whole number")
                }
                guard points.magnitude <= UInt64(Limits.maximumPoints) else {
                    return refuse(.amountTooLarge, "\"points\" must be at most \(formatPoints(Limits.maximumPoints)) in size")
                }
            case "entries":
                guard case let .number(text) = value, let count = Int64(text), (1...1_000).contains(count) else {
                    return refuse(.invalidField, "\"entries\" must be a whole number from 1 to 1000")
                }
            case "services":
                guard case let .array(items) = value else { return refuse(.invalidField, "\"services\" must be a list") }
                guard !items.isEmpty else { return refuse(.invalidField, "a booking needs at least one service") }
                guard items.count <= Limits.maximumServicesPerBooking else {
                    return refuse(.limitExceeded, "a booking can hold at most \(Limits.maximumServicesPerBooking) services")
                }
            case "birthday", "since":
                guard case let .string(text) = value, CivilDate(text) != nil else {
                    return refuse(.invalidField, "\"\(key)\" must be a date such as \"1990-05-17\"")
                }
            default:
                guard case let .string(text) = value else {
                    return refuse(.invalidField, "\"\(key)\" must be a string, not \(value.kindName)")
                }
                let limit = key == "reason" ? 500 : Limits.maximumStringLength
                guard !text.isEmpty, fitsLength(text, limit), isPrintable(text) else {
                    return refuse(.invalidField, "\"\(key)\" must be 1 to \(limit) printable characters in Unicode NFC")
                }
            }
        }
        result.input = Input(id: result.id!, type: type, member: member, at: at, data: data, canonical: canonical)
        return result
    }

    /// The integer `points` field.
    public var pointsField: Int64? { wholeNumber("points") }

    /// A whole-number data field (already checked by the decoder).
    public func wholeNumber(_ key: String) -> Int64? {
        if case let .number(text)? = data[key] { return Int64(text) }
        return nil
    }

    /// The booking's service lines, or why one is malformed.
    public func serviceRequests() -> Result<[ServiceRequest], Reason> {
        guard case let .array(items)? = data["services"] else { return .failure(Reason(.invalidField, "\"services\" must be a list")) }
        var requests: [ServiceRequest] = []
        for (i, item) in items.enumerated() {
            guard case let .object(pairs) = item else {
                return .failure(Reason(.invalidField, "service \(i + 1) must be an object"))
            }
            var request = ServiceRequest(service: "", airport: nil, counts: [:], date: nil)
            for key in sortedKeys(pairs) {
                let value = pairs.first(where: { $0.0 == key })!.1
                switch key {
                case "service", "airport", "date":
                    guard case let .string(text) = value, !text.isEmpty, text.count <= Limits.maximumStringLength, isPrintable(text) else {
                        return .failure(Reason(.invalidField, "\"\(key)\" of service \(i + 1) must be a string"))
                    }
                    if key == "service" { request.service = text } else if key == "airport" { request.airport = text } else { request.date = text }
                default:
                    // Any other field is a count in a unit a service of the program may use
                    // (nights, meals, days...); the quote refuses units the service is not counted in.
                    guard case let .number(text) = value, let count = Int64(text) else {
                        return .failure(Reason(.invalidField, "\"\(truncated(key))\" of service \(i + 1) must be a whole number"))
                    }
                    guard count > 0 else {
                        return .failure(Reason(.invalidField, "\"\(truncated(key))\" of service \(i + 1) must be at least 1"))
                    }
                    guard count <= Limits.maximumServiceCount else {
                        return .failure(Reason(.limitExceeded, "\"\(truncated(key))\" of service \(i + 1) must be at most \(Limits.maximumServiceCount)"))
                    }
                    request.counts[key] = count
                }
            }
            guard !request.service.isEmpty else { return .failure(Reason(.missingField, "service \(i + 1) needs \"service\"")) }
            requests.append(request)
        }
        return .success(requests)
    }
}

/// Whether a string has no control characters (C0, DEL and C1).
func isPrintable(_ text: String) -> Bool {
    // Printable ASCII (ids, members, most fields) is NFC as it stands: one pass over the bytes.
    if text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return true }
    return !text.unicodeScalars.contains(where: { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }) && isNFC(text)
}

/// Whether a string has at most `limit` characters. A string has no more characters than UTF-8
/// bytes, so counting them (a walk over grapheme clusters) is needed only for longer texts.
func fitsLength(_ text: String, _ limit: Int) -> Bool {
    text.utf8.count <= limit || text.count <= limit
}

/// The envelope's fields.
private func isEnvelopeKey(_ key: String) -> Bool {
    key == "id" || key == "type" || key == "member" || key == "at" || key == "data"
}

/// The first key, in canonical (sorted) order, that `test` picks: the key refusals name, so that
/// an input and its canonical text are refused for the same one. Sorts only when one is picked.
func firstInCanonicalOrder(_ pairs: [(String, JSON)], where test: (String) -> Bool) -> String? {
    guard pairs.contains(where: { test($0.0) }) else { return nil }
    return sortedKeys(pairs).first(where: test)
}

/// Whether a string is in Unicode normalization form C. Swift compares strings by canonical
/// equivalence while stores compare bytes; accepting only NFC, where equivalent strings are the
/// same bytes, keeps "the same id" and "the same member" one meaning everywhere.
func isNFC(_ text: String) -> Bool {
    // Below U+0300 there are no combining marks or decomposable singletons: nothing to normalize.
    if text.unicodeScalars.allSatisfy({ $0.value < 0x300 }) { return true }
    return text.utf8.elementsEqual(text.precomposedStringWithCanonicalMapping.utf8)
}

/// An object's keys in canonical order (as `JSON.canonical` writes them).
func sortedKeys(_ pairs: [(String, JSON)]) -> [String] {
    pairs.map(\.0).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
}

/// A string cut to a length that is safe to repeat in a sentence.
func truncated(_ text: String) -> String {
    text.count <= 60 ? text : String(text.prefix(57)) + "..."
}
