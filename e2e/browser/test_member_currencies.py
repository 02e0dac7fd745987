"""Two spendable currencies in one program (docs/examples/points-and-coins.yaml): points from
orders and coins from a daily check-in streak. The API, the member page (in Chromium) and the
liability report show each currency on its own; a checkout in coins is quoted and paid under the
coins' own 10% share."""
import os

import pytest
from selenium.webdriver.common.by import By

from accrue import ROOT, Server
from conftest import screenshot


@pytest.fixture(scope="module")
def coins():
    with open(os.path.join(ROOT, "docs", "examples", "points-and-coins.yaml"), encoding="utf-8") as f:
        source = f.read()
    server = Server().start()
    made = server.call("POST", "/v1/programs", {"id": "shop", "source": source})
    assert made.status == 201, made
    inputs = [{"id": "o-1", "type": "order.completed", "member": "mia", "at": "2026-11-20T10:00:00Z",
               "data": {"order": "o-1", "amount": "320.00", "currency": "USD"}}]
    for day in range(20, 23):
        inputs.append({"id": f"s-{day}", "type": "member.signed_in", "member": "mia", "at": f"2026-11-{day}T08:00:00Z", "data": {}})
    outcomes = server.post_inputs("shop", inputs)
    assert [o["status"] for o in outcomes] == ["applied"] * 4, outcomes
    assert [o.get("currencies") for o in outcomes[1:]] == [{"coins": 10}, {"coins": 15}, {"coins": 20}]
    yield server
    server.stop()


def test_the_api_keeps_each_currency_apart(coins):
    member = coins.call("GET", "/v1/programs/shop/members/mia").json()
    assert member["balance"] == 320 and member["balance_value"] == "3.20 USD"
    [line] = member["currencies"]
    assert (line["currency"], line["balance"], line["balance_value"]) == ("coins", 45, "0.45 USD")
    # 100.00 USD: coins cover at most 10% (1,000 coins), points 20% (2,000 points).
    quote = coins.call("POST", "/v1/programs/shop/checkout/quote",
                       {"member": "mia", "order_amount": "100.00", "order": "c-1", "points_currency": "coins"}).json()
    assert (quote["points"], quote["order_maximum"], quote["points_currency"], quote["discount"]) == (45, 1000, "coins", "0.45")
    unknown = coins.call("POST", "/v1/programs/shop/checkout/quote", {"member": "mia", "order_amount": "100.00", "points_currency": "gems"})
    assert unknown.status == 422 and unknown.json()["code"] == "unknown_currency"
    paid = coins.post_inputs("shop", [{"id": "pay-1", "type": "checkout.held", "member": "mia", "at": "2026-11-23T09:00:00Z",
                                       "data": {"hold": "H1", "order": "c-1", "points": 45, "order_amount": "100.00", "points_currency": "coins"}},
                                      {"id": "pay-2", "type": "checkout.captured", "member": "mia", "at": "2026-11-23T09:01:00Z",
                                       "data": {"hold": "H1"}}])
    assert [(o["status"], o.get("currency")) for o in paid] == [("applied", "coins"), ("applied", "coins")], paid
    member = coins.call("GET", "/v1/programs/shop/members/mia").json()
    assert member["balance"] == 320 and member["currencies"][0]["balance"] == 0
    why = coins.call("GET", "/v1/programs/shop/inputs/pay-1").json()
    assert [e["currency"] for e in why["entries"]] == ["coins"] * len(why["entries"])
    liability = coins.call("GET", "/v1/programs/shop/reports/liability").json()
    assert liability["outstanding"] == 320 and liability["currencies"][0]["points"] == "coins"
    assert liability["currencies"][0]["outstanding"] == 0


def test_the_member_page_shows_each_currency_on_its_own(coins, browser):
    coins.post_inputs("shop", [{"id": "s-23", "type": "member.signed_in", "member": "mia", "at": "2026-11-23T08:00:00Z", "data": {}}])
    browser.get(f"{coins.base}/me?token={coins.member_token('shop', 'mia')}")
    points = browser.find_element(By.CSS_SELECTOR, '.balance[data-currency="points"]')
    assert points.find_element(By.TAG_NAME, "h2").text == "My points"
    assert points.find_element(By.CSS_SELECTOR, '[data-test="balance"]').text == "320"
    coin_card = browser.find_element(By.CSS_SELECTOR, '.balance[data-currency="coins"]')
    assert coin_card.find_element(By.TAG_NAME, "h2").text == "My coins"
    assert coin_card.find_element(By.CSS_SELECTOR, '[data-test="balance"]').text == "25"
    assert "0.25 USD" in coin_card.text
    # November's coins expire as December ends; the page says so in the coins' own section.
    expiring = browser.find_element(By.CSS_SELECTOR, '.expiring[data-currency="coins"]')
    assert expiring.find_element(By.TAG_NAME, "h2").text == "Coins expiring soon"
    history = browser.find_element(By.CSS_SELECTOR, "#history-title").find_element(By.XPATH, "..").text
    assert "Sign-in +25 coins check-in coins: day 4 of a streak, 25" in history, history
    assert "Checkout -45 coins 45 coins held for order c-1" in history, history
    ids = [e.get_attribute("id") for e in browser.find_elements(By.CSS_SELECTOR, "[id]")]
    assert len(ids) == len(set(ids)), "no two elements share an id"
    screenshot(browser, "member-points-and-coins")
