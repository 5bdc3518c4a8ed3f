"""``kb serve`` and ``kb reindex``: the commands that need the KB to themselves.

``kb serve`` records where it listens in ``KB_DIR/server.json`` once uvicorn has bound its socket, and
removes it when it shuts down, so other commands refused by the lock can name the real URL
(:mod:`search.cli.running`). It binds within a second: uvicorn serves
:class:`~search.api.readiness.DeferredApp`, which answers ``/healthz`` (and 503 with ``Retry-After``
elsewhere) while the app is imported and the model loads in the background. A failure there stops the
server: one of our errors exits 1 with ``Error: ...``, anything else 3 (uvicorn's failed start-up).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from kb.errors import ConfigError, KBError, StoreLockedError
from kb.settings import QDRANT_MEMORY_URL, Settings
from search.cli.common import kb_dir_option, make_settings
from search.cli.running import base_url, explain_lock, lock_message, read_record, remove_record, write_record

STARTUP_FAILURE = 3  # uvicorn's exit code when an app fails to start (uvicorn.config.STARTUP_FAILURE)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, envvar="KB_HOST", help="Address to bind ($KB_HOST).")
@click.option("--port", default=8000, show_default=True, type=int, envvar="KB_PORT", help="Port ($KB_PORT; 0: any).")
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="API processes; more than 1 needs a shared index (KB_QDRANT_URL).",
)
@kb_dir_option
def serve(host: str, port: int, workers: int, kb_dir: Path | None) -> None:
    """The HTTP API (docs at /docs, metrics at /metrics), MCP at /mcp and the web UI.

    It owns the embedded KB while it runs; other commands then go through it. With `--workers N` on
    a shared deployment (KB_QDRANT_URL), N processes serve the same catalog and index.
    """
    import uvicorn

    from search.api.readiness import DeferredApp

    settings = make_settings(kb_dir)
    if settings.torch_threads == 0:
        settings = settings.model_copy(update={"torch_threads": 1})  # see kb.embedding on thread contention
    kb_path = settings.kb_dir
    if workers > 1:
        _serve_processes(settings, host, port, workers)
        return
    if read_record(kb_path) is not None:  # a second server would fail inside uvicorn's lifespan, verbosely
        raise StoreLockedError(lock_message(settings, "serve"))

    class RecordingServer(uvicorn.Server):
        """uvicorn's server, writing the record once it listens (the real port, even for --port 0)."""

        async def startup(self, sockets: Any = None) -> None:
            await super().startup(sockets=sockets)
            if self.started and self.servers and self.servers[0].sockets:
                bound_port = int(self.servers[0].sockets[0].getsockname()[1])
                write_record(kb_path, base_url(host, bound_port))

        async def shutdown(self, sockets: Any = None) -> None:
            # here, not only in a finally below: after a SIGTERM uvicorn re-raises the signal once
            # its handlers are restored, and the default handler ends the process at once
            try:
                await super().shutdown(sockets=sockets)
            finally:
                remove_record(kb_path)

    def build() -> Any:
        from search.api import create_app  # imports Haystack and torch: seconds, in DeferredApp's thread

        return create_app(settings)

    def stop(_failure: BaseException) -> None:
        server.should_exit = True

    app = DeferredApp(build, on_failure=stop)
    server = RecordingServer(uvicorn.Config(app, host=host, port=port, log_level="info"))
    try:
        with explain_lock(settings, "serve"):
            server.run()
            if isinstance(app.failure, KBError):
                raise app.failure
    finally:  # every other way out (a failed start-up, an exception)
        remove_record(kb_path)
    if app.failure is not None:
        sys.exit(STARTUP_FAILURE)


def _serve_processes(settings: Settings, host: str, port: int, workers: int) -> None:
    """Several uvicorn worker processes, each building the app from the environment."""
    import uvicorn

    if not settings.qdrant_url or settings.qdrant_url == QDRANT_MEMORY_URL:
        raise ConfigError(
            f"--workers {workers} needs an index that several processes can share: the embedded Qdrant Edge "
            "index (and the in-process :memory: stand-in) belong to one process. Set KB_QDRANT_URL to a "
            "Qdrant server (and KB_CATALOG_URL to PostgreSQL for several machines; see README, Scale-out), "
            "or serve with one process"
        )
    if port == 0:
        raise ConfigError("--workers needs a fixed --port (the processes share one listening socket)")
    os.environ["KB_DIR"] = str(settings.kb_dir)  # the worker processes read their settings from here
    write_record(settings.kb_dir, base_url(host, port))
    try:
        uvicorn.run("search.api.app:app_from_environment", factory=True, host=host, port=port, workers=workers)
    finally:
        remove_record(settings.kb_dir)


@click.command()
@kb_dir_option
def reindex(kb_dir: Path | None) -> None:
    """Rebuild the index from the catalog alone (the old index is replaced when the new one is complete)."""
    from search.operations.maintenance import rebuild_index

    settings = make_settings(kb_dir)
    with explain_lock(settings, "reindex"):
        chunks = rebuild_index(settings)
    click.echo(f"reindexed {chunks} chunks")
