"""The exchange end to end in a real browser (Debian's headless Chromium): review before publishing,
an adoption and a question answered in the inbox, as the officials of three states would do it.

One test function on purpose (browser tests are slow); each step says what it checks. Screenshots of
each page go to test-output/screenshots/ (exchange-*.png).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import Select, WebDriverWait

from kb.catalog import Catalog
from kb.settings import Settings
from tests.web.browser import live_server, make_driver, missing_browser, screenshot, wait_for
from tests.web.conftest import SCREENSHOTS, copy_kb

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(missing_browser() is not None, reason=str(missing_browser())),
]

DOC_ID = "haryana-water-kiosks"
FIRST = (
    "# Water kiosks in Haryana villages\n\n## What was done\n\n"
    "Gram panchayats run solar water kiosks that fill jerrycans for families who tap a ration card.\n"
)
SECOND = FIRST + "\n## Results\n\nThree hundred villages draw clean water within five hundred metres.\n"
QUESTION = "Who maintains the solar kiosks after the first year?"
ANSWER = "The panchayat's water committee, paid from a user fee of one rupee a jerrycan."


@pytest.fixture(scope="module")
def exchange_site(
    web_kb_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, dict[str, str]]]:
    kb_dir, _ = copy_kb(web_kb_template, tmp_path_factory.mktemp("exchange-browser"))
    with Catalog(Settings(kb_dir=kb_dir).catalog_path) as catalog:
        keys = {
            "owner": catalog.create_key(role="contributor", states=["Haryana"], label="PHED Haryana")[1],
            "curator": catalog.create_key(role="curator", states=["Haryana"], label="DITECH curator")[1],
            "punjab_curator": catalog.create_key(role="curator", states=["Punjab"], label="Punjab curator")[1],
            "kerala": catalog.create_key(role="contributor", states=["Kerala"], label="KSITM")[1],
        }
    with live_server(kb_dir) as base_url:
        yield base_url, keys


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[webdriver.Chrome]:
    chrome = make_driver(tmp_path_factory.mktemp("exchange-profile"), tmp_path_factory.mktemp("exchange-downloads"))
    yield chrome
    chrome.quit()


def type_into(element: WebElement, text: str) -> None:
    """Replace what a field holds (key fields may be filled from the tab's sessionStorage)."""
    element.clear()
    element.send_keys(text)


def key_in(driver: webdriver.Chrome, css: str, key: str, button: str) -> None:
    """Type a key in the form at ``css`` and press the button whose text starts with ``button``."""
    form = wait_for(driver, css)
    type_into(form.find_element(By.CSS_SELECTOR, "input[name=key]"), key)
    form.find_element(By.XPATH, f".//button[starts-with(normalize-space(.), '{button}')]").click()


def contribute(driver: webdriver.Chrome, base: str, upload: Path, key: str) -> None:
    """Send ``upload`` through /contribute (the id is in the address: the form fills it in)."""
    driver.get(f"{base}/contribute?id={DOC_ID}")
    form = wait_for(driver, "form.contribute")
    assert driver.find_element(By.ID, "f-id").get_attribute("value") == DOC_ID
    Select(driver.find_element(By.ID, "f-type")).select_by_value("case_study")
    Select(driver.find_element(By.ID, "f-sector")).select_by_value("water")
    driver.find_element(By.CSS_SELECTOR, "input[name=states][value=Haryana]").click()
    driver.find_element(By.ID, "f-file").send_keys(str(upload))
    type_into(driver.find_element(By.ID, "f-key"), key)
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    # the page replaces its status element while the job runs: a read of the old one is retried
    WebDriverWait(driver, 120, poll_frequency=0.3, ignored_exceptions=[StaleElementReferenceException]).until(
        lambda d: "Sent for review" in d.find_element(By.CSS_SELECTOR, "[role=status]").text
    )


def status_text(driver: webdriver.Chrome) -> str:
    return wait_for(driver, "[role=status], [role=alert]").text


def test_review_adopt_and_answer_in_the_browser(
    browser: webdriver.Chrome, exchange_site: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    driver = browser
    base, keys = exchange_site
    first, second = tmp_path / "v1" / f"{DOC_ID}.md", tmp_path / "v2" / f"{DOC_ID}.md"
    for path, text in ((first, FIRST), (second, SECOND)):
        path.parent.mkdir()
        path.write_text(text, encoding="utf-8")

    # 1. a Haryana contributor without the publish right uploads: it waits for a curator
    contribute(driver, base, first, keys["owner"])
    screenshot(driver, SCREENSHOTS, "exchange-01-sent-for-review")

    # 2. the Haryana curator sees it in the queue; a Punjab curator typing their key in it is refused
    driver.get(base + "/review")
    key_in(driver, "form.keyed", keys["curator"], "Show my review queue")
    item = wait_for(driver, "ol.queue li.submission")
    assert "Water kiosks in Haryana villages" in item.text and "PHED Haryana" in item.text
    screenshot(driver, SCREENSHOTS, "exchange-02-review-queue")
    key_in(driver, "form.review-actions", keys["punjab_curator"], "Approve")
    assert "only a curator of haryana" in status_text(driver).lower()

    # 3. the Haryana curator sends it back with a note (the key comes back from sessionStorage)
    driver.get(base + "/review")
    key_in(driver, "form.keyed", keys["curator"], "Show my review queue")
    form = wait_for(driver, "form.review-actions")
    form.find_element(By.CSS_SELECTOR, "textarea[name=note]").send_keys("Add a Results section with numbers.")
    form.find_element(By.CSS_SELECTOR, "button[value=request_changes]").click()
    assert "Changes requested" in status_text(driver)

    # 4. the owner reads the note under My submissions and sends a new version from its link
    driver.get(base + "/submissions")
    key_in(driver, "form.keyed", keys["owner"], "Show my submissions")
    row = wait_for(driver, "tr[data-status=changes_requested]")
    assert "Add a Results section with numbers." in row.text
    screenshot(driver, SCREENSHOTS, "exchange-03-my-submissions")
    link = row.find_element(By.LINK_TEXT, "Send a new version")
    assert str(link.get_attribute("href") or "").endswith(f"?id={DOC_ID}")
    contribute(driver, base, second, keys["owner"])

    # 5. the curator reads the new text and approves it; it is published and found by search
    driver.get(base + "/review")
    key_in(driver, "form.keyed", keys["curator"], "Show my review queue")
    wait_for(driver, "form.review-actions button[data-action=read]").click()
    assert "Three hundred villages" in wait_for(driver, "article.preview").text
    screenshot(driver, SCREENSHOTS, "exchange-04-submission")
    prefilled = driver.find_element(By.CSS_SELECTOR, "form.review-actions input[name=key]")
    assert prefilled.get_attribute("value") == keys["curator"]  # app.js, from this tab's sessionStorage
    driver.find_element(By.CSS_SELECTOR, "form.review-actions button[value=approve]").click()
    assert "Approved" in status_text(driver)
    deadline = time.monotonic() + 120
    while True:
        driver.get(base + "/?q=solar+water+kiosks+for+villages")
        found = [a.get_attribute("href") or "" for a in driver.find_elements(By.CSS_SELECTOR, ".r-title a")]
        if any(f"/documents/{DOC_ID}" in href for href in found):
            break
        assert time.monotonic() < deadline, "the approved document never appeared in search"
        time.sleep(0.5)

    # 6. Kerala records that it is piloting the practice; "Adopted by" shows it, without the contact
    driver.get(f"{base}/documents/{DOC_ID}")
    assert "No other state" in wait_for(driver, "#adopted-by").text
    driver.find_element(By.CSS_SELECTOR, "summary h3#adopt-h").click()
    Select(driver.find_element(By.ID, "a-state")).select_by_visible_text("Kerala")
    Select(driver.find_element(By.ID, "a-status")).select_by_value("piloting")
    driver.find_element(By.ID, "a-contact").send_keys("kiosks@ksitm.example.in")
    type_into(driver.find_element(By.ID, "a-key"), keys["kerala"])
    driver.find_element(By.CSS_SELECTOR, "form.adopt button[type=submit]").click()
    assert "Kerala: Piloting" in status_text(driver)
    driver.find_element(By.LINK_TEXT, "Back to the practice").click()
    adopted = wait_for(driver, "#adopted-by li[data-state=Kerala]")
    assert "Piloting since" in adopted.text
    assert "kiosks@ksitm.example.in" not in driver.page_source
    screenshot(driver, SCREENSHOTS, "exchange-05-adopted-by")

    # 7. Kerala asks Haryana a question from the document page
    driver.find_element(By.CSS_SELECTOR, "summary h3#ask-h").click()
    driver.find_element(By.ID, "q-message").send_keys(QUESTION)
    assert driver.find_element(By.ID, "q-key").get_attribute("value") == keys["kerala"]  # remembered
    driver.find_element(By.CSS_SELECTOR, "form.ask button[type=submit]").click()
    assert "sent to Haryana" in status_text(driver)

    # 8. the owner state answers in its inbox; the asker reads the answer in theirs
    driver.get(base + "/inbox")
    key_in(driver, "form.keyed", keys["owner"], "Show my inbox")
    thread = wait_for(driver, "li.thread[data-status=open]")
    assert QUESTION in thread.text
    thread.find_element(By.CSS_SELECTOR, "textarea[name=body]").send_keys(ANSWER)
    thread.find_element(By.CSS_SELECTOR, "button[value=answer]").click()
    assert "Your answer was sent" in status_text(driver)
    screenshot(driver, SCREENSHOTS, "exchange-06-inbox-answered")
    driver.get(base + "/inbox")
    key_in(driver, "form.keyed", keys["kerala"], "Show my inbox")
    ours = wait_for(driver, "li.thread[data-status=answered]")
    assert QUESTION in ours.text and ANSWER in ours.text
