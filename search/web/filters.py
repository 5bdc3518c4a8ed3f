"""The search page's filters: read leniently from the query string and turned into links and options.

A bad value in a bookmarked or hand-edited URL (``sector=helth``) must not cost the official the whole
page: each filter is validated on its own with the same schema as the API, the valid ones apply and
the invalid ones are reported on the page in the words the page itself uses (``Land records``, not
``land_records``; "the “from” year", not ``year_from``), with the closest valid choice.

``national=1`` is "All India": documents that name no state, alone or beside the chosen states.

Facet counts are *disjunctive*: the states list counts documents as if no state were chosen, so an
official who picked Haryana still sees how many Kerala documents there are and can add Kerala. They
are counted by :class:`search.services.documents.Documents` (SQL for listings, the query's candidates
for results); this module only orders them into options.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from starlette.datastructures import QueryParams

from kb.errors import QueryError
from kb.metadata import FIRST_YEAR
from kb.vocab import STATES_AND_UTS, DocType, Sector, canonical_state, closest, enum_values
from search.schemas import SearchFilters
from search.validation import build_filters
from search.web.i18n import gettext as _
from search.web.i18n import vocab
from search.web.render import label, state_name

ALL_INDIA = "All India"
LAST_YEAR = 2100  # SearchFilters' bound
_OFF = ("", "0", "false", "no", "off")


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
            "national": 1 if f.national else None,
            "sector": f.sector.value if f.sector else None,
            "type": f.type.value if f.type else None,
            "year_from": f.year_from,
            "year_to": f.year_to,
        }

    def chips(self) -> list[tuple[str, dict[str, Any]]]:
        """One (label, params without it) pair per active filter, for "remove this filter" links."""
        params = self.params()
        chips: list[tuple[str, dict[str, Any]]] = []
        for state in params["state"]:
            chips.append((state_name(state), {**params, "state": [s for s in params["state"] if s != state]}))
        if params["national"]:
            chips.append((vocab(ALL_INDIA), {**params, "national": None}))
        for name in ("sector", "type"):
            if params[name]:
                chips.append((label(params[name]), {**params, name: None}))
        if params["year_from"] or params["year_to"]:
            span = f"{params['year_from'] or '…'}–{params['year_to'] or '…'}"
            if params["year_from"] and params["year_from"] == params["year_to"]:
                span = str(params["year_from"])
            chips.append((_("Year %(span)s") % {"span": span}, {**params, "year_from": None, "year_to": None}))
        return chips


def _year(value: str | None) -> str | None:
    return value.strip() if value and value.strip() else None


def read_filters(query: QueryParams) -> FilterState:
    """Validate each filter separately; keep the good ones, describe the bad ones."""
    state = FilterState()
    values: dict[str, Any] = {}
    national = (query.get("national") or "").strip().lower() not in _OFF
    groups: dict[str, dict[str, Any]] = {
        "states": {"states": [s for s in query.getlist("state") if s.strip()], "national": national},
        "sector": {"sector": query.get("sector") or None},
        "type": {"type": query.get("type") or None},
        "years": {"year_from": _year(query.get("year_from")), "year_to": _year(query.get("year_to"))},
    }
    for name, group in groups.items():
        try:
            checked = build_filters(**group)
        except QueryError as exc:
            state.errors.append(_in_words(name, group, exc.message))
            continue
        values.update({key: getattr(checked, key) for key in group})
    state.filters = SearchFilters.model_validate(values)
    return state


def _in_words(name: str, group: dict[str, Any], message: str) -> str:
    """What was wrong with one group of filters, as the page names things (``message``: the schema's)."""
    if name == "states":
        unknown = [s for s in group["states"] if not _is_state(s)]
        if unknown:
            guess = closest(unknown[0], list(STATES_AND_UTS))
            hint = (
                _("Did you mean %(name)s?") % {"name": state_name(guess)}
                if guess
                else _("Choose one from the list under “Narrow the results”.")
            )
            return _("There is no state or union territory “%(value)s”.") % {"value": unknown[0]} + " " + hint
    elif name == "sector":
        return _unknown(
            _("There is no sector “%(value)s”."), _("The sectors are: %(values)s."), group["sector"], Sector
        )
    elif name == "type":
        return _unknown(
            _("There is no type of document “%(value)s”."),
            _("The types of document are: %(values)s."),
            group["type"],
            DocType,
        )
    elif name == "years":
        return _years_in_words(group["year_from"], group["year_to"])
    return message[:1].upper() + message[1:]


def _is_state(name: str) -> bool:
    try:
        canonical_state(name)
    except ValueError:
        return False
    return True


def _unknown(no_such: str, these_are: str, value: str, vocabulary: type[StrEnum]) -> str:
    """``no_such``/``these_are``: translated sentences with ``%(value)s`` and ``%(values)s``."""
    values = enum_values(vocabulary)
    guess = closest(re.sub(r"[\s-]+", "_", value.strip().lower()), values)
    parts = [no_such % {"value": value}]
    if guess:
        parts.append(_("Did you mean %(name)s?") % {"name": label(guess)})
    parts.append(these_are % {"values": ", ".join(label(v) for v in values)})
    return " ".join(parts)


def _years_in_words(year_from: str | None, year_to: str | None) -> str:
    for value in (year_from, year_to):
        if value is not None and not value.isdigit():
            return _("“%(value)s” is not a year: write it in four digits, e.g. 2015.") % {"value": value}
        if value is not None and not FIRST_YEAR <= int(value) <= LAST_YEAR:
            return _("The year %(value)s is out of range: use a year from %(first)s to %(last)s.") % {
                "value": value,
                "first": FIRST_YEAR,
                "last": LAST_YEAR,
            }
    # both valid, reversed
    return _("The “from” year (%(first)s) is after the “to” year (%(last)s).") % {"first": year_from, "last": year_to}


def facet_options(counts: dict[str, int], selected: Iterable[str], *, by_count: bool = True) -> list[tuple[str, int]]:
    """Values to offer: those with documents, plus the selected ones (even at zero), best first."""
    chosen = set(selected)
    options = dict(counts)
    for value in chosen:
        options.setdefault(value, 0)
    if by_count:  # chosen values first so they are never hidden under "more"
        return sorted(options.items(), key=lambda kv: (kv[0] not in chosen, -kv[1], kv[0]))
    return sorted(options.items())
