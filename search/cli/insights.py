"""``kb insights [--days N] [--json]``: what officials searched for and read, as a table.

Reads the catalog only (no model, no index), so it runs beside ``kb serve``. The numbers are those of
``GET /v1/insights`` (:mod:`search.services.insights`), with the operator's own access.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import click

from search.cli.common import emit_json, kb_dir_option, make_settings, require_kb


@click.command("insights")
@click.option("--days", default=30, show_default=True, type=click.IntRange(1, 3660), help="How far back.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 200), help="Rows per table.")
@click.option("--json", "as_json", is_flag=True)
@kb_dir_option
def insights_command(days: int, limit: int, as_json: bool, kb_dir: Path | None) -> None:
    """Top queries, queries with no good match, views and downloads per document and state."""
    from kb.catalog import Catalog, KeyRecord
    from search.services.insights import Insights

    settings = make_settings(kb_dir)
    require_kb(settings)
    operator = KeyRecord(id="cli", role="admin", states=[], label="operator", created_at="", revoked_at=None)
    with Catalog(settings.resolved_catalog_url()) as catalog:
        summary = Insights(catalog).summary(operator, days=days, limit=limit)
    if as_json:
        emit_json(asdict(summary))
        return
    totals = ", ".join(f"{summary.totals.get(k, 0)} {k}s" for k in ("search", "view", "download"))
    click.echo(f"last {days} days: {totals}")
    _table("top queries", ["searches", "no good match", "query"], [(n, m, q) for q, n, m in summary.top_queries])
    _table("content gaps (never a good match)", ["searches", "query"], [(n, q) for q, n, _ in summary.gaps])
    _table("most read", ["views", "downloads", "document"], [(v, w, d) for d, _, v, w in summary.documents])
    _table("by state", ["views", "downloads", "state"], [(v, w, s) for s, v, w in summary.states])


def _table(title: str, header: list[str], rows: list[tuple[object, ...]]) -> None:
    click.echo(f"\n{title}:")
    if not rows:
        click.echo("  (none)")
        return
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) for i, h in enumerate(header[:-1])]
    click.echo("  " + "  ".join(h.rjust(w) for h, w in zip(header, widths, strict=False)) + "  " + header[-1])
    for row in rows:
        cells = "  ".join(str(c).rjust(w) for c, w in zip(row, widths, strict=False))
        click.echo(f"  {cells}  {row[-1]}")
