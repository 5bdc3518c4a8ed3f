"""``kb eval FILE``: retrieval metrics for our query format or a BEIR folder, modes side by side."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

import click

from search.cli.common import emit_json, kb_dir_option, make_settings, open_kb, require_kb


@click.command("eval")
@click.argument("source", metavar="QUERIES.jsonl|BEIR_DIR", type=click.Path(exists=True, path_type=Path))
@click.option("--mode", "modes", multiple=True, type=click.Choice(["hybrid", "dense", "sparse"]),
              help="Retrieval mode; repeat to compare side by side (default: hybrid).")  # fmt: skip
@click.option(
    "--json", "as_json", is_flag=True, help='Print {"overall": {...}, "by_kind": {...}} (per mode if several).'
)
@click.option(
    "--floor", "with_floor", is_flag=True,
    help="Apply the relevance floor: a query without a strong match returns nothing (as /v1/retrieve does).",
)  # fmt: skip
@kb_dir_option
def eval_command(source: Path, modes: tuple[str, ...], as_json: bool, with_floor: bool, kb_dir: Path | None) -> None:
    """Recall@5/10, MRR@10, nDCG@10, overall and per query kind.

    SOURCE is a queries .jsonl (run against this KB) or a BEIR folder (indexed into a temporary KB).
    """
    from search.evaluation import load_beir_queries, load_queries

    chosen = list(dict.fromkeys(modes)) or ["hybrid"]
    settings = make_settings(kb_dir)
    if source.is_dir():  # a BEIR folder is indexed into a temporary KB of its own
        queries = load_beir_queries(source)
        with tempfile.TemporaryDirectory(prefix="kb-beir-") as tmp:
            beir_settings = settings.model_copy(update={"kb_dir": Path(tmp), "qdrant_url": None})
            with open_kb(beir_settings) as (_catalog, store):
                from search.beir import index_beir

                click.echo(f"indexing {source} (minutes on two cores)...", err=True)
                index_beir(source, store, beir_settings)
                reports = _run(
                    beir_settings, store, queries, chosen, floor=with_floor
                )  # no adoptions: boost has nothing
    else:
        queries = load_queries(source)
        require_kb(settings)
        with open_kb(settings, "read") as (catalog, store):
            if store.count_documents() == 0:
                from kb.errors import ConfigError

                raise ConfigError(f"the knowledge base at {settings.kb_dir} is empty; run `kb ingest content/` first")
            reports = _run(settings, store, queries, chosen, adoptions=catalog, floor=with_floor)
    if as_json:
        emit_json(reports[chosen[0]] if len(chosen) == 1 else {"modes": reports})
    else:
        _print_table(reports)
    sys.exit(0)


def _run(
    settings: Any, store: Any, queries: list[Any], modes: list[str], adoptions: Any = None, floor: bool = False
) -> dict[str, Any]:
    from search.evaluation import evaluate
    from search.retrieval import Searcher

    searcher = Searcher(settings, store, adoptions=adoptions)  # KB_ADOPTION_BOOST applies as in search
    searcher.warm_up()

    def ranker(mode: str) -> Any:
        def rank(query: Any) -> list[str]:
            hits, run = searcher.run_query(query.text, query.filters, mode=mode)
            if floor and not any(searcher.is_strong(e) for e in searcher.judge(searcher.rank(hits), run)):
                return []  # no good match: nothing is answered
            return searcher.ranked_document_ids(hits)

        return rank

    return {mode: evaluate(queries, ranker(mode)) for mode in modes}


def _print_table(reports: dict[str, Any]) -> None:
    header = (
        f"{'mode':<8} {'kind':<12} {'queries':>7} {'R@5':>7} {'R@10':>7} {'MRR@10':>7} {'nDCG@10':>8} {'answered':>8}"
    )
    click.echo(header)
    click.echo("-" * len(header))
    for mode, report in reports.items():
        rows = [("overall", report["overall"]), *report["by_kind"].items()]
        for kind, m in rows:
            click.echo(
                f"{mode:<8} {kind:<12} {m['queries']:>7} {m['recall@5']:>7.3f} {m['recall@10']:>7.3f} "
                f"{m['mrr@10']:>7.3f} {m['ndcg@10']:>8.3f} {m['answered']:>8.3f}"
            )
