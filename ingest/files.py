"""Which files an ingest run takes, and what it reports about each (the ``kb ingest --json`` contract)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingest.converters import SUPPORTED_EXTENSIONS
from kb.metadata import SIDECAR_SUFFIX, default_id, slugify


@dataclass
class IngestReport:
    """Per-run outcome; ``to_json`` is the contract of ``kb ingest --json``."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failed: list[dict[str, str]] = field(default_factory=list)
    documents: list[dict[str, Any]] = field(default_factory=list)

    def record(
        self,
        outcome: str,
        document_id: str,
        path: str,
        chunks: int,
        warnings: Sequence[str] = (),
        *,
        contents_skipped: int = 0,
    ) -> None:
        """One file's outcome; ``warnings`` (e.g. low OCR confidence) say what may need a look;
        ``contents_skipped`` counts its table-of-contents and index sections, kept but not indexed."""
        getattr(self, outcome).append(document_id)
        self.documents.append(
            {
                "id": document_id,
                "path": path,
                "outcome": outcome,
                "chunks": chunks,
                "warnings": list(warnings),
                "contents_skipped": contents_skipped,
            }
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "added": len(self.added),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
            "removed": len(self.removed),
            "failed": self.failed,
            "contents_skipped": sum(int(d.get("contents_skipped", 0)) for d in self.documents),
            "documents": self.documents,
        }

    @property
    def exit_code(self) -> int:
        """0 when nothing failed, 1 when some files failed (the rest were still ingested)."""
        return 1 if self.failed else 0


def discover_files(paths: Sequence[Path]) -> tuple[list[Path], list[dict[str, str]]]:
    """Supported files under ``paths`` (recursively, skipping hidden entries and sidecars)."""
    found: list[Path] = []
    problems: list[dict[str, str]] = []
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                rel = child.relative_to(path).parts
                if any(part.startswith(".") for part in rel) or not child.is_file():
                    continue
                if child.name.endswith(SIDECAR_SUFFIX) or child.suffix.lower() not in SUPPORTED_EXTENSIONS:
                    continue
                found.append(child)
        elif path.is_file():
            if path.suffix.lower() in SUPPORTED_EXTENSIONS:
                found.append(path)
            else:
                supported = ", ".join(sorted(SUPPORTED_EXTENSIONS))
                problems.append({"path": str(path), "error": f"unsupported file type; supported: {supported}"})
        else:
            problems.append({"path": str(path), "error": "no such file or folder"})
    return found, problems


def default_ids(files: Sequence[Path], roots: Sequence[Path]) -> dict[Path, str]:
    """The id each file takes when its metadata names none: its whole name (:func:`kb.metadata.default_id`),
    except where two files of one run share a name in different folders (``c-api/code.html`` and
    ``library/code.html``): those take their path under the folder they were found in
    (``c-api-code``, ``library-code``), so both are ingested. Deterministic: the same folder ingested
    again gives the same ids, so a re-ingest stays idempotent."""
    ids = {path: default_id(path.name) for path in files}
    by_id: defaultdict[str, list[Path]] = defaultdict(list)
    for path, document_id in ids.items():
        by_id[document_id].append(path)
    for shared in (paths for paths in by_id.values() if len(paths) > 1):
        for path in shared:
            root = next((r for r in roots if r.is_dir() and path.is_relative_to(r)), None)
            if root is not None and len(parts := path.relative_to(root).parts) > 1:
                ids[path] = slugify("-".join((*parts[:-1], ids[path])))
    return ids
