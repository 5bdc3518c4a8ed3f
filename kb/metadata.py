"""The document metadata schema and where it comes from.

Markdown files carry it as YAML front matter; every other format in a ``<file>.meta.yaml`` sidecar
(``report.pdf`` -> ``report.pdf.meta.yaml``). ``id`` and ``title`` may be left out: the id is derived
from the file name, the title from the document itself. Every invalid field becomes a
:class:`~kb.errors.MetadataError` naming the file, the field and the fix, because contributors fix
metadata by hand and need to know exactly what to change.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from pathlib import Path, PurePath
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from kb.errors import MetadataError, PayloadTooLargeError
from kb.practice import Contact, contact_input, parse_building_blocks
from kb.vocab import BuildingBlock, DocType, Level, PracticeStatus, Sector, Visibility, canonical_state, parse_enum

SIDECAR_SUFFIX = ".meta.yaml"
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,119}$")
_FRONT_MATTER = re.compile(r"\A\ufeff?---[ \t]*\r?\n(.*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.DOTALL)
FIRST_YEAR = 1947
MAX_METADATA_BYTES = 64 * 1024  # the default of KB_MAX_METADATA_BYTES (kb.settings)
MAX_NESTING = 4  # a mapping of fields, a list of values, a small mapping inside it, its values
ALIAS_MESSAGE = "metadata may not use YAML anchors/aliases (&name/*name); write each value out"


def slugify(text: str) -> str:
    """A stable, URL-safe id from a file name or title: lower case ASCII, digits and hyphens."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:120].strip("-") or "document"


def default_id(filename: str) -> str:
    """The id of a file that names none: its whole name minus the final extension, slugified.

    ``email.charset.html`` -> ``email-charset``, ``camlidl-1.04.doc.pdf`` -> ``camlidl-1-04-doc``.
    Only the name counts (not the folder), so re-ingesting the same file always gives the same id;
    a folder ingest gives same-named files in different folders ids from their paths instead
    (``ingest.files.default_ids``).
    """
    return slugify(_stem(filename))


def default_title(filename: str) -> str:
    """A readable fallback title from a file name (``cm-window_report.v2.pdf`` -> ``Cm window report v2``),
    for when neither the metadata nor the document itself has a title."""
    words = re.split(r"[\s._-]+", _stem(filename))
    text = " ".join(word for word in words if word)
    return text[:1].upper() + text[1:] if text else default_id(filename)


def _stem(filename: str) -> str:
    name = PurePath(filename.replace("\\", "/")).name
    return PurePath(name).stem if "." in name.lstrip(".") else name


def limit_text(max_bytes: int) -> str:
    """``64 KiB`` or ``1,500 bytes``: how a size limit is named in messages."""
    return f"{max_bytes / 1024:g} KiB" if max_bytes >= 1024 else f"{max_bytes:,} bytes"


def check_size(size: int, max_bytes: int, what: str) -> None:
    """Refuse metadata larger than the limit before parsing it (parsing is where the cost is)."""
    if size > max_bytes:
        raise PayloadTooLargeError(
            f"{what} is {size:,} bytes; metadata is limited to {limit_text(max_bytes)} (KB_MAX_METADATA_BYTES)"
        )


def check_nesting(value: Any, what: str = "metadata", *, max_depth: int = MAX_NESTING) -> None:
    """Metadata is flat (fields with a value or a list of values): refuse anything nested deeper.

    Stops at the first level past the limit, so a value nested 100,000 deep costs nothing extra.
    """
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > max_depth:
                raise MetadataError(
                    f"{what} is nested more than {max_depth} levels deep; each field holds a value or a list of values"
                )
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)


class StrictYAMLLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` without anchors and aliases.

    Aliases let 347 bytes expand into millions of nodes (the "billion laughs" shape); metadata never
    needs them, so the first ``&name`` or ``*name`` is refused before anything is expanded.
    """

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise MetadataError(ALIAS_MESSAGE)
        return super().compose_node(parent, index)


def load_yaml(text: str, what: str) -> Any:
    """Parse metadata YAML with :class:`StrictYAMLLoader`; every failure is a :class:`MetadataError`."""
    try:
        data = yaml.load(text, Loader=StrictYAMLLoader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise MetadataError(f"{what} is not valid YAML: {_yaml_problem(exc)}") from None
    except RecursionError:
        raise MetadataError(f"{what} is nested too deeply to read; metadata is flat") from None
    data = data or {}
    if not isinstance(data, dict):
        raise MetadataError(f"{what} must be a YAML mapping of field: value")
    check_nesting(data, what)
    return data


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
    # The practice record (case studies): what an official needs to act on a practice elsewhere.
    owner: str | None = Field(
        default=None,
        max_length=300,
        description="The department that runs the practice.",
        examples=["Revenue Department, Haryana"],
    )
    contact: Contact | None = Field(
        default=None, description="Whom to ask (name, role, email, phone); shown only to callers with a key."
    )
    status: PracticeStatus | None = None
    started: int | None = Field(default=None, description="Year the practice started.")
    scale: str | None = Field(default=None, max_length=300, examples=["all 22 districts"])
    cost: str | None = Field(default=None, max_length=300, examples=["Rs 4.2 crore over three years"])
    building_blocks: list[BuildingBlock] = Field(
        default_factory=list, description="GovStack building blocks the practice uses (kb.vocab.BuildingBlock)."
    )
    visibility: Visibility = Field(
        default=Visibility.PUBLIC,
        description="`restricted`: only keys of the document's states and admins may read it (e.g. an MoU under "
        "negotiation); `public` (the default): everyone.",
    )

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

    @field_validator("visibility", mode="before")
    @classmethod
    def _parse_visibility(cls, value: Any) -> Visibility:
        return Visibility.PUBLIC if value in (None, "") else parse_enum(Visibility, value, "visibility")

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

    @field_validator("owner", "scale", "cost", mode="before")
    @classmethod
    def _parse_text(cls, value: Any) -> str | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise ValueError("must be text, e.g. 'all 22 districts'")
        return str(value)

    @field_validator("contact", mode="before")
    @classmethod
    def _parse_contact(cls, value: Any) -> Any:
        return contact_input(value)

    @field_validator("building_blocks", mode="before")
    @classmethod
    def _parse_building_blocks(cls, value: Any) -> list[BuildingBlock]:
        return parse_building_blocks(value)

    @field_validator("year", "started", mode="before")
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


def split_front_matter(text: str, *, max_bytes: int = MAX_METADATA_BYTES) -> tuple[dict[str, Any], str]:
    """Split Markdown into (front matter, body). No front matter gives ``({}, text)``.

    Front matter over ``max_bytes`` is refused before it is parsed (:class:`PayloadTooLargeError`).
    """
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    check_size(len(match.group(1).encode("utf-8", errors="replace")), max_bytes, "front matter")
    return load_yaml(match.group(1), "front matter"), text[match.end() :]


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


def read_raw_metadata(path: Path, *, max_bytes: int = MAX_METADATA_BYTES) -> dict[str, Any]:
    """The metadata mapping as written for ``path``: front matter or sidecar; ``{}`` when none."""
    if is_markdown(path):
        source = path
        try:
            return split_front_matter(path.read_bytes().decode("utf-8", errors="replace"), max_bytes=max_bytes)[0]
        except MetadataError as exc:
            raise MetadataError(exc.message, path=str(source), errors=exc.errors) from None
        except PayloadTooLargeError as exc:
            raise PayloadTooLargeError(f"{source}: {exc.message}") from None
    sidecar = sidecar_path(path)
    if not sidecar.exists():
        return {}
    try:
        check_size(sidecar.stat().st_size, max_bytes, "sidecar")
        data: dict[str, Any] = load_yaml(sidecar.read_bytes().decode("utf-8"), "sidecar")
    except MetadataError as exc:
        raise MetadataError(exc.message, path=str(sidecar), errors=exc.errors) from None
    except PayloadTooLargeError as exc:
        raise PayloadTooLargeError(f"{sidecar}: {exc.message}") from None
    except UnicodeDecodeError:
        raise MetadataError("sidecar is not UTF-8 text", path=str(sidecar)) from None
    return data


def field_errors(exc: ValidationError) -> list[tuple[str, str]]:
    """Every invalid field of a validation, once each, with the schema's own message."""
    found: dict[str, str] = {}
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else "metadata"
        message = "is required" if error["type"] == "missing" else str(error["msg"]).removeprefix("Value error, ")
        found.setdefault(field, message)
    return list(found.items())


def build_metadata(
    raw: dict[str, Any],
    *,
    source: str | None = None,
    default_id: str,
    default_title: str,
    max_bytes: int = MAX_METADATA_BYTES,
) -> DocumentMetadata:
    """Validate ``raw`` into :class:`DocumentMetadata`, deriving a missing id and title.

    ``source`` names the file (or upload) in error messages. All invalid fields are reported at once
    in one :class:`MetadataError` (its ``errors`` list them), each saying what is wrong and how to fix
    it. Metadata whose stored JSON would exceed ``max_bytes`` is refused (:class:`PayloadTooLargeError`).
    """
    check_nesting(raw)
    data = dict(raw)
    if not data.get("id"):
        data["id"] = slugify(default_id)
    if not data.get("title"):
        data["title"] = default_title.strip() or data["id"]
    try:
        meta = DocumentMetadata.model_validate(data)
    except ValidationError as exc:
        errors = field_errors(exc)
        message = "; ".join(f"field '{field}': {text}" for field, text in errors)
        raise MetadataError(message, path=source, errors=errors) from None
    size = len(json.dumps(meta.model_dump(mode="json"), ensure_ascii=False, default=str).encode())
    if size > max_bytes:
        prefix = f"{source}: " if source else ""
        raise PayloadTooLargeError(
            f"{prefix}the metadata is {size:,} bytes as stored; the limit is {limit_text(max_bytes)}"
            " (KB_MAX_METADATA_BYTES)"
        )
    return meta
