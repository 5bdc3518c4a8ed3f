"""Against a live ``kb serve``: a huge front matter or an alias bomb never stalls the server, and the
command line refuses the bomb too."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import httpx

from tests.api.conftest import bearer, make_keys
from tests.e2e.conftest import run_kb_process
from tests.kb.test_metadata import BOMB
from tests.live import serving

META = {"type": "case_study", "sector": "food_security", "states": ["Haryana"]}
# About 0.9 MB of front matter: parsing it on the event loop froze /healthz for 7 s.
BIG = ("---\ntitle: Big\ntags: [" + ", ".join(["ration-card"] * 70_000) + "]\n---\n# Big\n\nText.\n").encode()


class HealthProbe:
    """Times ``GET /healthz`` in a loop on its own thread while the test sends uploads."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.latencies: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with httpx.Client(timeout=30) as client:
            while not self._stop.is_set():
                started = time.perf_counter()
                assert client.get(f"{self.base}/healthz").status_code == 200
                self.latencies.append(time.perf_counter() - started)
                time.sleep(0.02)

    def __enter__(self) -> HealthProbe:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)


def test_big_front_matter_alias_bombs_and_deep_json_never_stall_the_server(tmp_path: Path) -> None:
    assert 850_000 < len(BIG) < 1_000_000
    kb_dir = tmp_path / "kb"
    keys = make_keys(kb_dir)
    bomb = f"---\n{BOMB}---\n# Bomb\n\nText.\n".encode()
    with serving(kb_dir) as base, HealthProbe(base) as probe, httpx.Client(base_url=base, timeout=60) as client:
        time.sleep(0.3)
        for _ in range(3):
            for key, expected in ((keys["haryana"], 413), (None, 401)):
                response = client.post(
                    "/v1/documents",
                    files={"file": ("big.md", BIG)},
                    data={"metadata": json.dumps(META)},
                    headers=bearer(key) if key else {},
                )
                assert response.status_code == expected, response.text[:300]
                if expected == 413:
                    assert "KB_MAX_METADATA_BYTES" in response.json()["detail"]
            for key_text in (keys["haryana"], ""):
                form = client.post(
                    "/contribute",
                    files={"file": ("big.md", BIG, "text/markdown")},
                    data={"key": key_text, "type": "case_study", "sector": "food_security", "states": "Haryana"},
                    headers={"accept": "text/html"},
                )
                assert form.status_code == 422 and "text/html" in form.headers["content-type"]
                assert ("64 KiB" in form.text) == bool(key_text)  # without a key the file is not even read
            bombed = client.post(
                "/v1/documents",
                files={"file": ("bomb.md", bomb)},
                data={"metadata": json.dumps(META)},
                headers=bearer(keys["haryana"]),
            )
            assert bombed.status_code == 422 and "anchors/aliases" in bombed.json()["detail"]
            for depth, expected in ((20_000, 422), (100_000, 413)):  # under and over the size cap
                deep = client.post(
                    "/v1/documents",
                    files={"file": ("deep.md", b"# Deep\n\nText.")},
                    data={"metadata": "[" * depth + "]" * depth},
                    headers=bearer(keys["haryana"]),
                )
                assert deep.status_code == expected, deep.text[:300]
                assert deep.headers["content-type"] == "application/problem+json"
        time.sleep(0.3)
    assert len(probe.latencies) > 10
    assert max(probe.latencies) < 1.0, sorted(probe.latencies)[-5:]


def test_kb_ingest_refuses_an_alias_bomb_in_front_matter_and_sidecar(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "bomb.md").write_text(f"---\n{BOMB}---\n# Bomb\n\nText.\n")
    (folder / "notes.txt").write_text("District offices hear complaints by video every Monday.\n")
    (folder / "notes.txt.meta.yaml").write_text(BOMB)
    (folder / "fine.md").write_text("---\ntitle: Fine\nstates: [Haryana]\n---\n# Fine\n\nVideo hearings.\n")
    result = run_kb_process("ingest", str(folder), "--kb-dir", str(tmp_path / "kb"), "--json", timeout=300)
    assert result.returncode == 1, result.stderr[-2000:]
    summary = json.loads(result.stdout)
    errors = {Path(item["path"]).name: item["error"] for item in summary["failed"]}
    assert set(errors) == {"bomb.md", "notes.txt"}, errors
    assert all("may not use YAML anchors/aliases" in message for message in errors.values()), errors
    assert [d["id"] for d in summary["documents"]] == ["fine"]
