"""The shared fixtures in contract/fixtures pin the protocol for both sides."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi import FastAPI
from mangum import Mangum

from mangum_warmup import MalformedRequest, Warmable, parse_request, warmable
from warmup_app import make_app
from warmup_events import http_v2
from warmup_helpers import FIXTURES, http, load_fixture, warm

# Which reply each warm-up event fixture must produce, and from which state.
EXPECTED: dict[str, list[str]] = {
    # event fixture: replies to consecutive invocations of one fresh environment
    "event.pre-traffic.json": ["reply.cold-ok.json", "reply.warm-ok.json"],
    "event.keep-warm.json": ["reply.cold-ok.json", "reply.warm-ok.json"],
    # No user request has ended in a fresh environment: nothing to yield to, so it holds.
    "event.keep-warm-yield.json": ["reply.cold-ok.json", "reply.warm-ok.json"],
    "event.malformed-version.json": ["reply.malformed-request.json"],
    "event.malformed-hold.json": ["reply.malformed-request.json"],
    "event.malformed-yield.json": ["reply.malformed-request.json"],
}


def shape(value: Any) -> Any:
    """Keys and JSON types, recursively: what the TypeScript side relies on."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    return type(value).__name__


def healthy() -> Warmable[Any, Any]:
    return warmable(
        Mangum(make_app()[0]), checks={"db": lambda: None}, on_init={"sns": lambda: None}
    )


def test_every_event_fixture_has_an_expectation() -> None:
    events = {p.name for p in FIXTURES.glob("event.*.json")}
    assert events == set(EXPECTED)
    replies = {p.name for p in FIXTURES.glob("reply.*.json")}
    assert replies == {r for names in EXPECTED.values() for r in names} | {
        "reply.db-failed.json",
        "reply.prime-failed.json",
        "reply.yielded.json",
    }


@pytest.mark.parametrize("event_name", sorted(EXPECTED))
def test_event_fixtures_get_replies_shaped_like_the_reply_fixtures(event_name: str) -> None:
    handler = healthy()
    for reply_name in EXPECTED[event_name]:
        reply = warm(handler, load_fixture(event_name))
        expected = load_fixture(reply_name)
        if "error" in expected:  # that fixture's environment had no preloads; this one has
            expected["init"] = {"sns": {"ok": True, "ms": 0.0}}
        assert shape(reply) == shape(expected)
        assert reply["ok"] is expected["ok"]
        if "error" not in expected:  # the malformed fixture comes from a warm environment
            assert reply["coldStart"] is expected["coldStart"]
        assert json.loads(json.dumps(reply)) == reply  # what the Lambda runtime will send


def test_a_keep_warm_right_after_a_user_is_shaped_like_the_yielded_fixture() -> None:
    handler = healthy()
    warm(handler, load_fixture("event.keep-warm.json"))
    http(handler, http_v2("GET", "/healthz"))
    reply = warm(handler, load_fixture("event.keep-warm-yield.json"))
    expected = load_fixture("reply.yielded.json")
    assert shape(reply) == shape(expected)
    assert reply.get("yielded") is True
    assert reply["heldMs"] < 300  # the fixture's holdMs, skipped


def test_the_event_fixtures_without_yield_never_get_a_yielded_key() -> None:
    # Old hooks and the pre-traffic hook send no yieldToUsersMs: their replies must not change.
    for name in ("event.pre-traffic.json", "event.keep-warm.json"):
        handler = healthy()
        http(handler, http_v2("GET", "/healthz"))
        reply = warm(handler, load_fixture(name))
        assert "yielded" not in reply
        assert reply["heldMs"] >= load_fixture(name)["mangum-warmup"]["holdMs"]


def test_a_failed_check_reply_is_shaped_like_the_db_failed_fixture() -> None:
    def db() -> None:
        raise OSError('connection to server at "10.0.3.17", port 5432 failed: timeout expired')

    reply = warm(
        warmable(Mangum(make_app()[0]), checks={"db": db}), load_fixture("event.pre-traffic.json")
    )
    assert shape(reply) == shape(load_fixture("reply.db-failed.json"))
    assert reply["checks"]["db"].get("error") == (
        'OSError: connection to server at "10.0.3.17", port 5432 failed: timeout expired'
    )


def test_a_failed_prime_reply_is_shaped_like_the_prime_failed_fixture() -> None:
    app = FastAPI()

    @app.get("/healthz")
    def healthz() -> None:
        raise RuntimeError("the health route broke")

    handler = warmable(Mangum(app), checks={"db": lambda: None}, prime="/healthz")
    reply = warm(handler, load_fixture("event.pre-traffic.json"))
    expected = load_fixture("reply.prime-failed.json")
    assert shape(reply) == shape(expected)
    assert reply["ok"] is expected["ok"]  # a failed prime leaves `ok` to the checks
    error = expected["init"]["prime GET /healthz"]["error"]
    assert reply["init"]["prime GET /healthz"].get("error") == error


def test_the_malformed_version_error_text_is_the_fixtures() -> None:
    reply = warm(healthy(), load_fixture("event.malformed-version.json"))
    assert reply.get("error") == load_fixture("reply.malformed-request.json")["error"]


def test_the_malformed_hold_error_names_the_field_and_the_allowed_values() -> None:
    reply = warm(healthy(), load_fixture("event.malformed-hold.json"))
    assert reply.get("error") == (
        "'holdMs' must be a number of milliseconds from 0 to 10000, got \"soon\""
    )


def test_the_malformed_yield_error_names_the_field_and_the_allowed_values() -> None:
    reply = warm(healthy(), load_fixture("event.malformed-yield.json"))
    assert reply.get("error") == (
        "'yieldToUsersMs' must be a number of milliseconds from 0 to 600000, got -1"
    )


def test_the_keep_warm_yield_fixture_parses_to_the_documented_request() -> None:
    assert parse_request(load_fixture("event.keep-warm-yield.json")["mangum-warmup"]) == {
        "v": 1,
        "source": "keep-warm",
        "holdMs": 300.0,
        "yieldToUsersMs": 60000.0,
    }


def test_the_pre_traffic_fixture_parses_to_the_documented_request() -> None:
    assert parse_request(load_fixture("event.pre-traffic.json")["mangum-warmup"]) == {
        "v": 1,
        "source": "pre-traffic",
        "holdMs": 312.0,
        "checks": ["db"],
        "deploymentId": "d-EXAMPLE123",
    }
    with pytest.raises(MalformedRequest):
        parse_request(load_fixture("event.malformed-hold.json")["mangum-warmup"])


def test_the_reply_fixtures_agree_with_each_other() -> None:
    # One environment's replies: the same identity and initMs on every reply.
    cold, warm_, malformed = (
        load_fixture(f"reply.{n}.json") for n in ("cold-ok", "warm-ok", "malformed-request")
    )
    for key in ("instanceId", "initMs", "functionVersion"):
        assert cold[key] == warm_[key] == malformed[key]
    # The yielded reply is the warm one that answered at once, without its
    # checks or its hold: nothing else differs.
    yielded = load_fixture("reply.yielded.json")
    assert yielded["yielded"] is True
    assert yielded["heldMs"] < warm_["heldMs"]
    assert yielded["checks"] == {}
    assert warm_["checks"] != {}
    different = ("heldMs", "yielded", "checks")
    assert {k: v for k, v in yielded.items() if k not in different} == {
        k: v for k, v in warm_.items() if k not in different
    }
