"""The member page's lucky draws, partner transfers and gifts, in headless Chromium, on a program
made from jd-points with two draws (one drawn in October, one open now) and a transfer window."""
import hashlib
import os

import pytest
from selenium.webdriver.common.by import By

from accrue import ROOT, Server
from conftest import screenshot, submit

EXTRAS = """draws:
  - id: oct
    name: October lucky draw
    entry_cost: 50
    opens: 2026-10-01T00:00:00+08:00
    closes: 2026-10-20T00:00:00+08:00
    draw_at: 2026-10-21T12:00:00+08:00
    prizes:
      - {id: phone, name: Phone, count: 1}
  - id: dec
    name: December lucky draw
    entry_cost: 50
    opens: 2026-11-01T00:00:00+08:00
    closes: 2027-06-30T00:00:00+08:00
    draw_at: 2027-07-01T12:00:00+08:00
    prizes:
      - {id: voucher, name: 50 CNY voucher, count: 3, value: "50.00"}
transfers:
  - {id: miles, partner: JD Airlines miles, rate: {points: 100, units: 1}, minimum: 1000, daily_limit: 5000,
     from: 2026-11-01, to: 2027-06-30}
campaign_policy: highest"""


@pytest.fixture(scope="module")
def extras():
    with open(os.path.join(ROOT, "programs", "jd-points.yaml"), encoding="utf-8") as f:
        source = f.read().replace("campaign_policy: highest", EXTRAS)
    server = Server().start()
    made = server.call("POST", "/v1/programs", {"id": "extras", "source": source})
    assert made.status == 201, made
    seed = "october seed"
    later = "december seed"
    outcomes = server.post_inputs("extras", [
        {"id": "a-1", "type": "points.adjusted", "member": "zoe", "at": "2026-09-20T00:00:00Z", "data": {"points": 20000, "reason": "test"}},
        {"id": "c-1", "type": "draw.committed", "member": "ops", "at": "2026-09-25T00:00:00Z",
         "data": {"draw": "oct", "hash": hashlib.sha256(seed.encode()).hexdigest()}},
        {"id": "c-2", "type": "draw.committed", "member": "ops", "at": "2026-09-25T00:00:01Z",
         "data": {"draw": "dec", "hash": hashlib.sha256(later.encode()).hexdigest()}},
        {"id": "e-1", "type": "draw.entered", "member": "zoe", "at": "2026-10-05T00:00:00Z", "data": {"draw": "oct"}},
        {"id": "r-1", "type": "draw.revealed", "member": "ops", "at": "2026-10-21T04:00:00Z", "data": {"draw": "oct", "seed": seed}},
        {"id": "v-1", "type": "reward.claimed", "member": "zoe", "at": "2026-11-02T00:00:00Z", "data": {"reward": "voucher-10"}},
    ])
    assert all(o["status"] == "applied" for o in outcomes), outcomes
    yield server
    server.stop()


def open_member(driver, server, member):
    driver.get(f"{server.base}/me?token={server.member_token('extras', member)}")


def test_a_drawn_draw_shows_its_result_and_proof(extras, browser):
    open_member(browser, extras, "zoe")
    october = browser.find_element(By.CSS_SELECTOR, '[data-draw="oct"]')
    assert "1 (of 1)" in october.find_element(By.CSS_SELECTOR, '[data-test="my-tickets"]').text
    assert october.find_element(By.CSS_SELECTOR, '[data-test="won"]').text == "You won: Phone (1)."
    assert october.find_element(By.CSS_SELECTOR, '[data-test="seed"]').text == "october seed"
    assert october.find_element(By.CSS_SELECTOR, '[data-test="commitment"]').text == hashlib.sha256(b"october seed").hexdigest()
    # The prize and the spent ticket are in the winner's history, though the operator sent the reveal.
    history = browser.find_element(By.CSS_SELECTOR, "#history-title").find_element(By.XPATH, "..").text
    assert "Phone (won in October lucky draw, ticket 1)" in history, history
    assert "50 points for tickets in October lucky draw spent at the draw" in history, history


def test_tickets_a_transfer_and_a_gift_through_the_page(extras, browser):
    before = extras.call("GET", "/v1/programs/extras/members/zoe").json()["balance"]
    open_member(browser, extras, "zoe")
    december = browser.find_element(By.CSS_SELECTOR, '[data-draw="dec"]')
    entries = december.find_element(By.NAME, "entries")
    entries.clear()
    entries.send_keys("2")
    submit(browser, december.find_element(By.TAG_NAME, "button"))
    assert "tickets 1-2 in December lucky draw" in browser.find_element(By.CSS_SELECTOR, ".notice").text
    assert "Your tickets: 1, 2 (of 2)." == browser.find_element(By.CSS_SELECTOR, '[data-draw="dec"] [data-test="my-tickets"]').text
    # The tickets' points are held until the draw, and the page says for what.
    assert "100 held by tickets in December lucky draw until it is drawn" in browser.page_source
    # A transfer to the partner.
    transfer = browser.find_element(By.CSS_SELECTOR, '[data-test="transfer"]')
    assert "100 points = 1 JD Airlines miles" in transfer.text and "5,000 left today" in transfer.text
    submit(browser, transfer.find_element(By.TAG_NAME, "button"))
    assert "1,000 points transferred to JD Airlines miles: 10 JD Airlines miles" in browser.find_element(By.CSS_SELECTOR, ".notice").text
    assert "4,000 left today" in browser.find_element(By.CSS_SELECTOR, '[data-test="transfer"]').text
    assert extras.call("GET", "/v1/programs/extras/members/zoe").json()["balance"] == before - 100 - 1000
    # The voucher zoe claimed goes to a friend.
    voucher = [c for c in browser.find_elements(By.CSS_SELECTOR, '[data-test="coupon"]') if "10 CNY voucher" in c.text][0]
    code = voucher.find_element(By.CSS_SELECTOR, '[data-test="coupon-code"]').text
    voucher.find_element(By.NAME, "to").send_keys("friend")
    submit(browser, voucher.find_element(By.TAG_NAME, "button"))
    assert f"10 CNY voucher {code} given to friend" in browser.find_element(By.CSS_SELECTOR, ".notice").text
    screenshot(browser, "member-draws-transfers")
    friend = extras.call("GET", "/v1/programs/extras/members/friend").json()
    assert [c["code"] for c in friend["coupons"]] == [code]
    assert code not in [c["code"] for c in extras.call("GET", "/v1/programs/extras/members/zoe").json()["coupons"]]


def test_a_cancelled_draw_returns_the_tickets_points(extras, browser):
    before = extras.call("GET", "/v1/programs/extras/members/zoe").json()
    assert before["held"] == 100
    cancelled = extras.post_inputs("extras", [{"id": "x-dec", "type": "draw.cancelled", "member": "ops", "at": "2026-11-23T00:00:00Z",
                                               "data": {"draw": "dec", "reason": "the vouchers were withdrawn"}}])
    assert cancelled[0]["status"] == "applied", cancelled
    open_member(browser, extras, "zoe")
    notice = browser.find_element(By.CSS_SELECTOR, '[data-draw="dec"] [data-test="draw-cancelled"]').text
    assert notice == "This draw was cancelled (the vouchers were withdrawn). The points of every ticket were returned."
    assert browser.find_elements(By.CSS_SELECTOR, '[data-draw="dec"] form') == [], "a cancelled draw takes no entries"
    after = extras.call("GET", "/v1/programs/extras/members/zoe").json()
    assert after["held"] == 0 and after["balance"] == before["balance"] + 100
    history = browser.find_element(By.CSS_SELECTOR, "#history-title").find_element(By.XPATH, "..").text
    assert "December lucky draw cancelled (the vouchers were withdrawn): 100 points for tickets returned" in history, history
