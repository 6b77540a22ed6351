"""One Lambda event per kind Mangum handles, built the way AWS sends them."""

from __future__ import annotations

import base64
import json
from typing import Any

Event = dict[str, Any]


def rest_v1(method: str, path: str, body: str | None = None, query: str = "") -> Event:
    """API Gateway REST API (payload 1.0)."""
    params = dict(p.split("=", 1) for p in query.split("&")) if query else None
    return {
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": method,
        "headers": {"Host": "abc.execute-api.us-east-1.amazonaws.com", "User-Agent": "curl/8"},
        "multiValueHeaders": {
            "Host": ["abc.execute-api.us-east-1.amazonaws.com"],
            "User-Agent": ["curl/8"],
            "Cookie": ["x=1", "y=2"],
        },
        "queryStringParameters": params,
        "multiValueQueryStringParameters": {k: [v] for k, v in params.items()} if params else None,
        "pathParameters": {"proxy": path.lstrip("/")},
        "stageVariables": None,
        "requestContext": {
            "resourcePath": "/{proxy+}",
            "httpMethod": method,
            "path": f"/prod{path}",
            "stage": "prod",
            "requestId": "rest-1",
            "identity": {"sourceIp": "203.0.113.9"},
        },
        "body": body,
        "isBase64Encoded": False,
    }


def http_v2(
    method: str, path: str, body: str | None = None, query: str = "", domain: str | None = None
) -> Event:
    """API Gateway HTTP API (payload 2.0); with a lambda-url domain, a Function URL."""
    domain = domain or "abc.execute-api.us-east-1.amazonaws.com"
    event: Event = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "cookies": ["x=1", "y=2"],
        "headers": {"host": domain, "user-agent": "curl/8", "x-forwarded-proto": "https"},
        "requestContext": {
            "domainName": domain,
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.9",
            },
            "requestId": "v2-1",
            "stage": "$default",
        },
        "isBase64Encoded": False,
    }
    if body is not None:
        event["body"] = base64.b64encode(body.encode()).decode()
        event["isBase64Encoded"] = True
    return event


def http_v1(method: str, path: str) -> Event:
    """API Gateway HTTP API with payload format 1.0."""
    event = rest_v1(method, path)
    event.pop("resource")
    event["version"] = "1.0"
    return event


def function_url(method: str, path: str, body: str | None = None) -> Event:
    return http_v2(method, path, body, domain="abc123.lambda-url.us-east-1.on.aws")


def alb(method: str, path: str, body: str | None = None, multi_value: bool = False) -> Event:
    """Application Load Balancer target group, with or without multi-value headers enabled."""
    headers = {"host": "alb.example.com", "user-agent": "curl/8", "x-forwarded-proto": "http"}
    event: Event = {
        "requestContext": {"elb": {"targetGroupArn": "arn:aws:elasticloadbalancing:tg"}},
        "httpMethod": method,
        "path": path,
        "body": body or "",
        "isBase64Encoded": False,
    }
    if multi_value:
        event["multiValueHeaders"] = {k: [v] for k, v in headers.items()}
        event["multiValueQueryStringParameters"] = {"q": ["x"]}
    else:
        event["headers"] = headers
        event["queryStringParameters"] = {"q": "x"}
    return event


def edge(method: str, path: str, body: str | None = None) -> Event:
    """Lambda@Edge origin request from CloudFront."""
    request: dict[str, Any] = {
        "clientIp": "203.0.113.9",
        "method": method,
        "uri": path,
        "querystring": "q=x",
        "headers": {
            "host": [{"key": "Host", "value": "d111111abcdef8.cloudfront.net"}],
            "user-agent": [{"key": "User-Agent", "value": "curl/8"}],
        },
    }
    if body is not None:
        request["body"] = {"data": base64.b64encode(body.encode()).decode(), "encoding": "base64"}
    return {"Records": [{"cf": {"config": {"eventType": "origin-request"}, "request": request}}]}


JSON_BODY = json.dumps({"hello": "world"})

# Every kind of HTTP event, each with a plain GET, a POST with a body, a binary
# response and an app error.
HTTP_EVENTS: dict[str, Event] = {}
for kind, build in {
    "rest-v1": rest_v1,
    "http-v2": http_v2,
    "function-url": function_url,
    "alb": alb,
    "edge": edge,
}.items():
    HTTP_EVENTS[f"{kind} GET item"] = build("GET", "/items/42")
    HTTP_EVENTS[f"{kind} POST echo"] = build("POST", "/echo", JSON_BODY)
    HTTP_EVENTS[f"{kind} GET png"] = build("GET", "/png")
    HTTP_EVENTS[f"{kind} GET boom"] = build("GET", "/boom")
    HTTP_EVENTS[f"{kind} GET missing"] = build("GET", "/nowhere")
HTTP_EVENTS["rest-v1 GET item with query"] = rest_v1("GET", "/items/7", query="q=x")
HTTP_EVENTS["http-v2 GET item with query"] = http_v2("GET", "/items/7", query="q=x")
HTTP_EVENTS["http-v1 GET item"] = http_v1("GET", "/items/7")
HTTP_EVENTS["alb multi-value GET item"] = alb("GET", "/items/7", multi_value=True)
