"""An online backup of a live SQLite database, under a steady load of inputs, and a restore that
passes verify and serves every input answered before the backup began."""
import os
import random
import subprocess
import threading
import time

from accrue import BINARY, Server, temporary_folder


def accrue(*arguments):
    return subprocess.run([BINARY, *arguments], capture_output=True, text=True, timeout=300)


def test_a_backup_taken_under_load_restores_and_verifies():
    server = Server().start()
    answered = {}
    stop = threading.Event()
    seed = 20261123
    print(f"seed {seed}")

    errors = []

    def load(worker):
        try:
            send(worker)
        except Exception as error:  # reported by the test, not lost with the thread
            errors.append(repr(error))
            stop.set()

    def send(worker):
        rng = random.Random(seed + worker)
        count = 0
        while not stop.is_set() and count < 5000:
            count += 1
            member = f"m-{rng.randrange(50)}"
            ident = f"w{worker}-{count}"
            if rng.random() < 0.5:
                envelope = {"id": ident, "type": "order.completed", "member": member, "at": "2026-11-20T10:00:00Z",
                            "data": {"order": ident, "amount": f"{rng.randrange(1, 900)}.00", "currency": "CNY"}}
            else:
                envelope = {"id": ident, "type": "points.adjusted", "member": member, "at": "2026-11-20T10:00:00Z",
                            "data": {"points": rng.randrange(1, 50), "reason": "load"}}
            answer = server.call("POST", "/v1/programs/jd-points/inputs", envelope)
            assert answer.status == 200, answer
            answered[ident] = answer.json()

    workers = [threading.Thread(target=load, args=(n,)) for n in range(4)]
    for worker in workers:
        worker.start()
    try:
        deadline = time.monotonic() + 120
        while len(answered) < 300 and not errors and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not errors and len(answered) >= 300, (errors, len(answered))
        before = dict(answered)
        folder = temporary_folder("accrue-backup-")
        copy = os.path.join(folder, "backup.sqlite")
        result = accrue("backup", "--data", server.data, "--to", copy)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "jd-points: ok" in result.stdout, result.stdout
        during = len(answered)
    finally:
        stop.set()
        for worker in workers:
            worker.join()
        server.stop()
    print(f"backup: {len(before)} inputs answered before it began, {during} by its end, {len(answered)} in all")
    assert len(answered) > len(before), "inputs kept being answered while the backup ran"

    # A backup never replaces a file; a restore never replaces a database.
    again = accrue("backup", "--data", server.data, "--to", copy)
    assert again.returncode == 2 and "never replaces" in again.stderr
    refused = accrue("restore", "--from", copy, "--data", server.data)
    assert refused.returncode == 2 and "exists" in refused.stderr

    restored_folder = temporary_folder("accrue-restored-")
    restored = accrue("restore", "--from", copy, "--data", restored_folder)
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert "jd-points: ok" in restored.stdout
    verify = accrue("verify", "--database", os.path.join(restored_folder, "accrue.sqlite"))
    assert verify.returncode == 0, verify.stdout + verify.stderr

    # The restored server has every input answered before the backup, with its first outcome.
    second = Server(data=restored_folder, key=server.key).start()
    try:
        for ident, outcome in before.items():
            answer = second.call("GET", f"/v1/programs/jd-points/inputs/{ident}")
            assert answer.status == 200, (ident, answer)
            stored = answer.json()["outcome"]
            assert stored["points"] == outcome["points"] and stored["status"] == outcome["status"], (ident, stored, outcome)
    finally:
        second.stop()
