import AccrueCore
import AccruePrograms
import ArgumentParser

struct Programs: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "programs", abstract: "List and check program files.", subcommands: [Check.self, List.self])

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate program files; problems name the file, line, column and field.")

        @Argument(help: "Program files (or preset names) to check.")
        var files: [String]

        func run() throws {
            var failed = false
            for file in files {
                do {
                    let program = try Presets.load(file)
                    print("\(file): ok: \(program.id) \"\(program.name)\" version \(program.version), \(program.rules.count) rules, "
                          + "\(program.tiers?.levels.count ?? 0) tiers, \(program.campaigns.count) campaigns, "
                          + "\(program.rewards.count) rewards, \(program.services.count) services")
                } catch let error as ProgramFileError {
                    failed = true
                    warn(error.description)
                }
            }
            if failed { throw ExitCode(1) }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the presets.")

        func run() throws {
            for name in Presets.names() {
                if let program = try? Presets.load(name) {
                    print("\(name)\t\(program.name)\t\(program.points.name)")
                }
            }
        }
    }
}
