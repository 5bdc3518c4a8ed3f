"""Helpers for the browser tests: a live uvicorn server and Debian's headless Chromium via Selenium.

Only the system browser is used (``/usr/bin/chromium`` + ``/usr/bin/chromedriver`` from Debian's
``chromium`` and ``chromium-driver`` packages); nothing is downloaded. Screenshots are full pages,
taken through the DevTools protocol, and saved under ``test-output/screenshots``.
"""

from __future__ import annotations

import base64
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from kb.settings import Settings
from search.api import create_app
from tests.live import free_port

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
DESKTOP = (1366, 900)
PHONE = (390, 844)
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-extensions",
    "--lang=en-IN",
)


def missing_browser() -> str | None:
    """Why the browser tests cannot run here, or None."""
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not path.exists():
            return f"{path} is missing: apt-get install {package} (scripts/test does this)"
    return None


@contextmanager
def live_server(kb_dir: Path) -> Iterator[str]:
    """The real app on 127.0.0.1:<free port> in a thread; yields its base URL."""
    app = create_app(Settings(kb_dir=kb_dir))
    config = uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="web-test-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not (server.started and app.state.ready):
        assert thread.is_alive() and time.monotonic() < deadline, "the test server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{config.port}"
    finally:
        server.should_exit = True
        thread.join(30)


def make_driver(profile: Path, downloads: Path, *, javascript: bool = True) -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.add_argument(f"--window-size={DESKTOP[0]},{DESKTOP[1]}")
    prefs: dict[str, Any] = {
        "download.default_directory": str(downloads),
        "download.prompt_for_download": False,
        "plugins.always_open_pdf_externally": True,
    }
    if not javascript:
        prefs["profile.managed_default_content_settings.javascript"] = 2
    options.add_experimental_option("prefs", prefs)
    os.environ.setdefault("SE_OFFLINE", "true")  # never let Selenium Manager reach the network
    driver = webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    driver.set_page_load_timeout(60)
    return driver


def set_viewport(driver: webdriver.Chrome, size: tuple[int, int]) -> None:
    """Emulate a desktop window or a phone (mobile viewport, touch) of ``size`` CSS pixels."""
    width, height = size
    mobile = width < 600
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile},
    )


def screenshot(driver: webdriver.Chrome, folder: Path, name: str, *, max_height: int = 6000) -> Path:
    """A full-page PNG (not just the viewport), at most ``max_height`` pixels tall."""
    folder.mkdir(parents=True, exist_ok=True)
    metrics = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
    size = metrics.get("cssContentSize") or metrics["contentSize"]
    viewport = metrics.get("cssLayoutViewport") or metrics["layoutViewport"]
    width = max(int(viewport["clientWidth"]), 1)
    height = min(max(int(size["height"]), int(viewport["clientHeight"])), max_height)
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot",
        {
            "format": "png",
            "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1},
        },
    )
    path = folder / f"{name}.png"
    path.write_bytes(base64.b64decode(shot["data"]))
    return path


def wait_for(driver: webdriver.Chrome, css: str, timeout: float = 30) -> WebElement:
    return WebDriverWait(driver, timeout).until(lambda d: d.find_element(By.CSS_SELECTOR, css))


def wait_for_file(folder: Path, name: str, timeout: float = 30) -> Path:
    """A completed download (Chromium writes ``.crdownload`` until it is done)."""
    deadline = time.monotonic() + timeout
    target = folder / name
    while not target.exists() or any(folder.glob("*.crdownload")):
        assert time.monotonic() < deadline, f"no download of {name}: {list(folder.iterdir())}"
        time.sleep(0.1)
    return target


def no_horizontal_scroll(driver: webdriver.Chrome) -> bool:
    return bool(driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth + 1"))
