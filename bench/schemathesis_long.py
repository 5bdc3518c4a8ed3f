"""The long schemathesis run: every check, every phase, against a live ``kb serve``.

    .venv/bin/python -m bench.schemathesis_long                       # fixtures KB, 100 examples, seed 1
    .venv/bin/python -m bench.schemathesis_long --max-examples 300 --seed 7 --max-time 1800
    .venv/bin/python -m bench.schemathesis_long --url http://127.0.0.1:8000 --key kbk_...   # a server you run

Without ``--url`` it copies ``tests/fixtures/good`` into a temporary KB, creates an admin key, starts
``kb serve`` on a free loopback port, waits for ``/readyz``, runs ``schemathesis run`` with the suite's
configuration (``tests/api/schemathesis.toml``: all checks, the per-operation adjustments and their
reasons) and stops the server. The reports (JUnit XML and NDJSON events) go to ``.bench/out/schemathesis/``.
The exit code is schemathesis's: 0 when nothing was found. See docs/api-testing.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "tests" / "api" / "schemathesis.toml"
FIXTURES = ROOT / "tests" / "fixtures" / "good"
OUT = ROOT / ".bench" / "out" / "schemathesis"
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _kb(*args: str, env: dict[str, str]) -> str:
    return subprocess.run([str(BIN / "kb"), *args], env=env, check=True, capture_output=True, text=True).stdout


def _wait_ready(url: str, server: subprocess.Popen[bytes], timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"kb serve exited with {server.returncode} before it was ready")
        try:
            with urllib.request.urlopen(f"{url}/readyz", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(1)
    raise SystemExit(f"kb serve at {url} was not ready after {timeout:.0f} s")


def schemathesis_command(url: str, key: str, args: argparse.Namespace) -> list[str]:
    """The documented invocation (docs/api-testing.md)."""
    OUT.mkdir(parents=True, exist_ok=True)
    command = [
        str(BIN / "schemathesis"),
        "--config-file",
        str(CONFIG),
        "run",
        f"{url}/openapi.json",
        # every check is on in the config; `--checks all` here would also undo its per-operation offs
        "--header",
        f"Authorization: Bearer {key}",
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--max-examples",
        str(args.max_examples),
        "--seed",
        str(args.seed),
        "--workers",
        "1",
        "--continue-on-failure",
        "--include-path-regex",
        "^/v1/",
        "--report",
        "junit,ndjson",
        "--report-dir",
        str(OUT),
    ]
    if args.max_time:
        command += ["--max-time", str(args.max_time)]
    return command


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="a running server (else one is started over the fixtures)")
    parser.add_argument("--key", help="an admin key of that server (with --url)")
    parser.add_argument("--max-examples", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--max-time", type=int, default=0, help="seconds for the whole run (0: no limit)")
    args = parser.parse_args()
    if args.url:
        if not args.key:
            parser.error("--url needs --key (an admin key: kb keys create --role admin)")
        return subprocess.call(schemathesis_command(args.url.rstrip("/"), args.key, args))

    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HAYSTACK_TELEMETRY_ENABLED": "False"}
    with tempfile.TemporaryDirectory(prefix="kb-schemathesis-") as tmp:
        corpus, kb_dir = Path(tmp) / "corpus", Path(tmp) / "kb"
        shutil.copytree(FIXTURES, corpus)
        env["KB_DIR"] = str(kb_dir)
        _kb("ingest", str(corpus), env=env)
        key = json.loads(_kb("keys", "create", "--role", "admin", "--label", "schemathesis", "--json", env=env))["key"]
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        log = (Path(tmp) / "serve.log").open("wb")
        server = subprocess.Popen(
            [str(BIN / "kb"), "serve", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            _wait_ready(url, server)
            return subprocess.call(schemathesis_command(url, key, args))
        finally:
            server.terminate()  # only the server this script started
            server.wait(timeout=60)
            log.close()


if __name__ == "__main__":
    raise SystemExit(main())
