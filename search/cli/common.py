"""What every command module shares: the error boundary, ``--kb-dir``, settings, opening the KB.

Command modules import from here, never from :mod:`search.cli` itself, so the root group can import
them all in :func:`search.cli.register_commands` without a cycle.
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

from kb.errors import ConfigError, KBError
from kb.settings import Settings
from search.cli.running import Action, explain_lock

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
        except (click.ClickException, click.exceptions.Exit, click.Abort, SystemExit):
            raise
        except KeyboardInterrupt:  # Ctrl-C: the shell's code for SIGINT, not click's "Aborted!" and 1
            click.echo("\nAborted.", err=True)
            sys.exit(130)
        except Exception as exc:  # a bug, but users still get one line; KB_DEBUG=1 shows the trace
            if os.environ.get("KB_DEBUG"):
                raise
            click.echo(f"Error: unexpected {type(exc).__name__}: {exc} (set KB_DEBUG=1 for details)", err=True)
            sys.exit(1)


KB_DIR_HELP = "Knowledge base folder (default: $KB_DIR or ./.kb)."


def _inherit_root_kb_dir(ctx: click.Context, _param: click.Parameter, value: Path | None) -> Path | None:
    """A subcommand's own ``--kb-dir`` wins; without one, ``kb --kb-dir DIR ...`` applies."""
    if value is not None:
        return value
    root = ctx.find_root()
    return root.params.get("kb_dir") if root is not ctx else None


def kb_dir_option(func: F) -> F:
    """``--kb-dir`` on every command (overrides KB_DIR; also accepted before the command name)."""
    return click.option(
        "--kb-dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        callback=_inherit_root_kb_dir,
        help=KB_DIR_HELP,
    )(func)


def make_settings(kb_dir: Path | None, **overrides: Any) -> Settings:
    """Settings from the environment, with ``--kb-dir`` (when given) over ``$KB_DIR``."""
    values: dict[str, Any] = {"kb_dir": kb_dir} if kb_dir else {}
    return Settings(**values, **overrides)


def require_kb(settings: Settings) -> None:
    """Read-only commands refuse a folder without a catalog instead of creating an empty KB there
    (a mistyped ``--kb-dir`` used to print "No results." and leave a new folder behind)."""
    if not settings.catalog_url and not settings.catalog_path.exists():  # a database URL is checked on open
        raise ConfigError(
            f"no knowledge base in {settings.kb_dir}; run kb ingest PATH --kb-dir {settings.kb_dir} first"
        )


@contextmanager
def open_kb(
    settings: Settings, action: Action = "read", query: str = "", *, check_model: bool = True
) -> Iterator[tuple[Catalog, ChunkStore]]:
    """Catalog and store, closed on exit (the store's lock is released for the next process).

    ``check_model=False`` skips the refusal of an index built with another dense model (``kb stats``
    reports which models the index holds, so an operator can see why search asks for ``kb reindex``).

    ``action`` says what the caller wanted, so a KB held by ``kb serve`` is refused with directions
    that fit (send files through it, read through it, connect the assistant to it).
    """
    from kb.catalog import Catalog
    from kb.embedding import DENSE_DIM
    from kb.store import open_store

    with explain_lock(settings, action, query=query):
        store = open_store(settings, dense_dim=DENSE_DIM)
    catalog = Catalog(settings.resolved_catalog_url())
    try:
        if check_model:
            catalog.settle_index_model(settings, index_empty=store.count_documents() == 0, vectors=store.dense_names)
        yield catalog, store
    finally:
        catalog.close()
        store.close()


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))
