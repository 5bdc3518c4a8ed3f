"""API keys: created once, shown once, stored as a hash.

Keys carry 192 bits of randomness, so a plain SHA-256 is enough to store them (no slow KDF needed:
nobody can brute-force the preimage, and verification stays a single indexed lookup).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Sequence

import sqlalchemy as sa

from kb.catalog.db import Database, utc_now
from kb.catalog.records import KeyRecord
from kb.catalog.tables import api_keys, audit
from kb.errors import InputError, NotFoundError

ROLES = ("reader", "contributor", "curator", "admin")
ROLE_HELP = {
    "reader": "an official who reads restricted documents of their states, records adoptions and asks questions",
    "contributor": "sends documents for their states (reviewed by a curator unless given --publish)",
    "curator": "decides submissions for their states, and contributes like a contributor",
    "admin": "everything, for every state",
}
KEY_PREFIX = "kbk_"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class KeyCatalog:
    """Create, verify, list and revoke API keys."""

    db: Database

    def create_key(
        self,
        *,
        role: str,
        states: Sequence[str] = (),
        label: str = "",
        actor: str = "cli",
        can_publish: bool = False,
    ) -> tuple[KeyRecord, str]:
        """Create a key and return it with its plaintext, which is never stored or shown again."""
        if role not in ROLES:
            raise InputError(f"role must be one of {', '.join(ROLES)}, not '{role}'")
        if role != "admin" and not states:
            raise InputError(f"a {role} key needs at least one state (e.g. --state Haryana)")
        key_id = secrets.token_hex(4)
        plaintext = f"{KEY_PREFIX}{key_id}_{secrets.token_urlsafe(24)}"
        now = utc_now()
        with self.db.transaction() as conn:
            conn.execute(
                sa.insert(api_keys).values(
                    id=key_id,
                    key_hash=hash_key(plaintext),
                    role=role,
                    states=json.dumps(list(states), ensure_ascii=False),
                    label=label,
                    created_at=now,
                    revoked_at=None,
                    can_publish=can_publish,
                )
            )
            detail = {"key_id": key_id, "role": role, "states": list(states), "can_publish": can_publish}
            conn.execute(sa.insert(audit).values(at=now, actor=actor, action="key_create", detail=json.dumps(detail)))
        return self.require_key(key_id), plaintext

    def verify_key(self, plaintext: str) -> KeyRecord | None:
        """The active key with this secret, or None."""
        rows = self.db.query(
            sa.select(api_keys).where(api_keys.c.key_hash == hash_key(plaintext), api_keys.c.revoked_at.is_(None))
        )
        return KeyRecord.from_row(rows[0]) if rows else None

    def require_key(self, key_id: str) -> KeyRecord:
        rows = self.db.query(sa.select(api_keys).where(api_keys.c.id == key_id))
        if not rows:
            raise NotFoundError(f"no API key with id '{key_id}'")
        return KeyRecord.from_row(rows[0])

    def list_keys(self) -> list[KeyRecord]:
        rows = self.db.query(sa.select(api_keys).order_by(api_keys.c.created_at, api_keys.c.id))
        return [KeyRecord.from_row(r) for r in rows]

    def revoke_key(self, key_id: str, *, actor: str = "cli") -> KeyRecord:
        """Revoke a key; requests with it get 401 from then on."""
        now = utc_now()
        with self.db.transaction() as conn:
            changed = conn.execute(
                sa.update(api_keys)
                .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
                .values(revoked_at=now)
            ).rowcount
            if not changed:
                raise NotFoundError(f"no active API key with id '{key_id}'")
            conn.execute(
                sa.insert(audit).values(at=now, actor=actor, action="key_revoke", detail=json.dumps({"key_id": key_id}))
            )
        return self.require_key(key_id)

    def set_publish(self, key_id: str, allowed: bool, *, actor: str = "cli") -> KeyRecord:
        """Give or take a key's right to publish without review (``kb keys publish``)."""
        with self.db.transaction() as conn:
            changed = conn.execute(
                sa.update(api_keys)
                .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
                .values(can_publish=allowed)
            ).rowcount
            if not changed:
                raise NotFoundError(f"no active API key with id '{key_id}'")
            detail = json.dumps({"key_id": key_id, "can_publish": allowed})
            conn.execute(sa.insert(audit).values(at=utc_now(), actor=actor, action="key_publish", detail=detail))
        return self.require_key(key_id)
