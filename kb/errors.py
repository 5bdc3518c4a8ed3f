"""One error hierarchy for the whole product.

Every failure a user can cause or meet is one of these, so the CLI can print ``Error: ...`` and exit 1,
and the API can turn it into ``application/problem+json`` with the right status, without either
boundary knowing the details. Library exceptions (Qdrant, SQLite, pypdf, ...) are translated where
they are raised, never further out.

    KBError                      base; ``status`` is the HTTP status the API answers with
    ├── ConfigError              settings that cannot work (bad path, model/collection mismatch)
    ├── InputError               the caller's input is wrong (400/422)
    │   ├── MetadataError        a metadata field is invalid; names the file, the field and a fix
    │   ├── ConversionError      a file cannot be read: corrupt, encrypted, empty, unsupported
    │   ├── QueryError           a malformed query or filter value
    │   ├── PayloadTooLargeError an upload over the configured size limit (413)
    │   ├── TimeoutExceededError a conversion or a whole job ran past its time limit (422)
    │   └── RuleError            well-formed input that a rule refuses, e.g. adopting one's own practice (422)
    ├── NotFoundError            unknown document, version, job or key (404)
    ├── AuthError                missing or wrong API key (401)
    │   └── ForbiddenError       a valid key that may not do this (403)
    ├── ConflictError            the write clashes with what is stored (409)
    ├── BusyError                the server cannot take more work now; ``retry_after`` seconds (503)
    │   └── RateLimitedError     too many attempts from one caller, e.g. failed keys (429)
    ├── StorageFullError         not enough free disk to write safely (507)
    └── StoreError               the index backend failed (503)
        └── StoreLockedError     another process holds the embedded index (its WAL lock)
"""

from __future__ import annotations


class KBError(Exception):
    """Base of every error the product reports to users."""

    status: int = 500
    title: str = "Internal error"
    retry_after: float | None = None  # seconds; sent as ``Retry-After`` by the API when set

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ConfigError(KBError):
    """Raised when settings cannot work, e.g. an index built with another model."""

    status = 500
    title = "Configuration error"


class InputError(KBError):
    """Raised when the caller's input is wrong; the message says how to fix it."""

    status = 400
    title = "Invalid input"


class MetadataError(InputError):
    """Raised when metadata is invalid. Carries the file, the field and a suggested fix.

    ``errors`` lists every invalid field at once as ``(field, message)`` pairs, so a contributor fixes
    them in one go; the message joins them. A problem not tied to one field has ``errors`` empty.
    """

    status = 422
    title = "Invalid metadata"

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        field: str | None = None,
        errors: list[tuple[str, str]] | None = None,
    ) -> None:
        prefix = f"{path}: " if path else ""
        super().__init__(prefix + message)
        self.path = path
        self.errors = list(errors or [])
        self.field = field or (self.errors[0][0] if self.errors else None)


class ConversionError(InputError):
    """Raised when a file cannot be converted to text: corrupt, encrypted, empty or unsupported."""

    status = 422
    title = "Unreadable file"


class RuleError(InputError):
    """Raised when well-formed input breaks a rule of the exchange (a state adopting its own practice,
    an unknown write-up, a message over the length limit); the message names the rule."""

    status = 422
    title = "Invalid request"


class QueryError(InputError):
    """Raised for a malformed query, unknown filter value or invalid paging parameter."""

    status = 400
    title = "Invalid query"


class PayloadTooLargeError(InputError):
    """Raised when an upload exceeds the configured size limit (checked while streaming)."""

    status = 413
    title = "Upload too large"


class NotFoundError(KBError):
    """Raised when a document, version, job or key does not exist."""

    status = 404
    title = "Not found"


class AuthError(KBError):
    """Raised when an API key is missing or wrong."""

    status = 401
    title = "Unauthorized"


class ForbiddenError(AuthError):
    """Raised when a valid key is not allowed to do what it asked."""

    status = 403
    title = "Forbidden"


class ConflictError(KBError):
    """Raised when a write clashes with stored state, e.g. creating an id that exists."""

    status = 409
    title = "Conflict"


class BusyError(KBError):
    """Raised when the server cannot accept more work right now (the job queue is full).

    ``retry_after`` tells the caller when to try again; nothing was stored for the refused request.
    """

    status = 503
    title = "Busy"

    def __init__(self, message: str, *, retry_after: float = 30.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RateLimitedError(BusyError):
    """Raised when one caller tried too often, e.g. too many requests with a wrong API key."""

    status = 429
    title = "Too many requests"


class StorageFullError(KBError):
    """Raised before a write when the disk under the KB has too little free space.

    Checked ahead of writing because Qdrant Edge maps its files: on a full tmpfs it would die with
    SIGBUS instead of raising.
    """

    status = 507
    title = "Insufficient storage"


class StoreError(KBError):
    """Raised when the vector index fails; translated from Qdrant's own exceptions."""

    status = 503
    title = "Index unavailable"


class StoreLockedError(StoreError):
    """Raised when another process holds the embedded index open (Qdrant Edge's WAL lock)."""

    title = "Knowledge base in use"


class TimeoutExceededError(InputError):
    """Raised when converting a file takes longer than the configured limit."""

    status = 422
    title = "Conversion timed out"
