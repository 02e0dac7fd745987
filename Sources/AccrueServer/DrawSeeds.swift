import AccrueCore
import AccrueStore
import Foundation
import Hummingbird

/// Lucky draws run by the server: it makes the secret seed, keeps it in the store beside the
/// ledger, commits its SHA-256 as a `draw.committed` input, and reveals it with a `draw.revealed`
/// input on the first clock tick at or after the draw time. The engine checks both as it checks an
/// operator's own; the seed is never shown before the reveal. Both inputs have fixed ids
/// (`draw.committed:<draw>`, `draw.revealed:<draw>`), so a retry or a second server is a replay.
extension AccrueService {
    static let drawSender = "accrue"

    static func seedKey(program: String, draw: String) -> String { "draw_seed/\(program)/\(draw)" }

    /// `POST /v1/programs/{p}/draws/{d}/commit`: the server makes and keeps the seed, and commits it.
    func commitDraw(_ request: Request, _ context: AccrueRequestContext) async throws -> Response {
        let host = try writable(request, context)
        let id = try context.parameters.id("draw")
        guard host.program.draws.contains(where: { $0.id == id }) else {
            throw Problem.notFound("draw_not_found", "\(host.id) has no draw \(id)")
        }
        // Kept before it is committed: should the server stop in between, the retry commits the
        // same seed (create-if-absent), never a second one.
        let seed = try store.initializeSetting(Self.seedKey(program: host.id, draw: id), to: Credentials.randomHex(bytes: 32))
        let hash = SHA256Hash.hex(seed)
        let inputID = "draw.committed:\(id)"
        let envelope = JSON.object([
            ("id", .string(inputID)), ("type", .string(InputType.drawCommitted.rawValue)),
            ("member", .string(Self.drawSender)), ("at", .string(configuration.now().rfc3339)),
            ("data", .object([("draw", .string(id)), ("hash", .string(hash))])),
        ])
        // A retry sends the first commitment again, word for word, and gets its first answer.
        let earlier = try await host.read { ledger in try ledger.store.inputRecords(program: ledger.program.id, ids: [inputID])[inputID]?.canonical }
        let result = try await apply(host, [Array((earlier ?? envelope.canonical).utf8)])[0]
        guard result.outcome.status != .refused else {
            let code = result.outcome.code ?? .drawAlreadyCommitted
            throw Problem(code == .drawAlreadyCommitted ? .conflict : .unprocessableContent, code.rawValue,
                          result.outcome.reason ?? "the draw cannot be committed", extensions: [("outcome", OutcomeAnswer(result).json)])
        }
        return Reply.json(.object([("draw", .string(id)), ("commitment", .string(hash)), ("automatic_reveal", .bool(true)),
                                   ("replayed", .bool(result.replayed))]))
    }

    /// Whether the server keeps the seed of a draw's commitment (and so reveals it by itself).
    func keepsSeed(program: String, draw: String, commitment: String?) throws -> Bool {
        guard let commitment, let seed = try store.setting(Self.seedKey(program: program, draw: draw)) else { return false }
        return SHA256Hash.hex(seed) == commitment
    }

    /// Reveals every draw that is due, committed with a seed the server keeps, and neither drawn
    /// nor cancelled. Runs on each clock tick.
    func revealDueDraws(now: Instant) async {
        for host in directory.all where !host.program.draws.isEmpty && !directory.isRetired(host.id) {
            for draw in host.program.draws where draw.drawAt <= now {
                do {
                    let inputID = "draw.revealed:\(draw.id)"
                    // The state answers for nearly every tick (drawn, cancelled, never committed);
                    // the store is asked only about a draw still waiting for its reveal.
                    let hash = try await host.read { ledger -> String? in
                        guard let record = ledger.engine.state.draws?[draw.id], record.seed == nil, record.cancelled == nil,
                              let hash = record.hash else { return nil }
                        // Sent once and refused (the log keeps it): never sent again.
                        return try ledger.store.inputRecords(program: ledger.program.id, ids: [inputID])[inputID] == nil ? hash : nil
                    }
                    guard let hash, let seed = try store.setting(Self.seedKey(program: host.id, draw: draw.id)),
                          SHA256Hash.hex(seed) == hash else { continue }
                    let envelope = JSON.object([
                        ("id", .string(inputID)), ("type", .string(InputType.drawRevealed.rawValue)),
                        ("member", .string(Self.drawSender)), ("at", .string(now.rfc3339)),
                        ("data", .object([("draw", .string(draw.id)), ("seed", .string(seed))])),
                    ])
                    let result = try await apply(host, [Array(envelope.canonical.utf8)])[0]
                    logger.info("draw revealed", metadata: ["program": "\(host.id)", "draw": "\(draw.id)",
                                                            "status": "\(result.replayed ? "replayed" : result.outcome.status.rawValue)",
                                                            "reason": "\(result.outcome.reason ?? "-")"])
                } catch {
                    logger.error("draw reveal failed", metadata: ["program": "\(host.id)", "draw": "\(draw.id)", "error": "\(error)"])
                }
            }
        }
    }
}
