"""``kb search`` and ``kb stats``: the read-only commands on a local KB.

Both refuse a folder without a catalog (a mistyped ``--kb-dir`` must not create an empty KB and
answer "No results."), and while ``kb serve`` holds the KB they point at its HTTP API.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from search.cli.common import emit_json, kb_dir_option, make_settings, open_kb, require_kb

INDEXED_DOCUMENTS_LIMIT = 10_000_000  # a facet needs a limit; far above any KB this store serves


@click.command()
@click.argument("query")
@click.option("--state", "states", multiple=True, metavar="S", help="Filter by state/UT (repeatable).")
@click.option("--sector", default=None, metavar="S", help="Filter by sector, e.g. land_records.")
@click.option("--type", "doc_type", default=None, metavar="T", help="Filter by type, e.g. case_study.")
@click.option("--year-from", type=int, default=None, metavar="Y")
@click.option("--year-to", type=int, default=None, metavar="Y")
@click.option("--top-k", default=10, show_default=True, type=click.IntRange(1, 50), metavar="N")
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
    """Search by meaning: one result per document with its best section and a snippet.

    --json prints the body of GET /v1/search.
    """
    from search.retrieval import Searcher
    from search.schemas import SearchRequest
    from search.services.documents import Documents
    from search.validation import build_filters

    settings = make_settings(kb_dir)
    filters = build_filters(states=list(states), sector=sector, type=doc_type, year_from=year_from, year_to=year_to)
    require_kb(settings)
    with open_kb(settings, "search", query=query) as (catalog, store):
        searcher = Searcher(settings, store, adoptions=catalog)
        searcher.warm_up()
        documents = Documents(catalog=catalog, searcher=searcher, settings=settings)
        response = documents.search(SearchRequest(query=query, top_k=top_k, filters=filters, mode=mode))  # type: ignore[arg-type]
    if as_json:
        emit_json(response.model_dump(mode="json"))
        return
    if response.also_searched:  # the domain thesaurus's synonyms (search/thesaurus.py)
        click.echo(f"Also searched: {', '.join(response.also_searched)}")
    if not response.results:
        click.echo("No results." + (" Try removing some filters." if not filters.is_empty() else ""))
    for rank, result in enumerate(response.results, 1):
        where = ", ".join(result.states) or "national"
        click.echo(f"{rank}. {result.title}  [{result.type}, {where}, {result.year or 'n.d.'}]  {result.score:.3f}")
        if result.section:
            click.echo(f"   § {result.section}" + (f" (p. {result.page})" if result.page else ""))
        click.echo(f"   {result.snippet}")
        click.echo(f"   id: {result.document_id}")


@click.command()
@click.option("--json", "as_json", is_flag=True)
@kb_dir_option
def stats(as_json: bool, kb_dir: Path | None) -> None:
    """Documents and chunks (in the catalog and in the index), counts by type, sector and state."""
    settings = make_settings(kb_dir)
    require_kb(settings)
    with open_kb(settings, "read", check_model=False) as (catalog, store):
        data: dict[str, Any] = {
            **catalog.counts(),
            "index_model": catalog.index_model(),  # the dense model(s) the index was built with
            "dense_model": settings.dense_model_name,  # what KB_DENSE_MODEL selects
            "indexed_chunks": store.count_documents(),
            # distinct documents in the index: equals "documents" unless catalog and index disagree
            "indexed_documents": len(store.facet("meta.document_id", limit=INDEXED_DOCUMENTS_LIMIT)),
            "backend": store.info(),
            "by_type": catalog.facet_counts("type"),
            "by_sector": catalog.facet_counts("sector"),
            "by_state": catalog.facet_counts("states"),
        }
    if as_json:
        emit_json(data)
        return
    click.echo(f"documents {data['documents']} (withdrawn {data['withdrawn']}), versions {data['versions']}")
    click.echo(
        f"chunks in index {data['indexed_chunks']} from {data['indexed_documents']} documents; "
        f"backend {data['backend']}"
    )
    built = data["index_model"] or "nothing yet"
    note = "" if data["index_model"] in (None, data["dense_model"]) else "; differs: run `kb reindex`"
    click.echo(f"dense models: index built with {built}; KB_DENSE_MODEL selects {data['dense_model']}{note}")
    for name in ("by_type", "by_sector", "by_state"):
        items = sorted(data[name].items(), key=lambda kv: -kv[1])
        click.echo(f"{name.replace('_', ' ')}: " + ", ".join(f"{k} {v}" for k, v in items))
