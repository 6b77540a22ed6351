"""Priming: one synthetic GET through the wrapped handler, so the app's lazy first-request work
happens during a warm-up instead of in a user's request.

What it warms in a FastAPI app: Starlette builds its middleware stack on the
first call, FastAPI imports anyio's thread-pool backend on the first ``def``
route, and Mangum, the router and the JSON response path run for the first
time. Measured on the rehearsal app: 35-40 ms of CPU per environment.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .checks import ConfigurationError, describe_error
from .protocol import CheckResult
from .redact import Redactor, clean, default_redactor

PRIME_USER_AGENT = "pulumi-mangum-warmup/1"
"""User agent of the synthetic request, as in the hooks' http-mode warm-up (hooks/warm.ts).
Readable in access logs, but any client can send it: use is_warmup_request() to decide."""

WARMUP_API_ID = "pulumi-mangum-warmup"
WARMUP_DOMAIN_NAME = "warmup.pulumi-mangum.invalid"
"""The requestContext that marks a synthetic warm-up request (the contract's marker).

Lambda fills ``requestContext`` itself for a request that comes through a
function URL (apiId: the URL's id; domainName: its host) and API Gateway does
for an API (payload format 1.0 and 2.0), so no client of those can choose
these values; only a direct Invoke, which needs lambda:InvokeFunction, can.
Sources: AWS Lambda developer guide, "Invoking Lambda function URLs", Request
payload (https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html);
API Gateway developer guide, "Create AWS Lambda proxy integrations for HTTP
APIs", payload format (https://docs.aws.amazon.com/apigateway/latest/developerguide/
http-api-develop-integrations-lambda.html). ``.invalid`` is reserved by RFC 2606:
no real domain name can be it.
"""

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
            "apiId": WARMUP_API_ID,
            "domainName": WARMUP_DOMAIN_NAME,
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


def is_warmup_request(scope: Mapping[str, Any]) -> bool:
    """True for a synthetic warm-up request (the helper's prime, the hooks' http mode).

    ``scope`` is the ASGI scope of a request Mangum passed to the app (e.g.
    Starlette's ``request.scope``); the test reads the Lambda event Mangum keeps
    in ``scope["aws.event"]``. Unlike the ``x-mangum-warmup`` header and the
    user agent, which any client can send, the marker can only come from a
    direct Invoke. Never raises; False for anything that is not such a request.
    """
    event = scope.get("aws.event") if isinstance(scope, Mapping) else None
    context = event.get("requestContext") if isinstance(event, Mapping) else None
    if not isinstance(context, Mapping):
        return False
    return context.get("apiId") == WARMUP_API_ID and (
        context.get("domainName") == WARMUP_DOMAIN_NAME
    )


Handler = Callable[[dict[str, Any], Any], object]


def run_prime(
    handler: Handler, path: str, context: object, redactor: Redactor | None = None
) -> CheckResult:
    """Send the GET through ``handler`` and judge its status; never raises.

    It runs on the invocation's own thread, as Mangum runs every request (on
    its event loop, which belongs to this thread), so it has no timeout of its
    own: a route that hangs holds the warm-up until the function times out.
    """
    started = time.perf_counter()
    try:
        response = handler(prime_event(path), context)
    except (Exception, SystemExit) as exc:  # SystemExit too: the runtime must go on
        return _result(started, describe_error(exc, redactor))
    reply: dict[str, Any] = response if isinstance(response, dict) else {}
    status = reply.get("statusCode")
    if not isinstance(status, int) or isinstance(status, bool):
        return _result(
            started, "the wrapped handler's reply has no statusCode: is it a Mangum handler?"
        )
    if not 200 <= status < 400:
        excerpt = _body_excerpt(reply, redactor or default_redactor())
        return _result(started, f"GET {path} answered {status}{excerpt}")
    return _result(started, None)


def _body_excerpt(response: dict[str, Any], redactor: Redactor) -> str:
    body = response.get("body")
    if not isinstance(body, str) or not body or response.get("isBase64Encoded"):
        return ""
    return f": {clean(body, redactor, _MAX_BODY_CHARS)}"


def _result(started: float, error: str | None) -> CheckResult:
    ms = round((time.perf_counter() - started) * 1000, 1)
    return {"ok": True, "ms": ms} if error is None else {"ok": False, "ms": ms, "error": error}
