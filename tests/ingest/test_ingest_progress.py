"""`kb ingest` with stderr not a terminal (a log, CI): progress lines on stderr, stdout unchanged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import FIXTURES
from tests.e2e.conftest import run_kb_process

pytestmark = pytest.mark.slow


def test_piped_ingest_prints_progress_on_stderr_and_clean_json_on_stdout(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    for name in ("cm-window-note.txt", "cm-window-note.txt.meta.yaml", "mou-kerala-karnataka.md"):
        (folder / name).write_bytes((FIXTURES / "good" / name).read_bytes())
    result = run_kb_process("ingest", str(folder), "--json", "--kb-dir", str(tmp_path / "kb"))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["added"] == 2  # stdout is the JSON report alone
    lines = [line for line in result.stderr.splitlines() if line.startswith("ingesting ")]
    assert lines[0] == f"ingesting 1/2: {folder / 'cm-window-note.txt'}"
    assert lines[-1] == f"ingesting 2/2: {folder / 'mou-kerala-karnataka.md'}"  # the last file is always shown
    assert "\r" not in result.stderr and "\033[" not in result.stderr  # no terminal bar in a log
