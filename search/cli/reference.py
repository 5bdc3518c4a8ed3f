"""The README's command and settings tables, generated from the code by cog (``scripts/test`` runs
``cog --check README.md``), so a new option, command or setting cannot go undocumented.

The command table comes from the click commands (synopsis from their parameters, text from their
help); the settings table from :class:`~kb.settings.Settings` fields and the few CLI options that
read an environment variable of their own (``KB_HOST``, ``KB_PORT``, ``KB_API_KEY``).
"""

from __future__ import annotations

import re
import typing
from pathlib import Path
from typing import Any

import click
from pydantic import AliasChoices
from pydantic.fields import FieldInfo

from kb.settings import Settings

SKIPPED_OPTIONS = {"kb_dir", "help"}  # said once under the table


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _code_spans(text: str) -> str:
    """Options (with their value names), paths and URLs in backticks; doc files as links."""

    def code(match: re.Match[str]) -> str:
        span = match.group(1)
        stripped = span.rstrip(".,;:")
        return f"`{stripped}`{span[len(stripped) :]}"

    text = re.sub(r"(?<![\w`/])(--[a-z][a-z-]*(?: [A-Z][A-Z_]*\b)?|/[a-z][\w/{}.-]*)", code, text)
    return re.sub(r"(?<![\w\[/])(docs/[\w-]+\.md)", r"[\1](\1)", text)


def _value_name(param: click.Parameter) -> str:
    if isinstance(param.type, click.Choice):
        return "|".join(str(c) for c in param.type.choices)
    return param.metavar or (param.name or "value").upper()


def synopsis(name: str, command: click.Command) -> str:
    """``kb NAME ARG... [--flag] [--option V]...`` from the command's parameters."""
    parts = [name]
    for param in command.params:
        if param.name in SKIPPED_OPTIONS:
            continue
        if isinstance(param, click.Argument):
            value = _value_name(param)
            parts.append(value + ("..." if param.nargs == -1 and not value.endswith("...") else ""))
        elif isinstance(param, click.Option):
            flag = max(param.opts, key=len)
            text = flag if param.is_flag else f"{flag} {_value_name(param)}"
            parts.append(f"[{text}]" + ("..." if param.multiple else ""))
    return " ".join(parts)


def _help(command: click.Command) -> str:
    text = (command.help or "").split("\f", 1)[0]
    return " ".join(text.split())


def command_rows(group: click.Group, prefix: str = "kb") -> list[tuple[str, str]]:
    """(synopsis, description) for every command, subcommands of a group after it, in help order."""
    rows: list[tuple[str, str]] = []
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if command is None or command.hidden:
            continue
        if isinstance(command, click.Group):
            rows.extend(command_rows(command, f"{prefix} {name}"))
        else:
            rows.append((synopsis(f"{prefix} {name}", command), _help(command)))
    return rows


def command_table(root: click.Group) -> str:
    """The README's command table for ``root`` (the ``kb`` group, passed in: no import of the root)."""
    lines = ["| command | what it does |", "|---|---|"]
    lines += [f"| `{_cell(usage)}` | {_cell(_code_spans(text))} |" for usage, text in command_rows(root)]
    return "\n".join(lines) + "\n"


def env_name(name: str, field: FieldInfo) -> str:
    """The environment variable of a setting: its alias if it has one, else ``KB_`` + NAME."""
    alias = field.validation_alias
    if isinstance(alias, AliasChoices):
        alias = next((c for c in alias.choices if isinstance(c, str)), None)
    return alias if isinstance(alias, str) else f"KB_{name.upper()}"


def _default(name: str, field: FieldInfo) -> str:
    value: Any = field.default
    if value is None or value == "":
        return "(none)"
    if isinstance(value, Path):
        return f"`./{value}`"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if name.endswith("_bytes") and isinstance(value, int) and value >= 1024 and value % 1024 == 0:
        for unit, size in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
            if value % size == 0:
                return f"`{value}` ({value // size} {unit})"
    return f"`{value}`"


def _choices(field: FieldInfo) -> str:
    kinds = [field.annotation, *typing.get_args(field.annotation)]
    for kind in kinds:
        if typing.get_origin(kind) is typing.Literal:
            return "One of " + ", ".join(f"`{c}`" for c in typing.get_args(kind)) + ". "
    return ""


def settings_rows() -> list[tuple[str, str, str]]:
    """(variable, default, description) for every Settings field, in declaration order."""
    return [
        (env_name(name, field), _default(name, field), _choices(field) + _code_spans(field.description or ""))
        for name, field in Settings.model_fields.items()
    ]


def option_env_rows(root: click.Group) -> list[tuple[str, str, str]]:
    """CLI options that read an environment variable themselves (not Settings fields)."""
    rows: list[tuple[str, str, str]] = []
    ctx = click.Context(root)
    for name in root.list_commands(ctx):
        command = root.get_command(ctx, name)
        for param in command.params if command else []:
            if isinstance(param, click.Option) and isinstance(param.envvar, str):
                default = "(none)" if param.default is None else f"`{param.default}`"
                rows.append((param.envvar, default, f"`kb {name} {max(param.opts, key=len)}`: {param.help or ''}"))
    return rows


def settings_table(root: click.Group) -> str:
    """The README's settings table: every Settings field, then the options of ``root``'s commands."""
    lines = ["| variable | default | what it sets |", "|---|---|---|"]
    for variable, default, text in [*settings_rows(), *option_env_rows(root)]:
        lines.append(f"| `{variable}` | {_cell(default)} | {_cell(text)} |")
    return "\n".join(lines) + "\n"
