"""API fixtures: the real app with its lifespan (model, Edge store, worker) over a temp KB."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kb.catalog import Catalog
from kb.settings import Settings
from search.api import create_app
from tests.conftest import FIXTURES
from tests.e2e.conftest import run_cli


def wait_for_job(
    client: TestClient, job: dict[str, Any], headers: dict[str, str], timeout: float = 180
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        current: dict[str, Any] = client.get(job["url"], headers=headers).json()
        if current["status"] in ("done", "failed"):
            return current
        assert time.monotonic() < deadline, current
        time.sleep(0.1)


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def make_keys(kb_dir: Path) -> dict[str, str]:
    """An admin and two contributors with the publish right (their uploads go live without review,
    as the API's tests of uploading expect; the review workflow's tests make their own keys)."""
    with Catalog(Settings(kb_dir=kb_dir).catalog_path) as catalog:
        return {
            "admin": catalog.create_key(role="admin", label="ops")[1],
            "haryana": catalog.create_key(role="contributor", states=["Haryana"], label="DITECH", can_publish=True)[1],
            "jk": catalog.create_key(
                role="contributor", states=["Jammu and Kashmir"], label="J&K IT", can_publish=True
            )[1],
        }


@pytest.fixture(scope="module")
def api_kb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    kb_dir = tmp_path_factory.mktemp("api") / "kb"
    corpus = tmp_path_factory.mktemp("corpus") / "good"
    shutil.copytree(FIXTURES / "good", corpus)
    assert run_cli("ingest", str(corpus), "--kb-dir", str(kb_dir)).exit_code == 0
    return kb_dir


@pytest.fixture(scope="module")
def keys(api_kb: Path) -> dict[str, str]:
    return make_keys(api_kb)


@pytest.fixture(scope="module")
def client(api_kb: Path, keys: dict[str, str]) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(kb_dir=api_kb))) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def exchange_source_kb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The good fixtures ingested once for the exchange's tests (adoptions, requests, webhook): each
    module copies it before opening it (an embedded KB admits one app at a time)."""
    kb_dir = tmp_path_factory.mktemp("exchange") / "kb"
    corpus = tmp_path_factory.mktemp("exchange-corpus") / "good"
    shutil.copytree(FIXTURES / "good", corpus)
    assert run_cli("ingest", str(corpus), "--kb-dir", str(kb_dir)).exit_code == 0
    return kb_dir
