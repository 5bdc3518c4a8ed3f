"""The exchange's rules: which key records which state's adoption, who asks, answers and closes.

**Adoptions.** A state records that it explores, pilots, adopted or dropped another state's
practice. Any key *of the adopting state* may record it (readers too: the official who went to see
the practice is often not the one who publishes documents); admins may record any state's. A state
cannot adopt its own practice (one of the document's states). The practice must be readable by the
caller (:class:`~search.services.documents.Documents` decides: withdrawn and restricted documents
are missing for those who may not read them); so must the adopter's own write-up, if named.
Recording again for the same practice and state changes it and appends to its history.

**Requests for knowledge transfer.** Any key may ask the owning states of a readable practice (a
national document has no state to ask). A request is seen, answered and closed by its asker, by the
contributors and curators of its owning states (the *owner side*) and by admins; to everyone else
it does not exist (404, as for an unknown id). A message from the owner side marks it answered; the
asker writing again reopens it.

Contacts (an adoption's ``contact``) are for keyed callers only, like a practice's own contact.
After each committed change the webhook is woken (:mod:`search.operations.webhooks`); it delivers
from the audit log, so the request never waits for the receiver.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Protocol

from kb.catalog import AdoptionRecord, Catalog, DocumentRecord, KeyRecord, KnowledgeRequestRecord, RequestMessage
from kb.catalog.exchange import ADOPTION_STATUSES
from kb.errors import AuthError, ForbiddenError, NotFoundError, QueryError, RuleError
from kb.settings import Settings
from kb.vocab import canonical_state
from search.services.documents import Documents

MAX_MESSAGE_CHARS = 5000
MAX_NOTE_CHARS = 2000
MAX_CONTACT_CHARS = 300
KEY_NEEDED = "this needs an API key: 'Authorization: Bearer <key>' (any role; kb keys create --role reader)"


class Notifier(Protocol):
    """What the service tells after a committed change (the webhook dispatcher)."""

    def wake(self) -> None: ...


@dataclass(frozen=True)
class RequestThread:
    """A request with its replies, oldest first, and what the caller may do with it."""

    request: KnowledgeRequestRecord
    messages: list[RequestMessage]
    side: str  # asker | owner | admin: how the caller relates to it


def _key(key: KeyRecord | None) -> KeyRecord:
    if key is None:
        raise AuthError(KEY_NEEDED)
    return key


def _text(value: str | None, what: str, limit: int, *, required: bool = False) -> str | None:
    """``value`` stripped, refused (422) when over ``limit`` characters or, if required, empty."""
    if value is None:
        if required:
            raise RuleError(f"{what} is required")
        return None
    text = value.strip()
    if required and not text:
        raise RuleError(f"{what} is empty; write what you want to know")
    if len(text) > limit:
        raise RuleError(f"{what} is {len(text)} characters long; the limit is {limit}")
    return text


def visible_states(key: KeyRecord | None) -> list[str] | None:
    """``visible_to`` for catalog queries: None (all) for admins, else the key's states ([] anonymous)."""
    if key is not None and key.is_admin:
        return None
    return list(key.states) if key is not None else []


class Exchange:
    """Adoptions and requests for one app; cheap to build per request."""

    def __init__(
        self, *, catalog: Catalog, documents: Documents, settings: Settings, notifier: Notifier | None = None
    ) -> None:
        self.catalog = catalog
        self.documents = documents
        self.settings = settings
        self.notifier = notifier

    @classmethod
    def of(cls, state: Any) -> Exchange:
        """The service over an app's ``state`` (catalog, searcher, settings and the webhook, if any)."""
        return cls(
            catalog=state.catalog,
            documents=Documents.of(state),
            settings=state.settings,
            notifier=getattr(state, "webhooks", None),
        )

    def _changed(self) -> None:
        if self.notifier is not None:
            self.notifier.wake()

    # -- adoptions ------------------------------------------------------------------------------------

    def record_adoption(
        self,
        key: KeyRecord | None,
        document_id: str,
        *,
        state: str,
        status: str,
        note: str | None = None,
        contact: str | None = None,
        adopter_document_id: str | None = None,
    ) -> tuple[AdoptionRecord, bool]:
        """Record ``state``'s adoption of ``document_id``; returns it and whether it was created."""
        caller = _key(key)
        try:
            adopter = canonical_state(state)
        except ValueError as exc:
            raise RuleError(f"state: {exc}") from None
        if status not in ADOPTION_STATUSES:
            raise RuleError(f"status: '{status}' is not valid; must be one of {', '.join(ADOPTION_STATUSES)}")
        if not caller.is_of([adopter]):
            mine = ", ".join(caller.states) or "no state"
            raise ForbiddenError(
                f"only keys of {adopter} (or admins) record {adopter}'s adoptions; this key is of {mine}"
            )
        practice = self.documents.get(document_id, caller)
        if adopter in practice.states:
            raise RuleError(
                f"'{practice.id}' is {adopter}'s own practice; a state records adoptions of other states' practices"
            )
        write_up = (adopter_document_id or "").strip() or None
        if write_up is not None:
            if write_up == practice.id:
                raise RuleError("document_id names the practice itself; give the adopting state's own write-up")
            try:
                self.documents.get(write_up, caller)
            except NotFoundError:
                raise RuleError(f"document_id: no document with id '{write_up}' (the adopter's write-up)") from None
        record, outcome = self.catalog.record_adoption(
            document_id=practice.id,
            state=adopter,
            status=status,
            actor=caller.actor,
            key_id=caller.id,
            note=_text(note, "note", MAX_NOTE_CHARS),
            contact=_text(contact, "contact", MAX_CONTACT_CHARS),
            adopter_document_id=write_up,
        )
        if outcome != "unchanged":
            self._changed()
        return self.shown(record, caller), outcome == "created"

    def adoptions_of(self, document_id: str, key: KeyRecord | None) -> list[AdoptionRecord]:
        """The adoptions of one readable practice, with history."""
        practice = self.documents.get(document_id, key)
        return [self.shown(a, key) for a in self.catalog.adoptions_of(practice.id)]

    def adoptions_for(self, record: DocumentRecord, key: KeyRecord | None) -> list[AdoptionRecord]:
        """The adoptions of a document the caller already read (``GET /v1/documents/{id}``)."""
        return [self.shown(a, key) for a in self.catalog.adoptions_of(record.id)]

    def list_adoptions(
        self,
        key: KeyRecord | None,
        *,
        state: str | None = None,
        status: str | None = None,
        document_id: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[AdoptionRecord], int]:
        """A page of adoptions of practices the caller may read, newest change first."""
        if state:
            try:
                state = canonical_state(state)
            except ValueError as exc:  # a filter, like /v1/documents?state=: 400
                raise QueryError(f"invalid filter state: {exc}") from None
        if document_id:
            document_id = self.documents.get(document_id, key).id
        records, total = self.catalog.list_adoptions(
            state=state,
            status=status,
            document_id=document_id,
            visible_to=visible_states(key),
            limit=limit,
            offset=offset,
        )
        return [self.shown(a, key) for a in records], total

    @staticmethod
    def shown(record: AdoptionRecord, key: KeyRecord | None) -> AdoptionRecord:
        """The record as this caller may see it: no contact for anonymous readers."""
        return record if key is not None else replace(record, contact="")

    # -- requests -------------------------------------------------------------------------------------

    def ask(self, key: KeyRecord | None, document_id: str, message: str) -> KnowledgeRequestRecord:
        """Open a request to the owning states of ``document_id``."""
        caller = _key(key)
        text = _text(message, "message", MAX_MESSAGE_CHARS, required=True) or ""
        practice = self.documents.get(document_id, caller)
        if not practice.states:
            raise RuleError(
                f"'{practice.id}' belongs to no state (a national document), so there is no state to ask; "
                "ask the ministry or agency named in it"
            )
        record = self.catalog.create_request(
            document_id=practice.id,
            states=practice.states,
            message=text,
            actor=caller.actor,
            key_id=caller.id,
            asker_states=caller.states,
        )
        self._changed()
        return record

    @staticmethod
    def side(key: KeyRecord, request: KnowledgeRequestRecord) -> str | None:
        """``asker``, ``owner`` (contributors and curators of its states), ``admin``, or None."""
        if request.key_id == key.id:
            return "asker"
        if key.is_admin:
            return "admin"
        if key.may_contribute and key.is_of(request.states):
            return "owner"
        return None

    def _visible_request(self, key: KeyRecord | None, request_id: str) -> tuple[KeyRecord, KnowledgeRequestRecord, str]:
        caller = _key(key)
        missing = NotFoundError(f"no request with id '{request_id}'")
        try:
            request = self.catalog.require_request(request_id)
        except NotFoundError:
            raise missing from None
        side = self.side(caller, request)
        if side is None:
            raise missing  # not the caller's: it does not exist for them
        return caller, request, side

    def inbox(
        self,
        key: KeyRecord | None,
        *,
        status: str | None = None,
        document_id: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[KnowledgeRequestRecord], int]:
        """Requests the key asked, plus those to its states if it contributes for them (admins: all)."""
        caller = _key(key)
        return self.catalog.list_requests(
            asked_by=caller.id,
            owner_states=caller.states if caller.may_contribute else (),
            everything=caller.is_admin,
            status=status,
            document_id=document_id,
            limit=limit,
            offset=offset,
        )

    def thread(self, key: KeyRecord | None, request_id: str) -> RequestThread:
        _caller, request, side = self._visible_request(key, request_id)
        return RequestThread(request=request, messages=self.catalog.request_thread(request.id), side=side)

    def reply(self, key: KeyRecord | None, request_id: str, body: str) -> tuple[RequestThread, RequestMessage]:
        """Add a message; from the owner side (or an admin) it answers the request, from the asker it
        reopens an answered one."""
        caller, request, side = self._visible_request(key, request_id)
        text = _text(body, "body", MAX_MESSAGE_CHARS, required=True) or ""
        status = "open" if side == "asker" and request.status == "answered" else None
        if side in ("owner", "admin"):
            status = "answered"
        updated, message = self.catalog.add_request_message(
            request.id,
            body=text,
            actor=caller.actor,
            key_id=caller.id,
            side="asker" if side == "asker" else "owner",
            status=status,
        )
        self._changed()
        messages = self.catalog.request_thread(request.id)
        return RequestThread(request=updated, messages=messages, side=side), message

    def close(self, key: KeyRecord | None, request_id: str) -> RequestThread:
        """Close a request (its asker, its owner side or an admin): it takes no more messages."""
        caller, request, side = self._visible_request(key, request_id)
        closed = self.catalog.close_request(request.id, actor=caller.actor)
        if closed.updated_at != request.updated_at or request.status != "closed":
            self._changed()
        return RequestThread(request=closed, messages=self.catalog.request_thread(request.id), side=side)
