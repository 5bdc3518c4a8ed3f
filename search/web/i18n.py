"""The web UI's languages: English (the default) and Hindi, from Babel message catalogues.

The catalogue source is the ``.po`` file itself (``search/web/locale/<lang>/LC_MESSAGES/messages.po``),
read once at startup: a fresh clone needs no compile step and there is no ``.mo`` to forget. The
language of a request is chosen by ``?lang=`` (remembered in a cookie), then the cookie, then the
browser's ``Accept-Language``, else English; :class:`LanguageMiddleware` puts it in a context
variable for the request, so page code (``_("...")`` in Python) and templates translate without
passing the language around.

Stored metadata stays canonical English (``Haryana``, ``land_records``): only its displayed label is
translated (:func:`vocab`), and filter URLs keep the canonical values.
"""

from __future__ import annotations

import datetime as dt
import functools
import gettext as stdlib_gettext
import io
from contextvars import ContextVar
from importlib import resources

from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import Translations
from starlette.datastructures import Headers, QueryParams
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

DEFAULT = "en"
# Code -> the language's name in itself: what the switch shows, whatever the page's language.
UI_LANGUAGES: dict[str, str] = {"en": "English", "hi": "हिन्दी"}
_BABEL_LOCALES = {"en": "en_IN", "hi": "hi_IN"}
# Hindi's medium format abbreviates the month ("2 दिस॰ 2026"); its long one spells it out.
_DATE_FORMATS = {"en": "medium", "hi": "long"}
COOKIE = "lang"
COOKIE_MAX_AGE = 365 * 24 * 3600
VOCAB_CONTEXT = "vocabulary"  # msgctxt of the metadata vocabularies' labels (states, sectors, types)
LOCALE_DIR = resources.files("search.web") / "locale"

_current: ContextVar[str] = ContextVar("ui_language", default=DEFAULT)
_in_url: ContextVar[bool] = ContextVar("ui_language_in_url", default=False)


def N_(message: str) -> str:
    """Marks a string for extraction where it is defined (module constants); translated where shown."""
    return message


@functools.cache
def catalogue(lang: str) -> stdlib_gettext.NullTranslations:
    """The translations of ``lang`` from its ``.po`` file (English: the messages themselves)."""
    if lang == DEFAULT:
        return stdlib_gettext.NullTranslations()
    source = LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"
    with source.open("rb") as po:
        messages = read_po(po, locale=_BABEL_LOCALES[lang])
    compiled = io.BytesIO()
    write_mo(compiled, messages)  # fuzzy entries are left out, as gettext does
    compiled.seek(0)
    return Translations(fp=compiled, domain="messages")


def current() -> str:
    """The language of the page being built."""
    return _current.get()


def use(lang: str, *, in_url: bool = False) -> None:
    """Make ``lang`` the language of the rest of this request (or test); ``in_url``: ``?lang=`` chose it."""
    _current.set(lang if lang in UI_LANGUAGES else DEFAULT)
    _in_url.set(in_url)


def in_url() -> bool:
    """Whether the address carried ``?lang=`` (then the page's links carry it too, cookie or not)."""
    return _in_url.get()


def gettext(message: str) -> str:
    return catalogue(current()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return catalogue(current()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    return catalogue(current()).pgettext(context, message)


def npgettext(context: str, singular: str, plural: str, n: int) -> str:
    return catalogue(current()).npgettext(context, singular, plural, n)


_ = gettext


def vocab(english_label: str) -> str:
    """A vocabulary label (a state, sector, type, level ...) in the page's language."""
    return pgettext(VOCAB_CONTEXT, english_label)


def number(value: int | float | None) -> str:
    """``123456`` -> ``1,23,456`` (Indian grouping, in both languages)."""
    if value is None:
        return ""
    return format_decimal(value, locale=_BABEL_LOCALES[current()])


def date(value: str | dt.date | None) -> str:
    """``2024-03-01T10:00:00+00:00`` -> ``1 Mar 2024`` / ``1 मार्च 2024``; unparseable text as it is."""
    if not value:
        return ""
    try:
        day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return str(value)
    return format_date(day, format=_DATE_FORMATS[current()], locale=_BABEL_LOCALES[current()])


def _accepted(header: str) -> str | None:
    """The best supported language of an ``Accept-Language`` header (``hi-IN,hi;q=0.9,en;q=0.8``)."""
    choices: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _sep, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        base = tag.strip().lower().split("-")[0]
        if base in UI_LANGUAGES and quality > 0:
            choices.append((-quality, position, base))
    return min(choices)[2] if choices else None


def chosen(query: QueryParams | dict[str, str], cookies: dict[str, str], headers: Headers) -> tuple[str, bool]:
    """The request's language, and whether ``?lang=`` chose it (then the cookie is to be set)."""
    asked = (query.get("lang") or "").strip().lower()
    if asked in UI_LANGUAGES:
        return asked, True
    remembered = (cookies.get(COOKIE) or "").strip().lower()
    if remembered in UI_LANGUAGES:
        return remembered, False
    return _accepted(headers.get("accept-language", "")) or DEFAULT, False


class LanguageMiddleware:
    """Choose the language of every HTTP request; remember an explicit ``?lang=`` in a cookie.

    Pure ASGI (no ``BaseHTTPMiddleware``), so the context variable is set in the task that runs the
    endpoint and the error handlers. API responses are not touched except by an explicit ``?lang=``.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        connection = HTTPConnection(scope)
        lang, explicit = chosen(connection.query_params, connection.cookies, connection.headers)
        use(lang, in_url=explicit)
        scope.setdefault("state", {})["ui_language"] = lang

        async def send_with_language(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if explicit:
                    cookie = f"{COOKIE}={lang}; Max-Age={COOKIE_MAX_AGE}; Path=/; SameSite=Lax"
                    headers.append((b"set-cookie", cookie.encode()))
                if any(k.lower() == b"content-type" and v.startswith(b"text/html") for k, v in headers):
                    headers.append((b"content-language", lang.encode()))
                    headers.append((b"vary", b"Accept-Language, Cookie"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_language)
