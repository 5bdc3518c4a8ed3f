"""The README documents every CLI command and the two setup commands, so docs cannot drift silently."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click

from kb.settings import Settings
from search.cli import main
from search.cli.reference import env_name
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


def test_every_setting_and_its_variable_is_in_the_readme() -> None:
    for name, field in Settings.model_fields.items():
        assert f"| `{env_name(name, field)}` |" in README, f"README's settings table lacks {name}"
    assert "`KB_DIR`" in README and "KB_KB_DIR" not in README


def test_the_generated_tables_match_the_code() -> None:
    """What scripts/test runs: fails when a command, option or setting changed without `cog -r`."""
    cog = Path(sys.executable).parent / "cog"
    result = subprocess.run(
        [str(cog), "--check", "README.md"], capture_output=True, text=True, cwd=REPO_ROOT, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
