"""The webhook: events POSTed as JSON to ``KB_WEBHOOK_URL`` from a background thread, from the audit log.

Every write of the exchange (and of documents and reviews) commits an audit line in its own
transaction. The dispatcher reads the lines after its cursor, turns the ones listed in
:data:`EVENTS` into events and delivers them in order; the cursor (the last delivered ``audit.seq``)
is stored in the catalog's ``properties`` after each delivery. So:

- an event is sent only for a committed write, and after it (never from inside the request);
- a restart (or a crash) resumes at the cursor: nothing committed is lost, nothing delivered is
  sent again, except the one event whose delivery was under way when the process died (delivery
  is at-least-once: receivers deduplicate on ``id``, which is the audit line's number);
- one process delivers at a time: a lease in ``properties`` (renewed while it works) makes
  replicas on one PostgreSQL catalog take turns instead of sending everything twice.

A failed delivery (network error, timeout, 5xx, 408, 429) is retried after ``KB_WEBHOOK_RETRY_S``
seconds, doubling each time, ``KB_WEBHOOK_MAX_ATTEMPTS`` times in all; then it is given up, logged
and audited (``webhook_failed``) so the next events are not held back forever. Another 4xx is given
up at once (the receiver refused it; sending it again will not help). With ``KB_WEBHOOK_SECRET``
each request carries ``X-KB-Signature: sha256=<hex HMAC-SHA256 of the body>``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import threading
from typing import Any

import httpx

from kb.catalog import AuditEntry, Catalog
from kb.settings import Settings

log = logging.getLogger(__name__)

CURSOR = "webhook_cursor"
LEASE = "webhook_lease"
LEASE_S = 60.0
POLL_S = 2.0  # a change made by another process (kb ingest, a replica) is noticed within this
MAX_DELAY_S = 300.0
TIMEOUT_S = 10.0
RETRYABLE = {408, 429}

# audit action -> event name. request_message is answered or replied by the side that wrote it.
EVENTS = {
    "adoption_record": "adoption.recorded",
    "request_create": "request.created",
    "request_message": "request.answered",
    "request_close": "request.closed",
    "submit": "review.submitted",
    "review_approve": "review.approved",
    "review_request_changes": "review.changes_requested",
    "review_reject": "review.rejected",
    "review_published": "review.published",
    "create": "document.published",
    "update": "document.updated",
    "withdraw": "document.withdrawn",
}
LINKS = {
    "adoption": "/v1/documents/{document_id}/adoptions",
    "request": "/v1/requests/{request_id}",
    "review": "/v1/submissions/{submission_id}",
    "document": "/v1/documents/{document_id}",
}


def event_of(entry: AuditEntry, base: str = "") -> dict[str, Any]:
    """The JSON body for one audit line: ids, states and statuses, never message texts or contacts."""
    name = EVENTS[entry.action]
    if entry.action == "request_message" and entry.detail.get("side") == "asker":
        name = "request.replied"
    body: dict[str, Any] = {
        "id": str(entry.seq),
        "event": name,
        "document_id": entry.document_id,
        "at": entry.at,
        "actor": entry.actor,
    }
    body.update({k: v for k, v in entry.detail.items() if k not in body})
    if entry.version is not None:
        body["version"] = entry.version
    template = LINKS[name.split(".")[0]]
    try:
        body["url"] = base + template.format(**body)
    except KeyError:  # a line without the id its link needs
        body["url"] = base + LINKS["document"].format(**body)
    return body


def signature(secret: str, body: bytes) -> str:
    """``sha256=<hex>``: what a receiver recomputes over the raw body with the shared secret."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


class WebhookDispatcher:
    """Delivers the audit log's events to one URL from a daemon thread; ``wake()`` after a write."""

    def __init__(self, catalog: Catalog, settings: Settings, *, client: httpx.Client | None = None) -> None:
        if not settings.webhook_url:
            raise ValueError("WebhookDispatcher needs KB_WEBHOOK_URL")
        self.catalog = catalog
        self.settings = settings
        self.url = settings.webhook_url
        self.secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
        self.owner = secrets.token_hex(8)  # this process, for the lease
        self.client = client or httpx.Client(timeout=TIMEOUT_S, follow_redirects=False)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start delivering. The cursor is fixed here, before the app serves a request, so the first
        start of a webhook begins exactly at the newest audit line (no flood of old events, and no
        event of the first requests skipped)."""
        self.catalog.init_property(CURSOR, str(self.catalog.last_audit_seq()))
        self._thread = threading.Thread(target=self._run, name="kb-webhook", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Something was committed: look now instead of at the next poll."""
        self._wake.set()

    def stop(self) -> None:
        """Stop after the delivery under way (an unfinished one is sent again by the next start)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=TIMEOUT_S + 5)
        try:
            self.catalog.release_lease(LEASE, self.owner)
        except Exception:  # the catalog may already be closing; the lease then just expires
            log.debug("could not release the webhook lease", exc_info=True)
        self.client.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                if self.catalog.claim_lease(LEASE, self.owner, lease_s=LEASE_S):
                    while self.deliver_pending():
                        pass
            except Exception:  # never let the thread die: log, wait, try again
                log.exception("webhook delivery failed; retrying at the next poll")
            self._wake.wait(POLL_S)

    def cursor(self) -> int:
        """The last delivered audit line (set by :meth:`start` the first time)."""
        return int(self.catalog.init_property(CURSOR, str(self.catalog.last_audit_seq())))

    def deliver_pending(self) -> bool:
        """Deliver one batch in order; True when there may be more."""
        entries = self.catalog.audit_after(self.cursor(), actions=list(EVENTS), limit=100)
        for entry in entries:
            if self._stop.is_set() or not self.catalog.claim_lease(LEASE, self.owner, lease_s=LEASE_S):
                return False
            if self._deliver(entry) is None:
                return False  # stopping mid-retry: the cursor stays, the next start sends it
            self.catalog.set_property(CURSOR, str(entry.seq))
        return len(entries) == 100

    def _deliver(self, entry: AuditEntry) -> bool | None:
        """POST one event with retries: True delivered, False given up, None interrupted by stop."""
        event = event_of(entry, self.settings.public_url.rstrip("/"))
        body = json.dumps(event, ensure_ascii=False).encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "egov-practice-exchange-webhook",
            "X-KB-Event": event["event"],
            "X-KB-Delivery": str(entry.seq),
        }
        if self.secret:
            headers["X-KB-Signature"] = signature(self.secret, body)
        delay = self.settings.webhook_retry_s
        problem = ""
        for attempt in range(1, self.settings.webhook_max_attempts + 1):
            try:
                response = self.client.post(self.url, content=body, headers=headers)
                if response.is_success:
                    return True
                problem = f"HTTP {response.status_code}"
                if response.status_code < 500 and response.status_code not in RETRYABLE:
                    break  # refused: sending the same body again will not help
            except httpx.HTTPError as exc:
                problem = f"{type(exc).__name__}: {exc}"
            if attempt < self.settings.webhook_max_attempts and self._stop.wait(min(delay, MAX_DELAY_S)):
                return None
            delay *= 2
        log.warning("webhook gave up on event %s (%s) after %s: %s", entry.seq, entry.action, attempt, problem)
        self.catalog.audit(
            "webhook", "webhook_failed", entry.document_id, seq=entry.seq, event=event["event"], error=problem
        )
        return False
