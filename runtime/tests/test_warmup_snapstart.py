"""SnapStart: a restored snapshot is a new environment, and its sockets are dead."""

from __future__ import annotations

import sys
import types
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest
import sqlalchemy
from mangum import Mangum
from psycopg_pool import ConnectionPool

from mangum_warmup import psycopg_check, sqlalchemy_check, warmable
from pgserver import PostgresServer
from warmup_app import make_app
from warmup_helpers import warm, warmup_event


@pytest.fixture
def restore_hooks(monkeypatch: pytest.MonkeyPatch) -> list[Callable[[], object]]:
    """A stand-in for the snapshot_restore_py module of the Lambda Python runtime."""
    hooks: list[Callable[[], object]] = []
    module = types.ModuleType("snapshot_restore_py")

    def register_after_restore(fn: Callable[[], object], *args: Any, **kwargs: Any) -> None:
        hooks.append(lambda: fn(*args, **kwargs))

    module.register_after_restore = register_after_restore  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", module)
    return hooks


@pytest.fixture
def pool(pg: PostgresServer) -> Iterator[ConnectionPool[Any]]:
    pool: ConnectionPool[Any] = ConnectionPool(pg.dsn, open=False, min_size=1, max_size=1)
    yield pool
    pool.close()


def kill_connections(pg: PostgresServer) -> None:
    """What a restore does to sockets from the snapshot: the server no longer knows them."""
    with psycopg.connect(pg.dsn, autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()"
        )


def test_the_hook_is_registered_with_the_real_runtime_module() -> None:
    # snapshot-restore-py ships with awslambdaric and in every Lambda Python runtime.
    real = pytest.importorskip("snapshot_restore_py")
    handler = warmable(Mangum(make_app()[0]))
    assert (handler.after_restore, (), {}) in real.get_after_restore()


def test_a_restore_starts_a_new_environment(restore_hooks: list[Callable[[], object]]) -> None:
    preloads: list[str] = []
    restores: list[str] = []
    handler = warmable(
        Mangum(make_app()[0]),
        on_init={"sns": lambda: preloads.append("sns")},
        on_restore={"secrets": lambda: restores.append("secrets")},
    )
    assert len(restore_hooks) == 1
    before = [warm(handler, warmup_event()) for _ in range(2)]
    assert [r["coldStart"] for r in before] == [True, False]

    restore_hooks[0]()
    after = [warm(handler, warmup_event()) for _ in range(2)]
    assert [r["coldStart"] for r in after] == [True, False]
    assert after[0]["instanceId"] != before[0]["instanceId"]
    assert after[0]["instanceId"] == after[1]["instanceId"]
    assert restores == ["secrets"]
    assert preloads == ["sns", "sns"]  # the preloads' connections are re-warmed too
    assert after[0]["init"]["sns"]["ok"] is True


def test_a_restore_replaces_the_pools_dead_connections(
    restore_hooks: list[Callable[[], object]], pool: ConnectionPool[Any], pg: PostgresServer
) -> None:
    handler = warmable(Mangum(make_app()[0]), checks={"db": psycopg_check(pool)})
    assert warm(handler, warmup_event())["ok"] is True
    kill_connections(pg)
    restore_hooks[0]()
    assert warm(handler, warmup_event())["checks"]["db"]["ok"] is True


def test_without_the_restore_hook_dead_connections_would_fail_the_check(
    pool: ConnectionPool[Any], pg: PostgresServer
) -> None:
    # The premise of the test above: a pool does not notice dead sockets by itself.
    handler = warmable(Mangum(make_app()[0]), checks={"db": psycopg_check(pool)})
    assert warm(handler, warmup_event())["ok"] is True
    kill_connections(pg)
    assert warm(handler, warmup_event())["checks"]["db"]["ok"] is False


def test_a_restore_replaces_the_sqlalchemy_pool(
    restore_hooks: list[Callable[[], object]], pg: PostgresServer
) -> None:
    engine = sqlalchemy.create_engine(pg.dsn.replace("postgresql://", "postgresql+psycopg://"))
    try:
        handler = warmable(Mangum(make_app()[0]), checks={"db": sqlalchemy_check(engine)})
        assert warm(handler, warmup_event())["ok"] is True
        kill_connections(pg)
        restore_hooks[0]()
        assert warm(handler, warmup_event())["checks"]["db"]["ok"] is True
    finally:
        engine.dispose()


def test_the_restore_is_logged(
    restore_hooks: list[Callable[[], object]], log_lines: list[dict[str, Any]]
) -> None:
    def reconnect() -> None:
        raise OSError("network unreachable")

    handler = warmable(Mangum(make_app()[0]), on_restore={"cache": reconnect})
    restore_hooks[0]()
    assert log_lines == [
        {
            "event": "mangum-warmup.restore",
            "instanceId": handler.instance_id,
            "restore": {
                "cache": {
                    "ok": False,
                    "ms": log_lines[0]["restore"]["cache"]["ms"],
                    "error": "OSError: network unreachable",
                },
            },
        }
    ]
