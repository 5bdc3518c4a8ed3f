"""``kb mcp`` over stdio tells the user (on stderr: stdout is the protocol) when its links will be
relative, because without ``KB_PUBLIC_URL`` it has no address to put in front of them."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from kb.settings import Settings
from kb.store import open_store
from tests.conftest import FIXTURES
from tests.e2e.conftest import KB_BIN, run_cli

INITIALIZE = (
    '{"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-06-18", '
    '"capabilities": {}, "clientInfo": {"name": "test", "version": "0"}}}\n'
)


def _mcp(kb_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Start ``kb mcp`` as a client would, send one initialize request, then close its stdin."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("KB_")}
    full_env.update(HF_HUB_OFFLINE="1", **env)
    return subprocess.run(
        [KB_BIN, "mcp", "--kb-dir", str(kb_dir)],
        input=INITIALIZE,
        capture_output=True,
        text=True,
        env=full_env,
        timeout=180,
    )


def test_without_a_public_url_it_says_links_are_relative_on_stderr_only(tmp_path: Path) -> None:
    kb_dir = tmp_path / "kb"
    assert run_cli("ingest", str(FIXTURES / "good" / "cm-window-note.txt"), "--kb-dir", str(kb_dir)).exit_code == 0
    relative = _mcp(kb_dir)
    assert relative.returncode == 0, relative.stderr
    notes = [line for line in relative.stderr.splitlines() if "KB_PUBLIC_URL" in line]
    assert len(notes) == 1 and "relative" in notes[0] and "set KB_PUBLIC_URL" in notes[0], relative.stderr
    assert relative.stderr.splitlines()[0] == notes[0]  # said at start, before the model loads
    assert '"jsonrpc"' in relative.stdout and "KB_PUBLIC_URL" not in relative.stdout  # stdout: protocol only

    absolute = _mcp(kb_dir, KB_PUBLIC_URL="https://practices.example.gov.in")
    assert absolute.returncode == 0, absolute.stderr
    assert "KB_PUBLIC_URL" not in absolute.stderr and "kb mcp: serving 1 documents" in absolute.stderr


def test_initialize_is_answered_before_the_kb_opens_and_a_held_kb_then_ends_it(tmp_path: Path) -> None:
    """``kb mcp`` serves before it opens the KB (issue 16: ``initialize`` within 2 s), so a KB another
    process holds (here this test, as a ``kb ingest`` would) is found after ``initialize`` was
    answered: the process then says why on stderr and exits 1, as every command refused a held KB does."""
    kb_dir = tmp_path / "kb"
    assert run_cli("ingest", str(FIXTURES / "good" / "cm-window-note.txt"), "--kb-dir", str(kb_dir)).exit_code == 0
    with open_store(Settings(kb_dir=kb_dir)):
        held = _mcp(kb_dir)
    assert held.returncode == 1, held.stderr
    answer = json.loads(held.stdout.splitlines()[0])
    assert answer["id"] == 1 and answer["result"]["serverInfo"]["name"] == "egov-practice-exchange"
    error = held.stderr.strip().splitlines()[-1]
    assert error.startswith("Error: The knowledge base at") and "in use by another process" in error
    assert "/mcp" in error and "Traceback" not in held.stderr and "kb mcp: serving" not in held.stderr

    free = _mcp(kb_dir)  # the same KB, once released: served, and closed cleanly when stdin ends
    assert free.returncode == 0, free.stderr
    assert "kb mcp: serving 1 documents" in free.stderr
    with open_store(Settings(kb_dir=kb_dir)) as store:  # kb mcp released the KB on exit
        assert store.count_documents() > 0
