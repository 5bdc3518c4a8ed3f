"""Nothing accepted is lost: ``kill -9`` of a live ``kb serve`` during uploads, then a restart.

Runs :mod:`bench.fault_injection` small (the benchmark is the same code at 100 uploads): every upload
answered 202 must end as a searchable document, and ``kb check`` must find no orphan or mismatch.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.fault_injection import run

pytestmark = pytest.mark.slow


def test_kill_9_during_uploads_loses_nothing(tmp_path: Path) -> None:
    report = run(uploads=10, kills=2, seed=3, kb_dir=tmp_path / "kb")
    assert report.kills == 2
    assert (report.accepted, report.durable, report.orphans, report.mismatches) == (10, 10, 0, 0), report
    assert report.jobs_failed == 0, report


def test_kill_9_during_kb_ingest_then_a_rerun_finishes_consistently(tmp_path: Path) -> None:
    import json
    import os
    import signal
    import sqlite3
    import subprocess
    import time

    from tests.e2e.conftest import KB_BIN, run_kb_process

    folder = tmp_path / "docs"
    folder.mkdir()
    for i in range(8):
        (folder / f"practice-{i}.md").write_text(
            f"---\ntype: case_study\nsector: health\n---\n# Practice {i}\n\n"
            + " ".join(f"Clinic {i} shares records with district hospital number {n}." for n in range(60))
        )
    kb_dir = tmp_path / "kb"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "KB_DIR": str(kb_dir)}
    process = subprocess.Popen([KB_BIN, "ingest", str(folder)], env=env, stdout=subprocess.DEVNULL)
    catalog = kb_dir / "catalog.sqlite"
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and process.poll() is None:
        if catalog.exists():
            try:
                with sqlite3.connect(catalog) as conn:
                    if conn.execute("SELECT count(*) FROM documents").fetchone()[0] >= 2:
                        break
            except sqlite3.OperationalError:  # the schema is still being created
                pass
        time.sleep(0.05)
    assert process.poll() is None, "kb ingest finished before it could be killed"
    process.send_signal(signal.SIGKILL)
    process.wait()

    rerun = run_kb_process("ingest", str(folder), "--json", env={"KB_DIR": str(kb_dir)})
    assert rerun.returncode == 0, rerun.stderr
    outcomes = json.loads(rerun.stdout)
    assert outcomes["added"] + outcomes["unchanged"] == 8 and not outcomes["failed"]
    checked = run_kb_process("check", "--json", env={"KB_DIR": str(kb_dir)})
    assert checked.returncode == 0, checked.stdout
    assert json.loads(checked.stdout)["documents"] == 8
