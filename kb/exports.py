"""Lazy package exports (PEP 562): a package lists its public names and the modules that define
them, and each name is imported on first use.

Why: ``ingest`` and ``search`` export classes whose modules import Haystack and torch, while
``import search`` (every ``kb`` command, ``kb --help``) must start in a blink. One helper, so each
package's ``__init__`` is just its list.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import import_module


def lazy_exports(package: str, where: Mapping[str, str]) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``, whose names in ``where`` live in the modules named."""

    def __getattr__(name: str) -> object:
        if name in where:
            return getattr(import_module(where[name]), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted({*vars(import_module(package)), *where})

    return __getattr__, __dir__
