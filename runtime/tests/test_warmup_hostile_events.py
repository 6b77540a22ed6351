"""A malformed warm-up event never raises: it gets a reply with a short, precise error.

Whoever can invoke the function directly can send any JSON; the runtime hands
it over parsed. The helper must answer every shape, however deep or large.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mangum import Mangum

from mangum_warmup import (
    MAX_HOLD_MS,
    MAX_YIELD_TO_USERS_MS,
    MalformedRequest,
    parse_request,
    warmable,
)
from warmup_app import make_app
from warmup_helpers import warm

_SOURCES = ["pre-traffic", "keep-warm", "deployer", "post-traffic", "rehearsal"]
_MAX_ERROR = 300  # every message embeds at most a 60-character excerpt of the input


def nested(depth: int, leaf: Any = 1, *, as_dict: bool = False) -> Any:
    """``[[[...1...]]]`` (or ``{"a": {"a": ...}}``), ``depth`` levels deep, built by a loop."""
    value = leaf
    for _ in range(depth):
        value = {"a": value} if as_dict else [value]
    return value


def request(**fields: Any) -> dict[str, Any]:
    return {"v": 1, "source": "keep-warm", "holdMs": 0, **fields}


DEEP = sys.getrecursionlimit() * 10

HOLD = "'holdMs' must be a number of milliseconds from 0 to 10000, got "
YIELD = "'yieldToUsersMs' must be a number of milliseconds from 0 to 600000, got "
SOURCE = "'source' must be one of pre-traffic, keep-warm, deployer, post-traffic, rehearsal, got "

# Each error quotes at most 60 characters of what it got.
HOSTILE: dict[str, tuple[Any, str]] = {
    "holdMs a 310-digit integer": (request(holdMs=10**310), HOLD + "1" + "0" * 56 + "..."),
    "holdMs a negative 400-digit integer": (
        request(holdMs=-(10**400)),
        HOLD + "-1" + "0" * 55 + "...",
    ),
    "holdMs an integer too long to print": (
        request(holdMs=10**5000),
        HOLD + "<an integer of more than 4000 digits>",
    ),
    "holdMs Infinity": (request(holdMs=float("inf")), HOLD + "Infinity"),
    "yieldToUsersMs a 310-digit integer": (
        request(yieldToUsersMs=10**310),
        YIELD + "1" + "0" * 56 + "...",
    ),
    "yieldToUsersMs a negative 400-digit integer": (
        request(yieldToUsersMs=-(10**400)),
        YIELD + "-1" + "0" * 55 + "...",
    ),
    "yieldToUsersMs nested deeper than the recursion limit": (
        request(yieldToUsersMs=nested(DEEP)),
        YIELD + "[" * 57 + "...",
    ),
    "v nested deeper than the recursion limit": (
        request(v=nested(DEEP)),
        "unsupported warm-up protocol version " + "[" * 57 + "... (this helper speaks 1)",
    ),
    "source an object nested deeper than the recursion limit": (
        request(source=nested(DEEP, as_dict=True)),
        SOURCE + '{"a": ' * 9 + '{"a...',
    ),
    "checks nested deeper than the recursion limit": (
        request(checks=nested(DEEP)),
        "'checks' must be an array of check names (strings), got " + "[" * 57 + "...",
    ),
    "the request itself nested deeper than the recursion limit": (
        nested(DEEP),
        "'mangum-warmup' must be an object with v, source and holdMs, got " + "[" * 57 + "...",
    ),
    "a million check names": (
        request(checks=["db"] * 1_000_000),
        "'checks' must name at most 100 checks of at most 128 characters, got "
        + "["
        + '"db", ' * 9
        + '"d...',
    ),
    "a check name of 10 MB": (
        request(checks=["x" * 10_000_000]),
        "'checks' must name at most 100 checks of at most 128 characters, got "
        + '["'
        + "x" * 55
        + "...",
    ),
    "deploymentId of 1 MB": (
        request(deploymentId="d" * 1_000_000),
        "'deploymentId' must be at most 256 characters, got \"" + "d" * 56 + "...",
    ),
    "deploymentId a 10 MB array": (
        request(deploymentId=["x" * 1000] * 10_000),
        "'deploymentId' must be a string, got [\"" + "x" * 55 + "...",
    ),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_hostile_request_gets_a_reply_not_an_exception(case: str) -> None:
    raw, error = HOSTILE[case]
    ran: list[str] = []
    handler = warmable(Mangum(make_app()[0]), checks={"db": lambda: ran.append("db")})
    reply = warm(handler, {"mangum-warmup": raw})
    assert reply["ok"] is False
    assert reply.get("error") == error
    assert ran == []
    json.dumps(reply, allow_nan=False)  # the runtime can serialise it


def test_an_in_range_integer_hold_is_still_accepted() -> None:
    assert parse_request(request(holdMs=MAX_HOLD_MS))["holdMs"] == float(MAX_HOLD_MS)


# JSON as the Lambda runtime parses it, with the extremes: integers far past a
# float's range, NaN and Infinity (Python's json module accepts them), long and
# non-ASCII text, lone surrogates, nesting.
JSON_LEAVES = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**400), max_value=10**400)
    | st.integers(min_value=-3, max_value=MAX_HOLD_MS + 3)
    | st.integers(min_value=MAX_YIELD_TO_USERS_MS - 3, max_value=MAX_YIELD_TO_USERS_MS + 3)
    | st.integers(min_value=10**308, max_value=10**400).map(lambda n: n * (-1) ** (n % 2))
    | st.integers(min_value=1, max_value=DEEP).map(nested)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=80)
    | st.sampled_from(_SOURCES)
)
JSON = st.recursive(
    JSON_LEAVES,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=30,
)
# Requests that look almost right: each field valid, hostile or missing.
REQUESTS = (
    st.fixed_dictionaries(
        {},
        optional={
            "v": st.just(1) | JSON,
            "source": st.sampled_from(_SOURCES) | JSON,
            "holdMs": st.integers(min_value=0, max_value=MAX_HOLD_MS) | JSON,
            "checks": st.lists(st.text(max_size=10), max_size=5) | JSON,
            "deploymentId": st.text(max_size=20) | JSON,
            "yieldToUsersMs": st.floats(min_value=0, max_value=MAX_YIELD_TO_USERS_MS) | JSON,
        },
    )
    | JSON
)


@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(REQUESTS)
def test_the_parser_accepts_a_valid_request_or_names_the_problem(raw: Any) -> None:
    try:
        parsed = parse_request(raw)
    except MalformedRequest as exc:
        error = str(exc)
    else:
        error = ""
    if error:
        assert len(error) <= _MAX_ERROR
        return
    assert isinstance(raw, dict)
    assert parsed["v"] == 1
    assert parsed["source"] in _SOURCES
    assert isinstance(parsed["holdMs"], float)
    assert 0 <= parsed["holdMs"] <= MAX_HOLD_MS
    assert len(parsed.get("checks", [])) <= 100
    assert all(isinstance(name, str) and len(name) <= 128 for name in parsed.get("checks", []))
    assert isinstance(parsed.get("deploymentId", ""), str)
    assert len(parsed.get("deploymentId", "")) <= 256
    assert ("yieldToUsersMs" in parsed) is ("yieldToUsersMs" in raw)
    assert isinstance(parsed.get("yieldToUsersMs", 0.0), float)
    assert 0 <= parsed.get("yieldToUsersMs", 0.0) <= MAX_YIELD_TO_USERS_MS


@settings(max_examples=500, deadline=None)
@given(JSON | st.floats(min_value=-1, max_value=MAX_YIELD_TO_USERS_MS + 1))
def test_a_window_is_accepted_in_range_or_named_with_the_range(value: Any) -> None:
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    try:
        parsed = parse_request(request(yieldToUsersMs=value))
    except MalformedRequest as exc:
        error = str(exc)
    else:
        assert number
        assert 0 <= value <= MAX_YIELD_TO_USERS_MS
        assert parsed.get("yieldToUsersMs") == value
        return
    assert error.startswith(YIELD)
    assert len(error) <= _MAX_ERROR
    assert not (number and 0 <= value <= MAX_YIELD_TO_USERS_MS)


_HANDLER = warmable(Mangum(make_app()[0]), checks={"db": lambda: None})


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(REQUESTS.filter(lambda r: not (isinstance(r, dict) and _holds(r.get("holdMs")))))
def test_the_handler_answers_every_shape_with_a_serialisable_reply(raw: Any) -> None:
    reply = warm(_HANDLER, {"mangum-warmup": raw})
    text = json.dumps(reply, allow_nan=False)
    assert reply["ok"] is (
        reply.get("error") is None and all(c["ok"] for c in reply["checks"].values())
    )
    assert len(text) < 2_000


def _holds(value: object) -> bool:
    """A valid hold longer than a few ms: would make the fuzzing sleep, so it is left out."""
    return (
        isinstance(value, (int, float)) and not isinstance(value, bool) and 5 < value <= MAX_HOLD_MS
    )


def test_the_bounds_are_the_components() -> None:
    # The largest request pulumi-mangum can send (components/validate.ts) is accepted.
    parsed = parse_request(request(checks=[f"{i:03d}" + "c" * 125 for i in range(100)]))
    assert len(parsed.get("checks", [])) == 100
    assert parse_request(request(deploymentId="d-" + "X" * 254))["deploymentId"].startswith("d-")


def test_a_python_caller_with_non_json_keys_gets_an_error_too() -> None:
    # Only Python code can build these (JSON keys are strings); still no exception.
    with pytest.raises(MalformedRequest) as raised:
        parse_request(request(v={10**5000: 1, (1, 2): [object()]}))
    assert str(raised.value) == (
        'unsupported warm-up protocol version {"<an integer of more than 4000 digits>": 1, '
        '"<tuple>": [... (this helper speaks 1)'
    )
