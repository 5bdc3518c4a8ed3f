"""The document metadata schema and where it comes from.

Markdown files carry it as YAML front matter; every other format in a ``<file>.meta.yaml`` sidecar
(``report.pdf`` -> ``report.pdf.meta.yaml``). ``id`` and ``title`` may be left out: the id is derived
from the file name, the title from the document itself. Every invalid field becomes a
:class:`~kb.errors.MetadataError` naming the file, the field and the fix, because contributors fix
metadata by hand and need to know exactly what to change.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from kb.errors import MetadataError
from kb.vocab import DocType, Level, PracticeStatus, Sector, canonical_state, parse_enum

SIDECAR_SUFFIX = ".meta.yaml"
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,119}$")
_FRONT_MATTER = re.compile(r"\A\ufeff?---[ \t]*\r?\n(.*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.DOTALL)
FIRST_YEAR = 1947


def slugify(text: str) -> str:
    """A stable, URL-safe id from a file name or title: lower case ASCII, digits and hyphens."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:120].strip("-") or "document"


def _as_list(value: Any) -> Any:
    """Accept a single string where a list is expected (``states: Haryana``)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(",")] if "," in value else [value]
    return value


class DocumentMetadata(BaseModel):
    """Metadata of one document. Unknown extra fields are kept and returned, not indexed."""

    model_config = ConfigDict(extra="allow", str_strip_whitespace=True, use_enum_values=False)

    id: str = Field(description="Stable slug, unique in the knowledge base.", examples=["haryana-cm-window"])
    title: str = Field(min_length=1, max_length=300)
    type: DocType = DocType.OTHER
    states: list[str] = Field(default_factory=list, description="Canonical state/UT names.")
    sector: Sector = Sector.OTHER
    level: Level = Level.STATE
    year: int | None = None
    date: dt.date | None = None
    departments: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    parties: list[str] = Field(default_factory=list)
    related: list[str] = Field(default_factory=list, description="Ids of related documents.")
    language: str = "en"
    source_url: str | None = None
    contact: str | None = None
    status: PracticeStatus | None = None

    @field_validator("id")
    @classmethod
    def _check_id(cls, value: str) -> str:
        if not ID_PATTERN.match(value):
            raise ValueError(
                f"'{value}' is not a valid id; use lower-case letters, digits and hyphens, e.g. '{slugify(value)}'"
            )
        return value

    @field_validator("type", mode="before")
    @classmethod
    def _parse_type(cls, value: Any) -> DocType:
        return parse_enum(DocType, value, "type")

    @field_validator("sector", mode="before")
    @classmethod
    def _parse_sector(cls, value: Any) -> Sector:
        return parse_enum(Sector, value, "sector")

    @field_validator("level", mode="before")
    @classmethod
    def _parse_level(cls, value: Any) -> Level:
        return parse_enum(Level, value, "level")

    @field_validator("status", mode="before")
    @classmethod
    def _parse_status(cls, value: Any) -> PracticeStatus | None:
        return None if value in (None, "") else parse_enum(PracticeStatus, value, "status")

    @field_validator("states", mode="before")
    @classmethod
    def _parse_states(cls, value: Any) -> list[str]:
        names = _as_list(value)
        if not isinstance(names, list):
            raise ValueError("must be a list of state or UT names, e.g. ['Haryana', 'Jammu and Kashmir']")
        canonical: list[str] = []
        for name in names:
            state = canonical_state(str(name))
            if state not in canonical:
                canonical.append(state)
        return canonical

    @field_validator("departments", "tags", "parties", "related", mode="before")
    @classmethod
    def _parse_str_list(cls, value: Any) -> list[str]:
        items = _as_list(value)
        if not isinstance(items, list):
            raise ValueError("must be a list of strings")
        return [str(item).strip() for item in items if str(item).strip()]

    @field_validator("year", mode="before")
    @classmethod
    def _parse_year(cls, value: Any) -> int | None:
        if value in (None, ""):
            return None
        try:
            year = int(str(value).strip())
        except ValueError:
            raise ValueError(f"'{value}' is not a year; write four digits, e.g. 2022") from None
        last = dt.date.today().year + 1
        if not FIRST_YEAR <= year <= last:
            raise ValueError(f"{year} is out of range; use a year between {FIRST_YEAR} and {last}")
        return year

    @field_validator("language")
    @classmethod
    def _check_language(cls, value: str) -> str:
        code = value.lower()
        if not re.fullmatch(r"[a-z]{2}", code):
            raise ValueError(f"'{value}' is not an ISO 639-1 code; use two letters such as 'en' or 'hi'")
        return code

    @field_validator("source_url")
    @classmethod
    def _check_url(cls, value: str | None) -> str | None:
        if value and not re.match(r"^https?://\S+$", value):
            raise ValueError(f"'{value}' is not a web address; start it with https://")
        return value or None

    @model_validator(mode="after")
    def _year_from_date(self) -> DocumentMetadata:
        if self.year is None and self.date is not None:
            self.year = self.date.year
        return self

    @property
    def extra(self) -> dict[str, Any]:
        """Fields outside the schema, kept as given."""
        return dict(self.model_extra or {})

    def to_payload(self) -> dict[str, Any]:
        """JSON-ready dict of the schema fields (enums as strings, date as ISO)."""
        return self.model_dump(mode="json")


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """Split Markdown into (front matter, body). No front matter gives ``({}, text)``."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    try:
        data = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as exc:
        raise MetadataError(f"front matter is not valid YAML: {_yaml_problem(exc)}") from None
    if not isinstance(data, dict):
        raise MetadataError("front matter must be a YAML mapping of field: value")
    return data, text[match.end() :]


def _yaml_problem(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    return f"{problem} (line {mark.line + 1})" if mark is not None else str(problem)


def sidecar_path(path: Path) -> Path:
    """Where the metadata of a non-Markdown file lives: ``<file>.meta.yaml`` beside it."""
    return path.with_name(path.name + SIDECAR_SUFFIX)


def is_markdown(path: Path) -> bool:
    """Markdown files carry their metadata inline as front matter."""
    return path.suffix.lower() in {".md", ".markdown"}


def read_raw_metadata(path: Path) -> dict[str, Any]:
    """The metadata mapping as written for ``path``: front matter or sidecar; ``{}`` when none."""
    try:
        if is_markdown(path):
            text = path.read_bytes().decode("utf-8", errors="replace")
            return split_front_matter(text)[0]
        sidecar = sidecar_path(path)
        if not sidecar.exists():
            return {}
        data = yaml.safe_load(sidecar.read_text(encoding="utf-8")) or {}
    except MetadataError as exc:
        raise MetadataError(exc.message, path=str(path)) from None
    except yaml.YAMLError as exc:
        raise MetadataError(f"sidecar is not valid YAML: {_yaml_problem(exc)}", path=str(sidecar)) from None
    except UnicodeDecodeError:
        raise MetadataError("sidecar is not UTF-8 text", path=str(sidecar)) from None
    if not isinstance(data, dict):
        raise MetadataError("sidecar must be a YAML mapping of field: value", path=str(sidecar))
    return data


def build_metadata(
    raw: dict[str, Any], *, source: str | None = None, default_id: str, default_title: str
) -> DocumentMetadata:
    """Validate ``raw`` into :class:`DocumentMetadata`, deriving a missing id and title.

    ``source`` names the file (or upload) in error messages. The first invalid field raises a
    :class:`MetadataError` saying which field is wrong and how to fix it.
    """
    data = dict(raw)
    if not data.get("id"):
        data["id"] = slugify(default_id)
    if not data.get("title"):
        data["title"] = default_title.strip() or data["id"]
    try:
        return DocumentMetadata.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(part) for part in error["loc"]) or "metadata"
        message = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] == "missing":
            message = "is required"
        raise MetadataError(f"field '{field}': {message}", path=source, field=field) from None
