"""End-to-end fixtures: real files, the real model, real Qdrant Edge in temp folders."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from search.cli import main
from tests.conftest import FIXTURES

KB_BIN = str(Path(sys.executable).parent / "kb")


def run_cli(*args: str, env: dict[str, str] | None = None) -> Result:
    """Invoke the real click entry point in-process (model stays cached between calls); ``env`` is
    set for the call only (``KB_CATALOG_URL`` for a catalog on PostgreSQL)."""
    return CliRunner().invoke(main, list(args), catch_exceptions=False, env=env)


def run_json(*args: str) -> Any:
    result = run_cli(*args, "--json")
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


def run_kb_process(
    *args: str, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run the installed ``kb`` console script in a separate process.

    Its stdin is empty, never the test worker's: ``kb mcp`` serves stdio, and a pytest-xdist worker's
    stdin is its channel to the controller."""
    full_env = {**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})}
    return subprocess.run(
        [KB_BIN, *args], capture_output=True, text=True, env=full_env, timeout=timeout, stdin=subprocess.DEVNULL
    )


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A writable copy of the good fixtures (all five formats, with sidecars)."""
    target = tmp_path / "corpus"
    shutil.copytree(FIXTURES / "good", target)
    return target


@pytest.fixture(scope="module")
def indexed_kb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A KB with the good fixtures ingested once, for read-only tests."""
    kb_dir = tmp_path_factory.mktemp("kb") / "kb"
    corpus = tmp_path_factory.mktemp("corpus") / "good"
    shutil.copytree(FIXTURES / "good", corpus)
    result = run_cli("ingest", str(corpus), "--kb-dir", str(kb_dir))
    assert result.exit_code == 0, result.output
    return kb_dir
