"""``kb harvest URL``: documents of another OAI-PMH repository (another state's exchange) into this KB.

The source is checked first (Identify, formats, the set, the date), so a wrong URL or set costs a
second, not a model load; then the KB is opened, as ``kb ingest`` does, and the records are written
through the ingestor. Exit codes as ``kb ingest``: 0 all ok, 1 some record failed (the rest are
written; the next run retries from the same mark) or bad input, 2 usage error.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from kb.errors import StoreLockedError
from search.cli.common import emit_json, kb_dir_option, make_settings, open_kb


@click.command()
@click.argument("url")
@click.option("--set", "set_spec", default=None, metavar="SETSPEC", help="Only this set, e.g. state:Haryana.")
@click.option(
    "--from", "since", default=None, metavar="DATE", help="From this day (or second, UTC) instead of the last harvest."
)
@click.option(
    "--key",
    default=None,
    metavar="KEY",
    envvar="KB_HARVEST_KEY",
    help="Reader key for a source that requires one ($KB_HARVEST_KEY).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@kb_dir_option
def harvest(
    url: str, set_spec: str | None, since: str | None, key: str | None, as_json: bool, kb_dir: Path | None
) -> None:
    """Harvest another exchange's OAI-PMH endpoint (URL/oai, or the site's URL) into this KB.

    New and changed records are ingested with their original files (no review: the source published
    them), deleted ones are withdrawn; each document keeps where it came from and is read-only here.
    The next run asks only for what changed since this one (--from overrides).
    """
    from search.operations.harvest import Harvester, plan_harvest
    from search.operations.oai_client import OAIClient

    settings = make_settings(kb_dir)
    with OAIClient(url, key=key) as client:
        plan = plan_harvest(client, set_spec=set_spec, since=since)
        from ingest.service import Ingestor

        try:
            with open_kb(settings, "ingest") as (catalog, store):
                ingestor = Ingestor(settings, store=store, catalog=catalog)
                ingestor.warm_up()
                ingestor.recover()  # finish what an interrupted run left before writing anything new
                report = Harvester(catalog, ingestor, client).run(plan, set_spec=set_spec, since=since)
        except StoreLockedError:
            raise StoreLockedError(
                f"the knowledge base at {settings.kb_dir} is in use by another process (kb serve?); "
                "stop it while harvesting, or harvest into a KB no server holds"
            ) from None
    emit_json(report.to_json()) if as_json else _print(report.to_json())
    sys.exit(report.exit_code)


def _print(report: dict[str, Any]) -> None:
    click.echo(
        f"{report['source']}: added {report['added']}, updated {report['updated']}, "
        f"unchanged {report['unchanged']}, withdrawn {report['withdrawn']}, failed {len(report['failed'])}"
    )
    for failure in report["failed"]:
        click.echo(f"  failed: {failure['identifier']}: {failure['error']}", err=True)
