"""The practice record fields: owner, contact, started, scale, cost and building blocks."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from kb.errors import MetadataError
from kb.metadata import DocumentMetadata, build_metadata
from kb.practice import Contact, contact_from_text, parse_contact
from kb.vocab import BUILDING_BLOCK_LABELS, BuildingBlock, building_block_label, enum_values


def meta_of(**raw: Any) -> DocumentMetadata:
    return build_metadata(raw, source="content/x.md", default_id="x", default_title="X")


def error_of(**raw: Any) -> MetadataError:
    with pytest.raises(MetadataError) as caught:
        meta_of(**raw)
    assert str(caught.value).startswith("content/x.md: ")
    return caught.value


def test_the_practice_record_is_parsed_and_stored_as_json() -> None:
    meta = meta_of(
        type="case_study",
        owner="  Revenue Department, Haryana ",
        contact={"name": "Sunita Sharma", "role": "Joint Director", "email": "js-rev@hry.nic.in", "phone": 1722700},
        status="Operational",
        started="2014",
        scale="all 22 districts",
        cost=42000000,
        building_blocks=["Identity", "e-signature", "Workflow and Algorithm", "identity"],
    )
    assert meta.owner == "Revenue Department, Haryana"
    assert meta.contact == Contact(
        name="Sunita Sharma", role="Joint Director", email="js-rev@hry.nic.in", phone="1722700"
    )
    assert meta.started == 2014 and meta.scale == "all 22 districts" and meta.cost == "42000000"
    assert meta.building_blocks == [BuildingBlock.IDENTITY, BuildingBlock.E_SIGNATURE, BuildingBlock.WORKFLOW]
    payload = meta.to_payload()
    assert payload["contact"] == {
        "name": "Sunita Sharma",
        "role": "Joint Director",
        "email": "js-rev@hry.nic.in",
        "phone": "1722700",
    }
    assert payload["building_blocks"] == ["identity", "e_signature", "workflow"]
    assert payload["status"] == "operational"
    # what is stored validates again unchanged (PUT merges stored metadata with the new fields)
    assert DocumentMetadata.model_validate(payload).to_payload() == payload


def test_the_fields_are_optional_and_empty_values_are_none() -> None:
    meta = meta_of(owner="", contact="", started="", scale=" ", cost=None, building_blocks="")
    assert (meta.owner, meta.contact, meta.started, meta.scale, meta.cost) == (None, None, None, None, None)
    assert meta.building_blocks == []
    assert meta_of(contact={"name": " ", "email": None}).contact is None


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("Revenue helpdesk", {"name": "Revenue helpdesk"}),  # the old plain string: a name
        (
            "Sunita Sharma, Joint Director, js@hry.nic.in",
            {"name": "Sunita Sharma", "role": "Joint Director", "email": "js@hry.nic.in"},
        ),
        (
            "Sunita Sharma, Joint Director, CM Window cell, +91 172 270 0000, js@hry.nic.in",
            {
                "name": "Sunita Sharma",
                "role": "Joint Director, CM Window cell",
                "phone": "+91 172 270 0000",
                "email": "js@hry.nic.in",
            },
        ),
        ("mailto:cmwindow@hry.nic.in", {"email": "cmwindow@hry.nic.in"}),
        ("0172-2711 ext 12", {"phone": "0172-2711 ext 12"}),
        ("Helpline 1100", {"name": "Helpline 1100"}),
    ],
)
def test_a_contact_written_as_one_line_is_split_sensibly(given: str, expected: dict[str, str]) -> None:
    assert contact_from_text(given) == expected
    contact = meta_of(contact=given).contact
    assert contact is not None and contact.model_dump(exclude_none=True) == expected


def test_a_string_contact_from_an_old_client_still_validates() -> None:
    # documents and API clients from before the structure sent `contact: "..."`
    assert meta_of(contact="Director, e-Governance").contact == Contact(name="Director", role="e-Governance")
    assert parse_contact("Sunita Sharma") == Contact(name="Sunita Sharma")
    assert parse_contact("") is None


@pytest.mark.parametrize(
    ("raw", "fix"),
    [
        ({"contact": {"email": "sunita at nic"}}, "email 'sunita at nic' is not an email address"),
        (
            {"contact": {"name": "A", "mobile": "98"}},
            "unknown contact field 'mobile'; a contact has name, role, email, phone",
        ),
        ({"contact": ["A", "B"]}, "must be a mapping of name, role, email, phone"),
        ({"contact": {"name": ["A"]}}, "must be text"),
        ({"started": 1900}, "between 1947 and"),
        ({"started": "twenty"}, "write four digits"),
        ({"started": dt.date.today().year + 2}, "out of range"),
        ({"owner": ["Revenue"]}, "must be text"),
        ({"scale": "x" * 301}, "at most 300 characters"),
    ],
)
def test_invalid_practice_fields_name_the_field_and_the_fix(raw: dict[str, Any], fix: str) -> None:
    error = error_of(**raw)
    (field,) = raw
    assert error.field == field
    assert fix in str(error)


def test_parse_contact_raises_one_clear_line() -> None:
    with pytest.raises(ValueError, match=r"^email: email 'x' is not an email address"):
        parse_contact({"email": "x"})


def test_an_unknown_building_block_names_the_valid_ones() -> None:
    error = error_of(building_blocks=["identity", "blockchain"])
    assert error.field == "building_blocks"
    message = str(error)
    assert "'blockchain' is not a valid building block" in message
    assert "valid values: " + ", ".join(enum_values(BuildingBlock)) in message
    assert "did you mean 'payments'" in str(error_of(building_blocks="payment gateway"))
    assert "must be a list of building blocks" in str(error_of(building_blocks={"identity": True}))


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("Identification & Authentication", BuildingBlock.IDENTITY),
        ("Digital Registries", BuildingBlock.DIGITAL_REGISTRIES),
        ("Scheduler", BuildingBlock.SCHEDULING),
        ("Geographic Information System (GIS)", BuildingBlock.GIS),
        ("information-mediator", BuildingBlock.INFORMATION_MEDIATOR),
        ("E-Signature", BuildingBlock.E_SIGNATURE),
    ],
)
def test_building_blocks_accept_govstack_names(given: str, expected: BuildingBlock) -> None:
    assert meta_of(building_blocks=[given]).building_blocks == [expected]


def test_every_building_block_has_a_human_label() -> None:
    assert set(BUILDING_BLOCK_LABELS) == set(BuildingBlock)
    assert building_block_label("e_signature") == "E-signature"
    assert building_block_label("gis") == "Geographic information system (GIS)"
    assert building_block_label("something_new") == "Something new"  # an old index value still shows
