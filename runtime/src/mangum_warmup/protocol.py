"""The warm-up protocol, version 1: the request a hook sends and the reply this package gives.

The TypeScript side is hooks/contract.ts; both are pinned by contract/fixtures/*.json.
"""

from __future__ import annotations

import json
import math
from typing import Any, Literal, TypedDict, TypeGuard, get_args

WARMUP_EVENT_KEY = "mangum-warmup"
"""Key under which a warm-up event carries its request: ``{"mangum-warmup": {...}}``."""

PROTOCOL_VERSION = 1
"""The only protocol version this package speaks."""

MAX_HOLD_MS = 10_000
"""Largest ``holdMs`` accepted: a hold only has to outlast the other parallel warm-ups."""

WarmupSource = Literal["pre-traffic", "keep-warm", "deployer", "post-traffic", "rehearsal"]
_SOURCES: tuple[str, ...] = get_args(WarmupSource)
_MISSING = object()


class _WarmupRequired(TypedDict):
    v: int
    source: WarmupSource
    holdMs: float


class WarmupRequest(_WarmupRequired, total=False):
    """The object under ``"mangum-warmup"`` in a warm-up event."""

    checks: list[str]
    deploymentId: str


class _CheckRequired(TypedDict):
    ok: bool
    ms: float


class CheckResult(_CheckRequired, total=False):
    """Outcome of one check or one init preload; ``error`` only when ``ok`` is false."""

    error: str


class _ReplyRequired(TypedDict):
    protocol: int
    ok: bool
    instanceId: str
    coldStart: bool
    initMs: float
    functionVersion: str
    heldMs: float
    checks: dict[str, CheckResult]
    init: dict[str, CheckResult]


class WarmupReply(_ReplyRequired, total=False):
    """A warmable handler's answer to a warm-up event; ``error`` only for a malformed request."""

    error: str


class MalformedRequest(ValueError):
    """The warm-up request does not follow protocol version 1."""


def is_warmup_event(event: object) -> bool:
    """True when ``event`` is a warm-up event (whatever its request looks like)."""
    return isinstance(event, dict) and WARMUP_EVENT_KEY in event


def parse_request(raw: object) -> WarmupRequest:
    """Validate the value under ``"mangum-warmup"``; raise MalformedRequest saying what is wrong."""
    if not isinstance(raw, dict):
        raise MalformedRequest(
            f"'{WARMUP_EVENT_KEY}' must be an object with v, source and holdMs, got {_show(raw)}"
        )
    if "v" not in raw:
        raise MalformedRequest(
            f"missing 'v' (the protocol version; this helper speaks {PROTOCOL_VERSION})"
        )
    version = raw["v"]
    if not _is_number(version) or version != PROTOCOL_VERSION:
        raise MalformedRequest(
            f"unsupported warm-up protocol version {_show(version)} "
            f"(this helper speaks {PROTOCOL_VERSION})"
        )
    source = raw.get("source", _MISSING)
    if source not in _SOURCES:
        raise MalformedRequest(
            f"'source' must be one of {', '.join(_SOURCES)}, got {_show(source)}"
        )
    hold = raw.get("holdMs", _MISSING)
    if not _is_number(hold) or not math.isfinite(hold) or not 0 <= hold <= MAX_HOLD_MS:
        raise MalformedRequest(
            f"'holdMs' must be a number of milliseconds from 0 to {MAX_HOLD_MS}, got {_show(hold)}"
        )
    request: WarmupRequest = {"v": PROTOCOL_VERSION, "source": source, "holdMs": float(hold)}
    if "checks" in raw:
        checks = raw["checks"]
        if not isinstance(checks, list) or not all(isinstance(c, str) for c in checks):
            raise MalformedRequest(
                f"'checks' must be an array of check names (strings), got {_show(checks)}"
            )
        request["checks"] = list(dict.fromkeys(checks))
    if "deploymentId" in raw:
        deployment = raw["deploymentId"]
        if not isinstance(deployment, str):
            raise MalformedRequest(f"'deploymentId' must be a string, got {_show(deployment)}")
        request["deploymentId"] = deployment
    return request


def _is_number(value: object) -> TypeGuard[int | float]:
    # bool is an int in Python, never a number in JSON.
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _show(value: object) -> str:
    """A value as JSON, short enough for an error message."""
    if value is _MISSING:
        return "nothing"
    try:
        text = json.dumps(value, allow_nan=True, default=_type_name)
    except ValueError:  # circular structures cannot come from JSON, but stay total
        text = _type_name(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _type_name(value: Any) -> str:
    return f"<{type(value).__name__}>"
