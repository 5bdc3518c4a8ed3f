"""Files of the same name in different folders of one ingest (a Sphinx build's ``c-api/code.html``
and ``library/code.html``) both get in, under ids from their paths, and stay put on a re-ingest."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.conftest import run_cli, run_json

PAGE = "<html><head><title>{title}</title></head><body><h1>{title}</h1><p>{body}</p></body></html>"


def _page(path: Path, title: str, body: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(PAGE.format(title=title, body=body), encoding="utf-8")


def test_same_named_files_in_different_folders_get_path_ids_and_reingest_keeps_them(tmp_path: Path) -> None:
    site = tmp_path / "site"
    _page(site / "c-api" / "code.html", "Code objects", "Code objects are a low-level detail of the interpreter.")
    _page(site / "library" / "code.html", "Interpreter base classes", "The code module emulates the interpreter.")
    _page(site / "email.charset.html", "email.charset", "Representing character sets in email messages.")
    kb_dir = tmp_path / "kb"
    checked = run_json("validate", str(site), "--kb-dir", str(kb_dir))
    assert sorted(d["id"] for d in checked["valid"]) == ["c-api-code", "email-charset", "library-code"]
    first = run_json("ingest", str(site), "--kb-dir", str(kb_dir))
    assert first["failed"] == [] and first["added"] == 3
    assert sorted(d["id"] for d in first["documents"]) == ["c-api-code", "email-charset", "library-code"]
    again = run_json("ingest", str(site), "--kb-dir", str(kb_dir))
    assert (again["unchanged"], again["added"], again["failed"]) == (3, 0, [])
    assert sorted(d["id"] for d in again["documents"]) == ["c-api-code", "email-charset", "library-code"]
    found = run_cli("search", "low-level detail of the interpreter", "--kb-dir", str(kb_dir), "--json")
    assert '"c-api-code"' in found.stdout
