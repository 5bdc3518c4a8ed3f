"""API fixtures: the real app with its lifespan (model, Edge store, worker) over a temp KB.

A module that declares ``pytestmark = both_catalogs`` runs every test twice, with the catalog (and so
the originals and the job queue) on SQLite and on a real PostgreSQL: ids end in ``[sqlite]`` or
``[postgresql]``. Its KB folders come from :class:`Deployments`, which gives each folder its own
fresh PostgreSQL database (the catalog a folder's index was built from), dropped with the module.
"""

from __future__ import annotations

import shutil
import threading
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
from tests.kb import pg

CATALOGS = ("sqlite", "postgresql")
both_catalogs = pytest.mark.parametrize("catalog_backend", CATALOGS, indirect=True, scope="module")


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


def make_keys(target: Path | Settings) -> dict[str, str]:
    """An admin and two contributors with the publish right (their uploads go live without review,
    as the API's tests of uploading expect; the review workflow's tests make their own keys).

    ``target`` is a KB folder (its SQLite catalog) or the settings of a deployment (its catalog URL)."""
    settings = target if isinstance(target, Settings) else Settings(kb_dir=target, catalog_url=None)
    with Catalog(settings.resolved_catalog_url()) as catalog:
        return {
            "admin": catalog.create_key(role="admin", label="ops")[1],
            "haryana": catalog.create_key(role="contributor", states=["Haryana"], label="DITECH", can_publish=True)[1],
            "jk": catalog.create_key(
                role="contributor", states=["Jammu and Kashmir"], label="J&K IT", can_publish=True
            )[1],
        }


def catalog_env(settings: Settings) -> dict[str, str]:
    """The environment a ``kb`` command needs to open the catalog of ``settings`` (none for SQLite)."""
    return {"KB_CATALOG_URL": settings.catalog_url} if settings.catalog_url else {}


class Deployments:
    """Settings for KB folders on one catalog backend: the SQLite file in the folder, or on PostgreSQL
    a database of its own per folder (a folder's index belongs to one catalog, so two folders in one
    module must not share a database)."""

    def __init__(self, backend: str) -> None:
        self.backend = backend
        self._urls: dict[Path, str] = {}

    def settings(self, kb_dir: Path, **overrides: Any) -> Settings:
        """The settings of the deployment in ``kb_dir`` (the same catalog each time for one folder)."""
        if self.backend == "sqlite":
            return Settings(kb_dir=kb_dir, catalog_url=None, **overrides)
        if kb_dir not in self._urls:
            self._urls[kb_dir] = pg.create_database("kbapi")
        return Settings(kb_dir=kb_dir, catalog_url=self._urls[kb_dir], **overrides)

    def env(self, settings: Settings) -> dict[str, str]:
        """The environment a ``kb`` command needs to open this deployment's catalog."""
        return catalog_env(settings)

    def close(self) -> None:
        """Drop the databases in the background: DROP DATABASE waits for a checkpoint (seconds on a busy
        disk) and nothing waits for it; the thread is not a daemon, so the process still finishes it."""
        urls, self._urls = list(self._urls.values()), {}
        if urls:
            threading.Thread(target=_drop_all, args=(urls,), name="drop-test-databases").start()


def _drop_all(urls: list[str]) -> None:
    for url in urls:
        pg.drop_database(url)


@pytest.fixture(scope="module")
def catalog_backend(request: pytest.FixtureRequest) -> str:
    """``sqlite``, unless the module runs on both (``both_catalogs``); PostgreSQL skips, saying why,
    when no server answers (scripts/test starts one)."""
    backend: str = getattr(request, "param", "sqlite")
    if backend == "postgresql":
        pg.require()
    return backend


@pytest.fixture(scope="module")
def deployments(catalog_backend: str) -> Iterator[Deployments]:
    made = Deployments(catalog_backend)
    try:
        yield made
    finally:
        made.close()


@pytest.fixture(scope="module")
def api_settings(tmp_path_factory: pytest.TempPathFactory, deployments: Deployments) -> Settings:
    """The good fixtures ingested by the real CLI, into a catalog on this module's backend."""
    settings = deployments.settings(tmp_path_factory.mktemp("api") / "kb")
    corpus = tmp_path_factory.mktemp("corpus") / "good"
    shutil.copytree(FIXTURES / "good", corpus)
    result = run_cli("ingest", str(corpus), "--kb-dir", str(settings.kb_dir), env=deployments.env(settings))
    assert result.exit_code == 0, result.output
    if settings.catalog_url:  # the CLI really wrote to PostgreSQL, not a SQLite file beside the index
        assert not settings.catalog_path.exists() and not settings.blobs_dir.exists()
    return settings


@pytest.fixture(scope="module")
def api_kb(api_settings: Settings) -> Path:
    return api_settings.kb_dir


@pytest.fixture(scope="module")
def keys(api_settings: Settings) -> dict[str, str]:
    return make_keys(api_settings)


@pytest.fixture(scope="module")
def client(api_settings: Settings, keys: dict[str, str]) -> Iterator[TestClient]:
    with TestClient(create_app(api_settings)) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def exchange_source_kb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The good fixtures ingested once for the exchange's tests (adoptions, requests, webhook): each
    module copies it before opening it (an embedded KB admits one app at a time)."""
    return _ingest_good(tmp_path_factory, Settings(kb_dir=tmp_path_factory.mktemp("exchange") / "kb", catalog_url=None))


@pytest.fixture(scope="session")
def exchange_source_pg(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """The same KB with its catalog on PostgreSQL: the index folder and a database the modules copy
    (``CREATE DATABASE ... TEMPLATE``), ingested once per test process."""
    settings = Settings(
        kb_dir=tmp_path_factory.mktemp("exchange-pg") / "kb", catalog_url=pg.create_database("kbexchange")
    )
    _ingest_good(tmp_path_factory, settings)
    yield settings
    assert settings.catalog_url
    pg.drop_database(settings.catalog_url)


def _ingest_good(tmp_path_factory: pytest.TempPathFactory, settings: Settings) -> Path:
    corpus = tmp_path_factory.mktemp("exchange-corpus") / "good"
    shutil.copytree(FIXTURES / "good", corpus)
    result = run_cli("ingest", str(corpus), "--kb-dir", str(settings.kb_dir), env=catalog_env(settings))
    assert result.exit_code == 0, result.output
    return settings.kb_dir


@pytest.fixture(scope="module")
def exchange_settings(
    request: pytest.FixtureRequest, catalog_backend: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Settings]:
    """A copy of the exchange KB for one module, on the module's catalog backend (``both_catalogs``):
    the folder copied, and on PostgreSQL the database too, dropped after the module."""
    target = tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1]) / "kb"
    if catalog_backend == "sqlite":
        shutil.copytree(request.getfixturevalue("exchange_source_kb"), target)
        yield Settings(kb_dir=target, catalog_url=None)
        return
    source: Settings = request.getfixturevalue("exchange_source_pg")
    shutil.copytree(source.kb_dir, target)
    settings = Settings(kb_dir=target, catalog_url=pg.create_database("kbexchange", template=source.catalog_url))
    yield settings
    assert settings.catalog_url
    threading.Thread(target=_drop_all, args=([settings.catalog_url],), name="drop-test-database").start()
