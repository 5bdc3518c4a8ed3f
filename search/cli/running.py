"""Where a running ``kb serve`` listens, and what to tell a command that finds the KB held by it.

The embedded index allows one process (Qdrant Edge's WAL lock), so while ``kb serve`` runs, every
other command on the same KB is refused. A refusal is only useful if it says what to do instead,
with the real address: ``kb serve`` writes ``KB_DIR/server.json`` (pid and base URL) once it
listens and removes it when it exits; a record whose pid is gone (a killed server) is ignored.

Qdrant Edge has no read-only open (``EdgeShard.load(path, config)`` and ``EdgeShard.create`` are
the only ways in, per ``qdrant_edge/__init__.pyi`` in qdrant-edge-py 0.9.0), so even ``kb search``
and ``kb stats`` cannot share the shard with the server: they are pointed at its HTTP API instead.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import quote_plus

from kb.errors import StoreLockedError
from kb.settings import Settings

Action = Literal["ingest", "read", "search", "mcp", "reindex", "serve"]
RECORD_NAME = "server.json"


@dataclass(frozen=True)
class ServerRecord:
    """A live ``kb serve`` on this KB: its process id and the base URL it answers on."""

    pid: int
    url: str


def record_path(kb_dir: Path) -> Path:
    return kb_dir / RECORD_NAME


def write_record(kb_dir: Path, url: str) -> Path:
    """Record this process as the server of ``kb_dir`` (atomically: readers never see half a file)."""
    path = record_path(kb_dir)
    kb_dir.mkdir(parents=True, exist_ok=True)  # a shared deployment may have no KB_DIR yet (state is elsewhere)
    tmp = path.with_name(f".{RECORD_NAME}.{os.getpid()}")
    tmp.write_text(json.dumps({"pid": os.getpid(), "url": url}), encoding="utf-8")
    tmp.replace(path)
    return path


def remove_record(kb_dir: Path) -> None:
    """Remove the record if it is still ours (a newer server may have replaced it)."""
    path = record_path(kb_dir)
    record = _load(path)
    if record is not None and record.pid == os.getpid():
        path.unlink(missing_ok=True)


def read_record(kb_dir: Path) -> ServerRecord | None:
    """The server recorded for ``kb_dir``, or None when there is none or its process is gone."""
    record = _load(record_path(kb_dir))
    return record if record is not None and _alive(record.pid) else None


def _load(path: Path) -> ServerRecord | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return ServerRecord(pid=int(data["pid"]), url=str(data["url"]).rstrip("/"))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def base_url(host: str, port: int) -> str:
    """The URL a local client uses to reach a server bound to ``host:port``."""
    if host in ("", "0.0.0.0", "::"):
        host = "127.0.0.1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def lock_message(settings: Settings, action: Action, query: str = "") -> str:
    """The refusal for ``action`` on a KB another process holds, with the server's real URL if known."""
    record = read_record(settings.kb_dir)
    if record is None:
        return _without_record(settings, action)
    held = (
        f"The knowledge base at {settings.kb_dir} is in use by another process: "
        f"`kb serve` (pid {record.pid}) is serving it at {record.url}"
    )
    url = record.url
    advice = {
        "ingest": f"send the files through it: kb ingest --server {url} --key KEY PATH",
        "search": f"read through it instead: curl '{url}/v1/search?q={quote_plus(query) or '...'}' (or open {url}/)",
        "read": f"read through it instead: curl '{url}/v1/facets' or curl '{url}/v1/search?q=...' (or open {url}/)",
        "mcp": f"connect the assistant to the server's MCP endpoint instead: {url}/mcp (docs/assistants.md)",
        "reindex": f"stop it first (kill {record.pid}): a rebuild needs the knowledge base to itself",
        "serve": f"it is already serving; open {url}/ or stop it first (kill {record.pid})",
    }[action]
    return f"{held}; {advice}"


def _without_record(settings: Settings, action: Action) -> str:
    held = f"The knowledge base at {settings.kb_dir} is in use by another process (is `kb serve` running?)"
    advice = {
        "ingest": "stop that process, or send the files through the running server: "
        "kb ingest --server URL --key KEY PATH",
        "search": "stop that process, or read through the running server: curl 'URL/v1/search?q=...'",
        "read": "stop that process, or read through the running server's API (URL/v1/facets, URL/v1/search)",
        "mcp": "for an assistant, connect it to the running server's MCP endpoint instead, "
        "http://HOST:PORT/mcp as printed by kb serve (docs/assistants.md)",
        "reindex": "stop that process first: a rebuild needs the knowledge base to itself",
        "serve": "wait for that process (a kb ingest?) to finish, or stop it",
    }[action]
    return f"{held}. {advice[:1].upper()}{advice[1:]}"


@contextmanager
def explain_lock(settings: Settings, action: Action, query: str = "") -> Iterator[None]:
    """Re-raise the store's lock error with directions for ``action``."""
    try:
        yield
    except StoreLockedError as exc:
        raise StoreLockedError(lock_message(settings, action, query=query)) from exc
