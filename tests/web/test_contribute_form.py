"""The contribute form through TestClient: errors next to their fields, a queued upload followed to
its document, front matter filling the form, failures and oversized files shown as pages."""

from __future__ import annotations

import time
from pathlib import Path

from bs4 import BeautifulSoup
from fastapi.testclient import TestClient

from tests.conftest import FIXTURES
from tests.web.pages import (
    HTML,
    NOTE,
    assert_accessible_basics,
    field_error,
    follow,
    form_fields,
    result_ids,
    soup,
    text,
)


def test_contribute_form_shows_errors_next_to_fields(web: TestClient, web_keys: dict[str, str]) -> None:
    page = soup(web, "/contribute")
    assert_accessible_basics(page)
    form = page.select_one("form.contribute")
    assert form is not None and form["enctype"] == "multipart/form-data" and form["method"] == "post"
    assert page.select_one("input[type=password][name=key]") is not None

    response = web.post(
        "/contribute",
        data=form_fields(year="20x2", source_url="ftp://x", key="kbk_wrong", title="A title"),
        files={"file": ("permits.md", NOTE, "text/markdown")},
        headers=HTML,
    )
    assert response.status_code == 422
    page = BeautifulSoup(response.text, "html.parser")
    assert_accessible_basics(page)
    assert "not valid" in field_error(page, "key")
    assert "not a year" in field_error(page, "year")
    assert "https://" in field_error(page, "source_url")
    assert "Choose the type" in field_error(page, "type")
    assert "Choose the sector" in field_error(page, "sector")
    summary = page.select_one("#error-summary")
    assert summary is not None and len(summary.select("li a")) == 5
    assert page.select_one("#f-title")["value"] == "A title"  # what was typed is kept ...
    assert web_keys["haryana"] not in response.text and "kbk_wrong" not in response.text  # ... but never the key

    no_file = web.post("/contribute", data=form_fields(key=web_keys["haryana"]), headers=HTML)
    assert "Choose the file" in field_error(BeautifulSoup(no_file.text, "html.parser"), "file")

    wrong_state = _post_case_study(web, key=web_keys["jk"])
    assert "only for Jammu and Kashmir" in field_error(wrong_state, "states")

    taken = _post_case_study(web, key=web_keys["haryana"], id="haryana-cm-window")
    assert "already exists" in field_error(taken, "id")

    mismatch = _post_case_study(web, key=web_keys["haryana"], file=("permits.pdf", NOTE, "application/pdf"))
    assert field_error(mismatch, "file")


def _post_case_study(
    web: TestClient, *, file: tuple[str, bytes, str] = ("permits.md", NOTE, "text/markdown"), **fields: object
) -> BeautifulSoup:
    """The form page the server answers to an urban-development case study for Haryana with ``fields``."""
    response = web.post(
        "/contribute",
        data={**form_fields(type="case_study", sector="urban_development", **fields), "states": ["Haryana"]},
        files={"file": file},
        headers=HTML,
    )
    return BeautifulSoup(response.text, "html.parser")


def test_contribute_then_follow_the_job_and_find_the_document(web: TestClient, web_keys: dict[str, str]) -> None:
    response = web.post(
        "/contribute",
        data={
            **form_fields(key=web_keys["haryana"], type="case_study", sector="urban_development", year="2023"),
            "states": ["Haryana"],
            "tags": "permits, single window",
        },
        files={"file": ("building-permits.md", NOTE, "text/markdown")},
        headers=HTML,
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text[:2000]
    job_url = response.headers["location"]
    assert job_url.startswith("/contribute/jobs/")
    deadline = time.monotonic() + 120
    while True:
        page = soup(web, job_url)
        refresh = page.select_one("meta[http-equiv=refresh]")
        status = page.select_one("[role=status]")
        if refresh is None:
            break
        assert "refreshes itself" in text(status)
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert "now searchable" in text(status), text(status)
    link = page.select_one("a.button[href='/documents/building-permits']")
    assert link is not None
    document = soup(web, "/documents/building-permits")
    assert "Urban development" in text(document.select_one("dl.facts"))
    found = soup(web, "/?q=how+do+architects+get+a+building+permit+quickly")
    assert result_ids(found)[0] == "building-permits"


def test_front_matter_fills_the_form_and_failures_are_shown(web: TestClient, web_keys: dict[str, str]) -> None:
    with_front_matter = (
        b"---\ntitle: Mobile ration cards\ntype: case_study\nsector: food_security\n"
        b"states: [Haryana]\nyear: 2022\n---\n"
        b"# Mobile ration cards\n\nRation cards are issued on the phone and shown at the fair price shop.\n"
    )
    accepted = web.post(
        "/contribute",
        data=form_fields(key=web_keys["haryana"]),
        files={"file": ("mobile-ration-cards.md", with_front_matter, "text/markdown")},
        headers=HTML,
        follow_redirects=False,
    )
    assert accepted.status_code == 303, accepted.text[:2000]
    done = follow(web, accepted.headers["location"])
    assert "now searchable" in text(done.select_one("[role=status]"))
    assert done.select_one("a.button[href='/documents/mobile-ration-cards']") is not None

    scanned = (FIXTURES / "bad" / "no-text.pdf").read_bytes()  # no text to index, even by OCR
    queued = web.post(
        "/contribute",
        data={
            **form_fields(key=web_keys["haryana"], type="report", sector="other", title="Scanned"),
            "states": ["Haryana"],
        },
        files={"file": ("scanned.pdf", scanned, "application/pdf")},
        headers=HTML,
        follow_redirects=False,
    )
    assert queued.status_code == 303, queued.text[:2000]
    failed = follow(web, queued.headers["location"])
    status = text(failed.select_one("[role=status]"))
    assert "could not be added" in status and len(status) > 40  # the reason is shown
    assert failed.select_one("a[href='/contribute']") is not None


def test_an_oversized_upload_on_the_form_gets_an_html_page(tmp_path: Path) -> None:
    from kb.settings import Settings
    from search.api import create_app

    with TestClient(create_app(Settings(kb_dir=tmp_path / "kb", max_upload_bytes=10_000))) as small:
        response = small.post(
            "/contribute",
            data=form_fields(key="kbk_x"),
            files={"file": ("big.txt", b"a" * 600_000, "text/plain")},
            headers=HTML,
        )
        assert response.status_code == 413
        assert response.headers["content-type"].startswith("text/html")
        assert "File too large" in response.text
        api = small.post("/v1/documents", files={"file": ("big.txt", b"a" * 600_000)})
        assert api.status_code == 413 and api.headers["content-type"] == "application/problem+json"
