"""The webhook against a real HTTP receiver on 127.0.0.1: signed events, once each, in order, across a
restart of the app; retries with backoff; a slow receiver never slows the API.

The receiver is ``http.server`` in a thread; it answers with the statuses a test queues (200 by
default) and records every delivery it gets, attempts included.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from kb.catalog import Catalog
from kb.settings import Settings
from search.api import create_app
from tests.api.conftest import bearer, both_catalogs, make_keys

SECRET = "shared-secret"


class Receiver:
    """A webhook endpoint: records deliveries, answers with queued statuses (then 200), may stall."""

    def __init__(self) -> None:
        self.deliveries: list[tuple[dict[str, str], bytes]] = []
        self.statuses: list[int] = []
        self.stall_s = 0.0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                time.sleep(receiver.stall_s)
                with receiver.lock:
                    receiver.deliveries.append(({k.lower(): v for k, v in self.headers.items()}, body))
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def events(self) -> list[dict[str, Any]]:
        """The bodies received, attempts included, in arrival order."""
        with self.lock:
            return [json.loads(body) for _headers, body in self.deliveries]

    def wait_for(self, count: int, timeout: float = 20) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while len(self.events()) < count:
            assert time.monotonic() < deadline, f"expected {count} deliveries, got {self.events()}"
            time.sleep(0.02)
        return self.events()


@pytest.fixture(scope="module")
def receiver(catalog_backend: str) -> Iterator[Receiver]:
    """One receiver per catalog backend: the tests count what it got since the module's app began."""
    endpoint = Receiver()
    yield endpoint
    endpoint.server.shutdown()


@pytest.fixture(scope="module")
def keys(exchange_settings: Settings) -> dict[str, str]:
    made = make_keys(exchange_settings)
    with Catalog(exchange_settings.resolved_catalog_url()) as catalog:
        made["punjab_reader"] = catalog.create_key(role="reader", states=["Punjab"])[1]
    return made


def _settings(exchange_settings: Settings, receiver: Receiver) -> Settings:
    return Settings(
        kb_dir=exchange_settings.kb_dir,
        catalog_url=exchange_settings.catalog_url,
        webhook_url=receiver.url,
        webhook_secret=SecretStr(SECRET),
        webhook_retry_s=0.05,
        webhook_max_attempts=3,
        public_url="https://exchange.example",
    )


@both_catalogs
def test_signed_events_arrive_once_each_in_order_and_across_a_restart(
    exchange_settings: Settings, keys: dict[str, str], receiver: Receiver
) -> None:
    punjab, haryana = bearer(keys["punjab_reader"]), bearer(keys["haryana"])
    with TestClient(create_app(_settings(exchange_settings, receiver))) as client:
        adopted = client.post(
            "/v1/documents/haryana-cm-window/adoptions", json={"state": "Punjab", "status": "piloting"}, headers=punjab
        )
        assert adopted.status_code == 201
        asked = client.post(
            "/v1/documents/haryana-cm-window/requests", json={"message": "Training?"}, headers=punjab
        ).json()
        client.post(f"{asked['url']}/messages", json={"body": "HIPA."}, headers=haryana)
        client.post(f"{asked['url']}/messages", json={"body": "Slides?"}, headers=punjab)
        client.post(f"{asked['url']}/close", headers=punjab)
        first = receiver.wait_for(5)
    assert [e["event"] for e in first] == [
        "adoption.recorded",
        "request.created",
        "request.answered",
        "request.replied",
        "request.closed",
    ]  # the ingest and key creation before the first start are not sent: delivery starts then
    adoption = first[0]
    assert (adoption["document_id"], adoption["state"], adoption["status"]) == (
        "haryana-cm-window",
        "Punjab",
        "piloting",
    )
    assert adoption["url"] == "https://exchange.example/v1/documents/haryana-cm-window/adoptions"
    assert first[1]["request_id"] == asked["id"] and first[1]["url"].endswith(asked["url"])
    assert all("Training?" not in json.dumps(e) and "HIPA" not in json.dumps(e) for e in first)  # no texts
    ids = [int(e["id"]) for e in first]
    assert ids == sorted(ids) and len(set(ids)) == 5
    for headers, body in receiver.deliveries:
        expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(headers["x-kb-signature"], expected)
        assert headers["x-kb-event"] == json.loads(body)["event"] and headers["x-kb-delivery"] == json.loads(body)["id"]
        assert headers["content-type"] == "application/json"

    # while the app is down, the CLI side writes (kb ingest content/ loads adoptions this way)
    with Catalog(exchange_settings.resolved_catalog_url()) as catalog:
        catalog.record_adoption(document_id="karnataka-bhoomi", state="Kerala", status="exploring", actor="cli")
    with TestClient(create_app(_settings(exchange_settings, receiver))) as client:
        after = receiver.wait_for(6)
        client.post(
            "/v1/documents/haryana-cm-window/adoptions", json={"state": "Punjab", "status": "adopted"}, headers=punjab
        )
        after = receiver.wait_for(7)
        time.sleep(0.5)  # room for a duplicate to show up, if one were sent
    assert [(e["event"], e["document_id"]) for e in receiver.events()[5:]] == [
        ("adoption.recorded", "karnataka-bhoomi"),  # written while down: delivered on the next start
        ("adoption.recorded", "haryana-cm-window"),
    ]
    assert len({e["id"] for e in after}) == len(after) == 7  # nothing delivered twice


@both_catalogs
def test_failed_deliveries_are_retried_then_given_up_without_holding_back_the_rest(
    exchange_settings: Settings, keys: dict[str, str], receiver: Receiver
) -> None:
    punjab = bearer(keys["punjab_reader"])
    start = len(receiver.events())
    with TestClient(create_app(_settings(exchange_settings, receiver))) as client:
        receiver.statuses[:] = [503, 500]  # two failures, then the third attempt succeeds
        client.post(
            "/v1/documents/haryana-saral-report/adoptions",
            json={"state": "Punjab", "status": "exploring"},
            headers=punjab,
        )
        retried = receiver.wait_for(start + 3)[start:]
        assert [e["id"] for e in retried] == [retried[0]["id"]] * 3  # the same event, three attempts
        receiver.statuses[:] = [400]  # refused: given up at once, not retried
        client.post(
            "/v1/documents/haryana-saral-report/adoptions",
            json={"state": "Punjab", "status": "piloting"},
            headers=punjab,
        )
        client.post(
            "/v1/documents/haryana-saral-report/adoptions",
            json={"state": "Punjab", "status": "adopted"},
            headers=punjab,
        )
        rest = receiver.wait_for(start + 5)[start + 3 :]
        assert [e["status"] for e in rest] == ["piloting", "adopted"]  # one attempt each
        audit = client.get("/v1/audit", params={"document_id": "haryana-saral-report"}, headers=bearer(keys["admin"]))
        failed = [e for e in audit.json() if e["action"] == "webhook_failed"]
        assert len(failed) == 1 and failed[0]["detail"]["error"] == "HTTP 400"
        assert failed[0]["detail"]["seq"] == int(rest[0]["id"])


@both_catalogs
def test_a_slow_receiver_never_slows_the_request(
    exchange_settings: Settings, keys: dict[str, str], receiver: Receiver
) -> None:
    start = len(receiver.events())
    receiver.stall_s = 8.0  # far longer than the request takes on a loaded machine, inside the 10 s timeout
    try:
        with TestClient(create_app(_settings(exchange_settings, receiver))) as client:
            began = time.monotonic()
            response = client.post(
                "/v1/documents/haryana-cm-window/requests",
                json={"message": "Budget?"},
                headers=bearer(keys["punjab_reader"]),
            )
            took = time.monotonic() - began
            assert response.status_code == 201 and took < receiver.stall_s / 2, took
            assert receiver.wait_for(start + 1, timeout=30)[start]["event"] == "request.created"
    finally:
        receiver.stall_s = 0.0


def test_review_and_document_lines_become_events_with_links() -> None:
    """The review workflow's and the writer's audit lines (written by their own modules) map to events."""
    from kb.catalog import AuditEntry
    from search.operations.webhooks import EVENTS, event_of

    def line(action: str, **detail: Any) -> AuditEntry:
        return AuditEntry(seq=9, at="2030-01-01T00:00:00+00:00", actor="key:c", action=action,
                          document_id="doc", version=None, detail=detail)  # fmt: skip

    submitted = event_of(line("submit", submission_id="s1", kind="create"), "https://x.example")
    assert (submitted["event"], submitted["url"]) == ("review.submitted", "https://x.example/v1/submissions/s1")
    assert event_of(line("review_approve", submission_id="s1"))["event"] == "review.approved"
    published = event_of(line("create", filename="d.md"))
    assert (published["event"], published["url"]) == ("document.published", "/v1/documents/doc")
    assert {"key_create", "webhook_failed", "request_view"}.isdisjoint(EVENTS)  # never sent
