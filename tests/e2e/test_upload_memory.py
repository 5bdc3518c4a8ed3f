"""Queued uploads wait on disk, not in the server's memory (12 x 20 MB used to add 700 MB of RSS)."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from bench.fault_injection import Server
from tests.api.conftest import bearer, make_keys

pytestmark = pytest.mark.slow


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def test_twelve_large_queued_uploads_do_not_grow_the_server(tmp_path: Path) -> None:
    kb_dir = tmp_path / "kb"
    keys = make_keys(kb_dir)
    server = Server(kb_dir, tmp_path / "serve.log")
    server.start()
    assert server.process is not None
    try:
        with httpx.Client(base_url=server.base, headers=bearer(keys["admin"]), timeout=120) as client:
            busy = " ".join(f"Ward {n} publishes its water tanker schedule." for n in range(40_000))
            first = client.post("/v1/documents", files={"file": ("busy.txt", busy.encode(), "text/plain")})
            assert first.status_code == 202, first.text  # keeps the only worker busy meanwhile
            time.sleep(8)  # past its chunking, into the steady embedding phase
            big = (b"Village records are digitised and shared with the tehsil office. " * 320_000)[: 20 * 1024 * 1024]
            rss = []
            for i in range(12):
                response = client.post("/v1/documents", files={"file": (f"big-{i}.txt", big, "text/plain")})
                assert response.status_code == 202, response.text
                rss.append(_rss_mb(server.process.pid))
            grown = rss[-1] - rss[0]  # the first upload pays for the request's own buffers once
            waiting = client.get("/metrics").text
    finally:
        server.kill()
    # holding the waiting uploads would add at least 11 x 20 MB (it added 640 MB before the fix); the
    # busy job's own embedding moves RSS by up to ~130 MB on a loaded machine, hence the margin
    assert grown < 180, f"RSS grew by {grown:.0f} MB while 11 more uploads of 20 MB waited: {rss}"
    queued = next(line for line in waiting.splitlines() if line.startswith('kb_ingest_jobs{status="queued"}'))
    assert float(queued.split()[-1]) >= 12  # the queue depth an operator alerts on
    age = next(line for line in waiting.splitlines() if line.startswith("kb_ingest_oldest_job_age_seconds"))
    assert float(age.split()[-1]) > 0
