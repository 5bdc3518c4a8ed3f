"""A live ``kb serve`` in its own process on a free loopback port, for tests that need real HTTP."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from bench.live import NotReadyError, free_port, wait_until_ready
from tests.e2e.conftest import KB_BIN

__all__ = ["free_port", "serving", "wait_ready"]


@contextmanager
def serving(kb_dir: Path) -> Iterator[str]:
    """Start ``kb serve`` on ``kb_dir``, wait until ready, yield its base URL, stop it by PID."""
    port = free_port()
    log_path = kb_dir.parent / f"serve-{port}.log"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [KB_BIN, "serve", "--kb-dir", str(kb_dir), "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_ready(base, process, log_path)
            yield base
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_ready(base: str, process: subprocess.Popen[Any], log_path: Path, timeout: float = 180) -> None:
    try:
        wait_until_ready(base, process, log_path, timeout)
    except NotReadyError as exc:
        pytest.fail(str(exc))
