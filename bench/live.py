"""A live ``kb serve`` for benchmarks and tests: a free loopback port and waiting until it is ready."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx


class NotReadyError(RuntimeError):
    """The server exited or did not become ready in time; the message carries its log."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_ready(base: str, process: subprocess.Popen[Any], log_path: Path, timeout: float = 240) -> None:
    """Poll ``/readyz`` until 200; raise :class:`NotReadyError` with the log if the process dies or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise NotReadyError(f"kb serve exited with {process.returncode}:\n{log_path.read_text()}")
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise NotReadyError(f"kb serve was not ready after {timeout} s:\n{log_path.read_text()}")
