"""The exchange tables on SQLite and PostgreSQL: adoptions with history, requests with threads, the
webhook's cursor and lease. Every test runs on both backends (``catalog`` from tests/kb/conftest.py)."""

from __future__ import annotations

import threading

import pytest

from kb.catalog import Catalog
from kb.errors import ConflictError, NotFoundError
from kb.metadata import build_metadata
from kb.models import Section


def _document(catalog: Catalog, doc_id: str, states: list[str]) -> None:
    meta = build_metadata(
        {"id": doc_id, "states": states, "type": "case_study", "sector": "health", "year": 2020},
        default_id=doc_id,
        default_title=doc_id,
    )
    version = catalog.begin_write(doc_id)
    catalog.record_version(
        meta=meta,
        version=version,
        blob_sha256="0" * 64,
        filename="d.md",
        media_type="text/markdown",
        size_bytes=1,
        fingerprint=doc_id,
        sections=[Section("text", (), None)],
        chunk_count=1,
        actor="cli",
    )
    catalog.clear_intent(doc_id)


def test_an_adoption_keeps_its_history_and_when_its_status_began(catalog: Catalog) -> None:
    first, outcome = catalog.record_adoption(
        document_id="cm-window", state="Punjab", status="exploring", note="visit planned", actor="key:p1"
    )
    assert outcome == "created" and first.history[0].status == "exploring"
    again, outcome = catalog.record_adoption(
        document_id="cm-window", state="Punjab", status="exploring", note="visit planned", actor="key:p1"
    )
    assert outcome == "unchanged" and len(again.history) == 1  # a retry adds nothing
    noted, outcome = catalog.record_adoption(
        document_id="cm-window", state="Punjab", status="exploring", note="visited in May", actor="key:p1"
    )
    assert outcome == "updated" and noted.since == first.history[0].at  # same status: since unchanged
    piloting, _ = catalog.record_adoption(
        document_id="cm-window", state="Punjab", status="piloting", actor="key:p2", contact="it@punjab.gov.in"
    )
    assert [h.status for h in piloting.history] == ["exploring", "exploring", "piloting"]
    assert piloting.note == "visited in May" and piloting.contact == "it@punjab.gov.in"  # None keeps a field
    assert piloting.since == piloting.history[-1].at and piloting.id == first.id
    assert [h.actor for h in piloting.history] == ["key:p1", "key:p1", "key:p2"]
    audit = [e for e in catalog.audit_log(document_id="cm-window") if e.action == "adoption_record"]
    assert [e.detail["status"] for e in audit] == ["piloting", "exploring", "exploring"]  # newest first
    assert audit[0].detail["previous_status"] == "exploring" and audit[0].actor == "key:p2"


def test_adoptions_are_listed_filtered_and_counted(catalog: Catalog) -> None:
    for state, status in (("Punjab", "adopted"), ("Kerala", "piloting"), ("Assam", "dropped")):
        catalog.record_adoption(document_id="cm-window", state=state, status=status, actor="cli")
    catalog.record_adoption(document_id="bhoomi", state="Punjab", status="exploring", actor="cli")
    records, total = catalog.list_adoptions(state="Punjab")
    assert total == 2 and [r.document_id for r in records] == ["bhoomi", "cm-window"]  # newest change first
    assert catalog.list_adoptions(status="dropped")[0][0].state == "Assam"
    page, total = catalog.list_adoptions(limit=1, offset=1)
    assert total == 4 and len(page) == 1
    assert [a.state for a in catalog.adoptions_of("cm-window")] == ["Assam", "Kerala", "Punjab"]
    assert catalog.adopted_document_ids("Punjab") == ["bhoomi", "cm-window"]
    assert catalog.adopted_document_ids("Assam") == []  # dropped is not taken up
    assert catalog.adoption_counts() == {"cm-window": 2, "bhoomi": 1}
    assert catalog.adoption_counts(["bhoomi"]) == {"bhoomi": 1} and catalog.adoption_counts([]) == {}


def test_two_first_posts_at_once_make_one_adoption(catalog_url: str) -> None:
    with Catalog(catalog_url) as one, Catalog(catalog_url) as other:
        barrier = threading.Barrier(2)
        outcomes: list[str] = []

        def post(catalog: Catalog, status: str) -> None:
            barrier.wait()
            outcomes.append(catalog.record_adoption(document_id="d", state="Goa", status=status, actor="x")[1])

        threads = [threading.Thread(target=post, args=(c, s)) for c, s in ((one, "exploring"), (other, "piloting"))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(outcomes) == ["created", "updated"]
        assert len(one.adoptions_of("d")) == 1 and len(one.adoptions_of("d")[0].history) == 2


def test_a_request_thread_moves_its_status_and_closes(catalog: Catalog) -> None:
    asked = catalog.create_request(
        document_id="cm-window",
        states=["Haryana"],
        message="How did you train the staff?",
        actor="key:pb",
        key_id="pb",
        asker_states=["Punjab"],
    )
    assert asked.status == "open" and asked.states == ["Haryana"] and asked.asker_states == ["Punjab"]
    answered, reply = catalog.add_request_message(
        asked.id, body="Two weeks at HIPA.", actor="key:hr", key_id="hr", side="owner", status="answered"
    )
    assert answered.status == "answered" and reply.seq > 0
    catalog.add_request_message(asked.id, body="Thanks; slides?", actor="key:pb", key_id="pb", side="asker")
    assert [m.body for m in catalog.request_thread(asked.id)] == ["Two weeks at HIPA.", "Thanks; slides?"]
    closed = catalog.close_request(asked.id, actor="key:pb")
    assert closed.status == "closed" and catalog.close_request(asked.id, actor="key:pb").status == "closed"
    with pytest.raises(ConflictError, match="closed"):
        catalog.add_request_message(asked.id, body="more", actor="key:hr", key_id="hr", side="owner")
    with pytest.raises(NotFoundError):
        catalog.require_request("nope")
    actions = [e.action for e in catalog.audit_log(document_id="cm-window")]
    assert actions == ["request_close", "request_message", "request_message", "request_create"]  # one close


def test_an_inbox_lists_what_was_asked_and_what_was_asked_of_its_states(catalog: Catalog) -> None:
    def ask(doc: str, states: list[str], key: str) -> str:
        return catalog.create_request(document_id=doc, states=states, message="?", actor=key, key_id=key).id

    to_haryana = ask("cm-window", ["Haryana"], "pb")
    to_both = ask("mou", ["Jammu and Kashmir", "Haryana"], "kl")
    to_kerala = ask("akshaya", ["Kerala"], "hr")

    def inbox(**who: object) -> set[str]:
        return {r.id for r in catalog.list_requests(**who)[0]}  # type: ignore[arg-type]

    assert inbox(asked_by="hr", owner_states=["Haryana"]) == {to_haryana, to_both, to_kerala}
    assert inbox(asked_by="pb", owner_states=["Punjab"]) == {to_haryana}
    assert inbox(owner_states=["Jammu and Kashmir"]) == {to_both}
    assert inbox(owner_states=["Jammu"]) == set()  # a whole name, not a part of one
    assert inbox(asked_by="nobody") == set()
    assert inbox(everything=True) == {to_haryana, to_both, to_kerala}
    catalog.close_request(to_both, actor="x")
    assert inbox(owner_states=["Haryana"], status="open") == {to_haryana}
    catalog.add_request_message(to_kerala, body="answer", actor="k", key_id="kerala-key", side="owner")
    catalog.add_request_message(to_kerala, body="own note", actor="h", key_id="hr", side="asker")
    assert [(m.body, r.id) for m, r in catalog.replies_to("hr", limit=10)] == [("answer", to_kerala)]


def test_adoption_events_of_a_states_practices(catalog: Catalog) -> None:
    _document(catalog, "cm-window", ["Haryana"])
    _document(catalog, "akshaya", ["Kerala"])
    catalog.record_adoption(document_id="cm-window", state="Punjab", status="exploring", actor="a")
    catalog.record_adoption(document_id="akshaya", state="Punjab", status="adopted", actor="a")
    catalog.record_adoption(document_id="cm-window", state="Punjab", status="piloting", actor="a")
    events = catalog.adoption_events_of(["Haryana"], limit=10)
    assert [(e.status, doc, state) for e, doc, state in events] == [
        ("piloting", "cm-window", "Punjab"),
        ("exploring", "cm-window", "Punjab"),
    ]
    assert len(catalog.adoption_events_of(None, limit=10)) == 3


def test_the_audit_log_reads_forward_from_a_cursor_and_a_lease_has_one_holder(catalog: Catalog) -> None:
    start = catalog.last_audit_seq()
    catalog.record_adoption(document_id="d", state="Goa", status="exploring", actor="a")
    catalog.audit("a", "key_create")
    catalog.create_request(document_id="d", states=["Goa"], message="?", actor="a", key_id="k")
    found = catalog.audit_after(start, actions=["adoption_record", "request_create"])
    assert [e.action for e in found] == ["adoption_record", "request_create"]
    assert catalog.audit_after(found[0].seq, actions=["adoption_record"]) == []
    assert catalog.get_property("webhook_cursor") is None
    assert catalog.init_property("webhook_cursor", "3") == "3"
    assert catalog.init_property("webhook_cursor", "5") == "3"  # set already: kept
    catalog.set_property("webhook_cursor", "7")
    assert catalog.get_property("webhook_cursor") == "7"
    assert catalog.claim_lease("webhook", "one", lease_s=30)
    assert not catalog.claim_lease("webhook", "two", lease_s=30)
    assert catalog.claim_lease("webhook", "one", lease_s=30)  # renewing
    catalog.release_lease("webhook", "two")  # not its lease: nothing happens
    assert not catalog.claim_lease("webhook", "two", lease_s=30)
    catalog.release_lease("webhook", "one")
    assert catalog.claim_lease("webhook", "two", lease_s=-1)  # expired at once
    assert catalog.claim_lease("webhook", "one", lease_s=30)
