"""The relevance floor through the real app: gibberish is no good match, real questions are strong;
/v1/retrieve gives no passages (with a reason) for gibberish unless the caller asks for weak ones."""

from __future__ import annotations

from fastapi.testclient import TestClient

GIBBERISH = "zzzzqqq xyzzy"


def test_gibberish_is_no_good_match_and_every_result_is_weak(client: TestClient) -> None:
    body = client.get("/v1/search", params={"q": GIBBERISH}).json()
    assert body["no_good_match"] is True
    assert body["strong_total"] == 0
    assert all(r["match"] == "weak" for r in body["results"])


def test_a_real_query_has_strong_matches(client: TestClient) -> None:
    body = client.get("/v1/search", params={"q": "online land records"}).json()
    assert body["no_good_match"] is False
    assert body["results"][0]["match"] == "strong"
    assert 1 <= body["strong_total"] <= body["total"]


def test_retrieve_returns_no_noise_unless_asked(client: TestClient) -> None:
    refused = client.post("/v1/retrieve", json={"query": GIBBERISH}).json()
    assert refused["passages"] == [] and refused["context"] == ""
    assert refused["no_good_match"] is True and "include_weak" in refused["reason"]
    weak = client.post("/v1/retrieve", json={"query": GIBBERISH, "include_weak": True}).json()
    assert weak["passages"] and weak["no_good_match"] is True and weak["reason"] is None
    good = client.post("/v1/retrieve", json={"query": "online land records"}).json()
    assert good["passages"] and good["no_good_match"] is False
