"""Where the last harvest of each OAI-PMH source stopped: one row per (source, set) in ``properties``.

``kb harvest`` asks the source only for what changed since the previous run (``from`` = the
``responseDate`` of the previous run's first answer, so changes made while it ran are seen again,
which costs nothing: unchanged records write nothing). The mark is a property rather than a table
of its own because nothing queries it but the harvester; a migration would buy nothing.
"""

from __future__ import annotations

import sqlalchemy as sa

from kb.catalog.db import Database
from kb.catalog.tables import properties

_PREFIX = "harvest:"


def _name(source: str, set_spec: str | None) -> str:
    return f"{_PREFIX}{source}#{set_spec or '*'}"


class HarvestCatalog:
    db: Database

    def harvest_mark(self, source: str, set_spec: str | None = None) -> str | None:
        """The datestamp the next harvest of ``source`` (and this set) starts from; None before the first."""
        value = self.db.scalar(sa.select(properties.c.value).where(properties.c.name == _name(source, set_spec)))
        return None if value is None else str(value)

    def set_harvest_mark(self, source: str, set_spec: str | None, datestamp: str) -> None:
        with self.db.transaction() as conn:
            self.db.upsert(conn, properties, {"name": _name(source, set_spec), "value": datestamp}, keys=("name",))
