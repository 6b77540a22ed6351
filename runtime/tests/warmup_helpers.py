"""Shared test helpers: a Lambda context, warm-up events, the contract fixtures."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any, cast

from mangum.types import LambdaCognitoIdentity, LambdaMobileClientContext

from mangum_warmup import Warmable, WarmupReply
from pgserver import REPO_ROOT

FIXTURES = REPO_ROOT / "contract" / "fixtures"


@dataclass
class FakeContext:
    """The Lambda context object, as the Python runtime passes it."""

    function_version: str = "7"
    aws_request_id: str = "req-1"
    function_name: str = "app"
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:app:live"
    memory_limit_in_mb: int = 1024
    log_group_name: str = "/aws/lambda/app"
    log_stream_name: str = "2026/01/01/[7]abc"
    identity: LambdaCognitoIdentity | None = None
    client_context: LambdaMobileClientContext | None = None

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def load_fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def warmup_event(
    hold_ms: float = 0, checks: list[str] | None = None, **extra: Any
) -> dict[str, Any]:
    request: dict[str, Any] = {"v": 1, "source": "pre-traffic", "holdMs": hold_ms, **extra}
    if checks is not None:
        request["checks"] = checks
    return {"mangum-warmup": request}


def warm(handler: Warmable[Any, Any], event: dict[str, Any], context: object = None) -> WarmupReply:
    """Invoke with a warm-up event; the reply must be the helper's own."""
    reply = handler(event, context or FakeContext())
    assert isinstance(reply, dict)
    assert reply.get("protocol") == 1, reply
    return cast(WarmupReply, reply)


def http(
    handler: Warmable[Any, Any], event: dict[str, Any], context: object = None
) -> dict[str, Any]:
    """Invoke with an HTTP event; the reply must be Mangum's."""
    reply = handler(event, context or FakeContext())
    assert isinstance(reply, dict)
    assert "protocol" not in reply, reply
    return cast(dict[str, Any], reply)


class FakeClock:
    """perf_counter and sleep for the handler: time moves only when a test moves it."""

    def __init__(self) -> None:
        self.now = time.perf_counter()
        self.slept: list[float] = []

    def perf_counter(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
