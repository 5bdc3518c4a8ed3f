"""The fixture files carry valid metadata (front matter or sidecar); the bad sidecar is invalid."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.errors import MetadataError
from kb.metadata import SIDECAR_SUFFIX, build_metadata, is_markdown, read_raw_metadata, sidecar_path


def _documents(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.endswith(SIDECAR_SUFFIX))


def test_every_good_fixture_has_valid_metadata(good_dir: Path) -> None:
    ids = set()
    for path in _documents(good_dir):
        if not is_markdown(path):
            assert sidecar_path(path).exists(), path
        meta = build_metadata(read_raw_metadata(path), source=str(path), default_id=path.stem, default_title=path.name)
        assert meta.states and meta.year and meta.type, path
        ids.add(meta.id)
    assert len(ids) == len(_documents(good_dir))


def test_bad_conversion_fixtures_have_valid_sidecars_so_only_conversion_fails(bad_dir: Path) -> None:
    for path in _documents(bad_dir):
        if path.name in {"bad-metadata.txt", "blank.md"}:
            continue
        build_metadata(read_raw_metadata(path), source=str(path), default_id=path.stem, default_title=path.name)


def test_bad_sidecar_is_a_metadata_error(bad_dir: Path) -> None:
    path = bad_dir / "bad-metadata.txt"
    raw = read_raw_metadata(path)

    assert raw["states"] == ["Hariyana"] and raw["sector"] == "e_governance"
    with pytest.raises(MetadataError, match="Hariyana"):
        build_metadata(raw, source=str(path), default_id=path.stem, default_title=path.name)
    with pytest.raises(MetadataError, match="sector"):
        build_metadata({**raw, "states": ["Haryana"]}, source=str(path), default_id="x", default_title="x")
