"""``kb serve`` answers ``/healthz`` before the model is loaded; searches wait for ``/readyz`` (issue 16).

A live server on a free port. The order is asserted, not the milliseconds (bench/cold_start.py times
it): liveness comes first, a search while loading is a 503 problem with ``Retry-After``, and the same
search is 200 once ``/readyz`` is. A start that fails in the background stops the process non-zero.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import httpx

from tests.conftest import FIXTURES
from tests.e2e.conftest import KB_BIN, run_cli
from tests.live import free_port


def _start(kb_dir: Path, log_path: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    with log_path.open("w") as log:
        return subprocess.Popen(
            [KB_BIN, "serve", "--kb-dir", str(kb_dir), "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )


def _first_health(base: str, process: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "kb serve exited before answering /healthz"
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.02)
    raise AssertionError("no /healthz")


def test_healthz_answers_first_and_searches_wait_for_readiness(tmp_path: Path) -> None:
    kb_dir = tmp_path / "kb"
    assert run_cli("ingest", str(FIXTURES / "good" / "cm-window-note.txt"), "--kb-dir", str(kb_dir)).exit_code == 0
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = _start(kb_dir, tmp_path / "serve.log", port)
    try:
        _first_health(base, process)
        # the model takes seconds to import and load: at the first liveness answer it is not ready
        readyz = httpx.get(f"{base}/readyz", timeout=5)
        early = httpx.get(f"{base}/v1/search", params={"q": "grievance redressal"}, timeout=5)
        assert readyz.status_code == 503 and readyz.json()["status"] == "starting"
        assert early.status_code == 503 and int(early.headers["Retry-After"]) >= 1
        assert early.headers["content-type"].startswith("application/problem+json")
        assert "starting" in early.json()["detail"]
        deadline = time.monotonic() + 240
        while httpx.get(f"{base}/readyz", timeout=5).status_code != 200:
            assert time.monotonic() < deadline and process.poll() is None, (tmp_path / "serve.log").read_text()
            time.sleep(0.2)
        later = httpx.get(f"{base}/v1/search", params={"q": "grievance redressal"}, timeout=60)
        assert later.status_code == 200 and later.json()["results"]
    finally:
        process.terminate()
        process.wait(timeout=60)


def test_a_failed_background_start_is_reported_and_ends_the_process(tmp_path: Path) -> None:
    """A KB indexed with another model: the check fails after the socket is up; the process exits 1
    with the one-line error, as when the start was in the foreground."""
    kb_dir = tmp_path / "kb"
    assert run_cli("ingest", str(FIXTURES / "good" / "cm-window-note.txt"), "--kb-dir", str(kb_dir)).exit_code == 0
    port = free_port()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "KB_DENSE_MODEL": "multilingual-e5-small"}
    result = subprocess.run(
        [KB_BIN, "serve", "--kb-dir", str(kb_dir), "--port", str(port)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert result.returncode == 1, result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("Error: ")
    assert "start-up failed" in result.stderr
    assert not (kb_dir / "server.json").exists()
