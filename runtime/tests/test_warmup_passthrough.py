"""Every non-warm-up event reaches Mangum untouched; warm-ups never reach the app."""

from __future__ import annotations

import asyncio
import copy
import inspect

import pytest
from mangum import Mangum

from mangum_warmup import warmable
from warmup_app import make_app
from warmup_events import HTTP_EVENTS, http_v2
from warmup_helpers import FakeContext, http, load_fixture, warm, warmup_event


@pytest.mark.parametrize("name", sorted(HTTP_EVENTS))
def test_http_event_gets_exactly_mangums_response(name: str, context: FakeContext) -> None:
    plain = Mangum(make_app()[0])(copy.deepcopy(HTTP_EVENTS[name]), context)
    app, counters = make_app()
    handler = warmable(Mangum(app), checks={"db": lambda: None})
    assert http(handler, copy.deepcopy(HTTP_EVENTS[name]), context) == plain
    assert counters.requests == 1


def test_the_routes_really_ran() -> None:
    # Guards the comparison above against two identical failures.
    handler = warmable(Mangum(make_app()[0]))
    replies = {name: http(handler, copy.deepcopy(event)) for name, event in HTTP_EVENTS.items()}
    assert replies["rest-v1 GET item with query"]["statusCode"] == 200
    assert replies["rest-v1 GET item with query"]["body"] == '{"id":7,"q":"x","agent":"curl/8"}'
    assert replies["http-v2 POST echo"]["body"] == (
        '{"body":"{\\"hello\\": \\"world\\"}","cookie":"x=1; y=2"}'
    )
    assert replies["http-v2 POST echo"]["cookies"] == [
        "a=1; Path=/; SameSite=lax",
        "b=2; Path=/; SameSite=lax",
    ]
    assert replies["alb GET png"]["isBase64Encoded"] is True
    assert replies["edge GET boom"]["status"] == 500
    assert replies["function-url GET missing"]["statusCode"] == 404


def test_the_contract_http_warmup_event_reaches_the_app() -> None:
    app, counters = make_app()
    reply = http(warmable(Mangum(app)), load_fixture("http-event.healthz.json"))
    assert reply["statusCode"] == 200
    assert reply["body"] == '{"ok":true}'
    assert counters.requests == 1


def test_a_warmup_never_touches_the_asgi_app() -> None:
    app, counters = make_app()
    reply = warm(warmable(Mangum(app), checks={"db": lambda: None}), warmup_event())
    assert reply["ok"] is True
    assert (counters.requests, counters.startups, counters.shutdowns) == (0, 0, 0)


def test_mangum_runs_the_lifespan_on_every_invocation() -> None:
    # Pins the README's advice: anything a FastAPI lifespan creates dies after
    # each request, so pools belong at module scope.
    app, counters = make_app()
    handler = warmable(Mangum(app, lifespan="auto"))
    http(handler, http_v2("GET", "/healthz"))
    http(handler, http_v2("GET", "/healthz"))
    assert (counters.startups, counters.shutdowns) == (2, 2)


def test_async_checks_run_on_mangums_event_loop() -> None:
    seen: list[asyncio.AbstractEventLoop] = []

    async def check() -> None:
        seen.append(asyncio.get_running_loop())

    app, _ = make_app()

    @app.get("/loop")
    async def loop() -> dict[str, bool]:
        return {"same": asyncio.get_running_loop() is seen[0]}

    handler = warmable(Mangum(app), checks={"async": check})
    assert warm(handler, warmup_event())["checks"]["async"]["ok"] is True
    reply = http(handler, http_v2("GET", "/loop"))
    assert reply["statusCode"] == 200
    assert reply["body"] == '{"same":true}'


def test_mangums_public_attributes_read_through_the_wrapper() -> None:
    app, _ = make_app()
    inner = Mangum(app, lifespan="off", exclude_headers=["X-Secret"])
    handler = warmable(inner)
    assert handler.app is app
    assert handler.lifespan == "off"
    assert handler.config is inner.config
    assert handler.config["exclude_headers"] == ["x-secret"]
    assert handler.custom_handlers == []
    assert handler.infer(http_v2("GET", "/healthz"), FakeContext()).__class__.__name__ == (
        "HTTPGateway"
    )
    assert {"app", "config", "lifespan", "infer", "instance_id"} <= set(dir(handler))


def test_changes_made_through_the_wrapper_reach_mangum() -> None:
    inner = Mangum(make_app()[0], lifespan="auto")
    handler = warmable(inner)
    handler.config["text_mime_types"].append("application/x-ndjson")
    handler.lifespan = "off"
    assert inner.lifespan == "off"
    assert "application/x-ndjson" in inner.config["text_mime_types"]
    assert "lifespan" not in vars(handler)  # no shadow copy on the wrapper


def test_the_wrapper_is_honest_about_what_it_is() -> None:
    inner = Mangum(make_app()[0])
    handler = warmable(inner)
    assert not isinstance(handler, Mangum)
    assert handler.__wrapped__ is inner
    assert isinstance(inspect.unwrap(handler), Mangum)
    assert repr(handler).startswith("warmable(<mangum.adapter.Mangum object")
    with pytest.raises(AttributeError, match="no attribute 'lifespam'"):
        _ = handler.lifespam
    copied = copy.copy(handler)  # copy probes dunders on a half-built instance
    assert copied.__wrapped__ is inner
