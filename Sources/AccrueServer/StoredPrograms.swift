import AccrueCore
import AccruePrograms
import AccrueStore

/// Programs as a store keeps them: parsed from their stored text (as the instance the store names
/// them, `store-123` from `aliexpress-store`), and opened as ledgers that replay log written under
/// earlier versions of their file. The server and the command line both open programs this way.
public enum StoredPrograms {
    public static func parse(_ stored: StoredProgram) throws -> Program {
        let program = try ProgramFile.parse(stored.source, file: "\(stored.id) (version \(stored.version))")
        return stored.id == program.id ? program : program.instance(id: stored.id)
    }

    /// Gives the program as another stored version of its file said (the program itself when the
    /// store has no such version): what a ledger or `verify` replays older log under.
    public static func versions(of program: Program, in store: any LedgerStore) -> (Int) throws -> Program {
        { version in
            guard let other = try store.program(program.id, version: version) else { return program }
            return try parse(other)
        }
    }

    /// The program's ledger: its latest checkpoint and the log after it. `version` is the stored
    /// version `program` was parsed from.
    public static func openLedger(_ program: Program, version: Int, store: any LedgerStore,
                                  checkpointInterval: Int = 20_000) throws -> ProgramLedger {
        try ProgramLedger(program: program, store: store, checkpointInterval: checkpointInterval, programVersion: version,
                          programAt: versions(of: program, in: store))
    }
}
