import AccrueCore
import Foundation

/// Finds program files: a path, or a preset name looked up in the preset folders.
public enum Presets {
    /// Folders searched for `NAME.yaml`, in order: `$ACCRUE_PROGRAMS`, `./programs`, and the
    /// `programs` folder of the source tree this binary was built from.
    public static var folders: [String] {
        var result: [String] = []
        if let env = ProcessInfo.processInfo.environment["ACCRUE_PROGRAMS"], !env.isEmpty { result.append(env) }
        result.append(FileManager.default.currentDirectoryPath + "/programs")
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        result.append(source.appendingPathComponent("programs").path)
        return result
    }

    /// The path of a program given by path or by preset name, or nil.
    public static func path(of nameOrPath: String) -> String? {
        if nameOrPath.contains("/") || nameOrPath.hasSuffix(".yaml") || nameOrPath.hasSuffix(".yml") {
            return FileManager.default.fileExists(atPath: nameOrPath) ? nameOrPath : nil
        }
        for folder in folders {
            let candidate = folder + "/" + nameOrPath + ".yaml"
            if FileManager.default.fileExists(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// A program file by path or preset name: its text, read once, and the program it describes.
    public static func read(_ nameOrPath: String) throws -> (program: Program, source: String) {
        guard let path = path(of: nameOrPath) else {
            throw ProgramFileError(problems: [ProgramFileProblem(file: nameOrPath, line: 0, column: 0, field: "",
                message: "no such program file, and no preset of that name in \(folders.joined(separator: ", "))")])
        }
        guard let bytes = FileManager.default.contents(atPath: path) else {
            throw ProgramFileError(problems: [ProgramFileProblem(file: path, line: 0, column: 0, field: "", message: "the file cannot be read")])
        }
        guard let source = String(validating: bytes, as: UTF8.self) else {
            // The line of the first byte that is not UTF-8, so the editor can find it.
            var parser = Unicode.UTF8.ForwardParser()
            var iterator = bytes.makeIterator()
            var valid = 0
            scan: while case let .valid(scalar) = parser.parseScalar(from: &iterator) { valid += scalar.count; continue scan }
            let line = bytes.prefix(valid).filter { $0 == 0x0A }.count + 1
            throw ProgramFileError(problems: [ProgramFileProblem(file: path, line: line, column: 0, field: "",
                                                                 message: "the file is not valid UTF-8 (byte \(valid + 1))")])
        }
        return (try ProgramFile.parse(source, file: path), source)
    }

    /// Loads a program by path or preset name.
    public static func load(_ nameOrPath: String) throws -> Program {
        try read(nameOrPath).program
    }

    /// The names of the presets in the first preset folder that exists.
    public static func names() -> [String] {
        for folder in folders {
            if let files = try? FileManager.default.contentsOfDirectory(atPath: folder) {
                let names = files.filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(5)) }.sorted()
                if !names.isEmpty { return names }
            }
        }
        return []
    }
}
