"""What the webhook needs of the catalog: the audit log read forward from a cursor, and a lease.

The audit log is the outbox: every write commits its audit line with it, so delivering "every line
after the cursor" sends exactly the committed changes, in order. The cursor (the last delivered
``audit.seq``) and the lease (which process delivers) are rows of ``properties``, so they survive
a restart and are shared by every replica of a deployment on PostgreSQL.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa

from kb.catalog.db import Database, utc_now
from kb.catalog.records import AuditEntry
from kb.catalog.tables import audit, properties


class DeliveryCatalog:
    """Cursor, lease and the audit log after a point."""

    db: Database

    def audit_after(self, seq: int, *, actions: Sequence[str], limit: int = 100) -> list[AuditEntry]:
        """Audit lines after ``seq`` whose action is one of ``actions``, oldest first."""
        rows = self.db.query(
            sa.select(audit)
            .where(audit.c.seq > seq, audit.c.action.in_(list(actions)))
            .order_by(audit.c.seq)
            .limit(limit)
        )
        return [AuditEntry.from_row(r) for r in rows]

    def last_audit_seq(self) -> int:
        """The newest audit line's number (0 for an empty log)."""
        return int(self.db.scalar(sa.select(sa.func.coalesce(sa.func.max(audit.c.seq), 0))) or 0)

    def get_property(self, name: str) -> str | None:
        value = self.db.scalar(sa.select(properties.c.value).where(properties.c.name == name))
        return None if value is None else str(value)

    def init_property(self, name: str, value: str) -> str:
        """Set ``name`` to ``value`` unless it is set already; returns what it holds (two replicas
        starting at once agree on one value instead of overwriting each other)."""
        with self.db.transaction() as conn:
            self.db.lock_document(conn, f"property:{name}")
            current = conn.execute(sa.select(properties.c.value).where(properties.c.name == name)).scalar()
            if current is not None:
                return str(current)
            conn.execute(sa.insert(properties).values(name=name, value=value))
        return value

    def set_property(self, name: str, value: str) -> None:
        with self.db.transaction() as conn:
            self.db.upsert(conn, properties, {"name": name, "value": value}, keys=("name",))

    def claim_lease(self, name: str, owner: str, *, lease_s: float) -> bool:
        """Take or renew the lease ``name`` for ``owner`` unless another owner holds an unexpired one.

        Checked and written in one transaction under the row's lock (``FOR UPDATE`` on PostgreSQL,
        ``BEGIN IMMEDIATE`` on SQLite), so two replicas never both hold it.
        """
        now = datetime.now(UTC)
        with self.db.transaction() as conn:
            self.db.lock_document(conn, f"lease:{name}")  # also when the row does not exist yet
            current = conn.execute(
                sa.select(properties.c.value).where(properties.c.name == name).with_for_update()
            ).scalar()
            if current is not None:
                held = json.loads(current)
                if held["owner"] != owner and datetime.fromisoformat(held["until"]) > now:
                    return False
            value = json.dumps({"owner": owner, "until": utc_now(plus_seconds=lease_s)})
            self.db.upsert(conn, properties, {"name": name, "value": value}, keys=("name",))
        return True

    def release_lease(self, name: str, owner: str) -> None:
        """Give the lease up at shutdown, so another replica (or the next start) takes over at once."""
        with self.db.transaction() as conn:
            current = conn.execute(
                sa.select(properties.c.value).where(properties.c.name == name).with_for_update()
            ).scalar()
            if current is not None and json.loads(current)["owner"] == owner:
                conn.execute(sa.delete(properties).where(properties.c.name == name))
