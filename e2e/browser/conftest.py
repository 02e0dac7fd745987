"""A real headless Chromium (Debian's chromium with chromium-driver, driven by Selenium) against a
real `accrue serve`. Screenshots of the main pages go to screenshots/ at the repository root."""
import os
import shutil

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service

from accrue import ROOT, Server, sample, temporary_folder

SCREENSHOTS = os.path.join(ROOT, "screenshots")


def make_driver(width=1280, height=1000, language="en-US", javascript=True, phone=False):
    """A headless Chromium; `phone` emulates a 390 x 844 phone screen (a desktop window cannot be
    made that narrow in headless mode)."""
    options = Options()
    if phone:
        options.add_experimental_option("mobileEmulation", {"deviceMetrics": {"width": 390, "height": 844, "pixelRatio": 2}})
    options.binary_location = shutil.which("chromium")
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     f"--window-size={width},{height}", f"--lang={language}",
                     # A profile of its own, removed with the test's other folders (left to itself,
                     # Chromium leaves one in the temporary folder per browser started).
                     f"--user-data-dir={temporary_folder('accrue-chromium-')}"):
        options.add_argument(argument)
    prefs = {"intl.accept_languages": language}
    if not javascript:
        prefs["profile.managed_default_content_settings.javascript"] = 2
    options.add_experimental_option("prefs", prefs)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    driver.set_page_load_timeout(30)
    return driver


@pytest.fixture
def browser():
    driver = make_driver()
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def shop():
    """A server with the JD and CJ sample logs sent through the API, as a shop's backend would."""
    server = Server().start()
    server.post_inputs("jd-points", sample("jd-points"))
    server.post_inputs("cj-rewards", sample("cj-rewards"))
    yield server
    server.stop()


def screenshot(driver, name):
    os.makedirs(SCREENSHOTS, exist_ok=True)
    # The whole page, not just the window: the height the document needs.
    height = driver.execute_script("return document.documentElement.scrollHeight")
    width = driver.get_window_size()["width"]
    driver.set_window_size(width, max(600, min(height + 120, 6000)))
    driver.save_screenshot(os.path.join(SCREENSHOTS, name + ".png"))


def submit(driver, element, key=None):
    """Clicks (or presses `key` on) an element that sends a form, and waits for the next page."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.support.ui import WebDriverWait
    old = driver.find_element("tag name", "html")
    if key is None:
        element.click()
    else:
        element.send_keys(key)

    def replaced(_):
        # The old page's root is gone: Chromium says so as a stale element, or, while it swaps
        # documents, as "Node with given id does not belong to the document".
        try:
            old.is_enabled()
            return False
        except WebDriverException:
            return True

    WebDriverWait(driver, 30).until(replaced)
