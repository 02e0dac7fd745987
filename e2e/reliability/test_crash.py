"""Crash safety: nothing lost, nothing doubled.

Client threads send a steady load of inputs (single inputs and small batches; earning and spending:
JD orders, sign-ins, redemptions, checkout holds captured or released, lucky-draw claims; a store's
orders, refunds, redemptions, reviews and shares) while the server is killed with SIGKILL at random
moments and restarted on the same data. A client that got no answer sends the same request again
until one comes. Afterwards:

- every input has exactly one outcome in the ledger, equal to the first answer its client received;
  sending every input once more answers each `replayed: true` with that same outcome;
- each member's available plus pending points equal the sum of their inputs' recorded points, and
  no checkout hold is left open (nothing applied twice, nothing half-applied);
- every webhook event the committed entries make (the entries are the outbox; so every event of
  an answered input's entries) reached the receiver at least once, correctly signed, and none
  arrived that no committed entry makes;
- `accrue verify` passes on the database as the last SIGKILL left it.

Runs on SQLite and on PostgreSQL (skipped without ACCRUE_TEST_POSTGRES). Sizes: harness.Settings.
"""
import random
import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from accrue import Server
from harness import (OUTSIDE_SIGNALS, Settings, WebhookReceiver, attempt, event_entries, fresh_database, now_at,
                     outbox, outcomes_of, report, started, verify, wait_for, without_replayed)

JD = "jd-points"
STORE = "store-rel"          # a store's own program, opened from the aliexpress-store preset
JD_MEMBERS = [f"jm{i}" for i in range(12)]
STORE_MEMBERS = [f"sm{i}" for i in range(8)]


class Client(threading.Thread):
    """One client of the shop's backend: sends its inputs one request at a time and, when a request
    gets no answer (the server died under it), sends the same request again until it is answered."""

    def __init__(self, name, server, rng, stop, progress, run):
        super().__init__(name=name, daemon=True)
        self.server = server
        self.rng = rng
        self.stop = stop
        self.progress = progress
        self.run_id = run
        self.count = 0
        self.sent = {}              # input id -> (program, input)
        self.first = {}             # input id -> the first outcome this client received for it
        self.requests = 0
        self.requests_lost = 0      # requests that got no answer at least once (and were sent again)
        self.attempts_lost = 0      # sends that got no answer (a request may lose several while the server is down)
        self.inputs_resent = 0
        self.inputs_unanswered = set()   # inputs that at some point had no answer
        self.replays = 0            # outcomes answered `replayed: true`
        self.avoided = 0            # resent inputs the server had committed: answered as replays, not applied again
        self.server_errors = 0      # 5xx answers (treated as no answer: the commit did not happen)
        self.store_orders = []      # [order, cents left] of this client's applied store orders
        self.error = None

    def next_id(self):
        self.count += 1
        return f"{self.run_id}-{self.name}-{self.count}"

    # ---- sending

    def send(self, program, inputs, batch):
        path = f"/v1/programs/{program}/batches" if batch else f"/v1/programs/{program}/inputs"
        body = {"inputs": inputs} if batch else inputs[0]
        for item in inputs:
            self.sent[item["id"]] = (program, item)
        self.requests += 1
        tries = 0
        deadline = time.monotonic() + 300
        while True:
            answer = attempt(self.server, "POST", path, body)
            outcomes = outcomes_of(answer, batch)
            if outcomes is not None:
                break
            if answer is not None:
                self.server_errors += 1
            if tries == 0:
                self.requests_lost += 1
                self.inputs_resent += len(inputs)
            tries += 1
            self.attempts_lost += 1
            self.inputs_unanswered.update(item["id"] for item in inputs)
            assert time.monotonic() < deadline, f"{path} got no answer for 300 s"
            time.sleep(0.03)
        assert [o["id"] for o in outcomes] == [item["id"] for item in inputs], answer
        for outcome in outcomes:
            if outcome.get("replayed"):
                self.replays += 1
                assert tries > 0, f"a first send answered as a replay: {outcome}"
                self.avoided += 1
            self.first.setdefault(outcome["id"], without_replayed(outcome))
        with self.progress[1]:
            self.progress[0] += len(outcomes)
        return outcomes

    def one(self, program, type_, member, data):
        return self.send(program, [self.input(type_, member, data)], batch=False)[0]

    def input(self, type_, member, data):
        return {"id": self.next_id(), "type": type_, "member": member, "at": now_at(), "data": data}

    # ---- the workload

    def jd_input(self):
        rng = self.rng
        member = rng.choice(JD_MEMBERS)
        kind = rng.random()
        if kind < 0.35:
            amount = f"{rng.randint(5, 900)}.{rng.randint(0, 99):02d}"
            return self.input("order.completed", member, {"order": f"{self.run_id}-{self.name}-o{self.count}",
                                                         "amount": amount, "currency": "CNY"})
        if kind < 0.55:
            return self.input("member.signed_in", member, {})
        if kind < 0.85:
            return self.input("points.redeemed", member, {"order": f"{self.run_id}-{self.name}-r{self.count}",
                                                         "points": rng.choice([100, 200, 300]), "order_amount": "20.00"})
        return self.input("reward.claimed", member, {"reward": "lucky-draw"})

    def store_input(self):
        rng = self.rng
        member = rng.choice(STORE_MEMBERS)
        kind = rng.random()
        if kind < 0.4:
            return self.input("order.completed", member, {"order": f"{self.run_id}-{self.name}-o{self.count}",
                                                         "amount": f"{rng.randint(1, 200)}.{rng.randint(0, 99):02d}",
                                                         "currency": "USD"})
        if kind < 0.7:
            return self.input("points.redeemed", member, {"order": f"{self.run_id}-{self.name}-r{self.count}",
                                                         "points": rng.randint(200, 400), "order_amount": "30.00"})
        if kind < 0.85:
            return self.input("review.posted", member, {"order": f"ord-{rng.randint(1, 50)}", "product": f"p-{rng.randint(1, 5)}"})
        return self.input("share.posted", member, {})

    def note_store_orders(self, inputs, outcomes):
        for item, outcome in zip(inputs, outcomes):
            if item["type"] == "order.completed" and outcome["status"] == "applied":
                dollars, cents = item["data"]["amount"].split(".")
                self.store_orders.append([item["member"], item["data"]["order"], int(dollars) * 100 + int(cents)])

    def step(self):
        rng = self.rng
        kind = rng.random()
        if kind < 0.40:
            item = self.jd_input()
            self.send(JD, [item], batch=False)
        elif kind < 0.52:
            # A checkout hold, then its capture (the order was paid) or release (it was not).
            member = rng.choice(JD_MEMBERS)
            hold = f"{self.run_id}-{self.name}-h{self.count}"
            outcome = self.one(JD, "checkout.held", member, {"hold": hold, "order": hold, "points": rng.choice([100, 200]),
                                                             "order_amount": "20.00"})
            if outcome["status"] == "applied":
                self.one(JD, "checkout.captured" if rng.random() < 0.7 else "checkout.released", member, {"hold": hold})
        elif kind < 0.72:
            item = self.store_input()
            outcomes = self.send(STORE, [item], batch=False)
            self.note_store_orders([item], outcomes)
        elif kind < 0.78 and self.store_orders:
            # A partial refund of one of this client's store orders, never more than is left.
            order = rng.choice(self.store_orders)
            if order[2] >= 2:
                cents = rng.randint(1, order[2] // 2)
                order[2] -= cents
                self.one(STORE, "order.refunded", order[0], {"order": order[1], "amount": f"{cents // 100}.{cents % 100:02d}"})
        else:
            program, make = (JD, self.jd_input) if rng.random() < 0.6 else (STORE, self.store_input)
            inputs = [make() for _ in range(rng.randint(2, 8))]
            outcomes = self.send(program, inputs, batch=True)
            if program == STORE:
                self.note_store_orders(inputs, outcomes)

    def run(self):
        try:
            # Bounded by the stop signal, by a count and by time, whichever comes first.
            deadline = time.monotonic() + 1800
            for _ in range(1_000_000):
                if self.stop.is_set() or time.monotonic() > deadline:
                    break
                self.step()
        except BaseException as error:  # reported by the test's thread
            self.error = error


def seed_members(client):
    """Points to spend: an operator adjustment for each JD member, an order for each store member."""
    client.send(JD, [client.input("points.adjusted", m, {"points": 20000, "reason": "opening balance"}) for m in JD_MEMBERS],
                batch=True)
    client.send(STORE, [client.input("order.completed", m, {"order": f"{client.run_id}-open-{m}", "amount": "800.00",
                                                            "currency": "USD"}) for m in STORE_MEMBERS], batch=True)


def crash_run(server, capsys, store_name):
    settings = Settings()
    rng = random.Random(f"{settings.seed}-crash-{store_name}")
    run = f"{store_name[:2]}{settings.seed}"
    figures = {"store": store_name, "settings": str(settings)}
    started_at = time.monotonic()
    stop = threading.Event()
    progress = [0, threading.Lock()]
    clients = []
    with WebhookReceiver() as receiver:
        try:
            started(server)
            answer = server.call("POST", "/v1/programs", {"id": STORE, "preset": "aliexpress-store"})
            assert answer.status == 201, answer
            cursors = {program: receiver.register(server, program) for program in (JD, STORE)}
            opening = Client("open", server, random.Random(0), stop, progress, run)
            seed_members(opening)

            clients = [Client(f"c{i}", server, random.Random(f"{settings.seed}-{store_name}-client-{i}"), stop, progress, run)
                       for i in range(settings.clients)]
            for client in clients:
                client.start()

            # The kills: each once the restarted server has answered something, after a random pause.
            kills = 0
            answered_between = []
            for _ in range(settings.kills):
                before = progress[0]
                moved = wait_for(lambda: progress[0] > before + settings.clients or any(c.error for c in clients), 60, step=0.01)
                assert moved, "no input was answered for 60 s after a restart"
                if any(c.error for c in clients):
                    break
                time.sleep(rng.uniform(0, settings.kill_gap_ms / 1000))
                answered_between.append(progress[0] - before)
                server.kill()
                kills += 1
                if kills == settings.kills:
                    # The last kill: verify the database exactly as SIGKILL left it, mid-load (no
                    # shutdown checkpoint), while the clients keep knocking on a closed port.
                    verified_crashed, output = verify(server)
                    assert verified_crashed, output
                else:
                    time.sleep(rng.uniform(0, 0.2))   # down for a moment: clients meet a closed port
                started(server)

            # Let the clients finish what they are doing (an open hold is captured or released).
            stop.set()
            for client in clients:
                client.join(timeout=600)
                assert not client.is_alive(), f"{client.name} did not stop"
            for client in clients:
                if client.error:
                    raise client.error
            assert kills == settings.kills, f"{kills} kills of {settings.kills}"
            load_seconds = time.monotonic() - started_at
            everyone = [opening] + clients

            # 1. Every input is in the ledger once, with the outcome first answered.
            sent, first = {}, {}
            for client in everyone:
                sent.update(client.sent)
                first.update(client.first)
            assert set(first) == set(sent), "an input was never answered"
            replayed_again = 0
            recorded = {}
            for program in (JD, STORE):
                items = [item for (p, item) in sent.values() if p == program]
                for start in range(0, len(items), 500):
                    chunk = items[start:start + 500]
                    answer = server.call("POST", f"/v1/programs/{program}/batches", {"inputs": chunk}, timeout=120)
                    assert answer.status == 200, answer
                    for item, outcome in zip(chunk, answer.json()["outcomes"]):
                        assert outcome["replayed"] is True, f"{item['id']} sent again was not a replay: {outcome}"
                        replayed_again += 1
                        assert without_replayed(outcome) == first[item["id"]], \
                            f"{item['id']}: answered first {first[item['id']]}, the ledger holds {outcome}"
                        recorded[item["id"]] = without_replayed(outcome)

            # The "why" route gives the same outcome, for inputs that lost an answer to a kill (up
            # to 1,000 of them) and 200 others. All of them would only repeat the batch check above,
            # slowly: the route reads the member's whole history to find the input's entries.
            resent_ids = sorted(set().union(*(c.inputs_unanswered for c in everyone)))
            sample = rng.sample(resent_ids, min(1000, len(resent_ids))) + rng.sample(sorted(sent), min(200, len(sent)))

            def why(input_id):
                program = sent[input_id][0]
                answer = server.call("GET", f"/v1/programs/{program}/inputs/{input_id}", timeout=60)
                assert answer.status == 200, (input_id, answer)
                assert answer.json()["outcome"] == first[input_id], (input_id, answer)
                return len(answer.json()["entries"])

            with ThreadPoolExecutor(4) as pool:
                list(pool.map(why, sample))

            # 2. Balances: available + pending = the sum of the member's recorded points; no open hold.
            for program, members in ((JD, JD_MEMBERS), (STORE, STORE_MEMBERS)):
                expected = {m: 0 for m in members}
                for input_id, outcome in recorded.items():
                    if sent[input_id][0] == program and outcome.get("member") in expected:
                        expected[outcome["member"]] += outcome["points"]
                for member in members:
                    view = server.call("GET", f"/v1/programs/{program}/members/{member}").json()
                    assert view["balance"] + view["pending"] == expected[member], (program, member, view, expected[member])
                    assert view["held"] == 0 and view["holds"] == [], (program, member, view)

            # 3. Webhooks: every event the committed entries make (the entries are the outbox)
            #    arrives at least once, among them every event of an answered input's entries.
            committed, from_inputs = {}, 0
            for program in (JD, STORE):
                committed[program] = outbox(server, program, cursors[program])
                by_input = event_entries(server, program)
                for input_id in (i for i in recorded if sent[i][0] == program):
                    from_inputs += len({s for s in by_input.get(input_id, ()) if s > cursors[program]})
            wanted = {f"evt_{p}_{seq}" for p, seqs in committed.items() for seq in seqs}
            # A server killed while delivering keeps its lease on the endpoint for 60 s: allow for it.
            wait_for(lambda: wanted <= set(receiver.received()), 240, step=0.5)
            delivered = receiver.received()
            missing = wanted - set(delivered)
            assert not missing, f"{len(missing)} committed events never delivered, e.g. {sorted(missing)[:5]}"
            assert receiver.problems == [], receiver.problems[:5]
            for program in (JD, STORE):
                everything = outbox(server, program, cursors[program])
                strays = {e for e in delivered if e.startswith(f"evt_{program}_")} - {f"evt_{program}_{s}" for s in everything}
                assert not strays, f"delivered events that no committed entry makes: {sorted(strays)[:5]}"

            # 4. verify after a clean stop too (its shutdown checkpoint is checked against the log).
            assert server.stop() == 0
            passed_after_stop, output = verify(server)
            assert passed_after_stop, output

            figures.update({
                "inputs sent": len(sent),
                "requests sent": sum(c.requests for c in everyone),
                "inputs answered": len(first),
                "requests that lost their answer": sum(c.requests_lost for c in everyone),
                "sends that got no answer": sum(c.attempts_lost for c in everyone),
                "inputs resent": sum(c.inputs_resent for c in everyone),
                "5xx answers": sum(c.server_errors for c in everyone),
                "replays seen during the load": sum(c.replays for c in everyone),
                "duplicates avoided": sum(c.avoided for c in everyone),
                "replays in the final resend": replayed_again,
                "why-route outcomes checked": len(sample),
                "SIGKILLs survived": kills,
                "answers between kills (min/median)": f"{min(answered_between)}/{sorted(answered_between)[len(answered_between) // 2]}"
                if answered_between else "-",
                "events the committed entries make": len(wanted),
                "events from answered inputs": from_inputs,
                "events delivered (unique)": len(delivered),
                "event deliveries duplicated": sum(delivered.values()) - len(delivered),
                "starts cut by an outside SIGTERM (this session)": len(OUTSIDE_SIGNALS),
                "verify": "passed (mid-load after the last SIGKILL, and after a clean stop)",
                "load seconds": round(load_seconds, 1),
                "total seconds": round(time.monotonic() - started_at, 1),
            })
            report(capsys, f"crash test on {store_name}", figures)
            if not server.database:
                shutil.rmtree(server.data, ignore_errors=True)
        except BaseException:
            with capsys.disabled():
                print(f"\nreliability: crash test on {store_name} failed; data {server.database or server.data}, "
                      f"server log {server.output.name if server.output else '-'}")
            raise
        finally:
            stop.set()
            server.kill()
            for client in clients:
                client.join(timeout=60)


def checkpoints():
    return ["--checkpoint-every", str(Settings().checkpoint_every)]


def test_sigkill_under_load_on_sqlite(capsys):
    crash_run(Server(args=checkpoints()), capsys, "sqlite")


def test_sigkill_under_load_on_postgres(capsys):
    with fresh_database("crash") as url:
        crash_run(Server(database=url, args=checkpoints()), capsys, "postgres")
