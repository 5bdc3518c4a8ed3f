"""The contribute form and job page under attack: bombs, wrong kinds of file, taken ids, guessed keys,
and job pages of a KB that needs a key for reading."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient

from kb.settings import Settings
from search.api import create_app
from tests.api.conftest import bearer
from tests.kb.test_metadata import BOMB
from tests.web.conftest import copy_kb
from tests.web.pages import HTML, NOTE, field_error, form_fields

FILLED = {"type": "case_study", "sector": "urban_development", "states": ["Haryana"]}


@pytest.fixture(scope="module")
def guarded(web_kb_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, dict]]:
    """An app of its own: these tests withdraw documents and exhaust the failed-key allowance."""
    kb_dir, keys = copy_kb(web_kb_template, tmp_path_factory.mktemp("guarded"))
    with TestClient(create_app(Settings(kb_dir=kb_dir, auth_failures_per_minute=3))) as client:
        yield client, keys


def _contribute(client: TestClient, key: str, name: str, data: bytes, **values: object):  # type: ignore[no-untyped-def]
    return client.post(
        "/contribute",
        data={**form_fields(key=key, **{k: v for k, v in values.items() if k != "states"}), **FILLED, **values},
        files={"file": (name, data, "application/octet-stream")},
        headers=HTML,
        follow_redirects=False,
    )


def _page(response) -> BeautifulSoup:  # type: ignore[no-untyped-def]
    return BeautifulSoup(response.text, "html.parser")


def test_bombs_and_unsupported_files_are_shown_on_the_file_field(guarded: tuple[TestClient, dict]) -> None:
    client, keys = guarded
    bombed = _contribute(client, keys["haryana"], "bomb.md", f"---\n{BOMB}---\n# Bomb\n".encode())
    assert bombed.status_code == 422
    assert "anchors/aliases" in field_error(_page(bombed), "file")
    for name in ("setup.exe", "logo.svg"):
        refused = _contribute(client, keys["haryana"], name, b"<svg onload='alert(1)'/>")
        assert refused.status_code == 422
        message = field_error(_page(refused), "file")
        assert name in message and "Markdown" in message and "PDF" in message


def test_several_invalid_front_matter_fields_are_shown_at_once(guarded: tuple[TestClient, dict]) -> None:
    client, keys = guarded
    front = b"---\nyear: 20x2\nsource_url: www.example.org\nlanguage: english\n---\n# Permits\n\nText.\n"
    response = _contribute(client, keys["haryana"], "permits.md", front)
    assert response.status_code == 422
    page = _page(response)
    assert "not a year" in field_error(page, "year")
    assert "https://" in field_error(page, "source_url")
    assert "two letters" in field_error(page, "language")


def test_a_withdrawn_document_of_another_state_cannot_be_taken_over(guarded: tuple[TestClient, dict]) -> None:
    client, keys = guarded
    assert client.delete("/v1/documents/haryana-cm-window", headers=bearer(keys["admin"])).status_code == 200
    takeover = _contribute(client, keys["jk"], "window.md", NOTE, id="haryana-cm-window", states=["Jammu and Kashmir"])
    assert takeover.status_code == 422
    assert "withdrawn document of another contributor" in field_error(_page(takeover), "id")


def test_job_pages_need_the_key_when_reading_does(
    guarded: tuple[TestClient, dict], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, keys = guarded
    accepted = _contribute(client, keys["haryana"], "market-yards.md", NOTE, id="haryana-market-yards")
    assert accepted.status_code == 303, accepted.text[:1000]
    job_url = accepted.headers["location"]
    monkeypatch.setattr(client.app.state.settings, "require_key_for_read", True)  # type: ignore[attr-defined]

    for url in (job_url, "/contribute/jobs/0123456789abcdef"):  # known or not, the id alone says nothing
        closed = client.get(url, headers=HTML)
        assert closed.status_code == 401
        assert "market-yards" not in closed.text and _page(closed).select_one("[role=status]") is None
        assert _page(closed).select_one(f"form[method=post][action='{url}'] input[type=password][name=key]")

    assert client.post(job_url, data={"key": keys["jk"]}, headers=HTML).status_code == 404  # not its job
    wrong = client.post(job_url, data={"key": "kbk_wrong"}, headers=HTML)
    assert wrong.status_code == 401 and "not valid" in field_error(_page(wrong), "key")
    deadline = time.monotonic() + 120
    while True:
        shown = client.post(job_url, data={"key": keys["haryana"]}, headers=HTML)
        assert shown.status_code == 200 and keys["haryana"] not in shown.text
        page = _page(shown)
        assert page.select_one("meta[http-equiv=refresh]") is None  # it could not carry the key
        status = " ".join(page.select_one("[role=status]").get_text(" ").split())  # type: ignore[union-attr]
        if "now searchable" in status:
            break
        assert page.select_one("form.job-key button") is not None  # "Check again" with the key
        assert time.monotonic() < deadline
        time.sleep(0.3)
    assert client.post(job_url, data={"key": keys["admin"]}, headers=HTML).status_code == 200


def test_guessing_keys_on_the_form_is_rate_limited(guarded: tuple[TestClient, dict]) -> None:
    client, keys = guarded
    guessing = TestClient(client.app, client=("10.1.2.3", 4000))
    for _ in range(3):
        assert _contribute(guessing, "kbk_guess", "note.md", NOTE).status_code == 422
    limited = _contribute(guessing, "kbk_guess", "note.md", NOTE)
    assert limited.status_code == 429 and limited.headers["content-type"].startswith("text/html")
    assert "Too many requests with a wrong API key" in field_error(_page(limited), "key")
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert _contribute(guessing, keys["haryana"], "note.md", NOTE).status_code == 429  # refused before checking
    assert guessing.get("/v1/jobs/x", headers=bearer(keys["haryana"])).status_code == 429  # the API shares it
    assert _contribute(client, "kbk_guess", "note.md", NOTE).status_code == 422  # other addresses are not limited
