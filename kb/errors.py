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
    │   └── PayloadTooLargeError an upload over the configured size limit (413)
    ├── NotFoundError            unknown document, version, job or key (404)
    ├── AuthError                missing or wrong API key (401)
    │   └── ForbiddenError       a valid key that may not do this (403)
    ├── ConflictError            the write clashes with what is stored (409)
    ├── StoreError               the index backend failed (503)
    │   └── StoreLockedError     another process holds the embedded index (its WAL lock)
    └── TimeoutExceededError     a conversion ran past its time limit (422)
"""

from __future__ import annotations


class KBError(Exception):
    """Base of every error the product reports to users."""

    status: int = 500
    title: str = "Internal error"

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
    """Raised when a metadata field is invalid. Carries the file, the field and a suggested fix."""

    status = 422
    title = "Invalid metadata"

    def __init__(self, message: str, *, path: str | None = None, field: str | None = None) -> None:
        prefix = f"{path}: " if path else ""
        super().__init__(prefix + message)
        self.path = path
        self.field = field


class ConversionError(InputError):
    """Raised when a file cannot be converted to text: corrupt, encrypted, empty or unsupported."""

    status = 422
    title = "Unreadable file"


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
