"""What the web page tests share: fetching a page as a browser does, reading it, filling the form."""

from __future__ import annotations

import itertools
import re
import time

from bs4 import BeautifulSoup, Tag
from fastapi.testclient import TestClient

HTML = {"accept": "text/html,application/xhtml+xml"}
VAGUE = "citizens complain to the chief minister and the complaint is followed until it is solved"


def soup(client: TestClient, url: str, status: int = 200) -> BeautifulSoup:
    response = client.get(url, headers=HTML)
    assert response.status_code == status, response.text[:2000]
    assert response.headers["content-type"].startswith("text/html")
    return BeautifulSoup(response.text, "html.parser")


def result_ids(page: BeautifulSoup) -> list[str]:
    links = [li.select_one(".r-title a") for li in page.select("ol.results > li.result")]
    return [re.sub(r"^/documents/([^#]+).*$", r"\1", str(a["href"])) for a in links if a is not None]


def text(node: Tag | None) -> str:
    assert node is not None
    return " ".join(node.get_text(" ").split())


def assert_accessible_basics(page: BeautifulSoup) -> None:
    """One h1, heading levels that never skip, a label for every control, lang on <html>."""
    html = page.find("html")
    assert isinstance(html, Tag) and html.get("lang") == "en"
    assert page.select_one("a.skip[href='#main']") and page.select_one("main#main")
    levels = [int(h.name[1]) for h in page.find_all(re.compile(r"^h[1-6]$"))]
    assert levels.count(1) == 1 and levels[0] == 1, levels
    for before, after in itertools.pairwise(levels):
        assert after <= before + 1, levels
    for control in page.select("input, select, textarea"):
        if control.get("type") in ("hidden", "submit"):
            continue
        labelled = control.get("aria-label") or page.select_one(f"label[for='{control.get('id')}']")
        assert labelled, f"no label for {control}"


def form_fields(**values: object) -> dict[str, object]:
    base: dict[str, object] = {
        "title": "",
        "type": "",
        "sector": "",
        "level": "",
        "year": "",
        "language": "",
        "tags": "",
        "source_url": "",
        "id": "",
        "key": "",
    }
    return {**base, **values}


NOTE = (
    b"# Single window for building permits\n\n"
    b"Architects file building plans online and receive the permit within thirty days.\n"
)


def field_error(page: BeautifulSoup, name: str) -> str:
    error = page.select_one(f"#f-{name}-error")
    assert error is not None, f"no error shown for {name}"
    control = page.select_one(f"#f-{name}")
    if name == "states":  # a group of checkboxes: the fieldset carries the description
        control = control.find_parent("fieldset") if control is not None else None
    assert control is not None and f"f-{name}-error" in str(control.get("aria-describedby", "")).split()
    return text(error)


def follow(web: TestClient, job_url: str) -> BeautifulSoup:
    deadline = time.monotonic() + 120
    while True:
        page = soup(web, job_url)
        if page.select_one("meta[http-equiv=refresh]") is None:
            return page
        assert time.monotonic() < deadline
        time.sleep(0.2)
