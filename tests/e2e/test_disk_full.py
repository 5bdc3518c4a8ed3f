"""A full disk under KB_DIR: files are refused one by one with a message, nothing is lost or half-written.

Runs `kb ingest` as a real process on a small tmpfs, the filesystem where Qdrant Edge would die of
SIGBUS if it ran out of room: the process must exit 1 with its JSON report, never by a signal. Needs
root to mount; skipped with the reason otherwise.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from kb.diskspace import free_bytes, sparse_growth
from tests.e2e.conftest import run_kb_process

pytestmark = pytest.mark.slow

RESERVE = 4 * 1024 * 1024


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount_point = tmp_path / "small"
    mount_point.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small filesystem needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=512m", "tmpfs", str(mount_point)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def _doc(folder: Path, name: str, text: str) -> Path:
    path = folder / f"{name}.md"
    path.write_text(f"---\ntype: report\nsector: health\n---\n# {name}\n\n{text}\n", encoding="utf-8")
    return path


def _fill(mount_point: Path, leave: int) -> Path:
    filler = mount_point / "filler"
    with filler.open("wb") as handle:
        handle.write(b"\0" * max(0, free_bytes(mount_point) - leave))
    return filler


def test_a_full_disk_fails_each_file_with_a_message_and_keeps_what_is_stored(small_disk: Path, tmp_path: Path) -> None:
    kb_dir = small_disk / "kb"
    env = {"KB_DIR": str(kb_dir), "KB_MIN_FREE_BYTES": str(RESERVE)}
    first = tmp_path / "first"
    first.mkdir()
    _doc(first, "hospital-beds", "Hospitals publish free beds online every hour.")
    assert run_kb_process("ingest", str(first), env=env).returncode == 0

    later = tmp_path / "later"
    later.mkdir()
    _doc(later, "school-meals", "Schools report midday meals by SMS.")
    _doc(later, "bus-passes", "Students renew bus passes online.")
    filler = _fill(small_disk, sparse_growth(kb_dir / "index") + RESERVE // 2)
    refused = run_kb_process("ingest", str(later), "--json", env=env)
    assert refused.returncode == 1, (refused.returncode, refused.stderr)  # not killed by SIGBUS (-7)
    report = json.loads(refused.stdout)
    assert [Path(f["path"]).name for f in report["failed"]] == ["bus-passes.md", "school-meals.md"]
    assert all("not enough free disk space" in f["error"] for f in report["failed"])

    found = run_kb_process("search", "free hospital beds", "--json", env=env)
    assert found.returncode == 0, found.stderr
    assert [r["document_id"] for r in json.loads(found.stdout)["results"]][:1] == ["hospital-beds"]
    assert run_kb_process("check", env=env).returncode == 0

    filler.unlink()
    filler = _fill(small_disk, sparse_growth(kb_dir / "index") // 2)  # not even room for the mapped files
    opened = run_kb_process("stats", env=env)
    assert opened.returncode == 1 and "not enough free disk space" in opened.stderr, opened.stderr
    filler.unlink()
    retried = run_kb_process("ingest", str(later), "--json", env=env)
    assert retried.returncode == 0, retried.stdout
    assert json.loads(retried.stdout)["added"] == 2
    assert run_kb_process("check", env=env).returncode == 0
