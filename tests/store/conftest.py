"""Store fixtures: the same tests run on Qdrant Edge (tmp_path) and on the server backend.

The server backend runs against qdrant-client's ``:memory:`` local mode, the only Qdrant "server"
installable here. Vectors are small (8-d) and deterministic: no model is loaded in store tests.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kb.store import ChunkStore, EdgeStore

from .helpers import DIM, StoreFactory, make_server

EdgeFactory = Callable[..., EdgeStore]


@pytest.fixture
def edge_dir(tmp_path: Path) -> Iterator[Path]:
    """A fresh directory for Edge shards, in RAM (/dev/shm) when the machine has it.

    Every Edge update is fsynced: on this shared disk creating a shard (12 payload indexes) takes
    0.2-1.5 s, in tmpfs 0.04 s. Durability is not what these tests check (persistence across
    close/reopen is, and works the same in tmpfs).
    """
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        path = Path(tempfile.mkdtemp(prefix="kb-store-test-", dir=shm))
        yield path
        shutil.rmtree(path, ignore_errors=True)
    else:
        yield tmp_path


@pytest.fixture
def edge_factory(edge_dir: Path) -> Iterator[EdgeFactory]:
    """Opens new Edge stores (a new directory per call); closes them after the test."""
    opened: list[EdgeStore] = []

    def factory(**kwargs: Any) -> EdgeStore:
        kwargs.setdefault("dense_dim", DIM)
        store = EdgeStore(edge_dir / f"index-{len(opened)}", **kwargs)
        opened.append(store)
        return store

    yield factory
    for store in opened:
        store.close()


@pytest.fixture(params=["edge", "server"])
def backend(request: pytest.FixtureRequest) -> str:
    """Which backend a parametrised test runs on."""
    return str(request.param)


@pytest.fixture
def store_factory(backend: str, edge_factory: EdgeFactory) -> Iterator[StoreFactory]:
    """Builds empty stores of the current backend; closes them all after the test."""
    opened: list[ChunkStore] = []

    def factory(**kwargs: Any) -> ChunkStore:
        if backend == "edge":
            return edge_factory(**kwargs)
        kwargs.setdefault("dense_dim", DIM)
        store = make_server(**kwargs)
        opened.append(store)
        return store

    yield factory
    for store in opened:
        store.close()


@pytest.fixture
def store(store_factory: StoreFactory) -> ChunkStore:
    """An empty 8-d store of the current backend."""
    return store_factory()
