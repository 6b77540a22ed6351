"""warmable(Mangum(app)) is still a Mangum to whoever uses it: Mangum's own suite, wrapped.

The suite comes from PyPI at test time (mangum_suite.py) into a cache outside
the checkout. No network is a failure, not a skip: CI and developers' machines
reach the package index, and a silent skip would hide a regression exactly
when the index or the sdist changed. Only a user who says so (PM_OFFLINE=1)
gets a skip, with the reason printed in the summary.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

import mangum_suite
from mangum_suite import SuiteUnavailable

RUNTIME = Path(__file__).resolve().parents[1]
PLUGINS = Path(__file__).resolve().parent / "plugins"

# The suite's tests that need Docker and LocalStack: they deploy the sdist's own
# echo handler, unwrapped, to a containerised Lambda, so the wrapper is not in them.
LOCALSTACK_ONLY = {
    "tests/handlers/test_api_gateway.py::test_aws_api_gateway_real_lambda_get",
    "tests/handlers/test_api_gateway.py::test_aws_api_gateway_real_lambda_post",
    "tests/handlers/test_http_gateway.py::test_aws_http_gateway_real_lambda_get",
    "tests/handlers/test_http_gateway.py::test_aws_http_gateway_real_lambda_post",
}


@pytest.fixture(scope="module")
def suite() -> mangum_suite.Suite:
    offline = mangum_suite.offline_reason()
    if offline:
        pytest.skip(f"NOT RUN: Mangum's own test suite needs PyPI once, and {offline}")
    try:
        return mangum_suite.prepare(mangum_suite.pinned_mangum_version())
    except SuiteUnavailable as exc:
        problem = str(exc)
    pytest.fail(problem, pytrace=False)


def test_mangums_own_suite_passes_with_every_handler_wrapped(
    suite: mangum_suite.Suite, tmp_path: Path
) -> None:
    report_path = tmp_path / "report.json"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")},
        # The sdist's own source first: the plugin imports mangum before pytest
        # puts the rootdir on sys.path. The helper comes from this checkout.
        "PYTHONPATH": os.pathsep.join([str(suite.source), str(PLUGINS), str(RUNTIME / "src")]),
        "PM_SUITE_REPORT": str(report_path),
    }
    done = subprocess.run(
        [
            str(suite.python),
            "-m",
            "pytest",
            "-p",
            "warmable_everywhere",
            "-p",
            "no:cacheprovider",
            "-q",
            "tests",
        ],
        cwd=suite.source,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    output = (done.stdout + done.stderr)[-6000:]
    assert report_path.exists(), output
    report = json.loads(report_path.read_text())
    failed = sorted(k for k, v in report["outcomes"].items() if v == "failed")
    assert failed == [], output
    assert done.returncode == 0, output
    assert set(report["deselected"]) == LOCALSTACK_ONLY
    passed = [k for k, v in report["outcomes"].items() if v == "passed"]
    assert len(passed) >= 106, output  # the whole suite ran (0.22.0: 106 + 4 LocalStack)
    assert report["wrapped"] >= 40, output  # its handlers really were built through warmable()
