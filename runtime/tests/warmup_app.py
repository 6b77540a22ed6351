"""The FastAPI app the tests wrap: routes that exercise every part of a Mangum response."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request, Response
from psycopg_pool import AsyncConnectionPool, ConnectionPool

PNG_BYTES = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"


@dataclass
class Counters:
    """What the app has been asked to do, so tests can prove a warm-up never reached it."""

    requests: int = 0
    startups: int = 0
    shutdowns: int = 0


def make_app(
    pool: ConnectionPool[Any] | None = None,
    apool: AsyncConnectionPool[Any] | None = None,
) -> tuple[FastAPI, Counters]:
    counters = Counters()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        counters.startups += 1
        yield
        counters.shutdowns += 1

    app = FastAPI(lifespan=lifespan)

    @app.middleware("http")
    async def count(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        counters.requests += 1
        return await call_next(request)

    @app.get("/healthz")
    def healthz() -> dict[str, bool]:
        return {"ok": True}

    @app.get("/items/{item_id}")
    def item(item_id: int, request: Request, q: str | None = None) -> dict[str, Any]:
        return {"id": item_id, "q": q, "agent": request.headers.get("user-agent")}

    @app.post("/echo")
    async def echo(request: Request, response: Response) -> dict[str, Any]:
        response.set_cookie("a", "1")
        response.set_cookie("b", "2")
        response.headers["x-echo"] = "yes"
        return {"body": (await request.body()).decode(), "cookie": request.headers.get("cookie")}

    @app.get("/png")
    def png() -> Response:
        return Response(PNG_BYTES, media_type="image/png")

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("the app failed")

    @app.get("/db")
    def db() -> dict[str, int]:
        assert pool is not None
        with pool.connection() as conn:
            row = conn.execute("SELECT pg_backend_pid()").fetchone()
        assert row is not None
        return {"pid": row[0]}

    @app.get("/adb")
    async def adb() -> dict[str, int]:
        assert apool is not None
        async with apool.connection() as conn:
            cur = await conn.execute("SELECT pg_backend_pid()")
            row = await cur.fetchone()
        assert row is not None
        return {"pid": row[0]}

    return app, counters
