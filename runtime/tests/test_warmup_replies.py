"""Answering warm-up events: checks, identity, the hold, preloads, logs."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from mangum import Mangum

from mangum_warmup import Check, ConfigurationError, warmable
from warmup_app import make_app
from warmup_events import http_v2
from warmup_helpers import FakeContext, http, warm, warmup_event


@pytest.fixture
def release() -> Iterator[threading.Event]:
    """Set at teardown, so threads of abandoned (timed-out) checks end with the test."""
    event = threading.Event()
    yield event
    event.set()


def test_runs_the_requested_checks_and_reports_each() -> None:
    ran: list[str] = []
    handler = warmable(
        Mangum(make_app()[0]),
        checks={"db": lambda: ran.append("db"), "cache": lambda: ran.append("cache")},
    )
    reply = warm(handler, warmup_event(checks=["cache"]))
    assert ran == ["cache"]
    assert reply["ok"] is True
    assert list(reply["checks"]) == ["cache"]
    assert reply["checks"]["cache"]["ok"] is True
    assert reply["checks"]["cache"]["ms"] >= 0
    assert "error" not in reply["checks"]["cache"]


@pytest.mark.parametrize("checks", [None, []], ids=["omitted", "empty"])
def test_omitted_or_empty_checks_mean_every_registered_check(checks: list[str] | None) -> None:
    ran: list[str] = []
    handler = warmable(
        Mangum(make_app()[0]),
        checks={"db": lambda: ran.append("db"), "cache": lambda: ran.append("cache")},
    )
    reply = warm(handler, warmup_event(checks=checks))
    assert ran == ["db", "cache"]
    assert list(reply["checks"]) == ["db", "cache"]


def test_an_unregistered_check_fails_and_names_the_registered_ones() -> None:
    handler = warmable(Mangum(make_app()[0]), checks={"db": lambda: None})
    reply = warm(handler, warmup_event(checks=["db", "x"]))
    assert reply["ok"] is False
    assert reply["checks"]["db"]["ok"] is True
    assert reply["checks"]["x"] == {
        "ok": False,
        "ms": 0.0,
        "error": "no check named 'x' is registered (registered: db)",
    }


def test_a_check_that_raises_is_reported_not_raised() -> None:
    def broken() -> None:
        raise ConnectionRefusedError(111, "Connection refused")

    reply = warm(warmable(Mangum(make_app()[0]), checks={"db": broken}), warmup_event())
    assert reply["ok"] is False
    assert reply["checks"]["db"]["ok"] is False
    assert (
        reply["checks"]["db"]["error"] == "ConnectionRefusedError: [Errno 111] Connection refused"
    )


def test_a_check_calling_sys_exit_does_not_end_the_runtime() -> None:
    reply = warm(
        warmable(Mangum(make_app()[0]), checks={"db": lambda: sys.exit(3)}), warmup_event()
    )
    assert reply["checks"]["db"]["error"] == "SystemExit: 3"


def test_a_hung_sync_check_times_out(release: threading.Event) -> None:
    handler = warmable(
        Mangum(make_app()[0]),
        checks={"slow": Check(release.wait, timeout=0.2), "fast": lambda: None},
    )
    reply = warm(handler, warmup_event())
    assert reply["ok"] is False
    assert reply["checks"]["slow"]["ok"] is False
    assert reply["checks"]["slow"]["error"] == "TimeoutError: did not finish within 0.2 s"
    assert reply["checks"]["slow"]["ms"] >= 200
    assert reply["checks"]["fast"]["ok"] is True


def test_a_hung_async_check_times_out_and_leaves_mangum_working() -> None:
    cancelled: list[bool] = []

    async def slow() -> None:
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled.append(True)
            raise

    handler = warmable(Mangum(make_app()[0]), checks={"slow": slow}, timeout=0.2)
    reply = warm(handler, warmup_event())
    assert reply["checks"]["slow"]["error"] == "TimeoutError: did not finish within 0.2 s"
    assert cancelled == [True]
    assert http(handler, http_v2("GET", "/healthz"))["statusCode"] == 200


def test_an_async_check_that_raises_is_reported() -> None:
    async def broken() -> None:
        raise ValueError("no such table: users")

    reply = warm(warmable(Mangum(make_app()[0]), checks={"db": broken}), warmup_event())
    assert reply["checks"]["db"]["error"] == "ValueError: no such table: users"


def test_a_sync_callable_returning_a_coroutine_is_awaited() -> None:
    done: list[bool] = []

    async def probe() -> None:
        done.append(True)

    reply = warm(warmable(Mangum(make_app()[0]), checks={"db": lambda: probe()}), warmup_event())
    assert reply["checks"]["db"]["ok"] is True
    assert done == [True]


def test_errors_never_carry_passwords() -> None:
    def leaky() -> None:
        raise RuntimeError(
            "cannot use postgresql://app:hunter2@db.internal:5432/app\n"
            "  (conninfo: host=db.internal password=hunter2 user=app)"
            ' PGPASSWORD=hunter2 {"db_password": "hunter2"}'
        )

    error = warm(warmable(Mangum(make_app()[0]), checks={"db": leaky}), warmup_event())["checks"][
        "db"
    ].get("error", "")
    assert "hunter2" not in error
    assert error == (
        "RuntimeError: cannot use postgresql://app:***@db.internal:5432/app "
        "(conninfo: host=db.internal password=*** user=app) "
        'PGPASSWORD=*** {"db_password": "***"}'
    )


def test_cold_start_is_reported_once_per_environment() -> None:
    handler = warmable(Mangum(make_app()[0]))
    first, second = warm(handler, warmup_event()), warm(handler, warmup_event())
    assert (first["coldStart"], second["coldStart"]) == (True, False)
    assert first["instanceId"] == second["instanceId"] == handler.instance_id
    assert uuid.UUID(first["instanceId"]).version == 4
    assert first["initMs"] == second["initMs"] >= 0

    other = warm(warmable(Mangum(make_app()[0])), warmup_event())
    assert other["coldStart"] is True
    assert other["instanceId"] != first["instanceId"]


def test_a_request_served_first_took_the_cold_start() -> None:
    handler = warmable(Mangum(make_app()[0]))
    http(handler, http_v2("GET", "/healthz"))
    assert warm(handler, warmup_event())["coldStart"] is False


def test_the_hold_is_honoured_from_handler_entry() -> None:
    handler = warmable(Mangum(make_app()[0]), checks={"db": lambda: None})
    reply = warm(handler, warmup_event(hold_ms=300))
    assert reply["heldMs"] >= 300
    assert reply["heldMs"] < 300 + 5_000  # generous: a loaded CI machine, never a second hold


def test_function_version_comes_from_the_context_then_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    handler = warmable(Mangum(make_app()[0]))
    assert (
        warm(handler, warmup_event(), FakeContext(function_version="12"))["functionVersion"] == "12"
    )
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_VERSION", "9")
    assert warm(handler, warmup_event(), object())["functionVersion"] == "9"
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_VERSION")
    assert warm(handler, warmup_event(), object())["functionVersion"] == "$LATEST"


def test_init_preloads_run_once_at_wrap_time_and_are_reported_on_every_reply() -> None:
    calls: list[str] = []

    def sns() -> None:
        calls.append("sns")

    def s3() -> None:
        raise PermissionError("AccessDenied: s3:ListBucket")

    handler = warmable(Mangum(make_app()[0]), on_init={"sns": sns, "s3": s3})
    assert calls == ["sns"]
    replies = [warm(handler, warmup_event()) for _ in range(2)]
    http(handler, http_v2("GET", "/healthz"))
    assert calls == ["sns"]
    for reply in replies:
        assert reply["ok"] is True  # a preload informs; only checks decide `ok`
        assert reply["init"]["sns"]["ok"] is True
        assert reply["init"]["s3"]["ok"] is False
        assert reply["init"]["s3"]["error"] == "PermissionError: AccessDenied: s3:ListBucket"
    assert replies[0]["init"] == replies[1]["init"]


MALFORMED: dict[str, tuple[Any, str]] = {
    "not an object": (
        "ping",
        "'mangum-warmup' must be an object with v, source and holdMs, got \"ping\"",
    ),
    "null": (None, "'mangum-warmup' must be an object with v, source and holdMs, got null"),
    "no version": (
        {"source": "keep-warm", "holdMs": 1},
        "missing 'v' (the protocol version; this helper speaks 1)",
    ),
    "version as text": (
        {"v": "1", "source": "keep-warm", "holdMs": 1},
        'unsupported warm-up protocol version "1" (this helper speaks 1)',
    ),
    "version true": (
        {"v": True, "source": "keep-warm", "holdMs": 1},
        "unsupported warm-up protocol version true (this helper speaks 1)",
    ),
    "unknown source": (
        {"v": 1, "source": "cron", "holdMs": 1},
        "'source' must be one of pre-traffic, keep-warm, deployer, post-traffic, rehearsal, "
        'got "cron"',
    ),
    "no hold": (
        {"v": 1, "source": "keep-warm"},
        "'holdMs' must be a number of milliseconds from 0 to 10000, got nothing",
    ),
    "negative hold": (
        {"v": 1, "source": "keep-warm", "holdMs": -1},
        "'holdMs' must be a number of milliseconds from 0 to 10000, got -1",
    ),
    "absurd hold": (
        {"v": 1, "source": "keep-warm", "holdMs": 600_000},
        "'holdMs' must be a number of milliseconds from 0 to 10000, got 600000",
    ),
    "NaN hold": (
        {"v": 1, "source": "keep-warm", "holdMs": float("nan")},
        "'holdMs' must be a number of milliseconds from 0 to 10000, got NaN",
    ),
    "checks as text": (
        {"v": 1, "source": "keep-warm", "holdMs": 1, "checks": "db"},
        "'checks' must be an array of check names (strings), got \"db\"",
    ),
    "checks with a number": (
        {"v": 1, "source": "keep-warm", "holdMs": 1, "checks": ["db", 2]},
        "'checks' must be an array of check names (strings), got [\"db\", 2]",
    ),
    "numeric deployment id": (
        {"v": 1, "source": "pre-traffic", "holdMs": 1, "deploymentId": 5},
        "'deploymentId' must be a string, got 5",
    ),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_a_malformed_request_gets_a_precise_error_and_runs_nothing(case: str) -> None:
    request, error = MALFORMED[case]
    ran: list[str] = []
    handler = warmable(Mangum(make_app()[0]), checks={"db": lambda: ran.append("db")})
    reply = warm(handler, {"mangum-warmup": request})
    assert reply["ok"] is False
    assert reply.get("error") == error
    assert reply["checks"] == {}
    assert ran == []


def test_each_warmup_logs_one_json_line_without_secrets(log_lines: list[dict[str, Any]]) -> None:
    def leaky() -> None:
        raise RuntimeError("password=hunter2")

    handler = warmable(Mangum(make_app()[0]), checks={"db": leaky})
    reply = warm(handler, warmup_event(deploymentId="d-1"), FakeContext(aws_request_id="r-9"))
    http(handler, http_v2("GET", "/healthz"))
    assert len(log_lines) == 1
    line = log_lines[0]
    assert line["event"] == "mangum-warmup"
    assert (line["ok"], line["source"], line["deploymentId"], line["requestId"]) == (
        False,
        "pre-traffic",
        "d-1",
        "r-9",
    )
    assert line["instanceId"] == reply["instanceId"]
    assert line["checks"] == {"db": reply["checks"]["db"]}
    assert "hunter2" not in str(line)


def test_without_logging_configured_the_line_goes_to_stdout() -> None:
    # A fresh interpreter, like a Lambda runtime: nothing configured the logger.
    script = (
        "from mangum import Mangum\n"
        "from fastapi import FastAPI\n"
        "from mangum_warmup import warmable\n"
        "h = warmable(Mangum(FastAPI()), checks={'db': lambda: None})\n"
        "h({'mangum-warmup': {'v': 1, 'source': 'keep-warm', 'holdMs': 0}}, None)\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, env=env
    )
    assert done.stderr == ""
    lines = done.stdout.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith('{"event":"mangum-warmup","ok":true,"source":"keep-warm",')


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"checks": {"db": "SELECT 1"}}, "a check must be callable, got str"),
        ({"checks": {"": lambda: None}}, "checks names must be non-empty strings, got ''"),
        ({"on_init": [lambda: None]}, "on_init must be a mapping of name to callable"),
        ({"timeout": 0}, "timeout must be > 0 seconds, got 0"),
    ],
)
def test_bad_arguments_fail_at_wrap_time(kwargs: dict[str, Any], error: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        warmable(Mangum(make_app()[0]), **kwargs)
    assert str(raised.value) == error
