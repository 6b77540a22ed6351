"""The warm-up protocol, version 1: the request a hook sends and the reply this package gives.

The TypeScript side is hooks/contract.ts; both are pinned by contract/fixtures/*.json.
"""

from __future__ import annotations

import itertools
import json
import math
from typing import Literal, TypedDict, TypeGuard, get_args

WARMUP_EVENT_KEY = "mangum-warmup"
"""Key under which a warm-up event carries its request: ``{"mangum-warmup": {...}}``."""

PROTOCOL_VERSION = 1
"""The only protocol version this package speaks."""

MAX_HOLD_MS = 10_000
"""Largest ``holdMs`` accepted: a hold only has to outlast the other parallel warm-ups."""

MAX_YIELD_TO_USERS_MS = 600_000
"""Largest ``yieldToUsersMs`` accepted (10 minutes): longer than any keep-warm interval needs."""

MAX_CHECKS = 100
MAX_CHECK_NAME_CHARS = 128
MAX_DEPLOYMENT_ID_CHARS = 256
"""Bounds of a request's lists and strings, so that a reply and a log line stay small."""

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
    yieldToUsersMs: float


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
    yielded: bool  # only ever true: present when the hold was skipped for the users' sake


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
    # Compared as they are: no conversion, so a 310-digit integer cannot overflow
    # a float, and NaN and the infinities fail the comparison.
    if not _is_number(hold) or not 0 <= hold <= MAX_HOLD_MS:
        raise MalformedRequest(
            f"'holdMs' must be a number of milliseconds from 0 to {MAX_HOLD_MS}, got {_show(hold)}"
        )
    request: WarmupRequest = {"v": PROTOCOL_VERSION, "source": source, "holdMs": float(hold)}
    if "yieldToUsersMs" in raw:
        yield_ms = raw["yieldToUsersMs"]
        if not _is_number(yield_ms) or not 0 <= yield_ms <= MAX_YIELD_TO_USERS_MS:
            raise MalformedRequest(
                "'yieldToUsersMs' must be a number of milliseconds from 0 to "
                f"{MAX_YIELD_TO_USERS_MS}, got {_show(yield_ms)}"
            )
        request["yieldToUsersMs"] = float(yield_ms)
    if "checks" in raw:
        checks = raw["checks"]
        if not isinstance(checks, list) or not all(isinstance(c, str) for c in checks):
            raise MalformedRequest(
                f"'checks' must be an array of check names (strings), got {_show(checks)}"
            )
        # The bounds pulumi-mangum validates warmup.checks with (components/validate.ts):
        # every name is echoed in the reply, which must stay far below Lambda's 6 MB.
        if len(checks) > MAX_CHECKS or any(len(c) > MAX_CHECK_NAME_CHARS for c in checks):
            raise MalformedRequest(
                f"'checks' must name at most {MAX_CHECKS} checks of at most "
                f"{MAX_CHECK_NAME_CHARS} characters, got {_show(checks)}"
            )
        request["checks"] = list(dict.fromkeys(checks))
    if "deploymentId" in raw:
        deployment = raw["deploymentId"]
        if not isinstance(deployment, str):
            raise MalformedRequest(f"'deploymentId' must be a string, got {_show(deployment)}")
        if len(deployment) > MAX_DEPLOYMENT_ID_CHARS:
            raise MalformedRequest(
                f"'deploymentId' must be at most {MAX_DEPLOYMENT_ID_CHARS} characters, "
                f"got {_show(deployment)}"
            )
        request["deploymentId"] = deployment
    return request


def _is_number(value: object) -> TypeGuard[int | float]:
    # bool is an int in Python, never a number in JSON.
    return isinstance(value, (int, float)) and not isinstance(value, bool)


_SHOW_CHARS = 60
_SHOW_DEPTH = 64


def _show(value: object) -> str:
    """A value as JSON, cut to 60 characters; total, and bounded in time and depth.

    Renders only as much as the excerpt shows, without recursion, so an array
    of ten million items or nested a million levels deep costs the same as a
    short one (json.dumps would walk it all, and raise RecursionError).
    """
    if value is _MISSING:
        return "nothing"
    out: list[str] = []
    size = 0
    # A stack of pending work: values to render, or literal text to emit.
    stack: list[tuple[bool, object]] = [(True, value)]
    depth = 0
    while stack and size <= _SHOW_CHARS:
        is_value, item = stack.pop()
        if not is_value:
            text = str(item)
            depth -= text in ("]", "}")
        elif isinstance(item, (list, tuple)) and depth < _SHOW_DEPTH:
            text, depth = "[", depth + 1
            stack.append((False, "]"))
            for i in range(min(len(item), _SHOW_CHARS) - 1, -1, -1):
                stack.append((True, item[i]))
                if i:
                    stack.append((False, ", "))
        elif isinstance(item, dict) and depth < _SHOW_DEPTH:
            text, depth = "{", depth + 1
            stack.append((False, "}"))
            entries = list(itertools.islice(item.items(), _SHOW_CHARS))
            for i in range(len(entries) - 1, -1, -1):
                key, member = entries[i]
                stack.append((True, member))
                # Keys are strings in JSON; a Python caller's may be anything.
                key_text = _scalar(key if isinstance(key, str) else _scalar(key))
                stack.append((False, key_text + ": "))
                if i:
                    stack.append((False, ", "))
        else:
            text = _scalar(item)
        out.append(text)
        size += len(text)
    text = "".join(out)
    return text if len(text) <= _SHOW_CHARS and not stack else text[: _SHOW_CHARS - 3] + "..."


def _scalar(value: object) -> str:
    """One JSON scalar, never longer than needed for an excerpt."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        # str() of a huge int is slow, and refused past 4300 digits (CVE-2020-10735).
        if value.bit_length() > 14_000:
            return "<an integer of more than 4000 digits>"
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value[: _SHOW_CHARS + 1])
    return f"<{type(value).__name__}>"
