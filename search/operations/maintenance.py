"""Rebuilding the index from the catalog, switching over only when the new index is complete.

Searches never see a missing or half-built index:

- **Qdrant Edge** (embedded): the new shard is built beside the old one (``index.building``) and
  swapped in by renaming, so a crash mid-way leaves the old index intact.
- **Qdrant server**: the collection name is an alias; a new physical collection is filled, the alias
  is switched to it in one atomic change, and the old collection is dropped. Writes that landed in
  the old collection while the new one was being built are carried over afterwards by a consistency
  pass (``kb check --repair``'s reconciliation), so nothing written meanwhile is lost.
"""

from __future__ import annotations

import shutil

from ingest.consistency import check_consistency, repair
from ingest.service import Ingestor
from kb.catalog import Catalog
from kb.embedding import DENSE_DIM
from kb.settings import Settings
from kb.store import ChunkStore, dense_vector_names, open_store


def rebuild_index(settings: Settings) -> int:
    """Re-chunk and re-embed every active document; returns the number of chunks written."""
    # Opening the live store first fails fast (StoreLockedError) if a server holds the KB.
    live = open_store(settings, dense_dim=DENSE_DIM)
    catalog = Catalog(settings.resolved_catalog_url())
    try:
        total = (
            _rebuild_on_server(settings, live, catalog)
            if settings.qdrant_url
            else _rebuild_embedded(settings, live, catalog)
        )
        catalog.set_index_model(settings.dense_model_name)
        return total
    finally:
        catalog.close()
        live.close()


def _rebuild_on_server(settings: Settings, live: ChunkStore, catalog: Catalog) -> int:
    from kb.store.server import ServerStore

    assert isinstance(live, ServerStore)
    fresh = live.new_generation(dense_vector_names(settings))  # the layout of the current model
    try:
        ingestor = Ingestor(settings, store=fresh, catalog=catalog)
        ingestor.warm_up()
        total = ingestor.reindex_into(fresh)
    except BaseException:
        fresh.drop()  # the live collection was never touched
        raise
    live.switch_alias(fresh.collection)
    # Writes during the rebuild went to the old collection: bring the new one up to the catalog.
    catch_up = Ingestor(settings, store=live, catalog=catalog)
    catch_up.warm_up()
    repair(catch_up, check_consistency(catalog, live))
    return total


def _rebuild_embedded(settings: Settings, live: ChunkStore, catalog: Catalog) -> int:
    live.close()  # Edge: release the lock; the swap below happens on disk
    building_settings = settings.model_copy(update={"index_name": "index.building"})
    shutil.rmtree(building_settings.index_dir, ignore_errors=True)
    fresh = open_store(building_settings, dense_dim=DENSE_DIM)
    try:
        ingestor = Ingestor(settings, store=fresh, catalog=catalog)
        ingestor.warm_up()
        total = ingestor.reindex_into(fresh)
        fresh.optimize()
    finally:
        fresh.close()
    old = settings.kb_dir / "index.old"
    shutil.rmtree(old, ignore_errors=True)
    if settings.index_dir.exists():
        settings.index_dir.rename(old)
    building_settings.index_dir.rename(settings.index_dir)
    shutil.rmtree(old, ignore_errors=True)
    return total
