"""Built-in database checks. psycopg and SQLAlchemy are used duck-typed: neither is a dependency."""

from __future__ import annotations

import inspect
import time
from typing import TYPE_CHECKING, Any, cast

from .checks import DEFAULT_TIMEOUT_S, Check, ConfigurationError
from .redact import conninfo_passwords

if TYPE_CHECKING:
    from psycopg import Connection
    from psycopg_pool import ConnectionPool
    from sqlalchemy import Engine

# Share of a check's timeout spent waiting for a pooled connection; most of the
# rest goes to one direct connection attempt that says *why* the pool has none.
_POOL_WAIT_SHARE = 0.4
_LIBPQ_MIN_CONNECT_TIMEOUT_S = 2
_FILL_POLL_S = 0.002


def psycopg_check(
    target: ConnectionPool[Any] | Connection[Any],
    sql: str = "SELECT 1",
    *,
    timeout: float = DEFAULT_TIMEOUT_S,
) -> Check:
    """Run ``sql`` through a psycopg 3 ConnectionPool (preferred) or Connection.

    A pool created with ``open=False`` is opened by the first check, and the
    connection the check used goes back to the pool: the warm-up leaves a live
    connection for the first real request. After a SnapStart restore the
    pool's idle connections are tested and the dead ones replaced.
    """
    if hasattr(target, "getconn"):
        if inspect.iscoroutinefunction(target.getconn):
            raise ConfigurationError(_ASYNC_HINT.format(kind="psycopg AsyncConnectionPool"))
        pool = cast("ConnectionPool[Any]", target)
        return Check(
            lambda: _query_pool(pool, sql, timeout),
            timeout,
            on_restore=lambda: _recheck(pool),
            secrets=lambda: _pool_secrets(pool),
        )
    if hasattr(target, "execute") and hasattr(target, "transaction"):
        if inspect.iscoroutinefunction(target.execute):
            raise ConfigurationError(_ASYNC_HINT.format(kind="psycopg AsyncConnection"))
        conn = target
        return Check(
            lambda: _query_connection(conn, sql), timeout, secrets=lambda: _connection_secrets(conn)
        )
    raise ConfigurationError(
        f"psycopg_check needs a psycopg ConnectionPool or Connection, got {type(target).__name__}"
    )


def sqlalchemy_check(
    engine: Engine, sql: str = "SELECT 1", *, timeout: float = DEFAULT_TIMEOUT_S
) -> Check:
    """Run ``sql`` on a connection from a SQLAlchemy Engine's pool, returning it to the pool.

    After a SnapStart restore the engine's pool is replaced (``dispose(close=False)``),
    so no request is served on a socket from the snapshot.
    """
    if hasattr(engine, "sync_engine"):
        raise ConfigurationError(_ASYNC_HINT.format(kind="SQLAlchemy AsyncEngine"))
    if not hasattr(engine, "connect") or not hasattr(engine, "dispose"):
        raise ConfigurationError(
            f"sqlalchemy_check needs a SQLAlchemy Engine, got {type(engine).__name__}"
        )

    def query() -> None:
        from sqlalchemy import text

        with engine.connect() as conn:
            conn.execute(text(sql))

    return Check(
        query,
        timeout,
        on_restore=lambda: engine.dispose(close=False),
        secrets=lambda: _strings(getattr(getattr(engine, "url", None), "password", None)),
    )


_ASYNC_HINT = (
    "{kind} needs the event loop it belongs to; register an async check instead, e.g. "
    "checks={{'db': my_async_check}} where my_async_check is an `async def` running the query"
)


def _query_pool(pool: ConnectionPool[Any], sql: str, timeout: float) -> None:
    from psycopg_pool import PoolTimeout

    if pool.closed:
        pool.open()  # raises PoolClosed for a pool that was closed after use: it cannot reopen
    deadline = time.monotonic() + timeout * _POOL_WAIT_SHARE
    _wait_for_an_idle_connection(pool, deadline)
    try:
        with pool.connection(timeout=max(deadline - time.monotonic(), 0.001)) as conn:
            conn.execute(sql)
    except PoolTimeout as exc:
        # The pool only says it has no connection; connecting once says why
        # (refused, wrong password, DNS...), raising the driver's own error.
        _connect_once(pool, timeout * (1 - _POOL_WAIT_SHARE) - 0.5)
        raise PoolTimeout(
            f"{exc} (a direct connection succeeded: the pool is exhausted, "
            "or waiting to retry after a failed connection)"
        ) from exc


def _wait_for_an_idle_connection(pool: ConnectionPool[Any], deadline: float) -> None:
    """Give a pool that is still making its first connections time to finish one.

    Asking for a connection before one is ready queues the request, and a
    queued request makes the pool grow (when max_size > min_size): every
    environment would end its warm-up with an extra connection, and the next
    request would land on it (the pool hands its connections out in turn),
    in a server session that has run nothing yet. psycopg_pool's own
    ``wait()`` would close the pool on a timeout, so this polls instead.
    """
    if pool.min_size < 1:
        return  # such a pool connects on demand only: nothing to wait for
    while pool.get_stats().get("pool_available", 0) < 1 and time.monotonic() < deadline:
        time.sleep(_FILL_POLL_S)


def _connect_once(pool: ConnectionPool[Any], budget_s: float) -> None:
    conninfo = pool.conninfo() if callable(pool.conninfo) else pool.conninfo
    kwargs = pool.kwargs() if callable(pool.kwargs) else dict(pool.kwargs or {})
    if inspect.isawaitable(conninfo) or inspect.isawaitable(kwargs):
        return  # async providers cannot be awaited here; keep the pool's own error
    kwargs["connect_timeout"] = max(_LIBPQ_MIN_CONNECT_TIMEOUT_S, int(budget_s))
    pool.connection_class.connect(conninfo, **kwargs).close()


def _query_connection(conn: Connection[Any], sql: str) -> None:
    # A transaction block (a savepoint if one is already open) so the check
    # leaves the connection exactly as idle as it found it.
    with conn.transaction():
        conn.execute(sql)


def _pool_secrets(pool: ConnectionPool[Any]) -> list[str]:
    """The pool's password as the user wrote it, and as libpq reads it (they differ when
    a URL password holds "@"). A callable conninfo or kwargs is not called: it may fetch
    a fresh token, and redaction must have no side effects."""
    found: list[str] = []
    conninfo = pool.conninfo
    if isinstance(conninfo, str):
        found.extend(conninfo_passwords(conninfo))
        found.extend(_strings(_libpq_password(conninfo)))
    kwargs = pool.kwargs
    if isinstance(kwargs, dict):
        found.extend(_strings(kwargs.get("password")))
    return found


def _connection_secrets(conn: Connection[Any]) -> list[str]:
    try:
        return _strings(conn.info.password)
    except Exception:  # a closed or broken connection: nothing more to learn
        return []


def _libpq_password(conninfo: str) -> object:
    try:
        from psycopg.conninfo import conninfo_to_dict

        return conninfo_to_dict(conninfo).get("password")
    except Exception:  # unparseable: conninfo_passwords already read it as written
        return None


def _strings(value: object) -> list[str]:
    return [value] if isinstance(value, str) and value else []


def _recheck(pool: ConnectionPool[Any]) -> None:
    if not pool.closed:
        pool.check()
