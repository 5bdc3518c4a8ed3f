"""``kb ingest --server URL --key KEY``: send files through a running server's API.

While ``kb serve`` runs it owns the embedded KB, so this is how a state IT team (or a cron job) adds
files to it. Each file becomes a POST (new id) or a PUT (known id), then its job is polled to the end,
and the summary has the same shape as a local ``kb ingest``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx

from ingest.files import default_ids, discover_files
from kb.errors import AuthError, InputError, KBError
from kb.metadata import is_markdown, read_raw_metadata, split_front_matter

POLL_SECONDS = 0.5
JOB_TIMEOUT_S = 900.0


def _document_id(path: Path, raw: dict[str, Any], fallback_id: str) -> str:
    if raw.get("id"):
        return str(raw["id"])
    if is_markdown(path):
        front = split_front_matter(path.read_text(encoding="utf-8", errors="replace"))[0]
        if front.get("id"):
            return str(front["id"])
    return fallback_id


def _problem(response: httpx.Response) -> str:
    try:
        body = response.json()
        return str(body.get("detail") or body.get("title") or response.text)
    except ValueError:
        return response.text[:200]


def ingest_via_server(server: str, key: str | None, paths: list[Path]) -> tuple[dict[str, Any], int]:
    """Upload every file under ``paths``; returns (summary JSON, exit code)."""
    if not key:
        raise AuthError("--server needs an API key: --key KEY or $KB_API_KEY")
    files, failed = discover_files(paths)
    fallback_ids = default_ids(files, paths)
    summary: dict[str, Any] = {
        "added": 0,
        "updated": 0,
        "unchanged": 0,
        "removed": 0,
        "failed": failed,
        "documents": [],
    }
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=server.rstrip("/"), headers=headers, timeout=120) as client:
        for path in files:
            try:
                raw = {} if is_markdown(path) else read_raw_metadata(path)
                doc_id = _document_id(path, raw, fallback_ids[path])
                exists = client.get(f"/v1/documents/{doc_id}").status_code == 200
                form = {"metadata": json.dumps(raw, default=str)}
                with path.open("rb") as handle:
                    upload = {"file": (path.name, handle)}
                    response = (
                        client.put(f"/v1/documents/{doc_id}", data=form, files=upload)
                        if exists
                        else client.post("/v1/documents", data=form, files=upload)
                    )
                if response.status_code == 401:
                    raise AuthError(_problem(response))
                if response.status_code != 202:
                    raise InputError(_problem(response))
                job = _wait(client, response.json()["url"])
                if job["status"] == "failed":
                    raise InputError(job["error"] or "failed")
                outcome = job["detail"].get("outcome", "updated")
                summary[outcome] += 1
                summary["documents"].append({"id": job["document_id"], "path": str(path), "outcome": outcome})
            except AuthError:
                raise
            except (KBError, httpx.HTTPError) as exc:
                failed.append({"path": str(path), "error": str(exc)})
    return summary, 1 if failed else 0


def _wait(client: httpx.Client, job_url: str) -> dict[str, Any]:
    deadline = time.monotonic() + JOB_TIMEOUT_S
    while True:
        job: dict[str, Any] = client.get(job_url).json()
        if job.get("status") in ("done", "failed") or time.monotonic() > deadline:
            return job
        time.sleep(POLL_SECONDS)
