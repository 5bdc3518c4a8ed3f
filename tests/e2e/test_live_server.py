"""A live ``kb serve``: smoke over real HTTP, one owner of the KB, ``kb ingest --server``."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from kb.catalog import Catalog
from kb.settings import Settings
from tests.conftest import FIXTURES
from tests.e2e.conftest import run_cli, run_kb_process
from tests.live import serving


def test_served_kb_takes_files_through_its_api_only(tmp_path: Path) -> None:
    kb_dir = tmp_path / "kb"
    with Catalog(Settings(kb_dir=kb_dir).catalog_path) as catalog:
        key = catalog.create_key(role="admin", label="ops")[1]
    with serving(kb_dir) as base:
        assert httpx.get(f"{base}/healthz").json() == {"status": "ok"}
        assert "swagger-ui" in httpx.get(f"{base}/docs").text

        local = run_kb_process("ingest", str(FIXTURES / "good"), "--kb-dir", str(kb_dir))
        assert local.returncode == 1
        assert "in use by another process" in local.stderr and "kb ingest --server" in local.stderr

        wrong = run_cli("ingest", "--server", base, "--key", "kbk_nope", str(FIXTURES / "good"))
        assert wrong.exit_code == 1 and "not valid" in wrong.stderr

        first = run_cli("ingest", "--server", base, "--key", key, "--json", str(FIXTURES / "good"))
        assert first.exit_code == 0, first.output
        report = json.loads(first.stdout)
        assert (report["added"], report["failed"]) == (5, [])
        again = json.loads(run_cli("ingest", "--server", base, "--key", key, "--json", str(FIXTURES / "good")).stdout)
        assert (again["added"], again["updated"], again["unchanged"]) == (0, 0, 5)

        bad = run_cli("ingest", "--server", base, "--key", key, "--json", str(FIXTURES / "bad" / "encrypted.pdf"))
        assert bad.exit_code == 1
        assert "encrypted" in json.loads(bad.stdout)["failed"][0]["error"]

        hits = httpx.get(f"{base}/v1/search", params={"q": "online land records kiosks"}).json()["results"]
        assert hits[0]["document_id"] == "karnataka-bhoomi"

        sent = 0

        def huge_upload():  # type: ignore[no-untyped-def]
            nonlocal sent
            yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="big.txt"\r\n\r\n'
            for _ in range(2_000):  # 1 GiB if it were all read; the server stops at the 25 MB limit
                sent += 1
                yield b"a" * 524_288

        headers = {"Authorization": f"Bearer {key}", "content-type": "multipart/form-data; boundary=b"}
        try:
            refused = httpx.post(f"{base}/v1/documents", content=huge_upload(), headers=headers, timeout=60)
            assert refused.status_code == 413
        except httpx.HTTPError:
            pass  # the server may close the connection as soon as it has answered
        assert sent < 200, sent
