import AccrueStore
import ArgumentParser

/// Opens the PostgreSQL store (filled in when the store lands).
func openPostgres(_ url: String) throws -> any LedgerStore & ServiceStore {
    throw ValidationError("PostgreSQL is not available in this build")
}
