"""Every setting is read from its environment variable, in a fresh process, as the README says.

pydantic-settings derives ``KB_`` + field name, except where a field has an alias (``kb_dir`` reads
``KB_DIR``, not ``KB_KB_DIR``: that shipped broken once). The first test covers every field of
:class:`~kb.settings.Settings`, including ones added later; the others run the documented variables
end to end: ``KB_DIR`` for ``kb ingest``/``kb stats``, ``KB_HOST``/``KB_PORT`` through ``scripts/run``,
``KB_API_KEY`` for ``kb ingest --server``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import types
import typing
from pathlib import Path
from typing import Any

import annotated_types
import httpx
from pydantic import AliasChoices, SecretStr
from pydantic.fields import FieldInfo

from kb.catalog import Catalog
from kb.settings import Settings
from tests.conftest import FIXTURES, REPO_ROOT
from tests.e2e.conftest import KB_BIN
from tests.live import free_port, serving, wait_ready


def env_name(name: str, field: FieldInfo) -> str:
    """The variable pydantic-settings reads for ``name``: the first alias, else ``KB_`` + NAME."""
    alias = field.validation_alias
    if isinstance(alias, AliasChoices):
        alias = next((c for c in alias.choices if isinstance(c, str)), None)
    return alias if isinstance(alias, str) else f"KB_{name.upper()}"


def _bounds(field: FieldInfo) -> tuple[float | None, float | None]:
    low = high = None
    for item in field.metadata:
        if isinstance(item, annotated_types.Ge | annotated_types.Gt):
            low = float(item.ge if isinstance(item, annotated_types.Ge) else item.gt)
        if isinstance(item, annotated_types.Le | annotated_types.Lt):
            high = float(item.le if isinstance(item, annotated_types.Le) else item.lt)
    return low, high


def sample(name: str, field: FieldInfo, tmp: Path) -> tuple[str, Any]:
    """A valid value other than the default, as (environment text, what Settings should hold)."""
    kinds = [a for a in typing.get_args(field.annotation) if a is not type(None)]
    if not isinstance(field.annotation, types.UnionType) and typing.get_origin(field.annotation) is not typing.Union:
        kinds = [field.annotation]
    kind = kinds[0]
    if typing.get_origin(kind) is typing.Literal:
        other = next(c for c in typing.get_args(kind) if c != field.default)
        return str(other), other
    if kind is bool:
        return str(not field.default).lower(), not field.default
    if kind is int or kind is float:
        low, high = _bounds(field)
        step = 1 if kind is int else 0.5
        value = field.default + step if high is None or field.default + step <= high else field.default - step
        assert low is None or value >= low, f"{name}: no room for another value"
        return str(value), value
    if kind is Path:
        return str(tmp / name), str(tmp / name)
    if kind is SecretStr or kind is str:
        text = f"http://{name.replace('_', '-')}.test:6333" if name.endswith("_url") else f"x-{name}"
        return text, text
    raise AssertionError(f"no sample value for {name}: {field.annotation}; teach this test the new type")


READ_BACK = """
import json
from pydantic import SecretStr
from kb.settings import Settings
s = Settings()
print(json.dumps({n: (v.get_secret_value() if isinstance(v, SecretStr) else v)
                  for n, v in ((n, getattr(s, n)) for n in Settings.model_fields)}, default=str))
"""


def clean_env(**values: str) -> dict[str, str]:
    """This process's environment without any KB_ variable (so only the test's own count)."""
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("KB_")}
    return {**env, "HF_HUB_OFFLINE": "1", **values}


def test_every_setting_is_read_from_its_environment_variable(tmp_path: Path) -> None:
    expected: dict[str, Any] = {}
    env: dict[str, str] = {}
    for name, field in Settings.model_fields.items():
        text, value = sample(name, field, tmp_path)
        env[env_name(name, field)] = text
        expected[name] = value
    assert env["KB_DIR"] == str(tmp_path / "kb_dir") and "KB_KB_DIR" not in env
    result = subprocess.run(
        [sys.executable, "-c", READ_BACK], capture_output=True, text=True, env=clean_env(**env), cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    got = json.loads(result.stdout)
    wrong = {n: (got[n], v) for n, v in expected.items() if got[n] != v}
    assert not wrong, f"not read from the environment (got, wanted): {wrong}"


def test_settings_in_code_still_take_the_field_name(tmp_path: Path) -> None:
    assert Settings(kb_dir=tmp_path / "x").kb_dir == tmp_path / "x"
    assert Settings(kb_dir=tmp_path).model_copy(update={"kb_dir": tmp_path / "y"}).kb_dir == tmp_path / "y"


def test_kb_dir_from_the_environment_for_ingest_and_stats(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    env = clean_env(KB_DIR=str(elsewhere))
    note = str(FIXTURES / "good" / "cm-window-note.txt")
    ingest = subprocess.run([KB_BIN, "ingest", note], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert ingest.returncode == 0, ingest.stderr
    assert (elsewhere / "catalog.sqlite").exists() and not (tmp_path / ".kb").exists()
    stats = subprocess.run([KB_BIN, "stats", "--json"], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert stats.returncode == 0, stats.stderr
    assert json.loads(stats.stdout)["documents"] == 1
    flag = subprocess.run(  # --kb-dir still wins over $KB_DIR
        [KB_BIN, "stats", "--kb-dir", str(tmp_path / "other")], capture_output=True, text=True, env=env
    )
    assert flag.returncode == 1 and f"no knowledge base in {tmp_path / 'other'}" in flag.stderr


def test_scripts_run_serves_on_kb_host_and_kb_port(tmp_path: Path) -> None:
    """The real scripts/run and scripts/setup, in a copy of the repository's layout whose content/ is
    one file (indexing the real content/ takes minutes) and whose .venv is this one."""
    repo = tmp_path / "repo"
    (repo / "scripts").mkdir(parents=True)
    for script in ("run", "setup"):
        shutil.copy2(REPO_ROOT / "scripts" / script, repo / "scripts" / script)
    (repo / "pyproject.toml").symlink_to(REPO_ROOT / "pyproject.toml")
    (repo / ".venv" / "bin").mkdir(parents=True)
    (repo / ".venv" / "bin" / "kb").symlink_to(KB_BIN)
    shutil.copy2(REPO_ROOT / ".venv" / ".installed", repo / ".venv" / ".installed")  # setup: nothing to do
    (repo / "content").mkdir()
    shutil.copy2(FIXTURES / "good" / "mou-kerala-karnataka.md", repo / "content")
    port = free_port()
    log_path = tmp_path / "run.log"
    env = clean_env(KB_DIR=str(tmp_path / "kb"), KB_HOST="127.0.0.1", KB_PORT=str(port))
    with log_path.open("w") as log:
        process = subprocess.Popen([str(repo / "scripts" / "run")], stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        wait_ready(f"http://127.0.0.1:{port}", process, log_path)
        hits = httpx.get(f"http://127.0.0.1:{port}/v1/search", params={"q": "e-District services MoU"}).json()
        assert hits["results"][0]["document_id"] == "kerala-karnataka-egov-mou"
    finally:
        process.terminate()  # scripts/run exec'd into kb serve: this is the server's pid
        process.wait(timeout=60)
    assert not (repo / ".kb").exists()


def test_kb_api_key_is_the_key_for_ingest_through_a_server(tmp_path: Path) -> None:
    kb_dir = tmp_path / "kb"
    with Catalog(Settings(kb_dir=kb_dir).catalog_path) as catalog:
        key = catalog.create_key(role="admin", label="env test")[1]
    note = str(FIXTURES / "good" / "cm-window-note.txt")
    with serving(kb_dir) as base:
        without = subprocess.run([KB_BIN, "ingest", "--server", base, note], capture_output=True, text=True,
                                 env=clean_env())  # fmt: skip
        assert without.returncode == 1 and "$KB_API_KEY" in without.stderr
        sent = subprocess.run([KB_BIN, "ingest", "--server", base, "--json", note], capture_output=True,
                              text=True, env=clean_env(KB_API_KEY=key), timeout=300)  # fmt: skip
        assert sent.returncode == 0, sent.stderr
        assert json.loads(sent.stdout)["added"] == 1
        assert httpx.get(f"{base}/v1/documents/haryana-cm-window").status_code == 200
