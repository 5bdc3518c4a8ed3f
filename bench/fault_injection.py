"""Kill the server at random points during a stream of uploads; count what survives.

    .venv/bin/python -m bench.fault_injection [--uploads 100] [--kills 8] [--seed 1]

A live ``kb serve`` on a fresh KB takes uploads from a client that behaves like a real one: it retries
when the connection breaks. A killer thread sends ``kill -9`` at random moments (mid-request,
mid-job, between jobs) and restarts the server. At the end every accepted upload must be a published,
searchable document, and ``kb check`` must find the index and the catalog in agreement:

    accepted   uploads answered 202 (or 409 on a retry: an earlier attempt was kept)
    durable    accepted uploads that are documents after the last restart, found by search
    orphans    documents in the index that the catalog does not have
    mismatches documents whose chunks disagree with the catalog, plus writes left half-done

Target: accepted = durable = uploads, orphans = mismatches = 0. The test suite runs it small.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx

from bench.live import free_port, wait_until_ready

KB_BIN = str(Path(sys.executable).parent / "kb")


@dataclass
class FaultReport:
    uploads: int
    kills: int
    accepted: int
    durable: int
    orphans: int
    mismatches: int
    jobs_failed: int
    jobs_retried: int  # jobs run more than once: a kill landed while they ran
    seconds: float
    failure_reasons: tuple[str, ...] = ()  # the error of each failed job, to say why

    def ok(self) -> bool:
        return self.accepted == self.durable == self.uploads and self.orphans == self.mismatches == 0


class Server:
    """One ``kb serve`` process at a time on a fixed port; killed with SIGKILL, restarted on demand."""

    def __init__(self, kb_dir: Path, log: Path) -> None:
        self.kb_dir, self.log = kb_dir, log
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.lock = threading.Lock()

    def start(self, timeout: float = 240) -> None:
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "KB_DIR": str(self.kb_dir)}
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [KB_BIN, "serve", "--port", str(self.port)], stdout=log, stderr=subprocess.STDOUT, env=env
            )
        wait_until_ready(self.base, self.process, self.log, timeout)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.kill()


def _document(i: int) -> tuple[str, bytes]:
    body = (
        f"---\nid: upload-{i:03d}\ntitle: Practice number {i}\ntype: case_study\nstates: [Haryana]\n"
        f"sector: citizen_services\nyear: 2022\n---\n# Practice number {i}\n\n## What was done\n\n"
        f"The block office introduced token{i:03d}x counters so that citizens wait less for certificates. "
        "Applications are tracked online and officials review pending cases every week.\n"
    )
    return f"upload-{i:03d}.md", body.encode()


def _make_admin_key(kb_dir: Path) -> str:
    from kb.catalog import Catalog
    from kb.settings import Settings

    with Catalog(Settings(kb_dir=kb_dir).catalog_path) as catalog:
        return catalog.create_key(role="admin", label="fault-injection")[1]


def _upload(server: Server, key: str, i: int, deadline: float) -> str | None:
    """Send upload ``i`` until the server answers; the job id, or None when an earlier try was kept."""
    name, data = _document(i)
    while time.monotonic() < deadline:
        try:
            response = httpx.post(
                f"{server.base}/v1/documents",
                headers={"Authorization": f"Bearer {key}"},
                files={"file": (name, data, "text/markdown")},
                timeout=30,
            )
        except httpx.HTTPError:
            time.sleep(0.3)  # the server died under us: retry, as a client would
            continue
        if response.status_code == 202:
            return str(response.json()["id"])
        if response.status_code == 409:
            return None
        if response.status_code == 503:
            time.sleep(float(response.headers.get("Retry-After", "1")))
            continue
        raise RuntimeError(f"upload {i}: {response.status_code} {response.text}")
    raise RuntimeError(f"upload {i} not accepted in time")


def _killer(server: Server, kills: int, stop: threading.Event, rng: random.Random, done: list[int]) -> None:
    while len(done) < kills and not stop.wait(rng.uniform(0.3, 2.5)):
        with server.lock:
            server.kill()
            done.append(1)
            server.start()


def run(uploads: int = 100, kills: int = 8, seed: int = 1, kb_dir: Path | None = None) -> FaultReport:
    """The whole experiment on a fresh KB (in a temporary folder unless ``kb_dir`` is given)."""
    started = time.monotonic()
    rng = random.Random(seed)
    root = Path(tempfile.mkdtemp(prefix="kb-faults-")) if kb_dir is None else kb_dir.parent
    kb = kb_dir or root / "kb"
    key = _make_admin_key(kb)
    server = Server(kb, root / "serve.log")
    server.start()
    stop, killed = threading.Event(), list[int]()
    killer = threading.Thread(target=_killer, args=(server, kills, stop, rng, killed), daemon=True)
    killer.start()
    deadline = time.monotonic() + 60 * 30
    jobs: dict[int, str | None] = {}
    try:
        for i in range(uploads):
            jobs[i] = _upload(server, key, i, deadline)
        killer.join(timeout=300)  # let the remaining kills land while jobs run
        stop.set()
        with server.lock:
            reasons, retried = _wait_for_jobs(server, key, [j for j in jobs.values() if j], deadline)
            durable = sum(_searchable(server, i) for i in range(uploads))
    finally:
        stop.set()
        with server.lock:
            server.stop()
    check = subprocess.run(
        [KB_BIN, "check", "--json", "--kb-dir", str(kb)],
        capture_output=True,
        text=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
        timeout=600,
    )
    report = json.loads(check.stdout)
    return FaultReport(
        uploads=uploads,
        kills=len(killed),
        accepted=len(jobs),
        durable=durable,
        orphans=len(report["orphans"]),
        mismatches=len(report["missing"]) + len(report["mismatched"]) + len(report["pending"]),
        jobs_failed=len(reasons),
        jobs_retried=retried,
        seconds=round(time.monotonic() - started, 1),
        failure_reasons=tuple(reasons),
    )


def _wait_for_jobs(server: Server, key: str, job_ids: list[str], deadline: float) -> tuple[list[str], int]:
    """(the error of each job that failed, how many jobs ran more than once)."""
    failed: list[str] = []
    retried = 0
    for job_id in job_ids:
        while True:
            job: dict[str, Any] = httpx.get(
                f"{server.base}/v1/jobs/{job_id}", headers={"Authorization": f"Bearer {key}"}, timeout=30
            ).json()
            if job["status"] in ("done", "failed"):
                if job["status"] == "failed":
                    failed.append(f"{job_id}: {job.get('error')}")
                retried += job["attempts"] > 1
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"job {job_id} still {job['status']}")
            time.sleep(0.2)
    return failed, retried


def _searchable(server: Server, i: int) -> bool:
    found = httpx.get(f"{server.base}/v1/search", params={"q": f"token{i:03d}x counters"}, timeout=30).json()
    return any(r["document_id"] == f"upload-{i:03d}" for r in found["results"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--uploads", type=int, default=100)
    parser.add_argument("--kills", type=int, default=8)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    report = run(args.uploads, args.kills, args.seed)
    columns = {k: v for k, v in asdict(report).items() if k != "failure_reasons"}
    print(" ".join(f"{name:>12}" for name in columns))
    print(" ".join(f"{value:>12}" for value in columns.values()))
    out = Path(".bench/out")
    out.mkdir(parents=True, exist_ok=True)
    (out / "fault_injection.json").write_text(json.dumps(asdict(report), indent=2))
    for reason in report.failure_reasons:
        print(f"failed job {reason}")
    sys.exit(0 if report.ok() else 1)


if __name__ == "__main__":
    main()
