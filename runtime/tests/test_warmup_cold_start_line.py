"""The log line of a user-facing cold start, which the component's metric filter counts."""

from __future__ import annotations

import copy
from typing import Any

from mangum import Mangum

from mangum_warmup import COLD_START_EVENT, warmable
from warmup_app import make_app
from warmup_events import HTTP_EVENTS
from warmup_helpers import FakeContext, http, warm, warmup_event

GET = sorted(HTTP_EVENTS)[0]


def cold_lines(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [line for line in lines if line.get("event") == COLD_START_EVENT]


def test_a_users_first_request_in_an_unwarmed_environment_logs_one_cold_start(
    log_lines: list[dict[str, Any]],
) -> None:
    handler = warmable(Mangum(make_app()[0]))
    http(handler, copy.deepcopy(HTTP_EVENTS[GET]), FakeContext(aws_request_id="u-1"))
    http(handler, copy.deepcopy(HTTP_EVENTS[GET]), FakeContext(aws_request_id="u-2"))
    lines = cold_lines(log_lines)
    assert len(lines) == 1
    line = lines[0]
    assert line["requestId"] == "u-1"
    assert line["functionVersion"] == "7"
    assert line["instanceId"] == handler.instance_id
    assert isinstance(line["initMs"], float)
    assert line["initMs"] >= 0


def test_a_warmed_environment_logs_no_cold_start_for_its_users(
    log_lines: list[dict[str, Any]],
) -> None:
    handler = warmable(Mangum(make_app()[0]))
    assert warm(handler, warmup_event())["coldStart"] is True
    http(handler, copy.deepcopy(HTTP_EVENTS[GET]))
    assert cold_lines(log_lines) == []


def test_a_snapstart_restore_is_a_new_environment_again(log_lines: list[dict[str, Any]]) -> None:
    handler = warmable(Mangum(make_app()[0]))
    warm(handler, warmup_event())
    handler.after_restore()
    http(handler, copy.deepcopy(HTTP_EVENTS[GET]))
    assert len(cold_lines(log_lines)) == 1


def test_the_line_holds_no_request_content(log_lines: list[dict[str, Any]]) -> None:
    # The metric filter needs only the event name; anything from the request could carry a secret.
    handler = warmable(Mangum(make_app()[0]))
    http(handler, copy.deepcopy(HTTP_EVENTS[GET]))
    (line,) = cold_lines(log_lines)
    assert sorted(line) == ["event", "functionVersion", "initMs", "instanceId", "requestId"]
