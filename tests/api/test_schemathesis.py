"""Schemathesis against the real app (lifespan, model, Edge store, worker) with every check on.

A short, deterministic run for the suite: each /v1 operation (the multipart writes included) gets a
few derandomised examples through the examples, coverage and fuzzing phases, then a short stateful
run follows the links between operations (create -> job -> document -> withdraw) for the checks that
need a history: use_after_free, ensure_resource_availability, ignored_auth. The checks and the few
per-operation adjustments (each with its reason) are in ``schemathesis.toml`` beside this file, which
the long run against a live ``kb serve`` uses too (``bench/schemathesis_long.py``, docs/api-testing.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.config import SchemathesisConfig
from schemathesis.python import asgi

from kb.settings import Settings
from search.api import create_app

CONFIG = Path(__file__).with_name("schemathesis.toml")
EXAMPLES = 6  # per operation and phase: enough to reach every declared status, short enough for 2 cores
SETTINGS = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: a failure is reported as found
    suppress_health_check=list(HealthCheck),
)


# The app under test is built at import, so pytest can name one test per operation and every case
# (and the probes some checks send without the key, such as ignored_auth's) reaches it in-process.
# ``schemathesis.pytest.from_fixture`` would be the natural way but breaks on pytest 9 (it rewrites
# ``node._nodeid``). Nothing runs until the fixture below points it at the module's KB and starts it.
APP = create_app(Settings(kb_dir=Path("/nonexistent/kb")))
_loaded = schemathesis.openapi.from_dict(APP.openapi(), config=SchemathesisConfig.from_path(CONFIG))
_loaded.config.update(base_url=f"http://{asgi.HOST}")
_loaded.app = APP
schema: Any = _loaded.include(path_regex="^/v1/")


@pytest.fixture(scope="module")
def session(api_kb: Path, keys: dict[str, str]) -> Iterator[asgi.ASGIClient]:
    """The app over the module's KB (its lifespan reads ``app.state.settings``), reached in-process."""
    APP.state.settings = Settings(kb_dir=api_kb)
    with asgi.get_client(APP) as client:  # type: ignore[arg-type]
        client.headers["Authorization"] = f"Bearer {keys['admin']}"
        yield client
    asgi.shutdown_lifespans()  # release the Edge lock for the next module


@pytest.mark.slow
@schema.parametrize()
@SETTINGS
def test_every_operation_conforms(case: schemathesis.Case, session: asgi.ASGIClient) -> None:
    case.call_and_validate(session=session)


@pytest.mark.slow
def test_stateful_links_conform(session: asgi.ASGIClient) -> None:
    class Workflow(schema.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            return {"session": session}

    Workflow.run(settings=settings(SETTINGS, max_examples=3, stateful_step_count=6))


def test_every_error_is_documented_as_problem_json(tmp_path: Path) -> None:
    """No operation documents FastAPI's default JSON validation error, which this API never sends."""
    spec = create_app(Settings(kb_dir=tmp_path / "kb")).openapi()
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if status[0] in "45" and path.startswith("/v1"):
                    assert list(response.get("content", {})) == ["application/problem+json"], (method, path, status)
            if operation.get("parameters") or operation.get("requestBody"):
                assert "422" in operation["responses"], (method, path)
