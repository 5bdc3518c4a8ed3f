"""The public surface of ``kb`` is what its ``__init__`` exports, and importing it stays light."""

from __future__ import annotations

import inspect
import subprocess
import sys

import kb
import kb.store


def test_kb_exports_exactly_its_public_members() -> None:
    # submodules appear as attributes once something imports them; they are not exports
    exported = {name for name in dir(kb) if not name.startswith("_") and not inspect.ismodule(getattr(kb, name))}
    assert exported == set(kb.__all__)
    assert set(kb.store.__all__) >= {"open_store", "ChunkStore", "EdgeStore", "ServerStore", "Bm25Encoder"}


def test_importing_kb_and_the_cli_loads_no_heavy_libraries() -> None:
    heavy = "('torch', 'haystack', 'qdrant_client')"
    code = f"import sys, kb, search, search.cli; print(sorted(m for m in {heavy} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
