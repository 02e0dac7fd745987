import AccruePostgres
import AccrueStore
import ArgumentParser

/// Opens the PostgreSQL store a `postgres://` URL names, creating its tables when missing.
func openPostgres(_ url: String) throws -> any LedgerStore & ServiceStore {
    do {
        return try PostgresStore(url: url)
    } catch {
        warn("accrue: cannot open the PostgreSQL database: \(error)")
        throw ExitCode(2)
    }
}
