"""HTTP search throughput and latency beside in-process search, interleaved, for server variants.

    .venv/bin/python -m bench.http_search [--chunks 10000] [--rounds 5] [--seconds 5] [--clients 1 2 4]
        [--variant before:KB_QUERY_ENCODER=torch,KB_QUERY_THREADS=64] [--variant now:] [--variant NAME:KB_X=V,...]

One synthetic KB (``bench/synthetic.py``) is copied once per variant and each variant gets its own
``kb serve`` (a variant is ``NAME:KB_X=V,KB_Y=W``, the server's extra environment). Then, in every
round and for every client count, each variant in turn is loaded with ``wrk`` for ``--seconds``, and
the same variant's in-process ``Searcher`` (same settings, in this process) answers the same kind of
queries right after: HTTP and in-process are measured in the same loop, so a busy spell on the shared
machine hits both, and the variants alternate (A B A B ...). A warm-up round of each goes first and
is not counted. The table gives medians over rounds with the spread (min-max), the load average of
each round, and wrk's socket errors, timeouts and non-2xx answers: a row with errors says so instead
of printing a latency of 0.

Every request asks a query never seen before (a counter is part of the text): the server keeps an LRU
of query vectors (``search/query_cache.py``), and a benchmark of repeated queries would measure the
cache, not the model.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.live import free_port, wait_until_ready
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
WRK_SCRIPT = """
local queries = {%s}
local i = 0
local id = 0
setup = function(thread)
  thread:set("id", id)
  id = id + 1
end
request = function()
  i = i + 1
  return wrk.format("GET", "/v1/search?top_k=10&q=" .. queries[(i %% #queries) + 1] .. "+" .. id .. "x" .. i)
end
"""
BASE_ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HAYSTACK_TELEMETRY_ENABLED": "False"}
PINNED = {"KB_DENSE_MODEL": "minilm", "KB_TORCH_THREADS": "1"}  # the synthetic KB's vectors; as kb serve


@dataclass
class Variant:
    name: str
    env: dict[str, str]
    kb_dir: Path = Path()
    base: str = ""
    process: subprocess.Popen[bytes] | None = None
    searcher: Any = None
    samples: dict[int, list[dict[str, float]]] = field(default_factory=dict)


def parse_variant(text: str) -> Variant:
    name, _, assignments = text.partition(":")
    env = dict(pair.split("=", 1) for pair in assignments.split(",") if pair)
    if not name or any(not key.startswith("KB_") for key in env):
        raise argparse.ArgumentTypeError(f"a variant is NAME:KB_X=V,KB_Y=W, not {text!r}")
    return Variant(name, env)


def parse_wrk(out: str) -> dict[str, float]:
    """wrk --latency output -> p50/p99 (ms), req/s, requests and every kind of error it reports."""

    def ms(label: str) -> float:
        match = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not match:
            return float("nan")
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    def count(pattern: str) -> int:
        match = re.search(pattern, out)
        return int(match.group(1)) if match else 0

    if not re.search(r"\d+ requests in", out):  # wrk gave up (e.g. "unable to connect"): no figures at all
        return {"p50_ms": float("nan"), "p99_ms": float("nan"), "rps": 0.0, "requests": 0, "non_2xx": 0,
                "socket_errors": 1, "timeouts": 0, "no_report": 1}  # fmt: skip
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    connect, read, write, timeout = (int(g) for g in socket.groups()) if socket else (0, 0, 0, 0)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    return {
        "p50_ms": ms("50"),
        "p99_ms": ms("99"),
        "rps": float(rps.group(1)) if rps else 0.0,
        "requests": count(r"(\d+) requests in"),
        "non_2xx": count(r"Non-2xx or 3xx responses: (\d+)"),
        "socket_errors": connect + read + write,
        "timeouts": timeout,
        "no_report": 0,
    }


def run_wrk(base: str, clients: int, seconds: int, script: Path) -> dict[str, float]:
    argv = ["wrk", "-t", str(min(2, clients)), "-c", str(clients), "-d", f"{seconds}s", "--timeout", "10s"]
    out = subprocess.run([*argv, "--latency", "-s", str(script), base], capture_output=True, text=True)
    return parse_wrk(out.stdout + out.stderr)  # a failed run is reported as errors, not as a crash


def in_process(searcher: Any, clients: int, seconds: float, tag: str) -> dict[str, float]:
    """``clients`` threads searching for ``seconds`` with fresh queries: p50/p99 ms and searches/s."""
    from search.schemas import SearchRequest

    times: list[float] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def client(n: int) -> None:
        i = 0
        while time.perf_counter() < deadline:
            i += 1
            query = f"{QUERIES[i % len(QUERIES)]} {tag}{n}x{i}"
            started = time.perf_counter()
            searcher.search(SearchRequest(query=query, top_k=10))
            with lock:
                times.append((time.perf_counter() - started) * 1000)

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    times.sort()
    return {
        "p50_ms": statistics.median(times),
        "p99_ms": times[max(0, int(len(times) * 0.99) - 1)],
        "rps": len(times) / elapsed,
    }


def start(variant: Variant, template: Path, workdir: Path) -> None:
    from kb.settings import Settings
    from kb.store import open_store
    from search.retrieval import Searcher

    variant.kb_dir = workdir / variant.name / "kb"
    shutil.copytree(template, variant.kb_dir)
    local = workdir / variant.name / "local"
    shutil.copytree(template, local)  # the in-process searcher's own copy (the server holds its KB's lock)
    env = {**os.environ, **BASE_ENV, **PINNED, **variant.env}
    port = free_port()
    variant.base = f"http://127.0.0.1:{port}"
    log = workdir / variant.name / "serve.log"
    kb = str(Path(sys.executable).parent / "kb")
    with log.open("w") as out:
        argv = [kb, "serve", "--kb-dir", str(variant.kb_dir), "--port", str(port)]
        variant.process = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)
    wait_until_ready(variant.base, variant.process, log)
    fields: dict[str, Any] = {key[3:].lower(): value for key, value in {**PINNED, **variant.env}.items()}
    settings = Settings.model_validate({"kb_dir": local, **fields})  # as kb serve reads them from KB_*
    store = open_store(settings)
    variant.searcher = Searcher(settings, store)
    variant.searcher.warm_up()


def stop(variant: Variant) -> None:
    if variant.searcher is not None:
        variant.searcher.store.close()
    if variant.process is not None:
        variant.process.terminate()
        variant.process.wait(timeout=60)


def measure(variants: list[Variant], clients: list[int], rounds: int, seconds: int, script: Path) -> list[float]:
    """Round 0 warms up every variant; rounds 1..N are kept. Returns the load average of each round."""
    loads = []
    for round_no in range(rounds + 1):
        for n in clients:
            for variant in variants:
                http = run_wrk(variant.base, n, seconds, script)
                local = in_process(variant.searcher, n, seconds, f"r{round_no}c{n}")
                if round_no:
                    variant.samples.setdefault(n, []).append({**http, **{f"local_{k}": v for k, v in local.items()}})
        load = os.getloadavg()[0]
        print(f"round {round_no or 'warm-up'} done, load average {load:.1f}", flush=True)
        if round_no:
            loads.append(load)
    return loads


def spread(values: list[float], digits: int = 1) -> str:
    return f"{statistics.median(values):.{digits}f} ({min(values):.{digits}f}-{max(values):.{digits}f})"


def report(variants: list[Variant], clients: list[int]) -> list[dict[str, Any]]:
    rows = []
    print(
        "| variant | clients | HTTP req/s | HTTP p50 ms | HTTP p99 ms | in-proc searches/s | in-proc p50 ms "
        "| HTTP/in-proc p50 | errors |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for n in clients:
        for v in variants:
            s = v.samples[n]

            def col(key: str, samples: list[dict[str, float]] = s) -> list[float]:
                return [x[key] for x in samples]

            ratio = [x["p50_ms"] / x["local_p50_ms"] for x in s]
            kinds_counted = ("non_2xx", "socket_errors", "timeouts", "no_report")
            errors = sum(int(sum(x[k] for k in kinds_counted)) for x in s)
            kinds = "; ".join(f"{k} {int(sum(col(k)))}" for k in kinds_counted if sum(col(k)))
            print(
                f"| {v.name} | {n} | {spread(col('rps'))} | {spread(col('p50_ms'))} | {spread(col('p99_ms'))} "
                f"| {spread(col('local_rps'))} | {spread(col('local_p50_ms'))} | {spread(ratio, 2)} "
                f"| {kinds or 0} |"
            )
            rows.append({"variant": v.name, "env": v.env, "clients": n, "samples": s, "errors": errors})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chunks", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5, help="kept rounds (pairs), after one warm-up round")
    parser.add_argument("--seconds", type=int, default=5, help="length of each wrk run and in-process run")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--variant", type=parse_variant, action="append", help="NAME:KB_X=V,... (default: see top)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: apt-get install wrk (the bench needs its error and latency report)")
    # before issue 16: torch, every request thread embedding at once; now: the defaults (ONNX, the pool)
    variants = args.variant or [
        parse_variant("before:KB_QUERY_ENCODER=torch,KB_QUERY_THREADS=64"),
        parse_variant("now:"),
    ]
    os.environ.update(BASE_ENV)
    from kb.embedding import configure_offline_runtime
    from kb.settings import Settings

    configure_offline_runtime(Settings(torch_threads=1))  # the in-process searchers run like kb serve
    with tempfile.TemporaryDirectory(prefix="kb-bench-http-") as tmp:
        workdir = Path(tmp)
        template = workdir / "template"
        started = time.perf_counter()
        build_synthetic_kb(template, args.chunks)
        print(f"built {args.chunks} chunks in {time.perf_counter() - started:.0f}s", flush=True)
        script = workdir / "queries.lua"
        script.write_text(WRK_SCRIPT % ", ".join(json.dumps(q.replace(" ", "+")) for q in QUERIES))
        try:
            for variant in variants:
                start(variant, template, workdir)
            loads = measure(variants, args.clients, args.rounds, args.seconds, script)
        finally:
            for variant in variants:
                stop(variant)
    print(f"\n{args.chunks} chunks, {args.rounds} interleaved rounds of {args.seconds} s per cell after a warm-up;")
    print(f"load average per round: {', '.join(f'{x:.1f}' for x in loads)} (2 cores); median (min-max)\n")
    rows = report(variants, args.clients)
    out = Path(".bench/out")
    out.mkdir(parents=True, exist_ok=True)
    (out / "http_search.json").write_text(json.dumps({"loads": loads, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
