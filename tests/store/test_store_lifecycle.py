"""Opening, locking, configuration checks, serialisation and error translation."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from haystack.dataclasses import Document
from haystack.errors import FilterError
from haystack.utils import Secret
from qdrant_client import QdrantClient

from kb.errors import ConfigError, QueryError, StoreError, StoreLockedError
from kb.settings import Settings
from kb.store import ChunkStore, EdgeStore, ServerStore, open_store
from kb.store.base import PAYLOAD_INDEXES

from .helpers import DIM

REPO_ROOT = Path(__file__).resolve().parents[2]


def _locked_message(kb_dir: Path) -> str:
    return (
        f"The knowledge base at {kb_dir} is in use by another process (is `kb serve` running?). "
        "Stop that process, or send the files through the running server: "
        "kb ingest --server URL --key KEY PATH"
    )


def test_open_store_creates_then_loads_the_edge_shard(edge_dir: Path) -> None:
    settings = Settings(kb_dir=edge_dir / "kb")
    with open_store(settings, dense_dim=DIM) as store:
        assert isinstance(store, EdgeStore)
        assert store.path == settings.index_dir
        assert store.dense_names == ("dense", "e5")  # the default: MiniLM and e5 per chunk (minilm+e5)
        store.write_documents([Document(id="a", content="hello", embedding=[1.0] * DIM * 2)])
        info = store.info()
        assert (info["backend"], info["points"], info["dense_dim"]) == ("edge", 1, DIM)
        assert info["dense_vectors"] == ["dense", "e5"]
        assert set(store.shard.info().payload_schema) == set(PAYLOAD_INDEXES)
    with open_store(settings, dense_dim=DIM) as store:  # the lock was released by the context manager
        assert store.count_documents() == 1


@pytest.mark.slow
def test_second_process_gets_a_clear_locked_error(edge_dir: Path) -> None:
    kb_dir = edge_dir / "kb"
    script = textwrap.dedent(
        f"""
        import sys
        from kb.errors import StoreLockedError
        from kb.settings import Settings
        from kb.store import open_store
        try:
            open_store(Settings(kb_dir={str(kb_dir)!r}), dense_dim={DIM})
        except StoreLockedError as exc:
            print(exc)
            print("qdrant_client imported:", "qdrant_client" in sys.modules)
            sys.exit(3)
        sys.exit(0)
        """
    )
    with open_store(Settings(kb_dir=kb_dir), dense_dim=DIM):
        result = subprocess.run(
            [sys.executable, "-c", script], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120
        )
    assert result.returncode == 3, result.stderr
    message, imported = result.stdout.strip().splitlines()
    assert message == _locked_message(kb_dir)
    assert imported == "qdrant_client imported: False"  # the embedded path does not pay for the client
    # Release after close is checked in-process (the same flock): test_open_store_creates_then_loads.


def test_second_open_in_the_same_process_is_locked_too(edge_dir: Path) -> None:
    with EdgeStore(edge_dir / "index", dense_dim=DIM, kb_dir=edge_dir), pytest.raises(StoreLockedError) as err:
        EdgeStore(edge_dir / "index", dense_dim=DIM, kb_dir=edge_dir)
    assert str(err.value) == _locked_message(edge_dir)


def test_edge_index_built_with_another_model_needs_reindex(edge_dir: Path) -> None:
    EdgeStore(edge_dir / "index", dense_dim=DIM).close()
    with pytest.raises(ConfigError, match=r"another embedding model \(8-dimensional.*gives 384.*kb reindex"):
        open_store(Settings(kb_dir=edge_dir), dense_dim=384)


def test_server_collection_built_with_another_model_needs_reindex() -> None:
    client = QdrantClient(":memory:")
    ServerStore(client=client, collection="practices", dense_dim=DIM)
    with pytest.raises(ConfigError, match="kb reindex"):
        ServerStore(client=client, collection="practices", dense_dim=384)


def test_server_collection_gets_the_payload_indexes() -> None:
    client = QdrantClient(":memory:")
    store = ServerStore(client=client, collection="practices", dense_dim=DIM, shards=2, replicas=1)
    info = client.get_collection("practices")
    assert info.config.params.sparse_vectors is not None
    assert set(info.config.params.sparse_vectors) == {"bm25"}
    assert store.info()["backend"] == "server"


def test_unreachable_server_is_a_store_error() -> None:
    settings = Settings(kb_dir=Path("unused"), qdrant_url="http://127.0.0.1:9", qdrant_api_key=None)
    with pytest.raises(StoreError, match=r"127\.0\.0\.1:9"):
        open_store(settings, dense_dim=DIM)


def test_backend_failures_become_store_errors(store: ChunkStore) -> None:
    store.close()
    with pytest.raises(StoreError):
        store.count_documents()


def test_input_errors(store: ChunkStore) -> None:
    with pytest.raises(QueryError, match="dense vector, a sparse vector or both"):
        store.query()
    with pytest.raises(QueryError, match="another model"):
        store.query(dense=[0.1] * (DIM + 1))
    with pytest.raises(QueryError) as err:
        store.query(dense=[0.1] * DIM, filters={"field": "states", "operator": "==", "value": "Kerala"})
    assert isinstance(err.value, FilterError) and "meta.states" in str(err.value)
    with pytest.raises(QueryError, match="Cannot facet"):
        store.facet("meta.title")
    with pytest.raises(QueryError, match="needs a filter"):
        store.delete_by_filter({})
    with pytest.raises(ConfigError, match="kb reindex"):
        store.write_documents([Document(content="x", embedding=[0.1] * (DIM + 1))])


def test_edge_to_dict_round_trip(edge_dir: Path) -> None:
    store = EdgeStore(edge_dir / "index", dense_dim=DIM, return_embedding=True)
    data = store.to_dict()
    assert data == {
        "type": "kb.store.edge.EdgeStore",
        "init_parameters": {
            "path": str(edge_dir / "index"),
            "dense_dim": DIM,
            "return_embedding": True,
            "kb_dir": str(edge_dir),
            "dense_names": ["dense"],
        },
    }
    store.close()
    with EdgeStore.from_dict(data) as again:
        assert again.return_embedding and again.dense_dim == DIM and again.dense_names == ("dense",)


def test_server_to_dict_keeps_the_key_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KB_QDRANT_API_KEY", "s3cret")
    store = ServerStore(
        "http://qdrant:6333",
        api_key=Secret.from_env_var("KB_QDRANT_API_KEY"),
        client=QdrantClient(":memory:"),
        dense_dim=DIM,
    )
    data = store.to_dict()
    assert "s3cret" not in repr(data)
    assert data["init_parameters"]["api_key"] == {"type": "env_var", "env_vars": ["KB_QDRANT_API_KEY"], "strict": True}
    assert data["init_parameters"]["url"] == "http://qdrant:6333"
    with pytest.raises(ValueError):  # Haystack refuses to serialise a literal key
        ServerStore(client=QdrantClient(":memory:"), api_key="literal", dense_dim=DIM).to_dict()
