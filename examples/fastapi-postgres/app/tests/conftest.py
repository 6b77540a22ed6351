"""app/main.py against a real throwaway PostgreSQL, with Secrets Manager faked.

The server comes from runtime/tests/pgserver.py, the project's one way of
starting PostgreSQL for tests. boto3 is replaced by a stand-in that answers
GetSecretValue for the one ARN the environment names, so the app's real path
from secret to connection runs without AWS.
"""

from __future__ import annotations

import json
import sys
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

MAIN = Path(__file__).resolve().parents[1] / "main.py"
sys.path.insert(0, str(Path(__file__).resolve().parents[4] / "runtime" / "tests"))

from pgserver import PostgresServer  # noqa: E402


@dataclass
class FakeSecretsManager:
    """Answers GetSecretValue like Secrets Manager does for an RDS-managed secret."""

    arn: str
    username: str
    password: str
    calls: list[dict[str, Any]] = field(default_factory=list)

    def get_secret_value(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        if kwargs.get("SecretId") != self.arn:
            raise LookupError(f"ResourceNotFoundException: no secret {kwargs.get('SecretId')}")
        secret = {"username": self.username, "password": self.password}
        return {"ARN": self.arn, "SecretString": json.dumps(secret)}


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    with PostgresServer.start() as server:
        yield server


@pytest.fixture
def secrets(postgres: PostgresServer) -> FakeSecretsManager:
    arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-0a1b2c3d-Xy12Zq"
    return FakeSecretsManager(arn, "postgres", postgres.password)


@pytest.fixture
def main(
    postgres: PostgresServer,
    secrets: FakeSecretsManager,
    monkeypatch: pytest.MonkeyPatch,
    load_app: Callable[[Path, str], types.ModuleType],
) -> Iterator[Any]:
    """main.py imported fresh, the way a new execution environment imports it."""
    clients: list[str] = []

    def client(service_name: str, **_: Any) -> FakeSecretsManager:
        clients.append(service_name)
        return secrets

    monkeypatch.setitem(sys.modules, "boto3", types.SimpleNamespace(client=client))
    monkeypatch.setenv("DB_SECRET_ARN", secrets.arn)
    monkeypatch.setenv("DB_HOST", "127.0.0.1")
    monkeypatch.setenv("DB_PORT", str(postgres.port))
    monkeypatch.setenv("DB_NAME", "postgres")
    monkeypatch.setenv("DB_SSLMODE", "disable")  # the throwaway server has no certificate

    module = load_app(MAIN, "fastapi_postgres_main")
    module.boto3_clients = clients
    try:
        yield module
    finally:
        module.pool.close()
