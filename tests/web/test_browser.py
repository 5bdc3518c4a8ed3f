"""The web UI in a real browser (Debian's headless Chromium), as an official would use it.

Desktop (1366x900) and phone (390x844) widths; with and without JavaScript. Every page visited is
saved as a full-page screenshot under test-output/screenshots/ for people to look at.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.conftest import FIXTURES
from tests.web.browser import (
    DESKTOP,
    PHONE,
    live_server,
    make_driver,
    missing_browser,
    no_horizontal_scroll,
    screenshot,
    set_viewport,
    wait_for,
    wait_for_file,
)
from tests.web.conftest import SCREENSHOTS, copy_kb

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(missing_browser() is not None, reason=str(missing_browser())),
]

VAGUE = "citizens complain to the chief minister's office and the complaint is followed until solved"
NEW_DOC = (
    "# Drinking water ATMs in villages\n\n"
    "## What was done\n\n"
    "Village panchayats run water ATMs that dispense purified drinking water to families who tap a smart card.\n\n"
    "## Results\n\n"
    "Two hundred villages have safe drinking water within walking distance.\n"
)


@pytest.fixture(scope="module")
def server(web_kb_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    kb_dir, keys = copy_kb(web_kb_template, tmp_path_factory.mktemp("browser-kb"))
    with live_server(kb_dir) as base_url:
        yield base_url, keys


@pytest.fixture(scope="module")
def downloads(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory, downloads: Path) -> Iterator[webdriver.Chrome]:
    chrome = make_driver(tmp_path_factory.mktemp("chromium-profile"), downloads)
    yield chrome
    chrome.quit()


def result_ids(driver: webdriver.Chrome) -> list[str]:
    links = driver.find_elements(By.CSS_SELECTOR, "ol.results > li.result .r-title a")
    return [re.sub(r"^.*/documents/([^#?]+).*$", r"\1", str(a.get_attribute("href"))) for a in links]


def query_of(driver: webdriver.Chrome) -> dict[str, list[str]]:
    return parse_qs(urlparse(driver.current_url).query)


def test_find_a_practice_from_a_vague_description(driver: webdriver.Chrome, server: tuple[str, dict[str, str]]) -> None:
    base, _ = server
    set_viewport(driver, DESKTOP)
    driver.get(base + "/")
    wait_for(driver, "h1")
    assert driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
    screenshot(driver, SCREENSHOTS, "01-landing-desktop")
    # keyboard: the first Tab reaches the skip link, which moves focus to the main content
    driver.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
    assert driver.switch_to.active_element.get_attribute("class") == "skip"
    driver.switch_to.active_element.send_keys(Keys.ENTER)
    assert driver.switch_to.active_element.get_attribute("id") == "main"

    box = driver.find_element(By.ID, "q")
    box.send_keys(VAGUE, Keys.ENTER)
    wait_for(driver, "ol.results")
    assert query_of(driver)["q"] == [VAGUE]  # a bookmarkable GET URL
    assert result_ids(driver)[0] == "haryana-cm-window"
    assert driver.find_elements(By.CSS_SELECTOR, "li.result p.snippet mark")
    screenshot(driver, SCREENSHOTS, "02-search-desktop")


def test_narrow_by_state(driver: webdriver.Chrome, server: tuple[str, dict[str, str]]) -> None:
    before = driver.current_url
    haryana = driver.find_element(By.CSS_SELECTOR, "input[name=state][value=Haryana]")
    driver.find_element(By.CSS_SELECTOR, f"label[for='{haryana.get_attribute('id')}']").click()  # JS submits
    WebDriverWait(driver, 30).until(lambda d: d.current_url != before and "state=Haryana" in d.current_url)
    wait_for(driver, "ol.results")
    metas = [m.text for m in driver.find_elements(By.CSS_SELECTOR, "li.result .meta")]
    assert metas and all("Haryana" in m for m in metas)
    assert result_ids(driver)[0] == "haryana-cm-window"
    chips = [c.text for c in driver.find_elements(By.CSS_SELECTOR, ".chips a")]
    assert any(c.startswith("Haryana") for c in chips)
    screenshot(driver, SCREENSHOTS, "03-filtered-by-state-desktop")


def test_read_the_document_and_download_the_original(
    driver: webdriver.Chrome, server: tuple[str, dict[str, str]], downloads: Path
) -> None:
    driver.find_element(By.CSS_SELECTOR, "li.result .r-title a").click()
    title = wait_for(driver, "h1.doc-title")
    assert title.text == "CM Window grievance redressal"
    outline = [a.text for a in driver.find_elements(By.CSS_SELECTOR, "nav.toc a")]
    assert outline == ["BACKGROUND", "HOW IT WORKS", "Results"]
    assert driver.find_elements(By.CSS_SELECTOR, "#similar-h ~ ol li.result")
    screenshot(driver, SCREENSHOTS, "04-document-desktop")

    driver.find_element(By.CSS_SELECTOR, "a.button[download]").click()
    saved = wait_for_file(downloads, "cm-window-note.txt")
    assert saved.read_bytes() == (FIXTURES / "good" / "cm-window-note.txt").read_bytes()


def test_browse_by_state_then_list_its_documents(driver: webdriver.Chrome, server: tuple[str, dict[str, str]]) -> None:
    base, _ = server
    driver.get(base + "/browse")
    wait_for(driver, "#by-state-h")
    screenshot(driver, SCREENSHOTS, "05a-browse-desktop")
    driver.find_element(By.LINK_TEXT, "Kerala").click()
    wait_for(driver, "ol.results")
    assert query_of(driver) == {"state": ["Kerala"]}
    assert set(result_ids(driver)) == {"kerala-flood-alerts", "kerala-karnataka-egov-mou"}
    screenshot(driver, SCREENSHOTS, "05b-state-listing-desktop")


def _platform_fonts(driver: webdriver.Chrome, css: str) -> list[dict[str, object]]:
    """Which installed fonts Chromium actually used to draw the text of ``css`` (no tofu boxes)."""
    driver.execute_cdp_cmd("DOM.enable", {})
    driver.execute_cdp_cmd("CSS.enable", {})
    root = driver.execute_cdp_cmd("DOM.getDocument", {})["root"]["nodeId"]
    node = driver.execute_cdp_cmd("DOM.querySelector", {"nodeId": root, "selector": css})["nodeId"]
    fonts: list[dict[str, object]] = driver.execute_cdp_cmd("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    return fonts


def test_hindi_document_renders_devanagari(driver: webdriver.Chrome, server: tuple[str, dict[str, str]]) -> None:
    base, _ = server
    driver.get(base + "/documents/haryana-e-office-hindi")
    title = wait_for(driver, "h1.doc-title")
    assert title.get_attribute("lang") == "hi" and "ई-ऑफिस" in title.text
    fonts = _platform_fonts(driver, "h1.doc-title")
    assert any("Devanagari" in str(f["familyName"]) for f in fonts), fonts
    screenshot(driver, SCREENSHOTS, "05-hindi-document-desktop")


def test_contribute_with_a_key_and_find_the_new_document(
    driver: webdriver.Chrome, server: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    base, keys = server
    upload = tmp_path / "haryana-water-atms.md"
    upload.write_text(NEW_DOC, encoding="utf-8")

    def fill(key: str) -> None:
        driver.find_element(By.ID, "f-file").send_keys(str(upload))
        driver.find_element(By.ID, "f-key").send_keys(key)

    driver.get(base + "/contribute")
    wait_for(driver, "form.contribute")
    Select(driver.find_element(By.ID, "f-type")).select_by_value("case_study")
    Select(driver.find_element(By.ID, "f-sector")).select_by_value("water")
    driver.find_element(By.CSS_SELECTOR, "input[name=states][value=Haryana]").click()
    driver.find_element(By.ID, "f-year").send_keys("2023")
    driver.find_element(By.ID, "f-tags").send_keys("drinking water, smart card")
    screenshot(driver, SCREENSHOTS, "06-contribute-desktop")
    fill("kbk_not_a_real_key")
    driver.find_element(By.CSS_SELECTOR, "form.contribute button[type=submit]").click()
    summary = wait_for(driver, "#error-summary")
    assert driver.switch_to.active_element == summary  # the summary takes focus
    assert "not valid" in driver.find_element(By.ID, "f-key-error").text
    assert driver.find_element(By.CSS_SELECTOR, "input[name=states][value=Haryana]").is_selected()  # kept
    screenshot(driver, SCREENSHOTS, "07-contribute-errors-desktop")

    fill(keys["haryana"])
    driver.find_element(By.CSS_SELECTOR, "form.contribute button[type=submit]").click()
    WebDriverWait(driver, 30).until(lambda d: "/contribute/jobs/" in d.current_url)
    # the job page refreshes itself (meta refresh) until the document is searchable
    WebDriverWait(driver, 120, poll_frequency=0.3, ignored_exceptions=[StaleElementReferenceException]).until(
        lambda d: "now searchable" in d.find_element(By.CSS_SELECTOR, "[role=status]").text
    )  # a refresh can replace the status element between finding it and reading it
    screenshot(driver, SCREENSHOTS, "08-contribution-done-desktop")
    driver.find_element(By.CSS_SELECTOR, "a.button[href='/documents/haryana-water-atms']").click()
    assert wait_for(driver, "h1.doc-title").text == "Drinking water ATMs in villages"

    driver.get(base + "/")
    driver.find_element(By.ID, "q").send_keys("villagers get clean water from a machine using a card", Keys.ENTER)
    wait_for(driver, "ol.results")
    assert result_ids(driver)[0] == "haryana-water-atms"
    screenshot(driver, SCREENSHOTS, "09-contribution-found-desktop")


def test_phone_width(driver: webdriver.Chrome, server: tuple[str, dict[str, str]]) -> None:
    base, _ = server
    set_viewport(driver, PHONE)
    pages = [
        ("10-landing-phone", "/"),
        ("11-search-phone", "/?q=farmers+get+land+records+at+a+kiosk&state=Karnataka"),
        ("12-document-phone", "/documents/jk-back-to-village"),
        ("13-hindi-document-phone", "/documents/haryana-e-office-hindi"),
        ("14-browse-phone", "/browse"),
        ("15-contribute-phone", "/contribute"),
    ]
    for name, path in pages:
        driver.get(base + path)
        wait_for(driver, "h1")
        assert driver.execute_script("return window.innerWidth") == PHONE[0]
        assert no_horizontal_scroll(driver), f"{path} scrolls sideways at {PHONE[0]}px"
        if path.startswith("/?"):
            assert result_ids(driver)[0] == "karnataka-bhoomi"
            panel = driver.find_element(By.ID, "filter-panel")
            assert panel.get_attribute("open") is None  # folded so results come first
        screenshot(driver, SCREENSHOTS, name)
    set_viewport(driver, DESKTOP)


def test_phone_document_page_starts_with_the_text(driver: webdriver.Chrome, server: tuple[str, dict[str, str]]) -> None:
    """On a phone the opening of the document is on the first screen; what it is about comes after."""
    base, _ = server
    set_viewport(driver, PHONE)
    try:
        driver.get(base + "/documents/jk-back-to-village")
        opening = wait_for(driver, "article.doc-text p")
        facts = driver.find_element(By.CSS_SELECTOR, "dl.facts")
        assert "panchayat" in opening.text
        assert opening.location["y"] < PHONE[1] - 100, opening.location  # on the first screen
        assert opening.location["y"] < facts.location["y"], (opening.location, facts.location)
        screenshot(driver, SCREENSHOTS, "12b-document-text-first-phone")
        set_viewport(driver, DESKTOP)  # a wide screen keeps the facts in the side column
        driver.get(base + "/documents/jk-back-to-village")
        opening = wait_for(driver, "article.doc-text p")
        facts = driver.find_element(By.CSS_SELECTOR, "dl.facts")
        assert facts.location["x"] < opening.location["x"]
    finally:
        set_viewport(driver, DESKTOP)


def test_printable_page_is_styled_by_its_own_stylesheet(
    driver: webdriver.Chrome, server: tuple[str, dict[str, str]]
) -> None:
    """The inline stylesheet is allowed by the page's policy (its hash), so the page is laid out."""
    base, _ = server
    driver.get(base + "/documents/jk-back-to-village/print")
    assert wait_for(driver, "h1").text == "Back to Village outreach in Jammu and Kashmir"
    assert driver.execute_script("return getComputedStyle(document.body).maxWidth") != "none"
    assert driver.execute_script("return getComputedStyle(document.querySelector('dl.facts')).display") == "grid"
    screenshot(driver, SCREENSHOTS, "12c-printable-page-desktop")


def test_search_filter_and_read_without_javascript(
    server: tuple[str, dict[str, str]], tmp_path_factory: pytest.TempPathFactory
) -> None:
    base, _ = server
    profile, downloads = tmp_path_factory.mktemp("nojs-profile"), tmp_path_factory.mktemp("nojs-downloads")
    chrome = make_driver(profile, downloads, javascript=False)
    try:
        set_viewport(chrome, DESKTOP)
        chrome.get(base + "/")
        chrome.find_element(By.ID, "q").send_keys("minimum security controls for department websites", Keys.ENTER)
        wait_for(chrome, "ol.results")
        assert result_ids(chrome)[0] == "odisha-cyber-guideline"
        assert "js" not in (chrome.find_element(By.TAG_NAME, "html").get_attribute("class") or "")
        apply = chrome.find_element(By.CSS_SELECTOR, "button.apply")
        assert apply.is_displayed()
        chrome.find_element(By.CSS_SELECTOR, "input[name=state][value=Odisha]").click()
        time.sleep(0.3)
        assert "state=Odisha" not in chrome.current_url  # nothing happens by itself without JS ...
        apply.click()  # ... until the official applies the filters
        WebDriverWait(chrome, 30).until(lambda d: "state=Odisha" in d.current_url)
        assert query_of(chrome)["q"] == ["minimum security controls for department websites"]
        assert result_ids(chrome)[0] == "odisha-cyber-guideline"
        assert all("Odisha" in m.text for m in chrome.find_elements(By.CSS_SELECTOR, "li.result .meta"))
        screenshot(chrome, SCREENSHOTS, "16-filtered-no-javascript")
        chrome.find_element(By.CSS_SELECTOR, "li.result .r-title a").click()
        assert wait_for(chrome, "h1.doc-title").text == "Cyber security guideline for State departments"
        screenshot(chrome, SCREENSHOTS, "17-document-no-javascript")
    finally:
        chrome.quit()


def test_hindi_interface_switch_search_and_document(
    server: tuple[str, dict[str, str]], tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The language switch in the real browser (issue 15): Hindi labels drawn in a Devanagari font,
    English content marked lang="en", the choice remembered by the cookie and switched back."""
    base, _ = server
    profile, downloads = tmp_path_factory.mktemp("hindi-profile"), tmp_path_factory.mktemp("hindi-downloads")
    chrome = make_driver(profile, downloads)  # its own profile: the language cookie stays in it
    try:
        set_viewport(chrome, DESKTOP)
        chrome.get(base + "/?state=Haryana")
        wait_for(chrome, "ol.results")
        html = chrome.find_element(By.TAG_NAME, "html")
        assert html.get_attribute("lang") == "en"  # Chromium sends Accept-Language: en-IN
        chrome.find_element(By.CSS_SELECTOR, ".lang-switch a[lang=hi]").click()
        WebDriverWait(chrome, 30).until(lambda d: d.find_element(By.TAG_NAME, "html").get_attribute("lang") == "hi")
        assert query_of(chrome) == {"state": ["Haryana"], "lang": ["hi"]}
        assert chrome.find_element(By.CSS_SELECTOR, "header nav a").text == "खोजें"
        haryana = chrome.find_element(By.CSS_SELECTOR, "input[name=state][value=Haryana]")
        label = chrome.find_element(By.CSS_SELECTOR, f"label[for='{haryana.get_attribute('id')}']")
        assert label.is_displayed() and label.text.startswith("हरियाणा") and haryana.is_selected()
        assert any(m.text.startswith("केस स्टडी") for m in chrome.find_elements(By.CSS_SELECTOR, "li.result .badge"))
        fonts = _platform_fonts(chrome, ".filters legend")
        assert any("Devanagari" in str(f["familyName"]) for f in fonts), fonts
        screenshot(chrome, SCREENSHOTS, "18-hindi-search-desktop")

        chrome.find_element(By.CSS_SELECTOR, "li.result .r-title a[href*='/documents/haryana-cm-window']").click()
        title = wait_for(chrome, "h1.doc-title")
        assert title.text == "CM Window grievance redressal" and title.get_attribute("lang") == "en"
        assert chrome.find_element(By.TAG_NAME, "html").get_attribute("lang") == "hi"
        assert chrome.find_element(By.ID, "text-h").text == "पूरा पाठ"
        assert chrome.find_element(By.CSS_SELECTOR, "article.doc-text > div").get_attribute("lang") == "en"
        assert any(f.text == "हरियाणा" for f in chrome.find_elements(By.CSS_SELECTOR, "dl.facts a"))
        screenshot(chrome, SCREENSHOTS, "19-hindi-document-desktop")

        chrome.get(base + "/browse")  # no ?lang=: the cookie remembers Hindi
        assert wait_for(chrome, "h1").text == "मंच ब्राउज़ करें"
        chrome.find_element(By.CSS_SELECTOR, ".lang-switch a[lang=en]").click()
        WebDriverWait(chrome, 30).until(lambda d: d.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en")
        assert chrome.find_element(By.TAG_NAME, "h1").text == "Browse the exchange"
        chrome.get(base + "/browse")
        assert wait_for(chrome, "h1").text == "Browse the exchange"
    finally:
        chrome.quit()
