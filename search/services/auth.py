"""Who is calling: one way to read a bearer key for the API, the web UI and the MCP endpoint.

Failed key attempts are rate-limited per client address (``KB_AUTH_FAILURES_PER_MINUTE``, a moving
window in memory): past the limit, that address gets :class:`~kb.errors.RateLimitedError` (429 with
``Retry-After``) before its key is even looked at, so nobody can try keys by the thousand. Only
failures count: a caller with a valid key is never slowed. The counters belong to one catalog (one
app), are held in this process's memory and are lost on restart, which is enough to make guessing
keys hopeless (a key carries 192 random bits).
"""

from __future__ import annotations

import threading
import time
import weakref

from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from kb.catalog import Catalog, KeyRecord
from kb.errors import AuthError, RateLimitedError

BEARER_HINT = "send the API key as 'Authorization: Bearer <key>'"
DEFAULT_FAILURES_PER_MINUTE = 10  # the default of KB_AUTH_FAILURES_PER_MINUTE
INVALID_KEY = "the API key is not valid (wrong or revoked)"


class FailedAuthLimiter:
    """Counts failed key attempts per client address in a moving one-minute window."""

    def __init__(self) -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def check(self, client: str | None, per_minute: int) -> None:
        """Refuse an address that failed more than ``per_minute`` times in the last minute."""
        if client is None:
            return
        item = RateLimitItemPerMinute(per_minute)
        if not self._limiter.test(item, "auth-failures", client):
            reset = self._limiter.get_window_stats(item, "auth-failures", client).reset_time
            raise RateLimitedError(
                f"too many requests with a wrong API key from this address; try again in a minute"
                f" (more than {per_minute} failures a minute are refused)",
                retry_after=max(1.0, reset - time.time()),
            )

    def failed(self, client: str | None, per_minute: int) -> None:
        if client is not None:
            self._limiter.hit(RateLimitItemPerMinute(per_minute), "auth-failures", client)


_LIMITERS: weakref.WeakKeyDictionary[Catalog, FailedAuthLimiter] = weakref.WeakKeyDictionary()
_LIMITERS_LOCK = threading.Lock()


def limiter_for(catalog: Catalog) -> FailedAuthLimiter:
    """The failure counters of the app that owns ``catalog`` (tests run many apps in one process)."""
    with _LIMITERS_LOCK:
        limiter = _LIMITERS.get(catalog)
        if limiter is None:
            limiter = _LIMITERS[catalog] = FailedAuthLimiter()
        return limiter


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


def verify_token(
    catalog: Catalog,
    token: str,
    *,
    client: str | None = None,
    failures_per_minute: int = DEFAULT_FAILURES_PER_MINUTE,
) -> KeyRecord:
    """The key with this secret; a wrong or revoked one is a 401 and counts against ``client``."""
    limiter = limiter_for(catalog)
    limiter.check(client, failures_per_minute)
    key = catalog.verify_key(token)
    if key is None:
        limiter.failed(client, failures_per_minute)
        raise AuthError(INVALID_KEY)
    return key


def authenticate(
    catalog: Catalog,
    header: str,
    *,
    client: str | None = None,
    failures_per_minute: int = DEFAULT_FAILURES_PER_MINUTE,
) -> KeyRecord | None:
    """The key behind an ``Authorization`` header, ``None`` without one; a wrong or revoked key is a 401.

    ``client`` is the caller's address: past ``failures_per_minute`` failed attempts from it, every
    request with a key gets 429 until the window moves on.
    """
    token = parse_bearer(header)
    if token is None:
        return None
    return verify_token(catalog, token, client=client, failures_per_minute=failures_per_minute)
