import AccrueBench
import Foundation
import XCTest

/// The `accrue` command line, run as a newcomer would run it: the built binary, real files.
final class CLITests: XCTestCase {
    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    var binary: URL { accrueBinary }

    func accrue(_ arguments: [String], in folder: URL? = nil) throws -> Run {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.currentDirectoryURL = folder ?? repositoryRoot
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
    }

    func testReplayPrintsTheContractDocument() throws {
        let events = repositoryRoot.appendingPathComponent("samples/jd-points.jsonl")
        let lines = try String(contentsOf: events, encoding: .utf8).split(separator: "\n").filter { !$0.allSatisfy(\.isWhitespace) }
        let run = try accrue(["replay", "--program", "jd-points", "--events", events.path, "--until", "2027-03-10T00:00:00Z"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let document = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let outcomes = try XCTUnwrap(document["outcomes"] as? [[String: Any]])
        XCTAssertEqual(outcomes.count, lines.count, "one outcome per input line")
        for outcome in outcomes {
            for key in ["id", "status", "points", "reason"] { XCTAssertTrue(outcome.keys.contains(key), "outcome lacks \(key): \(outcome)") }
            XCTAssertTrue(["applied", "refused", "duplicate"].contains(outcome["status"] as? String ?? ""))
        }
        XCTAssertEqual(outcomes[1]["points"] as? Int, 899, "899.00 CNY at regular earns 899 pending points")
        XCTAssertEqual(outcomes.filter { $0["status"] as? String == "duplicate" }.count, 1)
        let members = try XCTUnwrap(document["members"] as? [[String: Any]])
        XCTAssertEqual(members.map { $0["member"] as? String }, ["alice", "bob", "carol"])
        for member in members {
            for key in ["member", "balance", "pending", "held", "tier", "rewards"] { XCTAssertTrue(member.keys.contains(key), "member lacks \(key)") }
        }
        // By 2027-03-10 the March 2026 lots of alice have expired (12 calendar months after they became available).
        let alice = members[0]
        XCTAssertEqual(alice["tier"] as? String, "gold")
        XCTAssertEqual(alice["pending"] as? Int, 0)
    }

    func testReplayFailsClearlyWhenItCannotRead() throws {
        let missingProgram = try accrue(["replay", "--program", "no-such-program", "--events", "samples/jd-points.jsonl"])
        XCTAssertNotEqual(missingProgram.status, 0)
        XCTAssertTrue(missingProgram.stderr.contains("no-such-program"), missingProgram.stderr)
        XCTAssertEqual(missingProgram.stdout, "")
        let missingEvents = try accrue(["replay", "--program", "jd-points", "--events", "/nonexistent/events.jsonl"])
        XCTAssertNotEqual(missingEvents.status, 0)
        XCTAssertTrue(missingEvents.stderr.contains("/nonexistent/events.jsonl"), missingEvents.stderr)
        let badTime = try accrue(["replay", "--program", "jd-points", "--events", "samples/jd-points.jsonl", "--until", "tomorrow"])
        XCTAssertNotEqual(badTime.status, 0)
    }

    func testProgramsCheckNamesFileLineAndField() throws {
        let folder = temporaryFolder()
        defer { removeFolder(folder) }
        let file = folder.appendingPathComponent("broken.yaml")
        try """
        program: broken
        name: Broken
        time_zone: Mars/Olympus
        currency: USD
        points: {code: points, name: points, spend: [checkout]}
        rules:
          - id: order-points
            on: order.completed
            earn: {per_amount: "1.005", points: 1}
            caps:
              - {per: fortnight, count: 2}
          - id: tip
            on: points.redeemed
            earn: {points: 1}
            colour: blue
        """.write(to: file, atomically: true, encoding: .utf8)
        let run = try accrue(["programs", "check", file.path])
        XCTAssertEqual(run.status, 1)
        for expected in ["broken.yaml:3:12: time_zone: \"Mars/Olympus\" is not a known time zone",
                         "broken.yaml:9:24: rules[0].earn.per_amount: must be an amount",
                         "rules[0].caps[0].per: \"fortnight\" is not a period",
                         "rules[1].on: points.redeemed cannot earn",
                         "broken.yaml:15:5: rules[1].colour: unknown field",
                         "points.spend: includes checkout, so the program needs a checkout section"] {
            XCTAssertTrue(run.stderr.contains(expected), "missing \(expected) in:\n\(run.stderr)")
        }
        let presets = try accrue(["programs", "check", "jd-points", "aliexpress-store", "aliexpress-levels", "cj-rewards", "aliexpress-coins"])
        XCTAssertEqual(presets.status, 0, presets.stderr)
    }

    func testIngestMemberVerifyOnPostgreSQL() throws {
        let database = try TestPostgres.freshDatabase(cleanup: self)
        let events = repositoryRoot.appendingPathComponent("samples/jd-points.jsonl").path
        let first = try accrue(["ingest", "--database", database, "--program", "jd-points", events])
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertTrue(first.stdout.contains("19 inputs: 15 applied, 3 refused, 1 duplicates"), first.stdout)
        let member = try accrue(["member", "--database", database, "--program", "jd-points", "alice"])
        XCTAssertTrue(member.stdout.contains("available  984 points (worth 9.84 CNY)"), member.stdout)
        let verify = try accrue(["verify", "--database", database])
        XCTAssertEqual(verify.status, 0, verify.stdout + verify.stderr)
        XCTAssertTrue(verify.stdout.contains("jd-points: ok"), verify.stdout)
        let wrong = try accrue(["verify", "--database", "postgres://nobody@127.0.0.1:1/none"])
        XCTAssertEqual(wrong.status, 2)
        XCTAssertTrue(wrong.stderr.contains("cannot open the PostgreSQL database"), wrong.stderr)
    }

    func testIngestMemberVerifyEndToEnd() throws {
        let folder = temporaryFolder()
        defer { removeFolder(folder) }
        let database = folder.appendingPathComponent("accrue.sqlite").path
        let events = repositoryRoot.appendingPathComponent("samples/jd-points.jsonl").path
        let first = try accrue(["ingest", "--database", database, "--program", "jd-points", events])
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertTrue(first.stdout.contains("19 inputs: 15 applied, 3 refused, 1 duplicates"), first.stdout)
        let again = try accrue(["ingest", "--database", database, "--program", "jd-points", events])
        XCTAssertTrue(again.stdout.contains("19 inputs: 0 applied, 0 refused, 19 duplicates"), again.stdout)

        let member = try accrue(["member", "--database", database, "--program", "jd-points", "alice"])
        XCTAssertEqual(member.status, 0, member.stderr)
        for expected in ["available  984 points (worth 9.84 CNY)", "tier       Gold", "sign-ins earn at most once a day", "orders from seller s-outlet earn no points"] {
            XCTAssertTrue(member.stdout.contains(expected), "missing \(expected) in:\n\(member.stdout)")
        }
        let json = try accrue(["member", "--database", database, "--program", "jd-points", "--json", "carol"])
        let document = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let view = try XCTUnwrap(document["member"] as? [String: Any])
        XCTAssertEqual(view["pending"] as? Int, 768, "two 256.00 CNY orders, the first in Double 11 (x2), the second on 12 Nov local time")

        let why = try accrue(["why", "--database", database, "--program", "jd-points", "jd-5"])
        XCTAssertEqual(why.status, 0, why.stderr)
        XCTAssertTrue(why.stdout.contains("why: sign-ins earn at most once a day; you already have one today"), why.stdout)
        let unknown = try accrue(["why", "--database", database, "--program", "jd-points", "no-such-input"])
        XCTAssertEqual(unknown.status, 1)
        XCTAssertTrue(unknown.stderr.contains("no input no-such-input"), unknown.stderr)
        let quote = try accrue(["quote", "--database", database, "--program", "jd-points", "--member", "alice", "--order-amount", "120.50"])
        XCTAssertTrue(quote.stdout.contains("alice can pay 900 points = 9.00 CNY off 120.50 CNY"), quote.stdout)

        let verified = try accrue(["verify", "--database", database])
        XCTAssertEqual(verified.status, 0, verified.stdout)
        XCTAssertTrue(verified.stdout.contains("jd-points: ok"), verified.stdout)

        // A tampered balance is caught: the state no longer matches the ledger or the replay.
        let sqlite = Process()
        sqlite.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        sqlite.arguments = ["python3", "-c", """
            import sqlite3, json
            db = sqlite3.connect('\(database)')
            row = db.execute("SELECT state FROM members WHERE program='jd-points' AND member='alice'").fetchone()
            state = json.loads(row[0]); state['debt'] = 5
            db.execute("UPDATE members SET state=? WHERE program='jd-points' AND member='alice'", (json.dumps(state),))
            db.commit()
            """]
        try sqlite.run()
        sqlite.waitUntilExit()
        XCTAssertEqual(sqlite.terminationStatus, 0)
        let tampered = try accrue(["verify", "--database", database])
        XCTAssertEqual(tampered.status, 1)
        XCTAssertTrue(tampered.stdout.contains("alice: negative balance differs"), tampered.stdout)
        XCTAssertTrue(tampered.stdout.contains("the checkpoint at revision"), tampered.stdout)
        XCTAssertTrue(tampered.stdout.contains("alice: the report columns say balance 984"), tampered.stdout)
    }

    func testAdvanceRunsDueWorkDurably() throws {
        let folder = temporaryFolder()
        defer { removeFolder(folder) }
        let database = folder.appendingPathComponent("accrue.sqlite").path
        _ = try accrue(["ingest", "--database", database, "--program", "jd-points", "samples/jd-points.jsonl"])
        // By 1 June 2027 alice's March 2026 lot (624 points left) has expired; the June lot has not.
        let advanced = try accrue(["advance", "--database", database, "--program", "jd-points", "--to", "2027-06-01T00:00:00Z"])
        XCTAssertEqual(advanced.status, 0, advanced.stderr)
        XCTAssertTrue(advanced.stdout.contains("advanced to 2027-06-01T00:00:00Z"), advanced.stdout)
        let member = try accrue(["member", "--database", database, "--program", "jd-points", "--json", "alice"])
        let view = try XCTUnwrap((JSONSerialization.jsonObject(with: Data(member.stdout.utf8)) as? [String: Any])?["member"] as? [String: Any])
        XCTAssertEqual(view["balance"] as? Int, 360)
        XCTAssertEqual(try accrue(["verify", "--database", database]).status, 0)

        // The same due work one item a transaction: more steps, the same entries and balance.
        let stepped = folder.appendingPathComponent("stepped.sqlite").path
        _ = try accrue(["ingest", "--database", stepped, "--program", "jd-points", "samples/jd-points.jsonl"])
        let small = try accrue(["advance", "--database", stepped, "--program", "jd-points", "--to", "2027-06-01T00:00:00Z", "--step-items", "1"])
        XCTAssertEqual(small.status, 0, small.stderr)
        func counts(_ text: String) -> (entries: Int, steps: Int)? {
            guard let match = text.firstMatch(of: /: (\d+) entries in (\d+) steps?/) else { return nil }
            return (Int(match.1)!, Int(match.2)!)
        }
        let whole = try XCTUnwrap(counts(advanced.stdout), advanced.stdout)
        let each = try XCTUnwrap(counts(small.stdout), small.stdout)
        XCTAssertEqual(each.entries, whole.entries)
        XCTAssertGreaterThan(each.steps, whole.steps)
        let again = try accrue(["member", "--database", stepped, "--program", "jd-points", "--json", "alice"])
        XCTAssertEqual(again.stdout, member.stdout, "the member is the same either way")
        XCTAssertEqual(try accrue(["verify", "--database", stepped]).status, 0)
        XCTAssertNotEqual(try accrue(["advance", "--database", stepped, "--program", "jd-points", "--to", "2027-06-02T00:00:00Z", "--step-items", "0"]).status, 0)
    }

    func testDemoRunsEveryPreset() throws {
        let folder = temporaryFolder()
        defer { removeFolder(folder) }
        let run = try accrue(["demo", "--database", folder.appendingPathComponent("demo.sqlite").path,
                              "--samples", repositoryRoot.appendingPathComponent("samples").path])
        XCTAssertEqual(run.status, 0, run.stderr)
        let samples = try FileManager.default.contentsOfDirectory(atPath: repositoryRoot.appendingPathComponent("samples").path)
            .filter { $0.hasSuffix(".jsonl") }
        XCTAssertEqual(samples.count, 5)
        XCTAssertEqual(run.stdout.components(separatedBy: "verify: ok").count - 1, samples.count, run.stdout)
    }
}
