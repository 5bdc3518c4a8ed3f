"""The public surface of ``kb``, ``ingest`` and ``search`` is what their ``__init__`` exports (httpx pins
its own the same way), and importing them stays light."""

from __future__ import annotations

import inspect
import subprocess
import sys
from types import ModuleType

import pytest

import ingest
import kb
import kb.store
import search

INGEST = {
    "Chunker",
    "DocumentPreparer",
    "Ingestor",
    "check_consistency",
    "convert_bytes",
    "convert_path",
    "discover_files",
    "repair",
    "sniff_media_type",
}
SEARCH = {
    "AssistantService",
    "Citation",
    "Documents",
    "RetrieveRequest",
    "RetrieveResponse",
    "SearchFilters",
    "SearchRequest",
    "SearchResponse",
    "SearchResult",
    "Searcher",
    "create_app",
}


def exported(package: ModuleType) -> set[str]:
    """Public names of ``package`` that are not submodules (those appear once something imports them)."""
    return {name for name in dir(package) if not name.startswith("_") and not inspect.ismodule(getattr(package, name))}


def test_kb_exports_exactly_its_public_members() -> None:
    assert exported(kb) == set(kb.__all__)
    assert set(kb.store.__all__) >= {"open_store", "ChunkStore", "EdgeStore", "ServerStore", "Bm25Encoder"}


@pytest.mark.parametrize(("package", "members"), [(ingest, INGEST), (search, SEARCH)], ids=["ingest", "search"])
def test_ingest_and_search_export_exactly_their_public_members(package: ModuleType, members: set[str]) -> None:
    # the names load on first use; each one is the object its own module defines under that name
    assert set(package.__all__) == members
    assert exported(package) == members
    for name in members:
        value = getattr(package, name)
        assert value.__name__ == name and value.__module__.startswith(package.__name__ + "."), name
    with pytest.raises(AttributeError):
        package.not_exported  # noqa: B018


def test_importing_the_packages_and_the_cli_loads_no_heavy_libraries() -> None:
    heavy = "('torch', 'haystack', 'qdrant_client')"
    code = f"import sys, kb, ingest, search, search.cli; print(sorted(m for m in {heavy} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
