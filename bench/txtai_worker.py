"""The txtai side of the peer comparison: runs in its own venv (``/tmp/txtai-venv``), never in ours.

    /tmp/txtai-venv/bin/python bench/txtai_worker.py      # JSON commands on stdin, one answer a line

Started by ``bench/ingest_speed.py`` and ``bench/peer_scifact.py`` as a subprocess, so txtai and its
dependencies (faiss, its own pooling) never enter the product's environment. It imports nothing of
ours. Commands (one JSON object a line; the answer is one JSON line):

* ``{"cmd": "index", "model": PATH, "texts": [...]}``: a hybrid index (dense + BM25, txtai's default
  convex fusion) of the texts with the model at PATH; the model is loaded and warmed up on a few texts
  first, so the answer's ``seconds`` is indexing alone, like our side's.
* ``{"cmd": "search", "queries": [...], "limit": 10}``: per-query milliseconds of hybrid search.
* ``{"cmd": "scifact", "texts": FILE, "vectors": NPY, "queries": FILE, "query_vectors": NPY}``: a
  hybrid index whose dense side is the given vectors (the same MiniLM vectors our benchmark uses, so
  the comparison is of fusion and BM25, not of who embedded), and the ranked ids for each query.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np
import torch
from txtai import Embeddings

torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))  # the same count as our side

WARM_UP_TEXTS = ["a warm-up text", "another one to load the model", "and a third"]


def index(command: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
    embeddings = Embeddings(path=command["model"], hybrid=True, content=False, maxlength=256)  # as ST truncates
    embeddings.index(list(enumerate(WARM_UP_TEXTS)))  # loads the model: not part of the timing
    started = time.perf_counter()
    embeddings.index(list(enumerate(command["texts"])))
    seconds = time.perf_counter() - started
    state["embeddings"] = embeddings
    return {"seconds": seconds, "count": embeddings.count()}


def search(command: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
    embeddings = state["embeddings"]
    times = []
    for query in command["queries"]:
        started = time.perf_counter()
        embeddings.search(query, command.get("limit", 10))
        times.append((time.perf_counter() - started) * 1000)
    return {"ms": times}


def scifact(command: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
    with open(command["texts"], encoding="utf-8") as f:
        texts = [json.loads(line) for line in f]
    with open(command["queries"], encoding="utf-8") as f:
        queries = [json.loads(line) for line in f]
    vectors = dict(zip((t["text"] for t in texts), np.load(command["vectors"]), strict=True))
    vectors.update(zip((q["text"] for q in queries), np.load(command["query_vectors"]), strict=True))

    def transform(batch: list[str]) -> np.ndarray:
        return np.asarray([vectors[text] for text in batch], dtype=np.float32)

    embeddings = Embeddings(method="external", transform=transform, hybrid=True, content=False)
    embeddings.index([(t["id"], t["text"]) for t in texts])
    ranked = [[str(uid) for uid, _ in embeddings.search(q["text"], command.get("limit", 100))] for q in queries]
    return {"ranked": ranked}


COMMANDS = {"index": index, "search": search, "scifact": scifact}


def main() -> None:
    state: dict[str, Any] = {}
    for line in sys.stdin:
        command = json.loads(line)
        try:
            answer = COMMANDS[command["cmd"]](command, state)
        except Exception as exc:  # reported to the bench, which prints it
            answer = {"error": f"{type(exc).__name__}: {exc}"}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
