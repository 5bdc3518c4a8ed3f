"""Controlled vocabularies of the metadata schema: states and UTs, sectors, document types, levels,
practice status and building blocks.

Names are normalised so contributors can write what they are used to (``J&K``, ``Orissa``, ``UP``)
while filters and facets always see one canonical spelling. An unknown name is an error that names
the closest valid value, never a silent miss.
"""

from __future__ import annotations

import difflib
import re
from enum import StrEnum
from typing import TypeVar

E = TypeVar("E", bound=StrEnum)


class DocType(StrEnum):
    """What kind of document a record is."""

    CASE_STUDY = "case_study"
    MOU = "mou"
    POLICY = "policy"
    GUIDELINE = "guideline"
    REPORT = "report"
    VISION_DOCUMENT = "vision_document"
    NEWS = "news"
    OTHER = "other"


class Sector(StrEnum):
    """The area of government a practice belongs to."""

    AGRICULTURE = "agriculture"
    EDUCATION = "education"
    HEALTH = "health"
    LAND_RECORDS = "land_records"
    GRIEVANCE_REDRESSAL = "grievance_redressal"
    CYBER_SECURITY = "cyber_security"
    DIGITAL_INFRASTRUCTURE = "digital_infrastructure"
    SOCIAL_WELFARE = "social_welfare"
    FOOD_SECURITY = "food_security"
    TRANSPORT = "transport"
    URBAN_DEVELOPMENT = "urban_development"
    WATER = "water"
    DISASTER_MANAGEMENT = "disaster_management"
    JUSTICE = "justice"
    PUBLIC_FINANCE = "public_finance"
    PROCUREMENT = "procurement"
    ADMINISTRATION = "administration"
    SKILLS_EMPLOYMENT = "skills_employment"
    TRIBAL_WELFARE = "tribal_welfare"
    ENVIRONMENT_FORESTS = "environment_forests"
    OPEN_DATA = "open_data"
    INNOVATION = "innovation"
    CITIZEN_SERVICES = "citizen_services"
    CAPACITY_BUILDING = "capacity_building"
    OTHER = "other"


class Level(StrEnum):
    """The tier of government that runs a practice."""

    NATIONAL = "national"
    STATE = "state"
    DISTRICT = "district"
    LOCAL = "local"


class Visibility(StrEnum):
    """Who may read a document: everyone, or only keys of its states (and admins)."""

    PUBLIC = "public"
    RESTRICTED = "restricted"  # e.g. an MoU under negotiation


class PracticeStatus(StrEnum):
    """How far a practice has come."""

    PILOT = "pilot"
    OPERATIONAL = "operational"
    SCALED = "scaled"
    DISCONTINUED = "discontinued"


class BuildingBlock(StrEnum):
    """A reusable digital component a practice is built from, after GovStack's building blocks.

    Naming the blocks (rather than products) lets an official find every practice that solved, say,
    registration or payments, whatever the state called its system. The list follows GovStack's
    specifications (specs.govstack.global), plus ``analytics`` and ``security`` from its earlier
    catalogue (Analytics and Business Intelligence; Security).
    """

    CLOUD_INFRASTRUCTURE = "cloud_infrastructure"
    CONSENT = "consent"
    CONTENT_MANAGEMENT = "content_management"
    DIGITAL_REGISTRIES = "digital_registries"
    E_MARKETPLACE = "e_marketplace"
    E_SIGNATURE = "e_signature"
    GIS = "gis"
    IDENTITY = "identity"
    INFORMATION_MEDIATOR = "information_mediator"
    MESSAGING = "messaging"
    PAYMENTS = "payments"
    REGISTRATION = "registration"
    SCHEDULING = "scheduling"
    WALLET = "wallet"
    WORKFLOW = "workflow"
    ANALYTICS = "analytics"
    SECURITY = "security"


BUILDING_BLOCK_LABELS: dict[BuildingBlock, str] = {
    BuildingBlock.CLOUD_INFRASTRUCTURE: "Cloud infrastructure",
    BuildingBlock.CONSENT: "Consent",
    BuildingBlock.CONTENT_MANAGEMENT: "Content management",
    BuildingBlock.DIGITAL_REGISTRIES: "Digital registries",
    BuildingBlock.E_MARKETPLACE: "E-marketplace",
    BuildingBlock.E_SIGNATURE: "E-signature",
    BuildingBlock.GIS: "Geographic information system (GIS)",
    BuildingBlock.IDENTITY: "Identity and authentication",
    BuildingBlock.INFORMATION_MEDIATOR: "Information mediator",
    BuildingBlock.MESSAGING: "Messaging",
    BuildingBlock.PAYMENTS: "Payments",
    BuildingBlock.REGISTRATION: "Registration",
    BuildingBlock.SCHEDULING: "Scheduling",
    BuildingBlock.WALLET: "Wallet",
    BuildingBlock.WORKFLOW: "Workflow and algorithm",
    BuildingBlock.ANALYTICS: "Analytics and business intelligence",
    BuildingBlock.SECURITY: "Security",
}

# GovStack's own longer names and common spellings (after ``-``/space folding), so a contributor
# who copies a block's title from the specification is understood.
_BUILDING_BLOCK_ALIASES: dict[str, BuildingBlock] = {
    "identification": BuildingBlock.IDENTITY,
    "identification_and_authentication": BuildingBlock.IDENTITY,
    "identity_and_authentication": BuildingBlock.IDENTITY,
    "registries": BuildingBlock.DIGITAL_REGISTRIES,
    "digital_registry": BuildingBlock.DIGITAL_REGISTRIES,
    "esignature": BuildingBlock.E_SIGNATURE,
    "emarketplace": BuildingBlock.E_MARKETPLACE,
    "geographic_information_system": BuildingBlock.GIS,
    "geographic_information_system_gis": BuildingBlock.GIS,
    "scheduler": BuildingBlock.SCHEDULING,
    "workflow_and_algorithm": BuildingBlock.WORKFLOW,
    "payment": BuildingBlock.PAYMENTS,
    "cms": BuildingBlock.CONTENT_MANAGEMENT,
    "content_management_system": BuildingBlock.CONTENT_MANAGEMENT,
    "consent_management": BuildingBlock.CONSENT,
    "cloud_infrastructure_and_hosting": BuildingBlock.CLOUD_INFRASTRUCTURE,
    "analytics_and_business_intelligence": BuildingBlock.ANALYTICS,
}


def building_block_label(value: str) -> str:
    """The human label of a building block value (``e_signature`` -> ``E-signature``)."""
    try:
        return BUILDING_BLOCK_LABELS[BuildingBlock(value)]
    except ValueError:
        return value.replace("_", " ").capitalize()


def _fold_block(name: str) -> str:
    """``Identification & Authentication`` -> ``identification_and_authentication``."""
    words = re.sub(r"[^a-z0-9]+", " ", str(name).lower().replace("&", " and ")).split()
    return "_".join(words)


def parse_building_block(value: str) -> BuildingBlock:
    """One building block from its value, label or a GovStack name; errors name the valid values."""
    folded = _fold_block(value)
    if folded in _BUILDING_BLOCK_ALIASES:
        return _BUILDING_BLOCK_ALIASES[folded]
    by_label = {_fold_block(label): block for block, label in BUILDING_BLOCK_LABELS.items()}
    return by_label.get(folded) or parse_enum(BuildingBlock, value, "building block")


STATES: tuple[str, ...] = (
    "Andhra Pradesh",
    "Arunachal Pradesh",
    "Assam",
    "Bihar",
    "Chhattisgarh",
    "Goa",
    "Gujarat",
    "Haryana",
    "Himachal Pradesh",
    "Jharkhand",
    "Karnataka",
    "Kerala",
    "Madhya Pradesh",
    "Maharashtra",
    "Manipur",
    "Meghalaya",
    "Mizoram",
    "Nagaland",
    "Odisha",
    "Punjab",
    "Rajasthan",
    "Sikkim",
    "Tamil Nadu",
    "Telangana",
    "Tripura",
    "Uttar Pradesh",
    "Uttarakhand",
    "West Bengal",
)

UNION_TERRITORIES: tuple[str, ...] = (
    "Andaman and Nicobar Islands",
    "Chandigarh",
    "Dadra and Nagar Haveli and Daman and Diu",
    "Delhi",
    "Jammu and Kashmir",
    "Ladakh",
    "Lakshadweep",
    "Puducherry",
)

STATES_AND_UTS: tuple[str, ...] = STATES + UNION_TERRITORIES

_ALIASES: dict[str, str] = {
    "j&k": "Jammu and Kashmir",
    "jk": "Jammu and Kashmir",
    "j and k": "Jammu and Kashmir",
    "jammu kashmir": "Jammu and Kashmir",
    "jammu & kashmir": "Jammu and Kashmir",
    "जम्मू और कश्मीर": "Jammu and Kashmir",
    "जम्मू-कश्मीर": "Jammu and Kashmir",
    "हरियाणा": "Haryana",
    "orissa": "Odisha",
    "pondicherry": "Puducherry",
    "uttaranchal": "Uttarakhand",
    "nct of delhi": "Delhi",
    "national capital territory of delhi": "Delhi",
    "new delhi": "Delhi",
    "andaman & nicobar islands": "Andaman and Nicobar Islands",
    "andaman and nicobar": "Andaman and Nicobar Islands",
    "a&n islands": "Andaman and Nicobar Islands",
    "dnhdd": "Dadra and Nagar Haveli and Daman and Diu",
    "dadra and nagar haveli": "Dadra and Nagar Haveli and Daman and Diu",
    "daman and diu": "Dadra and Nagar Haveli and Daman and Diu",
    "ap": "Andhra Pradesh",
    "up": "Uttar Pradesh",
    "mp": "Madhya Pradesh",
    "hp": "Himachal Pradesh",
    "tn": "Tamil Nadu",
    "wb": "West Bengal",
    "uk": "Uttarakhand",
    "cg": "Chhattisgarh",
    "chattisgarh": "Chhattisgarh",
}

_CANONICAL_BY_KEY: dict[str, str] = {name.lower(): name for name in STATES_AND_UTS}


def _key(name: str) -> str:
    """Fold case and spacing so ``Jammu  and kashmir`` and ``Jammu and Kashmir`` meet."""
    return re.sub(r"\s+", " ", name.strip().lower())


def closest(value: str, choices: tuple[str, ...] | list[str]) -> str | None:
    """The valid value a typo most likely meant, or None when nothing is close."""
    lowered = {c.lower(): c for c in choices}
    found = difflib.get_close_matches(value.lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[found[0]] if found else None


def canonical_state(name: str) -> str:
    """Return the canonical state/UT name for ``name`` or raise ValueError naming the closest one."""
    key = _key(name)
    if key in _CANONICAL_BY_KEY:
        return _CANONICAL_BY_KEY[key]
    if key in _ALIASES:
        return _ALIASES[key]
    key_and = key.replace("&", " and ")
    key_and = re.sub(r"\s+", " ", key_and).strip()
    if key_and in _CANONICAL_BY_KEY:
        return _CANONICAL_BY_KEY[key_and]
    if key_and in _ALIASES:
        return _ALIASES[key_and]
    guess = closest(name, list(STATES_AND_UTS) + [a.title() for a in _ALIASES if len(a) > 3])
    if guess is not None and _key(guess) in _ALIASES:
        guess = _ALIASES[_key(guess)]
    hint = f"did you mean '{guess}'?" if guess else "use a state or UT name such as 'Haryana'"
    raise ValueError(f"'{name}' is not a state or union territory of India; {hint}")


def enum_values(enum: type[StrEnum]) -> list[str]:
    """The valid string values of one of the vocabularies above, in declaration order."""
    return [member.value for member in enum]


def parse_enum(enum: type[E], value: str, what: str) -> E:
    """Parse ``value`` into ``enum``, accepting case and ``-``/space variants; errors name a fix."""
    normalised = re.sub(r"[\s-]+", "_", str(value).strip().lower())
    try:
        return enum(normalised)
    except ValueError:
        guess = closest(normalised, enum_values(enum))
        hint = f"did you mean '{guess}'? " if guess else ""
        valid = ", ".join(enum_values(enum))
        raise ValueError(f"'{value}' is not a valid {what}; {hint}valid values: {valid}") from None
