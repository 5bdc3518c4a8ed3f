"""Review before publishing, end to end through the real app: a contributor's upload waits for a
curator of its state, invisible to everyone else; changes are requested, a new upload supersedes
it, approval publishes it; a new version waits while the published one stays; roles are enforced."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from kb.catalog import Catalog
from search.api import create_app
from tests.api.conftest import Deployments, bearer, both_catalogs, wait_for_job

pytestmark = [pytest.mark.slow, both_catalogs]

TOKEN = "zorbulite"  # a word no other document has, so search finds only this one


def _case(doc_id: str, extra: str = "", *, states: str = "[Haryana]", body: str = "") -> bytes:
    return (
        f"---\nid: {doc_id}\ntitle: Mutation pendency cut in {doc_id}\ntype: case_study\nstates: {states}\n"
        f"sector: land_records\nyear: 2022\n{extra}---\n# Mutation pendency\n\n## Summary\n\n"
        f"Tehsils used {TOKEN} counters so that mutations were decided within a week.\n{body}"
    ).encode()


@pytest.fixture(scope="module")
def app(
    tmp_path_factory: pytest.TempPathFactory, deployments: Deployments
) -> Iterator[tuple[TestClient, dict[str, str]]]:
    settings = deployments.settings(tmp_path_factory.mktemp("review") / "kb")
    with Catalog(settings.resolved_catalog_url()) as catalog:
        keys = {
            "contributor": catalog.create_key(role="contributor", states=["Haryana"], label="tehsil")[1],
            "curator": catalog.create_key(role="curator", states=["Haryana"], label="DITECH curator")[1],
            "punjab_curator": catalog.create_key(role="curator", states=["Punjab"], label="Punjab")[1],
            "reader": catalog.create_key(role="reader", states=["Haryana"], label="official")[1],
            "admin": catalog.create_key(role="admin", label="ops")[1],
        }
    with TestClient(create_app(settings)) as client:
        yield client, keys


def _post(client: TestClient, key: str, doc_id: str, data: bytes) -> httpx.Response:
    return client.post("/v1/documents", headers=bearer(key), files={"file": (f"{doc_id}.md", data, "text/markdown")})


def _finished(client: TestClient, response: httpx.Response, key: str) -> dict[str, Any]:
    assert response.status_code == 202, response.text
    return wait_for_job(client, response.json(), bearer(key))


def _found(client: TestClient, headers: dict[str, str] | None = None) -> list[str]:
    results = client.get("/v1/search", params={"q": f"{TOKEN} counters"}, headers=headers or {}).json()["results"]
    return [r["document_id"] for r in results]


def test_a_submission_waits_unseen_then_changes_are_requested_and_it_is_approved(
    app: tuple[TestClient, dict[str, str]],
) -> None:
    client, keys = app
    job = _finished(
        client, _post(client, keys["contributor"], "tehsil-mutation", _case("tehsil-mutation")), keys["contributor"]
    )
    assert job["status"] == "done" and job["detail"]["outcome"] == "submitted", job
    submission_id = job["detail"]["submission_id"]

    # nobody but the submitter, the state's curators and admins sees it, by any read path
    for who in (None, keys["punjab_curator"], keys["reader"]):
        headers = bearer(who) if who else {}
        assert "tehsil-mutation" not in _found(client, headers)
        assert client.get("/v1/documents/tehsil-mutation", headers=headers).status_code == 404
        listed = client.get("/v1/documents", headers=headers).json()["documents"]
        assert "tehsil-mutation" not in [d["id"] for d in listed]
        if who:
            assert client.get(f"/v1/submissions/{submission_id}", headers=headers).status_code == 404
    assert client.get(f"/v1/submissions/{submission_id}").status_code == 401
    for who in ("contributor", "curator", "admin"):
        seen = client.get(f"/v1/submissions/{submission_id}", headers=bearer(keys[who]))
        assert seen.status_code == 200, (who, seen.text)
    detail = seen.json()
    assert detail["status"] == "submitted" and TOKEN in detail["preview"][-1]["text"]
    original = client.get(f"/v1/submissions/{submission_id}/file", headers=bearer(keys["curator"]))
    assert original.status_code == 200 and TOKEN.encode() in original.content

    # the queue: the state's curator sees it, another state's does not, a contributor may not ask
    queue = client.get("/v1/reviews", headers=bearer(keys["curator"])).json()["submissions"]
    assert [s["document_id"] for s in queue] == ["tehsil-mutation"]
    assert client.get("/v1/reviews", headers=bearer(keys["punjab_curator"])).json()["submissions"] == []
    assert client.get("/v1/reviews", headers=bearer(keys["contributor"])).status_code == 403

    review = "/v1/documents/tehsil-mutation/review"
    refused = client.post(review, headers=bearer(keys["punjab_curator"]), json={"decision": "approve"})
    assert refused.status_code == 403 and "Haryana" in refused.json()["detail"]
    assert client.post(review, headers=bearer(keys["contributor"]), json={"decision": "approve"}).status_code == 403
    no_note = client.post(review, headers=bearer(keys["curator"]), json={"decision": "request_changes"})
    assert no_note.status_code == 422
    assert client.post(review, headers=bearer(keys["curator"]), json={"decision": "maybe"}).status_code == 422
    back = client.post(
        review, headers=bearer(keys["curator"]), json={"decision": "request_changes", "note": "Add the Results."}
    )
    assert back.status_code == 200 and back.json()["submission"]["status"] == "changes_requested"
    mine = client.get("/v1/submissions", headers=bearer(keys["contributor"])).json()["submissions"]
    assert (mine[0]["status"], mine[0]["note"]) == ("changes_requested", "Add the Results.")
    again = client.post(review, headers=bearer(keys["curator"]), json={"decision": "approve"})
    assert again.status_code == 404  # nothing waits for a decision now: it is with its owner

    # the owner sends it again: the new submission replaces the old one in the queue
    fixed = _case("tehsil-mutation", body="\n## Results\n\nPendency fell from 40 to 6 days.\n")
    _finished(client, _post(client, keys["contributor"], "tehsil-mutation", fixed), keys["contributor"])
    statuses = {
        s["id"]: s["status"]
        for s in client.get("/v1/submissions", headers=bearer(keys["contributor"])).json()["submissions"]
    }
    assert statuses[submission_id] == "superseded" and sorted(statuses.values()) == ["submitted", "superseded"]

    approved = client.post(review, headers=bearer(keys["curator"]), json={"decision": "approve", "note": "Good."})
    assert approved.status_code == 200, approved.text
    published = wait_for_job(client, approved.json()["job"], bearer(keys["admin"]))
    assert published["status"] == "done", published
    assert "tehsil-mutation" in _found(client)
    document = client.get("/v1/documents/tehsil-mutation").json()
    assert document["version"] == 1 and "Pendency fell" in str(document["sections"])
    audit = client.get("/v1/audit", params={"document_id": "tehsil-mutation"}, headers=bearer(keys["admin"]))
    actions = [e["action"] for e in audit.json()] if audit.status_code == 200 else []
    assert {"submit", "review_request_changes", "review_approve", "create"} <= set(actions), audit.text


def test_a_new_version_waits_while_the_published_one_stays(app: tuple[TestClient, dict[str, str]]) -> None:
    client, keys = app
    admin = bearer(keys["admin"])
    data = _case("tehsil-v2", body="\n## Results\n\nThe first version.\n")
    created = _finished(client, _post(client, keys["contributor"], "tehsil-v2", data), keys["contributor"])
    assert created["detail"]["outcome"] == "submitted"
    approved = client.post(
        "/v1/documents/tehsil-v2/review", headers=bearer(keys["curator"]), json={"decision": "approve"}
    )
    assert wait_for_job(client, approved.json()["job"], admin)["status"] == "done"
    update = client.put(
        "/v1/documents/tehsil-v2",
        headers=bearer(keys["contributor"]),
        files={"file": ("tehsil-v2.md", data.replace(b"The first version.", b"A second version."), "text/markdown")},
    )
    job = _finished(client, update, keys["contributor"])
    assert job["detail"]["outcome"] == "submitted", job
    shown = client.get("/v1/documents/tehsil-v2").json()
    assert shown["version"] == 1 and "The first version." in str(shown["sections"])
    assert shown["pending_review"] is None  # the public sees only the published version
    for who in ("contributor", "curator"):
        pending = client.get("/v1/documents/tehsil-v2", headers=bearer(keys[who])).json()["pending_review"]
        assert pending["status"] == "submitted" and pending["url"].startswith("/v1/submissions/"), who
    outsider = bearer(keys["punjab_curator"])
    assert client.get("/v1/documents/tehsil-v2", headers=outsider).json()["pending_review"] is None
    rejected = client.post(
        "/v1/documents/tehsil-v2/review", headers=bearer(keys["curator"]), json={"decision": "reject", "note": "No."}
    )
    assert rejected.json()["submission"]["status"] == "rejected"
    assert client.get("/v1/documents/tehsil-v2").json()["version"] == 1


def test_roles_a_reader_does_not_contribute_and_a_curator_does_not_approve_their_own(
    app: tuple[TestClient, dict[str, str]],
) -> None:
    client, keys = app
    refused = _post(client, keys["reader"], "reader-doc", _case("reader-doc"))
    assert refused.status_code == 403 and "contributor key" in refused.json()["detail"]
    own = _finished(client, _post(client, keys["curator"], "curator-own", _case("curator-own")), keys["curator"])
    assert own["detail"]["outcome"] == "submitted"
    self_approval = client.post(
        "/v1/documents/curator-own/review", headers=bearer(keys["curator"]), json={"decision": "approve"}
    )
    assert self_approval.status_code == 403
    taken = _post(client, keys["contributor"], "curator-own", _case("curator-own"))
    assert taken.status_code == 409  # the id is under review for someone else
    by_admin = client.post(
        "/v1/documents/curator-own/review", headers=bearer(keys["admin"]), json={"decision": "approve"}
    )
    assert by_admin.status_code == 200


def test_review_can_be_turned_off_for_a_private_deployment(tmp_path: Path, deployments: Deployments) -> None:
    settings = deployments.settings(tmp_path / "kb", review_required=False)
    with Catalog(settings.resolved_catalog_url()) as catalog:
        key = catalog.create_key(role="contributor", states=["Haryana"])[1]
    with TestClient(create_app(settings)) as client:
        job = _finished(client, _post(client, key, "direct", _case("direct")), key)
        assert job["detail"]["outcome"] == "added", job
        assert "direct" in _found(client)
