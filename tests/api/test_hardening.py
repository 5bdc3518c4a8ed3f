"""Writes that try to hurt the server or take what is not theirs: the API refuses them clearly."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient
from pydantic import SecretStr

from kb.settings import Settings
from search.api import create_app
from tests.api.conftest import bearer, make_keys, wait_for_job
from tests.kb.test_metadata import BOMB

PROBLEM = "application/problem+json"
NOTE = b"# Tele-ration\n\nRation shops open on the phone: citizens book a slot and collect their grain.\n"
META = {"type": "case_study", "sector": "food_security", "states": ["Haryana"]}


def _post(client: TestClient, key: str | None, name: str, data: bytes, meta: object = META, *, raw: str | None = None):  # type: ignore[no-untyped-def]
    headers = bearer(key) if key else {}
    form = {"metadata": raw if raw is not None else json.dumps(meta)}
    return client.post("/v1/documents", files={"file": (name, data)}, data=form, headers=headers)


def test_yaml_alias_bomb_in_front_matter_is_refused(client: TestClient, keys: dict[str, str]) -> None:
    bomb = f"---\n{BOMB}---\n# Bomb\n\nText.\n".encode()
    response = _post(client, keys["haryana"], "bomb.md", bomb)
    assert response.status_code == 422 and response.headers["content-type"] == PROBLEM
    assert "may not use YAML anchors/aliases (&name/*name)" in response.json()["detail"]


def test_deeply_nested_metadata_json_is_a_clear_422(client: TestClient, keys: dict[str, str]) -> None:
    for depth in (10, 20_000):
        nested = '{"tags": ' + "[" * depth + "]" * depth + "}"
        response = _post(client, keys["haryana"], "note.md", NOTE, raw=nested)
        assert response.status_code == 422, (depth, response.text[:300])
        assert "nested" in response.json()["detail"]
    deepest = "[" * 100_000 + "]" * 100_000  # 200 KB: refused by size before it is parsed
    response = _post(client, keys["haryana"], "note.md", NOTE, raw=deepest)
    assert response.status_code == 413 and "KB_MAX_METADATA_BYTES" in response.json()["detail"]
    assert "64 KiB" in response.json()["detail"]


def test_oversized_front_matter_names_the_limit(client: TestClient, keys: dict[str, str]) -> None:
    big = ("---\ntitle: Big\ntags: [" + ", ".join(["tag"] * 40_000) + "]\n---\n# Big\n\nText.\n").encode()
    response = _post(client, keys["haryana"], "big.md", big)
    assert response.status_code == 413 and response.headers["content-type"] == PROBLEM
    assert "front matter" in response.json()["detail"] and "64 KiB (KB_MAX_METADATA_BYTES)" in response.json()["detail"]


def test_only_supported_kinds_of_file_are_accepted(client: TestClient, keys: dict[str, str]) -> None:
    for name, data in (("setup.exe", b"MZ\x90\x00binary"), ("logo.svg", b"<svg onload='alert(1)'/>")):
        response = _post(client, keys["haryana"], name, data)
        assert response.status_code == 422, response.text
        detail = response.json()["detail"]
        assert name in detail and "Markdown" in detail and "PDF" in detail and ".docx" in detail


def test_a_withdrawn_id_stays_owned(client: TestClient, keys: dict[str, str], api_kb: Path) -> None:
    meta = {**META, "id": "haryana-tele-ration"}
    created = _post(client, keys["haryana"], "tele.md", NOTE, meta)
    assert wait_for_job(client, created.json(), bearer(keys["haryana"]))["status"] == "done"
    assert client.delete("/v1/documents/haryana-tele-ration", headers=bearer(keys["haryana"])).status_code == 200

    takeover = _post(client, keys["jk"], "tele.md", NOTE, {**meta, "states": ["Jammu and Kashmir"]})
    assert takeover.status_code == 409, takeover.text
    assert "belongs to a withdrawn document of another contributor" in takeover.json()["detail"]
    assert client.get("/v1/documents/haryana-tele-ration").status_code == 404

    restored = _post(client, keys["haryana"], "tele.md", NOTE, meta)  # the owner may restore it
    assert restored.status_code == 202, restored.text
    assert wait_for_job(client, restored.json(), bearer(keys["haryana"]))["status"] == "done"
    assert client.get("/v1/documents/haryana-tele-ration").status_code == 200


def test_original_files_cannot_run_in_our_origin(client: TestClient, keys: dict[str, str]) -> None:
    page = b"<!doctype html><html><head><title>Portal</title></head><body><h1>Portal</h1><p>Citizens apply online"
    page += b" for every certificate from one page.</p><script>alert(document.domain)</script></body></html>"
    created = _post(client, keys["haryana"], "portal.html", page, {**META, "id": "haryana-portal-page"})
    assert wait_for_job(client, created.json(), bearer(keys["haryana"]))["status"] == "done"
    response = client.get("/v1/documents/haryana-portal-page/file")
    assert response.status_code == 200 and response.content == page
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-disposition"].startswith("attachment")
    assert "sandbox" in response.headers["content-security-policy"]
    assert "default-src 'none'" in response.headers["content-security-policy"]


def test_failed_keys_are_rate_limited_per_address_and_valid_keys_are_not(tmp_path: Path) -> None:
    kb_dir = tmp_path / "kb"
    keys = make_keys(kb_dir)
    with TestClient(create_app(Settings(kb_dir=kb_dir, auth_failures_per_minute=3))) as app:
        for _ in range(30):  # success never counts
            assert app.get("/v1/jobs/0123", headers=bearer(keys["haryana"])).status_code == 404
        for _ in range(3):
            assert app.get("/v1/jobs/0123", headers=bearer("kbk_guess")).status_code == 401
        limited = app.get("/v1/jobs/0123", headers=bearer("kbk_guess"))
        assert limited.status_code == 429 and limited.headers["content-type"] == PROBLEM
        assert 1 <= int(limited.headers["retry-after"]) <= 60
        # past the limit, the address is refused before its key is even looked at
        assert app.get("/v1/jobs/0123", headers=bearer(keys["haryana"])).status_code == 429
        assert _post(app, keys["haryana"], "note.md", NOTE).status_code == 429
        other = TestClient(app.app, client=("10.0.0.7", 5000))  # another address is not affected
        assert other.get("/v1/jobs/0123", headers=bearer(keys["haryana"])).status_code == 404


def test_metrics_are_closed_when_reading_needs_a_key(tmp_path: Path) -> None:
    kb_dir = tmp_path / "kb"
    keys = make_keys(kb_dir)
    token = SecretStr("scrape-token-123")
    closed = Settings(kb_dir=kb_dir, require_key_for_read=True, metrics_token=token, auth_failures_per_minute=3)
    with TestClient(create_app(closed)) as app:
        assert app.get("/metrics").status_code == 401
        assert app.get("/metrics", headers=bearer("wrong-token")).status_code == 401
        assert app.get("/metrics", headers=bearer(keys["haryana"])).status_code == 403
        for allowed in ("scrape-token-123", keys["admin"]):
            response = app.get("/metrics", headers=bearer(allowed))
            assert response.status_code == 200 and "kb_documents" in response.text
        # the MCP endpoint applies the same failed-key limit per address
        assistant = TestClient(app.app, client=("10.0.0.9", 7000))
        ping = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
        mcp_headers = {"accept": "application/json, text/event-stream"}
        for _ in range(3):
            refused = assistant.post("/mcp", json=ping, headers={**mcp_headers, **bearer("kbk_guess")})
            assert refused.status_code == 401
        limited = assistant.post("/mcp", json=ping, headers={**mcp_headers, **bearer(keys["admin"])})
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
        assert app.post("/mcp", json=ping, headers={**mcp_headers, **bearer(keys["admin"])}).status_code == 200
    with TestClient(create_app(Settings(kb_dir=kb_dir))) as open_app:
        assert open_app.get("/metrics").status_code == 200
