"""The exchange's web pages over the real app: the review queue and submissions, "My submissions",
the inbox, adoptions on a document's page and each state's ledger; each as anonymous, as the right
key and as a key of another state. Restricted and unpublished documents never show to the wrong key;
keys are never echoed back; every form field has a label and every page one h1."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Protocol

import pytest
from fastapi.testclient import TestClient

from kb.catalog import Catalog
from kb.settings import Settings
from search.api import create_app
from search.schemas import SearchResponse
from tests.api.conftest import bearer, wait_for_job
from tests.web.conftest import copy_kb

pytestmark = pytest.mark.slow

TOKEN = "quillometer"  # a word no other document has
SUBMISSION = (
    "---\nid: haryana-tehsil-queue\ntitle: Tehsil token queue\ntype: case_study\nstates: [Haryana]\n"
    f"sector: land_records\nyear: 2024\n---\n# Tehsil token queue\n\n## Summary\n\nTehsils issue {TOKEN} tokens.\n"
).encode()
SECRET = (
    b"---\nid: haryana-secret-mou\ntitle: Confidential draft MoU on fibre\ntype: mou\nstates: [Haryana]\n"
    b"sector: other\nyear: 2024\nvisibility: restricted\n---\n# Draft\n\nFibre sharing terms under negotiation.\n"
)
PRACTICE = "haryana-cm-window"


class Shown(Protocol):
    """A TestClient response, as far as these checks read it."""

    @property
    def text(self) -> str: ...
    @property
    def url(self) -> Any: ...


class Page(HTMLParser):
    """What the accessibility checks need of a page: h1s, labels and the form fields."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.h1 = 0
        self.labels: set[str] = set()
        self.fields: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "h1":
            self.h1 += 1
        elif tag == "label" and a.get("for"):
            self.labels.add(str(a["for"]))
        elif tag in ("input", "select", "textarea") and a.get("type") not in ("hidden", "submit", "search"):
            self.fields.append(str(a.get("id") or f"<{tag} name={a.get('name')} without id>"))


def accessible(response: Shown) -> str:
    """The page's HTML after checking one h1 and a label for every field."""
    html = response.text
    parsed = Page(html)
    assert parsed.h1 == 1, response.url
    unlabelled = [f for f in parsed.fields if f not in parsed.labels]
    assert not unlabelled, (response.url, unlabelled)
    return html


@pytest.fixture(scope="module")
def site(
    web_kb_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, dict[str, str]]]:
    kb_dir, base_keys = copy_kb(web_kb_template, tmp_path_factory.mktemp("exchange-pages"))
    with Catalog(Settings(kb_dir=kb_dir).catalog_path) as catalog:
        keys = {
            "admin": base_keys["admin"],
            "contributor": catalog.create_key(role="contributor", states=["Haryana"], label="tehsil desk")[1],
            "curator": catalog.create_key(role="curator", states=["Haryana"], label="DITECH curator")[1],
            "punjab_curator": catalog.create_key(role="curator", states=["Punjab"], label="Punjab curator")[1],
            "kerala": catalog.create_key(role="contributor", states=["Kerala"], label="KSITM")[1],
        }
    with TestClient(create_app(Settings(kb_dir=kb_dir))) as client:
        for key, name, data in ((keys["contributor"], "tehsil.md", SUBMISSION), (keys["admin"], "mou.md", SECRET)):
            sent = client.post("/v1/documents", headers=bearer(key), files={"file": (name, data, "text/markdown")})
            assert sent.status_code == 202, sent.text
            assert wait_for_job(client, sent.json(), bearer(key))["status"] == "done"
        yield client, keys


def no_key_in(html: str, keys: dict[str, str]) -> None:
    assert not any(k in html for k in keys.values()), "a key was echoed back into the page"


def test_review_queue_submission_and_decisions(site: tuple[TestClient, dict[str, str]]) -> None:
    client, keys = site
    assert "Your curator key" in accessible(client.get("/review"))
    wrong = client.post("/review", data={"key": "kbk_wrong"})
    assert wrong.status_code == 401 and "not valid" in wrong.text
    other = client.post("/review", data={"key": keys["punjab_curator"]})
    assert other.status_code == 200 and "Tehsil token queue" not in other.text and "Nothing waits" in other.text
    contributor = client.post("/review", data={"key": keys["contributor"]})
    assert contributor.status_code == 403 and "for curators" in contributor.text

    queue = client.post("/review", data={"key": keys["curator"]})
    html = accessible(queue)
    no_key_in(html, keys)
    assert "Tehsil token queue" in html and "tehsil desk (contributor, Haryana)" in html
    assert "Confidential draft MoU" not in html  # published by an admin: never in the queue
    submission_id = re.search(r'id="s-([0-9a-f]+)"', html).group(1)  # type: ignore[union-attr]

    # the converted text: its curator reads it; another state's curator is told it does not exist
    assert client.post(f"/review/{submission_id}", data={"key": keys["punjab_curator"]}).status_code == 404
    read = client.post(f"/review/{submission_id}", data={"key": keys["curator"]})
    assert read.status_code == 200 and f"Tehsils issue {TOKEN} tokens." in accessible(read)
    assert "Tehsil token queue" not in accessible(client.get(f"/review/{submission_id}"))  # only a key form
    original = client.post(f"/review/{submission_id}/file", data={"key": keys["curator"]})
    assert original.status_code == 200 and original.content == SUBMISSION
    assert client.post(f"/review/{submission_id}/file", data={"key": keys["punjab_curator"]}).status_code == 404

    # deciding: another state's curator is refused plainly; a note is needed to send it back
    decide = f"/review/{submission_id}/decide"
    form = {"document_id": "haryana-tehsil-queue", "decision": "approve"}
    refused = client.post(decide, data={**form, "key": keys["punjab_curator"]})
    assert refused.status_code == 403 and "only a curator of haryana" in refused.text.lower()
    no_note = client.post(decide, data={**form, "decision": "request_changes", "key": keys["curator"]})
    assert no_note.status_code == 422 and "note" in no_note.text
    back = client.post(
        decide, data={**form, "decision": "request_changes", "note": "Add results.", "key": keys["curator"]}
    )
    assert back.status_code == 200 and "Changes requested" in back.text and "Nothing waits" in back.text

    # the contributor's own list: the status, the note and where to send the new version
    assert "Your contributor key" in accessible(client.get("/submissions"))
    mine = accessible(client.post("/submissions", data={"key": keys["contributor"]}))
    assert "Changes requested" in mine and "Add results." in mine and "/contribute?id=haryana-tehsil-queue" in mine
    assert 'value="haryana-tehsil-queue"' in client.get("/contribute?id=haryana-tehsil-queue").text
    others = client.post("/submissions", data={"key": keys["kerala"]}).text
    assert "Tehsil token queue" not in others and "Nothing sent" in others

    # never published meanwhile: no page shows it
    assert client.get("/documents/haryana-tehsil-queue").status_code == 404
    assert "Tehsil token queue" not in client.get("/", params={"q": f"{TOKEN} tokens"}).text


def test_adoptions_on_the_document_page_and_the_state_ledgers(site: tuple[TestClient, dict[str, str]]) -> None:
    client, keys = site
    page = accessible(client.get(f"/documents/{PRACTICE}"))
    assert "Adopted by" in page and "Your state is taking this up" in page and "No other state" in page
    assert "<option>Haryana</option>" not in page  # a state does not adopt its own practice

    form = {"state": "Kerala", "status": "piloting", "contact": "ksitm-desk@example.in", "note": "Two districts."}
    missing_key = client.post(f"/documents/{PRACTICE}/adoptions", data=form)
    assert missing_key.status_code == 401 and "Enter your key" in accessible(missing_key)
    assert 'value="ksitm-desk@example.in"' in missing_key.text  # what was typed is kept, the key is not
    wrong_state = client.post(
        f"/documents/{PRACTICE}/adoptions", data={**form, "state": "Punjab", "key": keys["kerala"]}
    )
    assert wrong_state.status_code == 403 and "only keys of punjab" in wrong_state.text.lower()
    own = client.post(f"/documents/{PRACTICE}/adoptions", data={**form, "state": "Haryana", "key": keys["curator"]})
    assert own.status_code == 422 and "own practice" in own.text
    done = client.post(f"/documents/{PRACTICE}/adoptions", data={**form, "key": keys["kerala"]})
    assert done.status_code == 200 and "Kerala: Piloting" in done.text
    no_key_in(done.text, keys)

    shown = client.get(f"/documents/{PRACTICE}").text
    assert re.search(r"<strong>Kerala</strong>: Piloting since \d{1,2} \w{3} \d{4}", shown)  # Babel date: 2 Dec 2026
    assert "ksitm-desk@example.in" not in shown  # contacts never on the anonymous web

    # a restricted practice: another state's key cannot adopt it; an admin's record of it stays hidden
    secret = client.post("/documents/haryana-secret-mou/adoptions", data={**form, "key": keys["kerala"]})
    assert secret.status_code == 404 and "Confidential" not in secret.text
    admin = client.post("/documents/haryana-secret-mou/adoptions", data={**form, "key": keys["admin"]})
    assert admin.status_code == 200

    haryana = accessible(client.get("/states/Haryana"))
    gave = haryana.split('id="gave-h"')[1].split('id="took-h"')[0]
    assert "Citizens" in gave or PRACTICE in gave
    assert "taken up by Kerala" in gave and "Confidential" not in haryana
    kerala = accessible(client.get("/states/kerala"))  # any spelling the vocabulary knows
    took = kerala.split('id="took-h"')[1]
    assert f"/documents/{PRACTICE}" in took and "Confidential" not in kerala and "haryana-secret-mou" not in kerala
    browse = accessible(client.get("/browse"))
    assert re.search(r'href="/states/Kerala">Kerala</a></th><td>0</td><td>1</td>', browse), browse
    unknown = client.get("/states/Atlantis")
    assert unknown.status_code == 404 and "Atlantis" in unknown.text and "<h1>" in unknown.text


def test_asking_and_answering_in_the_inbox(site: tuple[TestClient, dict[str, str]]) -> None:
    client, keys = site
    question = "How did you train the staff of the CM window?"
    assert client.post(f"/documents/{PRACTICE}/ask", data={"message": question}).status_code == 401
    empty = client.post(f"/documents/{PRACTICE}/ask", data={"message": "", "key": keys["kerala"]})
    assert empty.status_code == 422 and "Write what you want to know" in accessible(empty)
    asked = client.post(f"/documents/{PRACTICE}/ask", data={"message": question, "key": keys["kerala"]})
    assert asked.status_code == 200 and "sent to Haryana" in asked.text
    secret = client.post("/documents/haryana-secret-mou/ask", data={"message": "Terms?", "key": keys["kerala"]})
    assert secret.status_code == 404

    assert "Show my inbox" in accessible(client.get("/inbox"))
    owner = accessible(client.post("/inbox", data={"key": keys["contributor"]}))
    no_key_in(owner, keys)
    assert question in owner and "Send the answer" in owner
    assert question not in client.post("/inbox", data={"key": keys["punjab_curator"]}).text
    request_id = re.search(r'id="r-([^"]+)"', owner).group(1)  # type: ignore[union-attr]

    intruder = client.post(
        f"/inbox/{request_id}", data={"body": "Hello", "action": "answer", "key": keys["punjab_curator"]}
    )
    assert intruder.status_code == 404 and question not in intruder.text
    answer = "Two days of training at HIPA, then a week shadowing the Karnal window."
    answered = client.post(
        f"/inbox/{request_id}", data={"body": answer, "action": "answer", "key": keys["contributor"]}
    )
    assert answered.status_code == 200 and "Your answer was sent" in answered.text and answer in answered.text

    asker = accessible(client.post("/inbox", data={"key": keys["kerala"]}))
    ours = asker.split('id="ours-h"')[1]
    assert question in ours and answer in ours and 'data-status="answered"' in ours
    closed = client.post(f"/inbox/{request_id}", data={"action": "close", "key": keys["kerala"]})
    assert closed.status_code == 200 and 'data-status="closed"' in closed.text
    again = client.post(
        f"/inbox/{request_id}", data={"body": "One more", "action": "answer", "key": keys["contributor"]}
    )
    assert again.status_code in (409, 422) and "One more" not in again.text


def test_header_links_to_the_keyed_pages(site: tuple[TestClient, dict[str, str]]) -> None:
    client, _keys = site
    header = client.get("/browse").text.split("</header>")[0]
    assert 'href="/review"' in header and 'href="/inbox"' in header
    assert 'aria-current="page">Inbox' in client.get("/inbox").text


@pytest.mark.skipif(
    "no_good_match" not in SearchResponse.model_fields, reason="search responses have no relevance floor yet"
)
def test_no_good_match_is_said_plainly(site: tuple[TestClient, dict[str, str]]) -> None:
    client, _keys = site
    nothing = client.get("/", params={"q": "lattice quantum chromodynamics of gluon plasma"})
    assert nothing.status_code == 200
    assert "No good match for “lattice quantum chromodynamics of gluon plasma”; closest titles:" in nothing.text
    good = client.get("/", params={"q": "citizens complain to the chief minister and track their grievance"})
    assert "No good match" not in good.text


def test_the_job_page_of_a_submission_says_it_waits_for_a_curator(site: tuple[TestClient, dict[str, str]]) -> None:
    client, keys = site
    data = SUBMISSION.replace(b"haryana-tehsil-queue", b"haryana-job-page")
    sent = client.post(
        "/v1/documents", headers=bearer(keys["contributor"]), files={"file": ("j.md", data, "text/markdown")}
    )
    assert wait_for_job(client, sent.json(), bearer(keys["contributor"]))["detail"]["outcome"] == "submitted"
    page = accessible(client.get(f"/contribute/jobs/{sent.json()['id']}"))
    assert "Sent to a curator" in page and "Searchable once approved" in page
    assert "now searchable" not in page
