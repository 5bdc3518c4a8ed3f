"""``kb serve`` and ``kb reindex``: the commands that need the KB to themselves.

``kb serve`` records where it listens in ``KB_DIR/server.json`` once uvicorn has bound its socket
(after the app's lifespan has opened the KB), and removes it when it shuts down, so other commands refused by
the lock can name the real URL (:mod:`search.cli.running`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from kb.errors import StoreLockedError
from search.cli.common import kb_dir_option, make_settings
from search.cli.running import base_url, explain_lock, lock_message, read_record, remove_record, write_record


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, envvar="KB_HOST", help="Address to bind ($KB_HOST).")
@click.option("--port", default=8000, show_default=True, type=int, envvar="KB_PORT", help="Port ($KB_PORT; 0: any).")
@kb_dir_option
def serve(host: str, port: int, kb_dir: Path | None) -> None:
    """The HTTP API (docs at /docs, metrics at /metrics), MCP at /mcp and the web UI.

    It owns the embedded KB while it runs; other commands then go through it.
    """
    import uvicorn

    from search.api import create_app

    settings = make_settings(kb_dir)
    if settings.torch_threads == 0:
        settings = settings.model_copy(update={"torch_threads": 1})  # see kb.embedding on thread contention
    kb_path = settings.kb_dir
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

    config = uvicorn.Config(create_app(settings), host=host, port=port, log_level="info")
    try:
        with explain_lock(settings, "serve"):
            RecordingServer(config).run()
    finally:  # every other way out (a failed start-up, an exception)
        remove_record(kb_path)


@click.command()
@kb_dir_option
def reindex(kb_dir: Path | None) -> None:
    """Rebuild the index from the catalog alone (the old index is replaced when the new one is complete)."""
    from search.operations.maintenance import rebuild_index

    settings = make_settings(kb_dir)
    with explain_lock(settings, "reindex"):
        chunks = rebuild_index(settings)
    click.echo(f"reindexed {chunks} chunks")
