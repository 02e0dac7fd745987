import AccrueCore
import Foundation
import Logging

/// The server's log handler: one line per message on standard error, in the shape of
/// swift-log's `StreamLogHandler` (`<time> <level> <label> : <key=value ...> [<source>] <message>`).
/// Unlike it, metadata is formatted only when a line is written. Hummingbird gives every request
/// a logger with its own request id; `StreamLogHandler` formatted and sorted the whole metadata
/// again at each such change, on every request, at any log level (2% of a member read's CPU).
public struct LineLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let write: @Sendable (String) -> Void

    /// `write` takes each line, its newline included (standard error unless told otherwise).
    public init(label: String, metadataProvider: Logger.MetadataProvider? = LoggingSystem.metadataProvider,
                write: @escaping @Sendable (String) -> Void = LineLogHandler.standardError) {
        self.label = label
        self.metadataProvider = metadataProvider
        self.write = write
    }

    /// Writes a line to standard error. A line that cannot be written (the stream closed) is
    /// dropped: logging never stops the server.
    public static let standardError: @Sendable (String) -> Void = { line in
        try? FileHandle.standardError.write(contentsOf: Data(line.utf8))
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var all = metadata
        if let provided = metadataProvider?.get() { all.merge(provided) { _, new in new } }
        if let explicit = event.metadata { all.merge(explicit) { _, new in new } }
        if let error = event.error { all["error"] = .string("\(error)") }
        let pairs = all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        write("\(Instant.wallClock().rfc3339) \(event.level) \(label) :\(pairs.isEmpty ? "" : " " + pairs) [\(event.source)] \(event.message)\n")
    }
}
