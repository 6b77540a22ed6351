"""examples/fastapi-postgres/app against a real PostgreSQL: routes, warm-up, secret handling."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

Event = dict[str, Any]


def warmup(contract_event: Callable[[str], Event]) -> Event:
    """The pre-traffic hook's event, without the hold (tests need no distinct environments)."""
    event = contract_event("event.pre-traffic.json")
    event["mangum-warmup"]["holdMs"] = 0
    return event


def get(contract_event: Callable[[str], Event], path: str) -> Event:
    """An API Gateway HTTP API (v2) GET, the event the front door sends."""
    event = contract_event("http-event.healthz.json")
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    return event


def test_the_secret_is_read_once_at_import_for_the_arn_in_the_environment(
    main: Any, secrets: Any
) -> None:
    assert main.boto3_clients == ["secretsmanager"]
    assert secrets.calls == [{"SecretId": secrets.arn}]
    assert main.pool.closed  # connecting is the warm-up's job, not the import's

    assert TestClient(main.app).get("/db").status_code == 200
    assert secrets.calls == [{"SecretId": secrets.arn}]  # the connection used the cached copy


def test_routes_answer_and_the_db_route_queries_postgres(main: Any) -> None:
    client = TestClient(main.app)

    assert client.get("/healthz").json() == {"ok": True}
    assert client.get("/").json() == {"service": "fastapi-postgres", "version": "local"}
    db = client.get("/db")
    assert db.status_code == 200
    body = db.json()
    assert body["database"] == "postgres"
    assert body["serverVersion"].split(".")[0].isdigit()


def test_the_pre_traffic_warmup_runs_the_db_check_and_leaves_a_connection_for_the_first_request(
    main: Any, contract_event: Callable[[str], Event], lambda_context: Any
) -> None:
    lambda_context.function_version = "8"

    reply = main.handler(warmup(contract_event), lambda_context)

    assert reply["protocol"] == 1
    assert reply["ok"] is True
    assert reply["functionVersion"] == "8"
    assert reply["checks"]["db"]["ok"] is True
    assert main.pool.get_stats()["pool_available"] == 1


def test_an_http_api_request_reaches_the_db_route_through_mangum(
    main: Any, contract_event: Callable[[str], Event], lambda_context: Any
) -> None:
    main.handler(warmup(contract_event), lambda_context)

    response = main.handler(get(contract_event, "/db"), lambda_context)

    assert response["statusCode"] == 200
    assert json.loads(response["body"])["database"] == "postgres"


def test_a_wrong_password_fails_the_db_check_without_revealing_it(
    main: Any, secrets: Any, contract_event: Callable[[str], Event], lambda_context: Any
) -> None:
    secrets.password = "rotated-elsewhere-9f2c"
    main.secret._max_age_s = 0  # every new connection re-reads the secret

    reply = main.handler(warmup(contract_event), lambda_context)

    assert reply["ok"] is False
    db = reply["checks"]["db"]
    assert db["ok"] is False
    assert "password authentication failed" in db["error"]
    assert "rotated-elsewhere-9f2c" not in json.dumps(reply)


def test_after_a_rotation_new_connections_get_the_new_password_once_the_cache_expires(
    main: Any, secrets: Any
) -> None:
    clock = [1000.0]
    main.secret._now = lambda: clock[0]
    main.secret._read_at = clock[0]
    secrets.password = "after-rotation"

    assert main.secret.credentials()["password"] != "after-rotation"  # the copy read at import
    assert len(secrets.calls) == 1

    clock[0] += main.SECRET_MAX_AGE_S

    assert main.secret.credentials() == {"user": "postgres", "password": "after-rotation"}
    assert len(secrets.calls) == 2
