"""Concurrency: several `accrue serve` processes on one PostgreSQL database, a flash sale's hot members.

Two servers, then four (the first two keep running), each on its own port. In each phase many
client threads send to any server at random, all at once, on the same few members:

- spending (checkout redemptions, single and in batches) and earning (operator adjustments,
  orders) on three hot members whose points run out, so spends race for the last points;
- claims of a reward with a small stock by four fans who can afford many more, so claims race for
  the last units;
- checkout holds whose settlement is raced from two different servers at the same moment: two
  captures, a capture against a release, or one capture (one input id) sent to both servers.

Asserted after each phase, on every server: no member below zero and none holding points, each
member's available plus pending points equal to the sum of their recorded outcomes, every server
answering the same; vouchers issued never more than the stock and the stock left equal to stock
minus issued; every raced hold settled exactly once (and the ledger holds at most one capture or
release entry per hold); `accrue verify` passes. Skipped without ACCRUE_TEST_POSTGRES.
"""
import random
import threading
import time

from accrue import ROOT, Server
from harness import (Settings, attempt, fresh_database, now_at, outcomes_of, query, report, started, verify,
                     without_replayed)

PROGRAM = "flash-sale"
HOT = ["hot-1", "hot-2", "hot-3"]
FANS = ["fan-1", "fan-2", "fan-3", "fan-4"]
HOT_OPENING = 2000
FAN_OPENING = 100_000


def flash_sale_source(stock):
    """The jd-points preset as a flash sale: its rules, and two vouchers of a small stock, one per phase."""
    with open(f"{ROOT}/programs/jd-points.yaml", encoding="utf-8") as f:
        text = f.read()
    text = text.replace("program: jd-points", f"program: {PROGRAM}").replace("name: JD Points", "name: Flash sale")
    text = text[:text.index("rewards:")]
    return text + (
        "rewards:\n"
        f"  - {{id: last-units-2, name: Last units (2 servers), kind: voucher, cost: 100, stock: {stock}, code_prefix: LAST2, value: \"1.00\"}}\n"
        f"  - {{id: last-units-4, name: Last units (4 servers), kind: voucher, cost: 100, stock: {stock}, code_prefix: LAST4, value: \"1.00\"}}\n")


class Ledger:
    """What the clients sent and were answered, shared by every client thread."""

    def __init__(self, run):
        self.run = run
        self.lock = threading.Lock()
        self.count = 0
        self.sent = {}        # id -> input
        self.outcomes = {}    # id -> first outcome answered
        self.answers = []     # (id, outcome) every answer, replays included
        self.no_answer = 0
        self.reads = 0
        self.races = []       # (kind, hold, [outcomes of the two racers])

    def new_id(self, prefix):
        with self.lock:
            self.count += 1
            return f"{self.run}-{prefix}{self.count}"

    def input(self, type_, member, data, prefix="i"):
        return {"id": self.new_id(prefix), "type": type_, "member": member, "at": now_at(), "data": data}

    def send(self, server, inputs, batch=False):
        path = f"/v1/programs/{PROGRAM}/batches" if batch else f"/v1/programs/{PROGRAM}/inputs"
        body = {"inputs": inputs} if batch else inputs[0]
        with self.lock:
            for item in inputs:
                self.sent[item["id"]] = item
        deadline = time.monotonic() + 120
        while True:
            outcomes = outcomes_of(attempt(server, "POST", path, body, timeout=60), batch)
            if outcomes is not None:
                break
            with self.lock:
                self.no_answer += 1
            assert time.monotonic() < deadline, f"no answer from {server.base} for 120 s"
            time.sleep(0.05)
        assert [o["id"] for o in outcomes] == [item["id"] for item in inputs], outcomes
        with self.lock:
            for outcome in outcomes:
                self.outcomes.setdefault(outcome["id"], without_replayed(outcome))
                self.answers.append((outcome["id"], outcome))
        return outcomes


def race(ledger, servers, rng, hold, member):
    """Settles one open hold from two servers at the same moment."""
    kind = rng.choice(["capture-capture", "capture-release", "same-capture"])
    first, second = rng.sample(servers, 2)
    capture = ledger.input("checkout.captured", member, {"hold": hold}, "cap")
    if kind == "capture-capture":
        other = ledger.input("checkout.captured", member, {"hold": hold}, "cap")
    elif kind == "capture-release":
        other = ledger.input("checkout.released", member, {"hold": hold}, "rel")
    else:
        other = capture
    barrier = threading.Barrier(2, timeout=60)
    answers = [None, None]
    errors = []

    def settle(slot, server, item):
        try:
            barrier.wait()
            answers[slot] = ledger.send(server, [item])[0]
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=settle, args=(0, first, capture)), threading.Thread(target=settle, args=(1, second, other))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=180)
    if errors:
        raise errors[0]
    with ledger.lock:
        ledger.races.append((kind, hold, answers))


def client(ledger, servers, rng, reward, operations, errors):
    try:
        for _ in range(operations):
            server = rng.choice(servers)
            kind = rng.random()
            if kind < 0.25:
                member = rng.choice(HOT)
                if rng.random() < 0.3:
                    items = [ledger.input("points.redeemed", rng.choice(HOT), {"order": ledger.new_id("o"), "points": rng.choice([100, 200, 300, 500]),
                                                                               "order_amount": "100.00"}) for _ in range(rng.randint(2, 5))]
                    ledger.send(server, items, batch=True)
                else:
                    ledger.send(server, [ledger.input("points.redeemed", member, {"order": ledger.new_id("o"),
                                                                                  "points": rng.choice([100, 200, 300, 500]),
                                                                                  "order_amount": "100.00"})])
            elif kind < 0.45:
                ledger.send(server, [ledger.input("reward.claimed", rng.choice(FANS), {"reward": reward})])
            elif kind < 0.65:
                member = rng.choice(HOT)
                if rng.random() < 0.7:
                    ledger.send(server, [ledger.input("points.adjusted", member, {"points": rng.randint(100, 400), "reason": "goodwill"})])
                else:
                    ledger.send(server, [ledger.input("order.completed", member, {"order": ledger.new_id("o"), "currency": "CNY",
                                                                                  "amount": f"{rng.randint(10, 500)}.00"})])
            elif kind < 0.85:
                member = rng.choice(HOT)
                hold = ledger.new_id("h")
                outcome = ledger.send(server, [ledger.input("checkout.held", member, {"hold": hold, "order": hold, "order_amount": "100.00",
                                                                                     "points": rng.choice([100, 200, 300])})])[0]
                if outcome["status"] == "applied":
                    race(ledger, servers, rng, hold, member)
            else:
                member = rng.choice(HOT + FANS)
                answer = server.call("GET", f"/v1/programs/{PROGRAM}/members/{member}", timeout=60)
                assert answer.status == 200, answer
                view = answer.json()
                assert view["balance"] >= 0 and view["held"] >= 0, f"{member} on {server.base}: {view}"
                with ledger.lock:
                    ledger.reads += 1
    except BaseException as error:
        errors.append(error)


def check(ledger, servers, reward, stock, figures, phase):
    """The invariants after a phase, asked of every server."""
    # Every raced hold was settled exactly once.
    settled = {"capture-capture": 0, "capture-release": 0, "same-capture": 0}
    for kind, hold, (a, b) in ledger.races:
        if kind == "same-capture":
            assert without_replayed(a) == without_replayed(b), (hold, a, b)
            assert a["status"] == "applied", (hold, a)
            assert sorted([a["replayed"], b["replayed"]]) == [False, True], f"{hold}: one capture sent to two servers: {a} {b}"
        else:
            applied = [o for o in (a, b) if o["status"] == "applied"]
            assert len(applied) == 1, f"{hold} ({kind}) settled {len(applied)} times: {a} {b}"
            refused = [o for o in (a, b) if o["status"] == "refused"]
            assert refused[0]["code"] == "unknown_hold", refused
        settled[kind] += 1
    # (A hold taken from several lots is captured or released with one entry per lot: count inputs.)
    rows = query(servers[0], f"SELECT hold, count(DISTINCT coalesce(input, '')) FROM entries WHERE program = '{PROGRAM}' "
                             f"AND kind IN ('capture', 'hold_release') GROUP BY hold HAVING count(DISTINCT coalesce(input, '')) > 1")
    assert rows == [], f"holds settled more than once in the ledger: {rows[:5]}"

    # Vouchers: never more than the stock; the stock left agrees on every server.
    claims = [o for i, o in ledger.outcomes.items() if ledger.sent[i]["type"] == "reward.claimed"
              and ledger.sent[i]["data"]["reward"] == reward]
    issued = sum(1 for o in claims if o["status"] == "applied")
    sold_out = sum(1 for o in claims if o.get("code") == "out_of_stock")
    assert issued <= stock, f"{issued} {reward} issued, stock {stock}"
    assert sold_out > 0 and issued == stock, f"the claims did not race for the last units: {issued} issued, {sold_out} refused"
    assert {o.get("code") for o in claims if o["status"] != "applied"} <= {"out_of_stock"}, claims
    for server in servers:
        catalogue = server.call("GET", f"/v1/programs/{PROGRAM}/catalogue").json()
        left = {r["id"]: r.get("stock_left") for r in catalogue["rewards"]}
        assert left[reward] == stock - issued, (server.base, left)

    # Balances: never below zero, nothing held, the sum of recorded points, the same on every server.
    expected = {m: 0 for m in HOT + FANS}
    for outcome in ledger.outcomes.values():
        if outcome.get("member") in expected:
            expected[outcome["member"]] += outcome["points"]
    for member in HOT + FANS:
        views = []
        for server in servers:
            answer = server.call("GET", f"/v1/programs/{PROGRAM}/members/{member}")
            assert answer.status == 200, answer
            view = answer.json()
            views.append((view["balance"], view["pending"], view["held"]))
            assert view["balance"] >= 0, (server.base, member, view)
            assert view["held"] == 0, (server.base, member, view)
            assert view["balance"] + view["pending"] == expected[member], (server.base, member, view, expected[member])
        assert len(set(views)) == 1, f"servers disagree on {member}: {views}"

    spends = [o for i, o in ledger.outcomes.items() if ledger.sent[i]["type"] in ("points.redeemed", "checkout.held")]
    short = sum(1 for o in spends if o.get("code") == "insufficient_points")
    assert short > 0, "the hot members never ran out of points: the spends did not race for the last points"

    passed, output = verify(servers[0])
    assert passed, output
    figures.update({
        f"phase {phase}: servers": len(servers),
        f"phase {phase}: {reward} issued / stock / refused out of stock": f"{issued} / {stock} / {sold_out}",
        f"phase {phase}: holds raced (cap-cap, cap-rel, same id)":
            f"{settled['capture-capture']}, {settled['capture-release']}, {settled['same-capture']}",
        f"phase {phase}: spends applied / refused insufficient": f"{sum(1 for o in spends if o['status'] == 'applied')} / {short}",
    })


def test_two_then_four_servers_on_one_postgres(capsys):
    settings = Settings()
    figures = {"settings": str(settings)}
    started_at = time.monotonic()
    with fresh_database("race") as url:
        servers = [Server(database=url)]
        try:
            started(servers[0])
            key = servers[0].key
            answer = servers[0].call("POST", "/v1/programs", {"id": PROGRAM, "source": flash_sale_source(settings.stock)})
            assert answer.status == 201, answer
            ledger = Ledger(f"r{settings.seed}")
            ledger.send(servers[0], [ledger.input("points.adjusted", m, {"points": HOT_OPENING, "reason": "opening"}) for m in HOT]
                        + [ledger.input("points.adjusted", m, {"points": FAN_OPENING, "reason": "opening"}) for m in FANS], batch=True)
            for phase, count, reward in ((1, 2, "last-units-2"), (2, 4, "last-units-4")):
                while len(servers) < count:
                    servers.append(started(Server(database=url, key=key)))
                ledger.races = []
                errors = []
                threads = [threading.Thread(target=client, args=(ledger, servers, random.Random(f"{settings.seed}-{phase}-{i}"),
                                                                 reward, settings.race_ops, errors), daemon=True)
                           for i in range(settings.race_clients)]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join(timeout=900)
                    assert not t.is_alive(), "a client did not finish"
                if errors:
                    raise errors[0]
                check(ledger, servers, reward, settings.stock, figures, phase)
            for server in servers:
                assert server.stop() == 0, server.log()
            passed, output = verify(servers[0])
            assert passed, output
            replays = sum(1 for _, o in ledger.answers if o.get("replayed"))
            figures.update({
                "inputs sent": len(ledger.sent),
                "answers": len(ledger.answers),
                "replays (same input on two servers)": replays,
                "sends without an answer": ledger.no_answer,
                "member reads checked live (balance >= 0)": ledger.reads,
                "verify": "passed after each phase and after a clean stop",
                "total seconds": round(time.monotonic() - started_at, 1),
            })
            report(capsys, "concurrency on one PostgreSQL", figures)
        finally:
            for server in servers:
                server.kill()
