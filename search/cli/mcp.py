"""``kb mcp``: the MCP server over stdio, for desktop assistants (Claude Desktop, IDEs, ...).

The client starts this process and talks JSON-RPC on its stdin/stdout, so nothing else may be written
to stdout: while serving the SDK points fd 1 at stderr itself. Opening the KB (the store imports
Haystack and maps the index) and loading the model happen in a background thread started once the
stdio transport runs, so ``initialize`` and ``tools/list`` are answered at once (issue 16's 2 s
target); tool calls wait for it (:class:`~search.mcp.server.Warming`). Everything for the user (the
banner, warnings, a failure to open) goes to stderr, where clients log it.

The process opens the KB (the embedded index allows one process), so while ``kb serve`` runs,
connect the client to the server's ``/mcp`` URL instead. A server recorded in ``KB_DIR/server.json``
is refused before anything is served; any other holder (a ``kb ingest``) is found when the store
opens, and then the process says so and exits with status 1 like the other commands.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import click

from kb.errors import StoreLockedError
from search.cli.common import kb_dir_option, make_settings, open_kb, require_kb
from search.cli.running import lock_message, read_record


@click.command("mcp")
@kb_dir_option
def mcp_command(kb_dir: Path | None) -> None:
    """The MCP server over stdio for desktop assistants: read-only tools to search, read documents,
    list facets and find similar practices (docs/assistants.md)."""
    import anyio
    import anyio.to_thread

    from search.assistant import AssistantService
    from search.mcp import build_server
    from search.mcp.server import WARM_UP_WAIT_SECONDS, Warming

    settings = make_settings(kb_dir)
    if settings.torch_threads == 0:
        settings = settings.model_copy(update={"torch_threads": 1})  # as `kb serve`: see kb.embedding
    if not settings.public_url:  # without a base, citations carry paths an assistant cannot open
        click.echo(
            "kb mcp: KB_PUBLIC_URL is not set, so citation links will be relative (/documents/...); "
            "set KB_PUBLIC_URL to the server's base URL (e.g. https://practices.example.gov.in) for absolute links",
            err=True,
        )
    require_kb(settings)
    if read_record(settings.kb_dir) is not None:  # kb serve holds the KB: say where, before serving anything
        raise StoreLockedError(lock_message(settings, "mcp"))
    with contextlib.ExitStack() as stack:
        warming = Warming()
        server = build_server(warming.service, warming)

        def load() -> None:
            from search.retrieval import Searcher

            catalog, store = stack.enter_context(open_kb(settings, "mcp"))
            service = AssistantService(settings, catalog, Searcher(settings, store, adoptions=catalog))
            documents = catalog.counts()["documents"]
            click.echo(f"kb mcp: serving {documents} documents from {settings.kb_dir} over stdio", err=True)
            if not documents:  # most likely a wrong --kb-dir in the client's config: say so where it logs
                click.echo(
                    f"kb mcp: warning: no documents in {settings.kb_dir}; check --kb-dir or run kb ingest", err=True
                )
            warming.provide(service)
            service.warm_up()
            click.echo("kb mcp: ready (search model loaded)", err=True)  # after initialize and tools/list

        async def serve() -> None:
            async with anyio.create_task_group() as group:
                group.start_soon(server.run_stdio_async)
                await anyio.sleep(0.2)  # the transport has claimed fd 1 by now: a stray print cannot reach it
                warming.start(load)
                # wait for the KB to be open (the model may go on loading), so that leaving closes it
                # here and never while it is half open
                await anyio.to_thread.run_sync(warming.opened.wait)
                if warming.error is not None:  # the KB could not be opened: nothing to serve
                    group.cancel_scope.cancel()

        anyio.run(serve)
        # the client has gone (stdin closed); let the model finish loading before the process ends:
        # exiting while onnxruntime or torch is still starting its threads aborted it ("terminate
        # called without an active exception", exit status -6 instead of 0, seen under load)
        warming.done.wait(WARM_UP_WAIT_SECONDS)
        if warming.error is not None:
            raise warming.error
