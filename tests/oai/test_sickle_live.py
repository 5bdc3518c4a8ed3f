"""A real harvester (sickle, over requests) against a live ``kb serve``: resumption and deletions."""

from __future__ import annotations

from pathlib import Path

import pytest
from sickle import Sickle
from sickle.oaiexceptions import IdDoesNotExist, NoRecordsMatch

from tests.live import serving
from tests.oai.conftest import LIVE, WITHDRAWN


def test_sickle_harvests_everything_with_resumption(oai_kb: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KB_OAI_PAGE_SIZE", "2")  # five documents: three pages
    monkeypatch.setenv("KB_OAI_REPOSITORY_ID", "haryana.exchange.test")
    with serving(oai_kb) as base:
        for method in ("GET", "POST"):
            harvester = Sickle(f"{base}/oai", http_method=method, timeout=30)
            identify = harvester.Identify()
            assert identify.deletedRecord == "persistent"
            assert identify.baseURL == f"{base}/oai"

            records = list(harvester.ListRecords(metadataPrefix="oai_dc"))
            assert len(records) == 5
            by_id = {r.header.identifier.rsplit(":", 1)[1]: r for r in records}
            assert set(by_id) == {*LIVE, WITHDRAWN}
            assert by_id[WITHDRAWN].header.deleted and not hasattr(by_id[WITHDRAWN], "metadata")
            bhoomi = by_id["karnataka-bhoomi"]
            assert not bhoomi.header.deleted
            assert bhoomi.metadata["title"] == ["Bhoomi online land records"]
            assert f"{base}/documents/karnataka-bhoomi" in bhoomi.metadata["identifier"]
            assert "state:Karnataka" in bhoomi.header.setSpecs

            live_only = list(harvester.ListIdentifiers(metadataPrefix="oai_dc", ignore_deleted=True))
            assert {h.identifier.rsplit(":", 1)[1] for h in live_only} == LIVE

        specs = {s.setSpec for s in harvester.ListSets()}
        assert {"state:Haryana", "sector:health", "type:case_study"} <= specs
        record = harvester.GetRecord(identifier="oai:haryana.exchange.test:haryana-cm-window", metadataPrefix="oai_dc")
        assert record.metadata["language"] == ["en"]
        with pytest.raises(IdDoesNotExist):
            harvester.GetRecord(identifier="oai:haryana.exchange.test:missing", metadataPrefix="oai_dc")
        with pytest.raises(NoRecordsMatch):
            list(harvester.ListRecords(metadataPrefix="oai_dc", set="state:Goa"))
