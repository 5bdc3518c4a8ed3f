"""Who is calling: one way to read a bearer key for the API, the web UI and the MCP endpoint."""

from __future__ import annotations

from kb.catalog import Catalog, KeyRecord
from kb.errors import AuthError

BEARER_HINT = "send the API key as 'Authorization: Bearer <key>'"


def parse_bearer(header: str) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header; ``None`` when no header was sent.

    A header in another form is an error rather than "anonymous", so a caller who meant to send a key
    learns that it was not understood.
    """
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthError(BEARER_HINT)
    return token.strip()


def authenticate(catalog: Catalog, header: str) -> KeyRecord | None:
    """The key behind an ``Authorization`` header, ``None`` without one; a wrong or revoked key is a 401."""
    token = parse_bearer(header)
    if token is None:
        return None
    key = catalog.verify_key(token)
    if key is None:
        raise AuthError("the API key is not valid (wrong or revoked)")
    return key
