import AccrueServer
import ArgumentParser
import Foundation

/// `accrue bare-http`: the HTTP benchmark's baseline server (scripts/bench-http); hidden from help.
struct BareHTTP: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bare-http",
        abstract: "Serve the HTTP benchmark's bare baseline (routes of Accrue's shape, no rules, no store).",
        shouldDisplay: false)

    @Option(name: .long, help: "The address to listen on.")
    var host = "127.0.0.1"

    @Option(name: .long, help: "The port to listen on.")
    var port = 8090

    @Option(name: .long, help: "The bearer key requests must send.")
    var key: String

    func run() async throws {
        try await BareBaseline.application(host: host, port: port, key: key, onServerRunning: { _ in
            print("bare: serving on http://\(host):\(port)")
            fflush(nil)
        }).runService()
    }
}
