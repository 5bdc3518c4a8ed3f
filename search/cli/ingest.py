"""``kb ingest`` and ``kb validate``: files into the KB, or only checked.

Ctrl-C during a local ingest stops after the file being written, so the KB is never left with half
a document: the summary of what was done is printed with the number of files not reached, and the
exit code is 130 (the shell's code for SIGINT). A second Ctrl-C aborts at once.
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

import click

from kb.errors import KBError
from search.cli.common import emit_json, kb_dir_option, make_settings, open_kb

INTERRUPTED_EXIT = 130


@click.command()
@click.argument("paths", nargs=-1, required=True, metavar="PATH...", type=click.Path(path_type=Path))
@click.option("--sync", is_flag=True, help="Also remove documents whose files under these folders are gone.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("--server", default=None, metavar="URL", help="Send the files to a running server's API instead.")
@click.option("--key", default=None, metavar="KEY", envvar="KB_API_KEY", help="API key for --server (or $KB_API_KEY).")
@kb_dir_option
def ingest(
    paths: tuple[Path, ...], sync: bool, as_json: bool, server: str | None, key: str | None, kb_dir: Path | None
) -> None:
    """Ingest files and folders, recursively.

    Unchanged files are skipped, changed ones replaced; --sync removes documents whose files are gone.
    With --server URL --key KEY, the same through a running server's API. Exit 0: all ok, 1: some
    files failed (the rest are ingested), 2: usage error, 130: stopped by Ctrl-C after the current file.
    """
    if server:
        from search.operations.remote import ingest_via_server

        report_json, code = ingest_via_server(server, key, list(paths))
        emit_json(report_json) if as_json else _print_report(report_json)
        sys.exit(code)
    from ingest.service import Ingestor

    settings = make_settings(kb_dir)
    tracker = _Tracker()
    with open_kb(settings, "ingest") as (catalog, store):
        ingestor = Ingestor(settings, store=store, catalog=catalog)
        ingestor.warm_up()
        with _progress() as show, _stop_on_sigint() as stop:
            tracker.show = show
            try:
                report = ingestor.ingest_paths(list(paths), sync=sync, progress=tracker, stop=stop)
            except KeyboardInterrupt:  # the second Ctrl-C: the file being written may be half done
                click.echo(f"\nError: aborted while ingesting {tracker.current}; run kb ingest again", err=True)
                sys.exit(INTERRUPTED_EXIT)
        if not stop.is_set():
            _load_adoptions(catalog, list(paths), report.failed)
            if store.index_if_needed():  # past the threshold: HNSW now, not at the first search
                click.echo("building the vector index (HNSW)...", err=True)
                store.index_if_needed(wait=True)
    emit_json(report.to_json()) if as_json else _print_report(report.to_json())
    if stop.is_set():
        click.echo(f"interrupted: {tracker.total - tracker.started} files not processed", err=True)
        sys.exit(INTERRUPTED_EXIT)
    sys.exit(report.exit_code)


def _load_adoptions(catalog: Any, paths: list[Path], failed: list[dict[str, str]]) -> None:
    """Each folder's ``adoptions.yaml`` (search/services/adoption_file.py), once its documents are in;
    a bad entry joins the run's failures (exit 1), the summary goes to stderr."""
    from search.services.adoption_file import adoption_files, load_adoption_files

    files = adoption_files(paths)
    if files:
        loaded = load_adoption_files(catalog, files)
        failed.extend(loaded.failed)
        click.echo(loaded.summary(files), err=True)


class _Tracker:
    """The ingest loop's progress callback: counts files started (for the interrupted summary) and
    draws the bar when there is a terminal."""

    def __init__(self) -> None:
        self.started = 0
        self.total = 0
        self.current = ""
        self.show: Callable[[int, int, str], None] | None = None

    def __call__(self, done: int, total: int, path: str) -> None:
        self.started, self.total, self.current = done + 1, total, path
        if self.show:
            self.show(done, total, path)


@contextmanager
def _stop_on_sigint() -> Iterator[threading.Event]:
    """While inside: the first SIGINT sets the event (stop after this file), the second aborts."""
    stop = threading.Event()
    if threading.current_thread() is not threading.main_thread():  # signals reach the main thread only
        yield stop
        return

    def on_sigint(_signum: int, _frame: FrameType | None) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        click.echo("\nstopping after the current file (Ctrl-C again to abort now)", err=True)

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        yield stop
    finally:
        signal.signal(signal.SIGINT, previous)


PLAIN_PROGRESS_EVERY_S = 2.0


@contextmanager
def _progress() -> Iterator[Callable[[int, int, str], None] | None]:
    """A progress bar on a terminal (stderr). When stderr is not a terminal (a log, CI), one plain
    line per file instead, at most one every ``PLAIN_PROGRESS_EVERY_S`` seconds (and always the
    last), so a long ingest is never silent and a fast one does not flood the log; stdout (and
    ``--json``) is untouched either way."""
    if not sys.stderr.isatty():
        last = [0.0]

        def plain(done: int, total: int, path: str) -> None:
            now = time.monotonic()
            if now - last[0] >= PLAIN_PROGRESS_EVERY_S or done + 1 == total:
                last[0] = now
                click.echo(f"ingesting {done + 1}/{total}: {path}", err=True)

        yield plain
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
    _print_warnings(report["documents"])


def _print_warnings(documents: list[dict[str, Any]]) -> None:
    """What may need a look (low OCR confidence, a case study without the agreed sections), on stderr."""
    for document in documents:
        for warning in document.get("warnings") or ():
            click.echo(f"  warning: {document['path']}: {warning}", err=True)


@click.command()
@click.argument("paths", nargs=-1, required=True, metavar="PATH...", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True)
@kb_dir_option
def validate(paths: tuple[Path, ...], as_json: bool, kb_dir: Path | None) -> None:
    """Check metadata and conversion of files without indexing them."""
    from ingest.chunking import Chunker
    from ingest.files import default_ids, discover_files
    from ingest.prepare import DocumentPreparer

    settings = make_settings(kb_dir)
    chunker = Chunker(settings.resolved_model_path(), target_tokens=settings.chunk_tokens)
    chunker.warm_up()
    preparer = DocumentPreparer.from_settings(settings, chunker)
    files, failed = discover_files(list(paths))
    fallback_ids = default_ids(files, list(paths))
    valid: list[dict[str, Any]] = []
    for path in files:
        try:
            data, raw = preparer.read_file(path)
            prepared = preparer.prepare(
                data, filename=path.name, raw_meta=raw, source=str(path), fallback_id=fallback_ids[path]
            )
            valid.append(
                {
                    "path": str(path),
                    "id": prepared.meta.id,
                    "chunks": len(prepared.chunks),
                    "warnings": prepared.warnings,
                }
            )
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
        _print_warnings(valid)
    sys.exit(1 if failed else 0)
