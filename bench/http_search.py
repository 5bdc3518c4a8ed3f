"""HTTP search latency and throughput beside in-process search, at 10k and 50k chunks.

    .venv/bin/python -m bench.http_search [--chunks 10000 --chunks 50000] [--seconds 10]

For each size: build a synthetic KB (``bench/synthetic.py``), time ``Searcher.search`` in-process,
then start ``kb serve`` and load ``GET /v1/search`` with ``wrk`` (Debian package) at 1, 8 and 32
connections on loopback. The table reports p50/p99 and requests/s, and the HTTP/in-process p50
ratio, which is what stays comparable on a noisy two-core machine.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from bench.synthetic import build_synthetic_kb

QUERIES = [
    "grievance redressal portal for citizens",
    "online land records mutation",
    "single window service delivery",
    "family identity database for welfare schemes",
    "crop registration for procurement",
    "cyber security policy",
    "doorstep delivery of services",
    "telemedicine in rural health centres",
]
CONNECTIONS = (1, 8, 32)
WRK_SCRIPT = """
local queries = {%s}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", "/v1/search?top_k=10&q=" .. queries[(i %% #queries) + 1])
end
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def in_process(kb_dir: Path, rounds: int = 25) -> dict[str, float]:
    from kb.embedding import configure_offline_runtime
    from kb.settings import Settings
    from kb.store import open_store
    from search.retrieval import Searcher
    from search.schemas import SearchRequest

    settings = Settings(kb_dir=kb_dir, torch_threads=1)
    configure_offline_runtime(settings)
    with open_store(settings) as store:
        searcher = Searcher(settings, store)
        searcher.warm_up()
        searcher.search(SearchRequest(query="warm up"))
        times = []
        for _ in range(rounds):
            for query in QUERIES:
                started = time.perf_counter()
                searcher.search(SearchRequest(query=query))
                times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {"p50_ms": statistics.median(times), "p99_ms": times[int(len(times) * 0.99) - 1]}


def _wrk(url: str, connections: int, seconds: int, script: Path) -> dict[str, float]:
    out = subprocess.run(
        [
            "wrk",
            "-t",
            str(min(2, connections)),
            "-c",
            str(connections),
            "-d",
            f"{seconds}s",
            "--latency",
            "-s",
            str(script),
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    def ms(label: str) -> float:
        match = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not match:
            return float("nan")
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "p50_ms": ms("50"),
        "p99_ms": ms("99"),
        "rps": float(rps.group(1)) if rps else 0.0,
        "non_2xx": int(errors.group(1)) if errors else 0,
    }


def over_http(kb_dir: Path, seconds: int) -> dict[int, dict[str, float]]:
    port = _free_port()
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    kb = str(Path(sys.executable).parent / "kb")
    server = subprocess.Popen(
        [kb, "serve", "--kb-dir", str(kb_dir), "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                time.sleep(0.5)
        script = Path(tempfile.mkstemp(suffix=".lua")[1])
        script.write_text(WRK_SCRIPT % ", ".join(json.dumps(q.replace(" ", "+")) for q in QUERIES))
        return {c: _wrk(f"http://127.0.0.1:{port}", c, seconds, script) for c in CONNECTIONS}
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chunks", type=int, action="append")
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: apt-get install wrk")
    rows: list[dict[str, Any]] = []
    for size in args.chunks or [10_000, 50_000]:
        with tempfile.TemporaryDirectory(prefix="kb-bench-") as tmp:
            kb_dir = Path(tmp) / "kb"
            started = time.perf_counter()
            build_synthetic_kb(kb_dir, size)
            print(f"built {size} chunks in {time.perf_counter() - started:.0f}s", flush=True)
            local = in_process(kb_dir)
            for connections, result in over_http(kb_dir, args.seconds).items():
                rows.append(
                    {
                        "chunks": size,
                        "clients": connections,
                        **result,
                        "in_process_p50_ms": local["p50_ms"],
                        "in_process_p99_ms": local["p99_ms"],
                    }
                )
    header = f"{'chunks':>7} {'clients':>7} {'p50 ms':>8} {'p99 ms':>8} {'req/s':>7}"
    print(f"{header} {'in-proc p50':>11} {'HTTP/in-proc':>12}")
    for r in rows:
        ratio = r["p50_ms"] / r["in_process_p50_ms"]
        print(
            f"{r['chunks']:>7} {r['clients']:>7} {r['p50_ms']:>8.1f} {r['p99_ms']:>8.1f} {r['rps']:>7.1f} "
            f"{r['in_process_p50_ms']:>11.1f} {ratio:>12.2f}"
        )
    out = Path(".bench/out")
    out.mkdir(parents=True, exist_ok=True)
    (out / "http_search.json").write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
