"""The README documents every CLI command and the two setup commands, so docs cannot drift silently."""

from __future__ import annotations

import click

from search.cli import main
from tests.conftest import REPO_ROOT

README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")


def test_every_command_is_in_the_readme() -> None:
    for name, command in main.commands.items():
        assert f"kb {name}" in README, f"README does not mention `kb {name}`"
        if isinstance(command, click.Group):
            for sub in command.commands:
                assert sub in README, f"README does not mention `kb {name} {sub}`"


def test_the_two_setup_commands_exist_and_ci_runs_the_test_one() -> None:
    assert "scripts/run" in README and "scripts/test" in README
    assert (REPO_ROOT / "scripts" / "run").exists() and (REPO_ROOT / "scripts" / "test").exists()
    assert "scripts/test" in (REPO_ROOT / ".ci" / "run").read_text()
