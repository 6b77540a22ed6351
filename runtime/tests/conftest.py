from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings
from hypothesis.configuration import set_hypothesis_home_dir

import mangum_warmup.handler
import mangum_warmup.prime
from mangum_warmup import LOGGER_NAME
from pgserver import PostgresServer
from warmup_helpers import FakeClock, FakeContext

# Hypothesis keeps caches in a directory of its own: outside the checkout, like
# every other cache of the project. No example database: the fuzzing is seeded
# afresh each run, and a failure prints its reproducing example.
set_hypothesis_home_dir(
    Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    / "pulumi-mangum"
    / "hypothesis"
)
settings.register_profile("pulumi-mangum", database=None)
settings.load_profile("pulumi-mangum")


@pytest.fixture
def context() -> FakeContext:
    return FakeContext()


@pytest.fixture(scope="session")
def pg() -> Iterator[PostgresServer]:
    """A real PostgreSQL server for the whole session (scripts/postgres.sh provisions it)."""
    with PostgresServer.start() as server:
        yield server


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(record.getMessage()))


@pytest.fixture
def log_lines() -> Iterator[list[dict[str, Any]]]:
    """The JSON lines mangum-warmup logs during one test, parsed."""
    handler = _Collect()
    logger = logging.getLogger(LOGGER_NAME)
    logger.addHandler(handler)
    try:
        yield handler.lines
    finally:
        logger.removeHandler(handler)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """The handler's and the prime's `time`, replaced by a FakeClock."""
    fake = FakeClock()
    for module in (mangum_warmup.handler, mangum_warmup.prime):
        monkeypatch.setattr(module, "time", fake)
    return fake
