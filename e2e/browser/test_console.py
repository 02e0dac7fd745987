"""The operator console in a real headless Chromium: signing in, the overview beside the JSON
reports, member lookup with an adjustment, the bookings queue, the campaign calendar, and a
program file's what-if before publishing."""
import re
import urllib.error
import urllib.parse
import urllib.request

from selenium.webdriver.common.by import By

from conftest import screenshot, submit


def sign_in(driver, shop, key=None):
    driver.get(f"{shop.base}/console")
    assert driver.current_url.endswith("/console/login")
    driver.find_element(By.ID, "key").send_keys(key or shop.key)
    submit(driver, driver.find_element(By.CSS_SELECTOR, "form button[type=submit]"))


def digits(value):
    return int(re.sub(r"[^0-9-]", "", value))


def test_a_wrong_key_does_not_sign_in(shop, browser):
    sign_in(browser, shop, key="ak_" + "0" * 48)
    assert "not valid" in browser.find_element(By.CSS_SELECTOR, ".notice").text
    assert browser.get_cookie("accrue_console") is None


def test_the_overview_matches_the_liability_report(shop, browser):
    sign_in(browser, shop)
    assert browser.find_element(By.TAG_NAME, "h1").text == "Programs"
    submit(browser, browser.find_element(By.LINK_TEXT, "JD Points"))
    report = shop.call("GET", "/v1/programs/jd-points/reports/liability").json()
    assert digits(browser.find_element(By.CSS_SELECTOR, '[data-test="members"]').text) == report["members"]
    assert digits(browser.find_element(By.CSS_SELECTOR, '[data-test="outstanding"]').text) == report["outstanding"]
    assert browser.find_element(By.CSS_SELECTOR, '[data-test="outstanding-value"]').text == report["outstanding_value"] + " CNY"
    rules = browser.find_elements(By.CSS_SELECTOR, '[data-test="top-rule"]')
    assert rules and "order points" in rules[0].text
    # The chart has a bar for each day with points earned in the last 30 days.
    daily = shop.call("GET", "/v1/programs/jd-points/reports/daily").json()["days"]
    earning_days = {d["day"] for d in daily if d["earned"] + d["earned_pending"] > 0}
    bars = {bar.get_attribute("data-day") for bar in browser.find_elements(By.CSS_SELECTOR, 'svg.chart rect[data-series="earned"]')}
    assert earning_days and bars == earning_days, (bars, earning_days)
    screenshot(browser, "console-overview")


def test_a_member_is_looked_up_and_adjusted_with_a_reason(shop, browser):
    before = shop.call("GET", "/v1/programs/jd-points/members/bob").json()["balance"]
    sign_in(browser, shop)
    browser.get(f"{shop.base}/console/programs/jd-points/members?member=bob")
    assert digits(browser.find_element(By.CSS_SELECTOR, '[data-test="balance"]').text) == before
    browser.find_element(By.ID, "points").send_keys("25")
    browser.find_element(By.ID, "reason").send_keys("goodwill for a late parcel")
    submit(browser, browser.find_element(By.XPATH, "//button[text()='Adjust']"))
    assert browser.find_element(By.CSS_SELECTOR, ".notice").text.startswith("Done.")
    assert digits(browser.find_element(By.CSS_SELECTOR, '[data-test="balance"]').text) == before + 25
    assert "goodwill for a late parcel" in browser.find_element(By.CSS_SELECTOR, ".history").text
    assert shop.call("GET", "/v1/programs/jd-points/members/bob").json()["balance"] == before + 25
    screenshot(browser, "console-member")


def test_the_bookings_queue_confirms_and_rejects_and_the_member_reads_why(shop, browser):
    for booking in ("q-1", "q-2"):
        answer = shop.call("POST", "/v1/programs/cj-rewards/inputs", {
            "id": booking, "type": "booking.requested", "member": "ivan", "at": "2026-11-21T00:00:00Z",
            "data": {"booking": booking, "services": [{"service": "food", "meals": 2}]}})
        assert answer.status == 200, answer
    sign_in(browser, shop)
    browser.get(f"{shop.base}/console/programs/cj-rewards/bookings")
    screenshot(browser, "console-bookings")
    row = browser.find_element(By.CSS_SELECTOR, '[data-booking="q-1"]')
    submit(browser, row.find_element(By.XPATH, ".//button[text()='Confirm']"))
    assert "confirmed" in browser.find_element(By.CSS_SELECTOR, ".notice").text
    row = browser.find_element(By.CSS_SELECTOR, '[data-booking="q-2"]')
    row.find_element(By.NAME, "reason").send_keys("no driver that day")
    submit(browser, row.find_element(By.XPATH, ".//button[text()='Reject']"))
    assert "no driver that day" in browser.find_element(By.CSS_SELECTOR, ".notice").text
    assert not browser.find_elements(By.CSS_SELECTOR, '[data-booking="q-2"]')
    history = shop.call("GET", "/v1/programs/cj-rewards/members/ivan/history").json()["lines"]
    assert any("no driver that day" in (line.get("reason") or "") for line in history), history


def test_the_campaign_calendar_shows_which_multiplier_applies_when(shop, browser):
    sign_in(browser, shop)
    browser.get(f"{shop.base}/console/programs/jd-points/campaigns?month=2026-11")
    eleventh = browser.find_element(By.CSS_SELECTOR, '[data-day="2026-11-11"]').text
    twelfth = browser.find_element(By.CSS_SELECTOR, '[data-day="2026-11-12"]').text
    assert "Double 11 ×2" in eleventh and "Double 11" not in twelfth
    browser.get(f"{shop.base}/console/programs/jd-points/campaigns?month=2026-06")
    assert "618 electronics ×3 (electronics)" in browser.find_element(By.CSS_SELECTOR, '[data-day="2026-06-18"]').text
    screenshot(browser, "console-campaigns")


def test_what_if_shows_the_difference_before_publishing(shop, browser):
    version = shop.call("GET", "/v1/programs/jd-points").json()["version"]
    sign_in(browser, shop)
    browser.get(f"{shop.base}/console/programs/jd-points/file")
    source = browser.find_element(By.ID, "source")
    text = source.get_attribute("value")
    assert "earn: {points: 20}" in text
    # A broken file is refused with its line.
    set_source(browser, text.replace("earn: {points: 20}", "earn: {pointz: 20}"))
    submit(browser, browser.find_element(By.CSS_SELECTOR, 'button[value="validate"]'))
    problems = browser.find_element(By.CSS_SELECTOR, '[data-test="problems"]').text
    assert "line" in problems and "pointz" in problems, problems
    # Review points from 20 to 50: the what-if over the past year shows the difference.
    set_source(browser, text.replace("earn: {points: 20}", "earn: {points: 50}"))
    days = browser.find_element(By.NAME, "days")
    days.clear()
    days.send_keys("366")
    submit(browser, browser.find_element(By.CSS_SELECTOR, 'button[value="whatif"]'))
    review = browser.find_element(By.CSS_SELECTOR, '[data-test="whatif-rule"][data-rule="review-points"]')
    cells = [cell.text for cell in review.find_elements(By.TAG_NAME, "td")]
    current, edited, difference = digits(cells[1]), digits(cells[2]), digits(cells[3])
    assert current > 0 and edited == current * 50 // 20 and difference == edited - current, cells
    # Alice's review would earn 30 more, enough for the 1,000-point voucher her claim (jd-10) was
    # refused: that claim succeeds too, so the liability falls by 1,000 - 30.
    assert digits(browser.find_element(By.CSS_SELECTOR, '[data-test="changed"]').text) == 2
    outstanding = browser.find_element(By.CSS_SELECTOR, '[data-test="whatif-outstanding"]').find_elements(By.TAG_NAME, "td")
    assert digits(outstanding[3].text) == 30 - 1000
    # The whole log replayed under the current file gives the live ledger's liability.
    assert digits(outstanding[1].text) == shop.call("GET", "/v1/programs/jd-points/reports/liability").json()["outstanding"]
    changes = browser.find_element(By.CSS_SELECTOR, '[data-test="whatif"] details')
    changes.click()
    assert "jd-10" in changes.text and "jd-3" in changes.text
    screenshot(browser, "console-whatif")
    # Nothing was published by the what-if.
    assert shop.call("GET", "/v1/programs/jd-points").json()["version"] == version


def set_source(driver, text):
    area = driver.find_element(By.ID, "source")
    driver.execute_script("arguments[0].value = arguments[1];", area, text)


def test_console_forms_need_the_session_and_its_csrf_token(shop, browser):
    sign_in(browser, shop)
    cookie = browser.get_cookie("accrue_console")["value"]
    form = urllib.parse.urlencode({"points": "1000", "reason": "x", "input": "web-" + "cd" * 10}).encode()
    request = urllib.request.Request(f"{shop.base}/console/programs/jd-points/members/bob/adjust", data=form, method="POST",
                                     headers={"Cookie": f"accrue_console={cookie}"})
    try:
        urllib.request.urlopen(request)
        raise AssertionError("an adjustment without the CSRF token was accepted")
    except urllib.error.HTTPError as error:
        assert error.code == 403
    # A member's session does not open the console.
    browser.delete_all_cookies()
    browser.get(f"{shop.base}/me?token={shop.member_token('jd-points', 'alice')}")
    browser.get(f"{shop.base}/console/programs/jd-points")
    assert browser.current_url.endswith("/console/login")


def test_a_key_of_another_program_sees_only_its_own(shop, browser):
    answer = shop.call("POST", "/v1/keys", {"name": "store operator", "program": "cj-rewards", "scopes": ["members:read"]})
    assert answer.status == 201, answer
    sign_in(browser, shop, key=answer.json()["key"])
    assert [a.text for a in browser.find_elements(By.CSS_SELECTOR, "main table a")] == ["CJ reward points"]
    browser.get(f"{shop.base}/console/programs/jd-points")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Not allowed"
    # Reading is allowed; deciding bookings needs inputs:write.
    browser.get(f"{shop.base}/console/programs/cj-rewards/bookings")
    assert not browser.find_elements(By.XPATH, "//button[text()='Confirm']")
