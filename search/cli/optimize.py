"""``kb optimize``: build the HNSW indexes and merge segments now, for operators.

A serving process builds HNSW on its own in the background once the unindexed vectors pass
``KB_INDEXING_THRESHOLD_KB`` (:mod:`kb.store.indexing`); this command is for a KB nobody serves
(after a bulk load, before a benchmark) and blocks until the index is built (minutes at 100k chunks).
On a Qdrant server it only reports: the server's optimizers build indexes themselves.
"""

from __future__ import annotations

import time
from pathlib import Path

import click

from search.cli.common import emit_json, kb_dir_option, make_settings, require_kb
from search.cli.running import explain_lock

_SHOWN = ("points", "dense_vectors_total", "unindexed_vectors", "segments")


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Index state before and after, as JSON.")
@kb_dir_option
def optimize(as_json: bool, kb_dir: Path | None) -> None:
    """Build the vector index (HNSW) and merge segments now; needs the KB to itself (stop kb serve)."""
    from kb.embedding import DENSE_DIM
    from kb.store import open_store

    settings = make_settings(kb_dir)
    require_kb(settings)
    with explain_lock(settings, "reindex"):
        store = open_store(settings, dense_dim=DENSE_DIM)
    try:
        before = store.info()
        started = time.perf_counter()
        store.optimize()
        seconds = time.perf_counter() - started
        after = store.info()
    finally:
        store.close()
    data = {"seconds": round(seconds, 2), "before": before, "after": after}
    if as_json:
        emit_json(data)
        return
    for label, info in (("before", before), ("after", after)):
        click.echo(f"{label}: " + ", ".join(f"{key.replace('_', ' ')} {info.get(key)}" for key in _SHOWN))
    click.echo(f"optimized in {seconds:.1f} s")
