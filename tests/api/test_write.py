"""Contributions through the API: keys and ownership, versions, withdrawal, bad uploads, restarts."""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

from fastapi.testclient import TestClient

from search.api import create_app
from tests.api.conftest import Deployments, bearer, both_catalogs, make_keys, wait_for_job
from tests.conftest import FIXTURES

pytestmark = both_catalogs
PROBLEM = "application/problem+json"
NOTE = b"# Saral help desks\n\nEvery block office runs a help desk where citizens apply for schemes with one form.\n"


def _upload(
    client: TestClient,
    key: str | None,
    meta: dict[str, object],
    *,
    name: str = "note.md",
    data: bytes = NOTE,
    doc_id: str | None = None,
):  # type: ignore[no-untyped-def]
    headers = bearer(key) if key else {}
    files = {"file": (name, data)}
    form = {"metadata": json.dumps(meta)}
    if doc_id:
        return client.put(f"/v1/documents/{doc_id}", files=files, data=form, headers=headers)
    return client.post("/v1/documents", files=files, data=form, headers=headers)


def test_contributor_lifecycle_and_ownership(client: TestClient, keys: dict[str, str]) -> None:
    meta = {
        "id": "haryana-saral-helpdesk",
        "title": "Saral help desks",
        "type": "case_study",
        "states": ["Haryana"],
        "sector": "citizen_services",
        "year": 2021,
    }
    assert _upload(client, None, meta).status_code == 401
    assert _upload(client, "kbk_wrong_key", meta).status_code == 401
    assert _upload(client, keys["jk"], meta).status_code == 403  # J&K key, Haryana document

    accepted = _upload(client, keys["haryana"], meta)
    assert accepted.status_code == 202, accepted.text
    assert accepted.headers["location"] == accepted.json()["url"]
    job = wait_for_job(client, accepted.json(), bearer(keys["haryana"]))
    assert job["status"] == "done", job
    hits = client.get("/v1/search", params={"q": "one form for schemes at block help desks"}).json()["results"]
    assert hits[0]["document_id"] == "haryana-saral-helpdesk"

    assert _upload(client, keys["haryana"], meta).status_code == 409  # POST never overwrites
    assert _upload(client, keys["jk"], meta, doc_id="haryana-saral-helpdesk").status_code == 403
    assert client.delete("/v1/documents/haryana-saral-helpdesk", headers=bearer(keys["jk"])).status_code == 403
    # a contributor may not touch documents it does not own, even of its own state
    assert client.delete("/v1/documents/haryana-saral-report", headers=bearer(keys["haryana"])).status_code == 403

    v2 = _upload(
        client,
        keys["haryana"],
        {"year": 2022},
        data=NOTE + b"\nNow also on WhatsApp.\n",
        doc_id="haryana-saral-helpdesk",
    )
    assert wait_for_job(client, v2.json(), bearer(keys["haryana"]))["status"] == "done"
    detail = client.get("/v1/documents/haryana-saral-helpdesk").json()
    assert [v["version"] for v in detail["versions"]] == [1, 2]
    assert detail["metadata"]["year"] == 2022 and detail["metadata"]["title"] == "Saral help desks"
    old = client.get("/v1/documents/haryana-saral-helpdesk/file", params={"version": 1})
    assert old.content == NOTE

    gone = client.delete("/v1/documents/haryana-saral-helpdesk", headers=bearer(keys["haryana"]))
    assert gone.json() == {"id": "haryana-saral-helpdesk", "status": "withdrawn"}
    assert client.get("/v1/documents/haryana-saral-helpdesk").status_code == 404
    hits = client.get("/v1/search", params={"q": "one form for schemes at block help desks"}).json()["results"]
    assert "haryana-saral-helpdesk" not in [h["document_id"] for h in hits]

    assert client.get("/v1/audit", headers=bearer(keys["haryana"])).status_code == 403
    audit = client.get(
        "/v1/audit", params={"document_id": "haryana-saral-helpdesk"}, headers=bearer(keys["admin"])
    ).json()
    assert [e["action"] for e in audit] == ["withdraw", "update", "create"]
    assert all(e["actor"].startswith("key:") for e in audit)


def test_admin_may_change_any_document(client: TestClient, keys: dict[str, str]) -> None:
    response = client.put(
        "/v1/documents/haryana-cm-window",
        data={"metadata": json.dumps({"tags": ["grievances"]})},
        headers=bearer(keys["admin"]),
    )
    assert response.status_code == 202, response.text
    assert wait_for_job(client, response.json(), bearer(keys["admin"]))["status"] == "done"
    assert client.get("/v1/documents/haryana-cm-window").json()["metadata"]["tags"] == ["grievances"]


def test_bad_uploads_are_clear_problems(client: TestClient, keys: dict[str, str]) -> None:
    meta = {"title": "X", "states": ["Haryana"], "type": "report", "sector": "health"}
    key = keys["haryana"]
    invalid = _upload(client, key, {**meta, "sector": "helth"})
    assert invalid.status_code == 422 and invalid.headers["content-type"] == PROBLEM
    assert "field 'sector'" in invalid.json()["detail"] and "did you mean 'health'" in invalid.json()["detail"]
    unknown_state = _upload(client, key, {**meta, "states": ["Hariyana"]})
    assert unknown_state.status_code == 422 and "did you mean 'Haryana'" in unknown_state.json()["detail"]
    not_json = client.post(
        "/v1/documents", files={"file": ("a.md", NOTE)}, data={"metadata": "{oops"}, headers=bearer(key)
    )
    assert not_json.status_code == 422 and "not valid JSON" in not_json.json()["detail"]
    lying = _upload(client, key, meta, name="report.pdf", data=(FIXTURES / "bad" / "text-named.pdf").read_bytes())
    assert lying.status_code == 422 and "does not match" in lying.json()["detail"]

    for name in ("corrupt.pdf", "encrypted.pdf", "zipbomb.docx", "empty.txt"):
        accepted = _upload(
            client,
            key,
            {**meta, "id": f"bad-{name.replace('.', '-')}"},
            name=name,
            data=(FIXTURES / "bad" / name).read_bytes(),
        )
        if accepted.status_code == 202:
            job = wait_for_job(client, accepted.json(), bearer(key))
            assert job["status"] == "failed" and job["error"], job
        else:
            assert accepted.headers["content-type"] == PROBLEM and accepted.status_code == 422
    assert client.get("/v1/documents/bad-corrupt-pdf").status_code == 404
    assert client.get("/v1/documents", params={"limit": 200}).json()["total"] >= 5  # nothing lost


def _long_pdf(pages: int) -> bytes:
    """A text PDF of ~220 KB that takes about a second to convert (every page is read)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    for n in range(pages):
        pdf.add_page()
        for line in range(40):
            pdf.text(10, 10 + 6.5 * line, f"Page {n}, line {line}: the block office hears grievances every Thursday.")
    return bytes(pdf.output())


def test_size_limit_and_conversion_timeout(tmp_path: Path, deployments: Deployments) -> None:
    # a limit far below the conversion's second: with a 1 ms limit a 4 KB PDF once converted while the
    # waiting thread was descheduled on a loaded machine (the limit means "at least", not "exactly")
    settings = deployments.settings(tmp_path / "kb", max_upload_bytes=300_000, conversion_timeout_s=0.05)
    keys = make_keys(settings)
    with TestClient(create_app(settings)) as small:
        meta = {"title": "Big", "states": ["Haryana"]}
        too_big = _upload(small, keys["haryana"], meta, name="big.txt", data=b"a" * 1_000_000)
        assert too_big.status_code == 413 and too_big.headers["content-type"] == PROBLEM

        def chunked_body():  # type: ignore[no-untyped-def]
            # no Content-Length: the limit is enforced on the bytes as they arrive
            yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="big.txt"\r\n\r\n'
            for _ in range(20):
                yield b"a" * 65_536

        streamed = small.post(
            "/v1/documents",
            content=chunked_body(),
            headers={**bearer(keys["haryana"]), "content-type": "multipart/form-data; boundary=b"},
        )
        assert streamed.status_code == 413 and streamed.headers["content-type"] == PROBLEM, streamed.text
        slow_pdf = _long_pdf(300)
        assert len(slow_pdf) < settings.max_upload_bytes
        slow = _upload(small, keys["haryana"], meta, name="saral.pdf", data=slow_pdf)
        job = wait_for_job(small, slow.json(), bearer(keys["haryana"]))
        assert job["status"] == "failed" and "longer than" in job["error"], job


def test_restart_keeps_documents_and_concurrent_writes_lose_nothing(tmp_path: Path, deployments: Deployments) -> None:
    settings = deployments.settings(tmp_path / "kb")
    shutil.copytree(FIXTURES / "good", tmp_path / "good")
    keys = make_keys(settings)
    key = keys["haryana"]
    with TestClient(create_app(settings)) as first:
        accepted = []
        errors: list[str] = []

        def upload(i: int) -> None:
            body = f"# Practice {i}\n\nDistrict {i} digitised ration shops with biometric point-of-sale devices.\n"
            r = _upload(
                first,
                key,
                {"id": f"practice-{i}", "states": ["Haryana"]},
                data=body.encode(),
                name=f"p{i}.md",
            )
            accepted.append(r.json()) if r.status_code == 202 else errors.append(r.text)

        def search() -> None:
            for _ in range(5):
                r = first.get("/v1/search", params={"q": "biometric ration shops"})
                if r.status_code != 200:
                    errors.append(r.text)

        threads = [threading.Thread(target=upload, args=(i,)) for i in range(6)]
        threads += [threading.Thread(target=search) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert all(wait_for_job(first, job, bearer(key))["status"] == "done" for job in accepted)
    with TestClient(create_app(settings)) as second:
        listing = second.get("/v1/documents", params={"limit": 50}).json()
        assert {f"practice-{i}" for i in range(6)} <= {d["id"] for d in listing["documents"]}
        hits = second.get("/v1/search", params={"q": "biometric point-of-sale in ration shops", "top_k": 10}).json()
        assert len({h["document_id"] for h in hits["results"]} & {f"practice-{i}" for i in range(6)}) == 6
