"""``adoptions.yaml``: adoptions recorded with a corpus, loaded by ``kb ingest FOLDER``.

A folder given to ``kb ingest`` may hold an ``adoptions.yaml`` beside its documents (``content/``
does). After the documents are ingested, each entry is recorded as an adoption, exactly as
``POST /v1/documents/{id}/adoptions`` would (the same history and audit), by ``cli``::

    adoptions:
      - practice: mp-public-services-guarantee-act-2010   # the practice taken up (a document id)
        state: Haryana                                    # the adopting state or UT (aliases accepted)
        status: adopted                                   # exploring | piloting | adopted | dropped
        note: "Where the corpus says so, quoted"          # required: the evidence
        adopter_document: haryana-right-to-service-act-2014  # optional: the adopter's own write-up
        contact: ""                                       # optional

Running it again changes nothing (an unchanged entry is not recorded twice); an edited entry
changes the adoption and adds a history step; a removed entry leaves the adoption as it is
(adoptions are history, not a mirror of the file). Every entry is checked first: a bad one is
reported as ``<file>: line N: what is wrong`` in the ingest's failures (exit 1) and not recorded;
the good ones are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from kb.catalog import Catalog
from kb.catalog.exchange import ADOPTION_STATUSES
from kb.vocab import canonical_state
from search.services.exchange import MAX_CONTACT_CHARS, MAX_NOTE_CHARS

FILE_NAME = "adoptions.yaml"
REQUIRED = ("practice", "state", "status", "note")
OPTIONAL = ("adopter_document", "contact")


@dataclass
class AdoptionFileReport:
    """What loading one or more files did: outcomes counted, failures as ``{"path", "error"}``."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: list[dict[str, str]] = field(default_factory=list)

    def summary(self, files: list[Path]) -> str:
        where = ", ".join(str(f) for f in files)
        return (
            f"adoptions ({where}): {self.created} recorded, {self.updated} changed, {self.unchanged} unchanged, "
            f"{len(self.failed)} failed"
        )


@dataclass(frozen=True)
class Entry:
    line: int
    practice: str
    state: str
    status: str
    note: str
    adopter_document: str | None
    contact: str


def adoption_files(paths: list[Path]) -> list[Path]:
    """The ``adoptions.yaml`` at the top of each folder among ``paths``."""
    return [p / FILE_NAME for p in paths if p.is_dir() and (p / FILE_NAME).is_file()]


def parse(path: Path) -> tuple[list[Entry], list[tuple[int, str]]]:
    """The file's entries and its problems as (line, message); checks shape, states and statuses."""
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        return [], [(mark.line + 1 if mark else 1, f"not valid YAML: {exc.problem or exc}")]
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        return [], [(1, f"cannot be read: {exc}")]
    if root is None:
        return [], []
    if not isinstance(root, yaml.MappingNode):
        return [], [(root.start_mark.line + 1, "must be a mapping with an `adoptions:` list")]
    items: yaml.Node | None = None
    problems: list[tuple[int, str]] = []
    for key, value in root.value:
        if key.value == "adoptions":
            items = value
        else:
            problems.append((key.start_mark.line + 1, f"unknown key '{key.value}'; the file holds `adoptions:`"))
    if items is None or (isinstance(items, yaml.ScalarNode) and items.value in ("", "~", "null")):
        return [], problems
    if not isinstance(items, yaml.SequenceNode):
        return [], [*problems, (items.start_mark.line + 1, "`adoptions` must be a list of entries")]
    entries = []
    for node in items.value:
        entry, problem = _entry(node)
        if problem:
            problems.append(problem)
        elif entry:
            entries.append(entry)
    return entries, problems


def _entry(node: yaml.Node) -> tuple[Entry | None, tuple[int, str] | None]:
    line = node.start_mark.line + 1
    if not isinstance(node, yaml.MappingNode):
        return None, (line, "an entry must be a mapping (practice, state, status, note)")
    values: dict[str, str] = {}
    for key, value in node.value:
        name = str(key.value)
        if name not in REQUIRED + OPTIONAL:
            return None, (
                key.start_mark.line + 1,
                f"unknown field '{name}'; the fields are {', '.join(REQUIRED + OPTIONAL)}",
            )
        if not isinstance(value, yaml.ScalarNode):
            return None, (value.start_mark.line + 1, f"{name} must be a single value")
        values[name] = str(value.value).strip()
    missing = [name for name in REQUIRED if not values.get(name)]
    if missing:
        return None, (line, f"missing {', '.join(missing)} (every entry needs {', '.join(REQUIRED)})")
    try:
        state = canonical_state(values["state"])
    except ValueError as exc:
        return None, (line, f"state: {exc}")
    if values["status"] not in ADOPTION_STATUSES:
        return None, (line, f"status: '{values['status']}' is not one of {', '.join(ADOPTION_STATUSES)}")
    if len(values["note"]) > MAX_NOTE_CHARS or len(values.get("contact", "")) > MAX_CONTACT_CHARS:
        return None, (line, f"note is limited to {MAX_NOTE_CHARS} characters, contact to {MAX_CONTACT_CHARS}")
    entry = Entry(
        line=line,
        practice=values["practice"],
        state=state,
        status=values["status"],
        note=values["note"],
        adopter_document=values.get("adopter_document") or None,
        contact=values.get("contact", ""),
    )
    return entry, None


def check(catalog: Catalog, entries: list[Entry]) -> tuple[list[Entry], list[tuple[int, str]]]:
    """The entries that name existing documents and another state's practice, once each."""
    good: list[Entry] = []
    problems: list[tuple[int, str]] = []
    seen: dict[tuple[str, str], int] = {}
    for entry in entries:
        practice = catalog.get_document(entry.practice)
        problem = None
        if practice is None or not practice.active:
            problem = f"practice: no document with id '{entry.practice}' in the knowledge base"
        elif entry.state in practice.states:
            problem = f"'{entry.practice}' is {entry.state}'s own practice; record adoptions by other states"
        elif entry.adopter_document and catalog.get_document(entry.adopter_document) is None:
            problem = f"adopter_document: no document with id '{entry.adopter_document}' in the knowledge base"
        elif (entry.practice, entry.state) in seen:
            first = seen[(entry.practice, entry.state)]
            problem = f"{entry.state}'s adoption of '{entry.practice}' is already on line {first}"
        if problem:
            problems.append((entry.line, problem))
        else:
            seen[(entry.practice, entry.state)] = entry.line
            good.append(entry)
    return good, problems


def load_adoption_files(catalog: Catalog, files: list[Path], *, actor: str = "cli") -> AdoptionFileReport:
    """Check and record every entry of ``files``; bad entries are reported, good ones recorded."""
    report = AdoptionFileReport()
    for path in files:
        entries, problems = parse(path)
        good, unknown = check(catalog, entries)
        for line, message in sorted(problems + unknown):
            report.failed.append({"path": str(path), "error": f"line {line}: {message}"})
        for entry in good:
            _record, outcome = catalog.record_adoption(
                document_id=entry.practice,
                state=entry.state,
                status=entry.status,
                actor=actor,
                note=entry.note,
                contact=entry.contact,
                adopter_document_id=entry.adopter_document,
            )
            if outcome == "created":
                report.created += 1
            elif outcome == "updated":
                report.updated += 1
            else:
                report.unchanged += 1
    return report
