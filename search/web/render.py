"""Templates, static assets and the small formatting helpers the pages share.

Everything is served from this package (no CDN, no build step). Static files get a content hash in
their URL and a one-year cache lifetime, so a slow connection downloads the CSS and JS once.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlencode

import jinja2
from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.types import Scope

from kb.vocab import DocType, Level, Sector
from search.web import i18n
from search.web.i18n import N_

STATIC_DIR = resources.files("search.web") / "static"

# Words that title-casing the enum value gets wrong.
_LABELS: dict[str, str] = {
    DocType.MOU.value: "MoU",
    DocType.CASE_STUDY.value: "Case study",
    DocType.VISION_DOCUMENT.value: "Vision document",
    Sector.SKILLS_EMPLOYMENT.value: "Skills and employment",
    Sector.ENVIRONMENT_FORESTS.value: "Environment and forests",
    Sector.CITIZEN_SERVICES.value: "Citizen services",
}
_PLURALS: dict[str, str] = {
    DocType.MOU.value: "MoUs",
    DocType.CASE_STUDY.value: "Case studies",
    DocType.POLICY.value: "Policies",
    DocType.NEWS.value: "News",
    DocType.OTHER.value: "Other documents",
}
# A document's language: its own name, then the name in the page's language (translated as shown).
LANGUAGES: dict[str, str] = {
    "en": N_("English"),
    "hi": N_("हिन्दी (Hindi)"),
    "as": N_("অসমীয়া (Assamese)"),
    "bn": N_("বাংলা (Bengali)"),
    "gu": N_("ગુજરાતી (Gujarati)"),
    "kn": N_("ಕನ್ನಡ (Kannada)"),
    "ks": N_("कॉशुर (Kashmiri)"),
    "ml": N_("മലയാളം (Malayalam)"),
    "mr": N_("मराठी (Marathi)"),
    "or": N_("ଓଡ଼ିଆ (Odia)"),
    "pa": N_("ਪੰਜਾਬੀ (Punjabi)"),
    "ta": N_("தமிழ் (Tamil)"),
    "te": N_("తెలుగు (Telugu)"),
    "ur": N_("اردو (Urdu)"),
}
_FORMATS: dict[str, str] = {
    ".md": "Markdown",
    ".markdown": "Markdown",
    ".pdf": "PDF",
    ".docx": "Word",
    ".html": "HTML",
    ".htm": "HTML",
    ".txt": N_("plain text"),
}
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}
# The printable page carries its stylesheet inside it, so a saved copy opens styled on a desktop
# with no network; the page's policy allows exactly that one stylesheet (by its hash) and no script.
PRINT_CSS = Markup((STATIC_DIR / "print.css").read_text(encoding="utf-8"))
_PRINT_CSS_HASH = base64.b64encode(hashlib.sha256(str(PRINT_CSS).encode("utf-8")).digest()).decode()
PRINT_CSP = (
    f"default-src 'none'; img-src 'self' data:; style-src 'sha256-{_PRINT_CSS_HASH}'; "
    "form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
)


def english_label(value: object) -> str:
    """English display name of a vocabulary value: ``land_records`` -> ``Land records``."""
    text = str(value)
    return _LABELS.get(text) or text.replace("_", " ").capitalize()


def label(value: object) -> str:
    """Display name of a vocabulary value in the page's language (``Land records``, ``भूमि अभिलेख``)."""
    return i18n.vocab(english_label(value))


def english_plural(value: object) -> str:
    text = str(value)
    return _PLURALS.get(text) or english_label(text) + "s"


def plural(value: object) -> str:
    """Plural display name of a document type, for headings of lists."""
    return i18n.vocab(english_plural(value))


def state_name(name: object) -> str:
    """A state's or UT's name in the page's language; the stored (and filtered) name stays English."""
    return i18n.vocab(str(name))


def states_text(states: Sequence[str], level: str | None) -> str:
    """Where a document belongs, in words: its states; "All India" only for a national document.

    A document that names no state but is not national (uploaded without metadata: the level
    defaults to state) says so, rather than claiming to be All India.
    """
    if states:
        return ", ".join(state_name(s) for s in states)
    return i18n.vocab("All India") if level == Level.NATIONAL.value else i18n.gettext("State not given")


def file_kind(filename: str) -> str:
    """What an official would call the file: ``note.md`` -> ``Markdown``, ``a.docx`` -> ``Word``."""
    suffix = PurePosixPath(filename).suffix.lower()
    kind = _FORMATS.get(suffix) or (suffix[1:].upper() if suffix else N_("file"))
    return i18n.gettext(kind)


def language_name(code: str | None) -> str:
    name = LANGUAGES.get(code or "en")
    return i18n.gettext(name) if name else (code or i18n.gettext("English"))


def lang_attr(code: str | None) -> Markup:
    """`` lang="hi"`` on content not in the page's language (an English title on a Hindi page: ``en``)."""
    if (code or "en") == i18n.current():
        return Markup("")
    return Markup(' lang="{}"').format(code or "en")


def highlight(text: str, spans: Iterable[Sequence[int]]) -> Markup:
    """``text`` escaped, with ``<mark>`` around the [start, end) character ranges in ``spans``."""
    parts: list[str] = []
    position = 0
    for start, end in sorted((int(s[0]), int(s[1])) for s in spans):
        if start < position or end <= start or end > len(text):
            continue  # overlapping or out of range: never produce broken markup
        parts.append(str(escape(text[position:start])))
        parts.append(f"<mark>{escape(text[start:end])}</mark>")
        position = end
    parts.append(str(escape(text[position:])))
    return Markup("".join(parts))


def file_size(size: int | None) -> str:
    if size is None:
        return ""
    if size < 1024:
        return i18n.ngettext("%(n)s byte", "%(n)s bytes", size) % {"n": i18n.number(size)}
    if size < 1024 * 1024:
        return i18n.gettext("%(n)s KB") % {"n": i18n.number(round(size / 1024))}
    return i18n.gettext("%(n)s MB") % {"n": i18n.number(round(size / (1024 * 1024), 1))}


def short_date(timestamp: str | None) -> str:
    """``2024-03-01T10:00:00+00:00`` -> ``1 Mar 2024`` (``1 मार्च 2024`` on a Hindi page)."""
    return i18n.date(timestamp)


_PARAM_ORDER = {
    name: i for i, name in enumerate(("q", "state", "national", "sector", "type", "year_from", "year_to", "page"))
}


def query_url(path: str, params: Mapping[str, object]) -> str:
    """``path?params`` in a stable order, empty values left out, lists repeated (``state=A&state=B``)."""
    pairs: list[tuple[str, str]] = []
    if i18n.in_url() and "lang" not in params:  # the language came in the address: keep it there
        params = {**params, "lang": i18n.current()}
    for name, value in sorted(params.items(), key=lambda kv: _PARAM_ORDER.get(kv[0], len(_PARAM_ORDER))):
        values = value if isinstance(value, list | tuple) else [value]
        pairs.extend((name, str(v)) for v in values if v is not None and v != "")
    return f"{path}?{urlencode(pairs)}" if pairs else path


class CachedStatic(StaticFiles):
    """Static files with a long cache lifetime: URLs carry the content hash (``?v=``)."""

    def file_response(self, *args: Any, **kwargs: Any) -> Response:
        response = super().file_response(*args, **kwargs)
        scope: Scope = args[2] if len(args) > 2 else kwargs["scope"]
        if scope.get("query_string"):
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        else:
            response.headers["Cache-Control"] = "public, max-age=3600"
        return response


def _asset_versions() -> dict[str, str]:
    versions: dict[str, str] = {}
    for entry in STATIC_DIR.iterdir():
        if entry.is_file():
            versions[entry.name] = hashlib.sha256(entry.read_bytes()).hexdigest()[:10]
    return versions


def switch_url(request: Request, lang: str) -> str:
    """This page in ``lang``: its address with ``lang=`` set (a form's POST address: the page itself)."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"] if request.method == "GET" else []
    return f"{request.url.path}?{urlencode([*params, ('lang', lang)])}"


def other_languages() -> list[tuple[str, str]]:
    """The languages the page can switch to, each named in itself."""
    return [(code, name) for code, name in i18n.UI_LANGUAGES.items() if code != i18n.current()]


def make_templates() -> Jinja2Templates:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("search.web", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
    )
    # Newstyle: ``_("%(n)s documents", n=n)`` escapes its values and always formats (write ``%%``).
    env.install_gettext_callables(  # type: ignore[attr-defined]
        i18n.gettext, i18n.ngettext, newstyle=True, pgettext=i18n.pgettext, npgettext=i18n.npgettext
    )
    versions = _asset_versions()
    env.globals.update(
        page_lang=i18n.current,
        other_languages=other_languages,
        switch_url=switch_url,
        vocab=i18n.vocab,
        state_name=state_name,
        asset=lambda name: f"/static/{name}?v={versions.get(name, '0')}",
        label=label,
        plural=plural,
        language_name=language_name,
        lang_attr=lang_attr,
        states_text=states_text,
        query_url=query_url,
        sectors=[s.value for s in Sector],
        doc_types=[t.value for t in DocType],
        levels=[lv.value for lv in Level],
    )
    env.filters.update(
        label=label,
        plural=plural,
        file_size=file_size,
        short_date=short_date,
        file_kind=file_kind,
        state=state_name,
        number=i18n.number,
    )
    return Jinja2Templates(env=env)


TEMPLATES = make_templates()


def page(request: Request, name: str, context: dict[str, Any], *, status_code: int = 200, **headers: str) -> Response:
    """A rendered page with the security headers every page gets."""
    all_headers = {**SECURITY_HEADERS, **{k.replace("_", "-"): v for k, v in headers.items()}}
    return TEMPLATES.TemplateResponse(request, name, context, status_code=status_code, headers=all_headers)
