"""Pages where the official types their key: reading the key from a form, and the refusals.

The web is anonymous except on these pages (the review queue, the contributor's submissions, the
inbox, and the ask / adopt forms on a document's page). The rule of :mod:`search.web.contribute`
holds here too: the key travels in the form body only. The server never puts it in a cookie, a URL
or the page it answers with, so every form that acts again has its own (empty) key field.
``static/app.js`` may fill those fields from the tab's ``sessionStorage`` (client side only, gone
when the tab closes); the pages say so beside each field.

A wrong key counts against the caller's address like every other failed key (429 past
``KB_AUTH_FAILURES_PER_MINUTE``), because ``verify_token`` is the one check every front door uses.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from kb.catalog import KeyRecord
from kb.errors import AuthError, KBError, RateLimitedError
from search.services.auth import verify_token
from search.web.i18n import N_, gettext
from search.web.render import page

NO_KEY = N_("Enter your key (it starts with kbk_).")
BAD_KEY = N_("This key is not valid: it is mistyped or has been revoked.")
TEXT_LIMIT = 20_000  # no form field of these pages needs more; longer input is cut, then refused by the rules


class KeyProblem(Exception):
    """The form's key is missing, wrong or rate limited: ``message`` goes next to the key field."""

    def __init__(self, message: str, status: int, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.retry_after = retry_after


def field(form: FormData, name: str, limit: int = TEXT_LIMIT) -> str:
    """A text field of the form, stripped (files and missing fields read as empty)."""
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def read_key(request: Request, form: FormData) -> KeyRecord:
    """The key typed in the form's ``key`` field, verified; :class:`KeyProblem` otherwise."""
    text = field(form, "key", 200)
    if not text:
        raise KeyProblem(gettext(NO_KEY), 401)
    settings = request.app.state.settings
    try:
        return verify_token(
            request.app.state.catalog,
            text,
            client=request.client.host if request.client else None,
            failures_per_minute=settings.auth_failures_per_minute,
        )
    except RateLimitedError as exc:
        raise KeyProblem(sentence(exc.message), 429, exc.retry_after) from None
    except AuthError:
        raise KeyProblem(gettext(BAD_KEY), 401) from None


def sentence(message: str) -> str:
    """An error of the services (``note is empty``) as a sentence for a page."""
    return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")


def keyed_page(
    request: Request, name: str, context: dict[str, Any], *, status_code: int = 200, retry_after: float | None = None
) -> Response:
    """A page of a keyed flow: never cached (it shows what only this key may see)."""
    headers = {"Cache_Control": "no-store"}
    if retry_after is not None:
        headers["Retry_After"] = str(max(1, round(retry_after)))
    return page(request, name, context, status_code=status_code, **headers)


def problem_status(exc: KBError) -> int:
    """The HTTP status a refused action gets on a page (the service's own: 403, 404, 409, 422)."""
    return exc.status if 400 <= exc.status < 500 else 422
