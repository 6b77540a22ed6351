"""A FastAPI app on PostgreSQL, served by Mangum and warmed by pulumi-mangum.

Everything expensive happens once per execution environment, at import: the
database secret is read from Secrets Manager and the connection pool is built.
The pre-traffic warm-up then opens the pool and runs ``SELECT 1`` in every
environment it warms, so the first real request finds a live connection.

Environment (set by the Pulumi program):
    DB_SECRET_ARN  ARN of the RDS-managed secret ({"username", "password"})
    DB_HOST, DB_PORT, DB_NAME
    DB_SSLMODE     libpq sslmode; default "require" (RDS for PostgreSQL enforces TLS)
"""

from __future__ import annotations

# First, so that the `initMs` it reports counts the imports below (FastAPI, boto3, psycopg).
import mangum_warmup  # noqa: F401  isort: skip

import json
import os
import threading
import time
from collections.abc import Callable
from typing import Any

import boto3
from fastapi import FastAPI
from mangum import Mangum
from mangum_warmup import psycopg_check, warmable
from psycopg_pool import ConnectionPool

# RDS rotates the managed password (every 7 days by default). Connections already
# open keep working; a new connection made after a rotation needs the new value,
# so the cached copy is re-read at most this often.
SECRET_MAX_AGE_S = 300.0


class DatabaseSecret:
    """The secret's username and password, read once and refreshed after ``max_age_s``."""

    def __init__(
        self,
        client: Any,
        arn: str,
        max_age_s: float = SECRET_MAX_AGE_S,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._arn = arn
        self._max_age_s = max_age_s
        self._now = now
        self._lock = threading.Lock()
        self._value: dict[str, str] | None = None
        self._read_at = 0.0

    def credentials(self) -> dict[str, str]:
        """``{"user", "password"}`` for psycopg; never logged."""
        with self._lock:
            if self._value is None or self._now() - self._read_at >= self._max_age_s:
                reply = self._client.get_secret_value(SecretId=self._arn)
                secret = json.loads(reply["SecretString"])
                self._value = {"user": secret["username"], "password": secret["password"]}
                self._read_at = self._now()
            return dict(self._value)


# One client per environment, created at import like every other expensive object.
secret = DatabaseSecret(boto3.client("secretsmanager"), os.environ["DB_SECRET_ARN"])
secret.credentials()  # during initialisation, not on the first request

pool: ConnectionPool[Any] = ConnectionPool(
    " ".join(
        f"{key}={value}"
        for key, value in {
            "host": os.environ["DB_HOST"],
            "port": os.environ.get("DB_PORT", "5432"),
            "dbname": os.environ["DB_NAME"],
            "sslmode": os.environ.get("DB_SSLMODE", "require"),
            "connect_timeout": "5",
            "application_name": os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "fastapi-postgres"),
        }.items()
    ),
    # Called for every new connection, so a reconnect after a rotation gets the new password.
    kwargs=secret.credentials,
    # An environment serves one request at a time: one connection is all it uses.
    min_size=1,
    max_size=1,
    # Opened by the warm-up's db check (or the first request), not at import.
    open=False,
    # The environment may have been frozen for minutes: test a connection before handing it out.
    check=ConnectionPool.check_connection,
)

app = FastAPI(title="fastapi-postgres")


@app.get("/")
def index() -> dict[str, str]:
    return {
        "service": "fastapi-postgres",
        "version": os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "local"),
    }


@app.get("/healthz")
def healthz() -> dict[str, bool]:
    return {"ok": True}


@app.get("/db")
def database() -> dict[str, Any]:
    """One query through the pooled connection: which database, which server, what time."""
    pool.open()  # a no-op once open; the first request of an unwarmed environment opens it
    with pool.connection() as conn:
        row = conn.execute(
            "SELECT current_database(), current_setting('server_version'), now()"
        ).fetchone()
    assert row is not None
    return {"database": row[0], "serverVersion": row[1], "now": row[2].isoformat()}


# Both routes only read: priming them runs the middleware stack, the routes and the pool's
# first query in every new environment before its first user.
handler = warmable(
    Mangum(app, lifespan="off"),
    checks={"db": psycopg_check(pool)},
    prime=["/healthz", "/db"],
)
