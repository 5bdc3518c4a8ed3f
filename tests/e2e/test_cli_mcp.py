"""``kb mcp`` over stdio tells the user (on stderr: stdout is the protocol) when its links will be
relative, because without ``KB_PUBLIC_URL`` it has no address to put in front of them."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

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
