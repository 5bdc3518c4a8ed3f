"""Cold starts (issue 16 item 4): ``kb --help``, ``kb search``, ``kb serve`` to /healthz and /readyz,
``kb mcp`` to ``initialize`` and ``tools/list``, each a fresh process.

    python -m bench.cold_start --kb-dir KB [--rounds 5]

The measurements are interleaved (one of each per round, so a busy spell hits all of them alike) and
reported as median and spread (min-max); targets: help < 0.5 s, healthz < 2 s, ready < 10 s, search
< 5 s on a quiet machine. Timing lives here, not in the tests: the machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

from bench.live import free_port

KB = str(Path(sys.executable).with_name("kb"))
ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
TARGETS = {"help": 0.5, "search": 5.0, "serve healthz": 2.0, "serve ready": 10.0, "mcp initialize": 2.0}


def timed(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, capture_output=True, env=ENV, check=True, timeout=600)
    return time.perf_counter() - start


def serve(kb_dir: str) -> tuple[float, float]:
    """Seconds from spawn to the first 200 of /healthz and of /readyz."""
    port = free_port()
    start = time.perf_counter()
    process = subprocess.Popen(
        [KB, "serve", "--kb-dir", kb_dir, "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=ENV,
    )
    base, health = f"http://127.0.0.1:{port}", 0.0
    try:
        while time.perf_counter() - start < 600 and process.poll() is None:
            path = "/readyz" if health else "/healthz"
            try:
                if httpx.get(base + path, timeout=2).status_code == 200:
                    if health:
                        return health, time.perf_counter() - start
                    health = time.perf_counter() - start
                    continue
            except httpx.HTTPError:
                pass
            time.sleep(0.02)
        raise RuntimeError("kb serve did not become ready")
    finally:
        process.terminate()
        process.wait(timeout=60)


def mcp(kb_dir: str) -> tuple[float, float]:
    """Seconds from spawn to the ``initialize`` answer and to the ``tools/list`` answer."""
    start = time.perf_counter()
    process = subprocess.Popen(
        [KB, "mcp", "--kb-dir", kb_dir],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=ENV,
    )
    assert process.stdin is not None and process.stdout is not None
    init = {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "bench", "version": "1"}}
    messages = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": init},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
    ]
    try:
        process.stdin.write(("\n".join(json.dumps(m) for m in messages) + "\n").encode())
        process.stdin.flush()
        answered: dict[int, float] = {}
        while len(answered) < 2:
            line = process.stdout.readline()
            if not line:
                raise RuntimeError("kb mcp closed its output")
            answered[json.loads(line).get("id")] = time.perf_counter() - start
        return answered[1], answered[2]
    finally:
        process.kill()
        process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kb-dir", required=True)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    samples: dict[str, list[float]] = {}
    for _ in range(args.rounds):
        samples.setdefault("help", []).append(timed([KB, "--help"]))
        samples.setdefault("search", []).append(timed([KB, "search", "grievance redressal", "--kb-dir", args.kb_dir]))
        health, ready = serve(args.kb_dir)
        samples.setdefault("serve healthz", []).append(health)
        samples.setdefault("serve ready", []).append(ready)
        init, tools = mcp(args.kb_dir)
        samples.setdefault("mcp initialize", []).append(init)
        samples.setdefault("mcp tools/list", []).append(tools)
    load = os.getloadavg()[0]
    print(f"{args.rounds} interleaved rounds, load average {load:.1f}")
    print(f"| {'start':<16} | median s | min-max s   | target s |")
    print(f"|{'-' * 18}|----------|-------------|----------|")
    for name, values in samples.items():
        target = TARGETS.get(name)
        spread = f"{min(values):.2f}-{max(values):.2f}"
        print(f"| {name:<16} | {statistics.median(values):8.2f} | {spread:<11} | {target or '':>8} |")


if __name__ == "__main__":
    main()
