"""The filter parser's decisions beyond Haystack's suite, and the BM25 encoder."""

from __future__ import annotations

from typing import Any

import pytest
from haystack.dataclasses import Document
from haystack.errors import FilterError

from kb.errors import QueryError
from kb.store import Bm25Encoder, ChunkStore
from kb.store.filters import (
    NOTHING,
    And,
    IsEmpty,
    Match,
    MatchAny,
    Not,
    Or,
    Range,
    parse_filters,
)


def test_fields_must_be_meta_prefixed_and_the_error_says_so() -> None:
    with pytest.raises(QueryError, match=r"'meta\.sector'") as err:
        parse_filters({"field": "sector", "operator": "==", "value": "health"})
    assert isinstance(err.value, FilterError)
    assert parse_filters({"field": "id", "operator": "==", "value": "x"}) == Match("id", "x")


def test_not_negates_the_conjunction() -> None:
    a = {"field": "meta.a", "operator": "==", "value": 1}
    b = {"field": "meta.b", "operator": "==", "value": "x"}
    assert parse_filters({"operator": "NOT", "conditions": [a, b]}) == Not(
        And((Match("meta.a", 1), Match("meta.b", "x")))
    )


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"field": "meta.states", "operator": "in", "value": ["Kerala"]}, MatchAny("meta.states", ("Kerala",))),
        ({"field": "meta.x", "operator": "in", "value": []}, NOTHING),
        ({"operator": "OR", "conditions": []}, NOTHING),
        (
            {"field": "meta.x", "operator": "in", "value": [1.5, "a"]},
            Or((Range("meta.x", gte=1.5, lte=1.5), Match("meta.x", "a"))),
        ),
        ({"field": "meta.x", "operator": "==", "value": None}, IsEmpty("meta.x")),
        ({"field": "meta.x", "operator": "<", "value": None}, NOTHING),
        ({"field": "meta.year", "operator": ">=", "value": 2015}, Range("meta.year", gte=2015.0)),
        ({}, None),
        (None, None),
    ],
)
def test_parse(filters: dict[str, Any] | None, expected: object) -> None:
    assert parse_filters(filters) == expected


@pytest.mark.parametrize(
    "filters",
    [
        {"field": "meta.x", "operator": "~", "value": 1},
        {"field": "meta.x", "operator": "==", "value": [1, 2]},
        {"field": "meta.x", "operator": ">", "value": True},
        {"field": "meta.x", "operator": ">", "value": "soon"},
        {"operator": "AND", "conditions": "meta.x"},
        {"meta.x": 1},
    ],
)
def test_malformed_filters_are_filter_errors(filters: dict[str, Any]) -> None:
    with pytest.raises(FilterError):
        parse_filters(filters)


def test_bool_filters_match_booleans_on_both_backends(store: ChunkStore) -> None:
    # Regression: qdrant_edge 0.9.0 turns MatchValue(True) into the integer 1 unless given numpy.bool_.

    store.write_documents(
        [Document(id=str(i), content=str(i), meta={"is_head": i < 2, "flag": i < 3}) for i in range(5)]
    )
    for key, trues in (("meta.is_head", 2), ("meta.flag", 3)):
        assert store.count({"field": key, "operator": "==", "value": True}) == trues
        assert store.count({"field": key, "operator": "==", "value": False}) == 5 - trues
        assert store.count({"field": key, "operator": "!=", "value": True}) == 5 - trues


def test_bm25_stems_drops_stop_words_and_weights_queries_by_one() -> None:
    encoder = Bm25Encoder()
    query = encoder.embed_query("The farmers and their farming")
    assert query.values == [1.0] * len(query.indices)
    assert len(query.indices) == 2  # "farmers" -> "farmer", "farming" -> "farm"; stop-words dropped
    assert set(encoder.embed_query("farmer FARM").indices) == set(query.indices)
    [short, long] = encoder.embed_documents(["land records", "land records " + "detail " * 300])
    weight = dict(zip(long.indices, long.values, strict=True))
    assert all(value > weight[index] for index, value in zip(short.indices, short.values, strict=True))


def test_bm25_length_normalisation_uses_the_fixed_avg_len() -> None:
    text = "haryana " + " ".join(f"w{i}x" for i in range(255))  # 256 tokens == default avg_len
    vector = Bm25Encoder().embed_documents([text])[0]
    term = Bm25Encoder().embed_query("haryana").indices[0]
    assert dict(zip(vector.indices, vector.values, strict=True))[term] == pytest.approx(1.0)
    shorter_avg = Bm25Encoder(avg_len=128.0).embed_documents([text])[0]
    assert dict(zip(shorter_avg.indices, shorter_avg.values, strict=True))[term] < 1.0
    with pytest.raises(ValueError, match="avg_len"):
        Bm25Encoder(avg_len=0)
