"""Priming: one synthetic GET through the real Mangum + FastAPI app, once per environment."""

from __future__ import annotations

import logging
import sys
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import FastAPI, Request, Response
from mangum import Mangum

import mangum_warmup.handler
import mangum_warmup.prime
from mangum_warmup import LOGGER_NAME, ConfigurationError, is_warmup_request, warmable
from mangum_warmup.prime import prime_event
from warmup_app import make_app
from warmup_events import http_v2, rest_v1
from warmup_helpers import FakeClock, http, load_fixture, warm, warmup_event


@dataclass
class Hits:
    """Requests the health route saw, with the headers that mark them."""

    count: int = 0
    agents: list[str | None] = field(default_factory=list)
    markers: list[str | None] = field(default_factory=list)


def health_app(status: int = 200) -> tuple[FastAPI, Hits]:
    app, _ = make_app()
    hits = Hits()

    @app.get("/health")
    def health(request: Request) -> Response:
        hits.count += 1
        hits.agents.append(request.headers.get("user-agent"))
        hits.markers.append(request.headers.get("x-mangum-warmup"))
        return Response('{"ok":true}', status_code=status, media_type="application/json")

    return app, hits


def test_the_synthetic_request_is_the_contract_http_event() -> None:
    assert prime_event("/healthz") == load_fixture("http-event.healthz.json")
    with_query = prime_event("/items/7?q=x")
    assert (with_query["rawPath"], with_query["rawQueryString"]) == ("/items/7", "q=x")
    assert with_query["requestContext"]["http"]["path"] == "/items/7"


def test_the_prime_reaches_the_app_once_per_environment() -> None:
    app, hits = health_app()
    handler = warmable(Mangum(app, lifespan="off"), checks={"db": lambda: None}, prime="/health")
    replies = [warm(handler, warmup_event()) for _ in range(3)]
    assert hits.count == 1
    assert (hits.agents, hits.markers) == (["pulumi-mangum-warmup/1"], ["1"])
    for reply in replies:
        assert reply["ok"] is True
        assert list(reply["init"]) == ["prime GET /health"]
        assert reply["init"]["prime GET /health"]["ok"] is True
        assert "error" not in reply["init"]["prime GET /health"]
    # Every reply of the environment reports the one prime, as it does the preloads.
    assert replies[1]["init"] == replies[2]["init"] == replies[0]["init"]


def test_without_prime_the_app_is_never_touched() -> None:
    app, hits = health_app()
    reply = warm(warmable(Mangum(app)), warmup_event())
    assert reply["init"] == {}
    assert hits.count == 0
    assert app.middleware_stack is None  # the premise of the next test


def test_priming_builds_the_middleware_stack_the_first_request_would_build() -> None:
    app, _ = health_app()
    handler = warmable(Mangum(app, lifespan="off"), prime="/health")
    warm(handler, warmup_event())
    stack = app.middleware_stack
    assert stack is not None
    assert http(handler, load_fixture("http-event.healthz.json"))["statusCode"] == 200
    assert app.middleware_stack is stack


def test_every_path_of_a_list_is_primed_with_its_query_string() -> None:
    app, hits = health_app()
    seen: list[str | None] = []

    @app.get("/search")
    def search(q: str | None = None) -> dict[str, bool]:
        seen.append(q)
        return {"ok": True}

    handler = warmable(Mangum(app), prime=["/health", "/search?q=warm", "/health"])
    reply = warm(handler, warmup_event())
    assert list(reply["init"]) == ["prime GET /health", "prime GET /search?q=warm"]
    assert (hits.count, seen) == (1, ["warm"])


def test_preloads_and_primes_share_the_init_map() -> None:
    app, _ = health_app()
    handler = warmable(Mangum(app), on_init={"sns": lambda: None}, prime="/health")
    assert list(warm(handler, warmup_event())["init"]) == ["sns", "prime GET /health"]


@pytest.mark.parametrize(
    ("path", "error"),
    [
        ("/boom", "GET /boom answered 500: Internal Server Error"),
        ("/nowhere", 'GET /nowhere answered 404: {"detail":"Not Found"}'),
    ],
    ids=["raising-route", "missing-route"],
)
def test_a_failed_prime_is_reported_and_the_invocation_still_answers(path: str, error: str) -> None:
    handler = warmable(Mangum(make_app()[0]), checks={"db": lambda: None}, prime=path)
    reply = warm(handler, warmup_event())
    # Only checks decide `ok`; the hooks judge init entries themselves.
    assert reply["ok"] is True
    result = reply["init"][f"prime GET {path}"]
    assert result["ok"] is False
    assert result.get("error") == error


def test_a_500_route_fails_the_prime() -> None:
    app, hits = health_app(status=503)
    reply = warm(warmable(Mangum(app), prime="/health"), warmup_event())
    error = 'GET /health answered 503: {"ok":true}'
    assert reply["init"]["prime GET /health"].get("error") == error
    assert hits.count == 1


def test_a_redirect_counts_as_primed() -> None:
    app, _ = health_app(status=307)
    reply = warm(warmable(Mangum(app), prime="/health"), warmup_event())
    assert reply["init"]["prime GET /health"]["ok"] is True


def test_a_raising_handler_fails_the_prime_without_crashing_the_invocation() -> None:
    def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
        raise RuntimeError("no app for you")

    reply = warm(warmable(handler, prime="/health"), warmup_event())
    assert reply["init"]["prime GET /health"] == {
        "ok": False,
        "ms": reply["init"]["prime GET /health"]["ms"],
        "error": "RuntimeError: no app for you",
    }


def test_a_handler_without_a_status_fails_the_prime() -> None:
    reply = warm(warmable(lambda event, context: "hi", prime="/health"), warmup_event())
    assert reply["init"]["prime GET /health"].get("error") == (
        "the wrapped handler's reply has no statusCode: is it a Mangum handler?"
    )


def test_a_failed_prime_is_tried_again_and_a_good_one_is_not() -> None:
    app, hits = health_app()
    healthy = [False, True]

    @app.middleware("http")
    async def flaky(request: Request, call_next: Callable[[Request], Any]) -> Response:
        if request.url.path == "/health" and not healthy[0]:
            return Response("warming", status_code=503)
        response: Response = await call_next(request)
        return response

    handler = warmable(Mangum(app), prime="/health")
    first = warm(handler, warmup_event())
    healthy.pop(0)
    second, third = warm(handler, warmup_event()), warm(handler, warmup_event())
    assert first["init"]["prime GET /health"].get("error") == "GET /health answered 503: warming"
    assert second["init"]["prime GET /health"]["ok"] is True
    assert third["init"] == second["init"]
    assert hits.count == 1  # the 503 never reached the route; the retry did, once


def test_a_failed_check_holds_the_prime_back_until_a_warmup_passes() -> None:
    app, hits = health_app()
    db_up = [False]

    def db() -> None:
        if not db_up[0]:
            raise ConnectionRefusedError("database down")

    handler = warmable(Mangum(app), checks={"db": db}, prime="/health")
    failed = warm(handler, warmup_event())
    assert (failed["ok"], failed["init"], hits.count) == (False, {}, 0)
    db_up[0] = True
    passed = warm(handler, warmup_event())
    assert passed["init"]["prime GET /health"]["ok"] is True
    assert hits.count == 1


def test_a_malformed_request_does_not_prime() -> None:
    app, hits = health_app()
    handler = warmable(Mangum(app), prime="/health")
    reply = warm(handler, load_fixture("event.malformed-version.json"))
    assert reply["init"] == {}
    assert hits.count == 0


def test_a_snapstart_restore_primes_again(monkeypatch: pytest.MonkeyPatch) -> None:
    hooks: list[Callable[[], None]] = []
    module = types.ModuleType("snapshot_restore_py")
    module.register_after_restore = hooks.append  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", module)
    app, hits = health_app()
    handler = warmable(Mangum(app), prime="/health")
    warm(handler, warmup_event())
    hooks[0]()
    reply = warm(handler, warmup_event())
    assert reply["coldStart"] is True
    assert reply["init"]["prime GET /health"]["ok"] is True
    assert hits.count == 2


def test_the_prime_runs_inside_the_hold(clock: FakeClock) -> None:
    app, _ = make_app()

    @app.get("/slow")
    def slow() -> dict[str, bool]:
        clock.now += 0.2
        return {"ok": True}

    reply = warm(warmable(Mangum(app), prime="/slow"), warmup_event(hold_ms=300))
    assert reply["init"]["prime GET /slow"] == {"ok": True, "ms": 200.0}
    assert reply["heldMs"] == 300.0
    assert sum(clock.slept) == pytest.approx(0.1)


def test_a_failed_prime_is_logged_as_a_warning() -> None:
    levels: list[int] = []

    class Levels(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            levels.append(record.levelno)

    logger = logging.getLogger(LOGGER_NAME)
    handler = Levels()
    logger.addHandler(handler)
    try:
        warm(warmable(Mangum(make_app()[0]), prime="/boom"), warmup_event())
        warm(warmable(Mangum(make_app()[0]), prime="/healthz"), warmup_event())
    finally:
        logger.removeHandler(handler)
    assert levels == [logging.WARNING, logging.INFO]


@pytest.mark.parametrize(
    ("prime", "message"),
    [
        ("healthz", "a prime path must start with '/', got 'healthz'"),
        (["/healthz", 7], "a prime path must start with '/', got 7"),
        (7, "prime must be a path like '/healthz' or a list of paths, got int"),
    ],
)
def test_an_invalid_prime_is_refused_at_once(prime: Any, message: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        warmable(Mangum(make_app()[0]), prime=prime)
    assert str(raised.value) == message


def test_a_preload_cannot_take_a_primes_name() -> None:
    with pytest.raises(ConfigurationError) as raised:
        warmable(
            Mangum(make_app()[0]), on_init={"prime GET /healthz": lambda: None}, prime="/healthz"
        )
    assert str(raised.value) == "on_init name 'prime GET /healthz' is the name of a prime's outcome"


def marker_app() -> tuple[FastAPI, list[bool]]:
    """An app whose middleware tells warm-ups apart the way the README shows."""
    app, _ = make_app()
    seen: list[bool] = []

    @app.middleware("http")
    async def tag(request: Request, call_next: Callable[[Request], Any]) -> Any:
        seen.append(is_warmup_request(request.scope))
        return await call_next(request)

    return app, seen


def test_the_prime_carries_the_unforgeable_marker() -> None:
    event = prime_event("/healthz")
    assert event["requestContext"]["apiId"] == "pulumi-mangum-warmup"
    assert event["requestContext"]["domainName"] == "warmup.pulumi-mangum.invalid"
    app, seen = marker_app()
    handler = warmable(Mangum(app, lifespan="off"), checks={"db": lambda: None}, prime="/healthz")
    assert warm(handler, warmup_event())["init"]["prime GET /healthz"]["ok"] is True
    assert seen == [True]


def test_the_header_and_user_agent_alone_do_not_make_a_warmup_request() -> None:
    app, seen = marker_app()
    handler = warmable(Mangum(app, lifespan="off"))
    for domain in (None, "abc123.lambda-url.us-east-1.on.aws"):
        forged = http_v2("GET", "/healthz", domain=domain)
        forged["headers"].update(
            {"x-mangum-warmup": "1", "user-agent": mangum_warmup.prime.PRIME_USER_AGENT}
        )
        assert http(handler, forged)["statusCode"] == 200
    assert http(handler, rest_v1("GET", "/healthz"))["statusCode"] == 200
    assert seen == [False, False, False]


@pytest.mark.parametrize(
    "scope",
    [
        {},
        {"type": "http"},
        {"aws.event": None},
        {"aws.event": "x"},
        {"aws.event": {}},
        {"aws.event": {"requestContext": ["pulumi-mangum-warmup"]}},
        {"aws.event": {"requestContext": {"apiId": "pulumi-mangum-warmup"}}},
        {"aws.event": {"requestContext": {"domainName": "warmup.pulumi-mangum.invalid"}}},
        {
            "aws.event": {
                "requestContext": {
                    "apiId": "pulumi-mangum-warmup",
                    "domainName": "warmup.pulumi-mangum.invalid.example.com",
                }
            }
        },
    ],
    ids=repr,
)
def test_anything_else_is_not_a_warmup_request(scope: dict[str, Any]) -> None:
    assert is_warmup_request(scope) is False
    assert is_warmup_request(None) is False  # type: ignore[arg-type]
