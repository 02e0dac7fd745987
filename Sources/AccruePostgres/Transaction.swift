import AccrueCore
import AccrueStore
import PostgresNIO

extension PostgresStore {
    /// One write transaction on one program, on the connection that holds its row lock. A batch's
    /// log records and entries are each written by one set-based statement (`unnest` over
    /// arrays), not a statement per row.
    struct Transaction: LedgerWriteTransaction {
        let connection: Connection
        let program: String

        func tail(after revision: Int64) throws -> LogTail {
            try PostgresStore.tail(connection, program: program, after: revision)
        }

        func inputRecords(ids: [String]) throws -> [String: InputRecord] {
            try PostgresStore.inputRecords(connection, program: program, ids: ids)
        }

        func append(_ batch: CommitBatch, revision: Int64) throws -> Int64 {
            let next = revision + 1
            var binds = Binds()
            binds.add(program)
            binds.add(next)
            binds.add(revision)
            let moved = try connection.run("UPDATE programs SET revision = $2 WHERE id = $1 AND revision = $3 RETURNING log_version", binds.values).rows
            guard let row = moved.first else { throw StoreError.staleRevision(program: program, expected: revision) }
            var log = LogRows()
            if let version = batch.programVersion, try row.get("log_version", as: Int?.self) != version {
                // A change of program version is logged before the records decided under it.
                log.add(kind: "program", id: "\u{1}program:\(next)", canonical: String(version))
                var versionBinds = Binds()
                versionBinds.add(program)
                versionBinds.add(version)
                try connection.run("UPDATE programs SET log_version = $2 WHERE id = $1", versionBinds.values)
            }
            for (id, record) in batch.inputs {
                log.add(kind: "input", id: id, member: record.outcome.member, seq: record.outcome.seq, status: record.outcome.status.rawValue,
                        points: record.outcome.points, canonical: record.canonical, outcome: try StoredJSON.encode(record.outcome))
            }
            if let step = batch.advancedTo {
                // A clock step is part of the log; its id starts with a control character, which
                // an input's id never has, so the two cannot clash.
                log.add(kind: "advance", id: "\u{1}advance:\(next)", canonical: step.text)
            }
            try insert(log, revision: next)
            try insert(batch.entries)
            return next
        }

        /// The log records of one commit, column by column.
        struct LogRows {
            var kinds: [String] = [], ids: [String] = [], members: [String?] = [], seqs: [Int64?] = []
            var statuses: [String] = [], points: [Int64] = [], canonicals: [String] = [], outcomes: [String] = []

            mutating func add(kind: String, id: String, member: String? = nil, seq: Int64? = nil, status: String = "applied",
                              points: Int64 = 0, canonical: String, outcome: String = "{}") {
                kinds.append(kind)
                ids.append(id)
                members.append(member)
                seqs.append(seq)
                statuses.append(status)
                self.points.append(points)
                canonicals.append(canonical)
                outcomes.append(outcome)
            }
        }

        /// Runs a set-based statement over `count` rows, with the program as $1 and the column
        /// arrays `add` binds after it; nothing when there are no rows.
        private func batch(_ count: Int, _ sql: String, _ add: (inout Binds) throws -> Void) throws {
            guard count > 0 else { return }
            var binds = Binds()
            binds.add(program)
            try add(&binds)
            try connection.run(sql, binds.values)
        }

        private func insert(_ log: LogRows, revision: Int64) throws {
            try batch(log.ids.count, """
                INSERT INTO inputs (program, revision, ord, kind, id, member, seq, status, points, canonical, outcome)
                SELECT $1, $2, r.ord, r.kind, r.id, r.member, r.seq, r.status, r.points, r.canonical, r.outcome
                FROM unnest($3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[], $8::bigint[], $9::text[], $10::text[])
                    WITH ORDINALITY AS r (kind, id, member, seq, status, points, canonical, outcome, ord)
                """) {
                $0.add(revision)
                $0.add(log.kinds)
                $0.add(log.ids)
                $0.add(nullable: log.members)
                $0.add(nullable: log.seqs)
                $0.add(log.statuses)
                $0.add(log.points)
                $0.add(log.canonicals)
                $0.add(log.outcomes)
            }
        }

        private func insert(_ entries: [Entry]) throws {
            try batch(entries.count, """
                INSERT INTO entries (program, \(PostgresStore.entryColumns))
                SELECT $1, e.* FROM unnest($2::bigint[], $3::text[], $4::bigint[], $5::text[], $6::bigint[], $7::bigint[], $8::text[],
                    $9::text[], $10::text[], $11::bigint[], $12::bigint[], $13::text[], $14::text[], $15::text[], $16::text[]) AS e
                """) {
                $0.add(entries.map(\.seq))
                $0.add(entries.map(\.member))
                $0.add(entries.map(\.at.milliseconds))
                $0.add(entries.map(\.kind.rawValue))
                $0.add(entries.map(\.points))
                $0.add(nullable: entries.map(\.lot))
                $0.add(nullable: entries.map(\.hold))
                $0.add(nullable: entries.map(\.input))
                $0.add(nullable: entries.map(\.rule))
                $0.add(nullable: entries.map(\.expiresAt?.milliseconds))
                $0.add(nullable: entries.map(\.availableAt?.milliseconds))
                $0.add(nullable: entries.map(\.tier))
                $0.add(nullable: entries.map(\.code))
                $0.add(entries.map(\.reason))
                $0.add(nullable: entries.map(\.currency))
            }
        }

        /// A checkpoint inside this transaction (the program is locked): the header, then every
        /// record under the checkpoint's generation, then the older generations of those records.
        func checkpoint(_ rows: CheckpointRows) throws -> Bool {
            guard try moveHeader(rows) else { return false }
            // In one transaction, but encoded a step at a time.
            _ = try rows.forEachStep(bytes: PostgresStore.checkpointStepBytes) { step in
                try PostgresStore.writeRecords(connection, program: program, rows, step: step)
                return true
            }
            try PostgresStore.dropOlderGenerations(connection, program: program, rows, step: CheckpointStep(all: rows))
            return true
        }

        /// Moves the checkpoint header to `rows`' revision; false when a later checkpoint is
        /// stored already.
        func moveHeader(_ rows: CheckpointRows) throws -> Bool {
            let checkpoint = rows.checkpoint
            var binds = Binds()
            binds.add(program)
            binds.add(checkpoint.revision)
            binds.add(rows.header)
            binds.add(checkpoint.programVersion)
            // The header moves only when the checkpoint's revision is committed and not older than
            // the checkpoint stored (the write lock is held: neither can change meanwhile).
            let updated = try connection.run("""
                UPDATE programs SET header = $3, checkpoint_revision = $2, checkpoint_version = $4
                WHERE id = $1 AND revision >= $2 AND checkpoint_revision <= $2
                """, binds.values).changed
            guard updated == 1 else {
                var programBind = Binds()
                programBind.add(program)
                let stored = try connection.run("SELECT revision FROM programs WHERE id = $1", programBind.values).rows.first
                if let stored, try stored.get("revision", as: Int64.self) >= checkpoint.revision { return false }
                throw StoreError.staleRevision(program: program, expected: checkpoint.revision)
            }
            return true
        }
    }
}

extension PostgresStore {
    /// Runs a set-based statement over `count` rows, with the program as $1 and the generation as
    /// $2, and the column arrays `add` binds after them; nothing when there are no rows.
    private static func setBased(_ connection: Connection, _ program: String, _ generation: Int64, _ count: Int, _ sql: String,
                                 _ add: (inout Binds) throws -> Void) throws {
        guard count > 0 else { return }
        var binds = Binds()
        binds.add(program)
        binds.add(generation)
        try add(&binds)
        try connection.run(sql, binds.values)
    }

    /// A step's records of a checkpoint, under its generation (its revision).
    static func writeRecords(_ connection: Connection, program: String, _ rows: CheckpointRows, step: CheckpointStep) throws {
        let members = Array(rows.members[step.members])
        try setBased(connection, program, rows.revision, members.count, """
            INSERT INTO members (program, generation, member, balance, pending, held, tier, state)
            SELECT $1, $2, m.* FROM unnest($3::text[], $4::bigint[], $5::bigint[], $6::bigint[], $7::text[], $8::text[]) AS m
            ON CONFLICT (program, member, generation) DO UPDATE SET balance = excluded.balance, pending = excluded.pending,
                held = excluded.held, tier = excluded.tier, state = excluded.state
            """) {
            $0.add(members.map(\.id))
            $0.add(members.map(\.balance))
            $0.add(members.map(\.pending))
            $0.add(members.map(\.held))
            $0.add(nullable: members.map(\.tier))
            $0.add(step.members.isEmpty ? [] : step.states)
        }
        let orders = Array(rows.orders[step.orders])
        try setBased(connection, program, rows.revision, orders.count, """
            INSERT INTO orders (program, generation, order_id, member, state)
            SELECT $1, $2, o.* FROM unnest($3::text[], $4::text[], $5::text[]) AS o
            ON CONFLICT (program, order_id, generation) DO UPDATE SET state = excluded.state
            """) {
            $0.add(orders.map(\.id))
            $0.add(orders.map(\.member))
            $0.add(step.orders.isEmpty ? [] : step.states)
        }
        let bookings = Array(rows.bookings[step.bookings])
        try setBased(connection, program, rows.revision, bookings.count, """
            INSERT INTO bookings (program, generation, booking, member, status, state)
            SELECT $1, $2, b.* FROM unnest($3::text[], $4::text[], $5::text[], $6::text[]) AS b
            ON CONFLICT (program, booking, generation) DO UPDATE SET status = excluded.status, state = excluded.state
            """) {
            $0.add(bookings.map(\.id))
            $0.add(bookings.map(\.member))
            $0.add(bookings.map(\.status.rawValue))
            $0.add(step.bookings.isEmpty ? [] : step.states)
        }
    }

    /// Deletes the older generations of a step's records: once the header is at (or past) the
    /// checkpoint's revision, no load reads them.
    static func dropOlderGenerations(_ connection: Connection, program: String, _ rows: CheckpointRows, step: CheckpointStep) throws {
        try setBased(connection, program, rows.revision, step.members.count,
                     "DELETE FROM members WHERE program = $1 AND generation < $2 AND member = ANY($3::text[])") {
            $0.add(rows.members[step.members].map(\.id))
        }
        try setBased(connection, program, rows.revision, step.orders.count,
                     "DELETE FROM orders WHERE program = $1 AND generation < $2 AND order_id = ANY($3::text[])") {
            $0.add(rows.orders[step.orders].map(\.id))
        }
        try setBased(connection, program, rows.revision, step.bookings.count,
                     "DELETE FROM bookings WHERE program = $1 AND generation < $2 AND booking = ANY($3::text[])") {
            $0.add(rows.bookings[step.bookings].map(\.id))
        }
    }
}
