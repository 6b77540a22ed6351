"""examples/minimal/app: what the http-mode warm-up sends, and why it needs http mode."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

MAIN = Path(__file__).resolve().parents[1] / "main.py"


@pytest.fixture
def main(load_app: Callable[[Path, str], Any]) -> Any:
    return load_app(MAIN, "minimal_main")  # a unique name: fastapi-postgres has a main.py too


def test_the_warmup_request_of_http_mode_answers_200_through_mangum(
    main: Any, contract_event: Callable[[str], dict[str, Any]], lambda_context: Any
) -> None:
    # Exactly the event the hooks send with warmup: { mode: "http", path: "/healthz" }.
    response = main.handler(contract_event("http-event.healthz.json"), lambda_context)

    assert response["statusCode"] == 200
    assert json.loads(response["body"]) == {"ok": True}


def test_routes_answer(main: Any) -> None:
    client = TestClient(main.app)

    assert client.get("/").json() == {"hello": "world", "version": "local"}
    assert client.get("/healthz").json() == {"ok": True}


def test_a_helper_mode_warmup_event_would_crash_a_bare_mangum_handler(
    main: Any, contract_event: Callable[[str], dict[str, Any]], lambda_context: Any
) -> None:
    # This app is not wrapped with mangum_warmup, so it must be warmed in http mode.
    with pytest.raises(RuntimeError, match="unable to infer a handler"):
        main.handler(contract_event("event.pre-traffic.json"), lambda_context)
