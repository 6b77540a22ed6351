"""Priming: one synthetic GET through the wrapped handler, so the app's lazy first-request work
happens during a warm-up instead of in a user's request.

What it warms in a FastAPI app: Starlette builds its middleware stack on the
first call, FastAPI imports anyio's thread-pool backend on the first ``def``
route, and Mangum, the router and the JSON response path run for the first
time. Measured on the rehearsal app: 35-40 ms of CPU per environment.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from .checks import ConfigurationError, describe_error, redact
from .protocol import CheckResult

PRIME_USER_AGENT = "pulumi-mangum-warmup/1"
"""User agent of the synthetic request; with the ``x-mangum-warmup: 1`` header, how an app's
logs can tell it apart. The same as the hooks' http-mode warm-up (hooks/warm.ts)."""

_MAX_BODY_CHARS = 200


def prime_paths(value: str | Sequence[str] | None) -> list[str]:
    """Validate warmable()'s ``prime``: a path, or a list of paths, each starting with '/'."""
    if value is None:
        return []
    paths = [value] if isinstance(value, str) else value
    if not isinstance(paths, Sequence):
        kind = type(value).__name__
        raise ConfigurationError(
            f"prime must be a path like '/healthz' or a list of paths, got {kind}"
        )
    for path in paths:
        if not isinstance(path, str) or not path.startswith("/"):
            raise ConfigurationError(f"a prime path must start with '/', got {path!r}")
    return list(dict.fromkeys(paths))


def prime_key(path: str) -> str:
    """The name a prime's outcome has in a reply's ``init`` map."""
    return f"prime GET {path}"


def prime_event(path_with_query: str) -> dict[str, Any]:
    """An API Gateway HTTP API (payload 2.0) GET, equal to contract/fixtures/http-event.healthz.json
    for "/healthz". Host, ids and time are fixed placeholders: Mangum needs them present, an app
    never needs them real."""
    path, _, query = path_with_query.partition("?")
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": {
            "host": "warmup.invalid",
            "user-agent": PRIME_USER_AGENT,
            "x-mangum-warmup": "1",
        },
        "requestContext": {
            "accountId": "anonymous",
            "apiId": "warmup",
            "domainName": "warmup.invalid",
            "domainPrefix": "warmup",
            "http": {
                "method": "GET",
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": PRIME_USER_AGENT,
            },
            "requestId": "warmup",
            "routeKey": "$default",
            "stage": "$default",
            "time": "01/Jan/2026:00:00:00 +0000",
            "timeEpoch": 1767225600000,
        },
        "isBase64Encoded": False,
    }


Handler = Callable[[dict[str, Any], Any], object]


def run_prime(handler: Handler, path: str, context: object) -> CheckResult:
    """Send the GET through ``handler`` and judge its status; never raises.

    It runs on the invocation's own thread, as Mangum runs every request (on
    its event loop, which belongs to this thread), so it has no timeout of its
    own: a route that hangs holds the warm-up until the function times out.
    """
    started = time.perf_counter()
    try:
        response = handler(prime_event(path), context)
    except (Exception, SystemExit) as exc:  # SystemExit too: the runtime must go on
        return _result(started, describe_error(exc))
    reply: dict[str, Any] = response if isinstance(response, dict) else {}
    status = reply.get("statusCode")
    if not isinstance(status, int) or isinstance(status, bool):
        return _result(
            started, "the wrapped handler's reply has no statusCode: is it a Mangum handler?"
        )
    if not 200 <= status < 400:
        return _result(started, f"GET {path} answered {status}{_body_excerpt(reply)}")
    return _result(started, None)


def _body_excerpt(response: dict[str, Any]) -> str:
    body = response.get("body")
    if not isinstance(body, str) or not body or response.get("isBase64Encoded"):
        return ""
    text = redact(" ".join(body.split()))
    return f": {text if len(text) <= _MAX_BODY_CHARS else text[: _MAX_BODY_CHARS - 3] + '...'}"


def _result(started: float, error: str | None) -> CheckResult:
    ms = round((time.perf_counter() - started) * 1000, 1)
    return {"ok": True, "ms": ms} if error is None else {"ok": False, "ms": ms, "error": error}
