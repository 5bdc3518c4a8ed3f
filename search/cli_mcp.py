"""``kb mcp``: the MCP server over stdio, for desktop assistants (Claude Desktop, IDEs, ...).

The client starts this process and talks JSON-RPC on its stdin/stdout, so nothing else may be written
to stdout: the model is loaded with stdout sent to stderr, and while serving the SDK points fd 1 at
stderr itself. The process opens the KB (the embedded index allows one process), so while ``kb
serve`` runs, connect the client to the server's ``/mcp`` URL instead; that is what the error says.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import click

from kb.errors import StoreLockedError
from search.cli import kb_dir_option, main, make_settings, open_kb


@main.command("mcp")
@kb_dir_option
def mcp_command(kb_dir: Path | None) -> None:
    """Serve the read-only MCP tools over stdio (search, documents, facets, similar)."""
    import anyio

    from search.assistant import AssistantService
    from search.mcp_server import build_server
    from search.retrieval import Searcher

    settings = make_settings(kb_dir)
    if settings.torch_threads == 0:
        settings = settings.model_copy(update={"torch_threads": 1})  # as `kb serve`: see kb.embedding
    with contextlib.ExitStack() as stack:
        try:
            catalog, store = stack.enter_context(open_kb(settings))
        except StoreLockedError as exc:
            raise StoreLockedError(
                f"{exc.message}. For an assistant, connect it to the running server's MCP endpoint instead, "
                "e.g. http://127.0.0.1:8000/mcp (docs/assistants.md)"
            ) from None
        with contextlib.redirect_stdout(sys.stderr):
            service = AssistantService(settings, catalog, Searcher(settings, store))
            service.warm_up()
        documents = catalog.counts()["documents"]
        click.echo(f"kb mcp: serving {documents} documents from {settings.kb_dir} over stdio", err=True)
        if not documents:  # most likely a wrong --kb-dir in the client's config: say so where it logs
            click.echo(f"kb mcp: warning: no documents in {settings.kb_dir}; check --kb-dir or run kb ingest", err=True)
        anyio.run(build_server(service).run_stdio_async)
