"""The search page's filters: read leniently from the query string and turned into links and options.

A bad value in a bookmarked or hand-edited URL (``sector=helth``) must not cost the official the whole
page: each filter is validated on its own with the same schema as the API, the valid ones apply and
the invalid ones are reported on the page with the schema's own message.

Facet counts are *disjunctive*: the states list counts documents as if no state were chosen, so an
official who picked Haryana still sees how many Kerala documents there are and can add Kerala. They
are counted by :class:`search.services.documents.Documents` (SQL for listings, the query's candidates
for results); this module only orders them into options.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import QueryParams

from kb.errors import QueryError
from search.schemas import SearchFilters
from search.validation import build_filters


@dataclass
class FilterState:
    """The filters of one request, what was wrong with them, and the raw values for the form."""

    filters: SearchFilters = field(default_factory=SearchFilters)
    errors: list[str] = field(default_factory=list)

    @property
    def active(self) -> bool:
        return not self.filters.is_empty()

    def params(self) -> dict[str, Any]:
        """The valid filters as query parameters (``state`` repeated)."""
        f = self.filters
        return {
            "state": list(f.states),
            "sector": f.sector.value if f.sector else None,
            "type": f.type.value if f.type else None,
            "year_from": f.year_from,
            "year_to": f.year_to,
        }

    def chips(self) -> list[tuple[str, dict[str, Any]]]:
        """One (label, params without it) pair per active filter, for "remove this filter" links."""
        from search.web.render import label

        params = self.params()
        chips: list[tuple[str, dict[str, Any]]] = []
        for state in params["state"]:
            chips.append((state, {**params, "state": [s for s in params["state"] if s != state]}))
        for name in ("sector", "type"):
            if params[name]:
                chips.append((label(params[name]), {**params, name: None}))
        if params["year_from"] or params["year_to"]:
            span = f"{params['year_from'] or '…'}–{params['year_to'] or '…'}"
            if params["year_from"] and params["year_from"] == params["year_to"]:
                span = str(params["year_from"])
            chips.append((f"Year {span}", {**params, "year_from": None, "year_to": None}))
        return chips


def _year(value: str | None) -> str | None:
    return value.strip() if value and value.strip() else None


def read_filters(query: QueryParams) -> FilterState:
    """Validate each filter separately; keep the good ones, describe the bad ones."""
    state = FilterState()
    values: dict[str, Any] = {}
    groups: list[dict[str, Any]] = [
        {"states": [s for s in query.getlist("state") if s.strip()]},
        {"sector": query.get("sector") or None},
        {"type": query.get("type") or None},
        {"year_from": _year(query.get("year_from")), "year_to": _year(query.get("year_to"))},
    ]
    for group in groups:
        try:
            checked = build_filters(**group)
        except QueryError as exc:
            state.errors.append(exc.message)
            continue
        values.update({name: getattr(checked, name) for name in group})
    state.filters = SearchFilters.model_validate(values)
    return state


def facet_options(counts: dict[str, int], selected: Iterable[str], *, by_count: bool = True) -> list[tuple[str, int]]:
    """Values to offer: those with documents, plus the selected ones (even at zero), best first."""
    chosen = set(selected)
    options = dict(counts)
    for value in chosen:
        options.setdefault(value, 0)
    if by_count:  # chosen values first so they are never hidden under "more"
        return sorted(options.items(), key=lambda kv: (kv[0] not in chosen, -kv[1], kv[0]))
    return sorted(options.items())
