"""API keys: created once, shown once, stored as a hash.

Keys carry 192 bits of randomness, so a plain SHA-256 is enough to store them (no slow KDF needed:
nobody can brute-force the preimage, and verification stays a single indexed lookup).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Sequence

from kb.catalog.db import Database, utc_now
from kb.catalog.records import KeyRecord
from kb.errors import InputError, NotFoundError

ROLES = ("contributor", "admin")
KEY_PREFIX = "kbk_"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class KeyCatalog:
    """Create, verify, list and revoke API keys."""

    db: Database

    def create_key(
        self, *, role: str, states: Sequence[str] = (), label: str = "", actor: str = "cli"
    ) -> tuple[KeyRecord, str]:
        """Create a key and return it with its plaintext, which is never stored or shown again."""
        if role not in ROLES:
            raise InputError(f"role must be one of {', '.join(ROLES)}, not '{role}'")
        if role == "contributor" and not states:
            raise InputError("a contributor key needs at least one state (e.g. --state Haryana)")
        key_id = secrets.token_hex(4)
        plaintext = f"{KEY_PREFIX}{key_id}_{secrets.token_urlsafe(24)}"
        now = utc_now()
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO api_keys VALUES (?,?,?,?,?,?,NULL)",
                (key_id, hash_key(plaintext), role, json.dumps(list(states), ensure_ascii=False), label, now),
            )
            conn.execute(
                "INSERT INTO audit (at, actor, action, document_id, version, detail) VALUES (?,?,?,NULL,NULL,?)",
                (
                    now,
                    actor,
                    "key_create",
                    json.dumps({"key_id": key_id, "role": role, "states": list(states)}),
                ),
            )
        return self.require_key(key_id), plaintext

    def verify_key(self, plaintext: str) -> KeyRecord | None:
        """The active key with this secret, or None."""
        rows = self.db.query("SELECT * FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL", (hash_key(plaintext),))
        return KeyRecord.from_row(rows[0]) if rows else None

    def require_key(self, key_id: str) -> KeyRecord:
        rows = self.db.query("SELECT * FROM api_keys WHERE id = ?", (key_id,))
        if not rows:
            raise NotFoundError(f"no API key with id '{key_id}'")
        return KeyRecord.from_row(rows[0])

    def list_keys(self) -> list[KeyRecord]:
        return [KeyRecord.from_row(r) for r in self.db.query("SELECT * FROM api_keys ORDER BY created_at")]

    def revoke_key(self, key_id: str, *, actor: str = "cli") -> KeyRecord:
        """Revoke a key; requests with it get 401 from then on."""
        now = utc_now()
        with self.db.transaction() as conn:
            changed = conn.execute(
                "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", (now, key_id)
            ).rowcount
            if not changed:
                raise NotFoundError(f"no active API key with id '{key_id}'")
            conn.execute(
                "INSERT INTO audit (at, actor, action, document_id, version, detail) VALUES (?,?,?,NULL,NULL,?)",
                (now, actor, "key_revoke", json.dumps({"key_id": key_id})),
            )
        return self.require_key(key_id)
