"""A key's inbox as a list of entries, newest first: what ``GET /v1/feeds/inbox.atom`` shows.

No e-mail server exists in these deployments, so an official subscribes a feed reader (or the
intranet portal) to their own inbox feed with their key. The entries are:

- **requests** asked of the key's states, when it contributes for them (contributors, curators);
- **replies** from others to the requests the key asked;
- **adoptions** of its states' practices, each step of their history (any key of the state);
- **submissions** waiting for review, when it is a curator of their states.

Admins get all of these for every state. Entries carry ids, titles and links, never message
texts or contacts: a feed reader may keep what it fetched in places the key does not protect.
"""

from __future__ import annotations

from dataclasses import dataclass

from kb.catalog import Catalog, KeyRecord
from kb.errors import AuthError
from kb.settings import Settings
from search.services.exchange import KEY_NEEDED


@dataclass(frozen=True)
class InboxEntry:
    """One thing that happened, for one entry of the feed."""

    id: str  # a stable URN: the same event is the same entry on every fetch
    kind: str  # request | reply | adoption | submission
    title: str
    summary: str
    at: str  # ISO 8601 UTC
    path: str  # where to read it (API path; the feed makes it absolute)
    document_id: str


class Inbox:
    """Entries for one key, read from the catalog (a few small queries, each capped at ``size``)."""

    def __init__(self, *, catalog: Catalog, settings: Settings) -> None:
        self.catalog = catalog
        self.settings = settings

    def entries(self, key: KeyRecord | None, *, size: int | None = None) -> list[InboxEntry]:
        if key is None:
            raise AuthError(KEY_NEEDED)
        limit = size or self.settings.feed_size
        states = None if key.is_admin else list(key.states)
        found = [*self._requests(key, limit), *self._replies(key, limit), *self._adoptions(states, limit)]
        if key.is_curator:
            found += self._submissions(states, limit)
        found.sort(key=lambda e: (e.at, e.id), reverse=True)
        return found[:limit]

    def _title(self, document_id: str) -> str:
        record = self.catalog.get_document(document_id)
        return record.title if record is not None else document_id

    def _requests(self, key: KeyRecord, limit: int) -> list[InboxEntry]:
        if not (key.is_admin or key.may_contribute) or (not key.is_admin and not key.states):
            return []
        requests, _ = self.catalog.list_requests(owner_states=key.states, everything=key.is_admin, limit=limit)
        return [
            InboxEntry(
                id=f"urn:kb:request:{r.id}",
                kind="request",
                title=f"Request from {', '.join(r.asker_states) or 'an official'}: {self._title(r.document_id)}",
                summary=f"A knowledge-transfer request to {', '.join(r.states)} about '{r.document_id}' ({r.status}).",
                at=r.created_at,
                path=f"/v1/requests/{r.id}",
                document_id=r.document_id,
            )
            for r in requests
            if r.key_id != key.id  # its own questions come back as replies, not as requests to it
        ]

    def _replies(self, key: KeyRecord, limit: int) -> list[InboxEntry]:
        return [
            InboxEntry(
                id=f"urn:kb:request:{request.id}:message:{message.seq}",
                kind="reply",
                title=f"Reply to your request: {self._title(request.document_id)}",
                summary=f"{', '.join(request.states)} replied to your request about '{request.document_id}' "
                f"(now {request.status}).",
                at=message.at,
                path=f"/v1/requests/{request.id}",
                document_id=request.document_id,
            )
            for message, request in self.catalog.replies_to(key.id, limit=limit)
        ]

    def _adoptions(self, states: list[str] | None, limit: int) -> list[InboxEntry]:
        if states is not None and not states:
            return []
        return [
            InboxEntry(
                id=f"urn:kb:adoption:{event.adoption_id}:{event.seq}",
                kind="adoption",
                title=f"{state} is {event.status}: {self._title(document_id)}",
                summary=f"{state} recorded '{event.status}' for '{document_id}'.",
                at=event.at,
                path=f"/v1/documents/{document_id}/adoptions",
                document_id=document_id,
            )
            for event, document_id, state in self.catalog.adoption_events_of(states, limit=limit)
        ]

    def _submissions(self, states: list[str] | None, limit: int) -> list[InboxEntry]:
        return [
            InboxEntry(
                id=f"urn:kb:submission:{s.id}",
                kind="submission",
                title=f"Awaiting review: {s.title}",
                summary=f"A {'new document' if s.kind == 'create' else 'new version'} for {', '.join(s.states)} "
                f"('{s.document_id}') waits for a curator.",
                at=s.created_at,
                path=f"/v1/submissions/{s.id}",
                document_id=s.document_id,
            )
            for s in self.catalog.submissions_waiting(states, limit=limit)
        ]
