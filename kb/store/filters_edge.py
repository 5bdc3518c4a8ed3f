"""Render the parsed filter tree (:mod:`kb.store.filters`) as Qdrant Edge ``Filter`` objects.

Mirrors :mod:`kb.store.filters_server` line for line; the congruence tests run the same filters
through both.
"""

from __future__ import annotations

from typing import Any

import numpy
import qdrant_edge as qe

from kb.store.filters import (
    And,
    Condition,
    DatetimeRange,
    HasId,
    IsEmpty,
    Match,
    MatchAny,
    Not,
    Or,
    Range,
    as_list,
)


def to_edge_filter(condition: Condition | None) -> qe.Filter | None:
    """The Edge filter for ``condition``; ``None`` (no filter) stays ``None``."""
    if condition is None:
        return None
    rendered = _render(condition)
    return rendered if isinstance(rendered, qe.Filter) else qe.Filter(must=[rendered])


def _render(condition: Condition) -> Any:
    """One Edge condition (a ``Filter`` for the logical nodes)."""
    match condition:
        case Match(key, bool() as flag):
            # qdrant_edge 0.9.0 converts a Python bool into the integer 1/0 (bool is an int), which
            # matches no boolean payload; numpy.bool_ is not an int, so it arrives as a boolean.
            return qe.FieldCondition(key, match=qe.MatchValue(numpy.bool_(flag)))  # type: ignore[arg-type]
        case Match(key, value):
            return qe.FieldCondition(key, match=qe.MatchValue(value))
        case MatchAny(key, values):
            return qe.FieldCondition(key, match=qe.MatchAny(as_list(values)))
        case Range(key, gt, gte, lt, lte):
            return qe.FieldCondition(key, range=qe.RangeFloat(gte=gte, gt=gt, lte=lte, lt=lt))
        case DatetimeRange(key, gt, gte, lt, lte):
            return qe.FieldCondition(key, range=qe.RangeDateTime(gte=gte, gt=gt, lte=lte, lt=lt))
        case IsEmpty(key):
            return qe.IsEmptyCondition(key)
        case HasId(ids):
            return qe.HasIdCondition(set(ids))
        case And(conditions):
            return qe.Filter(must=[_render(c) for c in conditions] or None)
        case Or(conditions):
            return qe.Filter(should=[_render(c) for c in conditions])
        case Not(inner):
            return qe.Filter(must_not=[_render(inner)])
    raise TypeError(f"unknown filter condition {condition!r}")  # pragma: no cover
