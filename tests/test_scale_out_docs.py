"""README's "Scale-out" settings and compose.yaml name real variables, commands and options.

An operator copies these lines as they are; a renamed setting or option would fail them only in
production. Every ``KB_*`` variable must be one that :class:`kb.settings.Settings` reads, and every
``kb ...`` line must parse with the real click commands (unknown options and commands fail here).
"""

from __future__ import annotations

import re
import shlex

import click
import pytest
import yaml

from kb.settings import Settings
from search.cli import main
from search.cli.reference import env_name
from tests.conftest import REPO_ROOT

README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
VARIABLES = {env_name(name, field) for name, field in Settings.model_fields.items()}


def _scale_out_block() -> str:
    section = README.split("### Scale-out", 1)[1].split("\n### ", 1)[0]
    match = re.search(r"```bash\n(.*?)```", section, re.S)
    assert match, "README's Scale-out section has no bash block"
    return match.group(1)


def _parses(line: str) -> None:
    """Parse ``kb ...`` with the real commands, without running it."""
    args = shlex.split(line, comments=True)[1:]
    command: click.Command = main
    context = click.Context(main, info_name="kb")
    while isinstance(command, click.Group):
        name, found, args = command.resolve_command(context, args)
        assert found is not None, line
        command, context = found, click.Context(found, info_name=name, parent=context)
    command.make_context(command.name, list(args), parent=context.parent)


def test_the_scale_out_commands_and_variables_are_real() -> None:
    block = _scale_out_block()
    named = set(re.findall(r"\b(KB_[A-Z_]+)=", block))
    assert {"KB_CATALOG_URL", "KB_QDRANT_URL"} <= named
    assert named <= VARIABLES, named - VARIABLES
    commands = [line.strip() for line in block.splitlines() if line.strip().startswith("kb ")]
    assert {c.split()[1] for c in commands} >= {"serve", "worker", "db"}
    for line in commands:
        _parses(line)
    assert any("--workers" in c for c in commands)


def test_compose_runs_real_commands_with_real_settings() -> None:
    compose = yaml.safe_load((REPO_ROOT / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert {"postgres", "qdrant", "api", "worker"} <= set(services)
    for name in ("api", "worker"):
        environment = services[name]["environment"]
        kb_variables = {v for v in environment if v.startswith("KB_")}
        assert kb_variables <= VARIABLES, kb_variables - VARIABLES
        assert environment["KB_CATALOG_URL"].startswith("postgresql+psycopg://")
        assert "@postgres/" in environment["KB_CATALOG_URL"] and "qdrant:6333" in environment["KB_QDRANT_URL"]
        _parses(services[name]["command"])


def test_a_wrong_option_or_command_would_be_caught() -> None:
    """The check itself can fail: an option or a subcommand that does not exist is refused."""
    with pytest.raises(click.UsageError):
        _parses("kb serve --wokers 4")
    with pytest.raises(click.UsageError):
        _parses("kb db upgrad")
