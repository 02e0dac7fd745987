"""Drives real `accrue serve` processes for the end-to-end tests: start, stop, kill, call the API.

Nothing here is a stand-in: each server is the built binary on a real SQLite folder or a real
PostgreSQL database, reached over loopback HTTP.
"""
import atexit
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

BINARY = os.environ.get("ACCRUE_BIN", os.path.join(os.path.dirname(__file__), "..", ".build", "debug", "accrue"))
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))

# Folders and files the tests make in the system's temporary folder, removed when the test process
# exits (servers' data folders and logs, browsers' profiles); ACCRUE_E2E_KEEP=1 keeps them to look at.
_made = []


def temporary_folder(prefix):
    path = tempfile.mkdtemp(prefix=prefix)
    _made.append(path)
    return path


def temporary_file(prefix, suffix):
    handle = tempfile.NamedTemporaryFile(prefix=prefix, suffix=suffix, delete=False)
    _made.append(handle.name)
    return handle


@atexit.register
def _remove_made():
    if os.environ.get("ACCRUE_E2E_KEEP"):
        return
    for path in _made:
        if os.path.isdir(path):
            shutil.rmtree(path, ignore_errors=True)
        elif os.path.exists(path):
            os.remove(path)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Answer:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return f"<{self.status} {self.body[:300]!r}>"


class Server:
    """One `accrue serve` process. `data` is a SQLite folder; `database` a postgres:// URL."""

    def __init__(self, data=None, database=None, args=(), key=None):
        self.data = data or temporary_folder("accrue-e2e-")
        self.database = database
        self.args = list(args)
        self.port = free_port()
        self.key = key
        self.process = None
        self.output = None

    @property
    def base(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout=60):
        command = [BINARY, "serve", "--port", str(self.port), "--log-level", "warning"] + self.args
        command += ["--database", self.database] if self.database else ["--data", self.data]
        self.output = temporary_file("accrue-serve-", ".log")
        self.process = subprocess.Popen(command, cwd=ROOT, stdout=self.output, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.log()
            if "serving on" in text:
                found = re.search(r"ak_[0-9a-f]+", text)
                if found and self.key is None:
                    self.key = found.group(0)
                return self
            if self.process.poll() is not None:
                raise RuntimeError(f"accrue serve exited with {self.process.returncode}:\n{text}")
            time.sleep(0.05)
        raise RuntimeError(f"accrue serve did not start in {timeout} s:\n{self.log()}")

    def log(self):
        with open(self.output.name, encoding="utf-8", errors="replace") as f:
            return f.read()

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode if self.process else None

    def kill(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def call(self, method, path, body=None, key=None, headers=None, timeout=30):
        data = None
        all_headers = {"Accept": "application/json"}
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            all_headers["Content-Type"] = "application/json"
        credential = key if key is not None else self.key
        if credential:
            all_headers["Authorization"] = "Bearer " + credential
        all_headers.update(headers or {})
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=all_headers)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return Answer(response.status, dict(response.headers), response.read().decode())
        except urllib.error.HTTPError as error:
            return Answer(error.code, dict(error.headers), error.read().decode())

    def post_inputs(self, program, inputs):
        """Posts inputs in batches of 500; returns every outcome in order."""
        outcomes = []
        for start in range(0, len(inputs), 500):
            answer = self.call("POST", f"/v1/programs/{program}/batches", {"inputs": inputs[start:start + 500]})
            assert answer.status == 200, answer
            outcomes += answer.json()["outcomes"]
        return outcomes

    def member_token(self, program, member, ttl=3600):
        answer = self.call("POST", f"/v1/programs/{program}/members/{member}/token", {"ttl_seconds": ttl})
        assert answer.status == 201, answer
        return answer.json()["token"]


def sample(name):
    """The inputs of a bundled sample log (samples/NAME.jsonl)."""
    with open(os.path.join(ROOT, "samples", name + ".jsonl"), encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]
