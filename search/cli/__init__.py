"""The ``kb`` command line: ingest, validate, search, stats, reindex, serve, keys, eval, mcp.

The CLI is a composition root: it builds settings, the catalog, the store and the services, and turns
every :class:`~kb.errors.KBError` into one ``Error: ...`` line and exit code 1 (usage errors: 2).
Heavy modules (torch, Haystack) are imported inside commands so ``kb --help`` stays instant.

Commands are attached in one place, :func:`register_commands` (as datasette and simonw/llm do): each
command group lives in its own module, which imports :mod:`search.cli.common` and never this root,
so ``python -m search.cli`` and the ``kb`` console script see the same commands.
"""

from __future__ import annotations

from pathlib import Path

import click

from search.cli.common import KB_DIR_HELP, KBGroup

__all__ = ["main", "register_commands"]


@click.group(cls=KBGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="egov-practice-exchange")
@click.option("--kb-dir", type=click.Path(file_okay=False, path_type=Path), default=None, help=KB_DIR_HELP)
def main(kb_dir: Path | None) -> None:
    """E-governance practice exchange: index documents, search them by meaning, serve the API.

    --kb-dir here applies to every command; a command's own --kb-dir wins.
    """


def register_commands(group: click.Group) -> None:
    """Attach every command to ``group``: the one list of what ``kb`` offers."""
    from search.cli.check import check
    from search.cli.db import db
    from search.cli.evaluate import eval_command
    from search.cli.harvest import harvest
    from search.cli.ingest import ingest, validate
    from search.cli.insights import insights_command
    from search.cli.keys import keys
    from search.cli.mcp import mcp_command
    from search.cli.optimize import optimize
    from search.cli.query import search, stats
    from search.cli.serve import reindex, serve
    from search.cli.worker import worker

    for command in (
        ingest,
        validate,
        search,
        stats,
        optimize,
        check,
        reindex,
        serve,
        keys,
        mcp_command,
        eval_command,
        harvest,
        db,
        worker,
        insights_command,
    ):
        group.add_command(command)


register_commands(main)
