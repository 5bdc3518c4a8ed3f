"""``kb worker``: run ingest jobs without the HTTP server, beside any number of ``kb serve`` replicas.

Jobs are claimed from the catalog with a lease (``FOR UPDATE SKIP LOCKED`` on PostgreSQL), so any
number of workers share one queue and a job whose worker was killed is claimed again once its lease
lapses. A worker writes to the index, so it needs one that several processes can share
(``KB_QDRANT_URL``); on the embedded index it runs only while no ``kb serve`` holds it.
"""

from __future__ import annotations

import signal
from pathlib import Path
from types import FrameType

import click

from kb.errors import ConfigError, StoreLockedError
from kb.settings import QDRANT_MEMORY_URL
from search.cli.common import kb_dir_option, make_settings
from search.cli.running import explain_lock, read_record


@click.command("worker")
@click.option("--until-idle", is_flag=True, help="Exit once no job is waiting (else run until Ctrl-C/SIGTERM).")
@kb_dir_option
def worker(until_idle: bool, kb_dir: Path | None) -> None:
    """Run queued ingest jobs (uploads) without the HTTP server; needs KB_QDRANT_URL beside `kb serve`."""
    from ingest.service import Ingestor
    from kb.catalog import Catalog
    from kb.embedding import DENSE_DIM
    from kb.store import open_store
    from search.operations.jobs import JobRunner

    settings = make_settings(kb_dir)
    if settings.qdrant_url == QDRANT_MEMORY_URL:
        raise ConfigError(
            "kb worker cannot use the in-process :memory: index: its writes would reach no server; "
            "set KB_QDRANT_URL to a Qdrant server"
        )
    if not settings.qdrant_url and (server := read_record(settings.kb_dir)) is not None:
        raise StoreLockedError(
            f"kb serve (pid {server.pid}, {server.url}) owns the embedded index in {settings.kb_dir} and runs "
            "its jobs itself; a separate kb worker needs a shared index: set KB_QDRANT_URL (and KB_CATALOG_URL "
            "to PostgreSQL for several machines)"
        )
    if settings.torch_threads == 0:
        settings = settings.model_copy(update={"torch_threads": 1})
    with explain_lock(settings, "ingest"):
        store = open_store(settings, dense_dim=DENSE_DIM)
    catalog = Catalog(settings.resolved_catalog_url())
    try:
        catalog.settle_index_model(settings, index_empty=store.count_documents() == 0, vectors=store.dense_names)
        ingestor = Ingestor(settings, store=store, catalog=catalog)
        ingestor.warm_up()
        runner = JobRunner(ingestor, catalog, settings)

        def _stop(_signum: int, _frame: FrameType | None) -> None:
            runner.stop(timeout=0)  # the loop ends after the current job; its lease covers a kill

        previous = signal.signal(signal.SIGTERM, _stop)
        try:
            click.echo("kb worker: waiting for jobs (Ctrl-C to stop after the current one)", err=True)
            runner.run_forever(until_idle=until_idle)
        finally:
            signal.signal(signal.SIGTERM, previous)
        counts = runner.finished
        click.echo(f"kb worker: {counts['done']} done, {counts['failed']} failed, {counts['retried']} retried")
    finally:
        catalog.close()
        store.close()
