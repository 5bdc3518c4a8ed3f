"""``kb check [--repair]``: does the index hold exactly what the catalog says?

Reports documents whose chunks are missing, of another version, or in the index without an active
catalog entry (orphans), and writes left half-done by a crash. ``--repair`` rebuilds those documents'
chunks from the catalog (stored vectors reused, so it is quick). Exit 0 when consistent (or
repaired), 1 when problems remain.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from search.cli.common import emit_json, kb_dir_option, make_settings, open_kb, require_kb


@click.command()
@click.option("--repair", is_flag=True, help="Rebuild the index entries of every document that disagrees.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@kb_dir_option
def check(repair: bool, as_json: bool, kb_dir: Path | None) -> None:
    """Compare the catalog with the index; with --repair, mend what disagrees."""
    from ingest.consistency import check_consistency
    from ingest.consistency import repair as repair_report
    from ingest.service import Ingestor

    settings = make_settings(kb_dir)
    require_kb(settings)
    with open_kb(settings, "ingest" if repair else "read") as (catalog, store):
        report = check_consistency(catalog, store)
        if repair and not report.ok:
            ingestor = Ingestor(settings, store=store, catalog=catalog)
            ingestor.warm_up()
            repair_report(ingestor, report)
            remaining = check_consistency(catalog, store)
            remaining.repaired = report.repaired
            report = remaining
    if as_json:
        emit_json(report.to_json())
    else:
        click.echo(f"{report.documents} documents, {report.chunks} chunks in the index")
        for name in ("orphans", "missing", "mismatched", "pending"):
            ids = getattr(report, name)
            if ids:
                click.echo(f"{name}: {', '.join(ids)}")
        if report.repaired:
            click.echo(f"repaired: {', '.join(report.repaired)}")
        click.echo("consistent" if report.ok else "NOT consistent: run kb check --repair")
    sys.exit(0 if report.ok else 1)
