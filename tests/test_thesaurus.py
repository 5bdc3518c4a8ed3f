"""The domain thesaurus: the shipped file is valid, bad files are refused with file:line, and query
expansion works on the real BM25 encoder's term ids (stemming, stop-words, Hindi, phrases)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.errors import ConfigError
from kb.store import Bm25Encoder
from search.snippets import find_highlights, make_snippet
from search.thesaurus import DEFAULT_PATH, Expander, expand_query, load_thesaurus, make_expander, phrase_words

LAND_QUERY = "how did a state reduce pending land ownership changes"


@pytest.fixture(scope="module")
def encoder() -> Bm25Encoder:
    return Bm25Encoder()


@pytest.fixture(scope="module")
def shipped(encoder: Bm25Encoder) -> Expander:
    expander = make_expander(None, encoder, weight=0.5)
    assert expander is not None
    return expander


def ids(encoder: Bm25Encoder, text: str) -> set[int]:
    return set(encoder.embed_query(text).indices)


def test_the_shipped_thesaurus_loads_with_distinct_terms(shipped: Expander) -> None:
    groups = shipped.thesaurus.groups
    assert shipped.thesaurus.path == DEFAULT_PATH
    assert len(groups) >= 20
    assert len({g.id for g in groups}) == len(groups)
    everything = [term.casefold() for g in groups for term in (*g.terms, *g.query_only)]
    assert len(everything) == len(set(everything)), "a term in two groups"
    sequences = [shipped.token_ids(term) for g in groups for term in (*g.terms, *g.query_only)]
    assert all(sequences) and len(sequences) == len(set(sequences)), "two terms the index cannot tell apart"
    for wanted in ("mutation", "dakhil-kharij", "intiqal", "jamabandi", "khatauni", "pahani", "patwari", "lekhpal"):
        assert wanted in everything, wanted
    assert any("\u0900" <= c <= "\u097f" for term in everything for c in term), "Hindi terms"


def test_a_query_in_other_words_carries_the_groups_terms_at_the_lower_weight(
    shipped: Expander, encoder: Bm25Encoder
) -> None:
    own = encoder.embed_query(LAND_QUERY)
    expansion = shipped.expand(LAND_QUERY, own)
    assert expansion.sparse is not None
    weights = dict(zip(expansion.sparse.indices, expansion.sparse.values, strict=True))
    assert all(weights[i] == 1.0 for i in own.indices)  # the user's words keep their weight
    (mutation,) = ids(encoder, "mutation")
    assert weights[mutation] == 0.5
    assert {"mutation", "dakhil-kharij", "intiqal", "नामांतरण"} <= set(expansion.also_searched)
    assert "ownership change" not in expansion.also_searched  # what was typed is not "also" searched
    # the floor: "ownership" and "change" are found in a document that says "mutation"
    (ownership,) = ids(encoder, "ownership")
    assert any(ownership in c and mutation in c for c in expansion.concepts)


def test_indian_script_terms_weigh_less_in_an_english_query_and_phrases_share_their_weight(
    shipped: Expander, encoder: Bm25Encoder
) -> None:
    english = shipped.expand("jamabandi online", encoder.embed_query("jamabandi online"))
    assert english.sparse is not None
    weights = dict(zip(english.sparse.indices, english.sparse.values, strict=True))
    (khatauni,) = ids(encoder, "khatauni")
    (hindi,) = ids(encoder, "खतौनी")
    assert weights[khatauni] == 0.5 and weights[hindi] == 0.25  # CROSS_SCRIPT
    assert all(weights[i] == 0.25 for i in ids(encoder, "record of rights"))  # one synonym, two words
    query = "खतौनी की नकल"
    hindi_query = shipped.expand(query, encoder.embed_query(query))
    assert hindi_query.sparse is not None
    assert dict(zip(hindi_query.sparse.indices, hindi_query.sparse.values, strict=True))[khatauni] == 0.5


def test_terms_match_after_stemming_and_stop_words(shipped: Expander, encoder: Bm25Encoder) -> None:
    expansion = shipped.expand("Records of Rights online", encoder.embed_query("Records of Rights online"))
    assert "jamabandi" in expansion.also_searched and "khatauni" in expansion.also_searched
    assert "record of rights" not in expansion.also_searched


def test_hindi_query_finds_the_english_and_regional_terms(shipped: Expander, encoder: Bm25Encoder) -> None:
    query = "दाखिल-खारिज की प्रक्रिया"
    expansion = shipped.expand(query, encoder.embed_query(query))
    assert "mutation" in expansion.also_searched and "dakhil-kharij" in expansion.also_searched
    assert expansion.sparse is not None and ids(encoder, "mutation") <= set(expansion.sparse.indices)


def test_query_only_terms_trigger_but_are_never_added(shipped: Expander, encoder: Bm25Encoder) -> None:
    expansion = shipped.expand("7/12 extract online", encoder.embed_query("7/12 extract online"))
    assert "satbara" in expansion.also_searched and "7/12" not in expansion.also_searched
    other = shipped.expand("satbara extract", encoder.embed_query("satbara extract"))
    assert "7/12" not in other.also_searched
    assert other.sparse is not None and not ids(encoder, "12") & set(other.sparse.indices)


def test_a_phrase_must_be_whole_and_in_order(shipped: Expander, encoder: Bm25Encoder) -> None:
    for query in ("ownership records changes", "rights of record", "Sakala"):  # no term, or out of order
        own = encoder.embed_query(query)
        expansion = shipped.expand(query, own)
        assert expansion.also_searched == () and expansion.sparse == own, query
        assert expansion.concepts == tuple(frozenset([i]) for i in own.indices)


def test_expansion_off(encoder: Bm25Encoder) -> None:
    assert make_expander(None, encoder, weight=0) is None
    own = encoder.embed_query(LAND_QUERY)
    plain = expand_query(None, LAND_QUERY, own)
    assert plain.sparse == own and plain.also_searched == ()
    assert expand_query(None, "the of", None).sparse is None


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "thesaurus.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("groups: [\n  - id: x\n", ":2: not valid YAML"),
        ("terms: [a, b]\n", ":1: unknown key 'terms'; the file holds `groups:`"),
        ("groups: []\n", ":1: `groups` must be a non-empty list"),
        ("groups:\n  - id: a\n    terms: [mutation, intiqal]\n    words: [x]\n", ":4: unknown key 'words'"),
        ("groups:\n  - terms: [mutation, intiqal]\n", ":2: a group needs an `id`"),
        ("groups:\n  - id: a\n    terms: [mutation]\n", ":2: group 'a' needs at least two terms"),
        ("groups:\n  - id: a\n    terms: mutation\n", ":3: `terms` must be a list of terms"),
        ("groups:\n  - id: a\n    terms: [mutation, '--']\n", ":3: a term in `terms` must be a word or phrase"),
        (
            "groups:\n  - id: a\n    terms: [mutation, intiqal]\n  - id: b\n    terms: [Mutation, ferfar]\n",
            ":4: term 'Mutation' of group 'b' appears also in group 'a'",
        ),
        (
            "groups:\n  - id: a\n    terms: [mutation, intiqal]\n  - id: a\n    terms: [jamabandi, khatauni]\n",
            ":4: group id 'a' is used twice (also at line 2)",
        ),
    ],
)
def test_a_bad_file_is_refused_with_its_line(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_thesaurus(path)
    assert str(caught.value).startswith(str(path)) and message in str(caught.value), caught.value


def test_terms_the_index_cannot_tell_apart_are_refused(tmp_path: Path, encoder: Bm25Encoder) -> None:
    path = write(tmp_path, "groups:\n  - id: a\n    terms: [land record, land records]\n")
    with pytest.raises(ConfigError, match=r":2: term 'land records' .* same to the search as 'land record'"):
        make_expander(path, encoder, weight=0.5)
    stop = write(tmp_path, "groups:\n  - id: a\n    terms: [of the, mutation]\n")
    with pytest.raises(ConfigError, match="has only stop-words"):
        make_expander(stop, encoder, weight=0.5)


def test_a_missing_file_is_a_clear_error(tmp_path: Path, encoder: Bm25Encoder) -> None:
    with pytest.raises(ConfigError, match=r"cannot read the thesaurus .*KB_THESAURUS_FILE"):
        make_expander(tmp_path / "nope.yaml", encoder, weight=0.5)


def test_synonyms_are_highlighted_as_whole_phrases() -> None:
    text = "The record of rights (RoR) is kept as jamabandi; rights of tenants and a record room differ."
    spans = find_highlights(text, ["khatauni"], phrase_words(["record of rights", "RoR", "jamabandi"]))
    assert [text[a:b] for a, b in spans] == ["record of rights", "RoR", "jamabandi"]
    hindi = "भूमि का नामांतरण और दाखिल-खारिज"
    spans = find_highlights(hindi, [], phrase_words(["नामांतरण", "दाखिल-खारिज"]))
    assert [hindi[a:b] for a, b in spans] == ["नामांतरण", "दाखिल-खारिज"]
    snippet, marks = make_snippet("Pending mutations fell after weekly reviews.", ["pending"], phrases=[["mutation"]])
    assert [snippet[a:b] for a, b in marks] == ["Pending", "mutations"]
