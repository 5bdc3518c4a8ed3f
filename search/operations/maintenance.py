"""Rebuilding the index from the catalog, switching over only when the new index is complete.

For the embedded store the new shard is built beside the old one (``index.building``) and swapped in
by renaming, so a crash mid-way leaves the old index intact and searches never see a half-built one.
A Qdrant server collection is rebuilt in place (documented limitation: use an alias for zero downtime).
"""

from __future__ import annotations

import shutil

from ingest.service import Ingestor
from kb.catalog import Catalog
from kb.embedding import DENSE_DIM
from kb.settings import Settings
from kb.store import open_store


def rebuild_index(settings: Settings) -> int:
    """Re-chunk and re-embed every active document; returns the number of chunks written."""
    # Opening the live store first fails fast (StoreLockedError) if a server holds the KB.
    live = open_store(settings, dense_dim=DENSE_DIM)
    catalog = Catalog(settings.catalog_path)
    try:
        if settings.qdrant_url:
            live.delete_by_filter({"field": "meta.chunk_index", "operator": ">=", "value": 0})
            ingestor = Ingestor(settings, store=live, catalog=catalog)
            ingestor.warm_up()
            total = ingestor.reindex_into(live)
            catalog.set_index_model(settings.dense_model_name)
            return total
        live.close()
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
        catalog.set_index_model(settings.dense_model_name)
        return total
    finally:
        catalog.close()
        if settings.qdrant_url:
            live.close()
