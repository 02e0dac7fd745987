"""A lucky draw run through the API, its winners recomputed by this independent script from the
public record (the commitment, the tickets and the revealed seed) with Python's own hashlib."""
import hashlib
import os

from accrue import ROOT, Server

DRAW = """draws:
  - id: nov
    name: November lucky draw
    entry_cost: 50
    entries_per_member: 20
    opens: 2026-11-01T00:00:00+08:00
    closes: 2026-11-20T00:00:00+08:00
    draw_at: 2026-11-21T12:00:00+08:00
    prizes:
      - {id: phone, name: Phone, count: 1, value: "3000.00"}
      - {id: voucher, name: 50 CNY voucher, count: 5, value: "50.00"}
campaign_policy: highest"""


def recompute(seed, tickets, slots):
    """The algorithm the record states, written again from its words."""
    remaining = list(range(1, len(tickets) + 1))
    winners = []
    for slot in range(slots):
        if not remaining:
            winners.append(None)
            continue
        n = int.from_bytes(hashlib.sha256(f"{seed}:{slot}".encode()).digest()[:8], "big")
        winners.append(remaining.pop(n % len(remaining)))
    return winners


def test_the_winners_can_be_recomputed_from_the_public_record():
    with open(os.path.join(ROOT, "programs", "jd-points.yaml"), encoding="utf-8") as f:
        source = f.read().replace("campaign_policy: highest", DRAW)
    server = Server().start()
    try:
        made = server.call("POST", "/v1/programs", {"id": "draw-demo", "source": source})
        assert made.status == 201, made
        seed = "a secret only the operator knows until the draw: 41d8cd98"
        commitment = hashlib.sha256(seed.encode()).hexdigest()
        members = [f"m-{i}" for i in range(12)]
        inputs = [{"id": f"a-{m}", "type": "points.adjusted", "member": m, "at": "2026-10-20T00:00:00Z",
                   "data": {"points": 1000, "reason": "draw test"}} for m in members]
        inputs.append({"id": "commit", "type": "draw.committed", "member": "ops", "at": "2026-10-25T00:00:00Z",
                       "data": {"draw": "nov", "hash": commitment}})
        for i, m in enumerate(members):
            inputs.append({"id": f"e-{m}", "type": "draw.entered", "member": m, "at": f"2026-11-05T00:{i:02d}:00Z",
                           "data": {"draw": "nov", "entries": 1 + i % 3}})
        before = server.post_inputs("draw-demo", inputs)
        assert all(o["status"] == "applied" for o in before), [o for o in before if o["status"] != "applied"]
        # Before the draw the record shows the commitment and the tickets, not the seed.
        record = server.call("GET", "/v1/programs/draw-demo/draws/nov").json()
        assert record["commitment"] == commitment and record["seed"] is None and record["winners"] is None
        wrong = server.post_inputs("draw-demo", [{"id": "reveal-0", "type": "draw.revealed", "member": "ops",
                                                  "at": "2026-11-21T04:00:00Z", "data": {"draw": "nov", "seed": "not it"}}])
        assert wrong[0]["code"] == "seed_mismatch"
        drawn = server.post_inputs("draw-demo", [{"id": "reveal", "type": "draw.revealed", "member": "ops",
                                                  "at": "2026-11-21T04:00:00Z", "data": {"draw": "nov", "seed": seed}}])
        assert drawn[0]["status"] == "applied", drawn
        record = server.call("GET", "/v1/programs/draw-demo/draws/nov").json()
        # Anyone: check the commitment, then redo the drawing.
        assert hashlib.sha256(record["seed"].encode()).hexdigest() == record["commitment"]
        slots = [prize["id"] for prize in record["prizes"] for _ in range(prize["count"])]
        winners = recompute(record["seed"], record["tickets"], len(slots))
        assert [w["ticket"] for w in record["winners"]] == winners
        assert [w["prize"] for w in record["winners"]] == slots
        print(f"draw: {len(record['tickets'])} tickets, {len(slots)} prizes, winners {winners} recomputed independently")
        # And each winner holds its prize.
        for slot, ticket in enumerate(winners):
            member = record["tickets"][ticket - 1]
            coupons = server.call("GET", f"/v1/programs/draw-demo/members/{member}").json()["coupons"]
            assert any(c["reward"] == f"nov:{slots[slot]}" for c in coupons), (member, coupons)
    finally:
        server.stop()
