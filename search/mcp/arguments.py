"""Invalid tool arguments as one line a model can act on, worded like the API's problem details.

The SDK validates a call's arguments against the tool's signature before our code runs, and reports
a failure with pydantic's full dump: the generated class name (``search_practicesArguments``), the
echoed input, a link to errors.pydantic.dev. A model learns little from that. We say instead what
the API says for the same mistake, ``field: message`` (at most three, joined by "; "), and name what
is valid: the values of an enum, the bounds of a range, the fields of an object, the arguments of the
tool. Those come from the tool's advertised input schema, so the message cannot disagree with what
the model was shown. Messages our own validators wrote (``'helth' is not a valid sector; did you
mean 'health'?``) are kept as they are.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

MAX_ERRORS = 3
_RANGE = {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}
_INTEGER = {"int_type", "int_parsing", "int_from_float"}
_OBJECT = {"model_type", "model_attributes_type", "dict_type"}


def describe_arguments(exc: ValidationError, schema: Mapping[str, Any]) -> str:
    """``field: message`` for the first errors of ``exc``, against the tool's input ``schema``."""
    parts = []
    for error in exc.errors()[:MAX_ERRORS]:
        loc = error["loc"]
        where = ".".join(str(part) for part in loc) or "arguments"
        parts.append(f"{where}: {_message(error, _at(schema, loc), _at(schema, loc[:-1]))}")
    return "; ".join(parts)


def unknown_arguments(arguments: Mapping[str, Any], schema: Mapping[str, Any]) -> str | None:
    """The message for arguments the tool does not take, or None.

    The SDK ignores them silently; ``/v1/retrieve`` refuses unknown fields, and a misspelt
    ``max_token`` that is ignored would leave the model wondering why its budget had no effect.
    """
    names = list(schema.get("properties") or {})
    extra = [name for name in arguments if name not in names]
    if not extra:
        return None
    return f"{extra[0]}: unknown argument; the arguments are {', '.join(names)}"


def _message(error: ErrorDetails, field: Mapping[str, Any], parent: Mapping[str, Any]) -> str:
    kind, value = error["type"], error.get("input")
    if kind in _RANGE or kind in _INTEGER:
        low, high = field.get("minimum"), field.get("maximum")
        bounds = f" from {low} to {high}" if low is not None and high is not None else ""
        return f"must be an integer{bounds}, not {_show(value)}"
    if kind == "missing":
        return "required"
    if kind == "extra_forbidden":
        return f"unknown field; the fields are {', '.join(parent.get('properties') or {})}"
    if kind in _OBJECT:
        return f"must be an object with the fields {', '.join(field.get('properties') or {})}"
    if kind == "string_type":
        return f"must be a string, not {_show(value)}"
    if kind == "list_type":
        return f"must be a list, not {_show(value)}"
    if kind in ("enum", "literal_error") and field.get("enum"):
        return f"{_show(value)} is not valid; must be one of {', '.join(map(str, field['enum']))}"
    return str(error["msg"]).removeprefix("Value error, ")


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _at(schema: Mapping[str, Any], loc: tuple[int | str, ...]) -> Mapping[str, Any]:
    """The schema of the value at ``loc`` (following ``$ref`` and optional ``anyOf``), {} if unknown."""
    node = _resolve(schema, schema)
    for part in loc:
        if isinstance(part, int):
            node = _resolve(schema, node.get("items") or {})
        else:
            node = _resolve(schema, (node.get("properties") or {}).get(part) or {})
    return node


def _resolve(root: Mapping[str, Any], node: Mapping[str, Any]) -> Mapping[str, Any]:
    for option in node.get("anyOf") or ():  # `X | None`: the non-null option says what is valid
        if option.get("type") != "null":
            node = {**option, **{k: v for k, v in node.items() if k != "anyOf"}}
            break
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        target = (root.get("$defs") or {}).get(ref.removeprefix("#/$defs/")) or {}
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    return node
