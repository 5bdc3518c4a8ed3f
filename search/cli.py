"""The ``kb`` command line: ingest, validate, search, stats, reindex, serve, keys, eval, mcp.

The CLI is a composition root: it builds settings, the catalog, the store and the services, and turns
every :class:`~kb.errors.KBError` into one ``Error: ...`` line and exit code 1 (usage errors: 2).
Heavy modules (torch, Haystack) are imported inside commands so ``kb --help`` stays instant.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from kb.errors import KBError
from kb.settings import Settings

if TYPE_CHECKING:
    from kb.catalog import Catalog
    from kb.store import ChunkStore

F = TypeVar("F", bound=Callable[..., Any])


class KBGroup(click.Group):
    """Converts our errors at the boundary: one line on stderr, exit 1, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KBError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(1)
        except (click.ClickException, click.exceptions.Exit, click.Abort, SystemExit, KeyboardInterrupt):
            raise
        except Exception as exc:  # a bug, but users still get one line; KB_DEBUG=1 shows the trace
            if os.environ.get("KB_DEBUG"):
                raise
            click.echo(f"Error: unexpected {type(exc).__name__}: {exc} (set KB_DEBUG=1 for details)", err=True)
            sys.exit(1)


def kb_dir_option(func: F) -> F:
    """``--kb-dir`` on every command (overrides KB_DIR)."""
    return click.option(
        "--kb-dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Knowledge base folder (default: $KB_DIR or ./.kb).",
    )(func)


def make_settings(kb_dir: Path | None, **overrides: Any) -> Settings:
    values: dict[str, Any] = {"kb_dir": kb_dir} if kb_dir else {}
    return Settings(**values, **overrides)


@contextmanager
def open_kb(settings: Settings) -> Iterator[tuple[Catalog, ChunkStore]]:
    """Catalog and store, closed on exit (the store's lock is released for the next process)."""
    from kb.catalog import Catalog
    from kb.embedding import DENSE_DIM
    from kb.store import open_store

    store = open_store(settings, dense_dim=DENSE_DIM)
    catalog = Catalog(settings.catalog_path)
    try:
        catalog.check_index_model(settings.dense_model_name, index_empty=store.count_documents() == 0)
        yield catalog, store
    finally:
        catalog.close()
        store.close()


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


@click.group(cls=KBGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="egov-practice-exchange")
def main() -> None:
    """E-governance practice exchange: index documents, search them by meaning, serve the API."""


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--sync", is_flag=True, help="Also remove documents whose files under these folders are gone.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("--server", default=None, help="Send the files to a running server's API instead.")
@click.option("--key", default=None, envvar="KB_API_KEY", help="API key for --server (or $KB_API_KEY).")
@kb_dir_option
def ingest(
    paths: tuple[Path, ...], sync: bool, as_json: bool, server: str | None, key: str | None, kb_dir: Path | None
) -> None:
    """Ingest files and folders (recursively). Unchanged files are skipped; changed ones replaced."""
    if server:
        from search.remote import ingest_via_server

        report_json, code = ingest_via_server(server, key, list(paths))
        emit_json(report_json) if as_json else _print_report(report_json)
        sys.exit(code)
    from ingest.service import Ingestor

    settings = make_settings(kb_dir)
    with open_kb(settings) as (catalog, store):
        ingestor = Ingestor(settings, store=store, catalog=catalog)
        ingestor.warm_up()
        with _progress() as tick:
            report = ingestor.ingest_paths(list(paths), sync=sync, progress=tick)
    emit_json(report.to_json()) if as_json else _print_report(report.to_json())
    sys.exit(report.exit_code)


@contextmanager
def _progress() -> Iterator[Callable[[int, int, str], None] | None]:
    """A progress bar on a terminal (stderr); nothing when piped, so logs and --json stay clean."""
    if not sys.stderr.isatty():
        yield None
        return
    width = 30

    def show(done: int, total: int, path: str) -> None:
        filled = width * done // max(total, 1)
        bar = "#" * filled + "-" * (width - filled)
        click.echo(f"\r\033[K[{bar}] {done}/{total} {path[-50:]}", nl=False, err=True)

    yield show
    click.echo("\r\033[K", nl=False, err=True)


def _print_report(report: dict[str, Any]) -> None:
    click.echo(
        f"added {report['added']}, updated {report['updated']}, unchanged {report['unchanged']}, "
        f"removed {report['removed']}, failed {len(report['failed'])}"
    )
    for failure in report["failed"]:
        click.echo(f"  failed: {failure['path']}: {failure['error']}", err=True)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True)
@kb_dir_option
def validate(paths: tuple[Path, ...], as_json: bool, kb_dir: Path | None) -> None:
    """Check metadata and conversion of files without indexing them."""
    from ingest.chunking import Chunker
    from ingest.prepare import DocumentPreparer
    from ingest.service import discover_files

    settings = make_settings(kb_dir)
    chunker = Chunker(settings.resolved_model_path(), target_tokens=settings.chunk_tokens)
    chunker.warm_up()
    preparer = DocumentPreparer(
        chunker=chunker,
        model_id=settings.dense_model_name,
        max_bytes=settings.max_upload_bytes,
        timeout_s=settings.conversion_timeout_s,
    )
    files, failed = discover_files(list(paths))
    valid: list[dict[str, Any]] = []
    for path in files:
        try:
            data, raw = preparer.read_file(path)
            prepared = preparer.prepare(data, filename=path.name, raw_meta=raw, source=str(path))
            valid.append({"path": str(path), "id": prepared.meta.id, "chunks": len(prepared.chunks)})
        except KBError as exc:
            failed.append({"path": str(path), "error": exc.message})
    if as_json:
        emit_json({"valid": valid, "failed": failed})
    else:
        for item in valid:
            click.echo(f"ok      {item['path']} ({item['id']}, {item['chunks']} chunks)")
        for item in failed:
            click.echo(f"invalid {item['path']}: {item['error']}")
        click.echo(f"{len(valid)} valid, {len(failed)} invalid")
    sys.exit(1 if failed else 0)


@main.command()
@click.argument("query")
@click.option("--top-k", default=10, show_default=True, type=click.IntRange(1, 50))
@click.option("--state", "states", multiple=True, help="Filter by state/UT (repeatable).")
@click.option("--sector", default=None)
@click.option("--type", "doc_type", default=None)
@click.option("--year-from", type=int, default=None)
@click.option("--year-to", type=int, default=None)
@click.option("--mode", type=click.Choice(["hybrid", "dense", "sparse"]), default="hybrid", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the same body as GET /v1/search.")
@kb_dir_option
def search(
    query: str,
    top_k: int,
    states: tuple[str, ...],
    sector: str | None,
    doc_type: str | None,
    year_from: int | None,
    year_to: int | None,
    mode: str,
    as_json: bool,
    kb_dir: Path | None,
) -> None:
    """Search the knowledge base; one result per document with its best section."""
    from search.retrieval import Searcher
    from search.schemas import SearchRequest
    from search.validation import build_filters

    settings = make_settings(kb_dir)
    filters = build_filters(states=list(states), sector=sector, type=doc_type, year_from=year_from, year_to=year_to)
    with open_kb(settings) as (_catalog, store):
        searcher = Searcher(settings, store)
        searcher.warm_up()
        response = searcher.search(SearchRequest(query=query, top_k=top_k, filters=filters, mode=mode))  # type: ignore[arg-type]
    if as_json:
        emit_json(response.model_dump(mode="json"))
        return
    if not response.results:
        click.echo("No results." + (" Try removing some filters." if not filters.is_empty() else ""))
    for rank, result in enumerate(response.results, 1):
        where = ", ".join(result.states) or "national"
        click.echo(f"{rank}. {result.title}  [{result.type}, {where}, {result.year or 'n.d.'}]  {result.score:.3f}")
        if result.section:
            click.echo(f"   § {result.section}" + (f" (p. {result.page})" if result.page else ""))
        click.echo(f"   {result.snippet}")
        click.echo(f"   id: {result.document_id}")


@main.command()
@click.option("--json", "as_json", is_flag=True)
@kb_dir_option
def stats(as_json: bool, kb_dir: Path | None) -> None:
    """Documents, chunks and index size, with counts by type, sector and state."""
    settings = make_settings(kb_dir)
    with open_kb(settings) as (catalog, store):
        data: dict[str, Any] = {
            **catalog.counts(),
            "indexed_chunks": store.count_documents(),
            "backend": store.info(),
            "by_type": catalog.facet_counts("type"),
            "by_sector": catalog.facet_counts("sector"),
            "by_state": catalog.facet_counts("states"),
        }
    if as_json:
        emit_json(data)
        return
    click.echo(f"documents {data['documents']} (withdrawn {data['withdrawn']}), versions {data['versions']}")
    click.echo(f"chunks in index {data['indexed_chunks']}; backend {data['backend']}")
    for name in ("by_type", "by_sector", "by_state"):
        items = sorted(data[name].items(), key=lambda kv: -kv[1])
        click.echo(f"{name.replace('_', ' ')}: " + ", ".join(f"{k} {v}" for k, v in items))


@main.command()
@kb_dir_option
def reindex(kb_dir: Path | None) -> None:
    """Rebuild the whole index from the catalog (the old index is replaced only when complete)."""
    from search.maintenance import rebuild_index

    settings = make_settings(kb_dir)
    chunks = rebuild_index(settings)
    click.echo(f"reindexed {chunks} chunks")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@kb_dir_option
def serve(host: str, port: int, kb_dir: Path | None) -> None:
    """Serve the API, the MCP endpoint and the web UI (owns the KB while it runs)."""
    import uvicorn

    from search.api import create_app

    settings = make_settings(kb_dir)
    if settings.torch_threads == 0:
        settings = settings.model_copy(update={"torch_threads": 1})  # see kb.embedding on thread contention
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info")


def _register_subcommands() -> None:
    """Command groups defined in their own modules register themselves on import."""
    from search import cli_eval, cli_keys, cli_mcp  # noqa: F401


_register_subcommands()

if __name__ == "__main__":  # pragma: no cover
    main()
