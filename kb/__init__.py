"""The inner ring: settings, errors, the metadata schema and vocabularies, domain models, the catalog
(SQLite), the blob store and the Qdrant store. ``kb`` imports neither ``ingest`` nor ``search``.

Only light modules are re-exported here, so ``import kb`` loads no Haystack, torch or Qdrant; use
:mod:`kb.store`, :mod:`kb.catalog` and :mod:`kb.embedding` directly for those.
"""

from kb.errors import (
    AuthError,
    ConfigError,
    ConflictError,
    ConversionError,
    ForbiddenError,
    InputError,
    KBError,
    MetadataError,
    NotFoundError,
    PayloadTooLargeError,
    QueryError,
    StoreError,
    StoreLockedError,
    TimeoutExceededError,
)
from kb.metadata import DocumentMetadata, build_metadata, read_raw_metadata
from kb.models import Chunk, ConvertedDocument, Section
from kb.settings import Settings, get_settings
from kb.vocab import STATES_AND_UTS, DocType, Level, PracticeStatus, Sector, canonical_state

__all__ = [
    "STATES_AND_UTS",
    "AuthError",
    "Chunk",
    "ConfigError",
    "ConflictError",
    "ConversionError",
    "ConvertedDocument",
    "DocType",
    "DocumentMetadata",
    "ForbiddenError",
    "InputError",
    "KBError",
    "Level",
    "MetadataError",
    "NotFoundError",
    "PayloadTooLargeError",
    "PracticeStatus",
    "QueryError",
    "Section",
    "Sector",
    "Settings",
    "StoreError",
    "StoreLockedError",
    "TimeoutExceededError",
    "build_metadata",
    "canonical_state",
    "get_settings",
    "read_raw_metadata",
]
