"""The scale-out backend: a collection on a Qdrant server or cluster, through qdrant-client.

The collection is created with ``shard_number``/``replication_factor`` from settings, the same named
vectors as the Edge shard and the same payload indexes. Tests pass a ``QdrantClient(":memory:")``
(qdrant-client's pure-Python local mode) as a stand-in for a server; local mode is never the
product's store (it is brute force in pure Python, measured about 100x slower than Edge).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, Self

from haystack.core.serialization import default_from_dict, default_to_dict
from haystack.errors import FilterError
from haystack.utils import Secret, deserialize_secrets_inplace
from qdrant_client import QdrantClient
from qdrant_client import models as qm

from kb.errors import KBError, StoreError
from kb.store.base import (
    DENSE,
    E5,
    PAYLOAD_INDEXES,
    SPARSE,
    ChunkStore,
    FacetValue,
    Hit,
    PointData,
    QueryPlan,
    dimension_mismatch,
    make_hit,
)
from kb.store.filters import Condition
from kb.store.filters_server import to_server_filter
from kb.store.indexing import IndexParams
from kb.store.server_index import server_collection_config, server_search_params, server_vector_on_disk

_SCHEMA = {
    "keyword": qm.PayloadSchemaType.KEYWORD,
    "integer": qm.PayloadSchemaType.INTEGER,
    "bool": qm.PayloadSchemaType.BOOL,
}


class ServerStore(ChunkStore):
    """Chunks in a Qdrant server collection; creates it (and its payload indexes) when missing.

    ``client`` lets tests hand in an existing ``QdrantClient`` (``":memory:"``); otherwise one is
    built from ``url`` and ``api_key``. ``api_key`` is a Haystack ``Secret`` so ``to_dict`` never
    writes the key itself (a plain string is wrapped as a token secret, which refuses to serialise).
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        api_key: Secret | str | None = None,
        collection: str = "practices",
        shards: int = 1,
        replicas: int = 1,
        dense_dim: int = 384,
        return_embedding: bool = False,
        timeout: int = 30,
        client: QdrantClient | None = None,
        dense_names: tuple[str, ...] = (DENSE,),
        index: IndexParams | None = None,
    ) -> None:
        if client is None and not url:
            raise ValueError("ServerStore needs a Qdrant url (or a QdrantClient).")
        self.url = url
        self.api_key = Secret.from_token(api_key) if isinstance(api_key, str) else api_key
        self.collection = collection
        self.shards = shards
        self.replicas = replicas
        self.dense_dim = dense_dim
        self.dense_names = tuple(dense_names)
        self.index = index or IndexParams()  # HNSW, quantisation (kb.store.server_index)
        self.return_embedding = return_embedding
        self.timeout = timeout
        self._closed = False
        self._owns_client = client is None
        if client is None:
            key = self.api_key.resolve_value() if self.api_key is not None else None
            client = QdrantClient(url=url, api_key=key, timeout=timeout, check_compatibility=False)
        self.client = client
        self._ensure_collection()

    @property
    def _where(self) -> str:
        return f"collection {self.collection!r} at {self.url or 'the given client'}"

    def _ensure_collection(self) -> None:
        """Open the collection by its name, or create it behind an alias of that name.

        Readers and writers always use ``self.collection``; on a new deployment that name is an alias
        of a physical collection ``<name>-<timestamp>``, so ``kb reindex`` can build a new one and
        switch the alias atomically (:meth:`switch_alias`). A collection created by an older version
        under the plain name keeps working until its first reindex turns it into an alias.
        """
        with self._translate():
            if self.physical_collection() is None:
                physical = f"{self.collection}-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%f')}"
                self._create_physical(physical)
                self.client.update_collection_aliases(
                    [
                        qm.CreateAliasOperation(
                            create_alias=qm.CreateAlias(collection_name=physical, alias_name=self.collection)
                        )
                    ]
                )
            physical = self.physical_collection() or self.collection
            info = self.client.get_collection(physical)
        vectors = info.config.params.vectors
        params = vectors.get(DENSE) if isinstance(vectors, dict) else None
        if params is None:
            raise StoreError(f"The {self._where} has no {DENSE!r} vector: it was not created by kb.")
        if params.size != self.dense_dim:
            raise dimension_mismatch(self._where, params.size, self.dense_dim)
        # An existing collection keeps its dense vectors (the catalog refuses a model change until
        # `kb reindex` builds a collection with the new ones), as the Edge shard does.
        self.dense_names = tuple(n for n in (DENSE, E5) if isinstance(vectors, dict) and n in vectors)
        with self._translate(), warnings.catch_warnings():
            # Local mode (the test stand-in) warns that it ignores payload indexes; a server uses them.
            warnings.simplefilter("ignore", UserWarning)
            for key, kind in PAYLOAD_INDEXES.items():
                if key not in (info.payload_schema or {}):
                    self.client.create_payload_index(physical, key, _SCHEMA[kind], wait=True)

    def _create_physical(self, name: str) -> None:
        self.client.create_collection(
            name,
            vectors_config={
                name: qm.VectorParams(
                    size=self.dense_dim, distance=qm.Distance.COSINE, on_disk=server_vector_on_disk(self.index)
                )
                for name in self.dense_names
            },
            sparse_vectors_config={SPARSE: qm.SparseVectorParams(modifier=qm.Modifier.IDF)},
            shard_number=self.shards,
            replication_factor=self.replicas,
            **server_collection_config(self.index),
        )

    def _alias_target(self) -> str | None:
        for alias in self.client.get_aliases().aliases:
            if alias.alias_name == self.collection:
                return str(alias.collection_name)
        return None

    def physical_collection(self) -> str | None:
        """The collection behind ``self.collection`` (itself if it is a plain collection), or None."""
        with self._translate():
            target = self._alias_target()
            if target is not None:
                return target
            names = {c.name for c in self.client.get_collections().collections}
        return self.collection if self.collection in names else None

    def new_generation(self, dense_names: tuple[str, ...] | None = None) -> ServerStore:
        """An empty physical collection beside the live one, for ``kb reindex`` to fill (with the
        dense vectors ``dense_names``, default the live one's: a model change builds the new layout)."""
        name = f"{self.collection}-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%f')}"
        live_names = self.dense_names
        self.dense_names = tuple(dense_names or live_names)
        try:
            with self._translate():
                self._create_physical(name)
        finally:
            wanted, self.dense_names = self.dense_names, live_names
        return type(self)(
            self.url,
            api_key=self.api_key,
            collection=name,
            shards=self.shards,
            replicas=self.replicas,
            dense_dim=self.dense_dim,
            return_embedding=self.return_embedding,
            timeout=self.timeout,
            client=self.client,
            dense_names=wanted,
            index=self.index,
        )

    def switch_alias(self, target: str) -> str | None:
        """Point ``self.collection`` at ``target`` in one atomic alias change; drop what it replaced.

        Searches see the old collection until the change and the new one after it, never a missing
        or half-built one. Only a pre-alias deployment (a plain collection of that name) has a short
        gap: the collection must be deleted before an alias may take its name. Returns the name of
        the collection that was dropped.
        """
        with self._translate():
            previous = self.physical_collection()
            operations: list[Any] = []
            if previous == self.collection:  # legacy plain collection
                self.client.delete_collection(self.collection)
            elif previous is not None:
                operations.append(qm.DeleteAliasOperation(delete_alias=qm.DeleteAlias(alias_name=self.collection)))
            operations.append(
                qm.CreateAliasOperation(create_alias=qm.CreateAlias(collection_name=target, alias_name=self.collection))
            )
            self.client.update_collection_aliases(operations)
            if previous not in (None, self.collection, target):
                self.client.delete_collection(str(previous))
        return previous

    def drop(self) -> None:
        """Delete this store's physical collection (a failed reindex cleans up after itself)."""
        with self._translate():
            self.client.delete_collection(self.collection)

    # ---- lifecycle ------------------------------------------------------------------------------

    def optimize(self) -> None:
        """Nothing to do: the server's optimizers build indexes in the background."""

    def flush(self) -> None:
        """Nothing to do: every write waits for the server's acknowledgement."""

    def close(self) -> None:
        """Close the client's connections, if this store opened them (a shared client stays open). Idempotent."""
        if not self._closed:
            if self._owns_client:
                with self._translate():
                    self.client.close()
            self._closed = True

    def info(self) -> dict[str, Any]:
        """Backend, location and sizes, for ``kb stats``."""
        physical = self.physical_collection() or self.collection
        with self._translate():
            info = self.client.get_collection(physical)
        return {
            "backend": "server",
            "url": self.url,
            "collection": self.collection,
            "physical_collection": physical,
            "points": info.points_count or 0,
            "indexed_vectors": info.indexed_vectors_count or 0,
            "segments": info.segments_count,
            "dense_dim": self.dense_dim,
            "dense_vectors": list(self.dense_names),
            "dense_vectors_total": (total := (info.points_count or 0) * len(self.dense_names)),
            "unindexed_vectors": max(total - (info.indexed_vectors_count or 0), 0),
            "index_building": info.status == qm.CollectionStatus.YELLOW,  # the server's optimizers at work
            **self.index.summary(),
        }

    def to_dict(self) -> dict[str, Any]:
        """Constructor arguments (the key as an env-var reference), for Haystack serialisation."""
        return default_to_dict(
            self,
            url=self.url,
            api_key=self.api_key.to_dict() if self.api_key is not None else None,
            collection=self.collection,
            shards=self.shards,
            replicas=self.replicas,
            dense_dim=self.dense_dim,
            return_embedding=self.return_embedding,
            timeout=self.timeout,
            dense_names=list(self.dense_names),
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        """Connect to the collection described by :meth:`to_dict` output."""
        deserialize_secrets_inplace(data["init_parameters"], keys=["api_key"])
        return default_from_dict(cls, data)

    @contextmanager
    def _translate(self) -> Iterator[None]:
        """qdrant-client raises UnexpectedResponse (server), ResponseHandlingException (network) and
        ValueError (local mode): all become StoreError; our own errors and bugs pass through. A closed
        store refuses work even when its client is shared and still open."""
        if self._closed:
            raise StoreError(f"The {self._where} is closed.")
        try:
            yield
        except (KBError, FilterError, TypeError, AttributeError, KeyError):
            raise
        except Exception as exc:
            raise StoreError(f"Qdrant {self._where} failed: {exc}") from exc

    # ---- primitives ------------------------------------------------------------------------------

    def _upsert(self, points: list[PointData]) -> None:
        structs = [qm.PointStruct(id=p.id, vector=_vectors(p), payload=p.payload) for p in points]
        with self._translate():
            self.client.upsert(self.collection, structs, wait=True)

    def _existing_ids(self, point_ids: list[str]) -> set[str]:
        with self._translate():
            records = self.client.retrieve(self.collection, point_ids, with_payload=False, with_vectors=False)
        return {str(r.id) for r in records}

    def _retrieve(
        self, point_ids: list[str], with_vectors: bool | list[str], *, with_payload: bool = True
    ) -> list[Hit]:
        with self._translate():
            records = self.client.retrieve(
                self.collection, point_ids, with_payload=with_payload, with_vectors=with_vectors
            )
        return [make_hit(r.id, r.payload, r.vector) for r in records]

    def _scroll_page(
        self, condition: Condition | None, with_vectors: bool, limit: int, offset: str | None
    ) -> tuple[list[Hit], str | None]:
        with self._translate():
            records, next_offset = self.client.scroll(
                self.collection,
                scroll_filter=to_server_filter(condition),
                limit=limit,
                offset=offset,
                with_payload=True,
                with_vectors=with_vectors,
            )
        hits = [make_hit(r.id, r.payload, r.vector) for r in records]
        return hits, None if next_offset is None else str(next_offset)

    def _count(self, condition: Condition | None) -> int:
        with self._translate():
            return self.client.count(self.collection, count_filter=to_server_filter(condition), exact=True).count

    def _delete_points(self, point_ids: list[str]) -> None:
        with self._translate():
            self.client.delete(self.collection, qm.PointIdsList(points=list(point_ids)), wait=True)

    def _delete_where(self, condition: Condition) -> None:
        selector = qm.FilterSelector(filter=to_server_filter(condition) or qm.Filter())
        with self._translate():
            self.client.delete(self.collection, selector, wait=True)

    def _set_meta_where(self, condition: Condition, meta: dict[str, Any]) -> None:
        selector = qm.FilterSelector(filter=to_server_filter(condition) or qm.Filter())
        with self._translate():
            self.client.set_payload(self.collection, meta, points=selector, key="meta", wait=True)

    def _query(self, plan: QueryPlan, condition: Condition | None, e5_condition: Condition | None) -> list[Hit]:
        server_filter = to_server_filter(condition)
        e5_filter = server_filter if e5_condition is condition else to_server_filter(e5_condition)
        queries: list[tuple[Any, str]] = [([float(x) for x in v], name) for name, v in plan.dense_lists()]
        if plan.sparse is not None:
            queries.append((qm.SparseVector(indices=plan.sparse.indices, values=plan.sparse.values), SPARSE))
        params = server_search_params(self.index, self.client)  # hnsw_ef, rescoring; sparse ignores them
        lead = queries[0][1]  # a single list, or the one fusion takes its filter and floor from
        request: dict[str, Any] = {
            "query_filter": e5_filter if lead == E5 else server_filter,
            "score_threshold": plan.e5_min_score if lead == E5 else None,
            "limit": plan.limit,
            "with_payload": True,
            "with_vectors": plan.with_vectors,
            "search_params": params,
        }
        if len(queries) == 1:
            request.update(query=queries[0][0], using=lead)
        else:
            request["query"] = (
                qm.RrfQuery(rrf=qm.Rrf(k=plan.rrf_k, weights=plan.list_weights()))
                if plan.fusion == "rrf"
                else qm.FusionQuery(fusion=qm.Fusion.DBSF)
            )
            request["prefetch"] = [
                qm.Prefetch(
                    query=q,
                    using=using,
                    filter=e5_filter if using == E5 else server_filter,
                    score_threshold=plan.e5_min_score if using == E5 else None,
                    limit=plan.prefetch_limit,
                    params=params,
                )
                for q, using in queries
            ]
        with self._translate():
            response = self.client.query_points(self.collection, **request)
        return [make_hit(p.id, p.payload, p.vector, p.score) for p in response.points]

    def _facet(self, key: str, condition: Condition | None, limit: int) -> list[tuple[FacetValue, int]]:
        with self._translate():
            response = self.client.facet(
                self.collection, key, facet_filter=to_server_filter(condition), limit=limit, exact=True
            )
        return [(hit.value, hit.count) for hit in response.hits]


def _vectors(point: PointData) -> dict[str, Any]:
    vectors: dict[str, Any] = {}
    if point.dense is not None:
        vectors[DENSE] = point.dense
    if point.e5 is not None:
        vectors[E5] = point.e5
    if point.sparse is not None:
        vectors[SPARSE] = qm.SparseVector(indices=point.sparse.indices, values=point.sparse.values)
    return vectors
