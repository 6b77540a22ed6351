"""The built-in database checks against a real PostgreSQL server."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from unittest.mock import ANY

import psycopg
import pytest
import sqlalchemy
import sqlalchemy.ext.asyncio
from mangum import Mangum
from psycopg_pool import AsyncConnectionPool, ConnectionPool

from mangum_warmup import ConfigurationError, psycopg_check, sqlalchemy_check, warmable
from pgserver import PostgresServer, free_port
from warmup_app import make_app
from warmup_events import http_v2
from warmup_helpers import http, warm, warmup_event


@pytest.fixture
def pool(pg: PostgresServer) -> Iterator[ConnectionPool[Any]]:
    """Created the way the README says: at module scope, not opened."""
    pool: ConnectionPool[Any] = ConnectionPool(pg.dsn, open=False, min_size=1, max_size=1)
    yield pool
    pool.close()


def test_the_warmup_opens_the_pool_and_leaves_a_live_connection_for_the_first_request(
    pool: ConnectionPool[Any],
) -> None:
    app, _ = make_app(pool=pool)
    handler = warmable(Mangum(app), checks={"db": psycopg_check(pool)})
    assert pool.closed

    reply = warm(handler, warmup_event(checks=["db"]))
    assert reply["ok"] is True
    assert reply["checks"]["db"]["ok"] is True
    assert reply["checks"]["db"]["ms"] > 0
    stats = pool.get_stats()
    assert (stats["connections_num"], stats["pool_available"]) == (1, 1)

    assert http(handler, http_v2("GET", "/db"))["statusCode"] == 200
    assert pool.get_stats()["connections_num"] == 1  # the request reused the warmed connection


def test_the_warmup_does_not_make_a_pool_with_room_to_grow_open_a_second_connection(
    pg: PostgresServer,
) -> None:
    # Asking an opening pool for a connection before its first one is ready
    # would queue the request and grow the pool; the next request would then
    # get the second, never-used connection.
    pool: ConnectionPool[Any] = ConnectionPool(pg.dsn, open=False, min_size=1, max_size=4)
    try:
        app, _ = make_app(pool=pool)
        handler = warmable(Mangum(app), checks={"db": psycopg_check(pool)})
        assert warm(handler, warmup_event())["ok"] is True
        stats = pool.get_stats()
        assert (stats["connections_num"], stats["pool_size"]) == (1, 1)
        warmed_pid = http(handler, http_v2("GET", "/db"))["body"]
        assert http(handler, http_v2("GET", "/db"))["body"] == warmed_pid
        assert pool.get_stats()["connections_num"] == 1
    finally:
        pool.close()


def test_an_unreachable_server_is_reported_with_the_drivers_reason() -> None:
    port = free_port()  # nothing listens there
    pool: ConnectionPool[Any] = ConnectionPool(
        f"postgresql://app:hunter2@127.0.0.1:{port}/app", open=False, min_size=1
    )
    try:
        handler = warmable(Mangum(make_app()[0]), checks={"db": psycopg_check(pool)})
        reply = warm(handler, warmup_event())
    finally:
        pool.close()
    result = reply["checks"]["db"]
    assert reply["ok"] is False
    assert result["ok"] is False
    error = result.get("error", "")
    assert error.startswith(
        f'OperationalError: connection failed: connection to server at "127.0.0.1", port {port} '
        "failed: Connection refused"
    )
    assert "hunter2" not in error


def test_a_wrong_password_is_reported_without_any_password(pg: PostgresServer) -> None:
    pool: ConnectionPool[Any] = ConnectionPool(
        pg.dsn.replace(pg.password, "not-the-password"), open=False, min_size=1
    )
    try:
        reply = warm(
            warmable(Mangum(make_app()[0]), checks={"db": psycopg_check(pool)}), warmup_event()
        )
    finally:
        pool.close()
    error = reply["checks"]["db"].get("error", "")
    assert 'password authentication failed for user "postgres"' in error
    assert "not-the-password" not in error
    assert pg.password not in error


def test_a_server_that_stops_fails_the_check_and_recovers_when_it_returns() -> None:
    with PostgresServer.start() as server:
        pool: ConnectionPool[Any] = ConnectionPool(server.dsn, open=False, min_size=1)
        try:
            handler = warmable(Mangum(make_app()[0]), checks={"db": psycopg_check(pool)})
            assert warm(handler, warmup_event())["ok"] is True
            server.stop()
            # The pooled connection died with the server, then nothing answers.
            assert warm(handler, warmup_event())["checks"]["db"] == {
                "ok": False,
                "ms": ANY,
                "error": "AdminShutdown: terminating connection due to administrator command",
            }
            error = warm(handler, warmup_event())["checks"]["db"].get("error", "")
            assert "Connection refused" in error
            server.restart()
            # psycopg_pool retries with a growing backoff; until its next try the
            # check says the server is back but the pool is not yet.
            for _ in range(8):
                reply = warm(handler, warmup_event())
                if reply["ok"]:
                    break
                assert (
                    reply["checks"]["db"]
                    .get("error", "")
                    .endswith(
                        "(a direct connection succeeded: the pool is exhausted, "
                        "or waiting to retry after a failed connection)"
                    )
                )
            else:
                pytest.fail("the pool never reconnected")
        finally:
            pool.close()


def test_a_closed_pool_cannot_reopen_and_says_so(pg: PostgresServer) -> None:
    pool: ConnectionPool[Any] = ConnectionPool(pg.dsn, open=True, min_size=1)
    pool.close()
    reply = warm(
        warmable(Mangum(make_app()[0]), checks={"db": psycopg_check(pool)}), warmup_event()
    )
    assert reply["checks"]["db"].get("error") == (
        "PoolClosed: pool has already been opened/closed and cannot be reused"
    )


def test_a_plain_connection_is_checked_and_left_idle(pg: PostgresServer) -> None:
    with psycopg.connect(pg.dsn) as conn:
        handler = warmable(Mangum(make_app()[0]), checks={"db": psycopg_check(conn, "SELECT 42")})
        assert warm(handler, warmup_event())["checks"]["db"]["ok"] is True
        assert conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE


def test_a_failing_query_reports_the_database_error(pool: ConnectionPool[Any]) -> None:
    handler = warmable(
        Mangum(make_app()[0]), checks={"db": psycopg_check(pool, "SELECT * FROM nope")}
    )
    error = warm(handler, warmup_event())["checks"]["db"].get("error")
    assert error == 'UndefinedTable: relation "nope" does not exist LINE 1: SELECT * FROM nope ^'


def test_sqlalchemy_engine_is_checked_and_keeps_its_connection(pg: PostgresServer) -> None:
    engine = sqlalchemy.create_engine(pg.dsn.replace("postgresql://", "postgresql+psycopg://"))
    try:
        handler = warmable(Mangum(make_app()[0]), checks={"db": sqlalchemy_check(engine)})
        assert warm(handler, warmup_event())["checks"]["db"]["ok"] is True
        assert engine.pool.checkedin() == 1  # type: ignore[attr-defined]
    finally:
        engine.dispose()


def test_an_async_user_check_warms_the_async_pool_the_app_uses(pg: PostgresServer) -> None:
    apool: AsyncConnectionPool[Any] = AsyncConnectionPool(
        pg.dsn, open=False, min_size=1, max_size=1
    )

    async def db() -> None:
        await apool.open()
        async with apool.connection() as conn:
            await conn.execute("SELECT 1")

    app, _ = make_app(apool=apool)
    handler = warmable(Mangum(app), checks={"db": db})
    assert warm(handler, warmup_event())["checks"]["db"]["ok"] is True
    assert http(handler, http_v2("GET", "/adb"))["statusCode"] == 200
    assert apool.get_stats()["connections_num"] == 1


@pytest.mark.parametrize(
    ("make", "kind"),
    [
        (lambda dsn: AsyncConnectionPool(dsn, open=False), "psycopg AsyncConnectionPool"),
        (
            lambda dsn: sqlalchemy.ext.asyncio.create_async_engine(
                dsn.replace("postgresql://", "postgresql+psycopg://")
            ),
            "SQLAlchemy AsyncEngine",
        ),
    ],
)
def test_async_database_objects_are_refused_with_a_hint(
    pg: PostgresServer, make: Any, kind: str
) -> None:
    target = make(pg.dsn)
    check = sqlalchemy_check if kind.startswith("SQLAlchemy") else psycopg_check
    with pytest.raises(ConfigurationError) as raised:
        check(target)
    assert str(raised.value).startswith(f"{kind} needs the event loop it belongs to")


def test_something_else_is_refused() -> None:
    with pytest.raises(ConfigurationError) as raised:
        psycopg_check("postgresql://app@db/app")  # type: ignore[arg-type]
    assert (
        str(raised.value) == "psycopg_check needs a psycopg ConnectionPool or Connection, got str"
    )
