"""Render the parsed filter tree (:mod:`kb.store.filters`) as qdrant-client ``Filter`` objects.

Mirrors :mod:`kb.store.filters_edge` line for line; the congruence tests run the same filters
through both. Imported only by the server backend, so the embedded path never loads qdrant-client.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from qdrant_client import models as qm

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


def to_server_filter(condition: Condition | None) -> qm.Filter | None:
    """The qdrant-client filter for ``condition`` (mirrors :func:`kb.store.filters_edge.to_edge_filter`)."""
    if condition is None:
        return None
    rendered = _render(condition)
    return rendered if isinstance(rendered, qm.Filter) else qm.Filter(must=[rendered])


def _render(condition: Condition) -> Any:
    match condition:
        case Match(key, value):
            return qm.FieldCondition(key=key, match=qm.MatchValue(value=value))
        case MatchAny(key, values):
            return qm.FieldCondition(key=key, match=qm.MatchAny(any=as_list(values)))
        case Range(key, gt, gte, lt, lte):
            return qm.FieldCondition(key=key, range=qm.Range(gt=gt, gte=gte, lt=lt, lte=lte))
        case DatetimeRange(key, gt, gte, lt, lte):
            bounds = {"gt": gt, "gte": gte, "lt": lt, "lte": lte}
            parsed = {name: datetime.fromisoformat(v) for name, v in bounds.items() if v is not None}
            return qm.FieldCondition(key=key, range=qm.DatetimeRange(**parsed))
        case IsEmpty(key):
            return qm.IsEmptyCondition(is_empty=qm.PayloadField(key=key))
        case HasId(ids):
            return qm.HasIdCondition(has_id=list(ids))
        case And(conditions):
            return qm.Filter(must=[_render(c) for c in conditions] or None)
        case Or(conditions):
            return qm.Filter(should=[_render(c) for c in conditions])
        case Not(inner):
            return qm.Filter(must_not=[_render(inner)])
    raise TypeError(f"unknown filter condition {condition!r}")  # pragma: no cover
