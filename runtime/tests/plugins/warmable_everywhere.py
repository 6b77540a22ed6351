"""pytest plugin for Mangum's own test suite: every Mangum handler its tests build is warmable().

Loaded with ``-p warmable_everywhere`` by test_mangum_suite.py, with the suite's
source tree first on PYTHONPATH. Module scope runs before any test module is
imported, so their ``from mangum import Mangum`` gets the wrapping factory.
Tests that need Docker and LocalStack (a real Lambda running the sdist's own,
unwrapped echo handler in a container) are deselected: the wrapper has no part
in them. What ran is written as JSON to $PM_SUITE_REPORT.
"""

from __future__ import annotations

import json
import os
from typing import Any

import mangum
import pytest

from mangum_warmup import Warmable, warmable

_REAL = mangum.Mangum
_wrapped: list[Warmable[Any, Any]] = []
_outcomes: dict[str, str] = {}
_deselected: list[str] = []


def _wrapping_mangum(*args: Any, **kwargs: Any) -> Warmable[Any, Any]:
    handler = warmable(_REAL(*args, **kwargs))
    _wrapped.append(handler)
    return handler


mangum.Mangum = _wrapping_mangum  # type: ignore[assignment,misc]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    keep: list[pytest.Item] = []
    drop: list[pytest.Item] = []
    for item in items:
        (drop if "localstack" in getattr(item, "fixturenames", ()) else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
        _deselected.extend(item.nodeid for item in drop)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    # A failed setup or teardown counts against the test as well as a failed call.
    if report.failed:
        _outcomes[report.nodeid] = "failed"
    elif report.skipped:
        _outcomes.setdefault(report.nodeid, "skipped")
    elif report.when == "call":
        _outcomes.setdefault(report.nodeid, "passed")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    path = os.environ.get("PM_SUITE_REPORT")
    if not path:
        return
    report = {
        "exitstatus": int(exitstatus),
        "wrapped": len(_wrapped),
        "outcomes": _outcomes,
        "deselected": sorted(_deselected),
    }
    with open(path, "w", encoding="utf-8") as out:
        json.dump(report, out, indent=1)
