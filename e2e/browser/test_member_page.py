"""The member page in a real headless Chromium: the numbers after a replayed log, booking and
cancelling through the form (with and without JavaScript), the keyboard, both languages, and a
member token that opens its own member only."""
import base64
import json
import re
import time
import urllib.parse
import urllib.request

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from conftest import make_driver, screenshot, submit


def text(driver, test):
    return driver.find_element(By.CSS_SELECTOR, f'[data-test="{test}"]').text


def open_member(driver, shop, program, member):
    driver.get(f"{shop.base}/me?token={shop.member_token(program, member)}")
    # The token moved into a cookie: the address no longer holds it.
    assert driver.current_url == f"{shop.base}/me", driver.current_url


def digits(value):
    return int(re.sub(r"[^0-9-]", "", value))


def test_the_page_shows_the_replayed_numbers_and_why_inputs_earned_nothing(shop, browser):
    view = shop.call("GET", "/v1/programs/jd-points/members/alice").json()
    open_member(browser, shop, "jd-points", "alice")
    assert digits(text(browser, "balance")) == view["balance"] == 984
    assert browser.find_element(By.CSS_SELECTOR, "header .who").text == "alice"
    assert text(browser, "tier") == view["tier"]["tier_name"] == "Gold"
    page = browser.find_element(By.TAG_NAME, "main").text
    assert "9.84 CNY" in page
    assert f"{view['tier']['needed']:,} more to reach Platinum" in page
    # Every input of alice's that earned nothing or was refused is in the history with its reason.
    history = shop.call("GET", "/v1/programs/jd-points/members/alice/history?limit=100").json()["lines"]
    nothing = [line for line in history if line.get("input") and line["points"] == 0 and line.get("reason")]
    assert len(nothing) >= 2, nothing
    shown = " ".join(row.text for row in browser.find_elements(By.CSS_SELECTOR, '[data-test="history-line"]'))
    for line in nothing:
        assert line["reason"] in shown, line
    assert "s-outlet" in shown or "outlet" in shown.lower()
    screenshot(browser, "member-page")


def test_a_phone_sized_screen_gets_one_column(shop):
    driver = make_driver(phone=True)
    try:
        open_member(driver, shop, "jd-points", "alice")
        balance = driver.find_element(By.CSS_SELECTOR, ".card.balance").rect
        tier = driver.find_element(By.CSS_SELECTOR, ".card.tier").rect
        assert balance["width"] <= 390 and tier["y"] > balance["y"], (balance, tier)
        assert driver.execute_script("return document.documentElement.scrollWidth") <= 390
        screenshot(driver, "member-page-phone")
    finally:
        driver.quit()


def test_a_booking_is_quoted_live_made_and_cancelled_through_the_form(shop, browser):
    before = shop.call("GET", "/v1/programs/cj-rewards/members/ivan").json()["balance"]
    open_member(browser, shop, "cj-rewards", "ivan")
    browser.find_element(By.CSS_SELECTOR, 'input[name="service"][value="hotel"]').click()
    nights = browser.find_element(By.CSS_SELECTOR, 'input[name="hotel.nights"]')
    nights.clear()
    nights.send_keys("2")
    WebDriverWait(browser, 10).until(lambda d: text(d, "quote") == "6 reward points")
    submit(browser, browser.find_element(By.CSS_SELECTOR, '#booking-form button[value="book"]'))
    notice = browser.find_element(By.CSS_SELECTOR, ".notice").text
    assert notice.startswith("Done."), notice
    first = browser.find_element(By.CSS_SELECTOR, '[data-test="booking"]')
    booking = first.get_attribute("data-booking")
    assert first.find_element(By.CSS_SELECTOR, '[data-test="booking-status"]').text == "waiting for confirmation"
    assert digits(text(browser, "balance")) == before - 6
    assert digits(text(browser, "held")) == 6
    screenshot(browser, "member-booking")
    submit(browser, first.find_element(By.CSS_SELECTOR, "button"))
    row = browser.find_element(By.CSS_SELECTOR, f'[data-booking="{booking}"]')
    assert row.find_element(By.CSS_SELECTOR, '[data-test="booking-status"]').text == "cancelled"
    assert digits(text(browser, "balance")) == before
    assert shop.call("GET", "/v1/programs/cj-rewards/members/ivan").json()["balance"] == before


def test_the_booking_form_works_without_javascript(shop):
    driver = make_driver(javascript=False)
    try:
        open_member(driver, shop, "cj-rewards", "ivan")
        assert text(driver, "quote") == "—"
        driver.find_element(By.CSS_SELECTOR, 'input[name="service"][value="tour"]').click()
        submit(driver, driver.find_element(By.CSS_SELECTOR, '#booking-form button[value="quote"]'))
        assert text(driver, "quote") == "3 reward points"
        assert driver.find_element(By.CSS_SELECTOR, 'input[name="service"][value="tour"]').is_selected()
        submit(driver, driver.find_element(By.CSS_SELECTOR, '#booking-form button[value="book"]'))
        assert driver.find_element(By.CSS_SELECTOR, ".notice").text.startswith("Done.")
        first = driver.find_element(By.CSS_SELECTOR, '[data-test="booking"]')
        assert first.find_element(By.CSS_SELECTOR, '[data-test="booking-status"]').text == "waiting for confirmation"
        submit(driver, first.find_element(By.CSS_SELECTOR, "button"))
        assert driver.find_element(By.CSS_SELECTOR, '[data-test="booking"] [data-test="booking-status"]').text == "cancelled"
    finally:
        driver.quit()


def test_a_reward_is_claimed_with_the_keyboard_alone(shop, browser):
    before = shop.call("GET", "/v1/programs/jd-points/members/alice").json()["balance"]
    open_member(browser, shop, "jd-points", "alice")
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.TAB)
    assert browser.switch_to.active_element.text == "Skip to content"
    for _ in range(40):
        active = browser.switch_to.active_element
        form = active.find_elements(By.XPATH, "ancestor::form")
        if active.tag_name == "button" and form and form[0].find_element(By.NAME, "reward").get_attribute("value") == "lucky-draw":
            break
        active.send_keys(Keys.TAB)
    else:
        raise AssertionError("the lucky draw's Claim button is not reachable with Tab")
    submit(browser, browser.switch_to.active_element, key=Keys.ENTER)
    notice = browser.find_element(By.CSS_SELECTOR, ".notice").text
    assert notice.startswith("Done.") and "DRAW" in notice, notice
    assert digits(text(browser, "balance")) == before - 50
    # Reloading the answer page sends nothing again.
    browser.refresh()
    assert digits(text(browser, "balance")) == before - 50


def test_the_page_speaks_the_browsers_language_and_can_be_switched(shop):
    driver = make_driver(language="zh-CN")
    try:
        open_member(driver, shop, "jd-points", "alice")
        assert driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "zh-Hans"
        assert driver.find_element(By.ID, "balance-title").text == "可用积分"
        assert driver.find_element(By.ID, "history-title").text == "积分明细"
        screenshot(driver, "member-page-zh")
        submit(driver, driver.find_element(By.LINK_TEXT, "English"))
        assert driver.find_element(By.ID, "balance-title").text == "Balance"
        driver.get(f"{driver.current_url.split('?')[0]}")
        assert driver.find_element(By.ID, "balance-title").text == "Balance", "the choice is kept"
    finally:
        driver.quit()


def test_a_member_token_opens_its_own_member_only(shop, browser):
    token = shop.member_token("cj-rewards", "judy")
    # An altered token (another member in the payload, the old signature) opens nothing.
    payload, signature = token[3:].split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["member"] = "ivan"
    forged = "mt_" + base64.urlsafe_b64encode(json.dumps(claims, separators=(",", ":")).encode()).decode().rstrip("=") + "." + signature
    browser.get(f"{shop.base}/me?token={forged}")
    assert browser.find_element(By.TAG_NAME, "h1").text == "This link does not work"
    assert "ivan" not in browser.page_source
    # An expired token too.
    short = shop.member_token("cj-rewards", "ivan", ttl=1)
    time.sleep(1.5)
    browser.get(f"{shop.base}/me?token={short}")
    assert browser.find_element(By.TAG_NAME, "h1").text == "This link does not work"
    # Judy's page is judy's; the API refuses her token for ivan.
    open_member(browser, shop, "cj-rewards", "judy")
    assert browser.find_element(By.CSS_SELECTOR, "header .who").text == "judy"
    assert shop.call("GET", "/v1/programs/cj-rewards/members/ivan", key=token).status == 403
    # Ivan's booking cannot be cancelled from judy's session, even with judy's own form token.
    booking = "b-ivan-" + str(int(time.time() * 1000))
    answer = shop.call("POST", "/v1/programs/cj-rewards/inputs", {
        "id": booking, "type": "booking.requested", "member": "ivan", "at": "2026-11-20T00:00:00Z",
        "data": {"booking": booking, "services": [{"service": "tour"}]}})
    assert answer.status == 200, answer
    csrf = browser.find_element(By.CSS_SELECTOR, 'input[name="csrf"]').get_attribute("value")
    cookie = browser.get_cookie("accrue_member")["value"]
    form = urllib.parse.urlencode({"csrf": csrf, "input": "web-" + "ab" * 10}).encode()
    request = urllib.request.Request(f"{shop.base}/me/bookings/{booking}/cancel", data=form, method="POST",
                                     headers={"Cookie": f"accrue_member={cookie}"})
    with urllib.request.urlopen(request) as response:  # follows the redirect to the answer page
        page = response.read().decode()
    assert "is not this member" in page, page[:2000]
    statuses = shop.call("GET", "/v1/programs/cj-rewards/bookings?status=held").json()["bookings"]
    assert any(b["booking"] == booking and b["member"] == "ivan" for b in statuses)
    # A form without its CSRF token is refused.
    request = urllib.request.Request(f"{shop.base}/me/claim", data=b"reward=tour", method="POST",
                                     headers={"Cookie": f"accrue_member={cookie}"})
    try:
        urllib.request.urlopen(request)
        raise AssertionError("a form without its CSRF token was accepted")
    except urllib.error.HTTPError as error:
        assert error.code == 403
