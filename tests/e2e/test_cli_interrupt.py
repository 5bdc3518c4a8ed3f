"""Ctrl-C during ``kb ingest``: it stops after the current file, says what it did not do, exits 130.

The run happens on a real pseudo-terminal and the interrupt is a real ``\\x03`` typed into it, so
the kernel sends SIGINT to the whole foreground process group (the CLI and its converter worker),
exactly as a user's Ctrl-C does.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import select
import subprocess
import termios
import time
from pathlib import Path

from kb.settings import Settings
from kb.store import open_store
from tests.e2e.conftest import KB_BIN, run_kb_process

FILES = 6
TOPICS = ["land records", "grievances", "school attendance", "crop insurance", "water meters", "bus passes"]


def _write_corpus(folder: Path) -> None:
    """Six Markdown practices, long enough (a dozen chunks each) that a run takes several seconds."""
    folder.mkdir()
    for number, topic in enumerate(TOPICS[:FILES]):
        sections = "\n\n".join(
            f"## Phase {phase}\n\n"
            + " ".join(
                f"In phase {phase} the district teams extended the {topic} service to block {b} and "
                f"trained {phase * 10 + b} operators who now handle requests from citizens every day."
                for b in range(12)
            )
            for phase in range(1, 9)
        )
        (folder / f"practice-{number}.md").write_text(
            f"---\nid: practice-{number}\ntitle: Practice {number} on {topic}\ntype: case_study\n"
            f"states: [Haryana]\nsector: citizen_services\nyear: 2020\n---\n\n# Practice {number}\n\n{sections}\n",
            encoding="utf-8",
        )


def _controlling_terminal() -> None:
    """In the child after setsid: make the pty (stdin) its controlling terminal, so ^C means SIGINT."""
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def _read_until(master: int, pattern: str, process: subprocess.Popen[bytes], timeout: float) -> str:
    """Collect terminal output until ``pattern`` appears (or the process ends, or time runs out)."""
    seen = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO: the other side closed
                break
            if not chunk:
                break
            seen += chunk
            if re.search(pattern, seen.decode(errors="replace")):
                break
        elif process.poll() is not None:
            break
    return seen.decode(errors="replace")


def test_ctrl_c_stops_after_the_current_file_and_the_next_run_finishes(tmp_path: Path) -> None:
    corpus, kb_dir = tmp_path / "corpus", tmp_path / "kb"
    _write_corpus(corpus)
    master, slave = pty.openpty()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TERM": "dumb"}
    process = subprocess.Popen(
        [KB_BIN, "ingest", str(corpus), "--kb-dir", str(kb_dir)],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        start_new_session=True,
        preexec_fn=_controlling_terminal,
    )
    os.close(slave)
    try:
        # the bar shows "1/6" when the first file is done and the second one starts
        before = _read_until(master, rf"\] 1/{FILES} ", process, timeout=300)
        assert process.poll() is None, f"kb ingest ended before the first file was reported:\n{before}"
        assert re.search(rf"\] 1/{FILES} ", before), before
        os.write(master, b"\x03")  # Ctrl-C, typed into the terminal
        after = _read_until(master, r"files not processed", process, timeout=300)
        code = process.wait(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(master)
    output = before + after
    assert code == 130, output
    assert "stopping after the current file" in output
    match = re.search(r"interrupted: (\d+) files not processed", output)
    assert match, output
    not_processed = int(match.group(1))
    assert 1 <= not_processed <= FILES - 2, output  # at least the first two files were taken
    assert "Traceback" not in output and "KeyboardInterrupt" not in output

    stats = json.loads(run_kb_process("stats", "--json", "--kb-dir", str(kb_dir)).stdout)
    done = stats["documents"]
    assert done == FILES - not_processed, (stats, output)
    assert stats["indexed_documents"] == done and stats["indexed_chunks"] == stats["chunks"], stats
    with open_store(Settings(kb_dir=kb_dir)) as store:  # every indexed chunk belongs to a catalogued document
        assert len({d.meta["document_id"] for d in store.scroll()}) == done

    rest = run_kb_process("ingest", str(corpus), "--json", "--kb-dir", str(kb_dir))
    assert rest.returncode == 0, rest.stderr
    report = json.loads(rest.stdout)
    assert (report["added"], report["unchanged"], report["failed"]) == (not_processed, done, [])
    final = json.loads(run_kb_process("stats", "--json", "--kb-dir", str(kb_dir)).stdout)
    assert final["documents"] == final["indexed_documents"] == FILES
