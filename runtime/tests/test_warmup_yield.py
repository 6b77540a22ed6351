"""yieldToUsersMs: a keep-warm must not hold an environment its users keep warm.

Holding an idle environment that a user is about to call pushes that user onto
a new environment: a cold start caused by the keep-warm itself.
"""

from __future__ import annotations

from typing import Any

import pytest
from mangum import Mangum

from mangum_warmup import MAX_YIELD_TO_USERS_MS, parse_request, warmable
from warmup_app import make_app
from warmup_events import http_v2
from warmup_helpers import FakeClock, FakeContext, http, warm


def keep_warm(hold_ms: float, **extra: Any) -> dict[str, Any]:
    return {"mangum-warmup": {"v": 1, "source": "keep-warm", "holdMs": hold_ms, **extra}}


def test_a_keep_warm_right_after_a_user_request_answers_at_once_without_checks_or_prime() -> None:
    # Real time: the wrapper as Lambda runs it, nothing patched.
    ran: list[str] = []
    app, counters = make_app()
    handler = warmable(Mangum(app), checks={"db": lambda: ran.append("db")}, prime="/healthz")
    http(handler, http_v2("GET", "/items/1"))
    reply = warm(handler, keep_warm(2000, yieldToUsersMs=60_000, checks=["db"]))
    assert reply.get("yielded") is True
    assert reply["heldMs"] < 1000
    assert reply["ok"] is True
    # Busy as briefly as it can be: its users are the health signal, and the
    # environments the keep-warm holds run the checks.
    assert ran == []
    assert reply["checks"] == {}
    assert "prime GET /healthz" not in reply["init"]
    assert counters.requests == 1
    # Held (no user within the window any more), it checks and primes as usual.
    held = warm(handler, keep_warm(10, yieldToUsersMs=0.001, checks=["db"]))
    assert "yielded" not in held
    assert ran == ["db"]
    assert held["checks"]["db"]["ok"] is True
    assert held["init"]["prime GET /healthz"]["ok"] is True


def test_a_fresh_environment_is_held(clock: FakeClock) -> None:
    handler = warmable(Mangum(make_app()[0]))
    reply = warm(handler, keep_warm(300, yieldToUsersMs=60_000))
    assert "yielded" not in reply
    assert reply["heldMs"] == 300.0
    assert sum(clock.slept) == pytest.approx(0.3)


@pytest.mark.parametrize(("idle_s", "yielded"), [(0.049, True), (0.051, False)])
def test_only_a_user_request_within_the_window_makes_it_yield(
    clock: FakeClock, idle_s: float, yielded: bool
) -> None:
    handler = warmable(Mangum(make_app()[0]))
    http(handler, http_v2("GET", "/healthz"))
    clock.now += idle_s
    reply = warm(handler, keep_warm(300, yieldToUsersMs=50))
    assert reply.get("yielded", False) is yielded
    # Never `"yielded": false`: replies to old hooks stay byte for byte what they were.
    assert ("yielded" in reply) is yielded
    assert reply["heldMs"] == (0.0 if yielded else 300.0)


@pytest.mark.parametrize("extra", [{}, {"yieldToUsersMs": 0}, {"yieldToUsersMs": 0.0}])
def test_without_a_window_it_holds_even_right_after_a_user(
    clock: FakeClock, extra: dict[str, Any]
) -> None:
    handler = warmable(Mangum(make_app()[0]))
    http(handler, http_v2("GET", "/healthz"))
    reply = warm(handler, keep_warm(300, **extra))
    assert "yielded" not in reply
    assert reply["heldMs"] == 300.0


def test_a_user_request_that_raised_counts_as_use(clock: FakeClock) -> None:
    def broken(event: dict[str, Any], context: FakeContext) -> dict[str, Any]:
        clock.now += 5.0  # a long request: the window counts from its end
        raise RuntimeError("the handler failed")

    handler = warmable(broken)
    with pytest.raises(RuntimeError):
        handler(http_v2("GET", "/healthz"), FakeContext())
    clock.now += 0.5
    reply = warm(handler, keep_warm(300, yieldToUsersMs=1000))
    assert reply.get("yielded") is True


def test_a_warm_up_is_not_use(clock: FakeClock) -> None:
    # Priming sends a GET through the wrapped handler: that is not a user either.
    app, counters = make_app()
    handler = warmable(Mangum(app), prime="/healthz")
    replies = [warm(handler, keep_warm(300, yieldToUsersMs=60_000)) for _ in range(2)]
    assert counters.requests == 1  # the prime did go through the app
    assert ["yielded" in r for r in replies] == [False, False]
    assert [r["heldMs"] for r in replies] == [300.0, 300.0]


def test_a_snapstart_restore_forgets_the_users(clock: FakeClock) -> None:
    handler = warmable(Mangum(make_app()[0]))
    http(handler, http_v2("GET", "/healthz"))
    handler.after_restore()
    restored = warm(handler, keep_warm(300, yieldToUsersMs=60_000))
    assert "yielded" not in restored
    assert restored["heldMs"] == 300.0
    # The restored environment's own users count again.
    http(handler, http_v2("GET", "/healthz"))
    assert warm(handler, keep_warm(300, yieldToUsersMs=60_000)).get("yielded") is True


def test_the_log_line_shows_the_window_and_the_outcome(
    clock: FakeClock, log_lines: list[dict[str, Any]]
) -> None:
    handler = warmable(Mangum(make_app()[0]))
    warm(handler, keep_warm(300, yieldToUsersMs=60_000))
    http(handler, http_v2("GET", "/healthz"))
    warm(handler, keep_warm(300, yieldToUsersMs=60_000))
    warm(handler, keep_warm(300))
    seen = [(line["yieldToUsersMs"], line["yielded"], line["heldMs"]) for line in log_lines]
    assert seen == [(60_000.0, False, 300.0), (60_000.0, True, 0.0), (None, False, 300.0)]


YIELD = "'yieldToUsersMs' must be a number of milliseconds from 0 to 600000, got "

MALFORMED: dict[str, tuple[object, str]] = {
    "negative": (-1, YIELD + "-1"),
    "slightly negative": (-1e-9, YIELD + "-1e-09"),
    "above ten minutes": (600_001, YIELD + "600001"),
    "just above ten minutes": (600_000.5, YIELD + "600000.5"),
    "NaN": (float("nan"), YIELD + "NaN"),
    "Infinity": (float("inf"), YIELD + "Infinity"),
    "-Infinity": (float("-inf"), YIELD + "-Infinity"),
    # bool is an int in Python; JSON true and false are no numbers.
    "true": (True, YIELD + "true"),
    "false": (False, YIELD + "false"),
    "text": ("60000", YIELD + '"60000"'),
    "null": (None, YIELD + "null"),
    "array": ([60_000], YIELD + "[60000]"),
    "a 310-digit integer": (10**310, YIELD + "1" + "0" * 56 + "..."),
    "an integer too long to print": (10**5000, YIELD + "<an integer of more than 4000 digits>"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_a_malformed_window_gets_the_named_error_and_runs_nothing(case: str) -> None:
    value, error = MALFORMED[case]
    ran: list[str] = []
    handler = warmable(Mangum(make_app()[0]), checks={"db": lambda: ran.append("db")})
    http(handler, http_v2("GET", "/healthz"))
    reply = warm(handler, keep_warm(0, yieldToUsersMs=value))
    assert reply["ok"] is False
    assert reply.get("error") == error
    assert "yielded" not in reply
    assert ran == []


@pytest.mark.parametrize("value", [0, 0.5, 60_000, MAX_YIELD_TO_USERS_MS, 600_000.0])
def test_the_whole_range_is_accepted(value: float) -> None:
    parsed = parse_request(keep_warm(0, yieldToUsersMs=value)["mangum-warmup"])
    assert parsed.get("yieldToUsersMs") == float(value)
    assert isinstance(parsed.get("yieldToUsersMs"), float)
