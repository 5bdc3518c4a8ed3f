"""While ``kb serve`` runs it owns the KB: the other commands say so with its real URL and what to do.

One live server on a free port (not 8000, so a message that always says 8000 fails here), started
in its own process; ``kb serve`` records itself in ``KB_DIR/server.json`` and removes the record
when it exits.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from kb.settings import Settings
from kb.store import open_store
from tests.conftest import FIXTURES
from tests.e2e.conftest import KB_BIN, run_cli, run_kb_process
from tests.live import free_port, serving, wait_ready


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    kb_dir = tmp_path_factory.mktemp("served") / "kb"
    corpus = tmp_path_factory.mktemp("corpus") / "good"
    shutil.copytree(FIXTURES / "good", corpus)
    assert run_cli("ingest", str(corpus), "--kb-dir", str(kb_dir)).exit_code == 0
    with serving(kb_dir) as base:
        yield kb_dir, base


def _refused(*args: str) -> str:
    result = run_kb_process(*args, timeout=180)
    assert result.returncode == 1, result.stderr
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("Error: ") and "Traceback" not in result.stderr, result.stderr
    return lines[-1]


def test_the_server_records_where_it_listens(served: tuple[Path, str]) -> None:
    kb_dir, base = served
    record = json.loads((kb_dir / "server.json").read_text())
    assert record["url"] == base
    os.kill(record["pid"], 0)  # the live server's process


def test_local_ingest_is_told_the_real_server_url(served: tuple[Path, str]) -> None:
    kb_dir, base = served
    message = _refused("ingest", str(FIXTURES / "good"), "--kb-dir", str(kb_dir))
    assert "in use by another process" in message and f"at {base}" in message
    assert f"kb ingest --server {base} --key KEY" in message


def test_search_and_stats_are_told_to_read_through_the_server(served: tuple[Path, str]) -> None:
    kb_dir, base = served
    search = _refused("search", "land records kiosks", "--kb-dir", str(kb_dir))
    assert f"is serving it at {base}" in search
    assert f"curl '{base}/v1/search?q=land+records+kiosks'" in search
    assert "send the files" not in search and "--server" not in search
    hits = httpx.get(f"{base}/v1/search", params={"q": "land records kiosks"}).json()["results"]
    assert hits and hits[0]["document_id"] == "karnataka-bhoomi"  # the suggested read works

    stats = _refused("stats", "--kb-dir", str(kb_dir))
    assert f"is serving it at {base}" in stats and f"curl '{base}/v1/facets'" in stats
    assert "send the files" not in stats
    assert httpx.get(f"{base}/v1/facets").status_code == 200


def test_mcp_is_pointed_at_the_servers_real_mcp_endpoint(served: tuple[Path, str]) -> None:
    kb_dir, base = served
    message = _refused("mcp", "--kb-dir", str(kb_dir))
    assert f"{base}/mcp" in message and ":8000" not in base and ":8000" not in message


def test_reindex_and_a_second_server_are_told_to_stop_the_first(served: tuple[Path, str]) -> None:
    kb_dir, _base = served
    pid = json.loads((kb_dir / "server.json").read_text())["pid"]
    assert f"kill {pid}" in _refused("reindex", "--kb-dir", str(kb_dir))
    again = _refused("serve", "--kb-dir", str(kb_dir), "--port", "0")
    assert f"kill {pid}" in again and "already serving" in again


def test_the_record_follows_the_servers_life(tmp_path: Path) -> None:
    """Written once it listens (on KB_PORT here), removed at exit; a stale one (dead pid) is ignored."""
    kb_dir = tmp_path / "kb"
    note = str(FIXTURES / "good" / "cm-window-note.txt")
    assert run_cli("ingest", note, "--kb-dir", str(kb_dir)).exit_code == 0
    port = free_port()
    log_path = tmp_path / "serve.log"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "KB_PORT": str(port), "KB_DIR": str(kb_dir)}
    with log_path.open("w") as log:
        process = subprocess.Popen([KB_BIN, "serve"], stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        wait_ready(f"http://127.0.0.1:{port}", process, log_path)
        record = json.loads((kb_dir / "server.json").read_text())
        assert record == {"pid": process.pid, "url": f"http://127.0.0.1:{port}"}
    finally:
        process.terminate()
        process.wait(timeout=60)
    assert not (kb_dir / "server.json").exists()

    # a server killed without cleanup leaves its record behind: it must not send anyone to a dead URL
    (kb_dir / "server.json").write_text(json.dumps({"pid": process.pid, "url": "http://127.0.0.1:1"}))
    with open_store(Settings(kb_dir=kb_dir)):  # some other process holds the KB
        message = _refused("search", "grievances", "--kb-dir", str(kb_dir))
    assert "in use by another process (is `kb serve` running?)" in message
    assert "127.0.0.1:1" not in message and "curl 'URL/v1/search" in message
