"""The command set and the options every command shares, through the real entry points.

Every command is registered in one place, so ``kb`` and ``python -m search.cli`` list the same
commands; ``--kb-dir`` works before or after the command name; read-only commands refuse a folder
that holds no KB instead of creating one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from search.cli import main
from tests.conftest import FIXTURES, REPO_ROOT
from tests.e2e.conftest import KB_BIN, run_cli, run_kb_process

COMMANDS = {  # at least these; a new command only has to be registered in search.cli.register_commands
    "ingest",
    "validate",
    "search",
    "stats",
    "reindex",
    "serve",
    "keys",
    "mcp",
    "eval",
}


def _listed_commands(help_text: str) -> set[str]:
    lines = help_text.split("Commands:", 1)[1].splitlines()
    return {line.split()[0] for line in lines if line.startswith("  ") and line.strip()}


@pytest.mark.parametrize("entry", ["console script", "python -m search.cli"])
def test_both_entry_points_list_every_command(entry: str) -> None:
    argv = [KB_BIN, "--help"] if entry == "console script" else [sys.executable, "-m", "search.cli", "--help"]
    result = subprocess.run(argv, capture_output=True, text=True, cwd=REPO_ROOT, timeout=60)
    assert result.returncode == 0, result.stderr
    listed = _listed_commands(result.stdout)
    assert listed == set(main.commands) and listed >= COMMANDS, listed


HELP_OF_EVERY_COMMAND = """
import sys
import click
from click.testing import CliRunner
from search.cli import main

def paths(command, path):
    yield path
    for name, sub in getattr(command, "commands", {}).items():
        yield from paths(sub, [*path, name])

runner = CliRunner()
for path in paths(main, []):
    result = runner.invoke(main, [*path, "--help"], prog_name="kb")
    assert result.exit_code == 0 and "Usage:" in result.output, (path, result.output)
    print(" ".join(path) or "kb")
heavy = ("torch", "haystack", "qdrant_client", "qdrant_edge", "sentence_transformers")
print(sorted(m for m in heavy if m in sys.modules))
"""


def test_help_of_every_command_loads_no_heavy_library() -> None:
    """``kb --help`` and each (sub)command's ``--help`` in one process: none imports torch, Haystack or
    Qdrant (each costs seconds, issue 16); timed in bench/cold_start.py, not here."""
    result = subprocess.run([sys.executable, "-c", HELP_OF_EVERY_COMMAND], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    *helped, loaded = result.stdout.strip().splitlines()
    assert set(helped) >= {"kb", *COMMANDS, "keys create", "db upgrade"}, helped
    assert loaded == "[]"


def test_command_modules_do_not_import_the_root() -> None:
    for module in (REPO_ROOT / "search" / "cli").glob("*.py"):
        if module.name in ("__init__.py", "__main__.py"):
            continue
        text = module.read_text(encoding="utf-8")
        assert "from search.cli import" not in text and "import search.cli\n" not in text, module


def test_kb_dir_before_or_after_the_command_and_the_commands_own_wins(tmp_path: Path) -> None:
    group_dir, own_dir = tmp_path / "group", tmp_path / "own"
    note = str(FIXTURES / "good" / "cm-window-note.txt")
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    env.pop("KB_DIR", None)
    before = subprocess.run(
        [KB_BIN, "--kb-dir", str(group_dir), "ingest", note, "--json"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300,
    )  # fmt: skip
    assert before.returncode == 0, before.stderr
    assert json.loads(before.stdout)["added"] == 1 and (group_dir / "catalog.sqlite").exists()

    mou = str(FIXTURES / "good" / "mou-kerala-karnataka.md")
    both = run_cli("--kb-dir", str(group_dir), "ingest", mou, "--kb-dir", str(own_dir), "--json")
    assert both.exit_code == 0, both.output
    assert json.loads(both.stdout)["added"] == 1
    assert json.loads(run_cli("stats", "--json", "--kb-dir", str(own_dir)).stdout)["documents"] == 1
    assert json.loads(run_cli("--kb-dir", str(group_dir), "stats", "--json").stdout)["documents"] == 1
    assert not (tmp_path / ".kb").exists()  # neither run fell back to ./.kb
    keys = run_cli("--kb-dir", str(group_dir), "keys", "create", "--role", "admin", "--json")
    assert keys.exit_code == 0, keys.output
    listed = run_cli("--kb-dir", str(group_dir), "keys", "list", "--json")
    assert [k["id"] for k in json.loads(listed.stdout)] == [json.loads(keys.stdout)["id"]]


@pytest.mark.parametrize(
    "args",
    [
        ("search", "land records"),
        ("stats",),
        ("stats", "--json"),
        ("eval", str(REPO_ROOT / "tests/eval/queries.jsonl")),
    ],
    ids=["search", "stats", "stats-json", "eval"],
)
def test_read_only_commands_refuse_a_folder_without_a_kb(tmp_path: Path, args: tuple[str, ...]) -> None:
    missing = tmp_path / "no" / "such" / "dir"
    result = run_cli(*args, "--kb-dir", str(missing))
    assert result.exit_code == 1
    assert result.stderr == f"Error: no knowledge base in {missing}; run kb ingest PATH --kb-dir {missing} first\n"
    assert result.stdout == ""
    assert not (tmp_path / "no").exists()


def test_mcp_refuses_a_folder_without_a_kb_and_keeps_stdout_clean(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    result = run_kb_process("mcp", "--kb-dir", str(missing), timeout=120)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.splitlines()[-1].startswith(f"Error: no knowledge base in {missing}")
    assert not missing.exists()


def test_keys_create_names_the_closest_state(tmp_path: Path) -> None:
    kb_dir = str(tmp_path / "kb")
    typo = run_cli("keys", "create", "--role", "contributor", "--state", "Harayna", "--kb-dir", kb_dir)
    assert typo.exit_code == 1
    assert typo.stderr.startswith("Error: --state: 'Harayna' is not a state or union territory of India")
    assert "did you mean 'Haryana'?" in typo.stderr and "filter" not in typo.stderr
    assert len(typo.stderr.strip().splitlines()) == 1
    alias = run_cli("keys", "create", "--state", "J&K", "--state", "haryana", "--json", "--kb-dir", kb_dir)
    assert alias.exit_code == 0, alias.output
    assert json.loads(alias.stdout)["states"] == ["Jammu and Kashmir", "Haryana"]


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    usage = run_kb_process("search", "--top-k", "0", "land", "--kb-dir", str(tmp_path))
    assert usage.returncode == 2 and "Traceback" not in usage.stderr
    unknown = run_kb_process("no-such-command")
    assert unknown.returncode == 2 and "No such command" in unknown.stderr
