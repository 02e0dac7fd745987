import AccrueCore
import AccruePrograms
import ArgumentParser
import Foundation

@main
struct Accrue: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "accrue",
        abstract: "Accrue: a loyalty points engine.",
        subcommands: [Demo.self, Replay.self, Ingest.self, MemberCommand.self, Why.self, Quote.self, Verify.self, Advance.self, Programs.self, Serve.self, Backup.self, Restore.self, BareHTTP.self],
        defaultSubcommand: Demo.self)
}

/// Writes a message to standard error.
func warn(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// Loads a program by name or path, optionally as another instance (`--as store-123`).
func loadProgram(_ nameOrPath: String, as instance: String?) throws -> Program {
    try readProgram(nameOrPath, as: instance).program
}

/// Reads a program file once: the program (as `instance` when given), the file's own id and its text.
func readProgram(_ nameOrPath: String, as instance: String?) throws -> (program: Program, base: String, source: String) {
    let file: (program: Program, source: String)
    do {
        file = try Presets.read(nameOrPath)
    } catch let error as ProgramFileError {
        warn(error.description)
        throw ExitCode(2)
    }
    guard let instance else { return (file.program, file.program.id, file.source) }
    guard !instance.isEmpty, instance.count <= 64,
          instance.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "_" }) else {
        throw ValidationError("--as must be an id of lower-case letters, digits, '-' and '_'")
    }
    return (file.program.instance(id: instance), file.program.id, file.source)
}

func readFile(_ path: String) throws -> [UInt8] {
    if path == "-" { return Array(FileHandle.standardInput.readDataToEndOfFile()) }
    guard let data = FileManager.default.contents(atPath: path) else {
        warn("accrue: cannot read \(path)")
        throw ExitCode(2)
    }
    return Array(data)
}

func parseTime(_ text: String?) throws -> Instant? {
    guard let text else { return nil }
    guard let instant = Instant(rfc3339: text) else {
        throw ValidationError("\(text) is not a time such as 2027-03-10T00:00:00Z")
    }
    guard instant >= Limits.earliestTime, instant < Limits.latestTime else {
        throw ValidationError("\(text) is outside the years 2000 to 2099")
    }
    return instant
}

/// JSON for people and scripts: keys sorted, so that output can be compared. One encoder for
/// every line (`ingest --outcomes` writes one per input).
private let outputEncoder: JSONEncoder = {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return encoder
}()

func jsonText<T: Encodable>(_ value: T) -> String {
    String(decoding: try! outputEncoder.encode(value), as: UTF8.self)
}

/// Prints a value written directly (its canonical text: what `jsonText` prints for the same
/// value, sorted keys and all) and a newline. Through `print`, so that it keeps its order with
/// the other lines printed.
func printJSON(_ value: JSON) {
    print(String(decoding: value.canonicalBytes, as: UTF8.self))
}

struct Replay: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply a log of inputs to a fresh, empty state and print what happened as one JSON document.")

    @Option(name: .long, help: "A preset name (jd-points) or the path of a program file.")
    var program: String

    @Option(name: .long, help: "Run the program under another id (a store's own program, such as store-123).")
    var `as`: String?

    @Option(name: .long, help: "A JSON-lines file of inputs, or - for standard input.")
    var events: String

    @Option(name: .long, help: "Run due work (pending, expiry, tiers) up to this time; default: the last input's time.")
    var until: String?

    func run() throws {
        let program = try loadProgram(program, as: `as`)
        let until = try parseTime(until)
        let text = try readFile(events)
        let replay = AccrueCore.Replay.run(program: program, text: text, until: until, keepsEntries: false)
        printJSON(replay.document().json)
    }
}
