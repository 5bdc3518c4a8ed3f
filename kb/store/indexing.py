"""HNSW and quantisation settings for both backends, and the embedded store's background index build.

Why a build beside the live shard: Qdrant Edge has no background optimizer, and its ``optimize()``
holds Python's GIL for the whole HNSW build (measured: a thread ticking every millisecond saw one
17 s gap during a 17 s optimize of 10k points), so running it in a thread freezes every search and
request of the process. The shard's WAL lock also keeps a second process out. So
:class:`BackgroundBuild` copies the shard (writes wait for the copy, searches go on), lets a child
process build HNSW on the copy (``nice``, its own GIL), journals the writes made meanwhile, and
swaps the built copy in: close the old shard, rename, load, replay the journal. Searches wait only
for that swap (under a second at 20k points).
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import qdrant_edge as qe

from kb.store.base import SPARSE

if TYPE_CHECKING:
    from kb.settings import Settings

log = logging.getLogger(__name__)

# Chosen by measurement (docs/benchmarks.md, "Scale: HNSW and quantisation"): recall@10 against exact
# search on real MiniLM embeddings of SciFact.
HNSW_M = 16
HNSW_EF_CONSTRUCT = 100
FULL_SCAN_THRESHOLD_KB = 10_000  # Qdrant's default: filtered searches below it scan exactly
QUANTILE = 0.99
# A built index is rebuilt only when the unindexed part is also this share of all vectors: every
# build copies the whole shard, which must not happen every few thousand new chunks at a million.
REBUILD_SHARE = 0.05
# A bulk ingest triggers the build once it pauses this long: copying mid-ingest would copy again soon.
QUIET_SECONDS = 2.0

_CHILD = (
    "import os, sys, qdrant_edge as qe\n"
    "os.nice(10)\n"
    "shard = qe.EdgeShard.load(sys.argv[1])\n"
    "shard.optimize()\n"
    "shard.close()\n"
)


@dataclass(frozen=True)
class IndexParams:
    """How dense vectors are indexed and searched, the same on Edge and on a Qdrant server."""

    indexing_threshold_kb: int = 10_000
    hnsw_ef: int = 128
    quantization: bool = True
    m: int = HNSW_M
    ef_construct: int = HNSW_EF_CONSTRUCT

    @classmethod
    def from_settings(cls, settings: Settings) -> IndexParams:
        """The parameters ``KB_INDEXING_THRESHOLD_KB``, ``KB_HNSW_EF`` and ``KB_QUANTIZATION`` give."""
        return cls(
            indexing_threshold_kb=settings.indexing_threshold_kb,
            hnsw_ef=settings.hnsw_ef,
            quantization=settings.quantization == "int8",
        )

    def summary(self) -> dict[str, Any]:
        """The parameters as ``kb stats --json`` reports them."""
        return {
            "indexing_threshold_kb": self.indexing_threshold_kb,
            "hnsw_m": self.m,
            "hnsw_ef_construct": self.ef_construct,
            "hnsw_ef": self.hnsw_ef,
            "quantization": "int8" if self.quantization else "none",
        }


def unindexed_kb(unindexed_vectors: int, dim: int) -> float:
    """Kilobytes of float32 vectors outside any HNSW index (the unit of Qdrant's threshold)."""
    return unindexed_vectors * dim * 4 / 1024


def needs_build(params: IndexParams, *, vectors: int, indexed: int, dim: int) -> bool:
    """Whether the unindexed vectors pass the threshold (and, once built, a share of the whole)."""
    unindexed = max(vectors - indexed, 0)
    if params.indexing_threshold_kb <= 0 or unindexed_kb(unindexed, dim) <= params.indexing_threshold_kb:
        return False
    return indexed == 0 or unindexed >= REBUILD_SHARE * vectors


class RWLock:
    """Many readers or one writer; readers never wait for a waiting writer, so reads may nest.

    The swap of a built index is the only writer and can wait; searches must not queue behind it.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0

    @contextmanager
    def read(self) -> Iterator[None]:
        with self._cond:
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                if not self._readers:
                    self._cond.notify_all()

    @contextmanager
    def write(self) -> Iterator[None]:
        with self._cond:
            self._cond.wait_for(lambda: self._readers == 0)
            yield


class BackgroundBuild(threading.Thread):
    """One build of the HNSW index beside a live Edge shard, run by :class:`~kb.store.edge.EdgeStore`.

    ``copy`` (with writes held) copies the shard and starts the journal; ``swap`` (with reads and
    writes held) replaces the live shard by the built copy and replays the journal. Both are the
    store's, so this class knows nothing of its locks. ``cancel`` stops the child and drops the copy.
    """

    def __init__(
        self,
        path: Path,
        *,
        copy: Callable[[Path], None],
        swap: Callable[[Path], None],
        done: Callable[[bool], None],
        quiet: Callable[[], float],
    ) -> None:
        super().__init__(name=f"hnsw-build {path.name}", daemon=True)
        self.path = path
        self.copy_path = build_path(path)
        self._copy, self._swap, self._done, self._quiet = copy, swap, done, quiet
        self._child: subprocess.Popen[bytes] | None = None
        self._cancelled = threading.Event()
        self.error: str | None = None
        self.swapped = False

    def run(self) -> None:
        try:
            while self._quiet() < QUIET_SECONDS and not self._cancelled.wait(0.2):
                pass  # wait for a pause in the writes
            if self._cancelled.is_set():
                return
            shutil.rmtree(self.copy_path, ignore_errors=True)
            self._copy(self.copy_path)
            if self._cancelled.is_set():
                return
            self._child = subprocess.Popen(
                [sys.executable, "-c", _CHILD, str(self.copy_path)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            _, err = self._child.communicate()
            if self._cancelled.is_set():
                return
            if self._child.returncode != 0:
                self.error = err.decode(errors="replace")[-500:] or f"exit code {self._child.returncode}"
                log.warning("HNSW build of %s failed: %s", self.path, self.error)
                return
            self._swap(self.copy_path)
            self.swapped = True
        except Exception as exc:  # a failed build leaves the live shard as it was
            self.error = str(exc)
            log.warning("HNSW build of %s failed: %s", self.path, exc)
        finally:
            shutil.rmtree(self.copy_path, ignore_errors=True)
            shutil.rmtree(old_path(self.path), ignore_errors=True)
            self._done(self.swapped and not self._cancelled.is_set())

    def cancel(self) -> None:
        """Stop the child (the live shard never saw the copy) and wait for the thread."""
        self._cancelled.set()
        if self._child is not None and self._child.poll() is None:
            self._child.terminate()
        if self.is_alive() and threading.current_thread() is not self:
            self.join(timeout=30)


def build_path(path: Path) -> Path:
    """Where the copy being indexed lives, beside the shard."""
    return path.with_name(path.name + ".hnsw")


def old_path(path: Path) -> Path:
    """Where the replaced shard waits for deletion during a swap."""
    return path.with_name(path.name + ".replaced")


def disk_usage(path: Path) -> int:
    """Bytes the files under ``path`` occupy on disk (holes of sparse files not counted)."""
    return sum(p.stat().st_blocks * 512 for p in path.rglob("*") if p.is_file())


def copy_shard(source: Path, target: Path) -> None:
    """Copy a flushed shard, keeping the holes of its sparse memory-mapped files (``cp --sparse``)."""
    subprocess.run(["cp", "-a", "--sparse=always", str(source), str(target)], check=True, capture_output=True)


def recover_swap(path: Path) -> None:
    """Tidy up after a crash during a build or swap (the journal is replayed before any rename, so
    whichever shard sits at ``path`` is complete): the replaced one comes back if the new one is missing."""
    if not path.exists() and old_path(path).exists():
        os.rename(old_path(path), path)
    shutil.rmtree(old_path(path), ignore_errors=True)
    shutil.rmtree(build_path(path), ignore_errors=True)


def edge_search_params(params: IndexParams) -> qe.SearchParams:
    """Search breadth for HNSW segments, and rescoring with the originals when quantised."""
    quantization = qe.QuantizationSearchParams(rescore=True) if params.quantization else None
    return qe.SearchParams(hnsw_ef=params.hnsw_ef, quantization=quantization)


def edge_config_extras(params: IndexParams) -> dict[str, Any]:
    """``EdgeConfig`` keywords: collection-wide, so they apply to every dense vector the shard declares."""
    quantization = (
        qe.ScalarQuantizationConfig(type=qe.ScalarType.Int8, quantile=QUANTILE, memory=qe.Memory.Cached)
        if params.quantization
        else None
    )
    return {
        "hnsw_config": qe.HnswIndexConfig(
            m=params.m, ef_construct=params.ef_construct, full_scan_threshold=FULL_SCAN_THRESHOLD_KB
        ),
        "quantization_config": quantization,
        "optimizers": qe.EdgeOptimizersConfig(indexing_threshold=params.indexing_threshold_kb),
    }


def edge_vector_memory(params: IndexParams) -> dict[str, Any]:
    """``EdgeVectorParams`` keywords: quantised, the float32 originals stay on disk (read to rescore)."""
    return {"memory": qe.Memory.Cold} if params.quantization else {}


class EdgeIndexing:
    """The background HNSW build of :class:`~kb.store.edge.EdgeStore` (see the module docstring).

    Every shard write goes through :meth:`_apply`, which holds ``_write_mutex`` and journals the
    operation while a build runs; reads hold ``_rw.read()`` (in the store's ``_translate``), the swap
    ``_rw.write()``. Builds start after writes once :func:`needs_build` says so, or from
    :meth:`index_if_needed` (``kb serve`` at start-up; ``kb ingest`` waits for it).
    """

    path: Path
    index: IndexParams
    dense_dim: int
    dense_names: tuple[str, ...] = ("dense",)  # the dense vectors the shard declares (EdgeStore sets them)
    _shard: qe.EdgeShard | None
    _rw: RWLock
    _write_mutex: threading.Lock
    _journal: list[qe.UpdateOperation] | None
    _build: BackgroundBuild | None
    _writes_since_check: int
    _last_write: float

    if TYPE_CHECKING:  # provided by EdgeStore

        @property
        def shard(self) -> qe.EdgeShard: ...

        def _translate(self) -> AbstractContextManager[None]: ...

        def _config(self) -> qe.EdgeConfig: ...

    def _init_indexing(self, params: IndexParams) -> None:
        self.index = params
        self._rw = RWLock()
        self._write_mutex = threading.Lock()
        self._journal = None
        self._build = None
        self._writes_since_check = 0
        self._last_write = 0.0

    def _apply(self, operation: qe.UpdateOperation, points: int = 0) -> None:
        """One shard write, journalled while a build runs; may start a build."""
        with self._write_mutex, self._translate():
            self.shard.update(operation)
            if self._journal is not None:
                self._journal.append(operation)
            self._last_write = time.monotonic()
        self._writes_since_check += points
        # info() is cheap but not free: look once per threshold's worth of points written
        if points and self._writes_since_check * self.dense_dim * 4 / 1024 >= max(self.index.indexing_threshold_kb, 1):
            self._writes_since_check = 0
            self.index_if_needed()

    def indexing_status(self) -> dict[str, Any]:
        """Indexed and unindexed dense vectors, and whether a build runs, for ``kb stats``."""
        with self._translate():
            info = self.shard.info()
            # Edge counts sparse vectors (always in their inverted index) among the indexed ones
            has_sparse = qe.Filter(must=[qe.HasVectorCondition(SPARSE)])
            sparse = self.shard.count(qe.CountRequest(exact=True, filter=has_sparse)) if info.points_count else 0
        vectors = info.points_count * len(self.dense_names)
        build = self._build
        return {
            "dense_vectors_total": vectors,
            "unindexed_vectors": max(vectors - (info.indexed_vectors_count - sparse), 0),
            "segments": info.segments_count,
            "index_building": build is not None and build.is_alive(),
            "last_build_error": build.error if build is not None else None,
            **self.index.summary(),
        }

    def index_if_needed(self, *, wait: bool = False) -> bool:
        """Start a background HNSW build if the unindexed vectors pass the threshold (and none runs).

        Returns whether a build runs (or, with ``wait``, ran). ``wait`` blocks until it is swapped in.
        """
        build = self._build
        if build is None or not build.is_alive() or build is threading.current_thread():
            status = self.indexing_status()
            if not needs_build(
                self.index,
                vectors=status["dense_vectors_total"],
                indexed=status["dense_vectors_total"] - status["unindexed_vectors"],
                dim=self.dense_dim,
            ):
                return False
            build = self._build = BackgroundBuild(
                self.path,
                copy=self._copy_for_build,
                swap=self._swap_built,
                done=self._build_done,
                quiet=lambda: time.monotonic() - self._last_write,
            )
            build.start()
        if wait:
            build.join()
        return True

    def _copy_for_build(self, target: Path) -> None:
        from kb.diskspace import ensure_free_space

        with self._write_mutex:
            with self._translate():
                self.shard.flush()
            ensure_free_space(self.path, needed=disk_usage(self.path), reserve=0)
            copy_shard(self.path, target)
            self._journal = []

    def _swap_built(self, built: Path) -> None:
        with self._write_mutex:
            journal, self._journal = self._journal or [], None
            with self._translate():
                # replayed before any rename, so whichever shard sits at `path` after a crash is complete
                fresh = qe.EdgeShard.load(str(built), self._config())
                for operation in journal:
                    fresh.update(operation)
                fresh.flush()
                fresh.close()
            with self._rw.write():
                old, self._shard = self._shard, None
                if old is not None:
                    old.close()
                os.rename(self.path, old_path(self.path))
                os.rename(built, self.path)
                with self._translate():
                    self._shard = qe.EdgeShard.load(str(self.path), self._config())

    def _build_done(self, swapped: bool) -> None:
        """End the journal; after a swap, build again if the writes made meanwhile pass the threshold."""
        with self._write_mutex:
            self._journal = None
        if swapped and self._shard is not None:
            self.index_if_needed()

    def _stop_build(self) -> None:
        """Cancel a running build (``close``): the live shard never depended on it."""
        build, self._build = self._build, None
        if build is not None:
            build.cancel()
        self._journal = None
