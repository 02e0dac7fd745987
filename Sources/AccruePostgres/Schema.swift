import Foundation

/// The store's schema as numbered, append-only migrations: a database records in
/// `schema_migrations` which have run, and a store that opens it runs the rest in order. Never
/// edit a migration that has shipped; add the next one.
///
/// Every table a program's data lives in is keyed by program first (members, orders and bookings
/// by program and member or id, the log by program and revision, entries by program and seq), and no transaction spans two programs, so the tables can later be distributed by
/// program (Citus). Points and instants (milliseconds) are BIGINT, ids TEXT, JSON state TEXT.
enum Schema {
    static let migrations: [(version: Int, name: String, sql: String)] = [
        (1, "ledger", """
            CREATE TABLE programs (
                id TEXT PRIMARY KEY,
                base TEXT NOT NULL,
                version INTEGER NOT NULL,
                source TEXT NOT NULL,
                revision BIGINT NOT NULL DEFAULT 0,
                log_version INTEGER,
                checkpoint_revision BIGINT NOT NULL DEFAULT 0,
                checkpoint_version INTEGER,
                header TEXT
            );
            CREATE TABLE program_versions (
                id TEXT NOT NULL,
                version INTEGER NOT NULL,
                source TEXT NOT NULL,
                PRIMARY KEY (id, version)
            );
            CREATE TABLE members (
                program TEXT NOT NULL,
                member TEXT NOT NULL,
                balance BIGINT NOT NULL,
                pending BIGINT NOT NULL,
                held BIGINT NOT NULL,
                tier TEXT,
                state TEXT NOT NULL,
                PRIMARY KEY (program, member)
            );
            CREATE TABLE orders (
                program TEXT NOT NULL,
                order_id TEXT NOT NULL,
                member TEXT NOT NULL,
                state TEXT NOT NULL,
                PRIMARY KEY (program, order_id)
            );
            CREATE TABLE bookings (
                program TEXT NOT NULL,
                booking TEXT NOT NULL,
                member TEXT NOT NULL,
                status TEXT NOT NULL,
                state TEXT NOT NULL,
                PRIMARY KEY (program, booking)
            );
            -- The log: records in (revision, ord) order; ord is the place within its commit.
            CREATE TABLE inputs (
                program TEXT NOT NULL,
                revision BIGINT NOT NULL,
                ord INTEGER NOT NULL,
                kind TEXT NOT NULL CHECK (kind IN ('input', 'advance', 'program')),
                id TEXT NOT NULL,
                member TEXT,
                seq BIGINT,
                status TEXT NOT NULL,
                points BIGINT NOT NULL,
                canonical TEXT NOT NULL,
                outcome TEXT NOT NULL,
                PRIMARY KEY (program, revision, ord),
                UNIQUE (program, id)
            );
            CREATE INDEX inputs_by_member ON inputs (program, member, seq);
            CREATE TABLE entries (
                program TEXT NOT NULL,
                seq BIGINT NOT NULL,
                member TEXT NOT NULL,
                at BIGINT NOT NULL,
                kind TEXT NOT NULL,
                points BIGINT NOT NULL,
                lot BIGINT,
                hold TEXT,
                input TEXT,
                rule TEXT,
                expires_at BIGINT,
                available_at BIGINT,
                tier TEXT,
                code TEXT,
                reason TEXT NOT NULL,
                PRIMARY KEY (program, seq)
            );
            CREATE INDEX entries_by_member ON entries (program, member, seq);
            """),
        (2, "service", """
            ALTER TABLE programs ADD COLUMN retired BOOLEAN NOT NULL DEFAULT false;
            CREATE INDEX entries_by_time ON entries (program, at);
            -- The webhook outbox: written in the transaction that writes the entries.
            CREATE TABLE events (
                program TEXT NOT NULL,
                seq BIGINT NOT NULL,
                type TEXT NOT NULL,
                member TEXT NOT NULL,
                at BIGINT NOT NULL,
                data TEXT NOT NULL,
                PRIMARY KEY (program, seq)
            );
            CREATE TABLE settings (
                key TEXT PRIMARY KEY,
                value TEXT NOT NULL
            );
            CREATE TABLE api_keys (
                id TEXT PRIMARY KEY,
                program TEXT,
                scopes TEXT[] NOT NULL,
                name TEXT NOT NULL,
                hash TEXT NOT NULL UNIQUE,
                created_at BIGINT NOT NULL,
                revoked_at BIGINT
            );
            -- A delivery lease (owner, until) keeps two servers from delivering one webhook at once.
            CREATE TABLE webhooks (
                id TEXT PRIMARY KEY,
                program TEXT NOT NULL,
                url TEXT NOT NULL,
                secret TEXT NOT NULL,
                events TEXT[] NOT NULL,
                created_at BIGINT NOT NULL,
                cursor BIGINT NOT NULL DEFAULT 0,
                attempts INTEGER NOT NULL DEFAULT 0,
                next_attempt_at BIGINT,
                last_error TEXT,
                delivered BIGINT NOT NULL DEFAULT 0,
                lease_owner TEXT,
                lease_until BIGINT
            );
            CREATE INDEX webhooks_by_program ON webhooks (program);
            """),
        (3, "entry currencies", """
            ALTER TABLE entries ADD COLUMN currency TEXT;
            """),
        // A checkpoint written off the writers' path writes its records in short transactions under
        // its generation (its revision) and moves the header last; a load reads each record's
        // newest generation not after the header. Rows written before this migration are
        // generation 0, which is not after any header.
        (4, "checkpoint generations", """
            ALTER TABLE members ADD COLUMN generation BIGINT NOT NULL DEFAULT 0;
            ALTER TABLE members DROP CONSTRAINT members_pkey;
            ALTER TABLE members ADD PRIMARY KEY (program, member, generation);
            ALTER TABLE orders ADD COLUMN generation BIGINT NOT NULL DEFAULT 0;
            ALTER TABLE orders DROP CONSTRAINT orders_pkey;
            ALTER TABLE orders ADD PRIMARY KEY (program, order_id, generation);
            ALTER TABLE bookings ADD COLUMN generation BIGINT NOT NULL DEFAULT 0;
            ALTER TABLE bookings DROP CONSTRAINT bookings_pkey;
            ALTER TABLE bookings ADD PRIMARY KEY (program, booking, generation);
            """),
        // Webhook events are derived from the entries at delivery: the outbox table, a second row
        // beside every entry, goes. Events not yet delivered are derived again from their entries,
        // with the same seq and id.
        (5, "events from entries", """
            DROP TABLE events;
            """),
    ]

    /// Runs the migrations a database has not run yet, in one transaction under an advisory lock,
    /// so that two stores opening a new database at once do not both create it.
    static func migrate(_ connection: Connection) throws {
        try connection.transaction {
            try connection.run("SELECT pg_advisory_xact_lock(7406511180)")
            try connection.run("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version INTEGER PRIMARY KEY,
                    name TEXT NOT NULL,
                    applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
                )
                """)
            let done = Set(try connection.run("SELECT version FROM schema_migrations").rows.map { try $0.get("version", as: Int.self) })
            for migration in migrations where !done.contains(migration.version) {
                // PostgresNIO sends one statement at a time: a migration's end at `;` and a line end.
                for statement in migration.sql.components(separatedBy: ";\n") where !statement.allSatisfy(\.isWhitespace) {
                    try connection.run(statement)
                }
                var binds = Binds()
                binds.add(migration.version)
                binds.add(migration.name)
                try connection.run("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", binds.values)
            }
        }
    }
}
