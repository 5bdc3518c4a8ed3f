"""Haystack filters parsed once into a small condition tree that both Qdrant backends render.

Why our own parser rather than qdrant-haystack's ``convert_filters_to_qdrant``: that converter
produces qdrant-client models only (Edge would need a second translation of every model class), it
rejects ``None`` values, and it renders ``NOT`` as "none of the conditions" where Haystack means
"not all of them". One parser with Haystack's semantics, rendered by two ~40-line functions
(:mod:`kb.store.filters_edge`, :mod:`kb.store.server`), keeps the backends identical by construction.

Semantics (Haystack 2/3 filter syntax, checked by Haystack's own ``FilterDocumentsTest``):

- Fields: ``id``, ``content`` and ``meta.<key>`` (payload keys of the same name). Anything else is an
  error that names the fix: Haystack would silently match nothing for ``states`` instead of
  ``meta.states``, which turns a typo into an empty result page.
- ``==``/``!=`` with ``None`` test for a missing/null/empty field; ``>``/``>=``/``<``/``<=`` with
  ``None`` match nothing; with ISO-8601 strings they compare as datetimes; other strings, lists and
  booleans are errors. ``!=`` and ``not in`` keep documents that lack the field (Python's ``!=``).
- On a list-valued payload field (``meta.states``) ``==``/``in`` match when any element matches:
  that is Qdrant's semantics and what "practices of Haryana" means.
- ``NOT`` negates the conjunction of its conditions, as Haystack defines it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeAlias, cast

from haystack.errors import FilterError

from kb.errors import QueryError

COMPARISON_OPERATORS = ("==", "!=", ">", ">=", "<", "<=", "in", "not in")
LOGICAL_OPERATORS = ("AND", "OR", "NOT")
TOP_LEVEL_FIELDS = ("id", "content")


class InvalidFilterError(QueryError, FilterError):
    """A malformed filter: a ``QueryError`` for our API (400) and a ``FilterError`` for Haystack."""


# ---- the condition tree ------------------------------------------------------------------------


@dataclass(frozen=True)
class Match:
    """``key`` equals ``value`` (or, on a list field, contains it)."""

    key: str
    value: str | int | bool


@dataclass(frozen=True)
class MatchAny:
    """``key`` equals one of ``values`` (all strings or all integers, as Qdrant requires)."""

    key: str
    values: tuple[str, ...] | tuple[int, ...]


@dataclass(frozen=True)
class Range:
    """Numeric range; unset bounds are open."""

    key: str
    gt: float | None = None
    gte: float | None = None
    lt: float | None = None
    lte: float | None = None


@dataclass(frozen=True)
class DatetimeRange:
    """Datetime range on ISO-8601 payload strings; bounds are ISO-8601 strings."""

    key: str
    gt: str | None = None
    gte: str | None = None
    lt: str | None = None
    lte: str | None = None


@dataclass(frozen=True)
class IsEmpty:
    """``key`` is missing, null or an empty list."""

    key: str


@dataclass(frozen=True)
class HasId:
    """The point id is one of ``ids``; an empty tuple matches nothing (our constant *false*)."""

    ids: tuple[str, ...]


@dataclass(frozen=True)
class And:
    """All conditions hold; an empty tuple matches everything."""

    conditions: tuple[Condition, ...]


@dataclass(frozen=True)
class Or:
    """At least one condition holds (never empty: the parser turns an empty OR into ``NOTHING``)."""

    conditions: tuple[Condition, ...]


@dataclass(frozen=True)
class Not:
    """The condition does not hold."""

    condition: Condition


Condition: TypeAlias = Match | MatchAny | Range | DatetimeRange | IsEmpty | HasId | And | Or | Not

NOTHING: Condition = HasId(())
EVERYTHING: Condition = And(())


def as_list(values: tuple[str, ...] | tuple[int, ...]) -> list[str] | list[int]:
    """``MatchAny`` values as the list both clients want (typed: all strings or all integers)."""
    return cast("list[str] | list[int]", list(values))


def parse_filters(filters: dict[str, Any] | None) -> Condition | None:
    """Parse a Haystack filter dict; ``None``/``{}`` mean "no filter" and give ``None``."""
    if not filters:
        return None
    if not isinstance(filters, dict):
        raise InvalidFilterError(f"Filters must be a dict, got {type(filters).__name__}.")
    return _parse(filters)


def combine(*conditions: Condition | None) -> Condition | None:
    """AND together the given conditions, skipping ``None``; ``None`` when nothing is left."""
    present = tuple(c for c in conditions if c is not None)
    if not present:
        return None
    return present[0] if len(present) == 1 else And(present)


# ---- parsing -----------------------------------------------------------------------------------


def _parse(item: Any) -> Condition:
    if not isinstance(item, dict):
        raise InvalidFilterError(f"Each filter condition must be a dict, got {item!r}.")
    if "operator" not in item:
        raise InvalidFilterError(
            f"Filter {item!r} has no 'operator'. Write comparisons as "
            "{'field': 'meta.x', 'operator': '==', 'value': ...} and combine them with "
            "{'operator': 'AND', 'conditions': [...]}."
        )
    operator = item["operator"]
    if operator in LOGICAL_OPERATORS:
        return _parse_logical(operator, item)
    if operator in COMPARISON_OPERATORS:
        return _parse_comparison(operator, item)
    known = ", ".join(COMPARISON_OPERATORS + LOGICAL_OPERATORS)
    raise InvalidFilterError(f"Unknown filter operator {operator!r}; use one of {known}.")


def _parse_logical(operator: str, item: dict[str, Any]) -> Condition:
    if "conditions" not in item:
        raise InvalidFilterError(f"Logical filter {operator!r} needs a 'conditions' list.")
    raw = item["conditions"]
    if not isinstance(raw, list):
        raise InvalidFilterError(f"'conditions' of {operator!r} must be a list, got {type(raw).__name__}.")
    parsed = tuple(_parse(condition) for condition in raw)
    if operator == "AND":
        return parsed[0] if len(parsed) == 1 else And(parsed)
    if operator == "OR":
        if not parsed:
            return NOTHING  # Qdrant's empty `should` matches everything; an empty OR is false
        return parsed[0] if len(parsed) == 1 else Or(parsed)
    return Not(parsed[0] if len(parsed) == 1 else And(parsed))


def _parse_comparison(operator: str, item: dict[str, Any]) -> Condition:
    if "field" not in item:
        raise InvalidFilterError(f"Comparison {operator!r} needs a 'field'.")
    if "value" not in item:
        raise InvalidFilterError(f"Comparison {operator!r} on {item['field']!r} needs a 'value'.")
    key = _payload_key(item["field"])
    value = item["value"]
    if operator == "==":
        return _equal(key, value)
    if operator == "!=":
        return Not(_equal(key, value))
    if operator == "in":
        return _in(key, value, operator)
    if operator == "not in":
        return Not(_in(key, value, operator))
    return _range(key, operator, value)


def _payload_key(field: Any) -> str:
    if not isinstance(field, str) or not field:
        raise InvalidFilterError(f"Filter field must be a non-empty string, got {field!r}.")
    if field in TOP_LEVEL_FIELDS or (field.startswith("meta.") and len(field) > len("meta.")):
        return field
    raise InvalidFilterError(
        f"Unknown filter field {field!r}: metadata fields are written 'meta.{field}' "
        "(document fields are 'id' and 'content')."
    )


def _equal(key: str, value: Any) -> Condition:
    if value is None:
        return IsEmpty(key)
    if isinstance(value, bool | str | int):
        return Match(key, value)
    if isinstance(value, float):
        # Qdrant matches exact values only for keywords, integers and booleans; a closed range
        # matches both 2 and 2.0 stored as numbers.
        return Range(key, gte=value, lte=value)
    raise InvalidFilterError(
        f"Cannot compare {key!r} with {value!r}: use a string, number, boolean or None (for several values use 'in')."
    )


def _in(key: str, value: Any, operator: str) -> Condition:
    if not isinstance(value, list):
        raise InvalidFilterError(f"{operator!r} on {key!r} needs a list value, got {value!r}.")
    if not value:
        return NOTHING
    if all(isinstance(v, str) for v in value):
        return MatchAny(key, tuple(value))
    if all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        return MatchAny(key, tuple(value))
    options = tuple(_equal(key, v) for v in value)
    return options[0] if len(options) == 1 else Or(options)


_RANGE_BOUNDS = {">": "gt", ">=": "gte", "<": "lt", "<=": "lte"}


def _range(key: str, operator: str, value: Any) -> Condition:
    bound = _RANGE_BOUNDS[operator]
    if value is None:
        return NOTHING  # nothing is greater or less than None (Haystack's semantics)
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise InvalidFilterError(f"{operator!r} on {key!r} needs a number or an ISO-8601 date, got {value!r}.")
    if isinstance(value, str):
        try:
            datetime.fromisoformat(value)
        except ValueError:
            raise InvalidFilterError(
                f"{operator!r} on {key!r} needs a number or an ISO-8601 date, got the string {value!r}."
            ) from None
        return DatetimeRange(key, **{bound: value})
    return Range(key, **{bound: float(value)})
