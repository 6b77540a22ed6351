"""The package's own quality gates, so `pytest runtime/tests` covers them too."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

RUNTIME = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    "command",
    [
        ["mypy", "--strict", "src", "tests", "benchmarks"],
        ["ruff", "check", "src", "tests", "benchmarks"],
        ["ruff", "format", "--check", "src", "tests", "benchmarks"],
    ],
    ids=["mypy", "ruff-check", "ruff-format"],
)
def test_clean(command: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", *command], cwd=RUNTIME, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
