"""`kb ingest` on real documents nobody here wrote: throughput, failures by reason, peak memory.

    .venv/bin/python -m bench.real_documents FOLDER[:N]... [--apt PACKAGE]... [--limit N] [--json]

For example, with Debian's manuals (installed on demand, never committed)::

    .venv/bin/python -m bench.real_documents --apt python3-doc --apt debian-reference-en \\
        --apt r-doc-pdf /usr/share/doc/python3.11/html:60 /usr/share/debian-reference /usr/share/R/doc/manual:7

Each run ingests into a fresh temporary ``KB_DIR`` through the real ``kb ingest --json`` in a child
process, so the figures include start-up, model load, conversion worker and writes, as a user sees
them. ``FOLDER:N`` (or ``--limit N`` for every folder) takes at most N files of that folder, every
k-th supported file in sorted order (so the sample is the same every time), copied with its sidecar
under a temporary folder that keeps the relative paths.

Reported: files and chunks per second (of the whole run), failures grouped by reason (the message
without the path, numbers and quoted names), contents/index sections left out, warnings, and peak
RSS: ``getrusage(RUSAGE_CHILDREN).ru_maxrss``, the largest resident set of any process of the run
(``kb`` or its conversion worker), since the kernel keeps the maximum, not the sum.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from ingest.files import discover_files
from kb.metadata import SIDECAR_SUFFIX

_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_PATH = re.compile(r"/[^\s;,]+")


def ensure_packages(packages: list[str]) -> None:
    """``apt-get install`` the Debian packages that are not installed yet (needs root and apt access)."""
    missing = [p for p in packages if subprocess.run(["dpkg", "-s", p], capture_output=True).returncode != 0]
    if missing:
        print(f"installing {' '.join(missing)} with apt-get", file=sys.stderr)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing], check=True, env=env)


def parse_folder(argument: str, default: int | None) -> tuple[Path, int | None]:
    """``"/usr/share/doc/x:60"`` -> (that folder, 60); without ``:N``, the ``--limit`` default."""
    head, _, tail = argument.rpartition(":")
    return (Path(head), int(tail)) if head and tail.isdigit() else (Path(argument), default)


def sample(folders: list[tuple[Path, int | None]], target: Path) -> list[Path]:
    """Each folder itself, or (with a limit) a copy of every k-th of its files under ``target``."""
    copies = []
    for number, (folder, limit) in enumerate(folders):
        if limit is None:
            copies.append(folder)
            continue
        files, _ = discover_files([folder])
        step = max(1, len(files) // limit)
        root = target / f"{number}-{folder.name}"
        for path in files[::step][:limit]:
            for source in (path, path.with_name(path.name + SIDECAR_SUFFIX)):
                if source.exists():
                    destination = root / source.relative_to(folder)
                    destination.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(source, destination)
        copies.append(root)
    return copies


def reason(error: str, path: str) -> str:
    """A failure message as a category: the path, numbers and quoted names taken out."""
    text = error.replace(path, "").lstrip(": ")
    text = _NUMBER.sub("N", _QUOTED.sub("'…'", _PATH.sub("PATH", text)))
    return text.split(";")[0].strip()[:100]


def run(folders: list[Path]) -> dict[str, Any]:
    """One ``kb ingest --json`` of ``folders`` into a fresh KB; its report and the measurements."""
    kb = str(Path(sys.executable).with_name("kb"))
    with tempfile.TemporaryDirectory(prefix="kb-real-") as tmp:
        env = {**os.environ, "KB_DIR": str(Path(tmp) / "kb"), "HF_HUB_OFFLINE": "1"}
        started = time.perf_counter()
        done = subprocess.run([kb, "ingest", *map(str, folders), "--json"], capture_output=True, text=True, env=env)
        seconds = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise SystemExit(f"kb ingest exited with {done.returncode}:\n{done.stderr[-2000:]}")
    report = json.loads(done.stdout)
    documents = report["documents"]
    failures = Counter(reason(f["error"], f["path"]) for f in report["failed"])
    chunks = sum(int(d["chunks"]) for d in documents)
    files = len(documents) + len(report["failed"])
    by_type = Counter(Path(str(d["path"])).suffix.lower() for d in documents)
    return {
        "files": files,
        "ingested": len(documents),
        "failed": len(report["failed"]),
        "chunks": chunks,
        "seconds": round(seconds, 1),
        "files_per_s": round(files / seconds, 2),
        "chunks_per_s": round(chunks / seconds, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024),
        "contents_skipped": sum(int(d.get("contents_skipped", 0)) for d in documents),
        "warnings": sum(len(d.get("warnings", [])) for d in documents),
        "ingested_by_type": dict(sorted(by_type.items())),
        "failures_by_reason": dict(failures.most_common()),
    }


def print_table(result: dict[str, Any], folders: list[str]) -> None:
    print(f"kb ingest of {', '.join(folders)}\n")
    print(f"{'measure':<34} {'value':>12}")
    rows = [
        ("files (ingested + failed)", f"{result['files']} ({result['ingested']} + {result['failed']})"),
        ("chunks", result["chunks"]),
        ("wall time, s", result["seconds"]),
        ("files/s", result["files_per_s"]),
        ("chunks/s", result["chunks_per_s"]),
        ("peak RSS of one process, MB", result["peak_rss_mb"]),
        ("contents/index sections left out", result["contents_skipped"]),
        ("warnings", result["warnings"]),
    ]
    for name, value in rows:
        print(f"{name:<34} {value!s:>12}")
    print("\ningested by type: " + ", ".join(f"{k} {v}" for k, v in result["ingested_by_type"].items()))
    print("\nfailures by reason:" if result["failures_by_reason"] else "\nno failures")
    for text, count in result["failures_by_reason"].items():
        print(f"{count:>5}  {text}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folders", nargs="+", metavar="FOLDER[:N]")
    parser.add_argument("--apt", action="append", default=[], metavar="PACKAGE", help="install first if missing")
    parser.add_argument("--limit", type=int, help="at most N files of every folder without :N (every k-th)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON instead of a table")
    args = parser.parse_args()
    ensure_packages(args.apt)
    folders = [parse_folder(argument, args.limit) for argument in args.folders]
    missing = [str(folder) for folder, _ in folders if not folder.is_dir()]
    if missing:
        raise SystemExit(f"not a folder: {', '.join(missing)}")
    with tempfile.TemporaryDirectory(prefix="kb-real-sample-") as tmp:
        result = run(sample(folders, Path(tmp)))
    result["folders"] = args.folders
    print(json.dumps(result, indent=2)) if args.json else print_table(result, args.folders)
    out = Path(".bench/out")
    out.mkdir(parents=True, exist_ok=True)
    (out / "real_documents.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
