"""Fixtures shared by the example apps' tests: the Lambda context, the contract's
events (contract/fixtures, the same files the hooks are tested against) and a
loader that imports an example's main.py under a name of its own."""

from __future__ import annotations

import copy
import importlib.util
import json
import types
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
CONTRACT = REPO_ROOT / "contract" / "fixtures"


@dataclass
class LambdaContext:
    """The context object Lambda's Python runtime passes to a handler."""

    function_version: str = "7"
    aws_request_id: str = "3f1c2e9a-0000-4000-8000-000000000001"
    function_name: str = "api"
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:api:7"
    memory_limit_in_mb: int = 1024
    log_group_name: str = "/aws/lambda/api"
    log_stream_name: str = "2026/01/01/[7]0123456789abcdef"
    identity: None = None
    client_context: None = None

    def get_remaining_time_in_millis(self) -> int:
        return 15_000


@pytest.fixture
def lambda_context() -> LambdaContext:
    return LambdaContext()


@pytest.fixture
def contract_event() -> Callable[[str], dict[str, Any]]:
    """A fresh copy of one contract fixture, e.g. ``contract_event("event.pre-traffic.json")``."""
    cache: dict[str, dict[str, Any]] = {}

    def load(name: str) -> dict[str, Any]:
        if name not in cache:
            cache[name] = json.loads((CONTRACT / name).read_text())
        return copy.deepcopy(cache[name])

    return load


@pytest.fixture
def load_app() -> Callable[[Path, str], types.ModuleType]:
    """Imports ``path`` as module ``name``: both examples have a main.py, and each
    import is a new execution environment's import."""

    def load(path: Path, name: str) -> types.ModuleType:
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    return load
