"""What the crash and concurrency tests share: their settings (short by default, longer under
scripts/soak), a throwaway PostgreSQL database per test, a webhook receiver that checks
signatures, `accrue verify`, and calls that survive a server being killed under them.

Everything talks to 127.0.0.1 only. Every wait has a deadline, so nothing here can hang a run.
"""
import contextlib
import hashlib
import hmac
import http.client
import json
import os
import random
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from accrue import BINARY, ROOT


# ---------------------------------------------------------------- settings

def _int(name, short, soak):
    value = os.environ.get(name)
    if value:
        return int(value)
    return soak if os.environ.get("ACCRUE_SOAK") == "1" else short


_SOAK_SEED = int.from_bytes(os.urandom(4), "big")


def seed():
    """ACCRUE_SEED, else 1 in the short version (the same run every time) and a fresh seed in a
    soak (each soak explores new schedules; one seed for the whole run); printed either way so a
    failure can be rerun with ACCRUE_SEED."""
    value = os.environ.get("ACCRUE_SEED")
    if value:
        return int(value)
    if os.environ.get("ACCRUE_SOAK") == "1":
        return _SOAK_SEED
    return 1


class Settings:
    """The sizes of a run. Each can be set alone (ACCRUE_KILLS=50); ACCRUE_SOAK=1 raises them all."""

    def __init__(self):
        self.seed = seed()
        self.soak = os.environ.get("ACCRUE_SOAK") == "1"
        # Crash test: SIGKILLs per store, client threads.
        self.kills = _int("ACCRUE_KILLS", 20, 200)
        self.clients = _int("ACCRUE_CLIENTS", 4, 8)
        # Longest pause between two kills, in milliseconds (the pause is uniform below it).
        self.kill_gap_ms = _int("ACCRUE_KILL_GAP_MS", 900, 1500)
        # Inputs between checkpoints of the crash test's server: small, so kills also land while a
        # checkpoint is written and restarts load a checkpoint and replay the log after it.
        self.checkpoint_every = _int("ACCRUE_CHECKPOINT_EVERY", 500, 2000)
        # Concurrency test: client threads and operations per client in each phase, stock per reward.
        self.race_clients = _int("ACCRUE_RACE_CLIENTS", 8, 16)
        self.race_ops = _int("ACCRUE_RACE_OPS", 60, 600)
        self.stock = _int("ACCRUE_STOCK", 12, 120)

    def __str__(self):
        return (f"seed={self.seed} soak={int(self.soak)} kills={self.kills} clients={self.clients} "
                f"checkpoint_every={self.checkpoint_every} "
                f"race_clients={self.race_clients} race_ops={self.race_ops} stock={self.stock}")


def report(capsys, title, figures):
    """Prints one block of figures past pytest's capture, so `scripts/test` shows them."""
    with capsys.disabled():
        print(f"\nreliability: {title}")
        for name, value in figures.items():
            print(f"reliability:   {name:<56} {value}")
    path = os.environ.get("ACCRUE_RELIABILITY_REPORT")
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps({"test": title, **{k: v for k, v in figures.items()}}, default=str) + "\n")


# ---------------------------------------------------------------- servers and stores

OUTSIDE_SIGNALS = []   # servers stopped while starting by a signal this run did not send


def started(server, timeout=60):
    """Starts `server` and waits until it answers /health: it prints "serving on" a moment before
    its listener is bound."""
    previous = server.output.name if server.output else None
    try:
        server.start(timeout=timeout)
    except RuntimeError:
        # SIGTERM from outside this test (another job on the machine cleaning up its own
        # servers, a recycled pid) is not a failure of Accrue, which never ends itself that way:
        # said, counted, and the start tried once more. Any other exit stays a failure.
        if server.process is None or server.process.returncode != -15:
            raise
        OUTSIDE_SIGNALS.append(server.process.returncode)
        print(f"reliability: warning: accrue serve was stopped by signal {-server.process.returncode} from outside "
              "while starting; starting it again")
        server.start(timeout=timeout)
    if previous:
        # Only the running process's log is kept (a soak restarts hundreds of times).
        with contextlib.suppress(OSError):
            os.remove(previous)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if server.call("GET", "/health", timeout=2).status == 200:
                return server
        except (urllib.error.URLError, ConnectionError, socket.timeout, http.client.HTTPException):
            pass
        if server.process.poll() is not None:
            raise RuntimeError(f"accrue serve exited with {server.process.returncode}:\n{server.log()}")
        time.sleep(0.02)
    raise RuntimeError(f"accrue serve did not answer /health in {timeout} s:\n{server.log()}")


def postgres_server():
    """The admin URL of the test PostgreSQL, or a skip saying how to get one."""
    url = os.environ.get("ACCRUE_TEST_POSTGRES")
    if not url:
        pytest.skip("ACCRUE_TEST_POSTGRES is not set: run through scripts/test or scripts/soak, which start a "
                    "throwaway PostgreSQL (or eval \"$(scripts/postgres start)\" first)")
    return url


def psql(url, sql):
    """Runs SQL with psql; returns its rows (tab-separated fields)."""
    done = subprocess.run(["psql", url, "-v", "ON_ERROR_STOP=1", "-qAtX", "-F", "\t", "-c", sql],
                          capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise RuntimeError(f"psql failed: {done.stderr}")
    return [line.split("\t") for line in done.stdout.splitlines() if line]


@contextlib.contextmanager
def fresh_database(tag):
    """A new, empty PostgreSQL database on the test server, dropped afterwards."""
    server = postgres_server()
    name = f"accrue_rel_{tag}_{os.getpid()}_{random.SystemRandom().randrange(1 << 30):x}"
    psql(server, f"CREATE DATABASE {name}")
    parts = urllib.parse.urlsplit(server)
    try:
        yield urllib.parse.urlunsplit(parts._replace(path="/" + name))
    finally:
        psql(server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def query(server, sql):
    """Rows of a read-only query on the server's own database (SQLite file or PostgreSQL), as strings."""
    if server.database:
        return [tuple(row) for row in psql(server.database, sql)]
    import sqlite3
    connection = sqlite3.connect(os.path.join(server.data, "accrue.sqlite"), timeout=30)
    try:
        return [tuple("" if v is None else str(v) for v in row) for row in connection.execute(sql)]
    finally:
        connection.close()


def outbox(server, program, after):
    """The seqs of the events a program's entries make, after a seq: the entries are the outbox
    (a webhook's events are derived from them at delivery)."""
    rows = query(server, f"SELECT seq, kind, hold FROM entries WHERE program = '{program}' AND seq > {int(after)}")
    return {int(seq) for seq, kind, hold in rows if makes_event({"kind": kind, "hold": hold})}


def event_entries(server, program):
    """input id -> the seqs of its ledger entries that make a webhook event (LedgerEvent.derive)."""
    found = {}
    for seq, kind, hold, input_id in query(server, f"SELECT seq, kind, hold, input FROM entries WHERE program = '{program}'"):
        if input_id and makes_event({"kind": kind, "hold": hold}):
            found.setdefault(input_id, set()).add(int(seq))
    return found


def verify(server):
    """`accrue verify` on the server's database: (passed, its output)."""
    database = server.database or os.path.join(server.data, "accrue.sqlite")
    done = subprocess.run([BINARY, "verify", "--database", database], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)
    return done.returncode == 0, done.stdout + done.stderr


# ---------------------------------------------------------------- HTTP that survives a crash

NO_ANSWER = (urllib.error.URLError, ConnectionError, socket.timeout, TimeoutError, http.client.HTTPException)


def attempt(server, method, path, body=None, timeout=20):
    """One call; None when no answer came (refused, reset, timed out: the server was killed)."""
    try:
        return server.call(method, path, body, timeout=timeout)
    except NO_ANSWER:
        return None


def outcomes_of(answer, batch):
    """The outcomes an answer gives, or None when it is not an answer about the inputs (a 5xx)."""
    if answer is None or answer.status >= 500:
        return None
    document = answer.json()
    if batch:
        assert answer.status == 200, answer
        return document["outcomes"]
    if answer.status == 200:
        return [document]
    assert "outcome" in document, f"a refusal without the input's outcome: {answer}"
    return [document["outcome"]]


def without_replayed(outcome):
    return {k: v for k, v in outcome.items() if k != "replayed"}


# ---------------------------------------------------------------- webhooks

def webhook_signature_ok(secret, header, body):
    parts = dict(p.split("=", 1) for p in header.split(","))
    mac = hmac.new(secret.encode(), f"{parts['t']}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(mac, parts["v1"])


class WebhookReceiver:
    """A shop's endpoint on 127.0.0.1: answers 200 to every delivery, checks its signature with the
    program's secret and counts deliveries per event id (delivery is at least once)."""

    def __init__(self):
        self.secrets = {}
        self.deliveries = {}    # event id -> number of deliveries
        self.bodies = {}        # event id -> the first body
        self.problems = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                program = self.path.rsplit("/", 1)[-1]
                receiver.receive(program, dict(self.headers), body)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.http.daemon_threads = True
        self.thread = threading.Thread(target=self.http.serve_forever, daemon=True)

    def url(self, program):
        return f"http://127.0.0.1:{self.http.server_address[1]}/hooks/{program}"

    def receive(self, program, headers, body):
        event_id = headers.get("Accrue-Event-Id", "")
        with self.lock:
            secret = self.secrets.get(program)
            if secret is None or not webhook_signature_ok(secret, headers.get("Accrue-Signature", "t=0,v1=0"), body):
                self.problems.append(f"bad signature on {event_id} for {program}")
            document = json.loads(body)
            if document.get("id") != event_id or document.get("program") != program:
                self.problems.append(f"header {event_id} and body {document.get('id')} disagree")
            first = self.bodies.setdefault(event_id, body)
            if first != body:
                self.problems.append(f"{event_id} delivered twice with different bodies")
            self.deliveries[event_id] = self.deliveries.get(event_id, 0) + 1

    def register(self, server, program):
        """Registers this receiver for every event of a program; returns the outbox cursor it starts after."""
        answer = server.call("POST", f"/v1/programs/{program}/webhooks", {"url": self.url(program)})
        assert answer.status == 201, answer
        document = answer.json()
        with self.lock:
            self.secrets[program] = document["secret"]
        return document["last_delivered_seq"]

    def received(self):
        with self.lock:
            return dict(self.deliveries)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.http.shutdown()
        self.http.server_close()


# Which entries make a webhook event, as LedgerEvent.derive decides: every kind but debts paid and
# scheduled tier checks; holds, captures and releases only for bookings and draws, and a checkout
# hold's capture (the points are spent then).
def makes_event(entry):
    kind, hold = entry["kind"], str(entry.get("hold") or "")
    if kind in ("pay_debt", "tier_scheduled"):
        return False
    if kind in ("hold", "capture", "hold_release"):
        return hold.startswith("booking:") or hold.startswith("draw:") or (kind == "capture" and hold.startswith("checkout:"))
    return True


def wait_for(condition, timeout, step=0.25):
    """Polls until condition() is true or the timeout passes; returns its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(step)


def now_at():
    """The input time: the current UTC second (the server's clock is the wall clock too)."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
