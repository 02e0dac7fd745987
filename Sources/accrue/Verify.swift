import AccrueCore
import AccrueServer
import AccrueSQLite
import AccrueStore
import ArgumentParser
import Foundation

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Rebuild every balance, lot and tier from the ledger, replay the inputs, and compare with the stored state.")

    @Option(name: .long, help: "The SQLite database file, or a postgres:// URL.")
    var database: String

    @Option(name: .long, help: "Check only this program.")
    var program: String?

    func run() throws {
        guard database.hasPrefix("postgres") || FileManager.default.fileExists(atPath: database) else {
            warn("accrue: no database at \(database)")
            throw ExitCode(2)
        }
        let store = try openStore(database)
        let programs = try program.map { [try storedProgram($0, in: store)] } ?? store.programs().map(parseStored)
        if !(try verifyAll(programs, in: store)) { throw ExitCode(1) }
    }
}

/// Verifies programs of a store (every program when nil), printing a line per program; false
/// when any has a problem.
func verifyAll(_ only: [Program]? = nil, in store: Database) throws -> Bool {
    let programs = try only ?? store.programs().map(parseStored)
    var failed = false
    for program in programs {
        var report = try verify(program, store: store, programAt: StoredPrograms.versions(of: program, in: store))
        report.problems += (try? store.summaryMismatches(program: program.id)) ?? ["\(program.id): the report columns cannot be read"]
        if report.problems.isEmpty {
            print("\(program.id): ok: \(report.members) members, \(report.inputs) inputs, \(report.entries) entries; the ledger, the state and a replay agree")
        } else {
            failed = true
            print("\(program.id): \(report.problems.count) problems")
            for problem in report.problems.prefix(50) { print("  \(problem)") }
        }
    }
    return !failed
}
