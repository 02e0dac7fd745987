import AccrueCore
import Foundation
import Yams

/// One problem in a program file, located by line, column and field.
public struct ProgramFileProblem: Sendable, CustomStringConvertible, Equatable {
    public var file: String
    public var line: Int
    public var column: Int
    /// The field's path: `rules[2].caps[0].per`.
    public var field: String
    public var message: String

    public var description: String { "\(file):\(line):\(column): \(field.isEmpty ? "" : field + ": ")\(message)" }
}

/// Why a program file could not be loaded: every problem found, not just the first.
public struct ProgramFileError: Error, Sendable, CustomStringConvertible {
    public var problems: [ProgramFileProblem]
    public var description: String { problems.map(\.description).joined(separator: "\n") }
}

/// Limits on program files.
public enum ProgramFileLimits {
    public static let maximumBytes = 1_048_576
    public static let maximumRules = 200
    public static let maximumLevels = 20
    public static let maximumCampaigns = 200
    public static let maximumRewards = 1_000
    public static let maximumServices = 200
    public static let maximumCaps = 5
}

/// Reads program files (YAML) into `Program` values, checking every field.
public enum ProgramFile {
    /// Loads and validates a program file.
    public static func load(path: String) throws -> Program {
        let url = URL(fileURLWithPath: path)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw ProgramFileError(problems: [ProgramFileProblem(file: path, line: 0, column: 0, field: "", message: "the file cannot be read")])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ProgramFileError(problems: [ProgramFileProblem(file: path, line: 0, column: 0, field: "", message: "the file is not UTF-8 text")])
        }
        return try parse(text, file: path)
    }

    /// Parses and validates the text of a program file; `file` names it in problems.
    public static func parse(_ text: String, file: String) throws -> Program {
        guard text.utf8.count <= ProgramFileLimits.maximumBytes else {
            throw ProgramFileError(problems: [ProgramFileProblem(file: file, line: 0, column: 0, field: "", message: "the file is larger than \(ProgramFileLimits.maximumBytes) bytes")])
        }
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text) else {
                throw ProgramFileError(problems: [ProgramFileProblem(file: file, line: 1, column: 1, field: "", message: "the file is empty")])
            }
            root = node
        } catch let error as ProgramFileError {
            throw error
        } catch let error as YamlError {
            throw ProgramFileError(problems: [yamlProblem(error, file: file)])
        } catch {
            throw ProgramFileError(problems: [ProgramFileProblem(file: file, line: 0, column: 0, field: "", message: "not YAML: \(error)")])
        }
        let reader = Reader(file: file)
        let program = reader.program(root)
        if !reader.problems.isEmpty || program == nil {
            throw ProgramFileError(problems: reader.problems.isEmpty
                ? [ProgramFileProblem(file: file, line: 1, column: 1, field: "", message: "not a program")] : reader.problems)
        }
        return program!
    }

    static func yamlProblem(_ error: YamlError, file: String) -> ProgramFileProblem {
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _):
            let text = [context?.text, problem].compactMap { $0 }.joined(separator: ": ")
            return ProgramFileProblem(file: file, line: mark.line, column: mark.column, field: "", message: "not valid YAML: \(text)")
        case let .composer(context, problem, mark, _):
            let text = [context?.text, problem].compactMap { $0 }.joined(separator: ": ")
            return ProgramFileProblem(file: file, line: mark.line, column: mark.column, field: "", message: "not valid YAML: \(text)")
        case let .duplicatedKeysInMapping(duplicates, context):
            return ProgramFileProblem(file: file, line: context.mark.line, column: context.mark.column, field: "",
                                      message: "\(duplicates.sorted().joined(separator: ", ")) appear\(duplicates.count == 1 ? "s" : "") twice in one mapping")
        case let .reader(problem, offset, _, yaml):
            let before = offset.map { yaml.utf8.prefix($0) } ?? yaml.utf8.prefix(0)
            let line = before.reduce(1) { $1 == 0x0A ? $0 + 1 : $0 }
            return ProgramFileProblem(file: file, line: line, column: 1, field: "", message: "not readable text: \(problem)")
        default:
            return ProgramFileProblem(file: file, line: 1, column: 1, field: "", message: "not valid YAML: \(error)")
        }
    }
}

/// Walks the YAML tree, collecting problems with their place instead of stopping at the first.
final class Reader {
    let file: String
    var problems: [ProgramFileProblem] = []
    /// Mappings read so far by path, to place a missing field at the mapping that lacks it.
    var mappings: [String: Node] = [:]

    init(file: String) { self.file = file }

    func problem(_ node: Node?, _ path: String, _ message: String) {
        problems.append(ProgramFileProblem(file: file, line: node?.mark?.line ?? 0, column: node?.mark?.column ?? 0, field: path, message: message))
    }

    /// A mapping's fields by key, with unknown keys reported.
    func fields(_ node: Node, _ path: String, allowed: [String]) -> [String: Node]? {
        guard let mapping = node.mapping else {
            problem(node, path, "must be a mapping of fields")
            return nil
        }
        mappings[path] = node
        var result: [String: Node] = [:]
        for (key, value) in mapping {
            guard let name = key.scalar?.string else {
                problem(key, path, "field names must be text")
                continue
            }
            let fieldPath = path.isEmpty ? name : path + "." + name
            if !allowed.contains(name) {
                problem(key, fieldPath, "unknown field (known here: \(allowed.joined(separator: ", ")))")
                continue
            }
            if result[name] != nil { problem(key, fieldPath, "appears twice") }
            result[name] = value
        }
        return result
    }

    func path(_ base: String, _ key: String) -> String { base.isEmpty ? key : base + "." + key }

    func string(_ map: [String: Node], _ key: String, _ base: String, required: Bool = false, pattern: ((String) -> Bool)? = nil,
                expected: String = "text") -> String? {
        guard let node = map[key] else {
            if required { problem(mappings[base], path(base, key), "is required") }
            return nil
        }
        guard let scalar = node.scalar, scalar.style != .plain || !["null", "~", ""].contains(scalar.string) else {
            problem(node, path(base, key), "must be \(expected)")
            return nil
        }
        if let pattern, !pattern(scalar.string) {
            problem(node, path(base, key), "must be \(expected), not \"\(scalar.string)\"")
            return nil
        }
        return scalar.string
    }

    func integer(_ map: [String: Node], _ key: String, _ base: String, required: Bool = false, minimum: Int64 = 0,
                 maximum: Int64 = 1_000_000_000_000) -> Int64? {
        guard let node = map[key] else {
            if required { problem(mappings[base], path(base, key), "is required") }
            return nil
        }
        guard let text = node.scalar?.string, let value = Int64(text) else {
            problem(node, path(base, key), "must be a whole number")
            return nil
        }
        guard value >= minimum, value <= maximum else {
            problem(node, path(base, key), "must be between \(minimum) and \(maximum)")
            return nil
        }
        return value
    }

    func bool(_ map: [String: Node], _ key: String, _ base: String) -> Bool? {
        guard let node = map[key] else { return nil }
        switch node.scalar?.string {
        case "true"?: return true
        case "false"?: return false
        default:
            problem(node, path(base, key), "must be true or false")
            return nil
        }
    }

    func money(_ map: [String: Node], _ key: String, _ base: String, required: Bool = false) -> Int64? {
        guard let text = string(map, key, base, required: required, expected: "an amount such as \"2.00\"") else { return nil }
        guard case let .success(minor) = Money.parseMinorUnits(text) else {
            problem(map[key], path(base, key), "must be an amount such as \"2.00\" (at most 2 decimals, not negative)")
            return nil
        }
        return minor
    }

    func list(_ map: [String: Node], _ key: String, _ base: String, maximum: Int) -> [(Node, String)]? {
        guard let node = map[key] else { return nil }
        guard let sequence = node.sequence else {
            problem(node, path(base, key), "must be a list")
            return nil
        }
        if sequence.count > maximum {
            problem(node, path(base, key), "has \(sequence.count) items; at most \(maximum) are allowed")
        }
        return sequence.prefix(maximum).enumerated().map { ($1, "\(path(base, key))[\($0)]") }
    }

    func strings(_ map: [String: Node], _ key: String, _ base: String, maximum: Int = 1_000) -> [String]? {
        guard let items = list(map, key, base, maximum: maximum) else { return nil }
        var result: [String] = []
        for (node, itemPath) in items {
            guard let text = node.scalar?.string, !text.isEmpty else {
                problem(node, itemPath, "must be text")
                continue
            }
            result.append(text)
        }
        return result
    }

    static func isIdentifier(_ text: String) -> Bool {
        !text.isEmpty && text.count <= 64 && text.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "_" }
    }

    func identifier(_ map: [String: Node], _ key: String, _ base: String, required: Bool = true) -> String? {
        string(map, key, base, required: required, pattern: Reader.isIdentifier, expected: "an id of lower-case letters, digits, '-' and '_'")
    }

    func ratio(_ map: [String: Node], _ key: String, _ base: String) -> Ratio? {
        guard let node = map[key] else { return nil }
        guard let text = node.scalar?.string, let ratio = Ratio(decimal: text), ratio.numerator > 0 else {
            problem(node, path(base, key), "must be a positive decimal such as \"1.2\" (at most 4 decimals)")
            return nil
        }
        return ratio
    }
}
