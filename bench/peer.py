"""txtai beside us, on the same MiniLM weights (issue 16 item 6): the peer's process, and its SciFact run.

    .venv/bin/python -m bench.peer            # SciFact nDCG@10: txtai hybrid vs ours, same dense vectors

txtai lives in its own venv so it can never become a dependency; create it once with

    python3.11 -m venv /tmp/txtai-venv && /tmp/txtai-venv/bin/pip install torch==2.13.0 txtai

(``KB_TXTAI_PYTHON`` points elsewhere). Without it the peer is skipped with that message.
:class:`TxtaiPeer` drives ``bench/txtai_worker.py`` in that venv over JSON lines; ``bench.ingest_speed``
uses it for indexing time per chunk and query latency on our own chunks, interleaved with ours.
The SciFact run here feeds txtai the dense vectors our benchmark cached (``bench/scifact_data.py``), so
both sides rank with identical MiniLM vectors and the figures compare BM25 and fusion.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import tempfile
from pathlib import Path
from typing import Any

TXTAI_PYTHON = Path(os.environ.get("KB_TXTAI_PYTHON", "/tmp/txtai-venv/bin/python"))
WORKER = Path(__file__).with_name("txtai_worker.py")
MISSING = (
    f"txtai peer skipped: no {TXTAI_PYTHON}; create it with `python3.11 -m venv /tmp/txtai-venv && "
    "/tmp/txtai-venv/bin/pip install torch==2.13.0 txtai` (never in the project's .venv)"
)


class TxtaiPeer:
    """One txtai worker process; :meth:`call` sends a command and returns its answer."""

    def __init__(self, threads: int = 1) -> None:
        """``threads``: torch's intra-op threads in the worker (as ours, so neither side has more cores)."""
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "OMP_NUM_THREADS": str(threads)}
        env.pop("PYTHONPATH", None)
        self.process = subprocess.Popen(
            [str(TXTAI_PYTHON), str(WORKER)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            text=True,
        )

    @staticmethod
    def available() -> bool:
        return TXTAI_PYTHON.exists()

    def call(self, cmd: str, **fields: Any) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps({"cmd": cmd, **fields}) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the txtai worker exited ({self.process.wait()})")
        answer: dict[str, Any] = json.loads(line)
        if "error" in answer:
            raise RuntimeError(f"txtai: {answer['error']}")
        return answer

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=60)

    def __enter__(self) -> TxtaiPeer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def scifact_ndcg() -> dict[str, float]:
    """nDCG@10 and recall@100 of txtai's hybrid on SciFact (doc variant) with our cached MiniLM vectors."""
    from bench.scifact_data import load_queries, passages, query_vectors
    from kb.settings import Settings
    from search.evaluation import ndcg_at, recall_at

    settings = Settings()
    units = passages("doc", settings)
    queries = load_queries()
    with tempfile.TemporaryDirectory(prefix="kb-peer-") as tmp:
        import numpy as np

        folder = Path(tmp)
        texts = [f"{title}\n{text}" for title, text in zip(units.titles, units.texts, strict=True)]
        (folder / "texts.jsonl").write_text(
            "".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in zip(units.doc_ids, texts, strict=True))
        )
        (folder / "queries.jsonl").write_text("".join(json.dumps({"text": q.text}) + "\n" for q in queries))
        np.save(folder / "vectors.npy", units.dense)
        np.save(folder / "queries.npy", query_vectors(queries, settings))
        with TxtaiPeer() as peer:
            ranked = peer.call(
                "scifact",
                texts=str(folder / "texts.jsonl"),
                vectors=str(folder / "vectors.npy"),
                queries=str(folder / "queries.jsonl"),
                query_vectors=str(folder / "queries.npy"),
            )["ranked"]
    return {
        "ndcg@10": round(statistics.fmean(ndcg_at(r, q.relevant, 10) for r, q in zip(ranked, queries, strict=True)), 4),
        "recall@100": round(
            statistics.fmean(recall_at(r, q.relevant, 100) for r, q in zip(ranked, queries, strict=True)), 4
        ),
    }


def main() -> None:
    if not TxtaiPeer.available():
        print(MISSING)
        return
    print("SciFact (doc variant, 300 test queries), same MiniLM vectors on both sides")
    print(f"txtai hybrid (BM25 + dense, its default fusion): {scifact_ndcg()}")
    print("ours: `python -m bench.scifact --variant doc` (hybrid row)")


if __name__ == "__main__":
    main()
