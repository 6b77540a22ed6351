"""The app `npm run rehearse` deploys: a small FastAPI service behind Mangum,
made warmable by mangum-warmup, with a PostgreSQL pool created at module scope
(as a real app would, so a cold start pays for it).

Configuration comes from the function's environment, as on Lambda:
DATABASE_URL is a libpq URL. The "broken" version of the rehearsal is this same
code published with a DATABASE_URL naming a database that does not exist.
"""

from __future__ import annotations

# First import on purpose: mangum-warmup measures initMs from its own import,
# so importing it before FastAPI makes the reported init cover the app's.
from mangum_warmup import psycopg_check, warmable  # isort: skip

import os
import time
from typing import Any

from fastapi import FastAPI
from mangum import Mangum
from psycopg_pool import ConnectionPool

# open=False: nothing connects during import; the warm-up's "db" check opens
# the pool, so the first user request finds a live connection waiting.
pool: ConnectionPool[Any] = ConnectionPool(
    os.environ["DATABASE_URL"],
    min_size=1,
    max_size=2,
    open=False,
    # Lambda names each environment's log stream uniquely; tagging connections
    # with it ties every server session to the environment that opened it.
    kwargs={
        "connect_timeout": 3,
        "application_name": os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "app")[-63:],
    },
)

app = FastAPI(title="pulumi-mangum rehearsal app")


@app.get("/healthz")
def healthz() -> dict[str, bool]:
    # What the warm-up primes (below): no database and no side effects, so it
    # can run once in every new environment. A plain `def`, like /db, because
    # FastAPI imports anyio's thread-pool backend on the first `def` route it
    # runs (about 30 ms): priming an `async def` route would leave that import
    # to the first user.
    return {"ok": True}


@app.get("/")
def index() -> dict[str, str]:
    return {"hello": "from Lambda", "version": os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")}


@app.get("/work")
def work(ms: int = 50) -> dict[str, int]:
    # A request that takes `ms` of service time without using the CPU (a
    # downstream call, say): the benchmark's simulated users hit it, so that
    # their requests overlap as real users' do and each user needs an
    # environment of its own, on a 2-core machine.
    time.sleep(max(0, min(ms, 2_000)) / 1000)
    return {"ms": ms}


@app.get("/db")
def db() -> dict[str, Any]:
    if pool.closed:
        pool.open()
    with pool.connection(timeout=5) as conn:
        row = conn.execute("SELECT current_database(), count(*) FROM pg_stat_activity").fetchone()
    assert row is not None
    return {"database": row[0], "connections": row[1]}


# prime: each environment's first warm-up sends these GETs through Mangum, so
# the app's first-request work happens before traffic arrives, not in a
# user's request. /healthz covers what every route shares: Starlette's
# middleware stack, the router, FastAPI's first `def` route, Mangum's first
# pass (35-40 ms of CPU). /db is read-only, so it is safe to prime too, and it
# is the route users hit: priming it also runs its query once on the pooled
# connection (PostgreSQL loads the pg_stat_activity catalog entries into that
# session, ~3 ms of server CPU) and its psycopg loaders and response
# serialization (~2 ms). docs/benchmarks.md has the measurements.
handler = warmable(
    Mangum(app, lifespan="off"),
    checks={"db": psycopg_check(pool)},
    prime=["/healthz", "/db"],
)
