"""OAI-PMH 2.0 request rules: verbs and their arguments, datestamps, resumption tokens, error codes.

Everything here is pure (no catalog, no HTTP), so the protocol's corner cases are decided in one
place: which arguments each verb takes (section 4 of the specification), how ``from``/``until`` are
read at the granularity we declare, and how a list continues. Resumption tokens are stateless: the
token carries the query and where the previous page ended (a key of datestamp and id, so a document
updated during a harvest moves to the end instead of shifting the pages under the harvester), plus
the cursor the specification asks for.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import re
from dataclasses import dataclass, field

VERBS = ("Identify", "ListMetadataFormats", "ListSets", "GetRecord", "ListIdentifiers", "ListRecords")
GRANULARITY = "YYYY-MM-DDThh:mm:ssZ"
METADATA_PREFIX = "oai_dc"
EXCHANGE_PREFIX = "exchange_json"  # our full JSON metadata (search.oai.exchange_format)
METADATA_PREFIXES = (METADATA_PREFIX, EXCHANGE_PREFIX)
SET_SPEC = re.compile(r"^[A-Za-z0-9\-_.!~*'()]+(:[A-Za-z0-9\-_.!~*'()]+)*$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SECOND = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")

# verb -> (required, optional) arguments besides ``verb``; a resumption token excludes all others.
_ARGUMENTS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "Identify": (frozenset(), frozenset()),
    "ListMetadataFormats": (frozenset(), frozenset({"identifier"})),
    "ListSets": (frozenset(), frozenset()),
    "GetRecord": (frozenset({"identifier", "metadataPrefix"}), frozenset()),
    "ListIdentifiers": (frozenset({"metadataPrefix"}), frozenset({"from", "until", "set"})),
    "ListRecords": (frozenset({"metadataPrefix"}), frozenset({"from", "until", "set"})),
}
_RESUMABLE = frozenset({"ListSets", "ListIdentifiers", "ListRecords"})


class OAIError(Exception):
    """A protocol error: reported inside a 200 response as ``<error code="...">message</error>``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    @property
    def echoes_arguments(self) -> bool:
        """After badVerb/badArgument the ``request`` element must carry no attributes (spec 3.2)."""
        return self.code not in ("badVerb", "badArgument")


@dataclass(frozen=True)
class ListQuery:
    """What a list verb asks for, whether from arguments or from a resumption token."""

    verb: str
    metadata_prefix: str = METADATA_PREFIX
    set_spec: str | None = None
    start: str | None = None  # inclusive bounds as sortable UTC strings (``2024-05-01T00:00:00Z``)
    end: str | None = None
    after: tuple[str, str] | None = None  # (datestamp, id) of the last item already sent
    cursor: int = 0


@dataclass(frozen=True)
class Request:
    """A checked request: the verb and its arguments (``arguments`` echoes them in the response)."""

    verb: str
    arguments: dict[str, str] = field(default_factory=dict)
    query: ListQuery | None = None


def parse_request(pairs: list[tuple[str, str]]) -> Request:
    """Check the verb and the arguments of one request (query string or form body) against the spec."""
    verbs = [value for name, value in pairs if name == "verb"]
    if len(verbs) != 1:
        raise OAIError("badVerb", "the verb argument is missing" if not verbs else "the verb argument is repeated")
    verb = verbs[0]
    if verb not in VERBS:
        raise OAIError("badVerb", f"'{verb}' is not an OAI-PMH verb; use one of {', '.join(VERBS)}")
    arguments: dict[str, str] = {}
    for name, value in pairs:
        if name == "verb":
            continue
        if name in arguments:
            raise OAIError("badArgument", f"the argument '{name}' is repeated")
        arguments[name] = value
    required, optional = _ARGUMENTS[verb]
    if "resumptionToken" in arguments:
        if verb not in _RESUMABLE:
            raise OAIError("badArgument", f"{verb} takes no resumptionToken")
        if len(arguments) > 1:
            raise OAIError("badArgument", "resumptionToken is an exclusive argument; send it alone with the verb")
        return Request(verb, arguments, decode_token(arguments["resumptionToken"], verb))
    unknown = sorted(set(arguments) - required - optional)
    if unknown:
        raise OAIError("badArgument", f"{verb} does not take the argument(s) {', '.join(unknown)}")
    missing = sorted(required - set(arguments))
    if missing:
        raise OAIError("badArgument", f"{verb} needs the argument(s) {', '.join(missing)}")
    query = _list_query(verb, arguments) if verb in ("ListIdentifiers", "ListRecords") else None
    if "metadataPrefix" in arguments:
        check_prefix(arguments["metadataPrefix"])
    return Request(verb, arguments, query)


def check_prefix(prefix: str) -> None:
    if prefix not in METADATA_PREFIXES:
        formats = " and ".join(METADATA_PREFIXES)
        raise OAIError("cannotDisseminateFormat", f"the metadata formats here are {formats}, not '{prefix}'")


def _list_query(verb: str, arguments: dict[str, str]) -> ListQuery:
    start, end = arguments.get("from"), arguments.get("until")
    for name, value in (("from", start), ("until", end)):
        if value is not None and not (_DAY.match(value) or _SECOND.match(value)):
            raise OAIError("badArgument", f"'{name}' must be YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ, not '{value}'")
    if start and end and len(start) != len(end):
        raise OAIError("badArgument", "'from' and 'until' must have the same granularity")
    start_at = _bound(start, "from", end_of_day=False) if start else None
    end_at = _bound(end, "until", end_of_day=True) if end else None
    if start_at and end_at and start_at > end_at:
        raise OAIError("badArgument", f"'from' ({start}) is later than 'until' ({end})")
    set_spec = arguments.get("set")
    if set_spec is not None and not SET_SPEC.match(set_spec):
        raise OAIError("badArgument", f"'{set_spec}' is not a setSpec (e.g. state:Haryana, sector:health)")
    return ListQuery(verb, arguments["metadataPrefix"], set_spec, start_at, end_at)


def _bound(value: str, name: str, *, end_of_day: bool) -> str:
    """A ``from``/``until`` value as an inclusive bound in datestamp form (a day covers all its seconds)."""
    try:
        if _DAY.match(value):
            dt.date.fromisoformat(value)
            return f"{value}T23:59:59Z" if end_of_day else f"{value}T00:00:00Z"
        dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        raise OAIError("badArgument", f"'{name}' is not a real date: '{value}'") from None
    return value


def datestamp(iso: str) -> str:
    """A catalog timestamp (ISO 8601, any offset) as an OAI datestamp in UTC at second granularity."""
    moment = dt.datetime.fromisoformat(iso.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def now_datestamp() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def encode_token(query: ListQuery, after: tuple[str, str], cursor: int) -> str:
    """The token for the page after ``after``: the query and position as URL-safe base64 JSON."""
    state = {
        "v": query.verb,
        "p": query.metadata_prefix,
        "s": query.set_spec,
        "f": query.start,
        "u": query.end,
        "a": list(after),
        "c": cursor,
    }
    raw = json.dumps(state, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str, verb: str) -> ListQuery:
    """The query a token continues; anything we did not issue (or for another verb) is badResumptionToken."""
    bad = OAIError("badResumptionToken", "this resumptionToken is not valid here; start the list again")
    try:
        state = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        after = state["a"]
        query = ListQuery(
            verb=str(state["v"]),
            metadata_prefix=str(state["p"]),
            set_spec=state["s"],
            start=state["f"],
            end=state["u"],
            after=(str(after[0]), str(after[1])),
            cursor=int(state["c"]),
        )
    except (ValueError, KeyError, TypeError, IndexError, binascii.Error, UnicodeDecodeError):
        raise bad from None
    if query.verb != verb or query.metadata_prefix not in METADATA_PREFIXES or query.cursor < 0:
        raise bad
    return query
